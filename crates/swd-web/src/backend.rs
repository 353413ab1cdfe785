//! Opening burn's device in the browser: WebGPU through `init_async`, or burn's CPU backend
//! (flex, compiled into the same module) when WebGPU is missing, only a software fallback, or
//! asked for.

use burn::tensor::Device;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::options::BackendChoice;

pub struct Opened {
    pub device: Device,
    /// "webgpu" or "cpu".
    pub name: &'static str,
    /// Why this backend: the adapter used, or why WebGPU was not.
    pub reason: String,
}

/// What `navigator.gpu.requestAdapter()` says: `Ok(is_fallback)` or why there is none.
async fn probe_adapter() -> Result<bool, String> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).map_err(|_| "no navigator".to_string())?;
    let gpu = Reflect::get(&navigator, &"gpu".into()).unwrap_or(JsValue::UNDEFINED);
    if gpu.is_undefined() || gpu.is_null() {
        return Err("navigator.gpu is missing (this browser or context has no WebGPU)".into());
    }
    let request: Function = Reflect::get(&gpu, &"requestAdapter".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or("navigator.gpu.requestAdapter is missing")?;
    let promise: Promise = request.call0(&gpu).map_err(|e| format!("requestAdapter threw {e:?}"))?.unchecked_into();
    let adapter = JsFuture::from(promise).await.map_err(|e| format!("requestAdapter failed: {e:?}"))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("no WebGPU adapter is available".into());
    }
    // `isFallbackAdapter` moved from the adapter to `adapter.info` in newer browsers.
    let flag = |obj: &JsValue| Reflect::get(obj, &"isFallbackAdapter".into()).ok().and_then(|v| v.as_bool());
    let info = Reflect::get(&adapter, &"info".into()).unwrap_or(JsValue::UNDEFINED);
    Ok(flag(&adapter).or_else(|| flag(&info)).unwrap_or(false))
}

async fn webgpu() -> Result<Device, String> {
    let device = Device::wgpu_options().init_async().await.map_err(|e| format!("WebGPU initialisation failed: {e:?}"))?;
    Ok(device)
}

fn cpu(reason: String) -> Opened {
    Opened { device: Device::flex(), name: "cpu", reason }
}

pub async fn open(choice: BackendChoice) -> Result<Opened, String> {
    match choice {
        BackendChoice::Cpu => Ok(cpu("requested".into())),
        BackendChoice::WebGpu => {
            probe_adapter().await?;
            let device = webgpu().await?;
            let reason = format!("requested; adapter {:?}", device.identity());
            Ok(Opened { device, name: "webgpu", reason })
        }
        BackendChoice::Auto => match probe_adapter().await {
            Err(why) => Ok(cpu(format!("WebGPU unavailable: {why}"))),
            Ok(true) => Ok(cpu("the WebGPU adapter is a software fallback; burn's CPU backend is faster".into())),
            Ok(false) => match webgpu().await {
                Ok(device) => {
                    let reason = format!("adapter {:?}", device.identity());
                    Ok(Opened { device, name: "webgpu", reason })
                }
                Err(why) => Ok(cpu(why)),
            },
        },
    }
}
