//! The camera of flat panels (2D plots, heatmaps): a world rectangle shown over the viewport,
//! with pan and zoom.

use glam::{Mat4, Vec2, Vec3};

use crate::render::projection::{Projection, SceneCamera, aspect_of};

/// Shows the world rectangle `min..max` of the XY plane (z towards the viewer) over the
/// viewport.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Camera2d {
    /// Bottom-left corner shown.
    pub min: Vec2,
    /// Top-right corner shown.
    pub max: Vec2,
    /// Keep x and y units square (the rectangle grows in one direction to fill the viewport);
    /// otherwise it is stretched over the viewport.
    pub keep_aspect: bool,
    home: (Vec2, Vec2),
}

/// World z range a 2D camera sees (items at larger z are drawn on top).
const DEPTH_RANGE: f32 = 1000.0;

impl Camera2d {
    /// Shows `min..max`, stretched over the viewport.
    pub fn new(min: Vec2, max: Vec2) -> Self {
        Self {
            min,
            max,
            keep_aspect: false,
            home: (min, max),
        }
    }

    /// The same camera, keeping units square.
    pub fn keeping_aspect(self) -> Self {
        Self {
            keep_aspect: true,
            ..self
        }
    }

    /// The viewport-independent camera for a [`Scene`](crate::render::Scene).
    pub fn scene_camera(&self) -> SceneCamera {
        SceneCamera {
            view_from_world: Mat4::IDENTITY,
            projection: Projection::Rect {
                min: self.min,
                max: self.max,
                keep_aspect: self.keep_aspect,
                near: -DEPTH_RANGE,
                far: DEPTH_RANGE,
            },
        }
    }

    /// Where `world` appears in a viewport of `viewport_px`, in pixels from the top-left.
    pub fn project(&self, world: Vec3, viewport_px: Vec2) -> Option<Vec2> {
        self.scene_camera().project(world, viewport_px)
    }

    /// Moves the shown rectangle so the content follows a drag of `delta_px`.
    pub fn drag_pan(&mut self, delta_px: Vec2, viewport_px: Vec2) {
        let (min, max) = self.shown(viewport_px);
        let world_per_px = (max - min) / viewport_px.max(Vec2::ONE);
        let shift = Vec2::new(-delta_px.x, delta_px.y) * world_per_px;
        if shift.is_finite() {
            self.min += shift;
            self.max += shift;
        }
    }

    /// Zooms about the rectangle's center: positive steps zoom in by 10% each.
    pub fn zoom(&mut self, wheel_steps: f32) {
        let factor = 1.1_f32.powf(-wheel_steps);
        if !factor.is_finite() || factor <= 0.0 {
            return;
        }
        let center = (self.min + self.max) * 0.5;
        let half = (self.max - self.min) * 0.5 * factor;
        if half.min_element() > 1e-12 && half.is_finite() {
            self.min = center - half;
            self.max = center + half;
        }
    }

    /// Back to the rectangle it was made with.
    pub fn reset(&mut self) {
        (self.min, self.max) = self.home;
    }

    /// The world rectangle actually shown in a viewport (grown when keeping aspect).
    fn shown(&self, viewport_px: Vec2) -> (Vec2, Vec2) {
        let clip_from_view = self
            .scene_camera()
            .projection
            .clip_from_view(aspect_of(viewport_px));
        let view_from_clip = clip_from_view.inverse();
        let min = view_from_clip.transform_point3(Vec3::new(-1.0, -1.0, 0.5));
        let max = view_from_clip.transform_point3(Vec3::new(1.0, 1.0, 0.5));
        (min.truncate(), max.truncate())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rectangle_spans_the_viewport() {
        let camera = Camera2d::new(Vec2::new(0.0, 0.0), Vec2::new(4.0, 2.0));
        let viewport = Vec2::new(100.0, 50.0);
        let top_left = camera.project(Vec3::new(0.0, 2.0, 0.0), viewport).unwrap();
        let bottom_right = camera.project(Vec3::new(4.0, 0.0, 0.0), viewport).unwrap();
        assert!(top_left.length() < 1e-4, "{top_left}");
        assert!((bottom_right - viewport).length() < 1e-3, "{bottom_right}");
    }

    #[test]
    fn keeping_aspect_grows_the_short_side() {
        let camera = Camera2d::new(Vec2::ZERO, Vec2::splat(1.0)).keeping_aspect();
        let viewport = Vec2::new(200.0, 100.0);
        // 1x1 world units in a 2:1 viewport: x shows -0.5..1.5.
        let origin = camera.project(Vec3::ZERO, viewport).unwrap();
        assert!(
            (origin - Vec2::new(50.0, 100.0)).length() < 1e-3,
            "{origin}"
        );
    }

    #[test]
    fn pan_follows_the_cursor_and_zoom_and_reset_work() {
        let mut camera = Camera2d::new(Vec2::ZERO, Vec2::splat(10.0));
        let viewport = Vec2::splat(100.0);
        let probe = Vec3::new(5.0, 5.0, 0.0);
        let before = camera.project(probe, viewport).unwrap();
        camera.drag_pan(Vec2::new(10.0, 20.0), viewport);
        let after = camera.project(probe, viewport).unwrap();
        assert!((after - before - Vec2::new(10.0, 20.0)).length() < 1e-3);
        camera.zoom(1.0);
        assert!((camera.max - camera.min).x < 10.0);
        camera.zoom(f32::NAN);
        camera.reset();
        assert_eq!((camera.min, camera.max), (Vec2::ZERO, Vec2::splat(10.0)));
    }
}
