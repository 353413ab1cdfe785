//! AdamW over one flat buffer: every trained parameter of a module laid end to end in one 1-D
//! tensor, so a step costs a fixed ~20 kernels plus the gradient pack (one launch per
//! [`pack::PARTS`] parameters on wgpu), where burn's
//! `ModuleOptimizer` with per-parameter norm clipping launches ~25 kernels for each of the
//! ~300 parameter tensors. Gradient clipping is by the global norm (as PyTorch's
//! `clip_grad_norm_`), which one flat buffer makes one reduction.
//!
//! The parameters become views into the flat buffer, which the next step reuses; a module
//! changed from outside between steps (loaded, merged) must go through [`FlatAdamW::reset_params`].
//! Convolution weights `[O, I, kH, kW]` lie in the buffer channels last (`[O, kH, kW, I]`), the
//! memory order cubecl's convolutions read: as views of the buffer they need no copy in the
//! forward or the backward (two launches a convolution, each step, on a GPU). Loaded models keep
//! the file's order: loading weights channels last made CPU (flex) generation ~7% slower.

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use safetensors::tensor::{Dtype, TensorView};
use serde::{Deserialize, Serialize};

use crate::pack;
use crate::parallel::World;

/// Each parameter starts on a multiple of this many values (256 bytes of f32): the GPU's storage
/// offset alignment, so a parameter's slice of the buffer is a view, not a copy.
const ALIGN: usize = 64;

/// The state file's format; `-2`: convolution weights channels last in the buffer.
pub const FORMAT: &str = "swd-flat-adamw-2";

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlatAdamWConfig {
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
    /// Clip the gradient to this global L2 norm.
    pub grad_clip: Option<f32>,
}

impl FlatAdamWConfig {
    /// burn's AdamW defaults (β 0.9 / 0.999, ε 1e-5: what our runs always trained with) with
    /// `weight_decay` and global-norm clipping.
    pub fn new(weight_decay: f32, grad_clip: f32) -> Self {
        Self { beta1: 0.9, beta2: 0.999, eps: 1e-5, weight_decay, grad_clip: Some(grad_clip) }
    }

    pub fn init(self) -> FlatAdamW {
        FlatAdamW { config: self, step: 0, layout: Vec::new(), params: None, m: None, v: None, world: World::single() }
    }
}

/// Where one parameter lives in the flat buffer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Segment {
    id: u64,
    offset: usize,
    numel: usize,
}

pub struct FlatAdamW {
    config: FlatAdamWConfig,
    step: i32,
    /// The trained parameters, in the module's traversal order.
    layout: Vec<Segment>,
    /// `[total]` parameters (plain device), the buffer the module's parameters view.
    params: Option<Tensor<1>>,
    /// `[total]` first and second moments.
    m: Option<Tensor<1>>,
    v: Option<Tensor<1>>,
    /// The ranks whose gradients each step averages (one all-reduce of the flat gradient).
    world: World,
}

/// Axes from a parameter's shape to its order in the flat buffer: `[O, I, kH, kW]` →
/// `[O, kH, kW, I]` for a 4-D (convolution) weight, unchanged otherwise.
fn flat_axes<const D: usize>() -> [usize; D] {
    std::array::from_fn(|i| if D == 4 { [0, 2, 3, 1][i] } else { i })
}

/// `t` in flat-buffer order, as `[numel]`.
fn to_flat<const D: usize>(t: Tensor<D>) -> Tensor<1> {
    let n = t.shape().num_elements();
    t.permute(flat_axes::<D>()).reshape([n])
}

/// The inverse of [`to_flat`]: `flat` (`[numel]`) as a tensor of `dims`.
fn from_flat<const D: usize>(flat: Tensor<1>, dims: [usize; D]) -> Tensor<D> {
    let axes = flat_axes::<D>();
    let mut inverse = [0; D];
    for (to, &from) in axes.iter().enumerate() {
        inverse[from] = to;
    }
    flat.reshape(axes.map(|a| dims[a])).permute(inverse)
}

/// Collects the gradient (and value) of every parameter that has one.
struct Gather<'a> {
    grads: &'a GradientsParams,
    want_values: bool,
    found: Vec<(ParamId, Tensor<1>, Option<Tensor<1>>)>,
}

impl ModuleVisitor for Gather<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let Some(grad) = self.grads.get::<D>(param.id) else { return };
        let value = self.want_values.then(|| to_flat(param.val().inner()));
        self.found.push((param.id, to_flat(grad), value));
    }
}

/// Collects the values of the parameters in a layout.
struct Values<'a> {
    at: &'a HashMap<u64, usize>,
    found: Vec<(usize, Tensor<1>)>,
}

impl ModuleVisitor for Values<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(&i) = self.at.get(&param.id.val()) {
            self.found.push((i, to_flat(param.val().inner())));
        }
    }
}

/// Points the parameters in a layout at their slices of a flat buffer.
struct Scatter<'a> {
    flat: &'a Tensor<1>,
    at: HashMap<u64, (usize, usize)>,
}

impl ModuleMapper for Scatter<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(&(offset, numel)) = self.at.get(&param.id.val()) else { return param };
        let (id, old, mapper) = param.consume();
        let mut value = from_flat(self.flat.clone().slice(offset..offset + numel), old.dims());
        if old.is_autodiff() {
            value = Tensor::from_inner(value);
            if let Some(strategy) = old.gradient_checkpointing_strategy() {
                value = value.with_gradient_checkpointing_strategy(strategy);
            }
        }
        if old.is_require_grad() {
            // A fresh leaf: the next backward gives it a gradient of its own.
            value = value.require_grad();
        }
        Param::from_mapped_value(id, value, mapper)
    }
}

/// `parts[i]` at `layout[i].offset` in a zero buffer of `total` values.
fn pack(parts: Vec<(usize, Tensor<1>)>, layout: &[Segment], total: usize, device: &Device) -> Tensor<1> {
    let parts = parts.into_iter().map(|(i, t)| (layout[i].offset, t)).collect();
    pack::write_parts(Tensor::zeros([total], device), parts)
}

/// Segments for parameters `(id, numel)` in order, each starting at an `ALIGN` boundary.
fn layout_of(params: impl Iterator<Item = (u64, usize)>) -> Vec<Segment> {
    let mut offset = 0;
    params
        .map(|(id, numel)| {
            let segment = Segment { id, offset, numel };
            offset += numel.div_ceil(ALIGN) * ALIGN;
            segment
        })
        .collect()
}

fn total(layout: &[Segment]) -> usize {
    layout.last().map_or(0, |s| s.offset + s.numel.div_ceil(ALIGN) * ALIGN)
}

impl FlatAdamW {
    /// This optimizer averaging every step's gradient over `world`'s ranks, before clipping.
    pub fn with_world(mut self, world: &World) -> Self {
        self.world = world.clone();
        self
    }

    /// One AdamW step at learning rate `lr` with `grads` of `module`. The first step fixes the
    /// layout (the parameters that have gradients); later a parameter without a gradient steps
    /// with a zero one, and one that was not in the first step's is an error.
    pub fn step<M: Module>(&mut self, lr: f64, module: M, grads: GradientsParams) -> Result<M> {
        let mut gather = Gather { grads: &grads, want_values: self.params.is_none(), found: Vec::new() };
        module.visit(&mut gather);
        let Some(device) = gather.found.first().map(|(_, g, _)| g.device()) else { return Ok(module) };
        if self.layout.is_empty() {
            self.layout = layout_of(gather.found.iter().map(|(id, g, _)| (id.val(), g.shape().num_elements())));
        }
        let index: HashMap<u64, usize> = self.layout.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        let mut grad_parts = Vec::with_capacity(gather.found.len());
        let mut value_parts = Vec::new();
        for (id, g, value) in gather.found {
            let i = *index.get(&id.val()).with_context(|| format!("parameter {id} has a gradient but is not in the optimizer's layout"))?;
            if self.layout[i].numel != g.shape().num_elements() {
                bail!("parameter {id} changed size since the optimizer's first step");
            }
            grad_parts.push((i, g));
            value_parts.extend(value.map(|v| (i, v)));
        }
        let n = total(&self.layout);
        let mut g = self.world.mean(pack(grad_parts, &self.layout, n, &device))?;
        let p = match self.params.take() {
            Some(p) => p,
            None => pack(value_parts, &self.layout, n, &device),
        };
        if let Some(max) = self.config.grad_clip {
            // g · min(1, max / ‖g‖), on the device: no read-back.
            let norm = g.clone().square().sum().sqrt();
            g = g * (norm.add_scalar(1e-6).recip() * max).clamp_max(1.0);
        }
        let FlatAdamWConfig { beta1: b1, beta2: b2, eps, weight_decay, .. } = self.config;
        self.step += 1;
        let m = match self.m.take() {
            Some(m) => m * b1 + g.clone() * (1.0 - b1),
            None => g.clone() * (1.0 - b1),
        };
        let v = match self.v.take() {
            Some(v) => v * b2 + g.square() * (1.0 - b2),
            None => g.square() * (1.0 - b2),
        };
        // m̂ / (√v̂ + ε) with the bias corrections folded into two host scalars:
        // (m / c1) / (√v / √c2 + ε) = m · (√c2 / c1) / (√v + ε √c2).
        let (c1, c2) = (1.0 - (b1 as f64).powi(self.step), 1.0 - (b2 as f64).powi(self.step));
        let update = m.clone() / (v.clone().sqrt() + eps as f64 * c2.sqrt());
        let p = p * (1.0 - lr * weight_decay as f64) - update * (lr * c2.sqrt() / c1);
        let module = self.scatter(module, &p);
        (self.params, self.m, self.v) = (Some(p), Some(m), Some(v));
        Ok(module)
    }

    /// The trained parameters as one flat buffer (`None` before the first step).
    pub fn params(&self) -> Option<&Tensor<1>> {
        self.params.as_ref()
    }

    /// `module`'s parameters of this optimizer's layout, laid out as its flat buffer.
    pub fn flatten<M: Module>(&self, module: &M) -> Tensor<1> {
        let at = self.layout.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        let mut values = Values { at: &at, found: Vec::new() };
        module.visit(&mut values);
        let device = values.found.first().map_or_else(Device::flex, |(_, t)| t.device());
        pack(values.found, &self.layout, total(&self.layout), &device)
    }

    /// `module` with the parameters of this optimizer's layout taken from `flat`.
    pub fn scatter<M: Module>(&self, module: M, flat: &Tensor<1>) -> M {
        let at = self.layout.iter().map(|s| (s.id, (s.offset, s.numel))).collect();
        module.map(&mut Scatter { flat, at })
    }

    /// Forgets the flat parameters (the moments stay): the next step re-reads the module's.
    pub fn reset_params(&mut self) {
        self.params = None;
    }

    /// The state as safetensors: the moments `m` and `v`, with the step and the layout as
    /// metadata. Empty moments before the first step.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let data = |t: &Option<Tensor<1>>| -> Result<Vec<u8>> {
            let values: Vec<f32> = match t {
                Some(t) => {
                    t.clone().into_data().convert::<f32>().try_into_vec::<f32>().map_err(|e| anyhow::anyhow!("optimizer state: {e:?}"))?
                }
                None => Vec::new(),
            };
            Ok(values.iter().flat_map(|v| v.to_le_bytes()).collect())
        };
        let (m, v) = (data(&self.m)?, data(&self.v)?);
        let views = [("m", &m), ("v", &v)]
            .map(|(name, bytes)| (name, TensorView::new(Dtype::F32, vec![bytes.len() / 4], bytes).expect("f32 bytes")));
        let metadata = HashMap::from([
            ("format".to_string(), FORMAT.to_string()),
            ("step".to_string(), self.step.to_string()),
            ("layout".to_string(), serde_json::to_string(&self.layout)?),
        ]);
        Ok(safetensors::serialize(views, Some(metadata))?)
    }

    /// This optimizer with the state of [`to_bytes`](Self::to_bytes) on `device`.
    pub fn load_bytes(mut self, bytes: &[u8], device: &Device) -> Result<Self> {
        let file = safetensors::SafeTensors::deserialize(bytes).context("optimizer state is not a safetensors file")?;
        let (_, header) = safetensors::SafeTensors::read_metadata(bytes).context("optimizer state has no header")?;
        let meta = header.metadata().clone().unwrap_or_default();
        match meta.get("format").map(String::as_str) {
            Some(FORMAT) => {}
            Some(f) if f.starts_with("swd-flat-adamw") => {
                bail!(
                    "optimizer state is in an older swd's layout ({f}, this swd reads {FORMAT}): start the run afresh, or resume it with the swd that wrote it"
                )
            }
            _ => bail!("optimizer state is not swd's flat AdamW format"),
        }
        self.step = meta.get("step").and_then(|s| s.parse().ok()).context("optimizer state has no step")?;
        if self.step < 0 {
            bail!("optimizer state has step {}", self.step);
        }
        let layout: Vec<Segment> =
            serde_json::from_str(meta.get("layout").context("optimizer state has no layout")?).context("optimizer layout")?;
        // Sizes first, so that the offsets below cannot overflow.
        if layout.iter().try_fold(0usize, |sum, s| sum.checked_add(s.numel).filter(|&n| n <= swd_core::limits::MAX_PARAMS)).is_none() {
            bail!("optimizer layout holds more than {} values", swd_core::limits::MAX_PARAMS);
        }
        if layout != layout_of(layout.iter().map(|s| (s.id, s.numel))) {
            bail!("optimizer layout's offsets are not consecutive");
        }
        self.layout = layout;
        let n = total(&self.layout);
        let read = |name: &str| -> Result<Option<Tensor<1>>> {
            let view = file.tensor(name).with_context(|| format!("optimizer state has no '{name}'"))?;
            let values: Vec<f32> = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
            match values.len() {
                0 => Ok(None),
                len if len == n => Ok(Some(Tensor::from_data(TensorData::new(values, [n]), device))),
                len => bail!("optimizer state '{name}' has {len} values, its layout {n}"),
            }
        };
        (self.m, self.v) = (read("m")?, read("v")?);
        self.params = None;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use burn::nn::conv::{Conv2d, Conv2dConfig};
    use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
    use burn::optim::AdamWConfig;

    use super::*;

    /// Two linear layers and a convolution (its weight lies channels last in the buffer).
    #[derive(Module, Debug)]
    struct Net {
        a: Linear,
        b: Linear,
        c: Conv2d,
    }

    /// A random net (tests run in parallel and share the RNG: compare clones of one net).
    fn net(device: &Device) -> Net {
        let c = Conv2dConfig::new([2, 3], [3, 3]).with_padding(PaddingConfig2d::Same).init(device);
        crate::param_ids::assign(Net { a: LinearConfig::new(5, 7).init(device), b: LinearConfig::new(7, 3).init(device), c }, 0)
    }

    fn loss(net: &Net, device: &Device) -> Tensor<1> {
        let x = Tensor::<2>::from_data(TensorData::new((0..20).map(|i| (i as f32 * 0.37).sin()).collect::<Vec<_>>(), [4, 5]), device);
        let image = x.clone().reshape([2, 2, 1, 5]);
        net.b.forward(net.a.forward(x).tanh()).powi_scalar(2).mean() + net.c.forward(image).tanh().powi_scalar(2).mean()
    }

    #[test]
    fn a_convolution_weight_lies_channels_last_in_the_buffer() {
        let device = Device::flex();
        let w = Tensor::<4>::from_data(TensorData::new((0..24).map(|i| i as f32).collect::<Vec<_>>(), [2, 3, 2, 2]), &device);
        let flat = to_flat(w.clone()).into_data().try_to_vec::<f32>().unwrap();
        // [O, kH, kW, I]: the three input channels of one tap are adjacent.
        assert_eq!(&flat[..6], &[0.0, 4.0, 8.0, 1.0, 5.0, 9.0]);
        let back = from_flat::<4>(Tensor::from_data(TensorData::new(flat, [24]), &device), [2, 3, 2, 2]);
        assert_eq!(back.into_data(), w.into_data());
        let bias = Tensor::<1>::from_data(TensorData::new(vec![1.0f32, 2.0], [2]), &device);
        assert_eq!(to_flat(bias.clone()).into_data(), bias.into_data());
    }

    fn weights(net: &Net) -> Vec<f32> {
        swd_core::weights::collect(net).into_iter().flat_map(|(_, _, values)| values).collect()
    }

    #[test]
    fn matches_burns_adamw_without_clipping() {
        let device = Device::flex().autodiff();
        let start = net(&device);
        let (mut ours, mut theirs) = (start.clone(), start.clone());
        let mut flat = FlatAdamWConfig { grad_clip: None, ..FlatAdamWConfig::new(0.01, 1.0) }.init();
        let mut adamw = AdamWConfig::new().with_weight_decay(0.01).init();
        for _ in 0..5 {
            let g = GradientsParams::from_grads(loss(&ours, &device).backward(), &ours);
            ours = flat.step(1e-2, ours, g).unwrap();
            let g = GradientsParams::from_grads(loss(&theirs, &device).backward(), &theirs);
            theirs = adamw.step(1e-2, theirs, g);
        }
        let diff = weights(&ours).iter().zip(weights(&theirs)).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(diff < 1e-5, "max |flat − burn| = {diff}");
        assert!(loss(&ours, &device).into_scalar::<f32>() < loss(&start, &device).into_scalar::<f32>());
    }

    #[test]
    fn clips_by_the_global_norm() {
        // After the first step m = (1 − β1)·ĝ, so the clipped gradient's norm is ‖m‖ / 0.1.
        let device = Device::flex().autodiff();
        let model = net(&device);
        let g = GradientsParams::from_grads(loss(&model, &device).backward(), &model);
        let mut clipped = FlatAdamWConfig { grad_clip: Some(1e-3), ..FlatAdamWConfig::new(0.0, 1.0) }.init();
        clipped.step(1e-3, model.clone(), g).unwrap();
        let m = clipped.m.clone().unwrap();
        let norm = (m / 0.1).square().sum().sqrt().into_scalar::<f32>();
        assert!((norm - 1e-3).abs() < 1e-6, "clipped gradient norm {norm}");
    }

    #[test]
    fn state_round_trips_and_resumes_exactly() {
        let device = Device::flex().autodiff();
        let start = net(&device);
        let run = |split: bool| {
            let mut model = start.clone();
            let mut opt = FlatAdamWConfig::new(0.01, 1.0).init();
            for step in 0..4 {
                if split && step == 2 {
                    let state = opt.to_bytes().unwrap();
                    // A new process: the module from its weights, the optimizer from its bytes.
                    let bytes = swd_core::weights::to_safetensors(&model, swd_core::weights::StoreDtype::F32, HashMap::new()).unwrap();
                    model = crate::param_ids::assign(swd_core::weights::load(net(&device), &bytes).unwrap(), 0);
                    opt = FlatAdamWConfig::new(0.01, 1.0).init().load_bytes(&state, &device).unwrap();
                }
                let g = GradientsParams::from_grads(loss(&model, &device).backward(), &model);
                model = opt.step(1e-2, model, g).unwrap();
            }
            weights(&model)
        };
        assert_eq!(run(false), run(true));
        let err = FlatAdamWConfig::new(0.0, 1.0).init().load_bytes(b"junk", &device).err().unwrap().to_string();
        assert!(err.contains("not a safetensors file"), "{err}");
    }

    /// A state of the first layout (conv weights in their logical order) would resume with its
    /// moments misplaced: it is refused, naming both formats.
    #[test]
    fn refuses_an_older_layout_by_name() {
        let empty: Vec<u8> = Vec::new();
        let views = [("m", &empty), ("v", &empty)].map(|(name, bytes)| (name, TensorView::new(Dtype::F32, vec![0], bytes).unwrap()));
        let meta = HashMap::from([
            ("format".to_string(), "swd-flat-adamw".to_string()),
            ("step".to_string(), "3".to_string()),
            ("layout".to_string(), "[]".to_string()),
        ]);
        let bytes = safetensors::serialize(views, Some(meta)).unwrap();
        let err = FlatAdamWConfig::new(0.0, 1.0).init().load_bytes(&bytes, &Device::flex()).err().unwrap().to_string();
        assert!(err.contains("older swd's layout (swd-flat-adamw, this swd reads swd-flat-adamw-2)"), "{err}");
    }

    #[test]
    fn flatten_and_scatter_are_inverse() {
        let device = Device::flex().autodiff();
        let model = net(&device);
        let g = GradientsParams::from_grads(loss(&model, &device).backward(), &model);
        let mut opt = FlatAdamWConfig::new(0.0, 1.0).init();
        let model = opt.step(1e-2, model, g).unwrap();
        let flat = opt.flatten(&model);
        let same = opt.params().unwrap().clone();
        assert_eq!(flat.into_data().try_to_vec::<f32>().unwrap(), same.into_data().try_to_vec::<f32>().unwrap());
        let moved = opt.scatter(net(&device), opt.params().unwrap());
        assert_eq!(weights(&moved), weights(&model));
    }
}
