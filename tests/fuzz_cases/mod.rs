//! What each fuzz target does with one input, in one place: the targets under `fuzz/` and
//! `tests/fuzz_replay.rs` (which runs the committed inputs in `tests/fuzz_seeds/<target>/`)
//! both call these. A function returns normally whatever the input is; a panic, an
//! allocation failure or a hang is the bug being looked for.
//!
//! `NETVIZ_FUZZ_SKIP_GZIP=1` leaves out the gzip path of [`idx`] (`maybe_gunzip` has no
//! output limit yet, so a small gzip bomb exhausts memory): with it set, a fuzzing run can
//! look past that known failure for others.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use netviz::data::{idx, mnist};
use netviz::forest::Forest;
use netviz::labs::gallery::Panel;
use netviz::nn::config::ModelConfig;
use netviz::nn::io;
use netviz::render::Scene;
use netviz::ui::{Lab, LayoutStore, PanelKind, PanelSpec, SceneView, StatusInfo, Workspace};

/// The IDX readers on the raw bytes, then on the bytes as `maybe_gunzip` returns them.
pub fn idx(data: &[u8]) {
    let _ = idx::parse_images("fuzz-images", data);
    let _ = idx::parse_labels("fuzz-labels", data);
    if skip_gzip() {
        return;
    }
    if let Ok(bytes) = mnist::maybe_gunzip("x.gz", data.to_vec()) {
        let _ = idx::parse_images("fuzz-images", &bytes);
        let _ = idx::parse_labels("fuzz-labels", &bytes);
    }
}

fn skip_gzip() -> bool {
    static SKIP: OnceLock<bool> = OnceLock::new();
    *SKIP.get_or_init(|| std::env::var_os("NETVIZ_FUZZ_SKIP_GZIP").is_some_and(|v| v == "1"))
}

/// A model config as text (non-UTF-8 input is skipped), then its checks and shape inference.
/// Never `build()`: that allocates every weight of whatever size the input asks for.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = ModelConfig::from_json_str(text) {
        let _ = config.validate();
        let _ = config.layer_shapes();
        let _ = config.param_shapes();
    }
}

/// A model file (safetensors with the config in its metadata).
pub fn model_file(data: &[u8]) {
    let _ = io::parse_model_file(Path::new("fuzz.safetensors"), data);
}

/// A forest file; a forest it accepts is walked (predictions, paths, importances) and
/// must encode to bytes it accepts again.
pub fn forest_file(data: &[u8]) {
    let Ok(forest) = Forest::decode(data) else {
        return;
    };
    let row = vec![0.5f32; forest.n_features];
    let k = forest.trees.len();
    let _ = forest.predict_proba(&row, k);
    let _ = forest.votes(&row, k);
    let _ = forest.importances(k);
    for tree in &forest.trees {
        let _ = tree.leaf_after(&row, tree.splits() / 2);
        let _ = (tree.path(&row), tree.depth(), tree.leaves());
    }
    if let Err(e) = Forest::decode(&forest.encode()) {
        panic!("a forest that was read cannot be read back: {e}");
    }
}

/// A transformer model file; a model it accepts traces a short sequence and must encode to
/// bytes it accepts again.
pub fn transformer_file(data: &[u8]) {
    use netviz::nn::transformer::{HeadMask, Transformer};
    let path = Path::new("fuzz.safetensors");
    let Ok(model) = Transformer::from_bytes(data, path) else {
        return;
    };
    let config = *model.config();
    let tokens: Vec<u32> = (0..config.context.min(4) as u32)
        .map(|t| t % config.vocab as u32)
        .collect();
    let _ = model.trace(&tokens, &HeadMask::all_on(&config));
    let bytes = match model.to_bytes() {
        Ok(bytes) => bytes,
        Err(e) => panic!("a model that was read cannot be encoded: {e}"),
    };
    if let Err(e) = Transformer::from_bytes(&bytes, path) {
        panic!("a model that was read cannot be read back: {e}");
    }
}

/// A saved layout, read as a window opening the gallery lab reads it, then the restored
/// workspace's arrangement and tab stacks.
pub fn layout_file(data: &[u8]) {
    let store = LayoutStore::new(layout_dir());
    let lab = LayoutLab;
    let mut workspace = Workspace::new(&lab, &lab.default_layout());
    let path = store.path(lab.name());
    if let Err(e) = std::fs::write(&path, data) {
        panic!("cannot write the fuzz input to {}: {e}", path.display());
    }
    if let Ok(true) = store.load_into(&mut workspace) {
        let _ = workspace.arrangement();
        let _ = workspace.stacks();
        let _ = workspace.maximized();
    }
}

/// A folder of this process's own under the temp folder, with `layouts/` in it.
fn layout_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("netviz-fuzz-{}", std::process::id()));
        let layouts = dir.join("layouts");
        if let Err(e) = std::fs::create_dir_all(&layouts) {
            panic!("cannot create {}: {e}", layouts.display());
        }
        dir
    })
    .clone()
}

/// A lab with the gallery's name and panels and nothing behind them (no thread, no GPU):
/// all a workspace needs.
pub struct LayoutLab;

impl Lab for LayoutLab {
    fn name(&self) -> &str {
        "gallery"
    }
    fn update(&mut self) {}
    fn controls_ui(&mut self, _ui: &mut egui::Ui) {}
    fn panels(&self) -> Vec<PanelSpec> {
        Panel::ALL
            .iter()
            .map(|&panel| PanelSpec::of(panel, PanelKind::Egui))
            .collect()
    }
    fn scene(&mut self, _panel: usize, view: &SceneView) -> Scene {
        Scene::new(view.camera)
    }
    fn status(&self) -> StatusInfo {
        StatusInfo::default()
    }
    fn toggle_pause(&mut self) {}
    fn reset(&mut self) {}
}
