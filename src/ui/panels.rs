//! One panel's content, wherever the workspace ([`crate::ui::workspace`]) puts it: a wgpu
//! scene (its own texture copied in by a paint callback, steered by its camera, with the
//! scene's labels painted on top as egui text) or plain egui content.
//!
//! Scenes are not rendered here: a scene panel records a [`SceneJob`] (size and scene) that the
//! GPU side renders into the panel's texture after the egui pass and before egui paints, so
//! the image egui shows is always this frame's, at this frame's size.

use egui::emath::GuiRounding;
use egui::{Align2, Color32, FontId, Frame, Key, Margin, Rect, Sense, Ui, Vec2};

use crate::render::{Camera2d, OrbitCamera, Projection, Scene, SceneCamera, project_labels};
use crate::ui::lab::{Lab, PanelKind, PanelSpec, SceneView};
use crate::ui::scene_blit::SceneBlit;

/// A scene to render into panel `panel`'s texture at `size_px`.
#[derive(Clone, Debug)]
pub struct SceneJob {
    /// Index of the panel's texture: the panel's index in the lab's list, plus the lab's
    /// panel count for Run B's view of it.
    pub panel: usize,
    /// Texture size in physical pixels (never zero).
    pub size_px: [u32; 2],
    /// What to draw.
    pub scene: Scene,
}

/// Where a panel ended up this frame, in egui points (headless reports and tests use it).
#[derive(Clone, Debug, PartialEq)]
pub struct PanelRect {
    /// The panel's index in the lab's list.
    pub index: usize,
    /// The panel's id.
    pub id: String,
    /// The panel's title.
    pub title: String,
    /// The panel's content rectangle (for scene panels: exactly the scene image).
    pub rect: Rect,
}

/// The camera the shell keeps for one panel.
#[derive(Clone, Debug)]
pub(crate) enum PanelCamera {
    Orbit(OrbitCamera),
    Flat(Camera2d),
    None,
}

/// Which run a panel shows while a second run (Run B) goes on beside the first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Show {
    /// The first run.
    #[default]
    A,
    /// The second run.
    B,
    /// Both, side by side (A left), at the same step and through the same camera.
    Both,
}

impl Show {
    /// Every choice, as the panels' switches list them.
    pub const ALL: [Show; 3] = [Show::A, Show::B, Show::Both];

    /// What a switch says.
    pub fn label(self) -> &'static str {
        match self {
            Show::A => "A",
            Show::B => "B",
            Show::Both => "A|B",
        }
    }
}

/// Per-panel state kept across frames.
#[derive(Clone, Debug)]
pub(crate) struct PanelState {
    pub(crate) camera: PanelCamera,
    /// Which run the panel shows (with a Run B).
    pub(crate) show: Show,
}

impl PanelState {
    pub(crate) fn new(spec: &PanelSpec) -> Self {
        let camera = match &spec.kind {
            PanelKind::Scene3d(camera) => PanelCamera::Orbit(camera.clone()),
            PanelKind::Scene2d(camera) => PanelCamera::Flat(*camera),
            PanelKind::Egui => PanelCamera::None,
        };
        Self {
            camera,
            show: Show::A,
        }
    }
}

/// What the panels hand back to the dashboard.
#[derive(Default)]
pub(crate) struct PanelsOutput {
    pub(crate) jobs: Vec<SceneJob>,
    pub(crate) rects: Vec<PanelRect>,
    /// Whether a camera is still moving (keep repainting).
    pub(crate) animating: bool,
    /// Scene textures below this index are rendered and shown by a GPU side (none in a test
    /// harness, which shows a plain rectangle of the scene's background instead).
    pub(crate) gpu_panels: usize,
    /// The texture of panel `i` of Run B is `i + b_offset` (the lab's panel count).
    pub(crate) b_offset: usize,
}

/// What one half of a panel draws: which lab, into which texture, with which badge.
struct Side<'a> {
    lab: &'a mut dyn Lab,
    /// The scene texture it renders into.
    slot: usize,
    /// `A` or `B` in the corner while comparing.
    badge: Option<&'static str>,
    /// Whether this side moves the camera's animation on (one side per frame).
    leads: bool,
}

/// One panel's content filling `ui`: a scene (see [`scene_panel_ui`]) or the lab's egui
/// content with a small margin; with a Run B (`b`), the run the panel's switch chooses, or
/// both side by side. Its rectangle is reported in `out`.
pub(crate) fn panel_content_ui(
    ui: &mut Ui,
    panel: usize,
    lab: &mut dyn Lab,
    b: Option<&mut dyn Lab>,
    spec: &PanelSpec,
    state: &mut PanelState,
    out: &mut PanelsOutput,
) {
    let rect = ui.available_rect_before_wrap();
    out.rects.push(PanelRect {
        index: panel,
        id: spec.id.clone(),
        title: spec.title.clone(),
        // A scene panel's rectangle is exactly its image.
        rect: if spec.is_scene() {
            rect.round_to_pixels(ui.pixels_per_point())
        } else {
            rect
        },
    });
    let a = Side {
        lab,
        slot: panel,
        badge: None,
        leads: true,
    };
    let b_slot = panel + out.b_offset;
    match (state.show, b) {
        (Show::A, _) | (_, None) => side_ui(ui, panel, spec, a, state, out),
        (Show::B, Some(b)) => {
            let b = Side {
                lab: b,
                slot: b_slot,
                badge: Some("B"),
                leads: true,
            };
            side_ui(ui, panel, spec, b, state, out);
        }
        (Show::Both, Some(b)) => {
            let gap = 2.0;
            let half = (rect.width() - gap) * 0.5;
            let left = Rect::from_min_size(rect.min, egui::vec2(half, rect.height()));
            let right = Rect::from_min_max(egui::pos2(rect.max.x - half, rect.min.y), rect.max);
            let a = Side {
                badge: Some("A"),
                ..a
            };
            ui.scope_builder(egui::UiBuilder::new().max_rect(left), |ui| {
                side_ui(ui, panel, spec, a, state, out);
            });
            let b = Side {
                lab: b,
                slot: b_slot,
                badge: Some("B"),
                leads: false,
            };
            ui.scope_builder(
                egui::UiBuilder::new().max_rect(right).id_salt("run-b"),
                |ui| side_ui(ui, panel, spec, b, state, out),
            );
            ui.advance_cursor_after_rect(rect);
        }
    }
}

/// One run's view of a panel filling `ui`, its badge in the corner.
fn side_ui(
    ui: &mut Ui,
    panel: usize,
    spec: &PanelSpec,
    side: Side<'_>,
    state: &mut PanelState,
    out: &mut PanelsOutput,
) {
    let rect = ui.available_rect_before_wrap();
    let badge = side.badge;
    if spec.is_scene() {
        scene_panel_ui(ui, panel, side, state, out);
    } else {
        ui.painter()
            .rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
        let lab = side.lab;
        Frame::new().inner_margin(Margin::same(4)).show(ui, |ui| {
            ui.set_min_size(ui.available_size());
            if badge.is_some() {
                ui.add_space(14.0);
            }
            lab.panel_ui(panel, ui);
        });
    }
    if let Some(badge) = badge {
        badge_ui(ui, rect, badge);
    }
}

/// `A` or `B` in a small box in the top-left corner of `rect`.
fn badge_ui(ui: &Ui, rect: Rect, text: &str) {
    let painter = ui.painter_at(rect);
    let font = FontId::proportional(12.0);
    let color = if text == "A" {
        crate::ui::timeline_bar::A_COLOR
    } else {
        crate::ui::timeline_bar::B_COLOR
    };
    let galley = painter.layout_no_wrap(format!("run {text}"), font, Color32::BLACK);
    let at = rect.min + Vec2::new(4.0, 4.0);
    let bg = Rect::from_min_size(at, galley.size() + Vec2::new(8.0, 2.0));
    painter.rect_filled(bg, 3.0, color);
    painter.galley(at + Vec2::new(4.0, 1.0), galley, Color32::BLACK);
}

/// A scene panel: steer the camera, ask the lab for its scene, show the texture and labels.
fn scene_panel_ui(
    ui: &mut Ui,
    panel: usize,
    side: Side<'_>,
    state: &mut PanelState,
    out: &mut PanelsOutput,
) {
    let Side {
        lab, slot, leads, ..
    } = side;
    let ppp = ui.pixels_per_point();
    let rect = ui.available_rect_before_wrap().round_to_pixels(ppp);
    let response = ui.allocate_rect(rect, Sense::click_and_drag());
    let size_px = [
        (rect.width() * ppp).round().max(0.0) as u32,
        (rect.height() * ppp).round().max(0.0) as u32,
    ];
    if size_px[0] == 0 || size_px[1] == 0 {
        return;
    }
    let viewport_px = glam::Vec2::new(size_px[0] as f32, size_px[1] as f32);
    steer_camera(ui, &response, &mut state.camera, viewport_px, ppp);
    let dt = if leads {
        ui.input(|i| i.stable_dt).min(0.1)
    } else {
        0.0
    };
    let camera = match &mut state.camera {
        PanelCamera::Orbit(orbit) => {
            out.animating |= orbit.update(dt);
            fit_narrow(orbit.scene_camera(), viewport_px.x / viewport_px.y)
        }
        PanelCamera::Flat(flat) => flat.scene_camera(),
        PanelCamera::None => return,
    };
    let view = SceneView {
        size_px,
        pixels_per_point: ppp,
        camera,
    };
    // One convention for every lab: scenes come in points; here they become pixels, and
    // labels that would print over each other give way (data before axis names before ticks).
    let mut scene = lab.scene(panel, &view);
    scene.scale_sizes(ppp);
    crate::render::labels::declutter_scene(&mut scene, viewport_px);
    if response.clicked()
        && let Some(pointer) = response.interact_pointer_pos()
    {
        let local = (pointer - rect.min) * ppp;
        lab.click(panel, glam::Vec2::new(local.x, local.y), &view);
    }
    if let Some(pointer) = response.hover_pos().filter(|_| !response.dragged()) {
        let local = (pointer - rect.min) * ppp;
        if let Some(text) = lab.hover_text(panel, glam::Vec2::new(local.x, local.y), &view) {
            response.on_hover_text_at_pointer(text);
        }
    }
    let painter = ui.painter_at(rect);
    if slot < out.gpu_panels {
        painter.add(egui_wgpu::Callback::new_paint_callback(
            rect,
            SceneBlit { panel: slot },
        ));
    } else {
        painter.rect_filled(rect, 0.0, color32(scene.background));
    }
    // Labs declutter at their default cameras; after the user orbits or zooms, labels may
    // meet again, so the shell makes the last pass with the sizes egui will really draw.
    let placed = crate::render::labels::declutter(project_labels(&scene, viewport_px), |l| {
        let size = painter
            .layout_no_wrap(
                l.text.clone(),
                FontId::proportional(l.size_px / ppp),
                color32(l.color),
            )
            .size()
            * ppp;
        glam::Vec2::new(size.x, size.y)
    });
    for label in placed {
        let [fx, fy] = label.anchor.fractions();
        let align = Align2([align_of(fx), align_of(fy)]);
        let pos = rect.min + Vec2::new(label.pos_px.x, label.pos_px.y) / ppp;
        painter.text(
            pos,
            align,
            &label.text,
            FontId::proportional(label.size_px / ppp),
            color32(label.color),
        );
    }
    out.jobs.push(SceneJob {
        panel: slot,
        size_px,
        scene,
    });
}

/// In a panel taller than wide, widens a 3D camera's vertical view so its horizontal view
/// is what the vertical one was: what fits a square panel fits a narrow one too.
fn fit_narrow(camera: SceneCamera, aspect: f32) -> SceneCamera {
    if !(aspect.is_finite() && aspect > 0.0 && aspect < 1.0) {
        return camera;
    }
    let projection = match camera.projection {
        Projection::Perspective {
            fov_y_rad,
            near,
            far,
        } => Projection::Perspective {
            fov_y_rad: 2.0 * ((fov_y_rad * 0.5).tan() / aspect).atan(),
            near,
            far,
        },
        Projection::Orthographic {
            half_height,
            near,
            far,
        } => Projection::Orthographic {
            half_height: half_height / aspect,
            near,
            far,
        },
        other => other,
    };
    SceneCamera {
        projection,
        ..camera
    }
}

/// Pointer and keys over a scene panel move its camera.
fn steer_camera(
    ui: &Ui,
    response: &egui::Response,
    camera: &mut PanelCamera,
    viewport_px: glam::Vec2,
    ppp: f32,
) {
    let (scroll, shift, arrows, o_key) = ui.input(|i| {
        let arrow = |key| f32::from(u8::from(i.key_pressed(key)));
        (
            i.smooth_scroll_delta.y,
            i.modifiers.shift,
            glam::Vec2::new(
                arrow(Key::ArrowRight) - arrow(Key::ArrowLeft),
                arrow(Key::ArrowDown) - arrow(Key::ArrowUp),
            ),
            i.key_pressed(Key::O),
        )
    });
    let delta = response.drag_delta() * ppp;
    let delta_px = glam::Vec2::new(delta.x, delta.y);
    let pan = response.dragged_by(egui::PointerButton::Secondary)
        || response.dragged_by(egui::PointerButton::Middle)
        || (shift && response.dragged_by(egui::PointerButton::Primary));
    let rotate = !pan && response.dragged_by(egui::PointerButton::Primary);
    let hovered = response.hovered() || response.dragged();
    // About 50 points of smooth scrolling make one wheel notch.
    let wheel_steps = if hovered { scroll / 50.0 } else { 0.0 };
    let keys_free = ui.memory(|m| m.focused().is_none());
    match camera {
        PanelCamera::Orbit(orbit) => {
            if rotate {
                orbit.drag_rotate(delta_px);
            }
            if pan {
                orbit.drag_pan(delta_px, viewport_px);
            }
            if wheel_steps != 0.0 {
                orbit.zoom(wheel_steps);
            }
            if hovered && keys_free && arrows != glam::Vec2::ZERO {
                orbit.rotate_keys(arrows.x, arrows.y);
            }
            if hovered && keys_free && o_key {
                orbit.orthographic = !orbit.orthographic;
            }
            if response.double_clicked() {
                orbit.reset();
            }
        }
        PanelCamera::Flat(flat) => {
            if rotate || pan {
                flat.drag_pan(delta_px, viewport_px);
            }
            if wheel_steps != 0.0 {
                flat.zoom(wheel_steps);
            }
            if response.double_clicked() {
                flat.reset();
            }
        }
        PanelCamera::None => {}
    }
}

fn align_of(fraction: f32) -> egui::Align {
    if fraction < 0.25 {
        egui::Align::Min
    } else if fraction > 0.75 {
        egui::Align::Max
    } else {
        egui::Align::Center
    }
}

/// A scene color (display values 0..=1, straight alpha) as an egui color.
pub(crate) fn color32(color: [f32; 4]) -> Color32 {
    let [r, g, b, a] = crate::render::scene::color_to_rgba8(color);
    Color32::from_rgba_unmultiplied(r, g, b, a)
}
