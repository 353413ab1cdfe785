//! `--device` to a burn device.

use burn::tensor::{Device, DeviceIdentity};

use crate::cli::DeviceArg;

pub fn device(arg: DeviceArg) -> Device {
    match arg {
        DeviceArg::Cpu => Device::flex(),
        DeviceArg::Wgpu => Device::wgpu(Default::default()),
    }
}

/// A short name of the device for reports, e.g. `wgpu: NVIDIA H100 PCIe (spirv_4318_9013)`.
pub fn describe(arg: DeviceArg, device: &Device) -> String {
    match (arg, device.identity()) {
        (DeviceArg::Wgpu, Some(id)) => format!("wgpu: {}", readable(&id)),
        (DeviceArg::Wgpu, None) => "wgpu".into(),
        (DeviceArg::Cpu, _) => "cpu (flex)".into(),
    }
}

/// The adapter's own name, "software" when no card is behind it (lavapipe, SwiftShader), and
/// the compiler target that tells SPIR-V from WGSL.
fn readable(id: &DeviceIdentity) -> String {
    let software = if id.physical.is_none() { ", software" } else { "" };
    format!("{} ({}{software})", id.name, id.fingerprint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_card_and_the_compiler_target() {
        let card = DeviceIdentity {
            name: "NVIDIA H200".into(),
            fingerprint: "spirv_4318_9013".into(),
            physical: Some(Default::default()),
        };
        assert_eq!(readable(&card), "NVIDIA H200 (spirv_4318_9013)");
        let lavapipe = DeviceIdentity { name: "llvmpipe (LLVM 15.0.6, 256 bits)".into(), fingerprint: "spirv_65541_0".into(), physical: None };
        assert_eq!(readable(&lavapipe), "llvmpipe (LLVM 15.0.6, 256 bits) (spirv_65541_0, software)");
    }
}
