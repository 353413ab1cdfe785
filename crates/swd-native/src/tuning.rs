//! Where cubecl keeps what it learns about a GPU — autotune results, in builds with the `gpu`
//! feature: one database per GPU model in the user's cache directory
//! (`~/.cache/cubecl/<adapter>.db`), since cubecl's cache key names no GPU and a result tuned on
//! one card is wrong for another. Set before the first wgpu device opens; `CUBECL_ENVIRONMENT`
//! and a `cubecl.toml` still win.

use std::sync::OnceLock;

use burn::cubecl::config::cache::CacheConfig;
use burn::cubecl::config::{CubeClRuntimeConfig, RuntimeConfig};

/// Whether this build tunes kernels (burn's `autotune` + `persistence`).
pub const AUTOTUNE: bool = cfg!(feature = "gpu");

/// The environment this process's wgpu devices use: its name and the folder of its database.
#[derive(Debug, Clone)]
pub struct Environment {
    pub name: String,
    pub folder: std::path::PathBuf,
}

/// Names the cubecl environment after the first Vulkan adapter, once per process.
pub fn configure() -> &'static Environment {
    static ENV: OnceLock<Environment> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut config = CubeClRuntimeConfig::from_current_dir().override_from_env();
        if std::env::var_os("CUBECL_ENVIRONMENT").is_none()
            && let Some(adapter) = adapter_name()
        {
            config.environment.name = sanitize(&adapter);
        }
        // cubecl's default is `<workspace>/target/environment`, which a shipped binary run
        // elsewhere does not have: the user's cache, unless a cubecl.toml chose a place.
        if matches!(config.environment.path, CacheConfig::Target) {
            config.environment.path = CacheConfig::Global;
        }
        let env = Environment { name: config.environment.name.clone(), folder: config.environment.path.root() };
        // Refused only when a device opened first; then cubecl's own choice stands.
        CubeClRuntimeConfig::try_set(config);
        env
    })
}

/// The adapter cubecl's default device comes up on: the first Vulkan one, e.g. `NVIDIA H200` or
/// `llvmpipe (LLVM 15.0.6, 256 bits)`, else (no Vulkan driver) the first of any backend.
fn adapter_name() -> Option<String> {
    [wgpu::Backends::VULKAN, wgpu::Backends::all()].into_iter().find_map(|backends| adapters(backends).first().map(|a| a.name.clone()))
}

/// The adapters wgpu finds on `backends`, in its order.
pub fn adapters(backends: wgpu::Backends) -> Vec<wgpu::AdapterInfo> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor { backends, ..wgpu::InstanceDescriptor::new_without_display_handle() });
    futures_lite::future::block_on(instance.enumerate_adapters(backends)).iter().map(|a| a.get_info()).collect()
}

/// An adapter name as a file name: letters, digits, `.`, `_` and `-`; the rest `_`.
fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adapter_names_become_file_names() {
        assert_eq!(sanitize("NVIDIA H200"), "NVIDIA_H200");
        assert_eq!(sanitize("llvmpipe (LLVM 15.0.6, 256 bits)"), "llvmpipe__LLVM_15.0.6__256_bits_");
    }
}
