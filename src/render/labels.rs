//! Labels: text is not drawn by wgpu. [`project_labels`] turns a scene's world-anchored
//! labels into screen positions for the UI to draw as egui text (crisp at any size), and
//! [`declutter`] moves or drops the ones that would print over each other, by their
//! [`LabelRole`]: titles first, then data labels, axis names and, last, tick values.

use glam::{Vec2, Vec3};

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

/// The scene's labels as seen in a `viewport_px` viewport, farthest first (draw in order so
/// nearer text lands on top). Labels behind the camera or outside the near/far range are left
/// out; those beyond the viewport's sides are kept (the UI clips them).
pub fn project_labels(scene: &Scene, viewport_px: Vec2) -> Vec<ScreenLabel> {
    let clip_from_world = scene.camera.clip_from_world(aspect_of(viewport_px));
    let mut placed: Vec<ScreenLabel> = scene
        .labels
        .iter()
        .filter_map(|label| {
            let (pos_px, depth) =
                project_with(&clip_from_world, Vec3::from(label.pos), viewport_px)?;
            Some(ScreenLabel {
                pos_px,
                text: label.text.clone(),
                color: label.color,
                size_px: label.size_px,
                anchor: label.anchor,
                depth,
                role: label.role,
            })
        })
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

/// The positions `label` of box `size` may take, the one it asked for first. Tick values
/// never move (a moved value would name the wrong place on its axis).
fn candidates(label: &ScreenLabel, size: Vec2) -> Vec<Vec2> {
    let mut places = vec![label.pos_px];
    if label.role != LabelRole::Tick {
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
/// [`LabelRole`] (titles, then data labels, axis names, tick values), then nearer first. A
/// label whose box (`size_px` of it, e.g. the size of the laid-out text, at its anchor)
/// would overlap an already placed one first tries the places right next to its own box
/// (just above, below, beside: `pos_px` is moved by one box size plus [`MOVE_GAP_PX`]), and
/// is dropped when none is free; tick values are never moved, only dropped. Labels with an empty or non-finite box take no
/// room. The kept labels come back in their input order (e.g. farthest first, as
/// [`project_labels`] returns them), so drawing order is unchanged; when no two labels
/// overlap, the output equals the input.
pub fn declutter(
    labels: Vec<ScreenLabel>,
    size_px: impl Fn(&ScreenLabel) -> Vec2,
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
        let free = candidates(label, size).into_iter().find(|&pos| {
            let bounds = label_box(pos, label.anchor, size);
            taken.iter().all(|&t| !boxes_overlap(t, bounds))
        });
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
            LabelRole::AxisName,
            LabelRole::Tick,
        ];
        let labels: Vec<ScreenLabel> = (0..200)
            .map(|i| {
                let (x, y) = ((i * 37 % 97) as f32 * 2.0, (i * 53 % 89) as f32 * 1.5);
                at(x, y, &format!("{:.2}", i as f32 / 7.0), roles[i % 4])
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
    fn empty_boxes_take_no_room() {
        let labels = vec![
            at(10.0, 10.0, "", LabelRole::Data),
            at(10.0, 10.0, "", LabelRole::Data),
        ];
        assert_eq!(declutter(labels.clone(), size).len(), 2);
    }
}
