//! `netviz mnist infer`: evaluates a model file on the whole test set (downsampled to the
//! model's input size), prints the metrics and the confusion matrix, and draws a few random
//! test digits as text with the predicted and true labels.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

use netviz::data::preprocess::Dataset;
use netviz::nn::init::rng_from_seed;
use netviz::nn::metrics::argmax;
use netviz::nn::{Sequential, Tensor, io};
use netviz::train::mnist::{MNIST_CLASSES, image_side, test_set};
use netviz::train::{EVAL_BATCH, evaluate};

use crate::cli::digits;
use crate::cli::mnist::{DEFAULT_MODEL, load_mnist, print_test_summary, result_line};

/// [`DEFAULT_MODEL`] as built into the program, used when the file is not found relative to
/// the working folder.
const DEFAULT_MODEL_BYTES: &[u8] =
    include_bytes!("../../../assets/models/default_mnist_cnn.safetensors");

/// Arguments of `netviz mnist infer`.
#[derive(Debug, Args)]
pub struct InferArgs {
    /// Model file to evaluate (its input size decides the downsampling) [default:
    /// assets/models/default_mnist_cnn.safetensors, built into the program when that file is
    /// not found].
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Random test digits to draw as text with their predicted and true labels.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub count: u32,
    /// Folder with the four MNIST files [default: $NETVIZ_DATA_DIR, else the user cache
    /// folder, where missing files are downloaded].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Seed of the choice of digits to draw [default: a different choice every run].
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Runs `netviz mnist infer`.
pub fn infer(args: &InferArgs) -> Result<()> {
    let (label, (config, mut model)) = match &args.model {
        Some(path) => (path.display().to_string(), io::load_model(path)?),
        None if Path::new(DEFAULT_MODEL).is_file() => {
            (DEFAULT_MODEL.to_string(), io::load_model(DEFAULT_MODEL)?)
        }
        None => (
            format!("{DEFAULT_MODEL} (built in)"),
            io::load_model_bytes(Path::new(DEFAULT_MODEL), DEFAULT_MODEL_BYTES)?,
        ),
    };
    let side = image_side(&config).with_context(|| format!("model {label}"))?;
    let (mnist, data_dir) = load_mnist(args.data_dir.as_deref())?;
    let test = test_set(&config, &mnist)?;
    drop(mnist);
    println!(
        "model {label}: {} layers, {} parameters, input {side}x{side}; MNIST from {data_dir}",
        config.layers.len(),
        model.num_params()
    );
    let eval = evaluate(&mut model, &test, None, MNIST_CLASSES, EVAL_BATCH)?;
    print_test_summary(&eval);
    println!("confusion matrix (rows: true digit, columns: predicted digit):");
    print!("{}", digits::confusion_table(&eval.confusion));
    let seed = args.seed.unwrap_or_else(time_seed);
    show_digits(&mut model, &test, args.count as usize, seed)?;
    println!("{}", result_line(&eval.metrics));
    Ok(())
}

/// Draws `count` random test digits with the model's prediction and the true label.
fn show_digits(model: &mut Sequential, test: &Dataset, count: usize, seed: u64) -> Result<()> {
    let count = count.min(test.len());
    if count == 0 {
        return Ok(());
    }
    let mut rng = rng_from_seed(seed);
    let picks = rand::seq::index::sample(&mut rng, test.len(), count).into_vec();
    let (mut x, mut y) = (Tensor::default(), Tensor::default());
    test.batch(&picks, MNIST_CLASSES, &mut x, &mut y);
    let preds = argmax(model.forward(&x)?)?;
    println!("{count} random test digits (seed {seed}):");
    for (&i, &pred) in picks.iter().zip(&preds) {
        let truth = test.labels[i];
        let verdict = if pred == usize::from(truth) {
            "right"
        } else {
            "WRONG"
        };
        println!("test image {i}: predicted {pred}, true {truth} ({verdict})");
        print!("{}", digits::ascii_digit(test.image(i), test.side));
    }
    Ok(())
}

fn time_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}
