//! Replays every committed fuzz input (`tests/fuzz_seeds/<target>/*`: the seed corpus and
//! the inputs fuzzing found) through the same code the fuzz targets in `fuzz/` run, so a
//! plain `cargo test` keeps them passing. See `tests/fuzz_cases/mod.rs` for what each target
//! does and `fuzz/README.md` for running the fuzzers.

#![allow(clippy::unwrap_used)]

mod fuzz_cases;

use std::path::PathBuf;

/// Every file of `tests/fuzz_seeds/<target>/`, sorted, each through `case`.
fn replay(target: &str, case: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_seeds")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    for file in files {
        eprintln!("{target}: {}", file.display());
        case(&std::fs::read(&file).unwrap());
    }
}

#[test]
fn idx() {
    replay("idx", fuzz_cases::idx);
}

#[test]
fn config() {
    replay("config", fuzz_cases::config);
}

#[test]
fn model_file() {
    replay("model_file", fuzz_cases::model_file);
}

#[test]
fn layout_file() {
    replay("layout_file", fuzz_cases::layout_file);
}

#[test]
fn forest_file() {
    replay("forest_file", fuzz_cases::forest_file);
}

#[test]
fn transformer_file() {
    replay("transformer_file", fuzz_cases::transformer_file);
}
