//! The `netviz` command line: map the original program's flags, parse, dispatch with one
//! `match`, print an error once, return an exit code (0 success, 2 failure).

mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::{BenchCommand, Cli, Command, MnistCommand};

fn main() -> ExitCode {
    restore_default_sigpipe();
    ensure_runtime_dir();
    let args = cli::legacy::map_legacy_args(std::env::args_os().collect());
    let cli = Cli::parse_from(args);
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
            BenchCommand::Render(args) => cli::render_bench::run(args.points, args.frames),
            BenchCommand::Ui(args) => cli::ui_bench::run(&args),
        },
        Some(Command::Gallery(args)) => cli::labs::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", one_line(&format!("{err:#}")));
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
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
