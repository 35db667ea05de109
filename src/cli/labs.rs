//! The registry of labs: every lab's command runs through [`run`], and the window's Lab menu
//! lists [`entries`]. A new lab is its folder, a [`LabCommand`] for its flags, one variant of
//! `cli::Command` and one line in [`entries`].

use std::path::{Path, PathBuf};

use anyhow::Result;

use netviz::labs::run_file::RunFile;
use netviz::ui::headless::check_panel_id;
use netviz::ui::shell::RunOpener;
use netviz::ui::timeline_bar::moment_at_or_before;
use netviz::ui::{Lab, LabEntry};

use crate::cli::app::{
    ShellArgs, run_window_with, write_headless, write_headless_with, write_recording,
};
use crate::cli::attention_lab::AttentionLabArgs;
use crate::cli::forest_lab::ForestLabArgs;
use crate::cli::gallery::GalleryArgs;
use crate::cli::lab_command::LabCommand;
use crate::cli::mnist::LabArgs as MnistArgs;
use crate::cli::xor::XorArgs;

/// The labs the window's Lab menu offers, each started with its command's defaults.
pub fn entries() -> Vec<LabEntry> {
    vec![
        entry::<XorArgs>(),
        entry::<MnistArgs>(),
        entry::<ForestLabArgs>(),
        entry::<AttentionLabArgs>(),
        entry::<GalleryArgs>(),
    ]
}

/// Waits until Run B has trained as far as run A (`step`), or has stopped short of it (paused
/// with nothing new for a second: an early stop), taking its snapshots.
fn finish_b(mut b: Box<dyn Lab>, step: u64) -> Result<Box<dyn Lab>> {
    use std::time::{Duration, Instant};
    let deadline = Instant::now() + Duration::from_secs(3600);
    let mut last = (u64::MAX, Instant::now());
    loop {
        b.update();
        let status = b.status();
        if status.step >= step {
            return Ok(b);
        }
        if status.step != last.0 {
            last = (status.step, Instant::now());
        } else if status.paused && last.1.elapsed() > Duration::from_secs(1) {
            return Ok(b);
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "run B did not reach step {step} within an hour"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Opens the run file `path` as the lab whose run it holds.
pub fn open_run(path: &Path) -> Result<Box<dyn Lab>> {
    let run = RunFile::read(path)?;
    fn open<A: LabCommand>(run: &RunFile) -> Result<Box<dyn Lab>> {
        Ok(Box::new(A::open(run)?))
    }
    match run.lab() {
        XorArgs::NAME => open::<XorArgs>(&run),
        MnistArgs::NAME => open::<MnistArgs>(&run),
        ForestLabArgs::NAME => open::<ForestLabArgs>(&run),
        AttentionLabArgs::NAME => open::<AttentionLabArgs>(&run),
        other => anyhow::bail!(
            "{} holds a run of a lab this netviz does not know ({other:?})",
            path.display()
        ),
    }
}

/// What File > Open run uses.
fn opener() -> RunOpener {
    Box::new(|path| open_run(path).map_err(|e| format!("{e:#}")))
}

/// `netviz open FILE`: the saved run in a window, or headless: its picture (at `--step`, by
/// default its last moment) or its recording; prints `lab=... moments=... first_step=...
/// last_step=... shown_step=...` last.
pub fn open(args: &OpenArgs) -> Result<()> {
    let mut lab = open_run(&args.file)?;
    let info = lab.timeline().unwrap_or_default();
    let shown = match args.step {
        Some(step) => {
            let index = moment_at_or_before(&info.steps, step);
            lab.seek(Some(index));
            info.steps.get(index).copied()
        }
        None => info.steps.last().copied(),
    };
    let shell = &args.shell;
    if !shell.headless {
        return run_window_with(lab, shell, entries(), Some(opener()), None);
    }
    for id in [&shell.maximize, &shell.scene].into_iter().flatten() {
        check_panel_id(lab.as_ref(), id)?;
    }
    let last_line = format!(
        "lab={} moments={} first_step={} last_step={} shown_step={}",
        lab.name(),
        info.steps.len(),
        info.steps.first().copied().unwrap_or(0),
        info.steps.last().copied().unwrap_or(0),
        shown.unwrap_or(0)
    );
    match &shell.record {
        Some(record) => write_recording(lab, shell, record)?,
        None => write_headless(lab, shell)?,
    }
    println!("{last_line}");
    Ok(())
}

/// `netviz open FILE`.
#[derive(Debug, clap::Args)]
pub struct OpenArgs {
    /// The run file (made by File > Save run or `--save-run`).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Show the last recorded moment at or before this step (default: the last one).
    #[arg(long, value_name = "STEP")]
    pub step: Option<u64>,
    /// Window or headless, size, picture, panel.
    #[command(flatten)]
    pub shell: ShellArgs,
}

fn entry<A: LabCommand>() -> LabEntry {
    LabEntry::new(A::NAME, A::TITLE, || {
        A::defaults()
            .build()
            .map(|lab| Box::new(lab) as Box<dyn Lab>)
            .map_err(|e| format!("{e:#}"))
    })
}

/// Runs `netviz <lab>`: in the terminal if its flags ask for that, else in a window, or
/// headless: run to the end, write the picture, print the lab's last line.
pub fn run<A: LabCommand>(args: &A) -> Result<()> {
    if let Some(done) = args.terminal() {
        return done;
    }
    let mut lab = args.build()?;
    let shell = args.shell();
    lab.set_timeline_budget(shell.timeline_mb as usize * (1 << 20));
    let b = match shell.run_b {
        Some(seed) => Some(lab.fork(Some(seed)).map_err(anyhow::Error::msg)?),
        None => None,
    };
    if !shell.headless {
        return run_window_with(Box::new(lab), shell, entries(), Some(opener()), b);
    }
    // A wrong panel id is said before training, not after.
    for id in [&shell.maximize, &shell.scene].into_iter().flatten() {
        check_panel_id(&lab, id)?;
    }
    let last_line = args.run_to_end(&mut lab)?;
    if let Some(b) = b {
        let b = finish_b(b, lab.status().step)?;
        write_headless_with(Box::new(lab), Some(b), shell)?;
        println!("{last_line}");
        return Ok(());
    }
    if let Some(path) = &shell.save_run {
        let saved = lab.save_run(path).map_err(anyhow::Error::msg)?;
        println!("saved {saved} to {}", path.display());
    }
    match &shell.record {
        Some(record) => write_recording(Box::new(lab), shell, record)?,
        None => write_headless(Box::new(lab), shell)?,
    }
    println!("{last_line}");
    Ok(())
}
