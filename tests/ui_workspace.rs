//! The docked workspace driven like a user would, through egui_kittest (no window, no GPU):
//! maximize and restore a panel (button and double-click), close and reopen panels (tab
//! cross and View menu), drag a panel into another panel's tab bar, switch labs from the
//! Lab menu (the old lab's thread is joined before the new lab shows), save and restore a
//! layout, and fall back to the default layout from corrupt, outdated and foreign files.

mod ui_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use netviz::labs::LabThread;
use netviz::labs::gallery::Panel;

const CLOUD_PANEL: &str = Panel::Cloud.title();
const LANDSCAPE_PANEL: &str = Panel::Landscape.title();
const CURVE_PANEL: &str = Panel::Curve.title();
use netviz::render::Scene;
use netviz::ui::{Dashboard, Lab, LabEntry, LayoutStore, PanelSpec, SceneView, Shell, StatusInfo};

use ui_support::{paused_gallery, scratch_dir};

fn harness(shell: Shell) -> Harness<'static, Shell> {
    Harness::builder()
        .with_size([1280.0, 800.0])
        // Short frames, so two clicks in consecutive frames make a double-click.
        .with_step_dt(1.0 / 60.0)
        .build_ui_state(|ui, shell: &mut Shell| shell.ui(ui), shell)
}

fn gallery_shell() -> Shell {
    Shell::new(Box::new(paused_gallery()), Dashboard::new())
}

/// The titles of the panels drawn in the last frame.
fn shown(harness: &Harness<'_, Shell>) -> Vec<String> {
    harness
        .state()
        .dashboard()
        .panel_rects()
        .iter()
        .map(|p| p.title.clone())
        .collect()
}

fn rect_of(harness: &Harness<'_, Shell>, title: &str) -> egui::Rect {
    harness
        .state()
        .dashboard()
        .panel_rects()
        .iter()
        .find(|p| p.title == title)
        .map(|p| p.rect)
        .unwrap_or_else(|| panic!("{title} is not shown; shown: {:?}", shown(harness)))
}

fn press(harness: &mut Harness<'_, Shell>, pos: egui::Pos2, pressed: bool) {
    harness.event(egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    });
}

fn double_click(harness: &mut Harness<'_, Shell>, pos: egui::Pos2) {
    harness.hover_at(pos);
    // Half a second after any earlier click, so these two make a double- not a triple-click.
    for _ in 0..30 {
        harness.step();
    }
    for _ in 0..2 {
        press(harness, pos, true);
        press(harness, pos, false);
    }
    harness.run();
}

/// The camera the point cloud was rendered with in the last frame.
fn cloud_camera(harness: &mut Harness<'_, Shell>) -> glam::Mat4 {
    harness.step();
    harness
        .state_mut()
        .dashboard_mut()
        .take_scene_jobs()
        .into_iter()
        .find(|job| job.panel == 0)
        .map(|job| job.scene.camera.view_from_world)
        .expect("the point cloud is rendered")
}

#[test]
fn a_panel_maximizes_and_restores_and_keeps_its_camera() {
    let mut harness = harness(gallery_shell());
    harness.run();
    assert_eq!(
        shown(&harness).len(),
        4,
        "the gallery opens with its four panels"
    );
    let small = rect_of(&harness, CLOUD_PANEL);

    // Turn the cloud's camera with a few arrow-key presses over it.
    harness.hover_at(small.center());
    for _ in 0..5 {
        harness.key_press(egui::Key::ArrowLeft);
    }
    for _ in 0..120 {
        harness.step();
    }
    let turned = cloud_camera(&mut harness);

    harness
        .get_by_label(&format!("Maximize {CLOUD_PANEL}"))
        .click();
    harness.run();
    assert_eq!(shown(&harness), [CLOUD_PANEL]);
    let big = rect_of(&harness, CLOUD_PANEL);
    assert!(
        big.width() > 1.8 * small.width() && big.height() > 1.8 * small.height(),
        "maximized {big:?}, before {small:?}"
    );
    assert!(
        cloud_camera(&mut harness).abs_diff_eq(turned, 1e-5),
        "maximizing reset the camera"
    );

    harness
        .get_by_label(&format!("Restore {CLOUD_PANEL}"))
        .click();
    harness.run();
    assert_eq!(shown(&harness).len(), 4);
    assert_eq!(rect_of(&harness, CLOUD_PANEL), small);
    assert!(cloud_camera(&mut harness).abs_diff_eq(turned, 1e-5));

    // A double-click on a tab's title maximizes too, and on the maximized title restores.
    let tab = harness
        .get_by_role_and_label(Role::Button, LANDSCAPE_PANEL)
        .rect();
    double_click(&mut harness, tab.center());
    assert_eq!(shown(&harness), [LANDSCAPE_PANEL]);
    assert_eq!(
        harness.state().dashboard().workspace().maximized(),
        Some("loss-landscape")
    );
    let title = harness.get_by_label(LANDSCAPE_PANEL).rect();
    double_click(&mut harness, title.center());
    assert_eq!(shown(&harness).len(), 4);
}

#[test]
fn panels_close_from_their_tab_and_reopen_from_the_view_menu() {
    let mut harness = harness(gallery_shell());
    harness.run();
    // The cross on the "Loss curve" tab.
    let tab = harness
        .get_by_role_and_label(Role::Button, CURVE_PANEL)
        .rect();
    let cross = harness
        .get_all_by_label("Close")
        .map(|node| node.rect())
        .find(|rect| tab.contains(rect.center()))
        .expect("a close button on the tab");
    harness.hover_at(cross.center());
    harness.step();
    press(&mut harness, cross.center(), true);
    press(&mut harness, cross.center(), false);
    harness.run();
    assert!(!shown(&harness).contains(&CURVE_PANEL.to_string()));
    assert!(
        !harness
            .state()
            .dashboard()
            .workspace()
            .is_open("loss-curve")
    );

    // View > Loss curve opens it again; View > Point cloud closes that one.
    harness.get_by_label("View").click();
    harness.run();
    harness
        .get_by_role_and_label(Role::CheckBox, CURVE_PANEL)
        .click();
    harness.run();
    assert!(
        harness
            .state()
            .dashboard()
            .workspace()
            .is_open("loss-curve")
    );
    assert!(shown(&harness).contains(&CURVE_PANEL.to_string()));
    harness.get_by_label("View").click();
    harness.run();
    harness
        .get_by_role_and_label(Role::CheckBox, CLOUD_PANEL)
        .click();
    harness.run();
    assert!(
        !harness
            .state()
            .dashboard()
            .workspace()
            .is_open("point-cloud")
    );

    // Reset layout brings back the default, every panel open.
    harness.get_by_label("View").click();
    harness.run();
    harness.get_by_label("Reset layout").click();
    harness.run();
    assert_eq!(shown(&harness).len(), 4);
}

#[test]
fn a_tab_dragged_onto_another_tab_bar_joins_that_stack() {
    let mut harness = harness(gallery_shell());
    harness.run();
    let from = harness
        .get_by_role_and_label(Role::Button, CURVE_PANEL)
        .rect()
        .center();
    let target_tab = harness
        .get_by_role_and_label(Role::Button, CLOUD_PANEL)
        .rect();
    // Just right of the target's tab, still in its tab bar.
    let to = egui::pos2(target_tab.right() + 30.0, target_tab.center().y);
    harness.hover_at(from);
    harness.step();
    press(&mut harness, from, true);
    harness.step();
    for i in 1..=12 {
        harness.hover_at(from + (to - from) * (i as f32 / 12.0));
        harness.step();
    }
    press(&mut harness, to, false);
    for _ in 0..10 {
        harness.step();
    }
    let stacks = harness.state().dashboard().workspace().stacks();
    assert!(
        stacks.iter().any(
            |s| s.contains(&"point-cloud".to_string()) && s.contains(&"loss-curve".to_string())
        ),
        "the loss curve did not join the point cloud's tabs: {stacks:?}"
    );
    // Now one of the two shows at a time.
    assert_eq!(shown(&harness).len(), 3, "{:?}", shown(&harness));
}

/// A lab with one egui panel whose thread records that it ended.
struct ProbeLab {
    name: &'static str,
    _thread: LabThread<(), ()>,
}

impl ProbeLab {
    fn start(name: &'static str, ended: Arc<AtomicBool>) -> Self {
        let thread = LabThread::spawn(name, move |worker| {
            while worker.wait(Duration::from_millis(2)).is_some() {}
            ended.store(true, Ordering::SeqCst);
        })
        .expect("start a probe thread");
        Self {
            name,
            _thread: thread,
        }
    }
}

impl Lab for ProbeLab {
    fn name(&self) -> &str {
        self.name
    }
    fn update(&mut self) {}
    fn controls_ui(&mut self, ui: &mut egui::Ui) {
        ui.label(format!("probe {}", self.name));
    }
    fn panels(&self) -> Vec<PanelSpec> {
        vec![PanelSpec::egui(format!("{} panel", self.name))]
    }
    fn scene(&mut self, _panel: usize, view: &SceneView) -> Scene {
        Scene::new(view.camera)
    }
    fn status(&self) -> StatusInfo {
        StatusInfo::default()
    }
    fn toggle_pause(&mut self) {}
    fn reset(&mut self) {}
}

#[test]
fn the_lab_menu_switches_labs_and_joins_the_old_labs_thread() {
    let first_ended = Arc::new(AtomicBool::new(false));
    let second_ended = Arc::new(AtomicBool::new(false));
    let second_flag = Arc::clone(&second_ended);
    let shell = Shell::new(
        Box::new(ProbeLab::start("first", Arc::clone(&first_ended))),
        Dashboard::new(),
    )
    .with_labs(vec![
        LabEntry::new("first", "First", || Err("not offered again".into())),
        LabEntry::new("second", "Second", move || {
            Ok(Box::new(ProbeLab::start("second", Arc::clone(&second_flag))) as Box<dyn Lab>)
        }),
        LabEntry::new("gallery", "Gallery", || {
            Ok(Box::new(paused_gallery()) as Box<dyn Lab>)
        }),
        LabEntry::new("broken", "Broken", || Err("no data here".into())),
    ]);
    let mut harness = harness(shell);
    harness.run();
    assert_eq!(shown(&harness), ["first panel"]);

    harness.get_by_label("Lab").click();
    harness.run();
    harness.get_by_label("Second").click();
    harness.run();
    assert_eq!(harness.state().lab().name(), "second");
    assert!(
        first_ended.load(Ordering::SeqCst),
        "the first lab's thread was still running after the switch"
    );
    assert_eq!(shown(&harness), ["second panel"]);

    // A lab that cannot start leaves the current one running, with a message.
    harness.get_by_label("Lab").click();
    harness.run();
    harness.get_by_label("Broken").click();
    harness.run();
    assert_eq!(harness.state().lab().name(), "second");
    assert!(!second_ended.load(Ordering::SeqCst));
    let message = harness.state().dashboard().message().unwrap_or_default();
    assert!(
        message.contains("Broken") && message.contains("no data here"),
        "{message}"
    );

    // A real lab, with its own default layout.
    harness.get_by_label("Lab").click();
    harness.run();
    harness.get_by_label("Gallery").click();
    harness.run();
    assert!(second_ended.load(Ordering::SeqCst));
    assert_eq!(harness.state().lab().name(), "gallery");
    assert_eq!(shown(&harness).len(), 4);
}

fn stored_shell(store: &LayoutStore) -> Shell {
    Shell::new(
        Box::new(paused_gallery()),
        Dashboard::with_store(store.clone()),
    )
}

#[test]
fn a_layout_is_saved_and_restored_with_the_theme() {
    let dir = scratch_dir("layout-saved");
    let store = LayoutStore::new(&dir);
    let mut harness = harness(stored_shell(&store));
    harness.run();
    {
        let shell = harness.state_mut();
        let workspace = shell.dashboard_mut().workspace_mut();
        workspace.move_into_stack_of("loss-curve", "point-cloud");
        workspace.close("loss-surface");
        shell.dashboard_mut().set_light(true);
    }
    harness.run();
    let stacks = harness.state().dashboard().workspace().stacks();
    harness.state().save_layout().expect("save the layout");
    assert!(store.path("gallery").is_file());
    drop(harness);

    let mut again = self::harness(stored_shell(&store));
    again.run();
    let dashboard = again.state().dashboard();
    assert_eq!(dashboard.workspace().stacks(), stacks);
    assert!(!dashboard.workspace().is_open("loss-surface"));
    assert!(dashboard.is_light());
    assert!(again.ctx.global_style().visuals.dark_mode.eq(&false));
    assert_eq!(dashboard.message(), None);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn corrupt_outdated_or_foreign_layout_files_give_the_default_layout_and_a_warning() {
    let dir = scratch_dir("layout-corrupt");
    let store = LayoutStore::new(&dir);
    // A good file to alter.
    {
        let mut harness = harness(stored_shell(&store));
        harness.run();
        harness
            .state_mut()
            .dashboard_mut()
            .workspace_mut()
            .close("loss-curve");
        harness.state().save_layout().expect("save the layout");
    }
    let path = store.path("gallery");
    let good = std::fs::read_to_string(&path).expect("the saved layout");
    let default_stacks = {
        let mut harness = harness(gallery_shell());
        harness.run();
        harness.state().dashboard().workspace().stacks()
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", good.as_bytes()[..good.len() / 2].to_vec()),
        ("binary", vec![0xff, 0x00, 0x13, 0x37]),
        ("empty", Vec::new()),
        (
            "newer",
            good.replacen("\"version\": 1", "\"version\": 99", 1)
                .into_bytes(),
        ),
        (
            "foreign",
            good.replacen("\"lab\": \"gallery\"", "\"lab\": \"xor\"", 1)
                .into_bytes(),
        ),
        (
            "renamed panel",
            good.replace("\"point-cloud\"", "\"no-such-panel\"")
                .into_bytes(),
        ),
        (
            "unknown pane",
            good.replacen("\"loss-landscape\"", "\"point-cloud\"", 2)
                .into_bytes(),
        ),
        ("huge", vec![b' '; 2 << 20]),
    ];
    for (what, bytes) in cases {
        std::fs::write(&path, &bytes).expect("write the altered layout");
        let mut harness = harness(stored_shell(&store));
        harness.run();
        let dashboard = harness.state().dashboard();
        assert_eq!(
            dashboard.workspace().stacks(),
            default_stacks,
            "{what}: not the default layout"
        );
        let message = dashboard.message().unwrap_or_default();
        assert!(
            message.contains("using the default layout"),
            "{what}: no warning, got {message:?}"
        );
    }
    // A folder where the file should be.
    std::fs::remove_file(&path).expect("remove the file");
    std::fs::create_dir_all(&path).expect("a folder in its place");
    let mut harness = harness(stored_shell(&store));
    harness.run();
    assert_eq!(
        harness.state().dashboard().workspace().stacks(),
        default_stacks
    );
    assert!(
        harness.state().save_layout().is_err(),
        "a folder was replaced"
    );
    assert!(path.is_dir());
    let _ = std::fs::remove_dir_all(&dir);
}
