//! The `netviz` command line: map the original program's flags, parse, dispatch with one
//! `match`, print an error once, return an exit code (0 success, 2 failure).

mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::{BenchCommand, Cli, Command, MnistCommand};

fn main() -> ExitCode {
    let args = cli::legacy::map_legacy_args(std::env::args_os().collect());
    let cli = Cli::parse_from(args);
    let result = match cli.command {
        None => {
            cli::print_help();
            Ok(())
        }
        Some(Command::Mnist { what }) => match what {
            MnistCommand::Train(args) => cli::mnist::train(&args),
            MnistCommand::Infer(args) => cli::mnist::infer(&args),
        },
        Some(Command::Xor(args)) => cli::xor::run(&args),
        Some(Command::Bench { what }) => match what {
            BenchCommand::Cnn(args) => cli::bench::cnn(&args),
            BenchCommand::Xor(args) => cli::bench::xor(&args),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", one_line(&format!("{err:#}")));
            ExitCode::from(2)
        }
    }
}

/// Joins the lines of a message so every error is printed on one line.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
