//! Forest files: a round trip predicts bit for bit what the saved forest did, and every
//! damaged file (truncated anywhere, a byte flipped, a newer version, foreign bytes, or a
//! correctly checksummed file whose trees do not hold together) is refused with one line
//! naming the file, never a panic.

use std::path::PathBuf;

use netviz::data::plane::{Dataset2d, DatasetKind};
use netviz::forest::{Forest, ForestConfig, ForestError, Table};
use sha2::{Digest, Sha256};

fn forest() -> (Forest, Table) {
    let data = Dataset2d::generate(DatasetKind::Spiral, 120, 0.1, 5);
    let table = Table::from_plane(&data.points, &data.labels);
    let config = ForestConfig {
        trees: 4,
        seed: 5,
        ..ForestConfig::default()
    };
    (Forest::fit(&table, &config).expect("fit"), table)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netviz-forest-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `bytes` with its checksum recomputed (to test the checks behind it).
fn rehash(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = bytes.len() - 32;
    let hash = Sha256::digest(&bytes[..n]);
    bytes[n..].copy_from_slice(&hash);
    bytes
}

/// Where the node array starts.
fn nodes_at(bytes: &[u8]) -> usize {
    16 + u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize
}

fn error_of(bytes: &[u8]) -> String {
    match Forest::decode(bytes) {
        Ok(_) => panic!("decoded a damaged forest"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_saved_forest_loads_and_predicts_bit_for_bit() {
    let (forest, table) = forest();
    let dir = temp_dir("roundtrip");
    let path = dir.join("spiral.forest");
    forest.save(&path).expect("save");
    let loaded = Forest::load(&path).expect("load");
    assert!(loaded == forest, "the loaded forest differs");
    for r in 0..table.rows {
        let row = table.row_f32(r);
        let (a, b) = (forest.predict_proba(&row, 4), loaded.predict_proba(&row, 4));
        assert_eq!(
            a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }
    assert_eq!(forest.encode(), loaded.encode());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn truncated_flipped_and_foreign_bytes_are_refused() {
    let (forest, _) = forest();
    let bytes = forest.encode();
    let step = (bytes.len() / 300).max(1);
    for len in (0..bytes.len()).step_by(step).chain([bytes.len() - 1]) {
        let msg = error_of(&bytes[..len]);
        assert!(!msg.contains('\n'), "{msg}");
    }
    for at in (0..bytes.len()).step_by(step) {
        let mut b = bytes.clone();
        b[at] ^= 0x10;
        let msg = error_of(&b);
        assert!(
            msg.contains("checksum")
                || msg.contains("magic")
                || msg.contains("version")
                || msg.contains("header"),
            "byte {at}: {msg}"
        );
    }
    let mut newer = bytes.clone();
    newer[8..12].copy_from_slice(&2u32.to_le_bytes());
    assert!(error_of(&rehash(newer)).contains("format version 2 is newer"));
    let mut magic = bytes.clone();
    magic[..8].copy_from_slice(b"NOTAFRST");
    assert!(error_of(&magic).contains("not a forest file"));
    assert!(error_of(b"").contains("truncated"));
}

#[test]
fn checksummed_files_whose_trees_do_not_hold_together_are_refused() {
    let (forest, _) = forest();
    let bytes = forest.encode();
    let at = nodes_at(&bytes);
    // (what the message names, node, field of the node, new value)
    let cases = [
        ("children", 0, 2, 9999),
        ("feature 7", 0, 0, 7),
        ("threshold", 0, 1, f32::NAN.to_bits()),
        ("weight", 0, 7, 3.5f32.to_bits()),
        ("samples", 1, 6, 1),
        ("parent", 1, 4, 2),
        ("impurity", 2, 8, (-1.0f32).to_bits()),
    ];
    for (what, node, field, value) in cases {
        let mut b = bytes.clone();
        let i = at + node * 40 + 4 * field;
        b[i..i + 4].copy_from_slice(&u32::to_le_bytes(value));
        let msg = error_of(&rehash(b));
        assert!(
            msg.starts_with("forest data: tree 0: node"),
            "{what}: {msg}"
        );
        assert!(msg.contains(what), "{what}: {msg}");
    }
    // A header that claims more nodes than the file holds.
    let text = String::from_utf8_lossy(&bytes[16..at]).into_owned();
    let nodes = forest.trees[0].nodes.len();
    let grown = text.replacen(&format!("[{nodes},"), &format!("[{},", nodes + 2), 1);
    let mut b = bytes[..16].to_vec();
    b[12..16].copy_from_slice(&(grown.len() as u32).to_le_bytes());
    b.extend_from_slice(grown.as_bytes());
    b.extend_from_slice(&bytes[at..]);
    assert!(error_of(&rehash(b)).contains("node counts need"));
}

#[test]
fn a_damaged_file_is_named_in_one_line() {
    let (forest, _) = forest();
    let dir = temp_dir("damaged");
    let path = dir.join("bad.forest");
    let mut bytes = forest.encode();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    std::fs::write(&path, &bytes).expect("write");
    let Err(err) = Forest::load(&path) else {
        panic!("a damaged file was loaded")
    };
    assert!(matches!(err, ForestError::Format { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "forest file {}: checksum mismatch: the file is truncated or altered",
            path.display()
        )
    );
    assert!(Forest::load(&dir).is_err());
    assert!(Forest::load(&dir.join("missing.forest")).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
