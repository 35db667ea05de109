//! `netviz gallery`: every rendering primitive, live (window, or --headless PNG).

use anyhow::{Context, Result};
use clap::Args;

use netviz::labs::gallery::world::Settings;
use netviz::labs::gallery::{GalleryLab, GalleryOptions, POINT_COUNT_RANGE};

use crate::cli::app::ShellArgs;
use crate::cli::lab_command::LabCommand;
use netviz::ui::Lab;

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

impl LabCommand for GalleryArgs {
    const NAME: &'static str = "gallery";
    const TITLE: &'static str = "Gallery";
    type Lab = GalleryLab;

    fn shell(&self) -> &ShellArgs {
        &self.shell
    }

    fn build(&self) -> Result<GalleryLab> {
        let options = GalleryOptions {
            seed: self.seed,
            settings: Settings {
                point_count: self.points,
                ..Settings::default()
            },
            // A headless picture shows a few seconds in, so the optimizer's path is visible.
            warmup_ticks: if self.shell.headless { 150 } else { 0 },
        };
        GalleryLab::new(options).context("starting the gallery thread")
    }

    fn run_to_end(&self, lab: &mut GalleryLab) -> Result<String> {
        lab.update();
        Ok(format!("step={}", lab.status().step))
    }
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
