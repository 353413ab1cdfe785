//! `--device` to a burn device.

use burn::tensor::{Device, DeviceIdentity};

use crate::cli::DeviceArg;

pub fn device(arg: DeviceArg) -> Device {
    match arg {
        DeviceArg::Cpu => Device::flex(),
        DeviceArg::Wgpu => Device::wgpu(Default::default()),
    }
}

/// A short name of the device for reports, e.g. `wgpu: NVIDIA H100 PCIe`.
pub fn describe(arg: DeviceArg, device: &Device) -> String {
    match (arg, device.identity()) {
        (DeviceArg::Wgpu, Some(id)) => format!("wgpu: {}", readable(&id)),
        (DeviceArg::Wgpu, None) => "wgpu".into(),
        (DeviceArg::Cpu, _) => "cpu (flex)".into(),
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
        let card = DeviceIdentity {
            name: "NVIDIA H200".into(),
            fingerprint: "spirv_4318_9013".into(),
            physical: Some(Default::default()),
        };
        assert_eq!(readable(&card), "NVIDIA H200");
        let lavapipe = DeviceIdentity { name: "llvmpipe (LLVM 15.0.6, 256 bits)".into(), fingerprint: "spirv_65541_0".into(), physical: None };
        assert_eq!(readable(&lavapipe), "llvmpipe (LLVM 15.0.6, 256 bits) (software)");
    }
}
