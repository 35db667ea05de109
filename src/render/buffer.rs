//! A GPU buffer reused frame to frame and regrown (to the next power of two) only when the
//! data outgrows it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A vertex, index or uniform buffer that keeps its allocation between frames.
#[derive(Debug)]
pub struct GrowableBuffer {
    label: &'static str,
    usage: wgpu::BufferUsages,
    buffer: Option<wgpu::Buffer>,
    allocations: Arc<AtomicU64>,
}

/// The smallest allocation, so tiny scenes do not regrow step by step.
const MIN_CAPACITY_BYTES: u64 = 4096;

impl GrowableBuffer {
    /// An empty buffer; `COPY_DST` is added to `usage`. Every allocation increments
    /// `allocations` (shared by a renderer's buffers, for tests and stats).
    pub fn new(
        label: &'static str,
        usage: wgpu::BufferUsages,
        allocations: Arc<AtomicU64>,
    ) -> Self {
        Self {
            label,
            usage: usage | wgpu::BufferUsages::COPY_DST,
            buffer: None,
            allocations,
        }
    }

    /// Uploads `bytes` at offset 0 (a multiple of 4 long), growing the buffer first if needed.
    pub fn write(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let buffer = self.reserve(device, bytes.len() as u64);
        queue.write_buffer(buffer, 0, bytes);
    }

    /// Makes room for `len` bytes and returns the buffer.
    pub fn reserve(&mut self, device: &wgpu::Device, len: u64) -> &wgpu::Buffer {
        let needed = len.max(MIN_CAPACITY_BYTES).next_power_of_two();
        let too_small = self
            .buffer
            .as_ref()
            .is_none_or(|buffer| buffer.size() < len);
        if too_small {
            self.allocations.fetch_add(1, Ordering::Relaxed);
            self.buffer = Some(device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(self.label),
                size: needed,
                usage: self.usage,
                mapped_at_creation: false,
            }));
        }
        self.buffer.as_ref().expect("allocated above")
    }

    /// The buffer, if anything was ever written.
    pub fn get(&self) -> Option<&wgpu::Buffer> {
        self.buffer.as_ref()
    }
}
