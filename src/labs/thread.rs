//! [`LabThread`]: the one way a lab runs its work off the UI thread.
//!
//! The worker (training loop, animation, ...) runs on its own thread, publishes its newest state
//! as a snapshot and takes commands from the UI. The UI never waits for it: it sends commands
//! through a channel and takes whatever snapshot is newest when it draws (older unseen ones are
//! simply replaced, so a slow UI never makes the worker queue up work or memory).
//!
//! ```
//! use netviz::labs::LabThread;
//! let mut lab = LabThread::spawn("counter", |worker| {
//!     let mut n = 0_u32;
//!     // Runs until the `LabThread` is dropped.
//!     while let Some(commands) = worker.poll() {
//!         for add in commands {
//!             n += add;
//!         }
//!         worker.publish(n);
//!         std::thread::sleep(std::time::Duration::from_millis(1));
//!     }
//! })
//! .unwrap();
//! lab.send(2);
//! let seen = loop {
//!     if let Some(n) = lab.take_latest().filter(|n| *n == 2) {
//!         break n;
//!     }
//! };
//! assert_eq!(seen, 2);
//! ```

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// The newest snapshot, shared between the worker (writer) and the UI (reader).
type LatestSlot<S> = Arc<Mutex<Option<S>>>;

/// Handle the UI keeps: sends commands, takes the newest snapshot, stops the worker on drop.
pub struct LabThread<S, C> {
    latest: LatestSlot<S>,
    commands: Sender<C>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

/// The worker's side, handed to the closure running on the lab thread.
pub struct LabWorker<S, C> {
    latest: LatestSlot<S>,
    commands: Receiver<C>,
    stop: Arc<AtomicBool>,
}

impl<S: Send + 'static, C: Send + 'static> LabThread<S, C> {
    /// Starts `work` on a new thread named `netviz-<name>`.
    ///
    /// `work` should loop on [`LabWorker::poll`] (or [`LabWorker::wait`]) and return once it
    /// yields `None`: that is how dropping the `LabThread` stops it.
    pub fn spawn(
        name: &str,
        work: impl FnOnce(LabWorker<S, C>) + Send + 'static,
    ) -> std::io::Result<Self> {
        let latest: LatestSlot<S> = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let (commands, receiver) = mpsc::channel();
        let worker = LabWorker {
            latest: Arc::clone(&latest),
            commands: receiver,
            stop: Arc::clone(&stop),
        };
        let handle = std::thread::Builder::new()
            .name(format!("netviz-{name}"))
            .spawn(move || work(worker))?;
        Ok(Self {
            latest,
            commands,
            stop,
            handle: Some(handle),
        })
    }
}

impl<S, C> LabThread<S, C> {
    /// Sends a command; returns `false` if the worker has already ended (the command is dropped).
    pub fn send(&self, command: C) -> bool {
        self.commands.send(command).is_ok()
    }

    /// Takes the snapshot published since the last call, if any. Never blocks for longer than
    /// the worker takes to swap a value in.
    pub fn take_latest(&mut self) -> Option<S> {
        self.latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Whether the worker has returned (or panicked).
    pub fn is_finished(&self) -> bool {
        self.handle.as_ref().is_none_or(JoinHandle::is_finished)
    }
}

impl<S, C> Drop for LabThread<S, C> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            // A worker that panicked has already printed its message; nothing more to do here.
            let _ = handle.join();
        }
    }
}

impl<S, C> LabWorker<S, C> {
    /// Replaces the published snapshot with `snapshot`.
    pub fn publish(&self, snapshot: S) {
        *self.latest.lock().unwrap_or_else(PoisonError::into_inner) = Some(snapshot);
    }

    /// The commands that arrived since the last call, or `None` once the UI side is gone or
    /// asked the worker to stop.
    pub fn poll(&self) -> Option<Vec<C>> {
        if self.stop.load(Ordering::Relaxed) {
            return None;
        }
        let mut commands = Vec::new();
        loop {
            match self.commands.try_recv() {
                Ok(command) => commands.push(command),
                Err(TryRecvError::Empty) => return Some(commands),
                Err(TryRecvError::Disconnected) => return None,
            }
        }
    }

    /// Like [`Self::poll`], but waits up to `timeout` for the first command (used while
    /// paused, so an idle worker costs no CPU yet stays responsive).
    pub fn wait(&self, timeout: Duration) -> Option<Vec<C>> {
        if self.stop.load(Ordering::Relaxed) {
            return None;
        }
        match self.commands.recv_timeout(timeout) {
            Ok(first) => {
                let mut commands = self.poll()?;
                commands.insert(0, first);
                Some(commands)
            }
            Err(RecvTimeoutError::Timeout) => self.poll(),
            Err(RecvTimeoutError::Disconnected) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn wait_for<S>(lab: &mut LabThread<S, u32>, accept: impl Fn(&S) -> bool) -> S {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(s) = lab.take_latest().filter(|s| accept(s)) {
                return s;
            }
            assert!(Instant::now() < deadline, "no matching snapshot within 5 s");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn commands_reach_the_worker_and_snapshots_come_back() {
        let mut lab = LabThread::spawn("test-sum", |worker: LabWorker<u32, u32>| {
            let mut sum = 0;
            while let Some(commands) = worker.wait(Duration::from_millis(5)) {
                sum += commands.iter().sum::<u32>();
                worker.publish(sum);
            }
        })
        .unwrap();
        assert!(lab.send(3));
        assert!(lab.send(4));
        assert_eq!(wait_for(&mut lab, |s| *s == 7), 7);
    }

    #[test]
    fn only_the_newest_snapshot_is_kept() {
        let mut lab = LabThread::spawn("test-burst", |worker: LabWorker<u32, u32>| {
            for i in 0..=100 {
                worker.publish(i);
            }
            while worker.wait(Duration::from_millis(5)).is_some() {}
        })
        .unwrap();
        assert_eq!(wait_for(&mut lab, |s| *s == 100), 100);
        assert_eq!(lab.take_latest(), None);
    }

    #[test]
    fn dropping_the_handle_stops_the_worker() {
        let finished = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&finished);
        let lab = LabThread::spawn("test-stop", move |worker: LabWorker<(), u32>| {
            while worker.wait(Duration::from_millis(5)).is_some() {}
            seen.store(true, Ordering::Relaxed);
        })
        .unwrap();
        assert!(!lab.is_finished());
        drop(lab);
        assert!(finished.load(Ordering::Relaxed));
    }
}
