//! The timeline: a recorded moment of a run shows exactly what a second run with the same
//! seed, stopped at that step, shows (the scenes equal and their pixels too); the timeline
//! follows the run; seeking and going live.

// The helpers of these tests unwrap: a failure there is the test's failure.
#![allow(clippy::unwrap_used)]

mod render_support;

use std::time::{Duration, Instant};

use netviz::labs::attention::{AttentionLab, AttentionLabOptions, AttentionSettings};
use netviz::labs::xor::{XorLab, XorLabOptions, XorSettings};
use netviz::ui::{Lab, PanelKind, SceneView};
use render_support::render;

fn view_of(lab: &dyn Lab, panel: usize, size: [u32; 2]) -> Option<SceneView> {
    let camera = match lab.panels()[panel].kind.clone() {
        PanelKind::Scene2d(c) => c.scene_camera(),
        PanelKind::Scene3d(c) => c.scene_camera(),
        PanelKind::Egui => return None,
    };
    Some(SceneView {
        size_px: size,
        pixels_per_point: 1.0,
        camera,
    })
}

/// Every scene panel of `a` and `b`: equal scenes, equal pixels.
fn same_pictures(a: &mut dyn Lab, b: &mut dyn Lab, what: &str) {
    let size = [480, 360];
    let panels = a.panels();
    assert_eq!(panels.len(), b.panels().len());
    let mut compared = 0;
    for (i, spec) in panels.iter().enumerate() {
        let (Some(va), Some(vb)) = (view_of(a, i, size), view_of(b, i, size)) else {
            continue;
        };
        let (sa, sb) = (a.scene(i, &va), b.scene(i, &vb));
        assert_eq!(sa, sb, "{what}: panel {} differs", spec.id);
        let (ia, ib) = (render(&sa, size[0], size[1]), render(&sb, size[0], size[1]));
        assert!(
            ia.pixels == ib.pixels,
            "{what}: panel {} pixels differ",
            spec.id
        );
        compared += 1;
    }
    assert!(compared >= 3, "{what}: only {compared} scene panels");
}

#[test]
fn a_recorded_xor_moment_shows_what_a_run_stopped_there_shows() {
    let settings = XorSettings {
        max_epochs: 6_000,
        ..XorSettings::default()
    };
    let mut run = XorLab::new(XorLabOptions {
        settings: settings.clone(),
        max_refresh_hz: Some(200.0),
        ..XorLabOptions::default()
    })
    .unwrap();
    assert!(run.wait_until_done(Duration::from_secs(120)));
    let info = run.timeline().unwrap();
    assert_eq!(info.steps[0], 0);
    assert_eq!(*info.steps.last().unwrap(), 6_000);
    assert!(info.steps.len() >= 5, "{:?}", info.steps);
    // A moment in the middle of the run.
    let k = info.steps.len() / 2;
    let s = info.steps[k];
    run.seek(Some(k));
    assert_eq!(run.snapshot().epoch, s);
    assert_eq!(run.status().step, 6_000, "the status bar stays live");
    let mut stopped = XorLab::new(XorLabOptions {
        settings: XorSettings {
            max_epochs: s,
            ..settings
        },
        max_refresh_hz: None,
        ..XorLabOptions::default()
    })
    .unwrap();
    assert!(stopped.wait_until_done(Duration::from_secs(120)));
    assert_eq!(stopped.snapshot().epoch, s);
    same_pictures(&mut run, &mut stopped, &format!("xor at epoch {s}"));
    run.seek(None);
    assert_eq!(run.snapshot().epoch, 6_000);
    assert_eq!(run.timeline().unwrap().cursor, None);
}

#[test]
fn a_recorded_attention_moment_shows_what_a_run_stopped_there_shows() {
    let steps = 300;
    let mut run = AttentionLab::new(AttentionLabOptions {
        settings: AttentionSettings {
            max_steps: Some(steps),
            ..AttentionSettings::default()
        },
        paused: false,
        steps_before: 0,
    })
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while run.status().step < steps {
        assert!(Instant::now() < deadline, "training did not finish");
        run.update();
        std::thread::sleep(Duration::from_millis(2));
    }
    let info = run.timeline().unwrap();
    assert_eq!(info.steps[0], 0);
    assert_eq!(*info.steps.last().unwrap(), steps);
    let k = (1..info.steps.len() - 1)
        .find(|&i| info.steps[i] >= steps / 3)
        .unwrap_or(1);
    let s = info.steps[k];
    assert!(s > 0 && s < steps, "{:?}", info.steps);
    run.seek(Some(k));
    assert_eq!(run.snapshot().step, s);
    let mut stopped = AttentionLab::new(AttentionLabOptions {
        settings: AttentionSettings {
            max_steps: Some(s),
            ..AttentionSettings::default()
        },
        paused: true,
        steps_before: s,
    })
    .unwrap();
    stopped.update();
    assert_eq!(stopped.snapshot().step, s);
    same_pictures(&mut run, &mut stopped, &format!("attention at step {s}"));
}

/// Runs netviz with `args`; returns its stdout, failing with its output if it failed.
fn netviz(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_netviz"))
        .args(args)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn read_png(path: &std::path::Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[test]
fn each_frame_of_a_recording_is_the_headless_picture_at_its_step() {
    let dir = std::env::temp_dir().join(format!("netviz-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gif_path = dir.join("maps.gif");
    let apng_path = dir.join("maps.png");
    let common = [
        "attention",
        "--headless",
        "--steps",
        "90",
        "--scene",
        "maps",
        "--size",
        "420x300",
    ];
    let mut args = common.to_vec();
    args.extend([
        "--frames",
        "4",
        "--fps",
        "5",
        "--record",
        gif_path.to_str().unwrap(),
    ]);
    let out = netviz(&args);
    let steps: Vec<u64> = out
        .lines()
        .filter_map(|l| {
            l.strip_prefix("frame ")
                .and_then(|l| l.split("step ").nth(1))
        })
        .map(|s| s.trim().parse().unwrap())
        .collect();
    assert_eq!(steps.len(), 4, "{out}");
    assert_eq!((steps[0], steps[3]), (0, 90), "{out}");
    let mut args = common.to_vec();
    args.extend(["--frames", "4", "--record", apng_path.to_str().unwrap()]);
    netviz(&args);
    let seq = dir.join("frames/");
    let mut args = common.to_vec();
    args.extend(["--frames", "4", "--record", seq.to_str().unwrap()]);
    netviz(&args);

    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut gif = options
        .read_info(std::io::BufReader::new(
            std::fs::File::open(&gif_path).unwrap(),
        ))
        .unwrap();
    let apng = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&apng_path).unwrap(),
    ));
    let mut apng = apng.read_info().unwrap();
    assert_eq!(apng.info().animation_control().unwrap().num_frames, 4);
    let mut apng_buf = vec![0; apng.output_buffer_size().unwrap()];
    for (k, &step) in steps.iter().enumerate() {
        // The same panel from a run that trained exactly `step` steps.
        let shot = dir.join(format!("at-{step}.png"));
        let step_text = step.to_string();
        let mut args = common.to_vec();
        args[3] = &step_text;
        args.extend(["--screenshot", shot.to_str().unwrap()]);
        netviz(&args);
        let (w, h, pixels) = read_png(&shot);
        // Lossless: the animated PNG's frame and the numbered PNG are the picture exactly.
        apng.next_frame(&mut apng_buf).unwrap();
        assert!(
            apng_buf[..pixels.len()] == pixels[..],
            "APNG frame {k} (step {step})"
        );
        let (sw, sh, seq_pixels) =
            read_png(&netviz::render::animation::sequence_frame_path(&seq, k));
        assert_eq!((sw, sh), (w, h));
        assert!(seq_pixels == pixels, "PNG {k} (step {step})");
        // The GIF: every pixel is the color of its frame's palette nearest to the picture's.
        let frame = gif.read_next_frame().unwrap().unwrap();
        assert_eq!((u32::from(frame.width), u32::from(frame.height)), (w, h));
        assert_eq!(frame.delay, 20);
        let palette = frame.palette.clone().unwrap();
        for (got, want) in frame.buffer.chunks_exact(4).zip(pixels.chunks_exact(4)) {
            let i = usize::from(netviz::render::animation::nearest(
                &palette,
                [want[0], want[1], want[2]],
            ));
            assert_eq!(
                &got[..3],
                &palette[3 * i..3 * i + 3],
                "GIF frame {k} (step {step})"
            );
        }
    }
    assert!(gif.read_next_frame().unwrap().is_none());
    std::fs::remove_dir_all(&dir).ok();
}

/// Postcard bytes of a snapshot, shared values numbered as a run file numbers them.
fn bytes_of<S: serde::Serialize>(snapshot: &S) -> Vec<u8> {
    netviz::labs::run_file::shared::scope_write(|| postcard::to_stdvec(snapshot).unwrap())
}

fn trained_xor(max_epochs: u64) -> XorLab {
    let mut lab = XorLab::new(XorLabOptions {
        settings: XorSettings {
            max_epochs,
            ..XorSettings::default()
        },
        max_refresh_hz: Some(200.0),
        ..XorLabOptions::default()
    })
    .unwrap();
    assert!(lab.wait_until_done(Duration::from_secs(120)));
    lab
}

#[test]
fn a_saved_xor_run_reopens_to_identical_snapshots_and_pictures() {
    use netviz::labs::run_file::RunFile;
    let dir = std::env::temp_dir().join(format!("netviz-runs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("xor.nvrun");
    let mut run = trained_xor(4_000);
    let said = run.save_run(&path).unwrap();
    let info = run.timeline().unwrap();
    assert!(
        said.contains(&format!("{} moments", info.steps.len())),
        "{said}"
    );
    let mut reopened = XorLab::open_run(&RunFile::read(&path).unwrap()).unwrap();
    assert!(reopened.is_saved_run());
    let again = reopened.timeline().unwrap();
    assert_eq!(again.steps, info.steps);
    assert_eq!(again.losses, info.losses);
    let status = reopened.status();
    assert!(status.paused);
    assert!(status.message.unwrap().contains("saved run"));
    for k in 0..info.steps.len() {
        run.seek(Some(k));
        reopened.seek(Some(k));
        assert_eq!(
            bytes_of(run.snapshot()),
            bytes_of(reopened.snapshot()),
            "moment {k}"
        );
        if k == 0 || k == info.steps.len() / 2 || k + 1 == info.steps.len() {
            same_pictures(&mut run, &mut reopened, &format!("moment {k}"));
        }
    }
    // The model section is the network of the last moment as its model file holds it.
    let file = RunFile::read(&path).unwrap();
    let model = dir.join("xor.safetensors");
    std::fs::write(&model, file.model().unwrap()).unwrap();
    let net = netviz::labs::xor::file::load_plane(&model, &Default::default()).unwrap();
    run.seek(None);
    assert_eq!(net.layers(), run.snapshot().net.layers());
    // Nothing trains: a command is refused with a message, not lost silently.
    reopened.toggle_pause();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn truncated_altered_newer_and_foreign_run_files_are_refused_in_one_line() {
    let dir = std::env::temp_dir().join(format!("netviz-bad-runs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.nvrun");
    trained_xor(500).save_run(&good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let mut cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", bytes[..bytes.len() / 2].to_vec(), "truncated"),
        ("empty", Vec::new(), "magic"),
        ("png", b"\x89PNG\r\n\x1a\nnot a run".to_vec(), "magic"),
    ];
    let mut altered = bytes.clone();
    let middle = altered.len() - 100;
    altered[middle] ^= 1;
    cases.push(("altered", altered, "checksum"));
    let mut newer = bytes.clone();
    newer[8] = 9;
    cases.push(("newer", newer, "format version 9"));
    for (name, data, expected) in cases {
        let path = dir.join(format!("{name}.nvrun"));
        std::fs::write(&path, &data).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_netviz"))
            .args(["open", path.to_str().unwrap(), "--headless"])
            .env("XDG_RUNTIME_DIR", std::env::temp_dir())
            .current_dir(&dir)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
    // The good file opens headless and says what it showed.
    let shot = dir.join("open.png");
    let out = netviz(&[
        "open",
        good.to_str().unwrap(),
        "--headless",
        "--step",
        "100",
        "--screenshot",
        shot.to_str().unwrap(),
        "--size",
        "800x500",
    ]);
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("lab=xor moments="), "{out}");
    assert!(
        last.ends_with("shown_step=0") || last.contains("shown_step=100"),
        "{out}"
    );
    assert_eq!(read_png(&shot).0, 800);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn run_b_with_the_same_settings_gives_the_same_curve_and_follows_a() {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use netviz::ui::{Dashboard, Shell, Show};

    let settings = XorSettings {
        max_epochs: 3_000,
        ..XorSettings::default()
    };
    let lab = XorLab::new(XorLabOptions {
        settings,
        max_refresh_hz: Some(200.0),
        ..XorLabOptions::default()
    })
    .unwrap();
    let shell = Shell::new(Box::new(lab), Dashboard::new());
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(|ui, shell: &mut Shell| shell.ui(ui), shell);
    harness.run_steps(2);
    harness.get_by_label("Run B").click();
    harness.run_steps(2);
    assert!(harness.state().b().is_some(), "Run B did not start");
    // Both run to the end.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        harness.step();
        let shell = harness.state();
        let done = |lab: &dyn Lab| lab.status().step >= 3_000;
        if done(shell.lab()) && shell.b().is_some_and(done) {
            break;
        }
        assert!(Instant::now() < deadline, "the runs did not finish");
        std::thread::sleep(Duration::from_millis(5));
    }
    harness.run_steps(2);
    let shell = harness.state();
    let (a, b) = (
        shell.lab().timeline().unwrap(),
        shell.b().unwrap().timeline().unwrap(),
    );
    // The same curve: every step both recorded has the same loss, bit for bit.
    let mut common = 0;
    for (i, step) in a.steps.iter().enumerate() {
        if let Some(j) = b.steps.iter().position(|s| s == step) {
            assert_eq!(
                a.losses[i].map(f32::to_bits),
                b.losses[j].map(f32::to_bits),
                "step {step}"
            );
            common += 1;
        }
    }
    assert!(
        common >= 3,
        "only {common} common steps: {:?} / {:?}",
        a.steps,
        b.steps
    );
    assert_eq!(
        shell.lab().status().loss.map(f32::to_bits),
        shell.b().unwrap().status().loss.map(f32::to_bits)
    );
    // Scrubbing A takes B to its moment at or before the same step.
    let k = a.steps.len() / 2;
    harness.state_mut().seek(Some(k));
    let shell = harness.state();
    let (a, b) = (
        shell.lab().timeline().unwrap(),
        shell.b().unwrap().timeline().unwrap(),
    );
    let a_step = a.steps[a.cursor.unwrap()];
    let b_step = b.steps[b.cursor.unwrap()];
    assert!(b_step <= a_step, "{b_step} > {a_step}");
    assert!(b.steps.iter().all(|&s| s <= b_step || s > a_step));
    // A panel switched to both shows A and B side by side: two scenes, two textures.
    harness
        .state_mut()
        .dashboard_mut()
        .workspace_mut()
        .set_show("network", Show::Both);
    harness.run_steps(1);
    let panels = harness.state().lab().panels().len();
    let jobs = harness.state_mut().dashboard_mut().take_scene_jobs();
    assert!(jobs.iter().any(|j| j.panel == 0), "A's network");
    assert!(jobs.iter().any(|j| j.panel == panels), "B's network");
    let halves: Vec<_> = jobs
        .iter()
        .filter(|j| j.panel % panels == 0)
        .map(|j| j.size_px)
        .collect();
    assert_eq!(halves.len(), 2);
    assert!(halves[0][0].abs_diff(halves[1][0]) <= 1, "{halves:?}");
    // Closing B leaves A alone.
    harness.get_by_label("Close B").click();
    harness.run_steps(2);
    assert!(harness.state().b().is_none());
}

#[test]
fn a_step_between_recorded_moments_is_recomputed_to_what_a_run_stopped_there_shows() {
    let settings = XorSettings {
        max_epochs: 8_000,
        ..XorSettings::default()
    };
    let mut run = XorLab::new(XorLabOptions {
        settings: settings.clone(),
        max_refresh_hz: Some(60.0),
        ..XorLabOptions::default()
    })
    .unwrap();
    assert!(run.wait_until_done(Duration::from_secs(120)));
    // A tight budget thins the older moments (one every few refreshes is kept).
    let full = run.timeline().unwrap();
    run.set_timeline_budget(full.bytes / 3);
    let info = run.timeline().unwrap();
    assert!(info.steps.len() < full.steps.len());
    // A refresh (every 100 epochs) the timeline did not keep.
    let refresh = settings.epochs_per_refresh;
    let s = (1..settings.max_epochs / refresh)
        .map(|k| k * refresh)
        .filter(|s| !info.steps.contains(s))
        .nth(3)
        .unwrap_or_else(|| panic!("every refresh was recorded: {:?}", info.steps));
    run.seek_step(s);
    assert_eq!(run.snapshot().epoch, s);
    let now = run.timeline().unwrap();
    assert_eq!(now.computed_step, Some(s));
    assert!(info.steps[now.cursor.unwrap()] < s);
    let mut stopped = XorLab::new(XorLabOptions {
        settings: XorSettings {
            max_epochs: s,
            ..settings
        },
        max_refresh_hz: None,
        ..XorLabOptions::default()
    })
    .unwrap();
    assert!(stopped.wait_until_done(Duration::from_secs(120)));
    assert_eq!(stopped.snapshot().epoch, s);
    assert_eq!(
        bytes_of(&stopped.snapshot().net),
        bytes_of(&run.snapshot().net),
        "the weights at epoch {s}"
    );
    assert_eq!(stopped.snapshot().history, run.snapshot().history);
    same_pictures(&mut run, &mut stopped, &format!("step {s}"));
    // A step that is not a refresh lands on the refresh before it; live clears it.
    run.seek_step(s + refresh / 2);
    assert_eq!(run.snapshot().epoch, s);
    run.seek(None);
    assert_eq!(run.timeline().unwrap().computed_step, None);
    assert_eq!(run.snapshot().epoch, 8_000);
}
