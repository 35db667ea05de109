//! `netviz attention train`: the transformer trained on a task in the terminal. Every
//! `--eval-every` steps it scores the held-out sequences and prints a line; Ctrl-C, SIGTERM or
//! SIGHUP stop it after the step being trained (the model is still scored and saved). The
//! seconds reported are training only (evaluations excluded).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;

use netviz::data::tasks::Task;
use netviz::labs::attention::session::{AttentionSettings, HELD_OUT, decay_weights};
use netviz::nn::init::rng_from_seed;
use netviz::nn::optim::{Adam, AdamConfig, Optimizer};
use netviz::nn::transformer::{HeadMask, Transformer, TransformerConfig};

use super::ModelArgs;

/// Arguments of `netviz attention train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The task and the model.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Training steps (one batch each).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub steps: u64,
    /// Steps between two held-out evaluations (each printed).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub eval_every: u64,
    /// Lower the learning rate along a half cosine to zero at the last step.
    #[arg(long)]
    pub decay: bool,
    /// Stop as soon as an evaluation reaches this held-out exact-sequence accuracy.
    #[arg(long)]
    pub until_exact: Option<f32>,
    /// Write the model to this file (safetensors, PyTorch names and layouts).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Runs `netviz attention train`.
pub fn train(args: &TrainArgs) -> Result<()> {
    let m = &args.model;
    m.check()?;
    if let Some(out) = &args.out {
        netviz::files::atomic::check_replaceable(out)
            .with_context(|| format!("--out {}", out.display()))?;
    }
    let task = Task::new(m.task.into(), m.seed);
    let config = TransformerConfig {
        vocab: task.vocab(),
        context: task.len(),
        width: m.width as usize,
        heads: m.heads as usize,
        layers: m.layers as usize,
    };
    let mut model = Transformer::new(config, m.seed).context("building the transformer")?;
    let held = task.held_out(HELD_OUT, m.seed);
    let all_on = HeadMask::all_on(&config);
    println!(
        "task {}: {} ({}); vocabulary {}, {} positions",
        task.kind(),
        task.kind().title(),
        task.kind().scoring(),
        task.vocab(),
        task.len()
    );
    println!(
        "model: {} layers, {} heads, width {}, {} parameters; Adam lr {} (warm-up {} steps{}), weight decay {}, batch {}, seed {}, {} threads; held out: {} sequences",
        config.layers,
        config.heads,
        config.width,
        config.param_count(),
        m.lr,
        m.warmup,
        if args.decay { ", cosine decay" } else { "" },
        m.weight_decay(),
        m.batch,
        m.seed,
        rayon::current_num_threads(),
        held.sequences()
    );
    let schedule = AttentionSettings {
        learning_rate: m.lr,
        warmup: m.warmup,
        max_steps: Some(args.steps),
        decay: args.decay,
        ..AttentionSettings::default()
    };
    let stop = Arc::new(AtomicBool::new(false));
    crate::cli::signals::install(stop.clone(), "stopping after the step being trained");
    let mut optimizer = Adam::new(AdamConfig {
        learning_rate: m.lr,
        ..AdamConfig::default()
    });
    let mut rng = rng_from_seed(m.seed.wrapping_add(1));
    let mut batch = task.empty_batch();
    let mut seconds = 0.0f64;
    let mut step = 0;
    while step < args.steps && !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        optimizer.set_learning_rate(schedule.learning_rate_at(step));
        task.fill_batch(m.batch as usize, &mut rng, &mut batch);
        let stats = model
            .train_step(&batch, &mut optimizer)
            .with_context(|| format!("step {}", step + 1))?;
        decay_weights(&mut model, optimizer.learning_rate() * m.weight_decay());
        seconds += started.elapsed().as_secs_f64();
        step += 1;
        if step.is_multiple_of(args.eval_every) || step == args.steps {
            let h = model.evaluate(&held, &all_on)?;
            println!(
                "step {step:>7}  loss {:.4}  held-out token {:.4} exact {:.4}  {seconds:.2} s",
                stats.loss,
                h.token_accuracy(),
                h.exact_accuracy()
            );
            if args.until_exact.is_some_and(|u| h.exact_accuracy() >= u) {
                break;
            }
        }
    }
    let h = model.evaluate(&held, &all_on)?;
    if let Some(out) = &args.out {
        crate::cli::signals::while_saving(|| model.save(out))
            .with_context(|| format!("saving the model to {}", out.display()))?;
        println!("model written to {}", out.display());
    }
    println!(
        "steps={step} token_accuracy={:.4} exact_accuracy={:.4} seconds={seconds:.3}",
        h.token_accuracy(),
        h.exact_accuracy()
    );
    Ok(())
}
