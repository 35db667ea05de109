//! Run files of the MNIST, forest and attention labs: a run saved and reopened has the same
//! moments (each one's bytes equal), the same pictures at the same moment, its model in the
//! `model` section, shows as a paused saved run; a damaged copy is refused with an error;
//! and a second run started from a lab's controls (`fork`) makes the same run.

// The helpers of these tests unwrap: a failure there is the test's failure.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use netviz::data::mnist::{self, DirSource, Mnist, Quiet};
use netviz::data::plane::DatasetKind;
use netviz::data::preprocess::Dataset;
use netviz::data::tasks::TaskKind;
use netviz::forest::Forest;
use netviz::labs::LabError;
use netviz::labs::attention::{AttentionLab, AttentionLabOptions, AttentionSettings};
use netviz::labs::forest::{ForestData, ForestLab, ForestLabOptions, ForestSettings};
use netviz::labs::mnist::analysis::conv_filters;
use netviz::labs::mnist::{MnistLab, MnistSetup};
use netviz::labs::run_file::RunFile;
use netviz::labs::run_file::shared::scope_write;
use netviz::nn::config::ModelConfig;
use netviz::nn::io::load_model_bytes;
use netviz::nn::transformer::Transformer;
use netviz::render::GpuContext;
use netviz::train::mnist::prepare;
use netviz::ui::Lab;
use netviz::ui::headless::render_panel;

/// The test binary's GPU context.
fn gpu() -> &'static GpuContext {
    static GPU: OnceLock<GpuContext> = OnceLock::new();
    GPU.get_or_init(|| {
        GpuContext::headless().unwrap_or_else(|e| panic!("these tests need a GPU adapter: {e}"))
    })
}

/// A fresh path in the temporary folder.
fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netviz-run-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A moment as postcard writes it, every shared value in full.
fn bytes_of<S: serde::Serialize>(moment: &S) -> Vec<u8> {
    scope_write(|| postcard::to_stdvec(moment)).unwrap()
}

/// What every lab's saved run must do: the same steps and losses as the lab it was saved
/// from (the caller compares the moments' bytes), shown paused as a saved run, nothing
/// trained when asked.
fn check_reopened(lab: &dyn Lab, opened: &mut dyn Lab) {
    assert!(opened.is_saved_run() && !lab.is_saved_run());
    let (a, b) = (lab.timeline().unwrap(), opened.timeline().unwrap());
    assert_eq!(a.steps, b.steps, "the reopened run has the saved moments");
    assert_eq!(a.losses, b.losses);
    assert!(a.steps.len() >= 3, "{:?}", a.steps);
    let status = opened.status();
    assert!(status.paused);
    assert_eq!(status.step, *a.steps.last().unwrap());
    assert!(
        status
            .message
            .as_deref()
            .unwrap_or("")
            .starts_with("saved run "),
        "{status:?}"
    );
    opened.toggle_pause();
    opened.reset();
    opened.update();
    assert_eq!(opened.timeline().unwrap().steps, a.steps);
    assert!(opened.status().paused);
}

/// Both labs' panel `id` at moment `k`: the same pixels.
fn same_panel(lab: Box<dyn Lab>, opened: Box<dyn Lab>, k: usize, id: &str) {
    let mut pictures = Vec::new();
    for mut l in [lab, opened] {
        l.seek(Some(k));
        pictures.push(render_panel(gpu(), l, id, [360, 260], 1.0).unwrap());
    }
    assert_eq!(
        (pictures[0].width, pictures[0].height),
        (pictures[1].width, pictures[1].height)
    );
    assert!(
        pictures[0].pixels == pictures[1].pixels,
        "panel {id} at moment {k} differs"
    );
    // Not an empty picture: more than one color.
    let first = &pictures[0].pixels[..4];
    assert!(pictures[0].pixels.chunks(4).any(|p| p != first), "{id}");
}

/// A truncated copy and a copy with one byte flipped are refused with an error by `open`.
fn damaged_copies_are_refused(path: &Path, open: impl Fn(&RunFile) -> Result<(), LabError>) {
    let bytes = std::fs::read(path).unwrap();
    let read = |name: &str, bytes: &[u8]| {
        let copy = temp_path(name);
        std::fs::write(&copy, bytes).unwrap();
        RunFile::read(&copy)
            .map_err(LabError::from)
            .and_then(|run| open(&run))
    };
    for cut in [bytes.len() / 2, bytes.len() - 1] {
        let e = read("truncated.nvrun", &bytes[..cut])
            .unwrap_err()
            .to_string();
        assert!(e.contains("truncated"), "{cut}: {e}");
    }
    for at in [bytes.len() / 3, bytes.len() * 2 / 3] {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x04;
        let e = read("flipped.nvrun", &flipped).unwrap_err().to_string();
        assert!(e.contains("checksum"), "{at}: {e}");
    }
    // The intact file opens.
    read("intact.nvrun", &bytes).unwrap();
}

/// The losses of `a` and `b` at the steps both recorded: equal; returns how many such
/// steps have a loss.
fn same_losses_at_common_steps(a: &dyn Lab, b: &dyn Lab) -> usize {
    let (a, b) = (a.timeline().unwrap(), b.timeline().unwrap());
    let mut compared = 0;
    for (i, step) in a.steps.iter().enumerate() {
        if let Some(j) = b.steps.iter().position(|s| s == step) {
            assert_eq!(a.losses[i], b.losses[j], "loss at step {step}");
            compared += usize::from(a.losses[i].is_some());
        }
    }
    compared
}

/// Updates `lab` until its status and its newest recorded moment are at `step`.
fn run_until(lab: &mut dyn Lab, step: u64, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while lab.status().step < step || lab.timeline().unwrap().steps.last() != Some(&step) {
        assert!(
            Instant::now() < deadline,
            "{what} did not reach step {step}"
        );
        lab.update();
        std::thread::sleep(Duration::from_millis(2));
    }
}

// --- MNIST ---

/// The default config on 5% of the training images, three epochs.
fn mnist_config() -> ModelConfig {
    let mut config = ModelConfig::from_json_str(include_str!("../assets/configs/default_cnn.json"))
        .expect("default config");
    config.percent_of_train_data_to_use = 0.05;
    config.epochs = 3;
    config
}

/// Real MNIST, loaded once per test binary.
fn real_mnist() -> &'static Arc<Mnist> {
    static DATA: OnceLock<Arc<Mnist>> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = common::mnist_server::shared_mnist_dir();
        Arc::new(mnist::load(&dir, DirSource::Flag, &[], &mut Quiet).expect("real MNIST"))
    })
}

/// The lab's setup from real MNIST, prepared once per test binary.
fn mnist_setup() -> MnistSetup {
    static SPLITS: OnceLock<(Arc<Dataset>, Arc<Dataset>)> = OnceLock::new();
    let config = mnist_config();
    let (train, val) = SPLITS.get_or_init(|| {
        let splits = prepare(&config, real_mnist()).expect("prepare");
        (Arc::new(splits.train), Arc::new(splits.val))
    });
    MnistSetup {
        model: config.build().expect("build"),
        config,
        train: Arc::clone(train),
        val: Arc::clone(val),
        source: Some(Arc::clone(real_mnist())),
    }
}

/// An MNIST lab trained to the end.
fn trained_mnist() -> MnistLab {
    let mut lab = MnistLab::new(mnist_setup(), false).unwrap();
    assert!(lab.wait_until_done(Duration::from_secs(60)));
    lab
}

#[test]
fn a_saved_mnist_run_reopens_as_it_was() {
    let mut lab = trained_mnist();
    let path = temp_path("mnist.nvrun");
    let said = lab.save_run(&path).unwrap();
    assert!(said.contains("moments up to batch 225"), "{said}");
    let run = RunFile::read(&path).unwrap();
    assert_eq!(run.lab(), "mnist");
    assert_eq!(run.header.settings["epochs"], 3);
    let mut opened = MnistLab::open_run(&run).unwrap();
    check_reopened(&lab, &mut opened);
    let n = lab.timeline().unwrap().steps.len();
    for i in 0..n {
        lab.seek(Some(i));
        opened.seek(Some(i));
        assert!(
            bytes_of(lab.snapshot()) == bytes_of(opened.snapshot()),
            "moment {i}"
        );
    }
    // Shared values come back shared: one dataset for every moment.
    opened.seek(Some(0));
    let first = Arc::clone(&opened.snapshot().val);
    opened.seek(Some(n - 1));
    assert!(Arc::ptr_eq(&first, &opened.snapshot().val));
    // The model section is the model of the last moment.
    let (config, model) = load_model_bytes(Path::new("model"), run.model().unwrap()).unwrap();
    assert_eq!(config, opened.snapshot().config);
    assert_eq!(conv_filters(&model), opened.snapshot().filters);
    same_panel(Box::new(lab), Box::new(opened), n / 2, "filters");
    damaged_copies_are_refused(&path, |run| MnistLab::open_run(run).map(|_| ()));
}

#[test]
fn an_mnist_fork_trains_the_same_run() {
    let lab = trained_mnist();
    let mut fork = lab.fork(None).unwrap();
    assert!(!fork.is_saved_run());
    let last = *lab.timeline().unwrap().steps.last().unwrap();
    run_until(fork.as_mut(), last, "the MNIST fork");
    assert!(same_losses_at_common_steps(&lab, fork.as_ref()) >= 1);
}

// --- forest ---

fn forest_options() -> ForestLabOptions {
    let mut settings = ForestSettings {
        data: ForestData::Plane(DatasetKind::Moons),
        points: 200,
        trees_per_sec: Some(40.0),
        net_epochs: 1_000,
        ..ForestSettings::default()
    };
    settings.forest.trees = 12;
    ForestLabOptions {
        settings,
        ..ForestLabOptions::default()
    }
}

#[test]
fn a_saved_forest_run_reopens_as_it_was() {
    let mut lab = ForestLab::new_complete(forest_options()).unwrap();
    lab.update();
    let path = temp_path("forest.nvrun");
    let said = lab.save_run(&path).unwrap();
    assert!(said.contains("13 moments up to tree 12"), "{said}");
    let run = RunFile::read(&path).unwrap();
    assert_eq!(run.header.settings["forest"]["trees"], 12);
    let mut opened = ForestLab::open_run(&run).unwrap();
    check_reopened(&lab, &mut opened);
    for i in 0..13 {
        lab.seek(Some(i));
        opened.seek(Some(i));
        assert!(
            bytes_of(&**lab.snapshot()) == bytes_of(&**opened.snapshot()),
            "moment {i}"
        );
        assert_eq!(opened.snapshot().trees.len(), i);
    }
    // Each tree is one value every later moment shares.
    let last = Arc::clone(opened.snapshot());
    opened.seek(Some(5));
    assert!(Arc::ptr_eq(&opened.snapshot().trees[2], &last.trees[2]));
    // The model section is the forest of the last moment.
    let forest = Forest::decode(run.model().unwrap()).unwrap();
    assert_eq!(forest.trees.len(), 12);
    for (a, b) in forest.trees.iter().zip(&last.trees) {
        assert_eq!(*a, b.tree);
    }
    same_panel(Box::new(lab), Box::new(opened), 6, "vote-map");
    damaged_copies_are_refused(&path, |run| ForestLab::open_run(run).map(|_| ()));
}

#[test]
fn a_forest_fork_grows_the_same_forest() {
    let lab = ForestLab::new_complete(forest_options()).unwrap();
    let mut fork = lab.fork(None).unwrap();
    run_until(fork.as_mut(), 12, "the forest fork");
    // The lab recorded every tree: every moment of the fork is compared.
    let with_loss = fork.timeline().unwrap().losses.iter().flatten().count();
    assert!(with_loss >= 1);
    assert_eq!(same_losses_at_common_steps(&lab, fork.as_ref()), with_loss);
}

// --- attention ---

fn attention_options() -> AttentionLabOptions {
    AttentionLabOptions {
        settings: AttentionSettings {
            task: TaskKind::Sort,
            width: 16,
            heads: 2,
            layers: 1,
            batch: 8,
            max_steps: Some(60),
            ..AttentionSettings::default()
        },
        paused: true,
        steps_before: 60,
    }
}

#[test]
fn a_saved_attention_run_reopens_as_it_was() {
    let mut lab = AttentionLab::new(attention_options()).unwrap();
    lab.update();
    let path = temp_path("attention.nvrun");
    lab.save_run(&path).unwrap();
    let run = RunFile::read(&path).unwrap();
    assert_eq!(run.header.settings["task"], "sort");
    let mut opened = AttentionLab::open_run(&run).unwrap();
    check_reopened(&lab, &mut opened);
    let n = lab.timeline().unwrap().steps.len();
    for i in 0..n {
        lab.seek(Some(i));
        opened.seek(Some(i));
        assert!(
            bytes_of(&**lab.snapshot()) == bytes_of(&**opened.snapshot()),
            "moment {i}"
        );
    }
    assert_eq!(opened.probe(), &opened.snapshot().probe);
    // The model section is the model of the last moment.
    let model = Transformer::from_bytes(run.model().unwrap(), Path::new("model")).unwrap();
    let last = &opened.snapshot().model;
    assert_eq!(model.config(), last.config());
    for (a, b) in model.params().iter().zip(last.params()) {
        assert_eq!(a.value.data(), b.value.data(), "{}", a.name);
    }
    same_panel(Box::new(lab), Box::new(opened), n / 2, "maps");
    damaged_copies_are_refused(&path, |run| AttentionLab::open_run(run).map(|_| ()));
}

#[test]
fn an_attention_fork_trains_the_same_run() {
    let lab = AttentionLab::new(attention_options()).unwrap();
    let mut fork = lab.fork(None).unwrap();
    run_until(fork.as_mut(), 60, "the attention fork");
    // The lab recorded every step: every moment of the fork is compared.
    let with_loss = fork.timeline().unwrap().losses.iter().flatten().count();
    assert!(with_loss >= 1);
    assert_eq!(same_losses_at_common_steps(&lab, fork.as_ref()), with_loss);
}
