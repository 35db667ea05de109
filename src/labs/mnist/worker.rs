//! The MNIST lab's thread: applies the UI's commands between batches, trains one batch at a
//! time and publishes a snapshot at most [`PUBLISH_HZ`] times a second (and right after every
//! epoch, command and the end of training). It never waits for a frame.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::labs::mnist::session::{MnistCommand, MnistSession};
use crate::labs::mnist::snapshot::MnistSnapshot;
use crate::labs::thread::LabWorker;

/// Snapshots per second at most while training.
pub const PUBLISH_HZ: f32 = 20.0;

/// What the lab thread publishes.
pub type Published = Arc<MnistSnapshot>;

/// Runs `session` until the UI side goes away.
pub fn run(worker: &LabWorker<Published, MnistCommand>, mut session: MnistSession) {
    worker.publish(Arc::new(session.snapshot()));
    let period = Duration::from_secs_f32(1.0 / PUBLISH_HZ);
    let mut last = Instant::now();
    let mut dirty = false;
    loop {
        let commands = if session.is_running() {
            worker.poll()
        } else {
            worker.wait(Duration::from_millis(50))
        };
        let Some(commands) = commands else {
            return;
        };
        let mut urgent = !commands.is_empty();
        for command in commands {
            // A reset or restart that cannot rebuild the trainer leaves the session as it
            // was, and says why.
            if let Err(e) = session.apply(command) {
                session.set_message(format!("not restarted: {e}"));
            }
        }
        if let Some(report) = session.step() {
            dirty = true;
            urgent |= report.epoch.is_some() || report.stop.is_some();
        }
        if urgent || (dirty && last.elapsed() >= period) {
            worker.publish(Arc::new(session.snapshot()));
            last = Instant::now();
            dirty = false;
        }
    }
}
