//! The GPU connection: one `wgpu` instance, adapter, device and queue.
//!
//! [`GpuContext::headless`] is for offscreen work (tests, screenshots, benchmarks) and honours
//! `WGPU_BACKEND` (e.g. `vulkan`, `gl`), `WGPU_ADAPTER_NAME` and `WGPU_POWER_PREF`.
//! [`GpuContext::from_instance`] is for the window path, where the instance was made with the
//! event loop's display handle and the adapter must be able to present to a surface.

use crate::render::error::RenderError;

/// Everything needed to create GPU resources and submit work.
#[derive(Debug)]
pub struct GpuContext {
    /// The instance the adapter came from (needed to create surfaces).
    pub instance: wgpu::Instance,
    /// The chosen adapter (physical device and driver).
    pub adapter: wgpu::Adapter,
    /// The logical device.
    pub device: wgpu::Device,
    /// The device's queue.
    pub queue: wgpu::Queue,
}

impl GpuContext {
    /// Opens the default adapter with no window, honouring `WGPU_BACKEND`.
    ///
    /// Fails with [`RenderError::NoAdapter`] (whose message says what to install) where no
    /// driver exists; never panics.
    pub fn headless() -> Result<Self, RenderError> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle().with_env());
        Self::from_instance(instance, None)
    }

    /// Opens an adapter of `instance` (compatible with `compatible_surface` if given) and a
    /// device on it with the adapter's own limits, plus timestamp queries where the adapter
    /// has them (for `netviz bench render`).
    pub fn from_instance(
        instance: wgpu::Instance,
        compatible_surface: Option<&wgpu::Surface<'_>>,
    ) -> Result<Self, RenderError> {
        let adapter = pollster::block_on(wgpu::util::initialize_adapter_from_env_or_default(
            &instance,
            compatible_surface,
        ))
        .map_err(|_| RenderError::NoAdapter {
            hint: backend_hint(),
        })?;
        let required_features = adapter.features() & wgpu::Features::TIMESTAMP_QUERY;
        let descriptor = wgpu::DeviceDescriptor {
            label: Some("netviz device"),
            required_features,
            required_limits: adapter.limits(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        };
        let (device, queue) =
            pollster::block_on(adapter.request_device(&descriptor)).map_err(|source| {
                RenderError::RequestDevice {
                    adapter: summarize(&adapter.get_info()),
                    source,
                }
            })?;
        Ok(Self {
            instance,
            adapter,
            device,
            queue,
        })
    }

    /// One line naming the adapter, its backend, type and driver, e.g.
    /// `llvmpipe (LLVM 15.0.6, 256 bits), Vulkan, Cpu, llvmpipe Mesa 22.3.6 (LLVM 15.0.6)`.
    pub fn adapter_summary(&self) -> String {
        summarize(&self.adapter.get_info())
    }

    /// Whether render passes can write GPU timestamps on this device.
    pub fn supports_timestamps(&self) -> bool {
        self.device
            .features()
            .contains(wgpu::Features::TIMESTAMP_QUERY)
    }
}

fn summarize(info: &wgpu::AdapterInfo) -> String {
    format!(
        "{}, {:?}, {:?}, {} {}",
        info.name, info.backend, info.device_type, info.driver, info.driver_info
    )
}

/// Names a `WGPU_BACKEND` that narrows the adapter search, since that is a common reason for
/// finding none (an empty value enables no backend at all).
fn backend_hint() -> String {
    match std::env::var("WGPU_BACKEND") {
        Ok(value) if value.trim().is_empty() => {
            " (WGPU_BACKEND is set but empty, which enables no backend: unset it)".to_string()
        }
        Ok(value) => format!(" (WGPU_BACKEND={value:?} limits the search to that backend)"),
        Err(_) => String::new(),
    }
}
