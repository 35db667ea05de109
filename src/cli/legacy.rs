//! The original program's command lines, rewritten into today's subcommands before clap sees
//! them, so old scripts and habits keep working:
//!
//! | original | becomes |
//! | --- | --- |
//! | `-md`, `--mnist_digits`, `--mnist` | `mnist` (the lab: trains in a window) |
//! | `-md -m train` | `mnist train` (in the terminal) |
//! | `-md -m infer` | `mnist infer` |
//! | `-md -m infer -um FILE` | `mnist infer --model FILE` |
//! | `-md [-m train] -um FILE` (training) | `mnist [train] --init-weights FILE` |
//! | `-md [-m train] -uc` | `mnist [train] --config config/user_cnn_params.json` |
//! | `--xor -hn 3 -ner 200 -e 40000 -lr 0.1` | `xor --hidden 3 --refresh 200 --epochs 40000 --lr 0.1` |
//!
//! Anything else on the line is passed on unchanged after the subcommand (so new flags mix
//! with old ones, and clap reports what neither knows). A line whose first argument is not a
//! flag (a subcommand) is never rewritten.

use std::ffi::{OsStr, OsString};

/// The user's own config, used by the original `-uc` flag; `mnist train` creates it from the
/// default config the first time it is asked for.
pub const USER_CONFIG: &str = "config/user_cnn_params.json";

const MNIST_FLAGS: [&str; 3] = ["-md", "--mnist_digits", "--mnist"];
const XOR_FLAG: &str = "--xor";

/// Rewrites an original command line (program name first) into a current one; returns other
/// lines unchanged.
pub fn map_legacy_args(args: Vec<OsString>) -> Vec<OsString> {
    let first_is_flag = args
        .get(1)
        .and_then(|a| a.to_str())
        .is_some_and(|a| a.starts_with('-'));
    if !first_is_flag {
        return args;
    }
    let is = |a: &OsString, names: &[&str]| a.to_str().is_some_and(|s| names.contains(&s));
    let mode = args[1..].iter().find_map(|a| {
        if is(a, &MNIST_FLAGS) {
            Some(Legacy::Mnist)
        } else if is(a, &[XOR_FLAG]) {
            Some(Legacy::Xor)
        } else {
            None
        }
    });
    let mut rest = args.into_iter();
    let program = rest.next().unwrap_or_else(|| OsString::from("netviz"));
    match mode {
        None => std::iter::once(program).chain(rest).collect(),
        Some(Legacy::Mnist) => map_mnist(program, rest),
        Some(Legacy::Xor) => map_xor(program, rest),
    }
}

enum Legacy {
    Mnist,
    Xor,
}

fn map_mnist(program: OsString, args: impl Iterator<Item = OsString>) -> Vec<OsString> {
    let mut mode = None;
    let mut model = None;
    let mut user_config = false;
    let mut rest = Vec::new();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some(a) if MNIST_FLAGS.contains(&a) => {}
            Some("-m") if args.peek().is_some() => mode = args.next(),
            Some("-um") if args.peek().is_some() => model = args.next(),
            Some("-uc") => user_config = true,
            _ => rest.push(arg),
        }
    }
    let infer = mode.as_deref() == Some(OsStr::new("infer"));
    // No mode: the lab, which trains while it shows the network.
    let mut out = vec![program, OsString::from("mnist")];
    out.extend(mode);
    if user_config && !infer {
        out.extend(["--config", USER_CONFIG].map(OsString::from));
    } else if user_config {
        rest.insert(0, OsString::from("-uc"));
    }
    if let Some(model) = model {
        let flag = if infer { "--model" } else { "--init-weights" };
        out.push(OsString::from(flag));
        out.push(model);
    }
    out.extend(rest);
    out
}

fn map_xor(program: OsString, args: impl Iterator<Item = OsString>) -> Vec<OsString> {
    let mut out = vec![program, OsString::from("xor")];
    for arg in args {
        let mapped = match arg.to_str() {
            Some(XOR_FLAG) => continue,
            Some("-hn") => "--hidden",
            Some("-ner") => "--refresh",
            Some("-e") => "--epochs",
            Some("-lr") => "--lr",
            _ => {
                out.push(arg);
                continue;
            }
        };
        out.push(OsString::from(mapped));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(line: &str) -> String {
        let args = line.split(' ').map(OsString::from).collect();
        map_legacy_args(args)
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn mnist_flags_open_the_lab_or_train_in_the_terminal() {
        assert_eq!(map("netviz -md"), "netviz mnist");
        assert_eq!(map("netviz --mnist_digits"), "netviz mnist");
        assert_eq!(map("netviz --mnist"), "netviz mnist");
        assert_eq!(map("netviz -md -m train"), "netviz mnist train");
    }

    #[test]
    fn mnist_infer_with_and_without_a_model() {
        assert_eq!(map("netviz -md -m infer"), "netviz mnist infer");
        assert_eq!(
            map("netviz -md -m infer -um models/x.safetensors"),
            "netviz mnist infer --model models/x.safetensors"
        );
        // Flag order does not matter.
        assert_eq!(
            map("netviz -m infer -um models/x.safetensors --mnist"),
            "netviz mnist infer --model models/x.safetensors"
        );
    }

    #[test]
    fn user_config_and_init_weights_for_training() {
        assert_eq!(
            map("netviz -md -uc"),
            "netviz mnist --config config/user_cnn_params.json"
        );
        assert_eq!(
            map("netviz -md -m train -uc"),
            "netviz mnist train --config config/user_cnn_params.json"
        );
        assert_eq!(
            map("netviz -md -um m.safetensors"),
            "netviz mnist --init-weights m.safetensors"
        );
    }

    #[test]
    fn other_arguments_pass_through_after_the_subcommand() {
        assert_eq!(
            map("netviz -md --epochs 2 --data-dir d"),
            "netviz mnist --epochs 2 --data-dir d"
        );
        assert_eq!(
            map("netviz -md -m infer --count 2"),
            "netviz mnist infer --count 2"
        );
    }

    #[test]
    fn xor_flags() {
        assert_eq!(
            map("netviz --xor -hn 3 -ner 200 -e 40000"),
            "netviz xor --hidden 3 --refresh 200 --epochs 40000"
        );
        assert_eq!(map("netviz --xor"), "netviz xor");
        assert_eq!(
            map("netviz --xor -e 10 --seed 4"),
            "netviz xor --epochs 10 --seed 4"
        );
    }

    #[test]
    fn current_lines_are_left_alone() {
        for line in [
            "netviz",
            "netviz mnist train --epochs 1",
            "netviz mnist infer --model m.safetensors",
            "netviz xor --hidden 3",
            "netviz --help",
            "netviz bench cnn --workload S",
            // A subcommand first: even a legacy-looking flag later is not rewritten.
            "netviz mnist train --mnist",
        ] {
            assert_eq!(map(line), line);
        }
    }

    #[test]
    fn a_dangling_mode_flag_is_passed_on_for_clap_to_report() {
        assert_eq!(map("netviz -md -m"), "netviz mnist -m");
    }
}
