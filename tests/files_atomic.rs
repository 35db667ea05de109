//! The atomic writer under an injected failure at every step it takes: as an I/O error (the
//! writer cleans up) and as a crash (nothing more runs, as after `kill -9`, then
//! `files::recover`). Whatever the step, the target holds the old contents or the new ones,
//! a set holds the old set or the new one, and no temporary file or journal stays behind.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use netviz::files::atomic::faults::{self, Fault};
use netviz::files::{AtomicFile, commit_together, recover, write_atomic};

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netviz-files-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Commits `a` and `b` as a set into `dir`.
fn commit_pair(dir: &Path, a: &[u8], b: &[u8]) -> Result<(), netviz::files::FileError> {
    let mut first = AtomicFile::create(&dir.join("model.bin"))?;
    first.write_bytes(a)?;
    let mut second = AtomicFile::create(&dir.join("model.json"))?;
    second.write_bytes(b)?;
    commit_together(vec![first, second])
}

fn pair(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    (
        fs::read(dir.join("model.bin")).unwrap(),
        fs::read(dir.join("model.json")).unwrap(),
    )
}

#[test]
fn a_single_file_is_old_or_new_after_a_failure_at_any_step() {
    faults::inject(u32::MAX, Fault::Error);
    let dir = scratch("count1");
    write_atomic(&dir.join("f"), b"x").unwrap();
    let steps = faults::steps();
    faults::clear();
    assert!(
        steps >= 4,
        "create, write, sync and rename are steps: {steps}"
    );
    for fault in [Fault::Error, Fault::Crash] {
        for k in 0..steps {
            let dir = scratch("single");
            let path = dir.join("f");
            write_atomic(&path, b"old").unwrap();
            faults::inject(k, fault);
            let result = write_atomic(&path, b"new");
            if fault == Fault::Crash {
                recover(&dir).unwrap();
            }
            faults::clear();
            assert!(result.is_err(), "{fault:?} at step {k}");
            assert_eq!(fs::read(&path).unwrap(), b"old", "{fault:?} at step {k}");
            assert_eq!(names(&dir), ["f"], "{fault:?} at step {k}");
        }
    }
}

#[test]
fn a_pair_is_the_old_pair_or_the_new_one_after_a_failure_at_any_step() {
    // Count the steps of one commit.
    let dir = scratch("count2");
    faults::inject(u32::MAX, Fault::Error);
    commit_pair(&dir, b"m0", b"j0").unwrap();
    let steps = faults::steps();
    faults::clear();
    assert!(steps >= 10, "two files and a journal: {steps} steps");
    let old = (b"old model".to_vec(), b"old metrics".to_vec());
    let new = (b"new model".to_vec(), b"new metrics".to_vec());
    let mut outcomes = [0usize; 2];
    for fault in [Fault::Error, Fault::Crash] {
        for k in 0..steps {
            let dir = scratch("pair");
            commit_pair(&dir, &old.0, &old.1).unwrap();
            faults::inject(k, fault);
            let result = commit_pair(&dir, &new.0, &new.1);
            // After a crash the next process to touch the folder recovers it; after an error
            // the same process may go on (and a later save recovers what it left).
            let notes = recover(&dir).unwrap();
            faults::clear();
            recover(&dir).unwrap();
            let now = pair(&dir);
            assert!(
                now == old || now == new,
                "{fault:?} at step {k}: a mixed pair {now:?} ({result:?}, {notes:?})"
            );
            outcomes[usize::from(now == new)] += 1;
            if result.is_ok() {
                assert_eq!(now, new, "{fault:?} at step {k} reported success");
            }
            assert_eq!(
                names(&dir),
                ["model.bin", "model.json"],
                "{fault:?} at step {k}: leftovers"
            );
        }
    }
    // Early failures keep the old pair, late ones complete the new pair.
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}

#[test]
fn recovery_leaves_the_files_being_written_alone() {
    let dir = scratch("alive");
    // A file this process is writing now, a temporary file this process left after a failed
    // save, and one of a process that cannot exist.
    let mut writing = AtomicFile::create(&dir.join("f")).unwrap();
    writing.write_bytes(b"new").unwrap();
    let left = dir.join(format!(".g.netviz-tmp-{}-999999", std::process::id()));
    let gone = dir.join(".g.netviz-tmp-4294967294-7");
    fs::write(&left, b"stale").unwrap();
    fs::write(&gone, b"stale").unwrap();
    let notes = recover(&dir).unwrap();
    assert!(!left.exists(), "{notes:?}");
    if Path::new("/proc").is_dir() {
        assert!(!gone.exists(), "{notes:?}");
    }
    writing.commit().unwrap();
    assert_eq!(fs::read(dir.join("f")).unwrap(), b"new");
    assert_eq!(names(&dir), ["f"]);
}
