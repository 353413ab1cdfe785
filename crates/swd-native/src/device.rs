//! `--device`: which burn device a command runs on.

use anyhow::{Result, bail};
use burn::tensor::{Device, DeviceIdentity};
use clap::ValueEnum;
use swd_core::ops::conv::{self, ConvAlgorithm};

use crate::ranks::Job;

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DeviceKind {
    /// burn's flex backend on the CPU.
    Cpu,
    /// burn's wgpu backend (Vulkan natively; Mesa lavapipe when there is no GPU).
    Wgpu,
}

#[derive(clap::Args, Debug, Clone, Copy)]
pub struct DeviceArgs {
    #[arg(long, value_enum, default_value_t = DeviceKind::Cpu)]
    pub device: DeviceKind,
    /// How convolutions run: burn's kernels, or im2col + one matrix multiply per pass (stride-1
    /// convolutions; GEMMs on a GPU, where burn's direct kernels are slow). Same results either way.
    #[arg(long, value_enum, default_value_t = ConvAlgorithm::Direct)]
    pub conv: ConvAlgorithm,
    /// With `--device wgpu`: the index of the discrete GPU to use (default: wgpu's choice; in a
    /// data-parallel job, the rank's index among the ranks on its machine).
    #[arg(long, value_name = "N")]
    pub adapter: Option<usize>,
}

impl DeviceArgs {
    /// The device, with `--conv` set for the whole process.
    pub fn open(&self) -> Device {
        conv::set_algorithm(self.conv);
        match self.device {
            DeviceKind::Cpu => Device::flex(),
            DeviceKind::Wgpu => {
                crate::tuning::configure();
                Device::wgpu(self.adapter.map_or(burn::tensor::DeviceKind::DefaultDevice, burn::tensor::DeviceKind::DiscreteGpu))
            }
        }
    }

    /// The device of one rank of `job`: with `--device wgpu` and several ranks, the discrete GPU
    /// of the rank's local index unless `--adapter` chose one (a machine without discrete GPUs,
    /// lavapipe, gives every rank its default adapter).
    pub fn open_rank(&self, job: &Job) -> Result<Device> {
        if self.device == DeviceKind::Wgpu && self.adapter.is_none() && job.world.size() > 1 {
            let discrete =
                crate::tuning::adapters(wgpu::Backends::VULKAN).iter().filter(|a| a.device_type == wgpu::DeviceType::DiscreteGpu).count();
            if discrete > 0 {
                if job.local_rank >= discrete {
                    bail!(
                        "rank {} is rank {} on its machine, which has {discrete} discrete GPUs: start at most one rank per GPU",
                        job.world.rank(),
                        job.local_rank
                    );
                }
                return Ok(Self { adapter: Some(job.local_rank), ..*self }.open());
            }
        }
        Ok(self.open())
    }

    /// [`describe`](Self::describe), prefixed with the rank in a job of several.
    pub fn describe_rank(&self, device: &Device, job: &Job) -> String {
        match job.world.size() {
            1 => self.describe(device),
            n => format!("rank {} of {n} (local {}), {}", job.world.rank(), job.local_rank, self.describe(device)),
        }
    }

    /// A short name of the device for reports, e.g. `wgpu: NVIDIA H100 PCIe`.
    /// With `--conv im2col`, it says so: `wgpu: NVIDIA H100 PCIe, im2col convolutions`.
    pub fn describe(&self, device: &Device) -> String {
        let name = match (self.device, device.identity()) {
            (DeviceKind::Wgpu, Some(id)) => format!("wgpu: {}", readable(&id)),
            (DeviceKind::Wgpu, None) => "wgpu".into(),
            (DeviceKind::Cpu, _) => "cpu (flex)".into(),
        };
        match self.conv {
            ConvAlgorithm::Direct => name,
            other => format!("{name}, {other} convolutions"),
        }
    }
}

/// The adapter's own name, marked "software" when no card is behind it (lavapipe, SwiftShader).
/// (The identity's `fingerprint`, `spirv_<vendor>_<device>`, is printed by WGSL builds too: it
/// names a cache namespace, not the compiler, so it stays out.)
fn readable(id: &DeviceIdentity) -> String {
    if id.physical.is_none() { format!("{} (software)", id.name) } else { id.name.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_card_and_marks_software_adapters() {
        let card = DeviceIdentity { name: "NVIDIA H200".into(), fingerprint: "spirv_4318_9013".into(), physical: Some(Default::default()) };
        assert_eq!(readable(&card), "NVIDIA H200");
        let lavapipe =
            DeviceIdentity { name: "llvmpipe (LLVM 15.0.6, 256 bits)".into(), fingerprint: "spirv_65541_0".into(), physical: None };
        assert_eq!(readable(&lavapipe), "llvmpipe (LLVM 15.0.6, 256 bits) (software)");
    }
}
