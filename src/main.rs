//! The `netviz` command line: parse, dispatch with one `match`, print an error once, return
//! an exit code (0 success, 2 failure).

mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::{BenchCommand, Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => {
            cli::print_help();
            Ok(())
        }
        Some(Command::Bench { what }) => match what {
            BenchCommand::Cnn(args) => cli::bench::cnn(&args),
            BenchCommand::Xor(args) => cli::bench::xor(&args),
        },
        Some(Command::Gallery(args)) => cli::app::gallery(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
