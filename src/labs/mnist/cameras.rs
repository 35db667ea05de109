//! Where the MNIST lab's scene panels look when they open: each camera framed on what its
//! snapshot holds.

use glam::{Vec2, Vec3};

use crate::labs::mnist::filter_pass::FilterPass;
use crate::labs::mnist::scenes::{activation_layout, filter_layout};
use crate::labs::mnist::snapshot::MnistSnapshot;
use crate::render::camera::OrbitPose;
use crate::render::{Camera2d, OrbitCamera};

fn camera_2d(min: [f32; 2], max: [f32; 2]) -> Camera2d {
    Camera2d::new(
        Vec2::new(min[0] - 0.5, min[1] - 0.5),
        Vec2::new(max[0] + 0.5, max[1] + 0.5),
    )
    .keeping_aspect()
}

/// The camera of the filters panel.
pub fn filters_camera(snap: &MnistSnapshot) -> Camera2d {
    let layout = filter_layout(&snap.filters);
    camera_2d(layout.min, layout.max)
}

/// The camera of the activations panel: framing the layer stack, seen from the front right
/// and a little above so every slab shows beside the one in front of it; orthographic, so
/// the last layers are as large as the first (`o` toggles perspective).
pub fn activations_camera(snap: &MnistSnapshot) -> OrbitCamera {
    let (min, max) = match &snap.probe {
        Some(p) => {
            let layout = activation_layout(p);
            (Vec3::from(layout.min), Vec3::from(layout.max))
        }
        None => (Vec3::splat(-1.0), Vec3::splat(1.0)),
    };
    let mut camera = OrbitCamera::framing(min, max);
    let home = camera.pose();
    camera.set_home(OrbitPose {
        yaw_rad: 0.85,
        pitch_rad: 0.3,
        distance: home.distance * 0.55,
        ..home
    });
    camera.orthographic = true;
    camera
}

/// The camera of the filter-pass panel.
pub fn filter_pass_camera(snap: &MnistSnapshot) -> Camera2d {
    let pass = snap
        .probe
        .as_deref()
        .and_then(|p| FilterPass::first_conv(&snap.config, p, &snap.filters, 0));
    match pass {
        Some(p) => camera_2d(
            [0.0, -(p.in_side as f32) - 2.0],
            [p.output_x() + p.out_side as f32, 1.5],
        ),
        None => camera_2d([0.0, -1.0], [1.0, 0.0]),
    }
}

/// The camera of the embedding panel: framing the ball of radius 1.1 around the origin
/// (the bulk of the cloud fills the unit box, see
/// [`Embedding::scale`](crate::labs::mnist::analysis::Embedding::scale), and the axis names
/// sit at 1.1), so the cloud fills the panel.
pub fn embedding_camera() -> OrbitCamera {
    // `framing` fits the box's bounding sphere, whose radius is sqrt(3) times the half side.
    let half = 1.1 / 3f32.sqrt();
    OrbitCamera::framing(Vec3::splat(-half), Vec3::splat(half))
}
