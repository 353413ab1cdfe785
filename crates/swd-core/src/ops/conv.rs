//! Convolution as gathered windows and one matrix multiply (im2col), chosen per process.
//!
//! burn-cubecl 0.22.1 runs a 3×3 f32 convolution's forward with an untiled direct kernel (its GEMM
//! paths are autotune candidates for the gradients only), and without autotune its weight gradient
//! is a direct convolution whose kernel is the whole feature map. Here a stride-1 "same"
//! convolution is three GEMMs: the forward is `windows(x) · W`; the data gradient is the same
//! operation on `dy` with the kernel flipped and its channels swapped; the weight gradient is
//! `windows(x)ᵀ · dy`. The windows (k² times the input) are gathered again in the backward rather
//! than saved. Which algorithm runs is a process-wide setting (`--conv` in the CLI), because it is
//! a property of the engine, not of a model or its weights.

use std::cell::Cell;
use std::str::FromStr;
use std::sync::atomic::{AtomicU8, Ordering};

use super::{dims4, reshape};
use burn::backend::{Backend, Dispatch, backend_extension, tensor::FloatTensor};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::tensor::Tensor;
use burn::tensor::ops::PadMode;

/// How convolutions run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ConvAlgorithm {
    /// burn's own convolution kernels.
    #[default]
    Direct,
    /// Windows gathered channels-last and one matrix multiply per pass, for every stride-1,
    /// undilated, ungrouped convolution with an odd kernel and "same" padding; burn's kernels for
    /// the others (the stride-2 downsampling).
    Im2col,
}

impl ConvAlgorithm {
    pub const ALL: [Self; 2] = [Self::Direct, Self::Im2col];

    pub fn name(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Im2col => "im2col",
        }
    }
}

impl std::fmt::Display for ConvAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ConvAlgorithm {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|a| a.name() == s).ok_or_else(|| {
            let names: Vec<_> = Self::ALL.iter().map(|a| a.name()).collect();
            format!("unknown convolution algorithm '{s}' (expected one of: {})", names.join(", "))
        })
    }
}

static ALGORITHM: AtomicU8 = AtomicU8::new(ConvAlgorithm::Direct as u8);

thread_local! {
    /// [`with_algorithm`]'s choice, for this thread only.
    static SCOPED: Cell<Option<ConvAlgorithm>> = const { Cell::new(None) };
}

/// Sets the algorithm every later [`forward`] uses, in every thread.
pub fn set_algorithm(algorithm: ConvAlgorithm) {
    ALGORITHM.store(algorithm as u8, Ordering::Relaxed);
}

/// Runs `f` with `algorithm` for this thread's convolutions (tests compare the two in one process).
pub fn with_algorithm<R>(algorithm: ConvAlgorithm, f: impl FnOnce() -> R) -> R {
    let before = SCOPED.with(|s| s.replace(Some(algorithm)));
    let out = f();
    SCOPED.with(|s| s.set(before));
    out
}

/// The algorithm [`forward`] uses now, in this thread.
pub fn algorithm() -> ConvAlgorithm {
    SCOPED.with(Cell::get).unwrap_or_else(|| {
        if ALGORITHM.load(Ordering::Relaxed) == ConvAlgorithm::Im2col as u8 { ConvAlgorithm::Im2col } else { ConvAlgorithm::Direct }
    })
}

/// `conv.forward(x)` with the process's [`algorithm`]. `x` `[N, C, H, W]` → `[N, O, H', W']`.
pub fn forward(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    forward_with(algorithm(), conv, x)
}

/// `conv.forward(x)` with the given algorithm (im2col only where it applies).
pub fn forward_with(algorithm: ConvAlgorithm, conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    match algorithm {
        ConvAlgorithm::Im2col if im2col_applies(conv) => conv2d_im2col(x, conv.weight.val(), conv.bias.as_ref().map(|b| b.val())),
        _ => conv.forward(x),
    }
}

/// Stride 1, no dilation or groups, an odd kernel and zero padding of (k − 1)/2 on every side.
fn im2col_applies(conv: &Conv2d) -> bool {
    let [kh, kw] = conv.kernel_size;
    let half = match conv.padding {
        // At stride 1 and an odd kernel, "same" pads (k − 1)/2 on either side.
        PaddingConfig2d::Same => true,
        PaddingConfig2d::Valid => kh == 1 && kw == 1,
        PaddingConfig2d::Explicit(top, left, bottom, right) => [top, bottom] == [kh / 2; 2] && [left, right] == [kw / 2; 2],
    };
    conv.stride == [1, 1] && conv.dilation == [1, 1] && conv.groups == 1 && kh % 2 == 1 && kw % 2 == 1 && half
}

/// A stride-1 convolution with zero padding (k − 1)/2, as im2col and matmuls in all three passes.
///
/// `x` `[N, C, H, W]`, `weight` `[O, C, kH, kW]` (odd kH, kW), `bias` `[O]` → `[N, O, H, W]`.
pub fn conv2d_im2col(x: Tensor<4>, weight: Tensor<4>, bias: Option<Tensor<1>>) -> Tensor<4> {
    let y = Tensor::from_dispatch(<Dispatch as Im2colBackend>::conv2d_same(x.into_dispatch(), weight.into_dispatch()));
    match bias {
        Some(b) => {
            let o = b.dims()[0];
            y + b.reshape([1, o, 1, 1])
        }
        None => y,
    }
}

/// The operation on a backend: burn primitives for every backend, and under autodiff a backward
/// of the same primitives (below).
#[backend_extension(Flex, Cube, Autodiff: cfg(feature = "autodiff"))]
pub trait Im2colBackend: Backend {
    fn conv2d_same(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self> {
        convolve::<Self>(x, weight)
    }
}

impl Im2colBackend for burn::backend::Flex {}
impl Im2colBackend for burn::backend::Cube {}

/// The kH×kW window around every pixel of `x` `[N, C, H, W]`, zero outside the image:
/// `[N·H·W, kH·kW·C]`, each row ordered (kh, kw, c).
fn windows<B: Backend>(x: FloatTensor<B>, kh: usize, kw: usize) -> FloatTensor<B> {
    let [n, c, h, w] = dims4::<B>(&x);
    let x = B::float_permute(x, &[0, 2, 3, 1]); // [N, H, W, C]
    if kh == 1 && kw == 1 {
        return reshape::<B, 2>(x, [n * h * w, c]);
    }
    let (ph, pw) = (kh / 2, kw / 2);
    let padded = B::float_pad(x, &[(0, 0), (ph, ph), (pw, pw), (0, 0)], PadMode::Constant(0.0));
    // Views: [N, H, W + 2pw, C, kH], then [N, H, W, C, kH, kW].
    let rows = B::float_unfold(padded, 1, kh, 1);
    let windows = B::float_unfold(rows, 2, kw, 1);
    reshape::<B, 2>(B::float_permute(windows, &[0, 1, 2, 4, 5, 3]), [n * h * w, kh * kw * c])
}

/// `weight` `[O, C, kH, kW]` as the matrix `[kH·kW·C, O]`, rows in the windows' order. A weight
/// stored channels-last (the optimizer keeps conv weights so) needs no copy.
fn weight_matrix<B: Backend>(weight: FloatTensor<B>) -> FloatTensor<B> {
    let [o, c, kh, kw] = dims4::<B>(&weight);
    let rows = reshape::<B, 2>(B::float_permute(weight, &[0, 2, 3, 1]), [o, kh * kw * c]);
    B::float_transpose(rows)
}

/// `[N, C, H, W]` ⊛ `[O, C, kH, kW]` → `[N, O, H, W]` (channels-last in memory, like burn's own).
fn convolve<B: Backend>(x: FloatTensor<B>, weight: FloatTensor<B>) -> FloatTensor<B> {
    let [n, _, h, w] = dims4::<B>(&x);
    let [o, _, kh, kw] = dims4::<B>(&weight);
    let y = B::float_matmul(windows::<B>(x, kh, kw), weight_matrix::<B>(weight));
    B::float_permute(reshape::<B, 4>(y, [n, h, w, o]), &[0, 3, 1, 2])
}

#[cfg(feature = "autodiff")]
/// `dx` is the same convolution of `dy` with `w̃[c, o, i, j] = w[o, c, kH−1−i, kW−1−j]`; `dW` is
/// `windows(x)ᵀ · dy`, laid back out as `[O, C, kH, kW]`. Each only when asked for.
fn backward<B: Backend>(
    dy: FloatTensor<B>,
    x: FloatTensor<B>,
    weight: FloatTensor<B>,
    want_x: bool,
    want_weight: bool,
) -> (Option<FloatTensor<B>>, Option<FloatTensor<B>>) {
    let [n, o, h, w] = dims4::<B>(&dy);
    let [_, c, kh, kw] = dims4::<B>(&weight);
    let dx = want_x.then(|| {
        let flipped = B::float_flip(B::float_swap_dims(weight.clone(), 0, 1), &[2, 3]);
        convolve::<B>(dy.clone(), flipped)
    });
    let dw = want_weight.then(|| {
        let dy_rows = reshape::<B, 2>(B::float_permute(dy, &[0, 2, 3, 1]), [n * h * w, o]);
        let g = B::float_matmul(B::float_transpose(windows::<B>(x, kh, kw)), dy_rows);
        B::float_permute(reshape::<B, 4>(g, [kh, kw, c, o]), &[3, 2, 0, 1])
    });
    (dx, dw)
}

#[cfg(feature = "autodiff")]
mod autodiff {
    use super::*;
    use burn::backend::Autodiff;
    use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};

    #[derive(Debug)]
    struct Conv2dSameBackward;

    impl<B: Backend> Backward<B, 2> for Conv2dSameBackward {
        /// `x`, `weight`.
        type State = (FloatTensor<B>, FloatTensor<B>);

        fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
            let [node_x, node_weight] = ops.parents;
            let dy = grads.consume::<B>(&ops.node);
            let (x, weight) = ops.state;
            let (dx, dw) = backward::<B>(dy, x, weight, node_x.is_some(), node_weight.is_some());
            if let (Some(node), Some(grad)) = (node_x, dx) {
                grads.register::<B>(node.id, grad);
            }
            if let (Some(node), Some(grad)) = (node_weight, dw) {
                grads.register::<B>(node.id, grad);
            }
        }
    }

    impl<B: Backend, C: CheckpointStrategy> Im2colBackend for Autodiff<B, C> {
        fn conv2d_same(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self> {
            let (x, node_x) = x.into_parts();
            let (weight, node_weight) = weight.into_parts();
            match Conv2dSameBackward.prepare::<C>([node_x, node_weight]).compute_bound().stateful() {
                OpsKind::Tracked(prep) => prep.finish((x.clone(), weight.clone()), convolve::<B>(x, weight)),
                OpsKind::UnTracked(prep) => prep.finish(convolve::<B>(x, weight)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::conv::Conv2dConfig;
    use burn::tensor::{Device, Distribution};

    fn max_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
        (a - b).abs().max().into_scalar::<f32>()
    }

    fn conv(cin: usize, cout: usize, k: [usize; 2], device: &Device) -> Conv2d {
        Conv2dConfig::new([cin, cout], k).with_padding(PaddingConfig2d::Same).init(device)
    }

    #[test]
    fn equals_burns_convolution_forward() {
        let device = Device::flex();
        for (k, [n, c, o, h, w]) in
            [([3, 3], [2, 5, 7, 9, 6]), ([1, 1], [2, 6, 3, 4, 5]), ([5, 3], [1, 3, 4, 8, 8]), ([3, 3], [1, 2, 2, 1, 1])]
        {
            let conv = conv(c, o, k, &device);
            let x = Tensor::<4>::random([n, c, h, w], Distribution::Normal(0.0, 1.0), &device);
            let ours = forward_with(ConvAlgorithm::Im2col, &conv, x.clone());
            assert_eq!(ours.dims(), [n, o, h, w]);
            let diff = max_diff(ours, conv.forward(x));
            assert!(diff < 1e-5, "kernel {k:?}, [{n}, {c}, {h}, {w}] -> {o}: {diff}");
        }
    }

    #[test]
    fn a_channels_last_weight_gives_the_same_result() {
        let device = Device::flex();
        let conv = conv(4, 6, [3, 3], &device);
        let x = Tensor::<4>::random([2, 4, 7, 7], Distribution::Normal(0.0, 1.0), &device);
        let weight = conv.weight.val();
        // [O, kH, kW, C] in memory, seen as [O, C, kH, kW]: how the optimizer stores conv weights.
        let channels_last = Tensor::<4>::from_data(weight.clone().permute([0, 2, 3, 1]).into_data(), &device).permute([0, 3, 1, 2]);
        let diff = max_diff(conv2d_im2col(x.clone(), channels_last, None), conv2d_im2col(x, weight, None));
        assert!(diff < 1e-6, "{diff}");
    }

    #[test]
    fn other_convolutions_run_burns_kernels() {
        let device = Device::flex();
        let x = Tensor::<4>::random([1, 3, 8, 8], Distribution::Normal(0.0, 1.0), &device);
        let strided =
            Conv2dConfig::new([3, 4], [3, 3]).with_stride([2, 2]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(&device);
        let valid = Conv2dConfig::new([3, 4], [3, 3]).init(&device);
        let even = conv(3, 4, [2, 2], &device);
        for conv in [strided, valid, even] {
            assert!(!im2col_applies(&conv));
            let ours = forward_with(ConvAlgorithm::Im2col, &conv, x.clone());
            assert_eq!(max_diff(ours, conv.forward(x.clone())), 0.0);
        }
        assert!(im2col_applies(&conv(3, 4, [3, 3], &device)));
        let explicit = Conv2dConfig::new([3, 4], [3, 3]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(&device);
        assert!(im2col_applies(&explicit) && im2col_applies(&Conv2dConfig::new([3, 4], [1, 1]).init(&device)));
    }

    #[test]
    fn the_setting_is_read_back_and_parsed_by_name() {
        for a in ConvAlgorithm::ALL {
            assert_eq!(a.name().parse::<ConvAlgorithm>(), Ok(a));
        }
        let err = "gemm".parse::<ConvAlgorithm>().unwrap_err();
        assert!(err.contains("'gemm'") && err.contains("direct, im2col"), "{err}");
        assert_eq!(algorithm(), ConvAlgorithm::Direct, "the default is burn's kernels");
        let inside = with_algorithm(ConvAlgorithm::Im2col, || (algorithm(), std::thread::spawn(algorithm).join().unwrap()));
        assert_eq!(inside, (ConvAlgorithm::Im2col, ConvAlgorithm::Direct), "scoped to this thread");
        assert_eq!(algorithm(), ConvAlgorithm::Direct, "restored afterwards");
    }

    #[cfg(feature = "autodiff")]
    #[test]
    fn gradients_equal_burns_autodiff() {
        let device = Device::flex().autodiff();
        for (k, [n, c, o, h, w]) in [([3, 3], [2, 3, 4, 6, 5]), ([1, 1], [2, 4, 3, 3, 3]), ([3, 5], [1, 2, 3, 5, 7])] {
            let conv = conv(c, o, k, &device);
            let x = Tensor::<4>::random([n, c, h, w], Distribution::Normal(0.0, 1.0), &device).require_grad();
            // A non-uniform upstream gradient, so a transposed or flipped term would show.
            let probe = Tensor::<4>::random([n, o, h, w], Distribution::Normal(0.0, 1.0), &device);
            let grads_of = |y: Tensor<4>| {
                let g = (y * probe.clone()).sum().backward();
                let gx = x.grad(&g).unwrap();
                let gw = conv.weight.grad(&g).unwrap();
                let gb = conv.bias.as_ref().unwrap().grad(&g).unwrap();
                (gx, gw, gb)
            };
            let ours = grads_of(forward_with(ConvAlgorithm::Im2col, &conv, x.clone()));
            let burns = grads_of(conv.forward(x.clone()));
            let (dx, dw, db) = (max_diff(ours.0, burns.0), max_diff(ours.1, burns.1), max_diff(ours.2, burns.2));
            assert!(dx < 1e-4 && dw < 1e-4 && db < 1e-4, "kernel {k:?}: dx {dx}, dw {dw}, db {db}");
        }
    }

    #[cfg(feature = "autodiff")]
    #[test]
    fn only_tracked_inputs_get_gradients() {
        let device = Device::flex().autodiff();
        let x = Tensor::<4>::random([1, 2, 4, 4], Distribution::Normal(0.0, 1.0), &device);
        let weight = Tensor::<4>::random([3, 2, 3, 3], Distribution::Normal(0.0, 1.0), &device).require_grad();
        let g = conv2d_im2col(x.clone(), weight.clone(), None).sum().backward();
        assert!(x.grad(&g).is_none());
        assert_eq!(weight.grad(&g).unwrap().dims(), [3, 2, 3, 3]);
    }
}
