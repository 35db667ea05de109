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
use std::time::{Duration, Instant};

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
    /// A handle with no worker behind it, for a lab that only shows what was recorded (a
    /// saved run): it never has a snapshot, and every command is refused.
    pub fn idle() -> Self {
        let (commands, _) = mpsc::channel();
        Self {
            latest: Arc::new(Mutex::new(None)),
            commands,
            stop: Arc::new(AtomicBool::new(true)),
            handle: None,
        }
    }

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

/// A lab's training (or animation) state, as [`run_session`] drives it on the lab thread:
/// commands from the UI between steps, one step at a time while it runs, a snapshot whenever
/// there is something new to show (at most [`publish_hz`](Self::publish_hz) times a
/// second, and at once after a command or a step that says so).
pub trait Session {
    /// What the UI sends.
    type Command;
    /// What the UI draws.
    type Snapshot;

    /// Applies one command. An error leaves the session as it was; its message reaches the
    /// lab's status line through [`report`](Self::report) and the next snapshot.
    fn apply(&mut self, command: Self::Command) -> Result<(), String>;

    /// Whether there is work to do (not paused, not finished). While there is none the
    /// thread sleeps until a command arrives.
    fn is_running(&self) -> bool;

    /// Does one step of work (an epoch batch, a tick).
    fn step(&mut self) -> Step;

    /// The state to show now (it may cache what it computed for the next one).
    fn snapshot(&mut self) -> Self::Snapshot;

    /// Keeps `message` (a command that failed) to show with the next snapshot.
    fn report(&mut self, message: String);

    /// Steps per second at most (`None`: as fast as the work allows). A lab a person should
    /// be able to watch (the XOR network folding its space, an animation) sets a pace.
    fn steps_per_sec(&self) -> Option<f32> {
        None
    }

    /// Snapshots per second at most while running (`None`: after every step that changed
    /// something). Steps that change much (an epoch's end) ask for one at once.
    fn publish_hz(&self) -> Option<f32> {
        None
    }
}

/// What one [`Session::step`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Step {
    /// Something the views show changed.
    pub changed: bool,
    /// Publish now, whatever the publishing rate (e.g. an epoch ended, training stopped).
    pub urgent: bool,
}

impl Step {
    /// A step that changed something.
    pub const CHANGED: Step = Step {
        changed: true,
        urgent: false,
    };
    /// A step that did nothing (finished, nothing to do).
    pub const IDLE: Step = Step {
        changed: false,
        urgent: false,
    };
}

/// How often a lab thread gives the allocator's free pages back (see [`crate::labs::memory`]).
const TRIM_EVERY: Duration = Duration::from_secs(20);

/// How long an idle session waits for a command before looking again.
const IDLE_WAIT: Duration = Duration::from_millis(50);

/// The one loop every lab thread runs: until the UI side goes away, apply the commands that
/// arrived (reporting failures), step while the session runs (paced to
/// [`Session::steps_per_sec`]), and publish snapshots as [`Session::publish_hz`] says.
pub fn run_session<S: Session>(worker: &LabWorker<S::Snapshot, S::Command>, mut session: S) {
    worker.publish(session.snapshot());
    let mut next_step = Instant::now();
    let mut last_publish = Instant::now();
    let mut dirty = false;
    let mut last_trim = Instant::now();
    loop {
        if last_trim.elapsed() >= TRIM_EVERY {
            crate::labs::memory::release_free_memory();
            last_trim = Instant::now();
        }
        let commands = if session.is_running() {
            worker.poll()
        } else {
            worker.wait(IDLE_WAIT)
        };
        let Some(commands) = commands else {
            return;
        };
        let mut urgent = !commands.is_empty();
        for command in commands {
            if let Err(message) = session.apply(command) {
                session.report(message);
            }
        }
        let mut stepped = false;
        if session.is_running() {
            let step = session.step();
            dirty |= step.changed;
            urgent |= step.urgent;
            stepped = step.changed;
        }
        let due = match session.publish_hz() {
            _ if !dirty => false,
            None => true,
            Some(hz) => last_publish.elapsed().as_secs_f32() * hz >= 1.0,
        };
        if urgent || due {
            worker.publish(session.snapshot());
            last_publish = Instant::now();
            dirty = false;
        }
        match session.steps_per_sec().filter(|hz| stepped && *hz > 0.0) {
            Some(hz) => {
                next_step += Duration::from_secs_f32(1.0 / hz);
                let now = Instant::now();
                if next_step > now {
                    std::thread::sleep(next_step - now);
                } else {
                    // Fell behind (a busy machine): do not catch up in a burst.
                    next_step = now;
                }
            }
            None => next_step = Instant::now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn wait_for<S, C>(lab: &mut LabThread<S, C>, accept: impl Fn(&S) -> bool) -> S {
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

    /// Counts to `target`, one step at a time, with a failing command.
    struct Counter {
        n: u32,
        target: u32,
        paused: bool,
        message: Option<String>,
    }

    impl Session for Counter {
        type Command = &'static str;
        type Snapshot = (u32, Option<String>);
        fn apply(&mut self, command: &'static str) -> Result<(), String> {
            match command {
                "pause" => self.paused = true,
                "resume" => self.paused = false,
                other => return Err(format!("unknown command {other}")),
            }
            Ok(())
        }
        fn is_running(&self) -> bool {
            !self.paused && self.n < self.target
        }
        fn step(&mut self) -> Step {
            self.n += 1;
            Step {
                changed: true,
                urgent: self.n == self.target,
            }
        }
        fn snapshot(&mut self) -> (u32, Option<String>) {
            (self.n, self.message.clone())
        }
        fn report(&mut self, message: String) {
            self.message = Some(message);
        }
        fn publish_hz(&self) -> Option<f32> {
            Some(1000.0)
        }
    }

    #[test]
    fn a_session_runs_to_its_end_and_reports_failed_commands() {
        let counter = Counter {
            n: 0,
            target: 50_000,
            paused: true,
            message: None,
        };
        let mut lab = LabThread::spawn("test-session", move |w| run_session(&w, counter)).unwrap();
        assert_eq!(wait_for(&mut lab, |s| s.0 == 0).0, 0);
        lab.send("bogus");
        let reported = wait_for(&mut lab, |s| s.1.is_some());
        assert_eq!(reported.1.as_deref(), Some("unknown command bogus"));
        assert_eq!(reported.0, 0, "a failed command must not start the session");
        lab.send("resume");
        // The last step is urgent: its snapshot always arrives, whatever the rate.
        assert_eq!(wait_for(&mut lab, |s| s.0 == 50_000).0, 50_000);
    }
}
