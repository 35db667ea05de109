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
