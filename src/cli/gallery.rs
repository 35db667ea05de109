//! `netviz gallery`: every rendering primitive, live (window, or --headless PNG).

use anyhow::{Context, Result};
use clap::Args;

use netviz::labs::gallery::world::Settings;
use netviz::labs::gallery::{GalleryLab, GalleryOptions, POINT_COUNT_RANGE};

use crate::cli::app::{LabMenu, ShellArgs, run_lab};

/// Arguments of `netviz gallery`.
#[derive(Debug, Args)]
pub struct GalleryArgs {
    /// Seed of the point cloud and the optimizer's start points.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Points in the cloud.
    #[arg(long, default_value_t = 2000, value_parser = parse_point_count)]
    pub points: usize,
    #[command(flatten)]
    pub shell: ShellArgs,
}

/// `netviz gallery`: every rendering primitive, live.
pub fn run(args: &GalleryArgs, menu: LabMenu) -> Result<()> {
    let lab = build(args)?;
    run_lab(Box::new(lab), &args.shell, menu)
}

/// Starts the gallery as `args` say.
pub fn build(args: &GalleryArgs) -> Result<GalleryLab> {
    let options = GalleryOptions {
        seed: args.seed,
        settings: Settings {
            point_count: args.points,
            ..Settings::default()
        },
        // A headless picture shows a few seconds in, so the optimizer's path is visible.
        warmup_ticks: if args.shell.headless { 150 } else { 0 },
    };
    GalleryLab::new(options).context("starting the gallery thread")
}

/// The arguments of a plain `netviz gallery` (what the Lab menu opens).
pub fn default_args() -> GalleryArgs {
    #[derive(clap::Parser)]
    struct Defaults {
        #[command(flatten)]
        args: GalleryArgs,
    }
    <Defaults as clap::Parser>::parse_from(["netviz"]).args
}

fn parse_point_count(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if POINT_COUNT_RANGE.contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a point count from {} to {}, got {text:?}",
            POINT_COUNT_RANGE.start(),
            POINT_COUNT_RANGE.end()
        )),
    }
}
