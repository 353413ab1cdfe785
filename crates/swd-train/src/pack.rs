//! Writing many small tensors into one flat buffer with few kernel launches.
//!
//! The flat optimizer packs every parameter's gradient into one buffer each step. As
//! `slice_assign`s that is one launch per parameter tensor (~200 a step for our UNet, three times
//! that in a distillation step, fusion does not merge them). Here one kernel copies up to [`PARTS`]
//! tensors per launch. On wgpu it is a cubecl kernel of our own; on the other backends the same
//! `slice_assign`s as before. The arity is fixed because burn's backend extensions take a fixed
//! list of tensors; nine storage buffers (the buffer, the parts, cubecl's metadata) fit every
//! native Vulkan driver.

use burn::backend::{Backend, Dispatch, TensorMetadata, backend_extension, tensor::FloatTensor};
use burn::tensor::{Slice, Tensor};

/// Tensors one launch copies.
pub const PARTS: usize = 8;

/// `flat` with every `(offset, part)` written at `offset`: `flat` `[total]`, each part 1-D.
/// Offsets and lengths must lie within `flat`; parts must not overlap.
pub fn write_parts(flat: Tensor<1>, parts: Vec<(usize, Tensor<1>)>) -> Tensor<1> {
    let mut flat = flat.into_dispatch();
    let mut parts = parts.into_iter().peekable();
    while let Some((first_offset, first)) = parts.next() {
        let mut group = vec![(first_offset, first.into_dispatch())];
        while group.len() < PARTS {
            let Some((offset, part)) = parts.next() else { break };
            group.push((offset, part.into_dispatch()));
        }
        let lens: [usize; PARTS] = std::array::from_fn(|i| group.get(i).map_or(0, |(_, p)| p.shape().num_elements()));
        let offsets: [usize; PARTS] = std::array::from_fn(|i| group.get(i).map_or(0, |(o, _)| *o));
        // A short group repeats its first part in the empty slots, with length 0: never read.
        let filler = group[0].1.clone();
        let mut tensors = group.into_iter().map(|(_, p)| p).chain(std::iter::repeat(filler));
        let mut next = || tensors.next().expect("an endless iterator");
        flat = <Dispatch as PackBackend>::write_parts(flat, next(), next(), next(), next(), next(), next(), next(), next(), offsets, lens);
    }
    Tensor::from_dispatch(flat)
}

/// The operation on a backend. The default body (flex) is one `slice_assign` per part.
#[backend_extension(Flex, Cube, Fusion)]
pub trait PackBackend: Backend {
    /// `flat` with `p_i` (`lens[i]` values, 1-D) written at `offsets[i]`, for `lens[i] > 0`.
    #[allow(clippy::too_many_arguments)]
    #[fusion(dtype = flat, shape = flat)]
    fn write_parts(
        flat: FloatTensor<Self>,
        p0: FloatTensor<Self>,
        p1: FloatTensor<Self>,
        p2: FloatTensor<Self>,
        p3: FloatTensor<Self>,
        p4: FloatTensor<Self>,
        p5: FloatTensor<Self>,
        p6: FloatTensor<Self>,
        p7: FloatTensor<Self>,
        offsets: [usize; PARTS],
        lens: [usize; PARTS],
    ) -> FloatTensor<Self> {
        let parts = [p0, p1, p2, p3, p4, p5, p6, p7];
        let mut flat = flat;
        for ((part, offset), len) in parts.into_iter().zip(offsets).zip(lens) {
            if len > 0 {
                flat = Self::float_slice_assign(flat, &[Slice::from(offset..offset + len)], part);
            }
        }
        flat
    }
}

impl PackBackend for burn::backend::Flex {}

mod cube {
    use super::{PARTS, PackBackend};
    use burn_backend::cubecl::dtype_to_storage_type;
    use burn_cubecl::kernel::into_contiguous;
    use burn_cubecl::{CubeBackend, tensor::CubeTensor};
    use cubecl::{calculate_cube_count_elemwise, prelude::*};

    /// Thread `i` copies element `i` of the parts laid end to end: part `k` covers
    /// `ends[k-1]..ends[k]` and lands at `offsets[k]` of `flat`.
    #[allow(clippy::too_many_arguments)]
    #[cube(launch_unchecked, address_type = "dynamic")]
    fn write_parts_kernel<E: Numeric>(
        flat: &mut Tensor<E>,
        p0: &Tensor<E>,
        p1: &Tensor<E>,
        p2: &Tensor<E>,
        p3: &Tensor<E>,
        p4: &Tensor<E>,
        p5: &Tensor<E>,
        p6: &Tensor<E>,
        p7: &Tensor<E>,
        ends: Sequence<usize>,
        offsets: Sequence<usize>,
        #[define(E)] _dtype: ElemType,
    ) {
        let pos = ABSOLUTE_POS;
        if pos >= ends[7] {
            terminate!();
        }
        if pos < ends[0] {
            flat[offsets[0] + pos] = p0[pos];
        } else if pos < ends[1] {
            flat[offsets[1] + pos - ends[0]] = p1[pos - ends[0]];
        } else if pos < ends[2] {
            flat[offsets[2] + pos - ends[1]] = p2[pos - ends[1]];
        } else if pos < ends[3] {
            flat[offsets[3] + pos - ends[2]] = p3[pos - ends[2]];
        } else if pos < ends[4] {
            flat[offsets[4] + pos - ends[3]] = p4[pos - ends[3]];
        } else if pos < ends[5] {
            flat[offsets[5] + pos - ends[4]] = p5[pos - ends[4]];
        } else if pos < ends[6] {
            flat[offsets[6] + pos - ends[5]] = p6[pos - ends[5]];
        } else {
            flat[offsets[7] + pos - ends[6]] = p7[pos - ends[6]];
        }
    }

    impl PackBackend for CubeBackend {
        fn write_parts(
            flat: CubeTensor,
            p0: CubeTensor,
            p1: CubeTensor,
            p2: CubeTensor,
            p3: CubeTensor,
            p4: CubeTensor,
            p5: CubeTensor,
            p6: CubeTensor,
            p7: CubeTensor,
            offsets: [usize; PARTS],
            lens: [usize; PARTS],
        ) -> CubeTensor {
            let flat = if flat.can_mut() && flat.is_nonoverlapping() { into_contiguous(flat) } else { into_contiguous(flat.copy()) };
            let parts = [p0, p1, p2, p3, p4, p5, p6, p7].map(into_contiguous);
            let (mut ends, mut starts) = (SequenceArg::<usize>::new(), SequenceArg::<usize>::new());
            let mut end = 0;
            for (len, offset) in lens.into_iter().zip(offsets) {
                end += len;
                ends.push(end);
                starts.push(offset);
            }
            if end == 0 {
                return flat;
            }
            let client = flat.client.clone();
            let cube_dim = CubeDim::new(&client, end);
            let cube_count = calculate_cube_count_elemwise(&client, end, cube_dim);
            let address = parts.iter().map(CubeTensor::required_address_type).fold(flat.required_address_type(), Ord::max);
            let dtype = dtype_to_storage_type(flat.dtype);
            let [p0, p1, p2, p3, p4, p5, p6, p7] = parts.map(CubeTensor::into_tensor_arg);
            // SAFETY: every index the kernel writes or reads is below `offsets[k] + lens[k]` ≤
            // `flat`'s length (the caller's contract) or below the part's own length.
            unsafe {
                write_parts_kernel::launch_unchecked(
                    &client,
                    cube_count,
                    cube_dim,
                    address,
                    flat.clone().into_tensor_arg(),
                    p0,
                    p1,
                    p2,
                    p3,
                    p4,
                    p5,
                    p6,
                    p7,
                    ends,
                    starts,
                    dtype,
                )
            };
            flat
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn ramp(n: usize, start: f32, device: &Device) -> Tensor<1> {
        let values: Vec<f32> = (0..n).map(|i| start + i as f32).collect();
        Tensor::from_data(TensorData::new(values, [n]), device)
    }

    /// What `write_parts` must give: one slice_assign per part.
    fn expected(total: usize, parts: &[(usize, Tensor<1>)]) -> Vec<f32> {
        let mut out = vec![0.0; total];
        for (offset, p) in parts {
            let v = p.clone().into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
            out[*offset..*offset + v.len()].copy_from_slice(&v);
        }
        out
    }

    fn check(device: &Device) {
        // 19 parts (two full launches and a short one), odd sizes, gaps left zero.
        let mut parts = Vec::new();
        let mut offset = 3;
        for k in 0..19 {
            let n = 1 + (k * 7) % 13;
            parts.push((offset, ramp(n, 100.0 * k as f32, device)));
            offset += n + k % 3;
        }
        let total = offset + 5;
        let want = expected(total, &parts);
        let got = write_parts(Tensor::zeros([total], device), parts).into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
        assert_eq!(got, want);
    }

    #[test]
    fn writes_every_part_at_its_offset_on_the_cpu() {
        check(&Device::flex());
    }

    #[test]
    fn writes_every_part_at_its_offset_on_wgpu() {
        check(&Device::wgpu(Default::default()));
    }

    #[test]
    fn a_shared_buffer_is_copied_not_overwritten() {
        let device = Device::wgpu(Default::default());
        let flat = Tensor::<1>::zeros([6], &device);
        let kept = flat.clone();
        let written = write_parts(flat, vec![(2, ramp(3, 1.0, &device))]);
        assert_eq!(written.into_data().try_into_vec::<f32>().unwrap(), [0.0, 0.0, 1.0, 2.0, 3.0, 0.0]);
        assert_eq!(kept.into_data().try_into_vec::<f32>().unwrap(), [0.0; 6]);
    }
}
