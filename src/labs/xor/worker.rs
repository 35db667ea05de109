//! The XOR lab's thread: applies the UI's commands between refreshes, trains
//! `epochs_per_refresh` epochs at a time and publishes a snapshot after each refresh. It never
//! waits for a frame; it only paces itself to at most `max_refresh_hz` snapshots per second
//! (when set) so a person can watch the network learn. Commands reach it within one refresh.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::labs::thread::LabWorker;
use crate::labs::xor::session::{XorCommand, XorSession};
use crate::labs::xor::snapshot::XorSnapshot;

/// What the lab thread publishes.
pub type Published = Arc<XorSnapshot>;

/// A command for the lab thread: a training command or a pacing change.
#[derive(Clone, Debug, PartialEq)]
pub enum WorkerCommand {
    /// Changes the session.
    Session(XorCommand),
    /// Snapshots per second at most (`None`: as fast as training allows).
    SetMaxRefreshHz(Option<f32>),
}

/// Runs `session` until the UI side goes away.
pub fn run(
    worker: &LabWorker<Published, WorkerCommand>,
    mut session: XorSession,
    mut max_refresh_hz: Option<f32>,
) {
    worker.publish(Arc::new(session.snapshot()));
    let mut next = Instant::now();
    loop {
        let commands = if session.is_paused() {
            worker.wait(Duration::from_millis(50))
        } else {
            worker.poll()
        };
        let Some(commands) = commands else {
            return;
        };
        let changed = !commands.is_empty();
        for command in commands {
            match command {
                WorkerCommand::Session(c) => {
                    // Commands are checked by the UI; one that still fails leaves the session as
                    // it was, and the next snapshot shows that state.
                    let _ = session.apply(c);
                }
                WorkerCommand::SetMaxRefreshHz(hz) => max_refresh_hz = hz.filter(|h| *h > 0.0),
            }
        }
        let trained = session.advance();
        if trained || changed {
            worker.publish(Arc::new(session.snapshot()));
        }
        if let Some(hz) = max_refresh_hz.filter(|_| trained) {
            next += Duration::from_secs_f32(1.0 / hz);
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            } else {
                next = now;
            }
        } else {
            next = Instant::now();
        }
    }
}
