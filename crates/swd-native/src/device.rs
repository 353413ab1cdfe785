//! `--device`: which burn device a command runs on.

use burn::tensor::{Device, DeviceIdentity};
use clap::ValueEnum;
use swd_core::ops::conv::{self, ConvAlgorithm};

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
}

impl DeviceArgs {
    /// The device, with `--conv` set for the whole process.
    pub fn open(&self) -> Device {
        conv::set_algorithm(self.conv);
        match self.device {
            DeviceKind::Cpu => Device::flex(),
            DeviceKind::Wgpu => {
                crate::tuning::configure();
                Device::wgpu(Default::default())
            }
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
