//! Labels: text is not drawn by wgpu. [`project_labels`] turns a scene's world-anchored
//! labels into screen positions for the UI to draw as egui text (crisp at any size), and
//! [`declutter`] moves or drops the ones that would print over each other, by their
//! [`LabelRole`]: titles first, then data labels, values, axis names and, last, tick
//! values. The UI measures the text it draws; a lab building a scene can declutter it
//! beforehand with sizes estimated from the UI font's metrics ([`estimated_text_size`],
//! [`declutter_scene`]).

use glam::{Mat4, Vec2, Vec3, Vec4};

use crate::render::projection::{aspect_of, project_with};
use crate::render::scene::{Anchor, LabelRole, Scene};

/// A label placed on screen.
#[derive(Clone, Debug, PartialEq)]
pub struct ScreenLabel {
    /// Anchor position in pixels from the viewport's top-left corner.
    pub pos_px: Vec2,
    /// The text.
    pub text: String,
    /// Text color.
    pub color: [f32; 4],
    /// Font size in pixels.
    pub size_px: f32,
    /// Which point of the text box sits at `pos_px`.
    pub anchor: Anchor,
    /// Clip-space depth, 0 (near) to 1 (far).
    pub depth: f32,
    /// Who yields when labels would overlap (see [`declutter`]).
    pub role: LabelRole,
}

/// `label` as seen through `clip_from_world` in a `viewport_px` viewport, or `None` behind
/// the camera or outside the near/far range.
fn project_one(
    clip_from_world: &glam::Mat4,
    label: &crate::render::scene::Label,
    viewport_px: Vec2,
) -> Option<ScreenLabel> {
    let (pos_px, depth) = project_with(clip_from_world, Vec3::from(label.pos), viewport_px)?;
    Some(ScreenLabel {
        pos_px,
        text: label.text.clone(),
        color: label.color,
        size_px: label.size_px,
        anchor: label.anchor,
        depth,
        role: label.role,
    })
}

/// The scene's labels as seen in a `viewport_px` viewport, farthest first (draw in order so
/// nearer text lands on top). Labels behind the camera or outside the near/far range are left
/// out; those beyond the viewport's sides are kept (the UI clips them).
pub fn project_labels(scene: &Scene, viewport_px: Vec2) -> Vec<ScreenLabel> {
    let clip_from_world = scene.camera.clip_from_world(aspect_of(viewport_px));
    let mut placed: Vec<ScreenLabel> = scene
        .labels
        .iter()
        .filter_map(|label| project_one(&clip_from_world, label, viewport_px))
        .collect();
    placed.sort_by(|a, b| b.depth.total_cmp(&a.depth));
    placed
}

/// Where a label that overlaps a kept one may go instead, as multiples of its box's size
/// (plus [`MOVE_GAP_PX`]), in order: just above, just below, just right, just left, then the
/// four diagonal places; so a moved text stays next to what it names.
const MOVES: [[f32; 2]; 8] = [
    [0.0, -1.0],
    [0.0, 1.0],
    [1.0, 0.0],
    [-1.0, 0.0],
    [1.0, -1.0],
    [-1.0, -1.0],
    [1.0, 1.0],
    [-1.0, 1.0],
];

/// Gap in pixels between a moved label's box and where it was.
pub const MOVE_GAP_PX: f32 = 2.0;

/// The screen box (top-left, bottom-right) of a `size` text at `pos_px` with `anchor`.
pub fn label_box(pos_px: Vec2, anchor: Anchor, size: Vec2) -> (Vec2, Vec2) {
    let [fx, fy] = anchor.fractions();
    let min = pos_px - size * Vec2::new(fx, fy);
    (min, min + size)
}

fn boxes_overlap(a: (Vec2, Vec2), b: (Vec2, Vec2)) -> bool {
    a.0.x < b.1.x && b.0.x < a.1.x && a.0.y < b.1.y && b.0.y < a.1.y
}

/// The positions `label` of box `size` may take, the one it asked for first. Values and tick
/// values never move (moved, they would name the wrong spot).
fn candidates(label: &ScreenLabel, size: Vec2) -> Vec<Vec2> {
    let mut places = vec![label.pos_px];
    if !matches!(label.role, LabelRole::Tick | LabelRole::Value) {
        let step = size + Vec2::splat(MOVE_GAP_PX);
        places.extend(
            MOVES
                .iter()
                .map(|&[dx, dy]| label.pos_px + step * Vec2::new(dx, dy)),
        );
    }
    places
}

/// Keeps `labels` from printing over each other. Labels are placed by priority: by
/// [`LabelRole`] (titles, then data labels, values, axis names, tick values), then nearer
/// first. A label whose box (`size_px` of it, e.g. the size of the laid-out text, at its
/// anchor) would overlap an already placed one first tries the places right next to its own
/// box (just above, below, beside: `pos_px` is moved by one box size plus [`MOVE_GAP_PX`]),
/// and is dropped when none is free; values and tick values are never moved, only dropped.
/// Labels with an empty or non-finite box take no room. The kept labels come back in their
/// input order (e.g. farthest first, as [`project_labels`] returns them), so drawing order is
/// unchanged; when no two labels overlap, the output equals the input.
pub fn declutter(
    labels: Vec<ScreenLabel>,
    size_px: impl Fn(&ScreenLabel) -> Vec2,
) -> Vec<ScreenLabel> {
    declutter_within(labels, size_px, None)
}

/// [`declutter`], moving a label only to places whose box lies inside `bounds` (top-left,
/// bottom-right) when given (a label that starts outside may still stay where it is).
pub fn declutter_within(
    labels: Vec<ScreenLabel>,
    size_px: impl Fn(&ScreenLabel) -> Vec2,
    bounds: Option<(Vec2, Vec2)>,
) -> Vec<ScreenLabel> {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&labels[a], &labels[b]);
        a.role.cmp(&b.role).then(a.depth.total_cmp(&b.depth))
    });
    let mut taken: Vec<(Vec2, Vec2)> = Vec::with_capacity(labels.len());
    let mut placed: Vec<Option<Vec2>> = vec![None; labels.len()];
    for i in order {
        let label = &labels[i];
        let size = size_px(label);
        if !(size.is_finite() && size.x > 0.0 && size.y > 0.0) {
            placed[i] = Some(label.pos_px);
            continue;
        }
        let free = candidates(label, size)
            .into_iter()
            .enumerate()
            .find(|&(i, pos)| {
                let place = label_box(pos, label.anchor, size);
                let in_bounds = bounds.is_none_or(|(lo, hi)| {
                    i == 0 || (place.0.cmpge(lo).all() && place.1.cmple(hi).all())
                });
                in_bounds && taken.iter().all(|&t| !boxes_overlap(t, place))
            })
            .map(|(_, pos)| pos);
        if let Some(pos) = free {
            taken.push(label_box(pos, label.anchor, size));
            placed[i] = Some(pos);
        }
    }
    labels
        .into_iter()
        .zip(placed)
        .filter_map(|(label, place)| {
            Some(ScreenLabel {
                pos_px: place?,
                ..label
            })
        })
        .collect()
}

/// Advance widths of the printable ASCII characters (space to `~`) in hundredths of an em, in
/// the proportional font the UI draws labels with (egui's default, Ubuntu Light).
const ASCII_ADVANCE: [u8; 95] = [
    23, 27, 39, 65, 56, 83, 65, 24, 31, 31, 47, 56, 25, 28, 25, 36, 56, 56, 56, 56, 56, 56, 56, 56,
    56, 56, 25, 25, 56, 56, 56, 38, 94, 67, 63, 60, 70, 56, 52, 66, 69, 25, 49, 60, 50, 86, 71, 77,
    59, 77, 62, 52, 57, 68, 65, 93, 62, 60, 56, 31, 36, 31, 56, 49, 38, 51, 58, 46, 58, 55, 38, 57,
    57, 24, 25, 50, 26, 86, 57, 58, 58, 58, 37, 43, 39, 57, 50, 79, 51, 49, 46, 32, 26, 32, 56,
];
/// Advance of any other character, in ems (wider than most: Δ, ×, ≤ are about 0.55).
const OTHER_ADVANCE_EM: f32 = 0.7;
/// Height of one line of text, in ems.
const LINE_HEIGHT_EM: f32 = 1.15;

/// About the size in pixels the UI's font gives `text` at `size_px` (lines stacked, the
/// widest line's advances), rounded up, so a label can be placed before it is laid out.
pub fn estimated_text_size(text: &str, size_px: f32) -> Vec2 {
    let mut width_em = 0.0f32;
    let mut lines = 0usize;
    for line in text.split('\n') {
        lines += 1;
        let line_em: f32 = line
            .chars()
            .map(|c| match u32::from(c).checked_sub(32) {
                Some(i) if i < 95 => f32::from(ASCII_ADVANCE[i as usize]) / 100.0,
                _ => OTHER_ADVANCE_EM,
            })
            .sum();
        width_em = width_em.max(line_em);
    }
    Vec2::new(
        (width_em * size_px).ceil() + 1.0,
        (lines as f32 * LINE_HEIGHT_EM * size_px).ceil() + 1.0,
    )
}

/// The world point that projects to `pos_px` at clip-space depth `depth` through
/// `clip_from_world` in a `viewport_px` viewport (the inverse of [`project_with`]).
pub fn unproject(
    clip_from_world: &Mat4,
    pos_px: Vec2,
    depth: f32,
    viewport_px: Vec2,
) -> Option<Vec3> {
    let ndc = Vec2::new(
        pos_px.x / viewport_px.x * 2.0 - 1.0,
        1.0 - pos_px.y / viewport_px.y * 2.0,
    );
    let world = clip_from_world.inverse() * Vec4::new(ndc.x, ndc.y, depth, 1.0);
    let world = world.truncate() / world.w;
    world.is_finite().then_some(world)
}

/// Keeps a label whose anchor is inside the viewport wholly inside it: a title, data label or
/// axis name is moved in (when its box, `size`, fits); a value or tick value, which must stay
/// on its spot, is left out (`false`) when it would be cut by the edge.
fn keep_inside(label: &mut ScreenLabel, size: Vec2, viewport_px: Vec2) -> bool {
    let inside = label.pos_px.cmpge(Vec2::ZERO).all() && label.pos_px.cmple(viewport_px).all();
    if !inside {
        return true;
    }
    let (min, max) = label_box(label.pos_px, label.anchor, size);
    let shift = Vec2::ZERO.max(-min) - Vec2::ZERO.max(max - viewport_px);
    if shift == Vec2::ZERO {
        return true;
    }
    if matches!(label.role, LabelRole::Tick | LabelRole::Value) {
        return false;
    }
    if size.cmple(viewport_px).all() {
        label.pos_px += shift;
    }
    true
}

/// Declutters `scene`'s labels as seen in a `viewport_px` viewport (see [`declutter`]), with
/// their sizes from [`estimated_text_size`]: labels whose anchor is in view but whose text
/// runs past an edge are first moved inside (values and tick values are dropped instead);
/// dropped labels leave
/// `scene.labels`, moved ones get the world position that projects to their new place (at
/// the same depth). Labels that do not project (behind the camera) are kept as they are;
/// the order is kept.
pub fn declutter_scene(scene: &mut Scene, viewport_px: Vec2) {
    let clip_from_world = scene.camera.clip_from_world(aspect_of(viewport_px));
    let projected: Vec<Option<ScreenLabel>> = scene
        .labels
        .iter()
        .map(|label| project_one(&clip_from_world, label, viewport_px))
        .collect();
    // Values and ticks cut by an edge are dropped here, the others moved in.
    let on_screen: Vec<ScreenLabel> = projected
        .iter()
        .flatten()
        .filter_map(|label| {
            let mut label = label.clone();
            let size = estimated_text_size(&label.text, label.size_px);
            keep_inside(&mut label, size, viewport_px).then_some(label)
        })
        .collect();
    let mut kept = declutter_within(
        on_screen,
        |l| estimated_text_size(&l.text, l.size_px),
        Some((Vec2::ZERO, viewport_px)),
    )
    .into_iter()
    .peekable();
    let same = |a: &ScreenLabel, b: &ScreenLabel| {
        a.text == b.text && a.depth == b.depth && a.role == b.role && a.anchor == b.anchor
    };
    let labels = std::mem::take(&mut scene.labels);
    for (mut label, screen) in labels.into_iter().zip(projected) {
        let Some(screen) = screen else {
            scene.labels.push(label);
            continue;
        };
        // The kept labels are a subsequence of the projected ones, in order.
        let Some(placed) = kept.next_if(|k| same(k, &screen)) else {
            continue;
        };
        if placed.pos_px != screen.pos_px
            && let Some(world) =
                unproject(&clip_from_world, placed.pos_px, placed.depth, viewport_px)
        {
            label.pos = world.into();
        }
        scene.labels.push(label);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 7 pixels per character, 12 pixels high.
    fn size(label: &ScreenLabel) -> Vec2 {
        Vec2::new(7.0 * label.text.chars().count() as f32, 12.0)
    }

    fn at(x: f32, y: f32, text: &str, role: LabelRole) -> ScreenLabel {
        ScreenLabel {
            pos_px: Vec2::new(x, y),
            text: text.into(),
            color: [1.0; 4],
            size_px: 12.0,
            anchor: Anchor::Center,
            depth: 0.5,
            role,
        }
    }

    fn assert_apart(labels: &[ScreenLabel]) {
        for (i, a) in labels.iter().enumerate() {
            for b in &labels[i + 1..] {
                let (ba, bb) = (
                    label_box(a.pos_px, a.anchor, size(a)),
                    label_box(b.pos_px, b.anchor, size(b)),
                );
                assert!(!boxes_overlap(ba, bb), "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn labels_that_do_not_overlap_are_kept_as_they_are() {
        let labels = vec![
            at(10.0, 10.0, "x", LabelRole::Tick),
            at(50.0, 10.0, "point", LabelRole::Data),
            at(50.0, 30.0, "title", LabelRole::Title),
            at(100.0, 10.0, "axis", LabelRole::AxisName),
        ];
        assert_eq!(declutter(labels.clone(), size), labels);
    }

    #[test]
    fn data_labels_beat_ticks_and_titles_beat_data() {
        let tick = at(50.0, 50.0, "0.8", LabelRole::Tick);
        let data = at(52.0, 51.0, "(1,0)", LabelRole::Data);
        let kept = declutter(vec![tick, data.clone()], size);
        assert_eq!(kept, vec![data.clone()], "the tick is dropped, not moved");

        let title = at(50.0, 50.0, "a title", LabelRole::Title);
        let kept = declutter(vec![data.clone(), title.clone()], size);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[1], title, "the title keeps its place");
        let moved = (kept[0].pos_px - data.pos_px).abs();
        assert!(moved != Vec2::ZERO, "the data label moved");
        assert!(
            moved.cmple(size(&data) + MOVE_GAP_PX).all(),
            "by at most its size"
        );
        assert_apart(&kept);
    }

    #[test]
    fn equal_labels_move_around_their_anchor_then_drop() {
        // Eleven labels on one point: one in place, eight around it, the rest dropped.
        let labels: Vec<ScreenLabel> = (0..11)
            .map(|i| at(100.0, 100.0, &format!("p{i}"), LabelRole::Data))
            .collect();
        let kept = declutter(labels, size);
        assert_apart(&kept);
        assert_eq!(kept.len(), 9, "{kept:?}");
        assert_eq!(kept[0].pos_px, Vec2::new(100.0, 100.0));
        // Nearer labels win among equals.
        let mut far = at(0.0, 0.0, "far", LabelRole::Tick);
        far.depth = 0.9;
        let mut near = at(3.0, 0.0, "near", LabelRole::Tick);
        near.depth = 0.1;
        assert_eq!(declutter(vec![far, near.clone()], size), vec![near]);
    }

    #[test]
    fn a_dense_crowd_comes_out_without_overlaps() {
        let roles = [
            LabelRole::Title,
            LabelRole::Data,
            LabelRole::Value,
            LabelRole::AxisName,
            LabelRole::Tick,
        ];
        let labels: Vec<ScreenLabel> = (0..200)
            .map(|i| {
                let (x, y) = ((i * 37 % 97) as f32 * 2.0, (i * 53 % 89) as f32 * 1.5);
                at(x, y, &format!("{:.2}", i as f32 / 7.0), roles[i % 5])
            })
            .collect();
        let kept = declutter(labels.clone(), size);
        assert_apart(&kept);
        // A label was dropped only where every place it may take holds a label that goes
        // before it.
        for dropped in labels
            .iter()
            .filter(|l| !kept.iter().any(|k| k.text == l.text))
        {
            for pos in candidates(dropped, size(dropped)) {
                let bounds = label_box(pos, dropped.anchor, size(dropped));
                assert!(
                    kept.iter().any(|k| k.role <= dropped.role
                        && boxes_overlap(label_box(k.pos_px, k.anchor, size(k)), bounds)),
                    "{dropped:?} could have stayed at {pos}"
                );
            }
        }
        // Kept labels keep their input order.
        let texts: Vec<&str> = kept.iter().map(|l| l.text.as_str()).collect();
        let mut input_order = labels.iter().map(|l| l.text.as_str());
        assert!(texts.iter().all(|t| input_order.any(|s| s == *t)));
    }

    #[test]
    fn estimated_sizes_follow_the_font() {
        // "0.0" at 12 px is 16.5 x 14 px in the UI's font.
        let size = estimated_text_size("0.0", 12.0);
        assert!((16.5..=19.0).contains(&size.x), "{size}");
        assert!((14.0..=16.0).contains(&size.y), "{size}");
        let two = estimated_text_size("a\nlonger line", 10.0);
        assert!(two.y > 2.0 * 11.0 && two.x > estimated_text_size("a", 10.0).x * 5.0);
    }

    #[test]
    fn a_decluttered_scene_keeps_moved_labels_where_they_project() {
        use crate::render::scene::Label;
        let mut scene = Scene::default();
        let label = |x: f32, text: &str, role| Label {
            pos: [x, 0.0, 0.0],
            text: text.into(),
            color: [1.0; 4],
            size_px: 12.0,
            anchor: Anchor::Center,
            role,
        };
        // The default camera shows -1..1: 0.01 apart is one pixel in 200 px.
        scene.labels = vec![
            label(0.0, "tick", LabelRole::Tick),
            label(0.0, "data", LabelRole::Data),
            label(0.02, "more", LabelRole::Data),
            label(0.8, "far", LabelRole::Tick),
        ];
        let viewport = Vec2::new(200.0, 200.0);
        declutter_scene(&mut scene, viewport);
        let texts: Vec<&str> = scene.labels.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, vec!["data", "more", "far"]);
        assert_eq!(scene.labels[0].pos, [0.0, 0.0, 0.0]);
        let placed = project_labels(&scene, viewport);
        for (i, a) in placed.iter().enumerate() {
            for b in &placed[i + 1..] {
                let boxes = |l: &ScreenLabel| {
                    label_box(l.pos_px, l.anchor, estimated_text_size(&l.text, l.size_px))
                };
                assert!(!boxes_overlap(boxes(a), boxes(b)), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn empty_boxes_take_no_room() {
        let labels = vec![
            at(10.0, 10.0, "", LabelRole::Data),
            at(10.0, 10.0, "", LabelRole::Data),
        ];
        assert_eq!(declutter(labels.clone(), size).len(), 2);
    }
}
