//! Finds text printed over other text in a finished egui pass: every visible text shape of
//! [`egui::FullOutput::shapes`] (nested [`Shape::Vec`]s included) as a rectangle clipped to
//! its clip rectangle, and every pair of them that overlaps by more than a tolerance in both
//! directions, with both strings. Tests run a dashboard through a plain [`egui::Context`] and
//! assert the list is empty, so no label, tick value or legend entry prints over another.

use egui::epaint::{ClippedShape, Shape, TextShape};
use egui::{Rect, Vec2, emath::Rot2};

/// One visible piece of text and where it went, in points.
#[derive(Clone, Debug, PartialEq)]
pub struct TextBox {
    /// The text.
    pub text: String,
    /// Its laid-out rectangle at its position (rotated text: the rotated rectangle's bounding
    /// box), intersected with its clip rectangle.
    pub rect: Rect,
}

/// Two texts printed over each other.
#[derive(Clone, Debug, PartialEq)]
pub struct TextOverlap {
    /// The one painted first.
    pub first: TextBox,
    /// The one painted later.
    pub second: TextBox,
    /// Width and height of the shared rectangle, in points.
    pub overlap: Vec2,
}

impl std::fmt::Display for TextOverlap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} at {:?} and {:?} at {:?} overlap by {:.1} x {:.1} pt",
            self.first.text,
            self.first.rect,
            self.second.text,
            self.second.rect,
            self.overlap.x,
            self.overlap.y
        )
    }
}

/// Every visible text of `shapes`, in paint order: text shapes whose text is not blank,
/// that are not fully transparent, and whose rectangle keeps some area inside its clip
/// rectangle.
pub fn visible_texts(shapes: &[ClippedShape]) -> Vec<TextBox> {
    let mut found = Vec::new();
    for clipped in shapes {
        collect_texts(&clipped.shape, clipped, &mut found);
    }
    found
}

fn collect_texts(shape: &Shape, clipped: &ClippedShape, found: &mut Vec<TextBox>) {
    match shape {
        Shape::Vec(shapes) => {
            for inner in shapes {
                collect_texts(inner, clipped, found);
            }
        }
        Shape::Text(text) => {
            if let Some(rect) = text_rect(text, clipped) {
                found.push(TextBox {
                    text: text.galley.text().to_string(),
                    rect,
                });
            }
        }
        _ => {}
    }
}

/// Where `text` shows inside `clipped`'s clip rectangle, if anywhere.
fn text_rect(text: &TextShape, clipped: &ClippedShape) -> Option<Rect> {
    if text.galley.text().trim().is_empty() || text.opacity_factor <= 0.0 {
        return None;
    }
    let laid_out = text
        .galley
        .rect
        .rotate_bb(Rot2::from_angle(text.angle))
        .translate(text.pos.to_vec2());
    let rect = clipped
        .transform_after_tessellation
        .mul_rect(laid_out)
        .intersect(clipped.clip_rect);
    (rect.is_finite() && rect.width() > 0.0 && rect.height() > 0.0).then_some(rect)
}

/// Every pair of [`visible_texts`] of `shapes` whose rectangles overlap by more than
/// `tolerance_pt` points both across and down (pass `2.0 / pixels_per_point` for 2 physical
/// pixels), in paint order.
pub fn text_overlaps(shapes: &[ClippedShape], tolerance_pt: f32) -> Vec<TextOverlap> {
    let texts = visible_texts(shapes);
    let mut overlaps = Vec::new();
    for (i, first) in texts.iter().enumerate() {
        for second in &texts[i + 1..] {
            let shared = first.rect.intersect(second.rect);
            let overlap = Vec2::new(shared.width(), shared.height());
            if overlap.x > tolerance_pt && overlap.y > tolerance_pt {
                overlaps.push(TextOverlap {
                    first: first.clone(),
                    second: second.clone(),
                    overlap,
                });
            }
        }
    }
    overlaps
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::{Align2, Color32, FontId, Pos2, RawInput};

    /// The shapes of one pass that paints `texts` (position, text) and a clip-limited one.
    fn shapes_of(texts: &[(Pos2, &str)], clipped: Option<(Pos2, &str, Rect)>) -> Vec<ClippedShape> {
        let ctx = egui::Context::default();
        let run = || {
            ctx.run_ui(RawInput::default(), |ui| {
                let painter = ui.painter();
                let mut nested = Vec::new();
                for (pos, text) in texts {
                    nested.push(painter.fonts_mut(|f| {
                        Shape::text(
                            f,
                            *pos,
                            Align2::LEFT_TOP,
                            text,
                            FontId::proportional(14.0),
                            Color32::WHITE,
                        )
                    }));
                }
                painter.add(Shape::Vec(nested));
                if let Some((pos, text, clip)) = clipped {
                    painter.with_clip_rect(clip).text(
                        pos,
                        Align2::LEFT_TOP,
                        text,
                        FontId::proportional(14.0),
                        Color32::WHITE,
                    );
                }
            })
        };
        run();
        run().shapes
    }

    #[test]
    fn overlapping_texts_are_reported_with_both_strings() {
        let shapes = shapes_of(
            &[
                (Pos2::new(10.0, 10.0), "0.00"),
                (Pos2::new(22.0, 12.0), "0.25"),
                (Pos2::new(200.0, 10.0), "alone"),
                (Pos2::new(10.0, 100.0), "   "),
                (Pos2::new(12.0, 100.0), "over blank"),
            ],
            None,
        );
        assert_eq!(visible_texts(&shapes).len(), 4, "blank text is left out");
        let found = text_overlaps(&shapes, 2.0);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].first.text, "0.00");
        assert_eq!(found[0].second.text, "0.25");
        assert!(found[0].to_string().contains("\"0.00\""));
    }

    #[test]
    fn touching_or_clipped_away_texts_are_not_overlaps() {
        let mut row = Vec2::ZERO;
        let _ = egui::Context::default().run_ui(RawInput::default(), |ui| {
            row = ui.fonts_mut(|f| {
                f.layout_no_wrap("abc".into(), FontId::proportional(14.0), Color32::WHITE)
                    .size()
            });
        });
        // Side by side with 1 point shared, and one clipped to nothing.
        let shapes = shapes_of(
            &[
                (Pos2::new(10.0, 10.0), "abc"),
                (Pos2::new(10.0 + row.x - 1.0, 10.0), "def"),
            ],
            Some((
                Pos2::new(10.0, 10.0),
                "hidden",
                Rect::from_min_size(Pos2::new(300.0, 300.0), Vec2::splat(10.0)),
            )),
        );
        assert_eq!(visible_texts(&shapes).len(), 2);
        assert!(text_overlaps(&shapes, 2.0).is_empty());
        assert_eq!(text_overlaps(&shapes, 0.5).len(), 1);
    }
}
