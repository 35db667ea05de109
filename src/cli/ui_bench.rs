//! `netviz bench ui`: argument parsing and printing around [`netviz::ui::bench`].

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use netviz::render::GpuContext;
use netviz::ui::Lab;
use netviz::ui::bench::{self, UiBench};

use crate::cli::attention_lab::AttentionLabArgs;
use crate::cli::forest::DatasetArg;
use crate::cli::forest_lab::ForestLabArgs;
use crate::cli::gallery::GalleryArgs;
use crate::cli::lab_command::LabCommand;
use crate::cli::mnist::LabArgs as MnistArgs;
use crate::cli::xor::XorArgs;

/// The labs `bench ui` can drive.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum BenchLab {
    /// The XOR lab, training at its window pace.
    Xor,
    /// The MNIST lab, training the default config.
    Mnist,
    /// The rendering gallery, animating.
    Gallery,
    /// The random-forest lab, growing its trees on moons.
    Forest,
    /// The attention lab, training on sort.
    Attention,
}

/// Arguments of `netviz bench ui`.
#[derive(Debug, Args)]
pub struct UiBenchArgs {
    /// Which lab's dashboard to drive.
    #[arg(long, value_enum, default_value = "xor")]
    pub lab: BenchLab,
    /// Window size in pixels.
    #[arg(long, value_name = "WxH", default_value = "1600x1000", value_parser = crate::cli::app::parse_size)]
    pub size: [u32; 2],
    /// Frames to measure (after 5 warm-up frames).
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub frames: u32,
    /// Pixels per point (2 for a HiDPI window).
    #[arg(long, default_value_t = 1.0, value_parser = crate::cli::app::parse_scale)]
    pub scale: f32,
    /// Every panel visible in a grid instead of the lab's default layout (with tabs).
    #[arg(long)]
    pub all_visible: bool,
    /// Folder with the MNIST files (--lab mnist).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Runs `netviz bench ui`: prints each stage's CPU milliseconds per frame and
/// `lab=NAME ui_cpu_ms_per_frame=X` last.
pub fn run(args: &UiBenchArgs) -> Result<()> {
    let lab: Box<dyn Lab> = match args.lab {
        BenchLab::Xor => Box::new(XorArgs::defaults().build()?),
        BenchLab::Mnist => {
            let mut lab_args = MnistArgs::defaults();
            lab_args.train.data_dir.clone_from(&args.data_dir);
            Box::new(lab_args.build()?)
        }
        BenchLab::Gallery => Box::new(GalleryArgs::defaults().build()?),
        BenchLab::Forest => {
            let mut lab_args = ForestLabArgs::defaults();
            lab_args.dataset = DatasetArg::Moons;
            Box::new(lab_args.build()?)
        }
        BenchLab::Attention => Box::new(AttentionLabArgs::defaults().build()?),
    };
    let name = lab.name().to_string();
    let gpu = GpuContext::headless()?;
    let config = UiBench {
        size_px: args.size,
        pixels_per_point: args.scale,
        frames: args.frames as usize,
        all_visible: args.all_visible,
    };
    let report = bench::run(&gpu, lab, &config)
        .with_context(|| format!("driving the {name} lab's dashboard"))?;
    println!("adapter: {}", gpu.adapter_summary());
    println!(
        "{name} lab, {}x{} px at scale {}, {} frames while it trains, {}",
        args.size[0],
        args.size[1],
        args.scale,
        args.frames,
        if args.all_visible {
            "every panel visible"
        } else {
            "default layout"
        }
    );
    println!(
        "UI thread CPU ms/frame: egui pass {:.2}, scenes {:.2} ({:.1} rendered per frame), \
         tessellation {:.2}, painting {:.2}",
        report.egui_pass_ms,
        report.scenes_ms,
        report.scenes_per_frame,
        report.tessellate_ms,
        report.paint_ms
    );
    println!(
        "total {:.2} mean, {:.2} median; wall time incl. waiting for the GPU {:.2}",
        report.cpu_ms, report.cpu_ms_median, report.wall_ms
    );
    println!("lab={name} ui_cpu_ms_per_frame={:.2}", report.cpu_ms);
    Ok(())
}
