//! The orbit camera of 3D views: it circles a target point, turning user input (drag, wheel,
//! keys) into goal values that the drawn pose approaches with exponential damping.
//!
//! Angles: `yaw_rad` turns about the world +Y axis (0 looks from +Z towards -Z), `pitch_rad`
//! lifts the eye above the XZ plane. Pitch is clamped short of the poles so the view never
//! degenerates (no NaN), and distance is clamped to [`OrbitLimits`].

use glam::{Mat4, Vec2, Vec3};

use crate::render::projection::{Projection, SceneCamera};

/// Where the camera is: the values that damping moves from current to goal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrbitPose {
    /// The point looked at and orbited.
    pub target: Vec3,
    /// Turn about +Y, radians.
    pub yaw_rad: f32,
    /// Elevation, radians (positive: eye above the target).
    pub pitch_rad: f32,
    /// Eye to target distance.
    pub distance: f32,
}

/// Bounds on distance and pitch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrbitLimits {
    /// Closest allowed distance.
    pub min_distance: f32,
    /// Farthest allowed distance.
    pub max_distance: f32,
    /// Largest |pitch|, below pi/2.
    pub max_pitch_rad: f32,
}

impl Default for OrbitLimits {
    fn default() -> Self {
        Self {
            min_distance: 0.05,
            max_distance: 1000.0,
            max_pitch_rad: 89.0_f32.to_radians(),
        }
    }
}

/// An orbit camera with damped motion, perspective or orthographic.
#[derive(Clone, Debug, PartialEq)]
pub struct OrbitCamera {
    current: OrbitPose,
    goal: OrbitPose,
    home: OrbitPose,
    /// Vertical field of view (perspective; also sets the orthographic scale).
    pub fov_y_rad: f32,
    /// Orthographic instead of perspective; the visible height at the target is the same.
    pub orthographic: bool,
    /// Distance and pitch bounds.
    pub limits: OrbitLimits,
    /// Damping rate per second: each second the remaining way shrinks by `exp(-rate)`.
    /// Infinite means no damping.
    pub damping_per_sec: f32,
    /// Rotation per dragged pixel.
    pub rotate_rad_per_px: f32,
    /// Rotation per arrow-key step.
    pub key_step_rad: f32,
    /// Distance factor per wheel step (> 1).
    pub zoom_per_step: f32,
}

/// The default home: 4 units from the origin, a little to the right and above.
const DEFAULT_HOME: OrbitPose = OrbitPose {
    target: Vec3::ZERO,
    yaw_rad: 0.61,
    pitch_rad: 0.44,
    distance: 4.0,
};

impl Default for OrbitCamera {
    fn default() -> Self {
        Self::new(DEFAULT_HOME)
    }
}

impl OrbitCamera {
    /// A camera at `home` (also where [`reset`](Self::reset) returns), after clamping.
    pub fn new(home: OrbitPose) -> Self {
        let mut camera = Self {
            current: DEFAULT_HOME,
            goal: DEFAULT_HOME,
            home: DEFAULT_HOME,
            fov_y_rad: 45.0_f32.to_radians(),
            orthographic: false,
            limits: OrbitLimits::default(),
            damping_per_sec: 12.0,
            rotate_rad_per_px: 0.008,
            key_step_rad: 5.0_f32.to_radians(),
            zoom_per_step: 1.1,
        };
        camera.set_home(home);
        camera
    }

    /// A camera whose home pose frames the box `min..max` (its bounding sphere fits the view).
    pub fn framing(min: Vec3, max: Vec3) -> Self {
        let mut camera = Self::default();
        let radius = ((max - min).length() * 0.5).max(1e-3);
        let home = OrbitPose {
            target: (min + max) * 0.5,
            distance: 1.1 * radius / (camera.fov_y_rad * 0.5).sin(),
            ..camera.home
        };
        camera.limits.max_distance = camera.limits.max_distance.max(home.distance * 10.0);
        camera.limits.min_distance = camera.limits.min_distance.min(home.distance * 0.01);
        camera.set_home(home);
        camera
    }

    /// The pose drawn now.
    pub fn pose(&self) -> OrbitPose {
        self.current
    }

    /// The pose being approached.
    pub fn goal(&self) -> OrbitPose {
        self.goal
    }

    /// Sets the goal (clamped); the drawn pose follows through [`update`](Self::update).
    pub fn set_goal(&mut self, goal: OrbitPose) {
        self.goal = self.clamped(goal);
    }

    /// Sets the home pose and jumps there at once.
    pub fn set_home(&mut self, home: OrbitPose) {
        self.home = self.clamped(home);
        self.current = self.home;
        self.goal = self.home;
    }

    /// Eye position of the drawn pose.
    pub fn eye(&self) -> Vec3 {
        eye_of(&self.current)
    }

    /// Rotates by a mouse drag: dragging right turns the scene right, dragging down tilts its
    /// top towards the viewer.
    pub fn drag_rotate(&mut self, delta_px: Vec2) {
        self.rotate_by(delta_px * self.rotate_rad_per_px);
    }

    /// Rotates by arrow-key steps, in the same sense as [`drag_rotate`](Self::drag_rotate)
    /// (`dx = 1`: like dragging right).
    pub fn rotate_keys(&mut self, dx: f32, dy: f32) {
        self.rotate_by(Vec2::new(dx, dy) * self.key_step_rad);
    }

    fn rotate_by(&mut self, delta_rad: Vec2) {
        if !delta_rad.is_finite() {
            return;
        }
        let mut goal = self.goal;
        goal.yaw_rad -= delta_rad.x;
        goal.pitch_rad += delta_rad.y;
        self.set_goal(goal);
    }

    /// Pans by a drag in a viewport of `viewport_px`: the point at the target's depth follows
    /// the cursor.
    pub fn drag_pan(&mut self, delta_px: Vec2, viewport_px: Vec2) {
        let world_per_px = self.visible_height(self.goal.distance) / viewport_px.y.max(1.0);
        if !(delta_px.is_finite() && world_per_px.is_finite()) {
            return;
        }
        let (right, up) = right_up(&self.goal);
        let mut goal = self.goal;
        goal.target += (-right * delta_px.x + up * delta_px.y) * world_per_px;
        self.set_goal(goal);
    }

    /// Zooms by mouse-wheel steps: positive steps move closer, each by `zoom_per_step`.
    pub fn zoom(&mut self, wheel_steps: f32) {
        if !wheel_steps.is_finite() {
            return;
        }
        let mut goal = self.goal;
        // Bounded so huge step counts saturate at the limits instead of overflowing.
        goal.distance *= self.zoom_per_step.powf(-wheel_steps).clamp(1e-6, 1e6);
        self.set_goal(goal);
    }

    /// Sends the camera back home (damped).
    pub fn reset(&mut self) {
        self.goal = self.home;
    }

    /// Moves the drawn pose towards the goal for `dt_secs` of time; returns whether it is
    /// still moving (the UI keeps repainting while it is).
    pub fn update(&mut self, dt_secs: f32) -> bool {
        let dt = if dt_secs.is_finite() {
            dt_secs.max(0.0)
        } else {
            0.0
        };
        let k = 1.0 - (-self.damping_per_sec * dt).exp();
        let k = if k.is_finite() {
            k.clamp(0.0, 1.0)
        } else {
            1.0
        };
        let (from, to) = (self.current, self.goal);
        let mut next = OrbitPose {
            target: from.target.lerp(to.target, k),
            yaw_rad: from.yaw_rad + (to.yaw_rad - from.yaw_rad) * k,
            pitch_rad: from.pitch_rad + (to.pitch_rad - from.pitch_rad) * k,
            distance: (from.distance.ln() + (to.distance.ln() - from.distance.ln()) * k).exp(),
        };
        let scale = to.distance.max(1e-3);
        let settled = (next.target - to.target).length() < 1e-4 * scale
            && (next.yaw_rad - to.yaw_rad).abs() < 1e-4
            && (next.pitch_rad - to.pitch_rad).abs() < 1e-4
            && (next.distance / to.distance - 1.0).abs() < 1e-4;
        if settled {
            next = to;
        }
        self.current = next;
        !settled
    }

    /// The viewport-independent camera for a [`Scene`](crate::render::Scene).
    pub fn scene_camera(&self) -> SceneCamera {
        let pose = self.current;
        let view_from_world = Mat4::look_at_rh(eye_of(&pose), pose.target, Vec3::Y);
        let projection = if self.orthographic {
            let depth = pose.distance * 100.0;
            Projection::Orthographic {
                half_height: self.visible_height(pose.distance) * 0.5,
                near: -depth,
                far: depth,
            }
        } else {
            Projection::Perspective {
                fov_y_rad: self.fov_y_rad,
                near: (pose.distance * 0.01).max(1e-4),
                far: pose.distance * 1000.0,
            }
        };
        SceneCamera {
            view_from_world,
            projection,
        }
    }

    /// World-to-clip matrix for a viewport with this width over height.
    pub fn clip_from_world(&self, aspect: f32) -> Mat4 {
        self.scene_camera().clip_from_world(aspect)
    }

    /// Where `world` appears in a viewport of `viewport_px`, in pixels from the top-left
    /// corner (see [`SceneCamera::project`]).
    pub fn project(&self, world: Vec3, viewport_px: Vec2) -> Option<Vec2> {
        self.scene_camera().project(world, viewport_px)
    }

    /// World height visible at `distance` from the eye.
    fn visible_height(&self, distance: f32) -> f32 {
        2.0 * distance * (self.fov_y_rad * 0.5).tan()
    }

    fn clamped(&self, pose: OrbitPose) -> OrbitPose {
        let limits = self.limits;
        let max_pitch = limits.max_pitch_rad.min(89.9_f32.to_radians());
        let finite_or = |x: f32, fallback: f32| if x.is_finite() { x } else { fallback };
        OrbitPose {
            target: if pose.target.is_finite() {
                pose.target
            } else {
                self.goal.target
            },
            yaw_rad: finite_or(pose.yaw_rad, self.goal.yaw_rad),
            pitch_rad: finite_or(pose.pitch_rad, self.goal.pitch_rad).clamp(-max_pitch, max_pitch),
            distance: finite_or(pose.distance, self.goal.distance)
                .clamp(limits.min_distance, limits.max_distance),
        }
    }
}

fn eye_of(pose: &OrbitPose) -> Vec3 {
    let (sin_yaw, cos_yaw) = pose.yaw_rad.sin_cos();
    let (sin_pitch, cos_pitch) = pose.pitch_rad.sin_cos();
    pose.target + pose.distance * Vec3::new(cos_pitch * sin_yaw, sin_pitch, cos_pitch * cos_yaw)
}

/// The camera's right and up directions in world space.
fn right_up(pose: &OrbitPose) -> (Vec3, Vec3) {
    let forward = (pose.target - eye_of(pose)).normalize();
    let right = forward.cross(Vec3::Y).normalize();
    (right, right.cross(forward))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIEWPORT: Vec2 = Vec2::new(200.0, 100.0);

    fn settled(camera: &mut OrbitCamera) {
        for _ in 0..10_000 {
            if !camera.update(1.0 / 60.0) {
                return;
            }
        }
        panic!("the camera never settled");
    }

    #[test]
    fn the_target_projects_to_the_viewport_center() {
        for orthographic in [false, true] {
            let camera = OrbitCamera {
                orthographic,
                ..OrbitCamera::default()
            };
            let px = camera.project(camera.pose().target, VIEWPORT).unwrap();
            assert!((px - VIEWPORT * 0.5).length() < 1e-3, "{px}");
        }
    }

    #[test]
    fn known_points_project_where_the_geometry_says() {
        // Looking from +Z at the origin from distance 4 with a 90 degree field of view: the
        // visible half-height at the target is 4, so (0, 2, 0) is halfway up.
        let mut camera = OrbitCamera::new(OrbitPose {
            target: Vec3::ZERO,
            yaw_rad: 0.0,
            pitch_rad: 0.0,
            distance: 4.0,
        });
        camera.fov_y_rad = 90.0_f32.to_radians();
        let up = camera.project(Vec3::new(0.0, 2.0, 0.0), VIEWPORT).unwrap();
        assert!((up - Vec2::new(100.0, 25.0)).length() < 1e-3, "{up}");
        // x spans the same world width per pixel (square pixels): 2 units right = 25 px.
        let right = camera.project(Vec3::new(2.0, 0.0, 0.0), VIEWPORT).unwrap();
        assert!((right - Vec2::new(125.0, 50.0)).length() < 1e-3, "{right}");
        // Perspective: the same offset twice as far away moves half as far on screen.
        let far = camera.project(Vec3::new(0.0, 2.0, -4.0), VIEWPORT).unwrap();
        assert!((far - Vec2::new(100.0, 37.5)).length() < 1e-3, "{far}");
        // Orthographic: depth does not matter.
        camera.orthographic = true;
        let far = camera.project(Vec3::new(0.0, 2.0, -4.0), VIEWPORT).unwrap();
        assert!((far - Vec2::new(100.0, 25.0)).length() < 1e-3, "{far}");
    }

    #[test]
    fn points_behind_the_camera_do_not_project() {
        let camera = OrbitCamera::new(OrbitPose {
            target: Vec3::ZERO,
            yaw_rad: 0.0,
            pitch_rad: 0.0,
            distance: 4.0,
        });
        assert!(camera.project(Vec3::new(0.0, 0.0, 5.0), VIEWPORT).is_none());
        assert!(camera.project(Vec3::new(0.0, 0.0, 3.0), VIEWPORT).is_some());
    }

    #[test]
    fn pitch_stops_short_of_the_poles_without_nan() {
        let mut camera = OrbitCamera::default();
        camera.drag_rotate(Vec2::new(0.0, 1e6));
        settled(&mut camera);
        assert!(camera.pose().pitch_rad <= 89.0_f32.to_radians() + 1e-6);
        camera.rotate_keys(0.0, -1e5);
        settled(&mut camera);
        assert!(camera.pose().pitch_rad >= -89.0_f32.to_radians() - 1e-6);
        // Straight up or down the view stays finite.
        let matrix = camera.clip_from_world(2.0);
        assert!(matrix.is_finite(), "{matrix}");
        assert!(
            camera
                .project(Vec3::new(0.3, 0.2, 0.1), VIEWPORT)
                .unwrap()
                .is_finite()
        );
        camera.drag_rotate(Vec2::new(f32::NAN, f32::INFINITY));
        camera.zoom(f32::NAN);
        camera.drag_pan(Vec2::new(f32::NAN, 1.0), VIEWPORT);
        assert!(camera.clip_from_world(1.0).is_finite());
    }

    #[test]
    fn zoom_is_clamped_and_stepwise() {
        let mut camera = OrbitCamera::default();
        let start = camera.goal().distance;
        camera.zoom(1.0);
        assert!((camera.goal().distance - start / 1.1).abs() < 1e-5);
        camera.zoom(1000.0);
        assert_eq!(camera.goal().distance, camera.limits.min_distance);
        camera.zoom(-10_000.0);
        assert_eq!(camera.goal().distance, camera.limits.max_distance);
        settled(&mut camera);
        assert!(camera.clip_from_world(1.5).is_finite());
    }

    #[test]
    fn damping_converges_to_the_goal_and_reset_goes_home() {
        let mut camera = OrbitCamera::default();
        let home = camera.pose();
        camera.drag_rotate(Vec2::new(120.0, -40.0));
        camera.drag_pan(Vec2::new(30.0, 10.0), VIEWPORT);
        camera.zoom(3.0);
        let goal = camera.goal();
        assert!(camera.update(1.0 / 60.0), "moving after input");
        let halfway = camera.pose();
        assert_ne!(halfway, home);
        assert_ne!(halfway, goal);
        settled(&mut camera);
        assert_eq!(camera.pose(), goal);
        assert!(!camera.update(1.0 / 60.0));
        camera.reset();
        settled(&mut camera);
        assert_eq!(camera.pose(), home);
        // A huge time step jumps straight there; a NaN one does nothing.
        camera.zoom(2.0);
        camera.update(f32::NAN);
        assert_eq!(camera.pose(), home);
        camera.update(1e9);
        assert_eq!(camera.pose(), camera.goal());
    }

    #[test]
    fn panning_moves_the_target_with_the_cursor() {
        let mut camera = OrbitCamera::new(OrbitPose {
            target: Vec3::ZERO,
            yaw_rad: 0.0,
            pitch_rad: 0.0,
            distance: 4.0,
        });
        camera.damping_per_sec = f32::INFINITY;
        let before = camera.project(Vec3::ZERO, VIEWPORT).unwrap();
        camera.drag_pan(Vec2::new(10.0, -5.0), VIEWPORT);
        camera.update(0.0);
        let after = camera.project(Vec3::ZERO, VIEWPORT).unwrap();
        assert!(
            (after - before - Vec2::new(10.0, -5.0)).length() < 1e-2,
            "{before} -> {after}"
        );
    }

    #[test]
    fn framing_fits_the_box() {
        let camera = OrbitCamera::framing(Vec3::splat(-10.0), Vec3::splat(10.0));
        for corner in [
            Vec3::splat(-10.0),
            Vec3::splat(10.0),
            Vec3::new(10.0, -10.0, 10.0),
        ] {
            let px = camera.project(corner, Vec2::splat(100.0)).unwrap();
            assert!(
                px.min_element() > 0.0 && px.max_element() < 100.0,
                "{corner} -> {px}"
            );
        }
    }
}
