//! The MNIST lab's thread ([`run_session`](crate::labs::thread::run_session) over the
//! [`MnistSession`]): applies the UI's commands between batches, trains one batch at a time
//! and publishes a snapshot at most [`PUBLISH_HZ`] times a second (and right after every
//! epoch, command and the end of training). It never waits for a frame.

use std::sync::Arc;

use crate::labs::mnist::session::{MnistCommand, MnistSession};
use crate::labs::mnist::snapshot::MnistSnapshot;
use crate::labs::thread::{Session, Step};

/// Snapshots per second at most while training.
pub const PUBLISH_HZ: f32 = 20.0;

/// What the lab thread publishes.
pub type Published = Arc<MnistSnapshot>;

impl Session for MnistSession {
    type Command = MnistCommand;
    type Snapshot = Published;

    fn apply(&mut self, command: MnistCommand) -> Result<(), String> {
        // A reset or restart that cannot rebuild the trainer leaves the session as it was.
        MnistSession::apply(self, command).map_err(|e| format!("not restarted: {e}"))
    }

    fn is_running(&self) -> bool {
        MnistSession::is_running(self)
    }

    fn step(&mut self) -> Step {
        match MnistSession::step(self) {
            Some(report) => Step {
                changed: true,
                urgent: report.epoch.is_some() || report.stop.is_some(),
            },
            None => Step::IDLE,
        }
    }

    fn snapshot(&mut self) -> Published {
        Arc::new(MnistSession::snapshot(self))
    }

    fn report(&mut self, message: String) {
        self.set_message(message);
    }

    fn publish_hz(&self) -> Option<f32> {
        Some(PUBLISH_HZ)
    }
}
