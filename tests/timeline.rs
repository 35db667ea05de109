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
