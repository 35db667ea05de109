//! The confusion-matrix panel (plain egui, so every cell is clickable): the validation
//! set's matrix as colored cells with their counts, and the digits of the selected cell
//! (true class, predicted class) as a grid of thumbnails that open in the activation view;
//! or, in its place, the matrix of the training predictions of the latest batches
//! ([`rolling_confusion_ui`]).

use egui::{Align2, Color32, FontId, Rect, Sense, Ui, UiBuilder, Vec2, WidgetInfo};

use crate::data::preprocess::Dataset;
use crate::labs::mnist::analysis::ValidationPass;
use crate::nn::metrics::ConfusionMatrix;
use crate::render::{Colormap, colormap_rgba};

/// The colormap of the counts, from 0 to the largest count.
pub const CONFUSION_COLORMAP: Colormap = Colormap::Viridis;
/// Thumbnails listed at most for one cell.
pub const MAX_THUMBNAILS: usize = 120;
/// Room for the class labels left of and above the grid, in points.
const LABEL_ROOM: f32 = 18.0;
/// Side of a thumbnail in points.
const THUMB: f32 = 28.0;
/// Smallest text worth printing in a cell, in points.
const MIN_TEXT_PT: f32 = 6.0;

/// Where the matrix is drawn inside the panel's content rectangle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConfusionLayout {
    /// The grid of cells.
    pub grid: Rect,
    /// Side of a cell.
    pub cell: f32,
}

impl ConfusionLayout {
    /// The layout inside `content` for `classes` classes.
    pub fn new(content: Rect, classes: usize) -> Self {
        let side = (content.width() * 0.55)
            .min(content.height() - LABEL_ROOM - 22.0)
            .max(10.0);
        let cell = (side / classes.max(1) as f32).floor().max(2.0);
        let grid = Rect::from_min_size(
            content.min + Vec2::splat(LABEL_ROOM),
            Vec2::splat(cell * classes as f32),
        );
        ConfusionLayout { grid, cell }
    }

    /// The cell of true class `truth` (row) and predicted class `pred` (column).
    pub fn cell_rect(&self, truth: usize, pred: usize) -> Rect {
        Rect::from_min_size(
            self.grid.min + Vec2::new(pred as f32, truth as f32) * self.cell,
            Vec2::splat(self.cell),
        )
    }
}

/// The color of a cell holding `count` when the largest count is `max`.
pub fn cell_color(count: u64, max: u64) -> [u8; 4] {
    colormap_rgba(CONFUSION_COLORMAP, (0.0, max.max(1) as f32), count as f32)
}

/// The accessible name of a cell (what tests and screen readers find).
pub fn cell_name(truth: usize, pred: usize) -> String {
    format!("true {truth}, predicted {pred}")
}

/// The accessible name of a listed digit.
pub fn digit_name(index: usize) -> String {
    format!("validation image {index}")
}

/// Draws the matrix of `pass` and the digits of the `selected` cell (which a click changes);
/// returns the validation index of a digit the user clicked.
pub fn confusion_ui(
    ui: &mut Ui,
    pass: &ValidationPass,
    val: &Dataset,
    selected: &mut Option<(usize, usize)>,
) -> Option<usize> {
    let m = &pass.confusion;
    let caption = format!(
        "{} validation images, accuracy {:.4}; rows: true, columns: predicted",
        m.total(),
        m.accuracy()
    );
    let (content, layout) = matrix_ui(ui, m, selected);
    let list = side_column(ui, content, &layout, caption)?;
    let mut clicked = None;
    ui.scope_builder(UiBuilder::new().max_rect(list), |ui| {
        clicked = digits_ui(ui, pass, val, *selected);
    });
    clicked
}

/// The column right of the matrix, below `caption` (which wraps to the column); `None` when
/// the panel is too narrow for it, and `caption` then goes below the matrix.
fn side_column(
    ui: &mut Ui,
    content: Rect,
    layout: &ConfusionLayout,
    caption: String,
) -> Option<Rect> {
    let column = Rect::from_min_max(
        egui::pos2(layout.grid.max.x + 14.0, content.min.y),
        content.max,
    );
    if column.width() < THUMB {
        let below = Rect::from_min_max(
            egui::pos2(content.min.x, layout.grid.max.y + 4.0),
            content.max,
        );
        ui.scope_builder(UiBuilder::new().max_rect(below), |ui| {
            ui.set_clip_rect(below.intersect(ui.clip_rect()));
            ui.label(caption);
        });
        return None;
    }
    let mut top = column.min.y;
    ui.scope_builder(UiBuilder::new().max_rect(column), |ui| {
        ui.label(caption);
        top = ui.min_rect().max.y + ui.spacing().item_spacing.y;
    });
    Some(Rect::from_min_max(
        egui::pos2(column.min.x, top),
        column.max,
    ))
}

/// Draws the matrix of the training predictions of the latest `batches` batches (cells
/// laid out as the validation matrix's), beside a note that it changes with every batch.
pub fn rolling_confusion_ui(ui: &mut Ui, m: &ConfusionMatrix, batches: usize) {
    let caption = format!(
        "{} training images of the last {batches} batches, accuracy {:.4}; rows: true, \
         columns: predicted",
        m.total(),
        m.accuracy()
    );
    let (content, layout) = matrix_ui(ui, m, &mut None);
    if let Some(note) = side_column(ui, content, &layout, caption) {
        ui.scope_builder(UiBuilder::new().max_rect(note), |ui| {
            ui.label(
                "Rolling window: updated with every training batch. \
                 Switch to the validation matrix to list a cell's digits.",
            );
        });
    }
}

/// Draws `m` with `caption` beside it (or below, in a narrow panel); returns the cell the
/// user selected by a click, kept in `selected`.
pub fn matrix_with_caption_ui(
    ui: &mut Ui,
    m: &ConfusionMatrix,
    caption: String,
    selected: &mut Option<(usize, usize)>,
) {
    let (content, layout) = matrix_ui(ui, m, selected);
    side_column(ui, content, &layout, caption);
}

/// Draws `m` as colored cells with their counts (left out when they do not fit a cell;
/// hovering a cell tells it) and the class numbers (a click selects a cell); returns the
/// panel's content rectangle and the layout.
fn matrix_ui(
    ui: &mut Ui,
    m: &ConfusionMatrix,
    selected: &mut Option<(usize, usize)>,
) -> (Rect, ConfusionLayout) {
    let classes = m.num_classes();
    let content = ui.available_rect_before_wrap();
    let layout = ConfusionLayout::new(content, classes);
    let max = (0..classes)
        .flat_map(|t| (0..classes).map(move |p| (t, p)))
        .map(|(t, p)| m.get(t, p))
        .max()
        .unwrap_or(0);
    let painter = ui.painter_at(content);
    let font = FontId::proportional((layout.cell * 0.38).min(13.0));
    // The widest count and a class number must fit a cell with a pixel to spare.
    let fits = |text: String| {
        let size = ui.fonts_mut(|f| f.layout_no_wrap(text, font.clone(), Color32::WHITE).size());
        font.size >= MIN_TEXT_PT && size.x <= layout.cell - 2.0 && size.y <= layout.cell
    };
    let counts_fit = fits(max.to_string());
    let classes_fit = fits((classes.saturating_sub(1)).to_string());
    for t in 0..classes {
        for p in 0..classes {
            let rect = layout.cell_rect(t, p);
            let count = m.get(t, p);
            let [r, g, b, _] = cell_color(count, max);
            painter.rect_filled(rect, 0.0, Color32::from_rgb(r, g, b));
            let light = u32::from(r) * 3 + u32::from(g) * 6 + u32::from(b) > 1300;
            let ink = if light {
                Color32::BLACK
            } else {
                Color32::WHITE
            };
            if counts_fit {
                painter.text(
                    rect.center(),
                    Align2::CENTER_CENTER,
                    count,
                    font.clone(),
                    ink,
                );
            }
            let response = ui.interact(
                rect,
                ui.scope_id().with(("confusion", t, p)),
                Sense::click(),
            );
            response.widget_info(|| WidgetInfo::labeled(egui::Role::Button, true, cell_name(t, p)));
            let response = response.on_hover_text(format!("{}: {count}", cell_name(t, p)));
            if response.clicked() {
                *selected = Some((t, p));
            }
            if *selected == Some((t, p)) {
                painter.rect_stroke(
                    rect.shrink(1.0),
                    0.0,
                    (2.0, Color32::from_rgb(255, 80, 80)),
                    egui::StrokeKind::Inside,
                );
            }
        }
        if !classes_fit {
            continue;
        }
        let label_color = ui.visuals().text_color();
        let row = layout.cell_rect(t, 0);
        painter.text(
            row.left_center() - Vec2::new(4.0, 0.0),
            Align2::RIGHT_CENTER,
            t,
            font.clone(),
            label_color,
        );
        let col = layout.cell_rect(0, t);
        painter.text(
            col.center_top() - Vec2::new(0.0, 3.0),
            Align2::CENTER_BOTTOM,
            t,
            font.clone(),
            label_color,
        );
    }
    (content, layout)
}

fn digits_ui(
    ui: &mut Ui,
    pass: &ValidationPass,
    val: &Dataset,
    selected: Option<(usize, usize)>,
) -> Option<usize> {
    let Some((t, p)) = selected else {
        ui.label("Click a cell to see its digits.");
        return None;
    };
    let digits = pass.cell(t, p);
    ui.label(format!("{}: {} digits", cell_name(t, p), digits.len()));
    let mut clicked = None;
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            for &i in digits.iter().take(MAX_THUMBNAILS) {
                if thumbnail_ui(ui, val, i).clicked() {
                    clicked = Some(i);
                }
            }
        });
        if digits.len() > MAX_THUMBNAILS {
            ui.label(format!("and {} more", digits.len() - MAX_THUMBNAILS));
        }
    });
    clicked
}

/// One validation image as a grayscale thumbnail that can be clicked; its accessible name is
/// [`digit_name`].
pub fn thumbnail_ui(ui: &mut Ui, val: &Dataset, index: usize) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(Vec2::splat(THUMB), Sense::click());
    response.widget_info(|| WidgetInfo::labeled(egui::Role::Button, true, digit_name(index)));
    if ui.is_rect_visible(rect) && index < val.len() {
        let texture = grayscale_texture(
            ui.ctx(),
            egui::Id::NULL.with(("mnist-digit", val.side, index, val.labels[index])),
            val.image(index),
            val.side,
        );
        ui.painter().image(
            texture.id(),
            rect,
            Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
            Color32::WHITE,
        );
    }
    let label = val.labels.get(index).copied().unwrap_or(0);
    response.on_hover_text(format!("image {index}: label {label}"))
}

/// Thumbnail textures kept at most: a run shows ever other digits (each epoch's mistakes),
/// so the cache forgets the least recently drawn ones beyond this many.
pub const MAX_CACHED_THUMBNAILS: usize = 1024;

/// The thumbnails made so far, with the frame each was last drawn in.
#[derive(Clone, Default)]
struct ThumbnailCache {
    textures: std::collections::HashMap<egui::Id, (egui::TextureHandle, u64)>,
}

/// A `side x side` grayscale image as an egui texture (one textured quad to paint instead of
/// a rectangle per pixel), made on first use and kept under `id` in a cache of at most
/// [`MAX_CACHED_THUMBNAILS`] (dropping a handle frees its texture).
pub fn grayscale_texture(
    ctx: &egui::Context,
    id: egui::Id,
    pixels: &[f32],
    side: usize,
) -> egui::TextureHandle {
    let frame = ctx.cumulative_frame_nr();
    let cache_id = egui::Id::NULL.with("netviz-thumbnail-cache");
    if let Some(texture) = ctx.data_mut(|d| {
        let cache = d.get_temp_mut_or_default::<ThumbnailCache>(cache_id);
        cache.textures.get_mut(&id).map(|(texture, used)| {
            *used = frame;
            texture.clone()
        })
    }) {
        return texture;
    }
    let texture = ctx.load_texture(
        format!("{id:?}"),
        grayscale_image(pixels, side),
        egui::TextureOptions::NEAREST,
    );
    ctx.data_mut(|d| {
        let cache = d.get_temp_mut_or_default::<ThumbnailCache>(cache_id);
        if cache.textures.len() >= MAX_CACHED_THUMBNAILS {
            // Forget the older half, so eviction runs once per many new thumbnails.
            let mut ages: Vec<u64> = cache.textures.values().map(|(_, used)| *used).collect();
            ages.sort_unstable();
            let cutoff = ages[ages.len() / 2];
            cache.textures.retain(|_, (_, used)| *used > cutoff);
        }
        cache.textures.insert(id, (texture.clone(), frame));
    });
    texture
}

/// Textures the thumbnail cache holds now.
pub fn cached_thumbnails(ctx: &egui::Context) -> usize {
    ctx.data_mut(|d| {
        d.get_temp_mut_or_default::<ThumbnailCache>(egui::Id::NULL.with("netviz-thumbnail-cache"))
            .textures
            .len()
    })
}

/// `pixels` (0..=1) as an opaque grayscale egui image.
pub fn grayscale_image(pixels: &[f32], side: usize) -> egui::ColorImage {
    let gray: Vec<u8> = pixels
        .iter()
        .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect();
    egui::ColorImage::from_gray([side, side], &gray)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thumbnail_cache_stays_bounded_and_frees_what_it_forgets() {
        let ctx = egui::Context::default();
        let pixels = [0.5_f32; 4];
        for frame in 0..6_u64 {
            let _ = ctx.run_ui(egui::RawInput::default(), |ui| {
                let ctx = ui.ctx();
                // Every frame shows 700 digits never shown before, as epochs of new mistakes do.
                for i in 0..700 {
                    let id = egui::Id::NULL.with(("digit", frame, i));
                    let texture = grayscale_texture(ctx, id, &pixels, 2);
                    // Drawn again, the same texture comes back.
                    assert_eq!(grayscale_texture(ctx, id, &pixels, 2).id(), texture.id());
                }
            });
            assert!(cached_thumbnails(&ctx) <= MAX_CACHED_THUMBNAILS);
        }
        // The font atlas plus the cached thumbnails: forgotten handles freed their textures.
        let allocated = ctx.tex_manager().read().num_allocated();
        assert!(
            allocated <= MAX_CACHED_THUMBNAILS + 1,
            "{allocated} textures allocated"
        );
    }
}
