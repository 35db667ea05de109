//! The `netviz` command line: map the original program's flags, parse, dispatch with one
//! `match`, print an error once, return an exit code (0 success, 2 failure).

mod cli;

use std::process::ExitCode;

use clap::{Command as ClapCommand, CommandFactory, FromArgMatches};

use cli::{BenchCommand, Cli, Command, MnistCommand};

fn main() -> ExitCode {
    restore_default_sigpipe();
    ensure_runtime_dir();
    let args = cli::legacy::map_legacy_args(std::env::args_os().collect());
    let parsed = with_negative_numbers(Cli::command())
        .try_get_matches_from(args)
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let result = match cli.command {
        // No command: the flagship, the XOR lab in a window.
        None => cli::labs::run(&<cli::xor::XorArgs as cli::lab_command::LabCommand>::defaults()),
        Some(Command::Mnist { what, lab }) => match what {
            None => cli::labs::run(lab.as_ref()),
            Some(MnistCommand::Train(args)) => cli::mnist::train(&args),
            Some(MnistCommand::Infer(args)) => cli::mnist::infer(&args),
        },
        Some(Command::Xor(args)) => cli::labs::run(&args),
        Some(Command::Bench { what }) => match what {
            BenchCommand::Cnn(args) => cli::bench::cnn(&args),
            BenchCommand::Xor(args) => cli::bench::xor(&args),
            BenchCommand::Render(args) => {
                cli::render_bench::run(args.points as usize, args.frames as usize)
            }
            BenchCommand::Ui(args) => cli::ui_bench::run(&args),
            BenchCommand::Forest(args) => cli::forest_bench::run(&args),
            BenchCommand::Attention(args) => cli::attention_bench::run(&args),
        },
        Some(Command::Gallery(args)) => cli::labs::run(&args),
        Some(Command::Open(args)) => cli::labs::open(&args),
        Some(Command::Forest { what, lab }) => match what {
            Some(cli::forest::ForestCommand::Train(args)) => cli::forest::train(&args),
            None => cli::labs::run(lab.as_ref()),
        },
        Some(Command::Attention { what, lab }) => match what {
            Some(cli::attention::AttentionCommand::Train(args)) => cli::attention::train(&args),
            None => cli::labs::run(lab.as_ref()),
        },
    };
    match result {
        // Stopped by a signal, after saving what there was: 128 + the signal.
        Ok(()) => cli::signals::exit_code().map_or(ExitCode::SUCCESS, ExitCode::from),
        Err(err) => {
            eprintln!("error: {}", one_line(&error_text(&err)));
            ExitCode::from(2)
        }
    }
}

/// Lets the process end quietly when its output pipe closes (`netviz ... | head`), as command-line
/// tools do, instead of `println!` panicking on the write error.
#[cfg(unix)]
fn restore_default_sigpipe() {
    // SAFETY: `signal` with SIG_DFL for SIGPIPE only changes how the process reacts to writing
    // into a closed pipe. It runs first thing in `main`, before any other thread exists, and
    // installs no handler code, so nothing can observe a half-changed state.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_default_sigpipe() {}

/// Mesa's software Vulkan driver prints "error: XDG_RUNTIME_DIR is invalid or not set" when
/// there is no runtime folder (headless machines, CI). Give it a private one, as a desktop
/// session would, so a headless run prints only what netviz has to say.
#[cfg(unix)]
fn ensure_runtime_dir() {
    use std::os::unix::fs::PermissionsExt;
    if std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|v| !v.is_empty()) {
        return;
    }
    // SAFETY: `getuid` has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let dir = std::env::temp_dir().join(format!("netviz-runtime-{uid}"));
    let private = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)))
        .is_ok();
    if private {
        // SAFETY: this runs first thing in `main`, before any other thread exists, so no
        // thread can be reading the environment while it changes.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
    }
}

#[cfg(not(unix))]
fn ensure_runtime_dir() {}

/// Joins the lines of a message so every error is printed on one line.
/// Prints help or the version as clap does; any other command-line error as one line,
/// `error: ...`, with exit code 2.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let text = e.render().to_string();
    // The first paragraph says what is wrong (a missing argument's name is on its own line).
    let first: Vec<&str> = text
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .collect();
    let first = first.join(" ");
    let message = first.trim_start_matches("error: ");
    // clap lists the valid values or a similar flag on later lines ("tip: ...").
    let tip = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("tip: "))
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    eprintln!("error: {}{tip}; see --help", one_line(message));
    ExitCode::from(2)
}

/// Lets every option take a negative number as its value (`--noise -1`), so the value's own
/// check says what is wrong with it instead of "unexpected argument '-1'".
fn with_negative_numbers(command: ClapCommand) -> ClapCommand {
    command
        .mut_args(|arg| arg.allow_negative_numbers(true))
        .mut_subcommands(with_negative_numbers)
}

/// The error and its causes joined by `: `, leaving out a cause whose text the message
/// already holds (many errors print their source in their own message).
fn error_text(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
