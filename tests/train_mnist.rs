//! The training loop on real MNIST (from `../shared/data/mnist`) and on synthetic data built
//! to force its edge cases: learning in one epoch, reproducibility, early stopping that puts
//! the best weights back, divergence that keeps (and saves) the best model, the stop flag.

mod common;

use std::sync::OnceLock;
use std::sync::atomic::Ordering;

use rand::Rng;

use common::mnist_server::shared_mnist_dir;
use netviz::data::mnist::{self, DirSource, Mnist, Quiet};
use netviz::data::preprocess::Dataset;
use netviz::nn::config::ModelConfig;
use netviz::nn::init::rng_from_seed;
use netviz::nn::{Sequential, io};
use netviz::train::mnist::{MnistSplits, prepare};
use netviz::train::{EVAL_BATCH, Kept, StopReason, Trainer, evaluate};

const DEFAULT_CONFIG: &str = include_str!("../assets/configs/default_cnn.json");

/// Real MNIST, loaded once per test binary.
fn mnist() -> &'static Mnist {
    static DATA: OnceLock<Mnist> = OnceLock::new();
    DATA.get_or_init(|| {
        mnist::load(&shared_mnist_dir(), DirSource::Flag, &[], &mut Quiet)
            .expect("real MNIST in ../shared/data/mnist")
    })
}

/// The default config with a share of the training data and a number of epochs.
fn default_config(share: f64, epochs: usize) -> ModelConfig {
    let mut config = ModelConfig::from_json_str(DEFAULT_CONFIG).expect("default config");
    config.percent_of_train_data_to_use = share;
    config.epochs = epochs;
    config
}

fn mnist_trainer(config: &ModelConfig) -> (Trainer, Dataset) {
    let MnistSplits { train, val, test } = prepare(config, mnist()).expect("prepare");
    let model = config.build().expect("build");
    let trainer = Trainer::new(config.clone(), model, train, val).expect("trainer");
    (trainer, test)
}

fn weights(model: &Sequential) -> Vec<Vec<f32>> {
    model
        .params()
        .map(|(_, p)| p.value.data().to_vec())
        .collect()
}

#[test]
fn the_default_config_learns_mnist_in_one_epoch() {
    let config = default_config(0.2, 1);
    let (mut trainer, test) = mnist_trainer(&config);
    assert_eq!(
        trainer.train_data().len(),
        9600,
        "20% of 60,000, 80% of that"
    );
    assert_eq!(trainer.val_data().class_counts(10), vec![240; 10]);
    let mut batches = 0;
    let reason = trainer
        .run(|step| batches += usize::from(step.batch.is_some()))
        .expect("training");
    assert_eq!(reason, StopReason::Completed { epochs: 1 });
    assert_eq!(batches, 300);
    let summary = &trainer.history()[0];
    let val = summary.validation.as_ref().expect("validated");
    assert_eq!(val.metrics.total, 1200, "half of the validation set");
    assert!(summary.wall_secs > 0.0);
    let mut model = trainer.into_model();
    let eval = evaluate(&mut model, &test, None, 10, EVAL_BATCH).expect("evaluate");
    assert_eq!(eval.metrics.total, 10_000);
    assert!(
        eval.metrics.accuracy > 0.85,
        "test accuracy {} after one epoch",
        eval.metrics.accuracy
    );
    assert!(
        eval.loss.is_finite() && eval.loss < 0.6,
        "loss {}",
        eval.loss
    );
}

#[test]
fn the_same_seed_gives_the_same_weights() {
    let run = |seed: u64| {
        let mut config = default_config(0.05, 1);
        config.seed = seed;
        let (mut trainer, _) = mnist_trainer(&config);
        trainer.run(|_| {}).expect("training");
        (weights(trainer.model()), trainer.history()[0].train_loss)
    };
    let a = run(7);
    assert_eq!(a, run(7), "same seed, same thread count");
    assert_ne!(a.0, run(8).0, "another seed");
}

#[test]
fn divergence_stops_cleanly_and_keeps_the_best_model() {
    let config = default_config(0.05, 5);
    let (mut trainer, test) = mnist_trainer(&config);
    // A sane first epoch.
    let mut after_epoch_1 = None;
    while after_epoch_1.is_none() {
        let step = trainer.step().expect("step");
        assert!(step.stop.is_none(), "{:?}", step.stop);
        if step.epoch.is_some() {
            after_epoch_1 = Some(weights(trainer.model()));
        }
    }
    // Then an absurd learning rate, changed live as a UI would: Adam's first steps move every
    // weight by about the learning rate, so sums of products overflow to inf and then NaN.
    // (Merely huge rates such as 1e9 often leave a dead network with a finite loss instead.)
    trainer.set_learning_rate(f32::MAX);
    let reason = trainer.run(|_| {}).expect("divergence is not an error");
    let StopReason::Diverged {
        epoch,
        learning_rate,
        ..
    } = reason
    else {
        panic!("expected a divergence, got {reason:?}");
    };
    assert_eq!(epoch, 2);
    assert_eq!(learning_rate, f32::MAX);
    let message = reason.to_string();
    assert!(
        message.contains("epoch 2, batch ") && message.contains("lower learning rate"),
        "{message}"
    );
    assert!(matches!(trainer.kept(), Some(Kept::Epoch { epoch: 1, .. })));
    assert_eq!(Some(weights(trainer.model())), after_epoch_1);

    // The kept model saves, loads back and still classifies.
    let dir = std::env::temp_dir().join(format!("netviz-diverge-{}", std::process::id()));
    let path = dir.join("best.safetensors");
    let mut model = trainer.into_model();
    io::save_model(&path, &config, &model).expect("save");
    let (_, mut loaded) = io::load_model(&path).expect("load");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(weights(&loaded), weights(&model));
    let a = evaluate(&mut model, &test, None, 10, EVAL_BATCH).expect("eval");
    let b = evaluate(&mut loaded, &test, None, 10, EVAL_BATCH).expect("eval");
    assert_eq!(a, b);
    assert!(a.metrics.accuracy > 0.8, "accuracy {}", a.metrics.accuracy);
}

#[test]
fn the_stop_flag_ends_training_after_the_current_batch() {
    let config = default_config(0.05, 3);
    let (mut trainer, _) = mnist_trainer(&config);
    let flag = trainer.stop_flag();
    for _ in 0..3 {
        assert!(trainer.step().expect("step").batch.is_some());
    }
    flag.store(true, Ordering::Relaxed);
    let step = trainer.step().expect("step");
    assert!(step.batch.is_none(), "no batch after the flag");
    assert_eq!(
        step.stop,
        Some(StopReason::Interrupted { epoch: 1, batch: 3 })
    );
    assert_eq!(trainer.kept(), Some(Kept::LastBatch));
    // Further steps do nothing and report the same reason.
    let before = weights(trainer.model());
    assert_eq!(trainer.step().expect("step").stop, step.stop);
    assert_eq!(weights(trainer.model()), before);
}

/// 4 classes of 4x4 images, class `c` a bright row `c` plus noise; labels shifted by
/// `label_shift` (mod 4).
fn rows(count: usize, label_shift: u8, seed: u64) -> Dataset {
    let mut rng = rng_from_seed(seed);
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    for i in 0..count {
        let class = (i % 4) as u8;
        for r in 0..4u8 {
            for _ in 0..4 {
                let ink = if r == class { 0.8 } else { 0.0 };
                pixels.push(ink + rng.random_range(0.0..0.2f32));
            }
        }
        labels.push((class + label_shift) % 4);
    }
    Dataset {
        side: 4,
        pixels,
        labels,
    }
}

const ROWS_CONFIG: &str = r#"{
    "epochs": 20, "patience": 2, "batch_size": 16, "validation_subset_ratio": 1.0,
    "percent_of_train_data_to_use": 1.0, "percent_train_data_to_use_for_validation": 0.2,
    "num_classes": 4, "input_size": 4, "in_channels": 1, "model_output_filename": "rows",
    "optimizer": "adam", "learning_rate": 0.05, "seed": 3,
    "layers": [{"type": "flatten"}, {"type": "dense", "out_features": 4}, {"type": "softmax"}]
}"#;

#[test]
fn early_stopping_stops_after_patience_epochs_and_restores_the_best_weights() {
    // The validation labels contradict the training labels (shifted by one), so the better
    // the model fits the training set, the worse its validation loss: every epoch after the
    // first is worse than the first.
    let config = ModelConfig::from_json_str(ROWS_CONFIG).expect("config");
    let model = config.build().expect("build");
    let val = rows(64, 1, 2);
    let mut trainer = Trainer::new(config, model, rows(256, 0, 1), val.clone()).expect("trainer");
    let mut after = Vec::new();
    let reason = loop {
        let step = trainer.step().expect("step");
        if step.epoch.is_some() && step.stop.is_none() {
            after.push(weights(trainer.model()));
        }
        if let Some(reason) = step.stop {
            break reason;
        }
    };
    assert_eq!(
        reason,
        StopReason::EarlyStopped {
            epoch: 3,
            patience: 2
        }
    );
    let history = trainer.history().to_vec();
    assert_eq!(history.len(), 3);
    let val_loss = |e: usize| history[e].validation.as_ref().expect("validated").loss;
    assert!(val_loss(1) > val_loss(0) && val_loss(2) > val_loss(0));
    assert_eq!(
        history
            .iter()
            .map(|s| (s.improved, s.epochs_without_improvement))
            .collect::<Vec<_>>(),
        vec![(true, 0), (false, 1), (false, 2)]
    );
    assert!(
        history[2].train_accuracy > 0.9,
        "training did learn: {}",
        history[2].train_accuracy
    );
    assert_eq!(
        trainer.kept(),
        Some(Kept::Epoch {
            epoch: 1,
            val_loss: Some(val_loss(0))
        })
    );
    // The model holds epoch 1's weights again, not those of epoch 3.
    assert_eq!(weights(trainer.model()), after[0]);
    assert_ne!(after[0], after[1]);
    let mut model = trainer.into_model();
    let eval = evaluate(&mut model, &val, None, 4, EVAL_BATCH).expect("eval");
    assert!((eval.loss - val_loss(0)).abs() < 1e-9);
}

#[test]
fn mismatched_data_is_rejected_before_training() {
    let config = ModelConfig::from_json_str(ROWS_CONFIG).expect("config");
    let model = config.build().expect("build");
    let mut wrong_side = rows(8, 0, 1);
    wrong_side.side = 2;
    wrong_side.pixels.truncate(8 * 4);
    let err = Trainer::new(
        config.clone(),
        model.clone(),
        wrong_side,
        Dataset::default(),
    )
    .expect_err("2x2 images for a 4x4 model")
    .to_string();
    assert!(err.contains("1x2x2"), "{err}");
    let mut bad_label = rows(8, 0, 1);
    bad_label.labels[3] = 7;
    let err = Trainer::new(config, model, bad_label, Dataset::default())
        .expect_err("label 7 of 4 classes")
        .to_string();
    assert!(err.contains("label 7"), "{err}");
}
