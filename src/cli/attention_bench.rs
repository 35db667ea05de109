//! `netviz bench attention`: trains workload T (vocabulary 16, context 16, width 64, 4 heads,
//! 2 blocks) on random sequences and times forward + backward + Adam update.
//!
//! Batch 32 sequences of 16 tokens, every position scored, Adam lr 1e-3, seed 0. Warm-up
//! steps are not timed. `--profile` prints where a step's time goes; `--sort` also trains a
//! fresh model on the sort task until it sorts 99% of 1,000 held-out sequences exactly.
//! Prints `workload=T tokens_per_sec=N` last.

use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use rand::Rng;

use netviz::files::limits::THREADS;
use netviz::nn::init::{NnRng, rng_from_seed};
use netviz::nn::optim::{Adam, AdamConfig, Optimizer};
use netviz::nn::transformer::{
    HeadMask, SeqBatch, StepProfile, Transformer, TransformerConfig, warmup_lr,
};

/// Sequences per step.
const BATCH: usize = 32;
/// Untimed steps before the measurement.
const WARMUP_STEPS: usize = 20;

/// Arguments of `netviz bench attention`.
#[derive(Debug, Args)]
pub struct AttentionBenchArgs {
    /// Timed training steps.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub steps: u32,
    /// Worker threads [default: all cores].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=THREADS as i64))]
    pub threads: Option<u32>,
    /// Also print where a step's time goes.
    #[arg(long)]
    pub profile: bool,
    /// Also time training on the sort task to 99% exact held-out sequences.
    #[arg(long)]
    pub sort: bool,
}

/// Runs `netviz bench attention`.
pub fn run(args: &AttentionBenchArgs) -> Result<()> {
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |t| t as usize,
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .with_context(|| format!("cannot start {threads} threads"))?;
    pool.install(|| -> Result<()> {
        if args.sort {
            sort_run()?;
        }
        let tokens_per_sec = throughput(args.steps as usize, threads, args.profile)?;
        println!("workload=T tokens_per_sec={tokens_per_sec:.0}");
        Ok(())
    })
}

/// Random tokens and targets in `0..16`, every position scored.
fn random_batch(rng: &mut NnRng, batch: &mut SeqBatch) {
    batch.clear();
    let mut tokens = [0u32; 16];
    let mut targets = [0u32; 16];
    for _ in 0..BATCH {
        for (t, y) in tokens.iter_mut().zip(&mut targets) {
            *t = rng.random_range(0..16);
            *y = rng.random_range(0..16);
        }
        batch.push(&tokens, &targets);
    }
}

fn throughput(steps: usize, threads: usize, profile: bool) -> Result<f64> {
    let config = TransformerConfig::workload_t();
    let mut model = Transformer::new(config, 0)?;
    let mut opt = Adam::new(AdamConfig::default());
    let mut rng = rng_from_seed(1);
    let mut batches: Vec<SeqBatch> = (0..8).map(|_| SeqBatch::new(vec![true; 16])).collect();
    for b in &mut batches {
        random_batch(&mut rng, b);
    }
    for i in 0..WARMUP_STEPS {
        model.train_step(&batches[i % batches.len()], &mut opt)?;
    }
    model.set_profiling(profile);
    let started = Instant::now();
    let mut last = Default::default();
    for i in 0..steps {
        last = model.train_step(&batches[i % batches.len()], &mut opt)?;
    }
    let secs = started.elapsed().as_secs_f64();
    let tokens_per_sec = (steps * BATCH * 16) as f64 / secs;
    println!(
        "workload T: {} parameters, batch {BATCH} x 16 tokens, {threads} thread(s); {steps} \
         steps in {secs:.3} s ({:.3} ms per step), final loss {:.4}",
        config.param_count(),
        1e3 * secs / steps as f64,
        last.loss
    );
    // ~3x the forward multiply-adds (linears + attention), 2 FLOPs each.
    let d = config.width as f64;
    let per_token_macs =
        config.layers as f64 * (12.0 * d * d + 2.0 * 8.5 * d) + d * config.vocab as f64;
    println!(
        "{:.1} GFLOP/s (counting 3x the forward multiply-adds, {:.0} per token)",
        tokens_per_sec * 6.0 * per_token_macs / 1e9,
        per_token_macs
    );
    if profile {
        print_profile(&model.profile(), secs);
    }
    Ok(tokens_per_sec)
}

fn print_profile(profile: &StepProfile, wall_secs: f64) {
    let steps = profile.steps.max(1) as f64;
    let wall_us = 1e6 * wall_secs / steps;
    eprintln!("where a step's time goes (first thread, us per step; wall {wall_us:.1} us):");
    let mut total = 0.0;
    for (part, secs) in &profile.parts {
        let us = 1e6 * secs / steps;
        total += us;
        eprintln!(
            "  {:<20} {:>8.1} us {:>5.1}%",
            part.name(),
            us,
            100.0 * us / wall_us
        );
    }
    eprintln!(
        "  {:<20} {:>8.1} us {:>5.1}%",
        "other (waits, timing)",
        wall_us - total,
        100.0 * (wall_us - total) / wall_us
    );
}

/// One sort-task sequence: 8 digits, separator 10, the digits sorted; input = the first 16
/// tokens, target = the next token at each position.
fn sort_sequence(rng: &mut NnRng) -> ([u32; 16], [u32; 16]) {
    let mut full = [0u32; 17];
    for d in &mut full[..8] {
        *d = rng.random_range(0..10);
    }
    full[8] = 10;
    let mut sorted = [0u32; 8];
    sorted.copy_from_slice(&full[..8]);
    sorted.sort_unstable();
    full[9..].copy_from_slice(&sorted);
    let mut tokens = [0u32; 16];
    let mut targets = [0u32; 16];
    tokens.copy_from_slice(&full[..16]);
    targets.copy_from_slice(&full[1..]);
    (tokens, targets)
}

fn sort_batch(rng: &mut NnRng, n: usize, batch: &mut SeqBatch) {
    batch.clear();
    for _ in 0..n {
        let (tokens, targets) = sort_sequence(rng);
        batch.push(&tokens, &targets);
    }
}

/// Settings of the sort-task measurement.
const SORT_LR: f32 = 3e-3;
const SORT_WARMUP: u64 = 50;
const SORT_CHECK_EVERY: usize = 25;
const SORT_MAX_STEPS: usize = 5_000;

/// Trains workload T on the sort task until 99% of 1,000 held-out sequences are sorted
/// exactly; only training time is counted.
fn sort_run() -> Result<()> {
    let config = TransformerConfig::workload_t();
    let mut model = Transformer::new(config, 0)?;
    let mut opt = Adam::new(AdamConfig::default());
    let scored: Vec<bool> = (0..16).map(|p| p >= 8).collect();
    let mut held_out = SeqBatch::new(scored.clone());
    sort_batch(&mut rng_from_seed(12_345), 1000, &mut held_out);
    let mut batch = SeqBatch::new(scored);
    let mut rng = rng_from_seed(2);
    let heads = HeadMask::all_on(&config);
    let mut train_secs = 0.0;
    for step in 0..SORT_MAX_STEPS {
        sort_batch(&mut rng, BATCH, &mut batch);
        opt.set_learning_rate(warmup_lr(SORT_LR, step as u64, SORT_WARMUP));
        let started = Instant::now();
        model.train_step(&batch, &mut opt)?;
        train_secs += started.elapsed().as_secs_f64();
        if (step + 1) % SORT_CHECK_EVERY == 0 {
            let eval = model.evaluate(&held_out, &heads)?;
            if eval.exact_accuracy() >= 0.99 {
                println!(
                    "sort task: {:.1}% exact, {:.2}% of digits on 1,000 held-out sequences after \
                     {} steps, {train_secs:.2} s of training (batch {BATCH}, Adam lr {SORT_LR} \
                     after a {SORT_WARMUP}-step linear warm-up, seed 0)",
                    100.0 * eval.exact_accuracy(),
                    100.0 * eval.token_accuracy(),
                    step + 1
                );
                return Ok(());
            }
        }
    }
    anyhow::bail!("sort task: not solved to 99% in {SORT_MAX_STEPS} steps")
}
