//! Ctrl-C, `kill` (SIGTERM) and a closed terminal (SIGHUP) all stop a long command the same
//! way: the first one sets a stop flag (training stops after the current batch, and the
//! command saves what it has); a second one quits at once, unless a save is being committed,
//! which is then finished first. After a signal the command exits with 128 + its number
//! (130, 143, 129), so scripts can tell an interrupted run from a finished one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// The first signal received (0: none).
static RECEIVED: AtomicI32 = AtomicI32::new(0);
/// True while a save is being committed: a second signal waits for it.
static SAVING: AtomicBool = AtomicBool::new(false);
/// A second signal that arrived during a save: quit right after it.
static QUIT_AFTER_SAVE: AtomicBool = AtomicBool::new(false);

fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "Ctrl-C",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        _ => "signal",
    }
}

/// Sets `stop` on the first SIGINT, SIGTERM or SIGHUP; quits on the second. `what` says what
/// happens on the first ("stopping after the current batch").
pub fn install(stop: Arc<AtomicBool>, what: &'static str) {
    let mut signals = match Signals::new([SIGINT, SIGTERM, SIGHUP]) {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("warning: Ctrl-C and SIGTERM will not stop training cleanly: {e}");
            return;
        }
    };
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if RECEIVED
                    .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
                {
                    stop.store(true, Ordering::SeqCst);
                    eprintln!("\n{}: {what} (again to quit at once)", name(signal));
                } else if SAVING.load(Ordering::SeqCst) {
                    QUIT_AFTER_SAVE.store(true, Ordering::SeqCst);
                    eprintln!("\n{}: quitting once the save is complete", name(signal));
                } else {
                    std::process::exit(128 + signal);
                }
            }
        });
    if let Err(e) = spawned {
        eprintln!("warning: Ctrl-C and SIGTERM will not stop training cleanly: {e}");
    }
}

/// Runs `save` with a second signal held off until it returns.
pub fn while_saving<T>(save: impl FnOnce() -> T) -> T {
    SAVING.store(true, Ordering::SeqCst);
    let result = save();
    SAVING.store(false, Ordering::SeqCst);
    if QUIT_AFTER_SAVE.load(Ordering::SeqCst) {
        std::process::exit(128 + RECEIVED.load(Ordering::SeqCst));
    }
    result
}

/// The exit code after a signal stopped the command (128 + the signal), if one did.
pub fn exit_code() -> Option<u8> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        signal => u8::try_from(128 + signal).ok(),
    }
}
