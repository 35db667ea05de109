//! The MNIST download path against a local HTTP server serving the real files (and a corrupt
//! copy, and one that closes the connection half-way), plus the cache's repair rules.

mod common;

use std::fs;
use std::path::Path;

use common::mnist_server::{Server, shared_mnist_dir};
use netviz::data::DataError;
use netviz::data::mnist::{self, DirSource, FILES, Quiet};

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("netviz-dl-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn downloads_verifies_and_stores_all_four_files() {
    let server = Server::start(16);
    let dir = temp_dir("good");
    let good = server.mirror("good");
    let data = mnist::load(&dir, DirSource::Flag, &[&good], &mut Quiet).expect("download");
    assert_eq!(data.train_images.count, 60_000);
    assert_eq!((data.train_images.rows, data.train_images.cols), (28, 28));
    assert_eq!(data.test_labels.len(), 10_000);
    let mut want: Vec<String> = FILES.iter().map(|f| format!("{}.gz", f.stem)).collect();
    want.sort();
    assert_eq!(
        names_in(&dir),
        want,
        "only the four verified files, no partial ones"
    );
    // A second load reads the cache without asking the server.
    let before = server.served.load(std::sync::atomic::Ordering::Relaxed);
    mnist::load(&dir, DirSource::Flag, &[], &mut Quiet).expect("cached");
    assert_eq!(
        server.served.load(std::sync::atomic::Ordering::Relaxed),
        before
    );
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_corrupt_mirror_is_skipped_for_the_next_one() {
    let server = Server::start(8);
    let dir = temp_dir("corrupt-then-good");
    let (corrupt, good) = (server.mirror("corrupt"), server.mirror("good"));
    let raw = mnist::obtain(&dir, &FILES[3], &[&corrupt, &good], false, &mut Quiet)
        .expect("second mirror");
    assert_eq!(raw.len(), 8 + 10_000);
    assert_eq!(
        names_in(&dir),
        vec!["t10k-labels-idx1-ubyte.gz".to_string()]
    );
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn corrupt_and_truncated_downloads_leave_no_file() {
    let server = Server::start(8);
    let dir = temp_dir("bad");
    let (corrupt, truncated) = (server.mirror("corrupt"), server.mirror("truncated"));
    let err =
        mnist::obtain(&dir, &FILES[2], &[&corrupt, &truncated], false, &mut Quiet).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DataError::Unavailable { .. }), "{msg}");
    assert!(msg.contains(&corrupt) && msg.contains(&truncated), "{msg}");
    assert!(msg.contains("Put the four MNIST files"), "{msg}");
    assert!(
        names_in(&dir).is_empty(),
        "left behind: {:?}",
        names_in(&dir)
    );
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_cached_file_with_the_wrong_hash_is_replaced() {
    let server = Server::start(8);
    let dir = temp_dir("repair");
    // A raw label file whose bytes are valid IDX but not MNIST's.
    fs::write(
        dir.join("t10k-labels-idx1-ubyte"),
        netviz::data::idx::encode_labels(&[1; 10_000]),
    )
    .unwrap();
    let good = server.mirror("good");
    let raw = mnist::obtain(&dir, &FILES[3], &[&good], true, &mut Quiet).expect("repaired");
    let original = mnist::read_verified(
        &shared_mnist_dir().join("t10k-labels-idx1-ubyte.gz"),
        &FILES[3],
    )
    .unwrap();
    assert_eq!(raw, original);
    assert_eq!(
        names_in(&dir),
        vec!["t10k-labels-idx1-ubyte.gz".to_string()]
    );
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_corrupt_file_in_a_user_folder_is_reported_and_kept() {
    let dir = temp_dir("user");
    let bogus = b"\x1f\x8b\x08\x00 this is not gzip".to_vec();
    let path = dir.join("t10k-labels-idx1-ubyte.gz");
    fs::write(&path, &bogus).unwrap();
    let err = mnist::obtain(&dir, &FILES[3], &[], false, &mut Quiet)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("t10k-labels") && err.contains("corrupt gzip"),
        "{err}"
    );
    assert_eq!(
        fs::read(&path).unwrap(),
        bogus,
        "the user's file is untouched"
    );
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn offline_gives_one_clear_message() {
    // A port with nothing listening: bind, take the address, close.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dead = format!("http://{addr}/mnist/");
    let dir = temp_dir("offline");
    let err = mnist::load(&dir, DirSource::Flag, &[&dead], &mut Quiet)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("train-images-idx3-ubyte") && err.contains(&dead),
        "{err}"
    );
    assert!(
        err.contains("--data-dir") && err.contains("NETVIZ_DATA_DIR"),
        "{err}"
    );
    assert!(!err.contains('\n'), "one line: {err}");
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_missing_user_folder_is_an_error() {
    let dir = std::env::temp_dir().join("netviz-definitely-missing-folder");
    let err = mnist::load(&dir, DirSource::Flag, &[], &mut Quiet)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("does not exist") && err.contains("--data-dir"),
        "{err}"
    );
    assert!(!dir.exists());
}

#[test]
fn the_shared_files_verify() {
    let data =
        mnist::load(&shared_mnist_dir(), DirSource::Flag, &[], &mut Quiet).expect("shared MNIST");
    let mut counts = [0usize; 10];
    for &l in &data.train_labels {
        counts[usize::from(l)] += 1;
    }
    assert_eq!(
        counts,
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
}
