//! Hostile input and faults, through the binary as a user would run it: every case ends with
//! one `error: ...` line and exit code 2 (or the documented signal exit code), loses or
//! replaces no file it should not, and stays within bounded memory and time.

#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use netviz::nn::config::ModelConfig;
use netviz::nn::io;
use sha2::{Digest, Sha256};

use common::mnist_server::shared_mnist_dir;

const DEFAULT_CONFIG: &str = include_str!("../assets/configs/default_cnn.json");
const SHIPPED_MODEL: &str = "assets/models/default_mnist_cnn.safetensors";

fn netviz_cmd(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netviz"));
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NETVIZ_DATA_DIR");
    cmd
}

fn netviz(args: &[&str]) -> Output {
    netviz_cmd(args).output().unwrap()
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netviz-hostile-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit code 2 and exactly one line on stderr, `error: ...`, containing every needle.
fn one_line_error(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected, got:\n{err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    for needle in needles {
        assert!(lines[0].contains(needle), "{needle:?} missing from: {err}");
    }
}

/// The files in `dir` whose names mark them as temporary files or journals.
fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".netviz-tmp-") || n.contains(".netviz-commit-"))
        .collect()
}

/// A training config that runs in a second or two: the default CNN on 2% of the data.
fn quick_config(dir: &Path, epochs: usize) -> PathBuf {
    let mut config = ModelConfig::from_json_str(DEFAULT_CONFIG).unwrap();
    config.percent_of_train_data_to_use = 0.02;
    config.epochs = epochs;
    config.patience = epochs;
    let path = dir.join("quick.json");
    fs::write(&path, config.to_json_string().unwrap()).unwrap();
    path
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether the model file and the metrics beside it are one pair (the metrics name the
/// model's hash); `None` when neither exists.
fn pair_hash(model: &Path) -> Option<String> {
    let metrics = io::metrics_path(model);
    match (fs::read(model), fs::read(&metrics)) {
        (Ok(m), Ok(j)) => {
            let json: serde_json::Value = serde_json::from_slice(&j).unwrap();
            let hash = sha256_hex(&m);
            assert_eq!(
                json["model_sha256"].as_str(),
                Some(hash.as_str()),
                "the model and the metrics beside it are not one pair"
            );
            Some(hash)
        }
        (Err(_), Err(_)) => None,
        (m, j) => panic!(
            "one file of the pair without the other: model {}, metrics {}",
            m.is_ok(),
            j.is_ok()
        ),
    }
}

#[test]
#[cfg(unix)]
fn saves_never_replace_devices_pipes_links_or_folders() {
    let dir = scratch("special");
    let config = quick_config(&dir, 1);
    let data = shared_mnist_dir();
    let train = |out: &Path| {
        netviz(&[
            "mnist",
            "train",
            "--config",
            s(&config),
            "--data-dir",
            s(&data),
            "--out",
            s(out),
        ])
    };
    // A device node (as root, the old rename would have replaced /dev/null itself).
    one_line_error(
        &train(Path::new("/dev/null")),
        &["/dev/null is a character device, not a regular file; nothing was written"],
    );
    assert!(
        Path::new("/dev/null")
            .metadata()
            .is_ok_and(|m| !m.is_file())
    );
    // A named pipe.
    let fifo = dir.join("pipe.safetensors");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    one_line_error(&train(&fifo), &["is a named pipe, not a regular file"]);
    // A symbolic link: neither it nor its target is touched.
    let target = dir.join("precious.txt");
    fs::write(&target, b"keep me").unwrap();
    let link = dir.join("link.safetensors");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    one_line_error(&train(&link), &["is a symbolic link"]);
    assert_eq!(fs::read(&target).unwrap(), b"keep me");
    // A folder where the metrics go.
    let out = dir.join("m.safetensors");
    fs::create_dir(io::metrics_path(&out)).unwrap();
    one_line_error(&train(&out), &["m.metrics.json is a folder"]);
    assert!(!out.exists());
    // Screenshots too.
    let shot = netviz(&["gallery", "--headless", "--screenshot", s(&fifo)]);
    one_line_error(&shot, &["is a named pipe"]);
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
}

#[test]
fn a_full_disk_leaves_the_earlier_screenshot_whole() {
    // Injected in-process: the write of the new picture fails as on a full disk.
    use netviz::files::atomic::faults::{self, Fault};
    let dir = scratch("full");
    let path = dir.join("shot.png");
    let image = |side: u32, rgba: [u8; 4]| netviz::render::RgbaImage {
        width: side,
        height: side,
        pixels: rgba.repeat((side * side) as usize),
    };
    let old = image(4, [10, 20, 30, 255]);
    old.save_png(&path).unwrap();
    let before = fs::read(&path).unwrap();
    let new = image(64, [200, 0, 0, 255]);
    for step in 0..3 {
        faults::inject(step, Fault::Error);
        assert!(new.save_png(&path).is_err(), "step {step}");
        faults::clear();
        assert_eq!(fs::read(&path).unwrap(), before, "step {step}");
        assert!(leftovers(&dir).is_empty(), "step {step}");
    }
    new.save_png(&path).unwrap();
    assert_ne!(fs::read(&path).unwrap(), before);
}

#[test]
#[cfg(target_os = "linux")]
fn a_real_full_disk_leaves_the_earlier_screenshot_whole() {
    // A 64 KiB tmpfs, where root may mount one; elsewhere the injected test above stands.
    let dir = scratch("tmpfs");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs", s(&dir)])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|st| st.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (not root?)");
        return;
    }
    let path = dir.join("shot.png");
    let small = netviz(&[
        "gallery",
        "--headless",
        "--size",
        "32x24",
        "--screenshot",
        s(&path),
    ]);
    let before = fs::read(&path);
    let big = netviz(&[
        "gallery",
        "--headless",
        "--size",
        "800x600",
        "--screenshot",
        s(&path),
    ]);
    let after = fs::read(&path);
    let left = leftovers(&dir);
    let _ = Command::new("umount").arg(&dir).status();
    assert!(small.status.success(), "{}", stderr(&small));
    one_line_error(&big, &["No space left on device"]);
    assert_eq!(after.unwrap(), before.unwrap());
    assert!(left.is_empty(), "{left:?}");
}

#[test]
#[cfg(unix)]
fn an_interrupted_training_leaves_the_old_pair_or_the_new_one() {
    let dir = scratch("kill");
    let config = quick_config(&dir, 2);
    let data = shared_mnist_dir();
    let out = dir.join("model.safetensors");
    // Each run has its own seed, so each pair is told apart by the model's hash.
    let run = |seed: u64| {
        netviz_cmd(&[
            "mnist",
            "train",
            "--config",
            s(&config),
            "--data-dir",
            s(&data),
            "--out",
            s(&out),
            "--seed",
            &seed.to_string(),
        ])
    };
    let started = Instant::now();
    let first = run(1).output().unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    let whole = started.elapsed();
    let mut hashes = vec![pair_hash(&out).unwrap()];
    // Kills spread over a run, the last ones during the test evaluation and the save.
    for (k, twelfth) in [4u32, 7, 9, 10, 11, 12, 13].into_iter().enumerate() {
        let mut child = run(2 + k as u64)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(whole * twelfth / 12);
        let _ = child.kill();
        let _ = child.wait();
        // The next command to touch the folder completes or undoes the interrupted save.
        netviz::files::recover(&dir).unwrap();
        let now = pair_hash(&out).unwrap();
        assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
        if !hashes.contains(&now) {
            hashes.push(now);
        }
    }
    eprintln!("{} distinct pairs seen", hashes.len());
}

#[test]
#[cfg(unix)]
fn sigterm_and_sighup_save_like_ctrl_c_and_exit_with_the_signal() {
    let dir = scratch("term");
    let config = quick_config(&dir, 50);
    let data = shared_mnist_dir();
    for (signal, code) in [
        (libc::SIGTERM, 143),
        (libc::SIGHUP, 129),
        (libc::SIGINT, 130),
    ] {
        let out = dir.join(format!("m{signal}.safetensors"));
        let mut child = netviz_cmd(&[
            "mnist",
            "train",
            "--config",
            s(&config),
            "--data-dir",
            s(&data),
            "--out",
            s(&out),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        // Wait for the first finished epoch.
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            use std::io::BufRead;
            let mut lines = std::io::BufReader::new(stdout).lines();
            let mut text = String::new();
            for line in lines.by_ref() {
                let line = line.unwrap_or_default();
                let epoch = line.starts_with("epoch ") && line.contains("val loss");
                text.push_str(&line);
                text.push('\n');
                if epoch {
                    break;
                }
            }
            (lines, text)
        });
        let (lines, mut text) = reader.join().unwrap();
        // SAFETY: `kill` sends a signal to the child this test started and still owns.
        unsafe {
            libc::kill(child.id() as libc::pid_t, signal);
        }
        for line in lines {
            text.push_str(&line.unwrap_or_default());
            text.push('\n');
        }
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "signal {signal}:\n{text}");
        assert!(text.contains("stopped on request"), "{text}");
        assert!(pair_hash(&out).is_some(), "signal {signal}: no model saved");
        let (config, _) = io::load_model(&out).unwrap();
        assert_eq!(config.epochs, 50);
    }
    assert!(leftovers(&dir).is_empty());
}

#[test]
fn readers_know_their_limit_before_they_allocate() {
    let dir = scratch("limits");
    // Endless or huge inputs where a config or a model belongs.
    #[cfg(unix)]
    {
        one_line_error(
            &netviz(&["mnist", "train", "--config", "/dev/zero"]),
            &["/dev/zero is a character device, not a regular file"],
        );
        one_line_error(
            &netviz(&["mnist", "infer", "--model", "/dev/zero"]),
            &["/dev/zero is a character device, not a regular file"],
        );
    }
    let huge = dir.join("huge.json");
    fs::File::create(&huge).unwrap().set_len(3 << 30).unwrap();
    one_line_error(
        &netviz(&["mnist", "train", "--config", s(&huge)]),
        &["more than the 1048576 bytes a config file may have"],
    );
    let huge_model = dir.join("huge.safetensors");
    fs::File::create(&huge_model)
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    one_line_error(
        &netviz(&["mnist", "infer", "--model", s(&huge_model)]),
        &["more than the 536870912 bytes a model file may have"],
    );
    // A config listing 300 layers; a 3 MB model file whose config lists 200,000.
    let mut config: serde_json::Value = serde_json::from_str(DEFAULT_CONFIG).unwrap();
    config["layers"] = serde_json::Value::Array(vec![serde_json::json!({"type": "relu"}); 300]);
    let many = dir.join("many.json");
    fs::write(&many, config.to_string()).unwrap();
    one_line_error(
        &netviz(&["mnist", "train", "--config", s(&many)]),
        &["300 layers, more than the 256 a config may have"],
    );
    config["layers"] = serde_json::Value::Array(vec![serde_json::json!({"type": "relu"}); 200_000]);
    let metadata = std::collections::HashMap::from([("config".to_string(), config.to_string())]);
    let no_tensors: Vec<(&str, safetensors::tensor::TensorView<'_>)> = Vec::new();
    let bytes = safetensors::serialize(no_tensors, Some(metadata)).unwrap();
    let many_model = dir.join("many.safetensors");
    fs::write(&many_model, bytes).unwrap();
    one_line_error(
        &netviz(&["mnist", "infer", "--model", s(&many_model)]),
        &["200000 layers, more than the 256 a config may have"],
    );
    // A 305-byte config whose checks once allocated a 4 GiB weight (found while fuzzing).
    let err = ModelConfig::from_json_str(include_str!(
        "fuzz_seeds/config/crash-oom-dense-4gib-weight.json"
    ))
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(
        err.contains("layer 0 (dense): the model would hold more than the 134217728 parameters"),
        "{err}"
    );
    // Values that would abort, hang or start thousands of threads.
    for (args, needle) in [
        (
            &["bench", "cnn", "--batch", "100000000"][..],
            "100000000 is not in 1..=4096",
        ),
        (
            &["bench", "render", "--points", "1000000000"],
            "1000000000 is not in 1..=5000000",
        ),
        (
            &["bench", "cnn", "--threads", "100000"],
            "100000 is not in 1..=256",
        ),
        (&["bench", "cnn", "--threads", "0"], "0 is not in 1..=256"),
        (
            &["xor", "--headless", "--hidden", "1024"],
            "1024 is not in 1..=64",
        ),
        (
            &["gallery", "--headless", "--size", "16384x16384"],
            "is not a size from 1 to 8192",
        ),
        (
            &["gallery", "--headless", "--size", "8192x8192"],
            "more than the 40000000 a picture may have",
        ),
        (&["xor", "--text", "--noise", "-1"], "--noise"),
        (&["--xor", "-hn", "-1"], "-1 is not in 1..=64"),
        (&["gallery", "--points", "-1"], "from 50 to 20000"),
        (&["gallery", "--scene", "point-cloud"], "--headless"),
    ] {
        one_line_error(&netviz(args), &[needle]);
    }
}

#[test]
fn a_gzip_bomb_in_the_data_folder_is_refused_in_bounded_memory() {
    let dir = scratch("bomb");
    // 200 MB of zeros, compressed to about 200 KB, where the training images belong.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let block = vec![0u8; 1 << 20];
    for _ in 0..200 {
        gz.write_all(&block).unwrap();
    }
    fs::write(dir.join("train-images-idx3-ubyte.gz"), gz.finish().unwrap()).unwrap();
    for name in [
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ] {
        fs::copy(shared_mnist_dir().join(name), dir.join(name)).unwrap();
    }
    let out = netviz(&["mnist", "infer", "--data-dir", s(&dir), "--count", "0"]);
    one_line_error(&out, &["decompresses to more than 47040016 bytes"]);
    #[cfg(target_os = "linux")]
    {
        // Peak memory of the children so far (this test's only child is the one above).
        // SAFETY: getrusage writes into the zeroed struct it is given.
        let usage = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
            usage
        };
        let peak_mb = usage.ru_maxrss / 1024;
        assert!(peak_mb < 400, "peak resident memory {peak_mb} MB");
    }
}

#[test]
fn damaged_models_and_misplaced_files_get_clear_messages() {
    let dir = scratch("msgs");
    // NaN weights.
    let (config, mut model) =
        io::load_model(Path::new(env!("CARGO_MANIFEST_DIR")).join(SHIPPED_MODEL)).unwrap();
    model.layers_mut()[0].params_mut()[0].value.data_mut()[0] = f32::NAN;
    let nan = dir.join("nan.safetensors");
    io::save_model(&nan, &config, &model).unwrap();
    let data = shared_mnist_dir();
    one_line_error(
        &netviz(&["mnist", "infer", "--model", s(&nan), "--data-dir", s(&data)]),
        &["non-finite value", "layers.0.weight"],
    );
    one_line_error(
        &netviz(&[
            "mnist",
            "train",
            "--init-weights",
            s(&nan),
            "--data-dir",
            s(&data),
        ]),
        &["non-finite value"],
    );
    // A byte-order mark before the config's JSON is fine.
    let bom = dir.join("bom.json");
    let mut quick: serde_json::Value = serde_json::from_str(DEFAULT_CONFIG).unwrap();
    quick["epochs"] = 0.into();
    fs::write(&bom, format!("\u{feff}{quick}")).unwrap();
    let out = netviz(&["mnist", "train", "--config", s(&bom)]);
    one_line_error(&out, &["`epochs`"]);
    // A folder where a data file belongs.
    let data_dir = dir.join("data");
    fs::create_dir_all(data_dir.join("train-images-idx3-ubyte.gz")).unwrap();
    one_line_error(
        &netviz(&["mnist", "infer", "--data-dir", s(&data_dir)]),
        &["train-images-idx3-ubyte.gz is a folder, not a regular file"],
    );
    // A file where the data folder belongs.
    let out = netviz_cmd(&["mnist", "infer"])
        .env("NETVIZ_DATA_DIR", s(&bom))
        .output()
        .unwrap();
    one_line_error(&out, &["(from NETVIZ_DATA_DIR) is not a folder"]);
    // An I/O error says the operating system's words once.
    let out = netviz(&["mnist", "train", "--config", "/no/such/config.json"]);
    one_line_error(&out, &["No such file or directory"]);
    assert_eq!(
        stderr(&out).matches("No such file").count(),
        1,
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_readme_limits_table_is_the_programs() {
    let readme = include_str!("../README.md");
    let section = readme
        .split("## Limits")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap();
    let rows: Vec<(String, String)> = section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| what") && !l.starts_with("| ---"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            (cells[0].to_string(), cells[1].to_string())
        })
        .collect();
    let table: Vec<(String, String)> = netviz::files::limits::TABLE
        .iter()
        .map(|l| (l.what.to_string(), l.value.to_string()))
        .collect();
    assert_eq!(rows, table);
}
