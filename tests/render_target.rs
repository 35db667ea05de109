//! Offscreen targets and the renderer's contract: readback without skew at odd widths,
//! resizing (to zero too), MSAA, buffer reuse, labels, and errors instead of panics.

mod render_support;

use glam::{Vec2, Vec3};
use netviz::render::scene::color_to_rgba8;
use netviz::render::target::{COLOR_FORMAT, padded_bytes_per_row, sample_count_for};
use netviz::render::{
    Camera2d, Colormap, GpuContext, Image, Label, Mesh, MeshVertex, OrbitCamera, Point, PointStyle,
    RenderError, Scene, SceneRenderer, SceneTexture, colormap_rgba, project_labels,
};
use render_support::{ctx, maybe_save, render, render_with_samples};

/// A grayscale value that lands exactly in LUT bin `level` over the range 0..1.
fn level_value(level: u32) -> f32 {
    (level as f32 + 0.5) / 256.0
}

#[test]
fn odd_widths_read_back_without_skew() {
    for (width, height) in [(333, 101), (1, 7), (65, 3)] {
        assert!(padded_bytes_per_row(width).is_multiple_of(256));
        // One texel per pixel, each with its own gray level.
        let level = |x: u32, y: u32| (x * 7 + y * 13) % 256;
        let values = (0..height)
            .flat_map(|y| (0..width).map(move |x| level_value(level(x, y))))
            .collect();
        let mut scene = Scene::new(
            Camera2d::new(Vec2::ZERO, Vec2::new(width as f32, height as f32)).scene_camera(),
        );
        scene.images.push(
            Image::in_rect(
                [0.0, 0.0],
                [width as f32, height as f32],
                0.0,
                width,
                height,
                values,
            )
            .with_colormap(Colormap::Grayscale, (0.0, 1.0)),
        );
        let image = render(&scene, width, height);
        maybe_save(&image, &format!("odd_{width}x{height}"));
        assert_eq!((image.width, image.height), (width, height));
        assert_eq!(image.pixels.len(), (width * height * 4) as usize);
        for y in 0..height {
            for x in 0..width {
                let l = level(x, y) as u8;
                assert_eq!(
                    image.pixel(x, y),
                    [l, l, l, 255],
                    "pixel ({x}, {y}) of {width}x{height}"
                );
            }
        }
    }
}

#[test]
fn resizing_to_zero_gives_a_one_pixel_target_and_never_panics() {
    let ctx = ctx();
    let mut target = SceneTexture::new(&ctx.device, 0, 0, 1);
    assert_eq!((target.width(), target.height()), (1, 1));
    assert!(target.resize(&ctx.device, 40, 30));
    assert_eq!(target.generation(), 1);
    assert!(
        !target.resize(&ctx.device, 40, 30),
        "same size: nothing to do"
    );
    assert!(target.resize(&ctx.device, 0, 0));
    assert_eq!((target.width(), target.height()), (1, 1));
    assert!(!target.resize(&ctx.device, 0, 1), "still 1x1");
    let mut renderer = SceneRenderer::new(&ctx.device, COLOR_FORMAT, 1);
    let scene = Scene {
        background: [1.0, 0.0, 0.0, 1.0],
        ..Scene::default()
    };
    renderer
        .render(&ctx.device, &ctx.queue, &target, &scene)
        .unwrap();
    let image = target.read_rgba(ctx).unwrap();
    assert_eq!(image.pixels, vec![255, 0, 0, 255]);
}

#[test]
fn msaa_resolves_interiors_to_the_exact_color_and_smooths_edges() {
    let ctx = ctx();
    let samples = sample_count_for(ctx, COLOR_FORMAT, 4);
    assert_eq!(
        samples,
        4,
        "lavapipe supports 4x MSAA on {}",
        ctx.adapter_summary()
    );
    let color = [0.25, 0.5, 0.75, 1.0];
    let mut scene = Scene::new(Camera2d::new(Vec2::ZERO, Vec2::splat(32.0)).scene_camera());
    scene.background = [0.0, 0.0, 0.0, 1.0];
    // A triangle with a slanted edge: MSAA gives its edge pixels in-between values.
    scene.meshes.push(Mesh {
        vertices: [[2.0, 2.0], [30.0, 2.0], [2.0, 30.0]]
            .map(|[x, y]| MeshVertex {
                pos: [x, y, 0.0],
                color,
            })
            .to_vec(),
        indices: vec![0, 1, 2],
        wireframe: false,
    });
    let image = render_with_samples(&scene, 32, 32, samples);
    maybe_save(&image, "msaa");
    assert_eq!(image.pixel(8, 24), color_to_rgba8(color), "interior");
    let partial = image
        .pixels
        .chunks(4)
        .filter(|p| p[2] > 0 && p[2] < color_to_rgba8(color)[2])
        .count();
    assert!(
        partial >= 20,
        "only {partial} partially covered pixels along the edge"
    );
}

#[test]
fn buffers_are_reused_until_the_scene_grows() {
    let ctx = ctx();
    let mut renderer = SceneRenderer::new(&ctx.device, COLOR_FORMAT, 1);
    let target = SceneTexture::new(&ctx.device, 16, 16, 1);
    let scene_of = |n: usize| {
        let mut scene = Scene {
            points: (0..n)
                .map(|i| Point {
                    pos: [i as f32 / n as f32, 0.0, 0.0],
                    color: [1.0; 4],
                    radius_px: 2.0,
                    style: PointStyle::Disc,
                })
                .collect(),
            ..Scene::default()
        };
        scene.images.push(Image::in_rect(
            [0.0, 0.0],
            [1.0, 1.0],
            0.0,
            3,
            2,
            vec![0.5; 6],
        ));
        scene
    };
    let mut render = |scene: &Scene| {
        renderer
            .render(&ctx.device, &ctx.queue, &target, scene)
            .unwrap();
        renderer.gpu_allocations()
    };
    let first = render(&scene_of(100));
    assert_eq!(
        render(&scene_of(100)),
        first,
        "same scene: nothing reallocated"
    );
    assert_eq!(
        render(&scene_of(10)),
        first,
        "smaller scene: nothing reallocated"
    );
    assert!(render(&scene_of(100_000)) > first, "a bigger scene regrows");
    let grown = render(&scene_of(100_000));
    assert_eq!(render(&scene_of(50_000)), grown);
}

#[test]
fn labels_project_to_the_points_the_camera_predicts() {
    let camera = OrbitCamera::default();
    let viewport = Vec2::new(120.0, 80.0);
    let mut scene = Scene::new(camera.scene_camera());
    let label = |pos: Vec3, text: &str| Label {
        pos: pos.into(),
        text: text.into(),
        color: [1.0; 4],
        size_px: 12.0,
        anchor: Default::default(),
        role: Default::default(),
    };
    scene.labels.push(label(Vec3::new(0.5, 0.2, 0.1), "near"));
    scene.labels.push(label(Vec3::new(-0.5, 0.0, -1.0), "far"));
    let behind = camera.eye() * 2.0;
    scene.labels.push(label(behind, "behind"));
    let placed = project_labels(&scene, viewport);
    let texts: Vec<&str> = placed.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        texts,
        vec!["far", "near"],
        "farthest first, the one behind left out"
    );
    let expected = camera.project(Vec3::new(0.5, 0.2, 0.1), viewport).unwrap();
    assert!((placed[1].pos_px - expected).length() < 1e-4);
}

#[test]
fn malformed_scenes_and_mismatched_targets_are_errors() {
    let ctx = ctx();
    let mut renderer = SceneRenderer::new(&ctx.device, COLOR_FORMAT, 1);
    let target = SceneTexture::new(&ctx.device, 8, 8, 1);
    let mut scene = Scene::default();
    scene.meshes.push(Mesh {
        vertices: vec![MeshVertex {
            pos: [0.0; 3],
            color: [1.0; 4],
        }],
        indices: vec![0, 0, 3],
        wireframe: false,
    });
    let err = renderer
        .render(&ctx.device, &ctx.queue, &target, &scene)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid scene: mesh 0: index 3 is out of range for 1 vertices"
    );
    let mut scene = Scene::default();
    scene
        .images
        .push(Image::in_rect([0.0; 2], [1.0; 2], 0.0, 4, 3, vec![0.0; 11]));
    let err = renderer
        .render(&ctx.device, &ctx.queue, &target, &scene)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("a 4x3 image needs 12 values, got 11"),
        "{err}"
    );
    let msaa_target = SceneTexture::new(&ctx.device, 8, 8, 4);
    let err = renderer
        .render(&ctx.device, &ctx.queue, &msaa_target, &Scene::default())
        .unwrap_err();
    assert!(matches!(err, RenderError::TargetMismatch { .. }), "{err}");
}

#[test]
fn no_adapter_is_an_error_that_says_what_to_install() {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::empty(),
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let err = GpuContext::from_instance(instance, None).unwrap_err();
    assert!(matches!(err, RenderError::NoAdapter { .. }));
    assert!(
        err.to_string().starts_with(
            "no GPU adapter found; on Linux install a Vulkan driver, e.g. Debian's mesa-vulkan-drivers"
        ),
        "{err}"
    );
}

#[test]
fn pngs_round_trip_through_the_png_crate() {
    let colors = [0.0, 0.5, 1.0].map(|v| colormap_rgba(Colormap::Viridis, (0.0, 1.0), v));
    let image = netviz::render::RgbaImage {
        width: 3,
        height: 1,
        pixels: colors.concat(),
    };
    let path = std::env::temp_dir().join(format!("netviz-render-{}.png", std::process::id()));
    image.save_png(&path).unwrap();
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buffer).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!((info.width, info.height), (3, 1));
    assert_eq!(&buffer[..info.buffer_size()], image.pixels.as_slice());
    // A file where its folder should be.
    let blocked = path.with_extension("file").join("x.png");
    std::fs::write(path.with_extension("file"), b"a file").unwrap();
    let err = image.save_png(&blocked).unwrap_err();
    std::fs::remove_file(path.with_extension("file")).unwrap();
    assert!(
        err.to_string().contains(&blocked.display().to_string()),
        "{err}"
    );
}

/// Whole sample scenes with every primitive, in the app's MSAA mode: they draw something and
/// (with `NETVIZ_SAVE_TEST_PNGS=1`) land under `target/render-tests/` to be looked at.
#[test]
fn sample_scenes_render_with_msaa() {
    let samples = sample_count_for(ctx(), COLOR_FORMAT, 4);
    for (name, scene) in [("scatter_3d", scatter_3d()), ("heatmaps_2d", heatmaps_2d())] {
        let image = render_with_samples(&scene, 480, 320, samples);
        maybe_save(&image, name);
        let background = color_to_rgba8(scene.background);
        let drawn = image.pixels.chunks(4).filter(|p| *p != background).count();
        assert!(drawn > 480 * 320 / 10, "{name}: only {drawn} pixels drawn");
    }
}

/// Two clusters of spheres split by a translucent plane, a loss-surface mesh with wireframe,
/// a trajectory and axes.
fn scatter_3d() -> Scene {
    let camera = OrbitCamera::framing(Vec3::splat(-1.0), Vec3::splat(1.0));
    let mut scene = Scene::new(camera.scene_camera());
    netviz::render::Axes::new(Vec3::splat(-1.0), Vec3::splat(1.0)).add_to(&mut scene);
    let mut seed = 7u32;
    let mut rand = move || {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
    };
    for i in 0..400 {
        let side = if i % 2 == 0 { 0.5 } else { -0.5 };
        scene.points.push(Point {
            pos: [side + 0.5 * rand(), 0.6 * rand(), side + 0.5 * rand()],
            color: if side > 0.0 {
                [0.95, 0.55, 0.2, 1.0]
            } else {
                [0.3, 0.6, 0.95, 1.0]
            },
            radius_px: 4.0,
            style: PointStyle::Sphere,
        });
    }
    // The separating plane x + z = 0, translucent.
    let plane_color = [0.9, 0.9, 0.9, 0.25];
    scene.meshes.push(Mesh {
        vertices: [
            [-1.0, -1.0, 1.0],
            [1.0, -1.0, -1.0],
            [1.0, 1.0, -1.0],
            [-1.0, 1.0, 1.0],
        ]
        .map(|pos| MeshVertex {
            pos,
            color: plane_color,
        })
        .to_vec(),
        indices: vec![0, 1, 2, 0, 2, 3],
        wireframe: true,
    });
    // A loss surface below, colored by height through viridis.
    let n = 24;
    let mut surface = Mesh {
        wireframe: true,
        ..Mesh::default()
    };
    for j in 0..=n {
        for i in 0..=n {
            let (x, z) = (
                i as f32 / n as f32 * 2.0 - 1.0,
                j as f32 / n as f32 * 2.0 - 1.0,
            );
            let h = 0.3 * (x * x + 0.5 * z * z) + 0.05 * (6.0 * x).sin();
            let c = colormap_rgba(Colormap::Viridis, (-0.05, 0.5), h).map(|b| b as f32 / 255.0);
            surface.vertices.push(MeshVertex {
                pos: [x, -1.0 + h, z],
                color: [c[0], c[1], c[2], 0.85],
            });
        }
    }
    for j in 0..n {
        for i in 0..n {
            let k = (j * (n + 1) + i) as u32;
            let row = (n + 1) as u32;
            surface
                .indices
                .extend([k, k + 1, k + row + 1, k, k + row + 1, k + row]);
        }
    }
    scene.meshes.push(surface);
    let path: Vec<[f32; 3]> = (0..40)
        .map(|i| {
            let t = i as f32 / 39.0;
            let x = 0.9 * (1.0 - t) * (3.0 * t).cos();
            let z = 0.9 * (1.0 - t) * (3.0 * t).sin();
            [
                x,
                -1.0 + 0.3 * (x * x + 0.5 * z * z) + 0.05 * (6.0 * x).sin() + 0.02,
                z,
            ]
        })
        .collect();
    scene.lines.extend(netviz::render::Line::polyline(
        &path,
        [1.0, 0.3, 0.3, 1.0],
        3.0,
    ));
    scene
}

/// A row of images with the three colormaps, a 2D scatter of discs and a polyline.
fn heatmaps_2d() -> Scene {
    let mut scene = Scene::new(
        Camera2d::new(Vec2::new(-0.2, -0.2), Vec2::new(3.2, 2.2))
            .keeping_aspect()
            .scene_camera(),
    );
    let (w, h) = (28, 28);
    let digit: Vec<f32> = (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f32 - 13.5, (i / w) as f32 - 13.5);
            let r = (x * x + y * y).sqrt();
            (1.0 - (r - 8.0).abs() / 3.0).max(0.0)
        })
        .collect();
    let weights: Vec<f32> = (0..8 * 8)
        .map(|i| ((i * 37 % 17) as f32 - 8.0) / 8.0)
        .collect();
    scene.images.push(
        Image::in_rect(
            [0.0, 1.1],
            [0.9, 2.0],
            0.0,
            w as u32,
            h as u32,
            digit.clone(),
        )
        .with_colormap(Colormap::Grayscale, (0.0, 1.0)),
    );
    scene.images.push(
        Image::in_rect([1.05, 1.1], [1.95, 2.0], 0.0, 8, 8, weights)
            .with_colormap(Colormap::Diverging { center: 0.0 }, (-1.0, 1.0)),
    );
    scene.images.push(Image::in_rect(
        [2.1, 1.1],
        [3.0, 2.0],
        0.0,
        w as u32,
        h as u32,
        digit,
    ));
    for i in 0..200 {
        let t = i as f32 / 200.0 * std::f32::consts::TAU * 2.0;
        let r = 0.1 + 0.35 * i as f32 / 200.0;
        scene.points.push(Point {
            pos: [1.5 + r * t.cos(), 0.5 + r * t.sin(), 0.1],
            color: [
                0.2 + 0.8 * (i % 2) as f32,
                0.7,
                1.0 - 0.8 * (i % 2) as f32,
                1.0,
            ],
            radius_px: 3.0,
            style: PointStyle::Disc,
        });
    }
    let curve: Vec<[f32; 3]> = (0..60)
        .map(|i| {
            let x = i as f32 / 59.0 * 3.0;
            [x, 0.5 + 0.4 * (x * 3.0).sin() * (-x * 0.5).exp(), 0.2]
        })
        .collect();
    scene.lines.extend(netviz::render::Line::polyline(
        &curve,
        [1.0, 0.8, 0.2, 1.0],
        2.0,
    ));
    netviz::render::Axes::new(Vec3::ZERO, Vec3::new(3.0, 1.0, 0.0)).add_to(&mut scene);
    scene
}
