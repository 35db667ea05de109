//! The XOR lab's thread ([`run_session`](crate::labs::thread::run_session) over [`XorRun`]):
//! applies the UI's commands between refreshes, trains `epochs_per_refresh` epochs at a time
//! and publishes a snapshot after each refresh. It never waits for a frame; it only paces
//! itself to at most `max_refresh_hz` refreshes per second (when set) so a person can watch
//! the network learn. Commands reach it within one refresh; one that fails says why in the
//! status line.

use std::sync::Arc;

use crate::labs::thread::{Session, Step};
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

/// The XOR session with its pace, as the lab thread runs it.
pub struct XorRun {
    session: XorSession,
    max_refresh_hz: Option<f32>,
}

impl XorRun {
    /// `session`, refreshed at most `max_refresh_hz` times a second (`None`: unpaced).
    pub fn new(session: XorSession, max_refresh_hz: Option<f32>) -> Self {
        Self {
            session,
            max_refresh_hz,
        }
    }
}

impl Session for XorRun {
    type Command = WorkerCommand;
    type Snapshot = Published;

    fn apply(&mut self, command: WorkerCommand) -> Result<(), String> {
        match command {
            WorkerCommand::Session(c) => self.session.apply(c).map_err(|e| e.to_string()),
            WorkerCommand::SetMaxRefreshHz(hz) => {
                self.max_refresh_hz = hz.filter(|h| *h > 0.0);
                Ok(())
            }
        }
    }

    fn is_running(&self) -> bool {
        !self.session.is_paused()
    }

    fn step(&mut self) -> Step {
        Step {
            changed: self.session.advance(),
            urgent: false,
        }
    }

    fn snapshot(&mut self) -> Published {
        let mut snapshot = self.session.snapshot();
        snapshot.checkpoint = Some(self.session.checkpoint());
        Arc::new(snapshot)
    }

    fn report(&mut self, message: String) {
        self.session.set_message(message);
    }

    fn steps_per_sec(&self) -> Option<f32> {
        self.max_refresh_hz
    }
}
