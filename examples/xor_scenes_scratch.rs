use glam::{Vec2, Vec3};
use netviz::labs::xor::scenes::*;
use netviz::labs::xor::session::{XorSession, XorSettings};
use netviz::render::target::COLOR_FORMAT;
use netviz::render::*;

fn main() {
    let ctx = GpuContext::headless().unwrap();
    let mut r = SceneRenderer::new(&ctx.device, COLOR_FORMAT, 4);
    let hidden: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(3);
    let mut s = XorSession::new(XorSettings {
        hidden,
        max_epochs: 30_000,
        ..XorSettings::default()
    })
    .unwrap();
    while s.advance() {}
    let snap = s.snapshot();
    println!("loss {} epoch {}", snap.loss, snap.epoch);
    let tex = SceneTexture::new(&ctx.device, 640, 480, 4);
    let cam2 = |min: [f32; 2], max: [f32; 2]| {
        Camera2d::new(Vec2::from(min), Vec2::from(max))
            .keeping_aspect()
            .scene_camera()
    };
    let (lo, hi) = snap.data.extent;
    let (flo, fhi) = snap.feature_box;
    let orbit = OrbitCamera::framing(Vec3::from(flo), Vec3::from(fhi));
    let scenes = vec![
        (
            "input",
            input_space(&snap, cam2([lo - 0.2, lo - 0.2], [hi + 0.1, hi + 0.1])),
        ),
        (
            "feature",
            feature_space(
                &snap,
                &FeatureMotion::at(&snap),
                if hidden >= 3 {
                    orbit.scene_camera()
                } else {
                    cam2([flo[0] - 0.2, flo[1] - 0.2], [fhi[0] + 0.1, fhi[1] + 0.1])
                },
                true,
            ),
        ),
        (
            "loss",
            loss_surface(
                &snap,
                OrbitCamera::framing(Vec3::splat(-4.0), Vec3::splat(4.0)).scene_camera(),
            ),
        ),
        (
            "network",
            network(&snap, Some(1), cam2(NETWORK_EXTENT.0, NETWORK_EXTENT.1)),
        ),
    ];
    for (name, scene) in scenes {
        r.render(&ctx.device, &ctx.queue, &tex, &scene).unwrap();
        let img = tex.read_rgba(&ctx.device, &ctx.queue).unwrap();
        img.save_png(format!("/tmp/xor_{name}.png")).unwrap();
    }
}
