//! The rules of ARCHITECTURE.md, checked on the source: no two files import each other; the
//! training core (`nn`, `train`, `data`) never reaches rendering, the shell or the labs; the
//! renderer never reaches neural networks, labs or egui; the shell never reaches neural
//! networks or labs. A file's imports are the `crate::...` paths in its code (comments are
//! left out, so doc links do not count).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/ui/menu.rs` as `ui::menu`, `src/nn/mod.rs` as `nn`, `src/lib.rs` as ``.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        parts.clear();
    }
    parts.join("::")
}

/// The code of a file without its comments.
fn code_of(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .map(|line| line.split(" // ").next().unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::a::b::...` path in `code`, with the names inside `use crate::a::{b, c}`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let base = rest[..end].trim_end_matches(':').to_string();
        if rest[end..].starts_with('{') && rest[..end].ends_with("::") {
            let close = rest[end..].find('}').map_or(rest.len(), |c| end + c);
            for name in rest[end + 1..close].split(',') {
                let name: String = name
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                if !name.is_empty() {
                    paths.push(format!("{base}::{name}"));
                }
            }
        }
        paths.push(base);
    }
    paths
}

/// Module -> the modules its code names.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeMap<String, String> = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).expect("read a source file");
            (module_of(&src, f), code_of(&text))
        })
        .collect();
    let resolve = |path: &str| {
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len())
            .rev()
            .map(|k| parts[..k].join("::"))
            .find(|candidate| modules.contains_key(candidate))
    };
    modules
        .iter()
        .map(|(module, code)| {
            let used = crate_paths(code)
                .iter()
                .filter_map(|p| resolve(p))
                .filter(|m| m != module)
                .collect();
            (module.clone(), used)
        })
        .collect()
}

#[test]
fn no_two_files_import_each_other() {
    let graph = import_graph();
    assert!(graph.len() > 50, "only {} modules found", graph.len());
    let mut pairs = Vec::new();
    for (a, uses) in &graph {
        for b in uses {
            if a < b && graph.get(b).is_some_and(|back| back.contains(a)) {
                pairs.push(format!("{a} <-> {b}"));
            }
        }
    }
    assert!(pairs.is_empty(), "files that import each other: {pairs:?}");
}

#[test]
fn layers_only_look_down() {
    let graph = import_graph();
    let forbidden: [(&str, &[&str]); 7] = [
        // Files know nothing of what they hold.
        (
            "files",
            &[
                "nn", "render", "ui", "labs", "train", "data", "cli", "bench",
            ],
        ),
        (
            "nn",
            &["render", "ui", "labs", "train", "data", "cli", "bench"],
        ),
        ("train", &["render", "ui", "labs", "cli"]),
        (
            "forest",
            &["render", "ui", "labs", "train", "data", "cli", "bench"],
        ),
        ("data", &["render", "ui", "labs", "train", "cli"]),
        ("render", &["nn", "ui", "labs", "train", "data", "cli"]),
        ("ui", &["nn", "labs", "train", "data", "cli"]),
    ];
    let mut broken = Vec::new();
    for (module, uses) in &graph {
        for (layer, below) in forbidden {
            if module == layer || module.starts_with(&format!("{layer}::")) {
                for used in uses {
                    let top = used.split("::").next().unwrap_or_default();
                    if below.contains(&top) {
                        broken.push(format!("{module} uses {used}"));
                    }
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "imports against the layering: {broken:?}"
    );
    // The renderer and the training core know nothing of egui; the core nothing of wgpu.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (dir, crates) in [
        ("nn", &["egui", "wgpu", "winit"][..]),
        ("render", &["egui"][..]),
    ] {
        let mut files = Vec::new();
        rust_files(&src.join(dir), &mut files);
        for file in files {
            let code = code_of(&std::fs::read_to_string(&file).expect("read"));
            for name in crates {
                assert!(
                    !code.contains(&format!("{name}::")) && !code.contains(&format!("use {name}")),
                    "{} uses {name}",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn the_checker_sees_imports_and_skips_comments() {
    let code = code_of("use crate::a::{b, c::d};\n// crate::x::y\nlet v = crate::e::f(1);");
    let paths = crate_paths(&code);
    assert!(paths.contains(&"a::b".to_string()), "{paths:?}");
    assert!(paths.contains(&"a::c::d".to_string()), "{paths:?}");
    assert!(paths.contains(&"e::f".to_string()), "{paths:?}");
    assert!(!paths.iter().any(|p| p.starts_with('x')), "{paths:?}");
}
