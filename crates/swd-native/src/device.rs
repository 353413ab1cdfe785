//! `--device` to a burn device.

use burn::tensor::Device;

use crate::cli::DeviceArg;

pub fn device(arg: DeviceArg) -> Device {
    match arg {
        DeviceArg::Cpu => Device::flex(),
        DeviceArg::Wgpu => Device::wgpu(Default::default()),
    }
}

/// A short name of the device for reports.
pub fn describe(arg: DeviceArg, device: &Device) -> String {
    match (arg, device.identity()) {
        (DeviceArg::Wgpu, Some(id)) => format!("wgpu ({id:?})"),
        (DeviceArg::Wgpu, None) => "wgpu".into(),
        (DeviceArg::Cpu, _) => "cpu (flex)".into(),
    }
}
