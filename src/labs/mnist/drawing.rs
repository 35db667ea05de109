//! Draw-a-digit: a 28x28 canvas the user paints with the mouse, and the preprocessing that
//! makes a drawing look like an MNIST digit before the model sees it, as MNIST itself was
//! made: the ink's bounding box scaled to fit 20x20 (keeping its aspect), placed in a 28x28
//! image with its center of mass at the center, then downsampled to the model's input size
//! like the training images.

use egui::{Color32, Rect, Sense, Ui, Vec2};

use crate::labs::mnist::confusion::grayscale_image;

use crate::data::preprocess::downsample;

/// Side of the canvas (MNIST's).
pub const CANVAS_SIDE: usize = 28;
/// Side of the box the ink is scaled into.
const INK_BOX: f32 = 20.0;
/// Values below this are background.
const INK: f32 = 0.05;

/// A drawing: `CANVAS_SIDE^2` values in [0, 1], row-major, row 0 at the top.
#[derive(Clone, Debug, PartialEq)]
pub struct Canvas {
    /// The pixels.
    pub pixels: Vec<f32>,
}

impl Default for Canvas {
    fn default() -> Self {
        Canvas {
            pixels: vec![0.0; CANVAS_SIDE * CANVAS_SIDE],
        }
    }
}

impl Canvas {
    /// True when nothing is drawn.
    pub fn is_blank(&self) -> bool {
        self.pixels.iter().all(|&v| v < INK)
    }

    /// Paints a soft round brush of radius 1.5 pixels at `(x, y)` in canvas pixels.
    pub fn paint(&mut self, x: f32, y: f32) {
        let n = CANVAS_SIDE as i32;
        for row in (y as i32 - 2)..=(y as i32 + 2) {
            for col in (x as i32 - 2)..=(x as i32 + 2) {
                if !(0..n).contains(&row) || !(0..n).contains(&col) {
                    continue;
                }
                let d = ((col as f32 + 0.5 - x).powi(2) + (row as f32 + 0.5 - y).powi(2)).sqrt();
                let v = (1.5 - d).clamp(0.0, 1.0);
                let p = &mut self.pixels[(row * n + col) as usize];
                *p = p.max(v);
            }
        }
    }
}

/// The drawing as the model sees it: `side x side` values (see the module documentation);
/// all zeros for a blank drawing.
pub fn preprocess(canvas: &Canvas, side: usize) -> Vec<f32> {
    let n = CANVAS_SIDE;
    let ink = |r: usize, c: usize| canvas.pixels[r * n + c] >= INK;
    let rows: Vec<usize> = (0..n).filter(|&r| (0..n).any(|c| ink(r, c))).collect();
    let cols: Vec<usize> = (0..n).filter(|&c| (0..n).any(|r| ink(r, c))).collect();
    let (Some(&r0), Some(&r1), Some(&c0), Some(&c1)) =
        (rows.first(), rows.last(), cols.first(), cols.last())
    else {
        return vec![0.0; side * side];
    };
    let (h, w) = ((r1 - r0 + 1) as f32, (c1 - c0 + 1) as f32);
    let scale = INK_BOX / h.max(w);
    let (sh, sw) = (
        ((h * scale).round() as usize).max(1),
        ((w * scale).round() as usize).max(1),
    );
    // Bilinear resampling of the bounding box into `sh x sw`.
    let sample = |y: f32, x: f32| -> f32 {
        let (y, x) = (y.clamp(0.0, h - 1.0), x.clamp(0.0, w - 1.0));
        let (y0, x0) = (y.floor(), x.floor());
        let (fy, fx) = (y - y0, x - x0);
        let at = |yy: f32, xx: f32| {
            let (r, c) = (
                r0 + (yy.min(h - 1.0)) as usize,
                c0 + (xx.min(w - 1.0)) as usize,
            );
            canvas.pixels[r * n + c]
        };
        let top = at(y0, x0) * (1.0 - fx) + at(y0, x0 + 1.0) * fx;
        let bottom = at(y0 + 1.0, x0) * (1.0 - fx) + at(y0 + 1.0, x0 + 1.0) * fx;
        top * (1.0 - fy) + bottom * fy
    };
    let mut small = vec![0.0f32; sh * sw];
    let (mut mass, mut my, mut mx) = (0.0f32, 0.0f32, 0.0f32);
    for r in 0..sh {
        for c in 0..sw {
            let y = (r as f32 + 0.5) / sh as f32 * h - 0.5;
            let x = (c as f32 + 0.5) / sw as f32 * w - 0.5;
            let v = sample(y, x).clamp(0.0, 1.0);
            small[r * sw + c] = v;
            mass += v;
            my += v * (r as f32 + 0.5);
            mx += v * (c as f32 + 0.5);
        }
    }
    let (cy, cx) = if mass > 0.0 {
        (my / mass, mx / mass)
    } else {
        (sh as f32 / 2.0, sw as f32 / 2.0)
    };
    // Place the box so its center of mass lands on the image's center, inside the image.
    let place = |center: f32, size: usize| -> usize {
        ((n as f32 / 2.0 - center).round().max(0.0) as usize).min(n - size)
    };
    let (top, left) = (place(cy, sh), place(cx, sw));
    let mut full = vec![0.0f32; n * n];
    for r in 0..sh {
        full[(top + r) * n + left..(top + r) * n + left + sw]
            .copy_from_slice(&small[r * sw..(r + 1) * sw]);
    }
    downsample(&full, n, side)
}

/// The canvas: drag to draw; returns true when the drawing changed.
pub fn canvas_ui(ui: &mut Ui, canvas: &mut Canvas) -> bool {
    let mut changed = false;
    ui.horizontal(|ui| {
        if ui.button("Clear").clicked() {
            *canvas = Canvas::default();
            changed = true;
        }
        ui.label("drag to draw a digit");
    });
    let room = ui.available_size();
    let side = (room.x.min(room.y) - 4.0).max(56.0);
    let (rect, response) = ui.allocate_exact_size(Vec2::splat(side), Sense::drag());
    let cell = side / CANVAS_SIDE as f32;
    if let Some(pos) = response.interact_pointer_pos()
        && (response.dragged() || response.drag_started())
    {
        let at = (pos - rect.min) / cell;
        canvas.paint(at.x, at.y);
        changed = true;
    }
    // One texture for the canvas, updated when the drawing changes.
    let id = ui.scope_id().with("mnist-canvas");
    let image = grayscale_image(&canvas.pixels, CANVAS_SIDE);
    let texture = match ui.ctx().data(|d| d.get_temp::<egui::TextureHandle>(id)) {
        Some(mut texture) => {
            if changed {
                texture.set(image, egui::TextureOptions::NEAREST);
            }
            texture
        }
        None => {
            let texture =
                ui.ctx()
                    .load_texture("mnist-canvas", image, egui::TextureOptions::NEAREST);
            ui.ctx().data_mut(|d| d.insert_temp(id, texture.clone()));
            texture
        }
    };
    ui.painter().image(
        texture.id(),
        rect,
        Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
        Color32::WHITE,
    );
    changed
}
