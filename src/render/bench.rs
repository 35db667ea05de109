//! `netviz bench render`: how long the CPU spends preparing and submitting a frame of N points
//! (instance conversion, upload, encoding, submission), and how long the GPU spends on the
//! render pass where timestamp queries exist.

use std::time::Instant;

use glam::Vec3;

use crate::render::camera::OrbitCamera;
use crate::render::context::GpuContext;
use crate::render::error::RenderError;
use crate::render::renderer::SceneRenderer;
use crate::render::scene::{Point, PointStyle, Scene};
use crate::render::target::{COLOR_FORMAT, SceneTexture, sample_count_for};

/// What to measure.
#[derive(Clone, Copy, Debug)]
pub struct RenderBench {
    /// Points in the scene.
    pub points: usize,
    /// Measured frames (after a few unmeasured warm-up frames).
    pub frames: usize,
    /// Target width in pixels.
    pub width: u32,
    /// Target height in pixels.
    pub height: u32,
    /// Samples per pixel (falls back to 1 where the adapter cannot multisample).
    pub sample_count: u32,
}

impl Default for RenderBench {
    fn default() -> Self {
        Self {
            points: 100_000,
            frames: 30,
            width: 800,
            height: 600,
            sample_count: crate::render::DEFAULT_SAMPLE_COUNT,
        }
    }
}

/// Per-frame timings in milliseconds.
#[derive(Clone, Debug)]
pub struct RenderBenchReport {
    /// The adapter measured.
    pub adapter: String,
    /// Samples per pixel actually used.
    pub sample_count: u32,
    /// CPU time to prepare and submit one frame: mean.
    pub cpu_ms_mean: f64,
    /// CPU time to prepare and submit one frame: median.
    pub cpu_ms_median: f64,
    /// Wall time of a whole frame including waiting for the GPU: mean.
    pub frame_ms_mean: f64,
    /// GPU time of the render pass (mean), `None` without timestamp queries.
    pub gpu_ms_mean: Option<f64>,
}

const WARM_UP_FRAMES: usize = 3;

/// A deterministic cloud of `n` spheres in the unit cube, colored by position.
pub fn bench_scene(n: usize, camera: &OrbitCamera) -> Scene {
    let mut state: u32 = 0x9e37_79b9;
    let mut next = move || {
        // xorshift32: fast, deterministic, good enough for positions.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state as f32 / u32::MAX as f32
    };
    let mut scene = Scene::new(camera.scene_camera());
    scene.points = (0..n)
        .map(|_| {
            let p = [next(), next(), next()];
            Point {
                pos: p.map(|c| c * 2.0 - 1.0),
                color: [p[0], 0.3 + 0.5 * p[1], 1.0 - p[2], 1.0],
                radius_px: 3.0,
                style: PointStyle::Sphere,
            }
        })
        .collect();
    scene
}

/// Renders the bench scene `config.frames` times and reports per-frame timings.
pub fn run(ctx: &GpuContext, config: &RenderBench) -> Result<RenderBenchReport, RenderError> {
    let sample_count = sample_count_for(ctx, COLOR_FORMAT, config.sample_count);
    let camera = OrbitCamera::framing(Vec3::splat(-1.0), Vec3::splat(1.0));
    let scene = bench_scene(config.points, &camera);
    let target = SceneTexture::new(&ctx.device, config.width, config.height, sample_count);
    let mut renderer = SceneRenderer::new(&ctx.device, COLOR_FORMAT, sample_count);
    let timer = ctx.supports_timestamps().then(|| GpuTimer::new(ctx));
    let (mut cpu_ms, mut frame_ms, mut gpu_ms) = (Vec::new(), Vec::new(), Vec::new());
    for frame in 0..WARM_UP_FRAMES + config.frames.max(1) {
        let start = Instant::now();
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("bench frame"),
            });
        match &timer {
            Some(timer) => {
                renderer.render_into_timed(
                    &ctx.device,
                    &ctx.queue,
                    &mut encoder,
                    &target,
                    &scene,
                    timer.writes(),
                )?;
                timer.resolve(&mut encoder);
            }
            None => renderer.render_into(&ctx.device, &ctx.queue, &mut encoder, &target, &scene)?,
        }
        let submission = ctx.queue.submit([encoder.finish()]);
        let submitted = start.elapsed();
        wait(ctx, submission)?;
        let gpu = timer.as_ref().map(|timer| timer.read_ms(ctx)).transpose()?;
        if frame >= WARM_UP_FRAMES {
            cpu_ms.push(submitted.as_secs_f64() * 1e3);
            frame_ms.push(start.elapsed().as_secs_f64() * 1e3);
            gpu_ms.extend(gpu);
        }
    }
    Ok(RenderBenchReport {
        adapter: ctx.adapter_summary(),
        sample_count,
        cpu_ms_mean: mean(&cpu_ms),
        cpu_ms_median: median(&mut cpu_ms),
        frame_ms_mean: mean(&frame_ms),
        gpu_ms_mean: (!gpu_ms.is_empty()).then(|| mean(&gpu_ms)),
    })
}

fn wait(ctx: &GpuContext, submission: wgpu::SubmissionIndex) -> Result<(), RenderError> {
    ctx.device
        .poll(wgpu::PollType::Wait {
            submission_index: Some(submission),
            timeout: None,
        })
        .map(|_| ())
        .map_err(|err| RenderError::Readback {
            width: 0,
            height: 0,
            reason: format!("waiting for the benchmark frame: {err}"),
        })
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// Two timestamps around the render pass, resolved and read back every frame.
struct GpuTimer {
    queries: wgpu::QuerySet,
    resolved: wgpu::Buffer,
    readback: wgpu::Buffer,
}

const TIMESTAMP_BYTES: u64 = 2 * std::mem::size_of::<u64>() as u64;

impl GpuTimer {
    fn new(ctx: &GpuContext) -> Self {
        let buffer = |label, usage| {
            ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: TIMESTAMP_BYTES,
                usage,
                mapped_at_creation: false,
            })
        };
        Self {
            queries: ctx.device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("render pass timestamps"),
                ty: wgpu::QueryType::Timestamp,
                count: 2,
            }),
            resolved: buffer(
                "timestamps (resolved)",
                wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            ),
            readback: buffer(
                "timestamps (readback)",
                wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            ),
        }
    }

    fn writes(&self) -> wgpu::RenderPassTimestampWrites<'_> {
        wgpu::RenderPassTimestampWrites {
            query_set: &self.queries,
            beginning_of_pass_write_index: Some(0),
            end_of_pass_write_index: Some(1),
        }
    }

    fn resolve(&self, encoder: &mut wgpu::CommandEncoder) {
        encoder.resolve_query_set(&self.queries, 0..2, &self.resolved, 0);
        encoder.copy_buffer_to_buffer(&self.resolved, 0, &self.readback, 0, TIMESTAMP_BYTES);
    }

    /// Reads the last frame's pass duration (its submission must have completed).
    fn read_ms(&self, ctx: &GpuContext) -> Result<f64, RenderError> {
        let failed = |reason: String| RenderError::Readback {
            width: 2,
            height: 1,
            reason,
        };
        let (sender, receiver) = std::sync::mpsc::channel();
        self.readback
            .map_async(wgpu::MapMode::Read, .., move |result| {
                let _ = sender.send(result);
            });
        ctx.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|err| failed(format!("waiting for timestamps: {err}")))?;
        receiver
            .recv()
            .map_err(|err| failed(err.to_string()))?
            .map_err(|err| failed(err.to_string()))?;
        let ticks: [u64; 2] = {
            let mapped = self
                .readback
                .get_mapped_range(..)
                .map_err(|err| failed(err.to_string()))?;
            bytemuck::pod_read_unaligned(&mapped[..TIMESTAMP_BYTES as usize])
        };
        self.readback.unmap();
        let period_ns = f64::from(ctx.queue.get_timestamp_period());
        Ok(ticks[1].saturating_sub(ticks[0]) as f64 * period_ns / 1e6)
    }
}
