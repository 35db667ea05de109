//! The camera a [`Scene`](crate::render::Scene) carries: a view transform and a projection that
//! does not depend on the viewport, so one scene renders into any target size.
//!
//! Conventions (wgpu's): right-handed view space looking down -Z, clip-space depth 0 (near) to
//! 1 (far); screen pixels have their origin at the top-left corner, x right, y down, and pixel
//! `(i, j)` covers `[i, i + 1) x [j, j + 1)`, so its center is at `(i + 0.5, j + 0.5)`.

use glam::{Mat4, Vec2, Vec3, Vec4Swizzles};

/// How view space maps to clip space; the aspect ratio is supplied when drawing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Projection {
    /// Perspective with a vertical field of view.
    Perspective {
        /// Vertical field of view in radians.
        fov_y_rad: f32,
        /// Near plane distance (> 0).
        near: f32,
        /// Far plane distance (> near).
        far: f32,
    },
    /// Orthographic; the visible height is `2 * half_height`, the width follows the aspect.
    Orthographic {
        /// Half the visible height in world units.
        half_height: f32,
        /// Near plane (view-space distance, may be negative).
        near: f32,
        /// Far plane.
        far: f32,
    },
    /// Orthographic that shows the view-space rectangle `min..max` (2D plots). With
    /// `keep_aspect` the rectangle is grown in one direction so units are square; without it
    /// the rectangle is stretched over the whole viewport.
    Rect {
        /// Bottom-left corner shown (view space).
        min: Vec2,
        /// Top-right corner shown.
        max: Vec2,
        /// Keep x and y units the same size on screen.
        keep_aspect: bool,
        /// Near plane (view-space distance, may be negative).
        near: f32,
        /// Far plane.
        far: f32,
    },
}

/// A view transform plus a projection: everything about the camera except the viewport.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SceneCamera {
    /// World to view space (right-handed, looking down -Z).
    pub view_from_world: Mat4,
    /// View to clip space, given the aspect.
    pub projection: Projection,
}

impl Default for SceneCamera {
    /// Identity view with a 2D rectangle from (-1, -1) to (1, 1).
    fn default() -> Self {
        Self {
            view_from_world: Mat4::IDENTITY,
            projection: Projection::Rect {
                min: Vec2::splat(-1.0),
                max: Vec2::splat(1.0),
                keep_aspect: false,
                near: -1000.0,
                far: 1000.0,
            },
        }
    }
}

/// Width over height, with degenerate viewports (0 or non-finite) treated as square.
pub fn aspect_of(viewport_px: Vec2) -> f32 {
    let aspect = viewport_px.x / viewport_px.y;
    if aspect.is_finite() && aspect > 0.0 {
        aspect
    } else {
        1.0
    }
}

impl Projection {
    /// The view-to-clip matrix for a viewport of the given width over height.
    pub fn clip_from_view(&self, aspect: f32) -> Mat4 {
        match *self {
            Projection::Perspective {
                fov_y_rad,
                near,
                far,
            } => Mat4::perspective_rh(fov_y_rad, aspect, near, far),
            Projection::Orthographic {
                half_height,
                near,
                far,
            } => {
                let half_width = half_height * aspect;
                Mat4::orthographic_rh(
                    -half_width,
                    half_width,
                    -half_height,
                    half_height,
                    near,
                    far,
                )
            }
            Projection::Rect {
                min,
                max,
                keep_aspect,
                near,
                far,
            } => {
                let (min, max) = if keep_aspect {
                    contain(min, max, aspect)
                } else {
                    (min, max)
                };
                Mat4::orthographic_rh(min.x, max.x, min.y, max.y, near, far)
            }
        }
    }
}

/// Grows `min..max` in x or y (about its center) until width / height equals `aspect`.
fn contain(min: Vec2, max: Vec2, aspect: f32) -> (Vec2, Vec2) {
    let center = (min + max) * 0.5;
    let mut half = (max - min) * 0.5;
    if half.x < half.y * aspect {
        half.x = half.y * aspect;
    } else {
        half.y = half.x / aspect;
    }
    (center - half, center + half)
}

impl SceneCamera {
    /// The world-to-clip matrix for a viewport of the given width over height.
    pub fn clip_from_world(&self, aspect: f32) -> Mat4 {
        self.projection.clip_from_view(aspect) * self.view_from_world
    }

    /// Where `world` lands in a viewport of `viewport_px` (width, height) pixels, with the origin
    /// at the top-left corner and y down. `None` when the point is behind the camera or
    /// outside the near/far range; points beyond the viewport's sides still get a position.
    pub fn project(&self, world: Vec3, viewport_px: Vec2) -> Option<Vec2> {
        project_with(
            &self.clip_from_world(aspect_of(viewport_px)),
            world,
            viewport_px,
        )
        .map(|(px, _)| px)
    }

    /// Distance of `world` in front of the camera along its view direction (view-space -z);
    /// larger is farther. Used to sort translucent triangles back to front.
    pub fn view_depth(&self, world: Vec3) -> f32 {
        -self.view_from_world.transform_point3(world).z
    }
}

/// Projects `world` with `clip_from_world` into a `viewport_px` viewport; returns the pixel
/// position and the clip-space depth (0 near .. 1 far).
pub fn project_with(clip_from_world: &Mat4, world: Vec3, viewport_px: Vec2) -> Option<(Vec2, f32)> {
    let clip = *clip_from_world * world.extend(1.0);
    // Behind the eye, at it, or NaN.
    if clip.w.partial_cmp(&1e-7) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let ndc = clip.xyz() / clip.w;
    if !(0.0..=1.0).contains(&ndc.z) {
        return None;
    }
    let px = Vec2::new(
        (ndc.x + 1.0) * 0.5 * viewport_px.x,
        (1.0 - ndc.y) * 0.5 * viewport_px.y,
    );
    Some((px, ndc.z))
}
