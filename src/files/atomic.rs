//! Atomic writes: a reader (or a crash) sees the old file or the new one, never part of one.
//!
//! [`AtomicFile`] writes to `.<name>.netviz-tmp-<pid>-<n>` in the target's folder; `commit`
//! syncs it and renames it over the target, then syncs the folder. Until then the target is
//! untouched, and a dropped, uncommitted file removes its temporary file. The target must be
//! absent or a regular file: a folder, device, pipe or symbolic link is never replaced.
//!
//! [`commit_together`] commits several files of one folder as a set (a model and its
//! metrics). Every temporary file is written and synced first; then a journal
//! (`.<name>.netviz-commit-<pid>-<n>`, itself written atomically) lists the renames; then
//! the renames run and the journal is removed. A process killed before the journal exists
//! leaves the old set (and temporary files that [`recover`] removes); one killed after it
//! leaves a journal that [`recover`] completes. Every reader and writer of such a set calls
//! [`recover`] on its folder first, so the set it sees is the old one or the new one.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{FileError, non_regular_kind};

/// Marks the program's temporary files.
const TEMP_MARK: &str = ".netviz-tmp-";
/// Marks the journals of [`commit_together`].
const JOURNAL_MARK: &str = ".netviz-commit-";

/// Makes temporary names unique within this process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The temporary files and journals this process is writing now: [`recover`] leaves them
/// alone (those of this process that are not here were left by a failed save).
static IN_PROGRESS: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// Marks `path` as being written (`true`) or no longer (`false`).
fn in_progress(path: &Path, busy: bool) {
    let mut set = IN_PROGRESS.lock().unwrap_or_else(|e| e.into_inner());
    if busy {
        set.insert(path.to_path_buf());
    } else {
        set.remove(path);
    }
}

/// Whether this process is writing `path` now.
fn is_in_progress(path: &Path) -> bool {
    IN_PROGRESS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(path)
}

/// The folder of `path` (`.` for a bare file name) and its file name.
fn split(path: &Path) -> Result<(PathBuf, String), FileError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| FileError::NoFileName {
            path: path.to_path_buf(),
        })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name))
}

/// A unique sibling name for `name` with `mark`: `.<name><mark><pid>-<n>`.
fn sibling(dir: &Path, name: &str, mark: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}{mark}{}-{n}", std::process::id()))
}

/// Fails unless `path` is absent or a regular file (not following a symbolic link).
pub fn check_replaceable(path: &Path) -> Result<(), FileError> {
    match fs::symlink_metadata(path) {
        Ok(meta) => match non_regular_kind(&meta) {
            None => Ok(()),
            Some(kind) => Err(FileError::NotRegular {
                path: path.to_path_buf(),
                kind,
                what: "nothing was written",
            }),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(FileError::io("checking", path)(e)),
    }
}

/// Best effort: makes a rename in `dir` durable. Not every platform can open a folder.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// A file being written; it replaces its target only on [`commit`](Self::commit).
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    file: Option<File>,
    /// True once the temporary file is renamed (or handed to a journal): nothing to clean up.
    settled: bool,
}

impl AtomicFile {
    /// Starts writing `target`: checks it is absent or a regular file, creates its folder if
    /// missing, and creates the temporary file beside it.
    pub fn create(target: &Path) -> Result<Self, FileError> {
        check_replaceable(target)?;
        let (dir, name) = split(target)?;
        fs::create_dir_all(&dir).map_err(FileError::io("creating folder", &dir))?;
        let temp = sibling(&dir, &name, TEMP_MARK);
        faults::step("create", &temp)?;
        in_progress(&temp, true);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| {
                in_progress(&temp, false);
                FileError::io("creating", &temp)(e)
            })?;
        Ok(Self {
            target: target.to_path_buf(),
            temp,
            file: Some(file),
            settled: false,
        })
    }

    /// The file this one replaces when committed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Appends `bytes`.
    pub fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), FileError> {
        faults::step("write", &self.temp)?;
        let temp = &self.temp;
        match &mut self.file {
            Some(file) => file
                .write_all(bytes)
                .map_err(FileError::io("writing", temp)),
            None => Ok(()),
        }
    }

    /// Flushes and syncs the temporary file and closes it.
    fn finish(&mut self) -> Result<(), FileError> {
        if let Some(file) = self.file.take() {
            faults::step("sync", &self.temp)?;
            file.sync_all()
                .map_err(FileError::io("syncing", &self.temp))?;
        }
        Ok(())
    }

    /// Renames the temporary file over the target.
    fn rename(&mut self) -> Result<(), FileError> {
        check_replaceable(&self.target)?;
        faults::step("rename", &self.target)?;
        fs::rename(&self.temp, &self.target).map_err(FileError::io(
            "renaming a temporary file onto",
            &self.target,
        ))?;
        self.settled = true;
        Ok(())
    }

    /// Syncs the file and renames it over its target. On error the target is unchanged and
    /// the temporary file removed.
    pub fn commit(mut self) -> Result<(), FileError> {
        self.finish()?;
        self.rename()?;
        if let Ok((dir, _)) = split(&self.target) {
            sync_dir(&dir);
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_bytes(buf).map_err(std::io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if faults::crashed() {
            return;
        }
        if !self.settled {
            self.file = None;
            let _ = fs::remove_file(&self.temp);
        }
        in_progress(&self.temp, false);
    }
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let mut file = AtomicFile::create(path)?;
    file.write_bytes(bytes)?;
    file.commit()
}

/// Commits `files` (all in one folder) as a set: after any interruption, once [`recover`]
/// has run on the folder, it holds every old file or every new one.
pub fn commit_together(mut files: Vec<AtomicFile>) -> Result<(), FileError> {
    if files.len() <= 1 {
        return match files.pop() {
            Some(file) => file.commit(),
            None => Ok(()),
        };
    }
    let (dir, first) = split(&files[0].target)?;
    let mut lines = String::new();
    for file in &mut files {
        let (file_dir, name) = split(&file.target)?;
        if file_dir != dir {
            return Err(FileError::io(
                "committing together with another folder",
                &file.target,
            )(std::io::Error::other(
                "the files of a set must share one folder",
            )));
        }
        check_replaceable(&file.target)?;
        file.finish()?;
        let (_, temp) = split(&file.temp)?;
        lines.push_str(&format!("{temp}\t{name}\n"));
    }
    let journal = sibling(&dir, &first, JOURNAL_MARK);
    in_progress(&journal, true);
    let result = write_atomic(&journal, lines.as_bytes()).and_then(|()| {
        sync_dir(&dir);
        // From here on the journal owns the temporary files: an error leaves them for
        // `recover`, which completes the set.
        for file in &mut files {
            file.settled = true;
        }
        for file in &mut files {
            file.rename()?;
        }
        sync_dir(&dir);
        faults::step("remove journal", &journal)?;
        fs::remove_file(&journal).map_err(FileError::io("removing", &journal))?;
        sync_dir(&dir);
        Ok(())
    });
    if !faults::crashed() {
        in_progress(&journal, false);
    }
    result
}

/// Whether the process `pid` that named `path` may still be writing it: another process
/// that is alive (on Linux; elsewhere every other process counts as alive, so nothing of
/// theirs is touched), or this one while the file is in progress. After a simulated crash
/// this process counts as ended, so tests can recover from it.
fn busy(pid: u32, path: &Path) -> bool {
    if pid == std::process::id() {
        return !faults::crashed() && is_in_progress(path);
    }
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

/// The process id in a name ending `<mark><pid>-<n>`.
fn owner(name: &str, mark: &str) -> Option<u32> {
    let rest = &name[name.rfind(mark)? + mark.len()..];
    rest.split('-').next()?.parse().ok()
}

/// Finishes or undoes what an interrupted process left in `dir`: completes the renames of
/// every journal whose process has ended, then removes the temporary files of ended
/// processes. Returns what it did, one line per change (for a note to the user).
pub fn recover(dir: &Path) -> Result<Vec<String>, FileError> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(FileError::io("listing", dir)(e)),
    };
    let names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    let mut done = Vec::new();
    for name in names.iter().filter(|n| n.contains(JOURNAL_MARK)) {
        let journal = dir.join(name);
        if name.contains(TEMP_MARK)
            || owner(name, JOURNAL_MARK).is_none_or(|pid| busy(pid, &journal))
        {
            continue;
        }
        let text = match super::bounded::read_text_bounded(&journal, 64 * 1024, "journal") {
            Ok(text) => text,
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e),
        };
        for line in text.lines() {
            let Some((temp, target)) = line.split_once('\t') else {
                continue;
            };
            if [temp, target].iter().any(|n| n.contains(['/', '\\'])) {
                continue;
            }
            let (temp, target) = (dir.join(temp), dir.join(target));
            if fs::symlink_metadata(&temp).is_ok_and(|m| m.is_file()) {
                check_replaceable(&target)?;
                fs::rename(&temp, &target)
                    .map_err(FileError::io("completing an interrupted save of", &target))?;
                done.push(format!(
                    "completed an interrupted save of {}",
                    target.display()
                ));
            }
        }
        sync_dir(dir);
        fs::remove_file(&journal).map_err(FileError::io("removing", &journal))?;
    }
    for name in names.iter().filter(|n| n.contains(TEMP_MARK)) {
        let temp = dir.join(name);
        if owner(name, TEMP_MARK).is_none_or(|pid| busy(pid, &temp)) {
            continue;
        }
        if fs::symlink_metadata(&temp).is_ok_and(|m| m.is_file()) && fs::remove_file(&temp).is_ok()
        {
            done.push(format!(
                "removed {}, left by an interrupted save",
                temp.display()
            ));
        }
    }
    Ok(done)
}

/// Failures injected into the steps above, for tests: the `n`th step from now fails, either
/// as an I/O error (cleanup runs) or as a crash (nothing more is done, as after `kill -9`).
#[doc(hidden)]
pub mod faults {
    use std::cell::Cell;
    use std::path::Path;

    use crate::files::FileError;

    /// How an injected failure behaves.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Fault {
        /// An I/O error: the writer cleans up as it would after a real one.
        Error,
        /// The process stops there: no cleanup, temporary files and journals stay.
        Crash,
    }

    thread_local! {
        static PLAN: Cell<Option<(u32, Fault)>> = const { Cell::new(None) };
        static CRASHED: Cell<bool> = const { Cell::new(false) };
        static STEPS: Cell<u32> = const { Cell::new(0) };
    }

    /// Makes step number `n` (0 = the next one) on this thread fail with `fault`.
    pub fn inject(n: u32, fault: Fault) {
        PLAN.with(|p| p.set(Some((n, fault))));
        CRASHED.with(|c| c.set(false));
        STEPS.with(|s| s.set(0));
    }

    /// Removes any injected failure and forgets a simulated crash.
    pub fn clear() {
        PLAN.with(|p| p.set(None));
        CRASHED.with(|c| c.set(false));
    }

    /// Steps run on this thread since the last [`inject`].
    pub fn steps() -> u32 {
        STEPS.with(Cell::get)
    }

    /// Whether a simulated crash happened (cleanup is skipped from then on).
    pub fn crashed() -> bool {
        CRASHED.with(Cell::get)
    }

    /// One step of a write, named `what`, on `path`.
    pub(super) fn step(what: &'static str, path: &Path) -> Result<(), FileError> {
        STEPS.with(|s| s.set(s.get() + 1));
        let fire = PLAN.with(|p| match p.get() {
            Some((0, fault)) => {
                p.set(None);
                Some(fault)
            }
            Some((n, fault)) => {
                p.set(Some((n - 1, fault)));
                None
            }
            None => None,
        });
        match fire {
            None => Ok(()),
            Some(fault) => {
                if fault == Fault::Crash {
                    CRASHED.with(|c| c.set(true));
                }
                Err(FileError::io(what, path)(std::io::Error::other(
                    "injected failure",
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "netviz-atomic-{name}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        dir
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .map(|e| {
                e.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn a_write_replaces_a_file_and_leaves_nothing_else() {
        let dir = scratch("replace");
        let path = dir.join("a.bin");
        write_atomic(&path, b"old").unwrap_or_else(|e| panic!("{e}"));
        write_atomic(&path, b"new").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fs::read(&path).ok().as_deref(), Some(&b"new"[..]));
        assert_eq!(listing(&dir), ["a.bin"]);
    }

    #[test]
    fn folders_and_links_are_never_replaced() {
        let dir = scratch("special");
        let folder = dir.join("sub");
        fs::create_dir(&folder).unwrap_or_else(|e| panic!("{e}"));
        let err = write_atomic(&folder, b"x").err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("is a folder, not a regular file")),
            "{err:?}"
        );
        #[cfg(unix)]
        {
            let target = dir.join("target.txt");
            fs::write(&target, b"keep").unwrap_or_else(|e| panic!("{e}"));
            let link = dir.join("link");
            std::os::unix::fs::symlink(&target, &link).unwrap_or_else(|e| panic!("{e}"));
            assert!(write_atomic(&link, b"x").is_err());
            assert_eq!(fs::read(&target).ok().as_deref(), Some(&b"keep"[..]));
            assert!(fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()));
        }
        assert_eq!(listing(&folder), Vec::<String>::new());
    }
}
