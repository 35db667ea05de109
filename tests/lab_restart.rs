//! The lab thread stopped and started 1,000 times, the way the window does it: the shell's
//! Lab menu path (`Shell::switch_to`) builds the next lab (which spawns its thread) and drops
//! the current one (which stops and joins its thread), alternating between the XOR lab
//! (training, unpaced) and the gallery (animating). After a warm-up the process's thread
//! count (`Threads:` in `/proc/self/status`) must come back to its baseline and its resident
//! memory (`VmRSS:`) must not grow by more than [`RSS_GROWTH_LIMIT_KB`].
//!
//! Linux only in effect: where `/proc/self/status` cannot be read the test prints a note and
//! passes without checking anything.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use netviz::labs::gallery::{GalleryLab, GalleryOptions};
use netviz::labs::xor::{XorLab, XorLabOptions, XorSettings};
use netviz::ui::{Dashboard, Lab, LabEntry, Shell};

/// Start/stop cycles measured, after [`WARMUP`] cycles that are not.
const CYCLES: usize = 1000;

/// Cycles before the baseline is taken: the allocator's arenas, the first thread-local
/// buffers and any lazily created thread pool are in place by then.
const WARMUP: usize = 50;

/// Allowed RSS growth over the measured cycles, in KiB. One lab leaked per cycle would cost
/// far more: the XOR snapshot alone holds a 64x64 output grid and one per hidden neuron
/// (64 KiB with 3 hidden neurons), the gallery's a 2,000-point cloud (24 KiB), i.e. tens of
/// MB over 1,000 cycles; a leaked thread shows in the thread count anyway. 4 MiB leaves room
/// for the allocator keeping freed pages around while catching any leak of more than about
/// 4 KiB per cycle.
const RSS_GROWTH_LIMIT_KB: u64 = 4 * 1024;

/// `(threads, VmRSS in KiB)` of this process, or `None` without `/proc`.
fn proc_status() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    Some((field("Threads:")?, field("VmRSS:")?))
}

fn xor_lab() -> Result<Box<dyn Lab>, String> {
    let options = XorLabOptions {
        settings: XorSettings {
            max_epochs: 1_000_000_000,
            ..XorSettings::default()
        },
        max_refresh_hz: None,
        ..XorLabOptions::default()
    };
    XorLab::new(options)
        .map(|lab| Box::new(lab) as Box<dyn Lab>)
        .map_err(|e| e.to_string())
}

/// `/proc/self/status` once a thread joined a moment ago has left the count: Linux lets
/// `join` return just before it removes the thread from `Threads:`, so a count above
/// `expected` is read again for up to a second (a leaked thread stays and fails the test).
fn settled_status(expected: u64) -> (u64, u64) {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let status = proc_status().unwrap();
        if status.0 <= expected || Instant::now() > deadline {
            return status;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn gallery_lab() -> Result<Box<dyn Lab>, String> {
    GalleryLab::new(GalleryOptions::default())
        .map(|lab| Box::new(lab) as Box<dyn Lab>)
        .map_err(|e| e.to_string())
}

/// Switches to the other lab and waits until the new lab's thread has published a snapshot
/// that moved it past step 0 (so every thread really ran before it is stopped).
fn cycle(shell: &mut Shell, i: usize) {
    shell.switch_to(i % 2);
    let name = ["xor", "gallery"][i % 2];
    assert_eq!(shell.lab().name(), name, "cycle {i}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        shell.lab_mut().update();
        if shell.lab().status().step > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "cycle {i}: the {name} lab's thread made no step within 10 s"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

#[test]
fn a_thousand_lab_restarts_leak_no_threads_and_no_memory() {
    let Some((threads_at_start, rss_at_start)) = proc_status() else {
        eprintln!("note: /proc/self/status is not readable here; the restart test checks nothing");
        return;
    };
    let started = Instant::now();
    let mut shell = Shell::new(xor_lab().unwrap(), Dashboard::new()).with_labs(vec![
        LabEntry::new("xor", "XOR", xor_lab),
        LabEntry::new("gallery", "Gallery", gallery_lab),
    ]);
    for i in 0..WARMUP {
        cycle(&mut shell, i);
    }
    let (threads_base, rss_base) = proc_status().unwrap();
    let mut threads_max = threads_base;
    let mut rss_max = rss_base;
    for i in WARMUP..WARMUP + CYCLES {
        cycle(&mut shell, i);
        let (threads, rss) = settled_status(threads_base);
        threads_max = threads_max.max(threads);
        rss_max = rss_max.max(rss);
    }
    let (threads_end, rss_end) = proc_status().unwrap();
    drop(shell);
    let (threads_after_drop, rss_after_drop) = proc_status().unwrap();
    eprintln!(
        "{CYCLES} lab restarts after {WARMUP} warm-up cycles in {:.1} s\n\
         threads: at start {threads_at_start}, after warm-up {threads_base}, max {threads_max}, \
         at the end {threads_end}, shell dropped {threads_after_drop}\n\
         VmRSS KiB: at start {rss_at_start}, after warm-up {rss_base}, max {rss_max}, \
         at the end {rss_end} ({:+}), shell dropped {rss_after_drop}",
        started.elapsed().as_secs_f64(),
        rss_end as i64 - rss_base as i64,
    );
    assert_eq!(
        threads_end, threads_base,
        "threads after {CYCLES} restarts against the baseline"
    );
    assert_eq!(
        threads_max, threads_base,
        "a restart left an extra thread running"
    );
    assert_eq!(
        threads_after_drop,
        threads_base - 1,
        "dropping the shell stops the last lab's thread"
    );
    assert!(
        rss_end <= rss_base + RSS_GROWTH_LIMIT_KB,
        "VmRSS grew from {rss_base} KiB to {rss_end} KiB over {CYCLES} restarts (limit +{RSS_GROWTH_LIMIT_KB} KiB)"
    );
}
