//! Deterministic parameter ids, so optimizer state saved with one process matches the
//! parameters of a model rebuilt by another (burn draws fresh random ids at init).

use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::tensor::Tensor;

struct Renumber {
    next: u64,
}

impl ModuleMapper for Renumber {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let id = ParamId::from(self.next);
        self.next += 1;
        let value = param.val();
        param.transform_for_load(value, id)
    }
}

/// Gives the module's float parameters the ids `base, base+1, …` in traversal order.
pub fn assign<M: Module>(module: M, base: u64) -> M {
    module.map(&mut Renumber { next: base })
}
