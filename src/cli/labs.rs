//! The registry of labs: every lab's command runs through [`run`], and the window's Lab menu
//! lists [`entries`]. A new lab is its folder, a [`LabCommand`] for its flags, one variant of
//! `cli::Command` and one line in [`entries`].

use anyhow::Result;

use netviz::ui::headless::check_panel_id;
use netviz::ui::{Lab, LabEntry};

use crate::cli::app::{run_window_with, write_headless, write_recording};
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
    if !shell.headless {
        return run_window_with(Box::new(lab), shell, entries());
    }
    // A wrong panel id is said before training, not after.
    for id in [&shell.maximize, &shell.scene].into_iter().flatten() {
        check_panel_id(&lab, id)?;
    }
    let last_line = args.run_to_end(&mut lab)?;
    match &shell.record {
        Some(record) => write_recording(Box::new(lab), shell, record)?,
        None => write_headless(Box::new(lab), shell)?,
    }
    println!("{last_line}");
    Ok(())
}
