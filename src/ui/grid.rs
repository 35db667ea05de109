//! The panel grid: panels in columns, each column split into rows, with draggable splitters
//! between them. Sizes are kept as shares of the available space (not absolute sizes), so the
//! grid follows the window when it is resized, minimized or made fullscreen.

use egui::{CursorIcon, Id, Rect, Sense, Stroke, Ui, UiBuilder, Vec2, pos2};

/// Smallest panel side in points a splitter drag leaves.
const MIN_PANEL_PT: f32 = 100.0;
/// Half the width of a splitter's grab area, in points.
const SPLITTER_HALF_PT: f32 = 3.0;

/// Splits `count` panels into columns (each a list of panel indices, in reading order) so the
/// cells of `size` stay close to 4:3 and the grid has few empty slots.
pub(crate) fn columns_for(count: usize, size: Vec2) -> Vec<Vec<usize>> {
    if count == 0 {
        return Vec::new();
    }
    let aspect = if size.y > 0.0 { size.x / size.y } else { 1.0 };
    let column_count = (1..=count)
        .min_by(|&a, &b| {
            // Cells far from 4:3 are bad, and so are empty grid slots (uneven columns).
            let badness = |cols: usize| {
                let rows = count.div_ceil(cols);
                let cell = aspect * rows as f32 / cols as f32;
                let empty = (cols * rows - count) as f32;
                (cell / (4.0 / 3.0)).ln().abs() + 0.4 * empty
            };
            badness(a).total_cmp(&badness(b))
        })
        .unwrap_or(1);
    let rows = count.div_ceil(column_count);
    // Fill row by row so the reading order runs left to right, top to bottom.
    let mut columns = vec![Vec::new(); column_count];
    for panel in 0..count {
        columns[(panel % column_count).min(column_count - 1)].push(panel);
    }
    debug_assert!(columns.iter().all(|c| c.len() <= rows));
    columns.retain(|c| !c.is_empty());
    columns
}

/// How the grid is split, kept across frames.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct GridShares {
    /// Panel indices per column, in reading order.
    columns: Vec<Vec<usize>>,
    /// Share of the width of each column (sums to 1).
    column_shares: Vec<f32>,
    /// Share of the height of each row, per column (each sums to 1).
    row_shares: Vec<Vec<f32>>,
}

impl GridShares {
    /// Adopts `columns`; the shares reset to equal ones when the grid's shape changes.
    pub(crate) fn sync(&mut self, columns: Vec<Vec<usize>>) {
        if columns == self.columns {
            return;
        }
        self.column_shares = equal_shares(columns.len());
        self.row_shares = columns.iter().map(|c| equal_shares(c.len())).collect();
        self.columns = columns;
    }

    /// Each panel's cell in `rect`, as `(panel index, cell)`.
    pub(crate) fn cells(&self, rect: Rect) -> Vec<(usize, Rect)> {
        let mut cells = Vec::new();
        let mut x = rect.left();
        for ((column, &share), rows) in self
            .columns
            .iter()
            .zip(&self.column_shares)
            .zip(&self.row_shares)
        {
            let width = share * rect.width();
            let mut y = rect.top();
            for (&panel, &row_share) in column.iter().zip(rows) {
                let height = row_share * rect.height();
                cells.push((
                    panel,
                    Rect::from_min_size(pos2(x, y), Vec2::new(width, height)),
                ));
                y += height;
            }
            x += width;
        }
        cells
    }
}

fn equal_shares(count: usize) -> Vec<f32> {
    vec![1.0 / count.max(1) as f32; count]
}

/// Moves the boundary after `shares[i]` by `delta` (a share), keeping both sides at least
/// `min` (or an equal split of the two, when they are smaller than that together).
fn move_boundary(shares: &mut [f32], i: usize, delta: f32, min: f32) {
    if i + 1 >= shares.len() || !delta.is_finite() {
        return;
    }
    let pair = shares[i] + shares[i + 1];
    let min = min.min(pair / 2.0);
    let first = (shares[i] + delta).clamp(min, pair - min);
    shares[i] = first;
    shares[i + 1] = pair - first;
}

/// Lays out `columns` in the space left in `ui`, drawing each panel with `cell_ui(ui, panel)`
/// in its own child `Ui`, and lets splitters between them change `shares`.
pub(crate) fn grid_ui(
    ui: &mut Ui,
    shares: &mut GridShares,
    columns: Vec<Vec<usize>>,
    mut cell_ui: impl FnMut(&mut Ui, usize),
) {
    shares.sync(columns);
    let rect = ui.available_rect_before_wrap();
    for (panel, cell) in shares.cells(rect) {
        ui.scope_builder(
            UiBuilder::new()
                .max_rect(cell)
                .id_salt(("netviz-cell", panel)),
            |ui| {
                ui.set_clip_rect(cell.intersect(ui.clip_rect()));
                cell_ui(ui, panel);
            },
        );
    }
    // Splitters go last so they win the pointer over the cells' edges.
    splitters_ui(ui, shares, rect);
    ui.advance_cursor_after_rect(rect);
}

fn splitters_ui(ui: &mut Ui, shares: &mut GridShares, rect: Rect) {
    let min_width = MIN_PANEL_PT / rect.width().max(1.0);
    let min_height = MIN_PANEL_PT / rect.height().max(1.0);
    let mut x = rect.left();
    for c in 0..shares.columns.len() {
        let width = shares.column_shares[c] * rect.width();
        // Rows of this column.
        let mut y = rect.top();
        for r in 0..shares.row_shares[c].len().saturating_sub(1) {
            y += shares.row_shares[c][r] * rect.height();
            let grab =
                Rect::from_x_y_ranges(x..=x + width, y - SPLITTER_HALF_PT..=y + SPLITTER_HALF_PT);
            let delta = splitter_ui(
                ui,
                ui.scope_id().with(("netviz-row-split", c, r)),
                grab,
                false,
            );
            move_boundary(
                &mut shares.row_shares[c],
                r,
                delta / rect.height(),
                min_height,
            );
        }
        x += width;
        if c + 1 < shares.columns.len() {
            let grab =
                Rect::from_x_y_ranges(x - SPLITTER_HALF_PT..=x + SPLITTER_HALF_PT, rect.y_range());
            let delta = splitter_ui(
                ui,
                ui.scope_id().with(("netviz-column-split", c)),
                grab,
                true,
            );
            move_boundary(
                &mut shares.column_shares,
                c,
                delta / rect.width(),
                min_width,
            );
        }
    }
}

/// One splitter; returns how far it was dragged this frame (points, along its axis).
fn splitter_ui(ui: &mut Ui, id: Id, grab: Rect, vertical: bool) -> f32 {
    let response = ui.interact(grab, id, Sense::drag());
    if response.hovered() || response.dragged() {
        ui.ctx().set_cursor_icon(if vertical {
            CursorIcon::ResizeHorizontal
        } else {
            CursorIcon::ResizeVertical
        });
        let stroke = Stroke::new(2.0, ui.visuals().widgets.hovered.bg_stroke.color);
        let center = grab.center();
        if vertical {
            ui.painter().vline(center.x, grab.y_range(), stroke);
        } else {
            ui.painter().hline(grab.x_range(), center.y, stroke);
        }
    }
    let delta = response.drag_delta();
    if vertical { delta.x } else { delta.y }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_tile_the_rectangle_in_reading_order() {
        let mut shares = GridShares::default();
        shares.sync(vec![vec![0, 2], vec![1, 3]]);
        let rect = Rect::from_min_size(pos2(10.0, 20.0), Vec2::new(400.0, 300.0));
        let cells = shares.cells(rect);
        let at = |panel: usize| cells.iter().find(|(p, _)| *p == panel).map(|(_, r)| *r);
        assert_eq!(
            at(0),
            Some(Rect::from_min_size(
                pos2(10.0, 20.0),
                Vec2::new(200.0, 150.0)
            ))
        );
        assert_eq!(
            at(3),
            Some(Rect::from_min_size(
                pos2(210.0, 170.0),
                Vec2::new(200.0, 150.0)
            ))
        );
    }

    #[test]
    fn shares_follow_the_window_and_reset_with_the_shape() {
        let mut shares = GridShares::default();
        shares.sync(vec![vec![0], vec![1]]);
        move_boundary(&mut shares.column_shares, 0, 0.25, 0.1);
        assert_eq!(shares.column_shares, vec![0.75, 0.25]);
        // A bigger window keeps the proportions.
        let wide = Rect::from_min_size(pos2(0.0, 0.0), Vec2::new(1000.0, 100.0));
        assert_eq!(shares.cells(wide)[1].1.width(), 250.0);
        shares.sync(vec![vec![0], vec![1]]);
        assert_eq!(shares.column_shares, vec![0.75, 0.25]);
        shares.sync(vec![vec![0, 1]]);
        assert_eq!(shares.column_shares, vec![1.0]);
        assert_eq!(shares.row_shares, vec![vec![0.5, 0.5]]);
    }

    #[test]
    fn a_boundary_keeps_both_sides_at_their_minimum() {
        let mut shares = vec![0.5, 0.5];
        move_boundary(&mut shares, 0, 0.9, 0.1);
        assert_eq!(shares[0], 0.9);
        assert!((shares[1] - 0.1).abs() < 1e-6, "{shares:?}");
        move_boundary(&mut shares, 0, f32::NAN, 0.1);
        assert_eq!(shares[0], 0.9);
        let mut tiny = vec![0.5, 0.5];
        move_boundary(&mut tiny, 0, -0.3, 0.8);
        assert_eq!(tiny, vec![0.5, 0.5]);
    }

    #[test]
    fn columns_keep_reading_order_and_cover_every_panel() {
        let wide = Vec2::new(1600.0, 900.0);
        assert_eq!(columns_for(0, wide), Vec::<Vec<usize>>::new());
        assert_eq!(columns_for(1, wide), vec![vec![0]]);
        assert_eq!(columns_for(2, wide), vec![vec![0], vec![1]]);
        assert_eq!(columns_for(4, wide), vec![vec![0, 2], vec![1, 3]]);
        assert_eq!(columns_for(3, wide), vec![vec![0, 2], vec![1]]);
        let tall = Vec2::new(600.0, 1200.0);
        assert_eq!(columns_for(2, tall), vec![vec![0, 1]]);
        for count in 1..10 {
            let mut all: Vec<usize> = columns_for(count, wide).concat();
            all.sort_unstable();
            assert_eq!(all, (0..count).collect::<Vec<_>>());
        }
    }
}
