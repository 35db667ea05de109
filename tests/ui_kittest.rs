//! The dashboard driven like a user would, through egui_kittest (no window, no GPU): moving
//! the gallery's speed slider reaches the gallery's thread, Space pauses it, `q` asks the
//! host to quit.

mod ui_support;

use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use netviz::labs::gallery::world::Settings;
use netviz::labs::gallery::{GalleryLab, SPEED_RANGE};
use netviz::ui::{Dashboard, Lab, ShellAction, dashboard_ui};

use ui_support::paused_gallery;

type State = (GalleryLab, Dashboard);

fn harness(lab: GalleryLab) -> Harness<'static, State> {
    Harness::builder()
        .with_size([1000.0, 700.0])
        .build_ui_state(
            |ui, (lab, dashboard): &mut State| {
                lab.update();
                dashboard_ui(ui, lab, dashboard);
            },
            (lab, Dashboard::new()),
        )
}

/// Steps the harness (each step takes the lab's newest snapshot) until the settings the
/// gallery thread reports satisfy `done`, or fails after 5 s.
fn wait_for_thread(harness: &mut Harness<'_, State>, what: &str, done: impl Fn(&Settings) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done(&harness.state().0.snapshot().settings) {
        assert!(
            Instant::now() < deadline,
            "the gallery thread never reported {what}; it reports {:?}",
            harness.state().0.snapshot().settings
        );
        std::thread::sleep(Duration::from_millis(5));
        harness.step();
    }
}

#[test]
fn the_speed_slider_changes_the_speed_the_lab_thread_runs_at() {
    let mut harness = harness(paused_gallery());
    harness.run();
    let before = harness.state().0.controls().speed;
    assert_eq!(before, Settings::default().speed);

    // Click near the right end of the slider's rail, like a user would.
    let rail = harness.get_by_role_and_label(Role::Slider, "speed").rect();
    let at = egui::pos2(rail.right() - 2.0, rail.center().y);
    harness.hover_at(at);
    harness.event(egui::Event::PointerButton {
        pos: at,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    harness.event(egui::Event::PointerButton {
        pos: at,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    harness.run();

    let wanted = harness.state().0.controls().speed;
    assert!(
        wanted > 0.9 * SPEED_RANGE.end(),
        "clicking the right end of the slider gave speed {wanted}"
    );
    wait_for_thread(&mut harness, "the new speed", |s| s.speed == wanted);
}

#[test]
fn space_pauses_the_lab_thread_and_q_asks_to_quit() {
    let mut lab = paused_gallery();
    lab.toggle_pause(); // start running
    let mut harness = harness(lab);
    wait_for_thread(&mut harness, "running", |s| !s.paused);
    let step = harness.state().0.snapshot().step;

    harness.key_press(egui::Key::Space);
    harness.run();
    wait_for_thread(&mut harness, "paused", |s| s.paused);
    let paused_at = harness.state().0.snapshot().step;
    assert!(paused_at >= step);
    std::thread::sleep(Duration::from_millis(100));
    harness.step();
    assert_eq!(
        harness.state().0.snapshot().step,
        paused_at,
        "the step moved while paused"
    );
    assert_eq!(harness.state_mut().1.take_actions(), []);

    harness.key_press(egui::Key::Q);
    harness.run();
    assert_eq!(harness.state_mut().1.take_actions(), [ShellAction::Quit]);
}

/// Presses the primary button at `from`, moves to `to` in a few steps and releases there.
fn drag(harness: &mut Harness<'_, State>, from: egui::Pos2, to: egui::Pos2) {
    let button = |pos, pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    harness.hover_at(from);
    harness.run();
    harness.event(button(from, true));
    harness.step();
    for i in 1..=4 {
        harness.hover_at(from + (to - from) * (i as f32 / 4.0));
        harness.step();
    }
    harness.event(button(to, false));
    harness.run();
}

#[test]
fn dragging_a_splitter_resizes_panels_and_dragging_a_scene_turns_its_camera() {
    let mut harness = harness(paused_gallery());
    harness.run();
    let rects = harness.state().1.panel_rects().to_vec();
    let (cloud, landscape) = (rects[0].rect, rects[1].rect);
    assert!(landscape.left() > cloud.right(), "{rects:?}");

    // The splitter between the two columns.
    let boundary = egui::pos2((cloud.right() + landscape.left()) / 2.0, cloud.center().y);
    drag(&mut harness, boundary, boundary + egui::vec2(80.0, 0.0));
    let wider = harness.state().1.panel_rects()[0].rect;
    assert!(
        (wider.width() - cloud.width() - 80.0).abs() < 2.0,
        "the first column went from {} to {} points wide",
        cloud.width(),
        wider.width()
    );

    // The point cloud's camera turns with a drag inside its panel.
    let camera_of = |harness: &mut Harness<'_, State>| {
        harness.step();
        harness
            .state_mut()
            .1
            .take_scene_jobs()
            .into_iter()
            .find(|job| job.panel == 0)
            .map(|job| job.scene.camera.view_from_world)
            .expect("the point cloud is rendered")
    };
    let before = camera_of(&mut harness);
    let center = harness.state().1.panel_rects()[0].rect.center();
    drag(&mut harness, center, center + egui::vec2(60.0, 20.0));
    // Damping moves the camera over a few frames; let it settle.
    for _ in 0..30 {
        harness.step();
    }
    let after = camera_of(&mut harness);
    assert!(
        !before.abs_diff_eq(after, 1e-3),
        "the camera did not turn: {before:?}"
    );

    // `o` over a 3D panel switches it between perspective and orthographic.
    let projection_of = |harness: &mut Harness<'_, State>| {
        harness.step();
        harness
            .state_mut()
            .1
            .take_scene_jobs()
            .into_iter()
            .find(|job| job.panel == 0)
            .map(|job| format!("{:?}", job.scene.camera.projection))
            .expect("the point cloud is rendered")
    };
    let perspective = projection_of(&mut harness);
    harness.hover_at(center);
    harness.key_press(egui::Key::O);
    harness.run();
    let ortho = projection_of(&mut harness);
    assert!(perspective.starts_with("Perspective"), "{perspective}");
    assert!(ortho.starts_with("Orthographic"), "o switched to {ortho}");
}
