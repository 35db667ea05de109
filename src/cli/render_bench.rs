//! `netviz bench render`: argument parsing and printing around [`netviz::render::bench`].

use anyhow::{Context, Result};
use clap::Args;
use netviz::files::limits::{RENDER_FRAMES, RENDER_POINTS};

use netviz::render::GpuContext;
use netviz::render::bench::{self, RenderBench};

/// Arguments of `netviz bench render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Points in the scene (e.g. 10000, 100000, 1000000).
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..=RENDER_POINTS as i64))]
    pub points: u32,
    /// Frames to measure (after 3 warm-up frames).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=RENDER_FRAMES as i64))]
    pub frames: u32,
}

/// Runs `netviz bench render`: prints the adapter, the CPU milliseconds per frame spent
/// preparing and submitting `points` points, the GPU time where timestamp queries exist, and
/// `points=N cpu_ms_per_frame=X` last.
pub fn run(points: usize, frames: usize) -> Result<()> {
    anyhow::ensure!(frames >= 1, "--frames must be at least 1");
    let ctx = GpuContext::headless()?;
    let config = RenderBench {
        points,
        frames,
        ..RenderBench::default()
    };
    let report = bench::run(&ctx, &config)
        .with_context(|| format!("render benchmark with {points} points"))?;
    println!("adapter: {}", report.adapter);
    println!(
        "{points} sphere points, {}x{} target, {} sample(s), {frames} frames",
        config.width, config.height, report.sample_count
    );
    println!(
        "CPU time (prepare + submit): {:.2} ms/frame mean, {:.2} median",
        report.cpu_ms_mean, report.cpu_ms_median
    );
    match report.gpu_ms_mean {
        Some(gpu_ms) => println!("GPU time (render pass): {gpu_ms:.2} ms/frame"),
        None => println!("GPU time: timestamp queries unavailable"),
    }
    println!(
        "whole frame incl. waiting for the GPU: {:.2} ms",
        report.frame_ms_mean
    );
    println!("points={points} cpu_ms_per_frame={:.3}", report.cpu_ms_mean);
    Ok(())
}
