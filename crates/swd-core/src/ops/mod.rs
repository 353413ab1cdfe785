//! Tensor operations of our own, with a backward written by hand where burn's decomposition
//! launches too many kernels or burn's kernels are slow (see docs/gpu.md).

pub mod conv;
pub mod group_norm;

pub use group_norm::group_norm;

use burn::backend::{Backend, TensorMetadata, tensor::FloatTensor};
use burn::tensor::Shape;

/// The dimensions of a 4-D tensor (the operations here take `[N, C, H, W]` and conv weights).
fn dims4<B: Backend>(x: &FloatTensor<B>) -> [usize; 4] {
    let shape = x.shape();
    assert_eq!(shape.num_dims(), 4, "expected a 4-D tensor, got {shape:?}");
    [shape[0], shape[1], shape[2], shape[3]]
}

fn reshape<B: Backend, const D: usize>(x: FloatTensor<B>, dims: [usize; D]) -> FloatTensor<B> {
    B::float_reshape(x, Shape::new(dims))
}
