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
