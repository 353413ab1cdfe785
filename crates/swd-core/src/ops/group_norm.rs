//! Group normalisation as one backend operation with a closed-form backward.
//!
//! burn's `GroupNorm` is composed of tensor ops, so autodiff records each of them and its
//! backward replays ~29 kernels per layer (8 reductions with zero buffers and single
//! element-wise ops between them). Here the forward saves the normalised input and the
//! per-group 1/σ, and the backward is the closed form: two reductions over each channel's pixels,
//! four small ones, one element-wise expression (which burn's fusion merges). The operation is a
//! burn backend extension, so the same model code runs on flex, wgpu (fused or not) and, for
//! training, burn's autodiff of either.

use super::{dims4, reshape};
use burn::backend::{Backend, Dispatch, backend_extension, tensor::FloatTensor};
use burn::tensor::Tensor;

/// `y = (x − mean) / √(var + ε) · γ + β` per sample and group of `C / groups` channels.
///
/// `x` `[N, C, H, W]`, `gamma`, `beta` `[C]` → `[N, C, H, W]`. `C` must be a multiple of `groups`.
pub fn group_norm(x: Tensor<4>, gamma: Tensor<1>, beta: Tensor<1>, groups: usize, epsilon: f64) -> Tensor<4> {
    let y = <Dispatch as GroupNormBackend>::group_norm(x.into_dispatch(), gamma.into_dispatch(), beta.into_dispatch(), groups, epsilon);
    Tensor::from_dispatch(y)
}

/// The operation on a backend. The default body (burn primitives) serves every backend: on
/// fused wgpu its element-wise parts fuse like any other ops. Autodiff has its own (below).
#[backend_extension(Flex, Cube, Autodiff: cfg(feature = "autodiff"))]
pub trait GroupNormBackend: Backend {
    fn group_norm(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        groups: usize,
        epsilon: f64,
    ) -> FloatTensor<Self> {
        forward::<Self>(x, gamma, beta, groups, epsilon).y
    }
}

impl GroupNormBackend for burn::backend::Flex {}
impl GroupNormBackend for burn::backend::Cube {}

/// The forward's output and what its backward needs (only autodiff reads the last two).
#[cfg_attr(not(feature = "autodiff"), allow(dead_code))]
struct Forward<B: Backend> {
    /// `[N, C, H, W]`.
    y: FloatTensor<B>,
    /// The normalised input `(x − mean)·rstd`, `[N, G, C/G, H·W]`.
    xhat: FloatTensor<B>,
    /// `1 / √(var + ε)` per sample and group, `[N, G, 1]`.
    rstd: FloatTensor<B>,
}

fn forward<B: Backend>(x: FloatTensor<B>, gamma: FloatTensor<B>, beta: FloatTensor<B>, groups: usize, epsilon: f64) -> Forward<B> {
    let [n, c, h, w] = dims4::<B>(&x);
    assert!(groups > 0 && c % groups == 0, "group_norm: {c} channels do not split into {groups} groups");
    let cg = c / groups;
    let x3 = reshape::<B, 3>(x, [n, groups, cg * h * w]);
    let mean = B::float_mean_dim(x3.clone(), 2);
    let centred = B::float_sub(x3, mean.clone());
    let var = B::float_mean_dim(B::float_mul(centred.clone(), centred.clone()), 2);
    let rstd = B::float_recip(B::float_sqrt(B::float_add_scalar(var, epsilon.into())));
    let xhat = reshape::<B, 4>(B::float_mul(centred, rstd.clone()), [n, groups, cg, h * w]);
    let gamma = reshape::<B, 4>(gamma, [1, groups, cg, 1]);
    let beta = reshape::<B, 4>(beta, [1, groups, cg, 1]);
    let y = B::float_add(B::float_mul(xhat.clone(), gamma), beta);
    Forward { y: reshape::<B, 4>(y, [n, c, h, w]), xhat, rstd }
}

#[cfg(feature = "autodiff")]
/// Gradients with respect to `x`, `gamma` and `beta` (the last two only when asked for).
struct Grads<B: Backend> {
    x: FloatTensor<B>,
    gamma: Option<FloatTensor<B>>,
    beta: Option<FloatTensor<B>>,
}

#[cfg(feature = "autodiff")]
/// With `x̂ = (x − mean)·rstd` (saved by the forward) and `g = dy·γ`, over each group of `M` values:
/// `dx = rstd·(g − mean(g) − x̂·mean(g·x̂))`, `dγ = Σ dy·x̂`, `dβ = Σ dy` (over N, H, W).
/// The group means come from per-channel sums: `mean(g) = Σ_c γ_c Σ_hw dy / M`.
fn backward<B: Backend>(
    dy: FloatTensor<B>,
    xhat: FloatTensor<B>,
    rstd: FloatTensor<B>,
    gamma: FloatTensor<B>,
    groups: usize,
    want_gamma: bool,
    want_beta: bool,
) -> Grads<B> {
    let [n, c, h, w] = dims4::<B>(&dy);
    let (cg, hw) = (c / groups, h * w);
    let dy = reshape::<B, 4>(dy, [n, groups, cg, hw]);
    let rstd = reshape::<B, 4>(rstd, [n, groups, 1, 1]);
    let gamma = reshape::<B, 4>(gamma, [1, groups, cg, 1]);
    // Per sample and channel, [N, G, C/G, 1].
    let sum_dy = B::float_sum_dim(dy.clone(), 3);
    let sum_dy_xhat = B::float_sum_dim(B::float_mul(dy.clone(), xhat.clone()), 3);
    let per_channel = |t: FloatTensor<B>| reshape::<B, 1>(B::float_sum_dim(t, 0), [c]);
    let grad_beta = want_beta.then(|| per_channel(sum_dy.clone()));
    let grad_gamma = want_gamma.then(|| per_channel(sum_dy_xhat.clone()));
    // Group means of g and g·x̂, [N, G, 1, 1].
    let inv_m = (1.0 / (cg * hw) as f64).into();
    let group_mean = |t: FloatTensor<B>| B::float_mul_scalar(B::float_sum_dim(B::float_mul(t, gamma.clone()), 2), inv_m);
    let mean_g = group_mean(sum_dy);
    let mean_g_xhat = group_mean(sum_dy_xhat);
    let g = B::float_mul(dy, gamma.clone());
    let dx = B::float_sub(B::float_sub(g, mean_g), B::float_mul(xhat, mean_g_xhat));
    let dx = B::float_mul(dx, rstd);
    Grads { x: reshape::<B, 4>(dx, [n, c, h, w]), gamma: grad_gamma, beta: grad_beta }
}

#[cfg(feature = "autodiff")]
mod autodiff {
    use super::*;
    use burn::backend::Autodiff;
    use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};

    #[derive(Debug)]
    struct GroupNormBackward {
        groups: usize,
    }

    impl<B: Backend> Backward<B, 3> for GroupNormBackward {
        /// `x̂`, `rstd`, `gamma`.
        type State = (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>);

        fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
            let [node_x, node_gamma, node_beta] = ops.parents;
            let dy = grads.consume::<B>(&ops.node);
            let (xhat, rstd, gamma) = ops.state;
            let g = backward::<B>(dy, xhat, rstd, gamma, self.groups, node_gamma.is_some(), node_beta.is_some());
            if let Some(node) = node_x {
                grads.register::<B>(node.id, g.x);
            }
            if let (Some(node), Some(grad)) = (node_gamma, g.gamma) {
                grads.register::<B>(node.id, grad);
            }
            if let (Some(node), Some(grad)) = (node_beta, g.beta) {
                grads.register::<B>(node.id, grad);
            }
        }
    }

    impl<B: Backend, C: CheckpointStrategy> GroupNormBackend for Autodiff<B, C> {
        fn group_norm(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            groups: usize,
            epsilon: f64,
        ) -> FloatTensor<Self> {
            let (x, node_x) = x.into_parts();
            let (gamma, node_gamma) = gamma.into_parts();
            let (beta, node_beta) = beta.into_parts();
            let prep = GroupNormBackward { groups }.prepare::<C>([node_x, node_gamma, node_beta]);
            match prep.compute_bound().stateful() {
                OpsKind::Tracked(prep) => {
                    let f = forward::<B>(x, gamma.clone(), beta, groups, epsilon);
                    prep.finish((f.xhat, f.rstd, gamma), f.y)
                }
                OpsKind::UnTracked(prep) => prep.finish(forward::<B>(x, gamma, beta, groups, epsilon).y),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::GroupNormConfig;
    use burn::tensor::{Device, Distribution};

    fn input(device: &Device) -> (Tensor<4>, Tensor<1>, Tensor<1>) {
        let x = Tensor::<4>::random([2, 6, 5, 3], Distribution::Normal(0.5, 2.0), device);
        let gamma = Tensor::<1>::random([6], Distribution::Normal(1.0, 0.5), device);
        let beta = Tensor::<1>::random([6], Distribution::Normal(0.0, 0.5), device);
        (x, gamma, beta)
    }

    /// burn's own group norm (3 groups) with our γ and β: the reference.
    fn burns(gamma: &Tensor<1>, beta: &Tensor<1>, device: &Device) -> burn::nn::GroupNorm {
        let mut reference = GroupNormConfig::new(3, 6).init(device);
        reference.gamma = Some(burn::module::Param::from_tensor(gamma.clone()));
        reference.beta = Some(burn::module::Param::from_tensor(beta.clone()));
        reference
    }

    fn max_diff(a: Tensor<4>, b: Tensor<4>) -> f32 {
        (a - b).abs().max().into_scalar::<f32>()
    }

    #[test]
    fn equals_burns_group_norm_forward() {
        let device = Device::flex();
        let (x, gamma, beta) = input(&device);
        let reference = burns(&gamma, &beta, &device);
        let ours = group_norm(x.clone(), gamma, beta, 3, 1e-5);
        assert_eq!(ours.dims(), [2, 6, 5, 3]);
        assert!(max_diff(ours, reference.forward(x)) < 1e-5);
    }

    #[test]
    fn each_group_has_zero_mean_and_unit_variance_before_the_affine() {
        let device = Device::flex();
        let (x, _, _) = input(&device);
        let y = group_norm(x, Tensor::ones([6], &device), Tensor::zeros([6], &device), 2, 1e-5);
        let groups = y.reshape([2, 2, 45]);
        let mean = groups.clone().mean_dim(2);
        let var = (groups - mean.clone()).square().mean_dim(2);
        assert!(mean.abs().max().into_scalar::<f32>() < 1e-5);
        assert!((var - 1.0).abs().max().into_scalar::<f32>() < 1e-3);
    }

    #[test]
    fn rejects_channels_that_do_not_split_into_groups() {
        let device = Device::flex();
        let (x, gamma, beta) = input(&device);
        let failed = std::panic::catch_unwind(|| group_norm(x, gamma, beta, 4, 1e-5));
        assert!(failed.is_err());
    }

    /// Gradients of `sum(w · group_norm(x))` for a fixed random `w`, ours against burn's
    /// decomposition differentiated by autodiff.
    #[cfg(feature = "autodiff")]
    #[test]
    fn gradients_equal_burns_autodiff() {
        let device = Device::flex().autodiff();
        let (x, gamma, beta) = input(&device);
        let weight = Tensor::<4>::random([2, 6, 5, 3], Distribution::Normal(0.0, 1.0), &device);
        let grads = |ours: bool| {
            let (x, gamma, beta) = (x.clone().require_grad(), gamma.clone().require_grad(), beta.clone().require_grad());
            let y = if ours {
                group_norm(x.clone(), gamma.clone(), beta.clone(), 3, 1e-5)
            } else {
                burns(&gamma, &beta, &device).forward(x.clone())
            };
            let g = (y * weight.clone()).sum().backward();
            (x.grad(&g).unwrap(), gamma.grad(&g).unwrap(), beta.grad(&g).unwrap())
        };
        let (ours, theirs) = (grads(true), grads(false));
        assert!(max_diff(ours.0, theirs.0) < 1e-4);
        let diff1 = |a: Tensor<1>, b: Tensor<1>| (a - b).abs().max().into_scalar::<f32>();
        assert!(diff1(ours.1, theirs.1) < 1e-4);
        assert!(diff1(ours.2, theirs.2) < 1e-4);
    }

    /// A frozen affine (the teacher's, in distillation) gets no gradient; the input still does.
    #[cfg(feature = "autodiff")]
    #[test]
    fn only_tracked_inputs_get_gradients() {
        let device = Device::flex().autodiff();
        let (x, gamma, beta) = input(&device);
        let x = x.require_grad();
        let g = group_norm(x.clone(), gamma.clone(), beta, 3, 1e-5).sum().backward();
        assert_eq!(x.grad(&g).unwrap().dims(), [2, 6, 5, 3]);
        assert!(gamma.grad(&g).is_none());
    }
}
