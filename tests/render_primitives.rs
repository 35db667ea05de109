//! Pixel tests of each primitive from known scenes, in the deterministic mode (no MSAA) on the
//! software driver: positions come from the camera math, colors from the CPU references.

mod render_support;

use glam::{Vec2, Vec3};
use netviz::render::camera::OrbitPose;
use netviz::render::points::sphere_lit_color;
use netviz::render::scene::color_to_rgba8;
use netviz::render::{
    Camera2d, Colormap, Image, Line, Mesh, MeshVertex, OrbitCamera, Point, PointStyle, RgbaImage,
    Scene, colormap_rgba,
};
use render_support::{maybe_save, render};

const BACKGROUND: [f32; 4] = [0.0, 0.0, 0.0, 1.0];
const BACKGROUND_RGBA: [u8; 4] = [0, 0, 0, 255];

fn scene_with(camera: netviz::render::SceneCamera) -> Scene {
    Scene {
        background: BACKGROUND,
        ..Scene::new(camera)
    }
}

/// Pixels equal to `color`.
fn pixels_of(image: &RgbaImage, color: [u8; 4]) -> Vec<(u32, u32)> {
    (0..image.height)
        .flat_map(|y| (0..image.width).map(move |x| (x, y)))
        .filter(|&(x, y)| image.pixel(x, y) == color)
        .collect()
}

fn orbit(orthographic: bool) -> OrbitCamera {
    let mut camera = OrbitCamera::new(OrbitPose {
        target: Vec3::new(0.1, 0.0, 0.0),
        yaw_rad: 0.5,
        pitch_rad: 0.3,
        distance: 3.0,
    });
    camera.orthographic = orthographic;
    camera
}

#[test]
fn a_disc_lands_where_the_camera_projects_it_with_its_exact_color() {
    let (width, height) = (96, 64);
    let viewport = Vec2::new(width as f32, height as f32);
    let color = [0.2, 0.6, 0.4, 1.0];
    for orthographic in [false, true] {
        let camera = orbit(orthographic);
        let pos = Vec3::new(0.3, 0.2, -0.1);
        let mut scene = scene_with(camera.scene_camera());
        scene.points.push(Point {
            pos: pos.into(),
            color,
            radius_px: 5.0,
            style: PointStyle::Disc,
        });
        let image = render(&scene, width, height);
        maybe_save(&image, &format!("disc_ortho_{orthographic}"));
        let expected = camera
            .project(pos, viewport)
            .expect("in front of the camera");
        let (x, y) = (expected.x as u32, expected.y as u32);
        assert_eq!(
            image.pixel(x, y),
            color_to_rgba8(color),
            "center at {expected}"
        );
        // The exactly colored pixels form a disc centered on the projection.
        let covered = pixels_of(&image, color_to_rgba8(color));
        let centroid = covered
            .iter()
            .map(|&(x, y)| Vec2::new(x as f32 + 0.5, y as f32 + 0.5))
            .sum::<Vec2>()
            / covered.len() as f32;
        assert!(
            (centroid - expected).length() < 0.5,
            "{centroid} vs {expected}"
        );
        // Area of a radius-4.5 disc (inside the one-pixel rim ramp) is about 64 pixels.
        assert!(
            (50..=90).contains(&covered.len()),
            "{} pixels",
            covered.len()
        );
        // Well outside the radius: background.
        assert_eq!(image.pixel(x + 8, y), BACKGROUND_RGBA);
        assert_eq!(image.pixel(x - 8, y), BACKGROUND_RGBA);
    }
}

#[test]
fn a_sphere_center_has_its_lit_color() {
    let (width, height) = (64, 64);
    let viewport = Vec2::new(width as f32, height as f32);
    let camera = orbit(false);
    let pos = Vec3::new(-0.2, 0.1, 0.2);
    let color = [0.8, 0.3, 0.1, 1.0];
    let radius_px = 12.0;
    let mut scene = scene_with(camera.scene_camera());
    scene.points.push(Point {
        pos: pos.into(),
        color,
        radius_px,
        style: PointStyle::Sphere,
    });
    let image = render(&scene, width, height);
    maybe_save(&image, "sphere");
    let center = camera.project(pos, viewport).unwrap();
    let (x, y) = (center.x as u32, center.y as u32);
    // The shader sees the 8-bit color; shade where the pixel center sits inside the sphere.
    let quantized = color_to_rgba8(color).map(|c| c as f32 / 255.0);
    let local = Vec2::new(x as f32 + 0.5 - center.x, center.y - (y as f32 + 0.5)) / radius_px;
    let expected = color_to_rgba8(sphere_lit_color(quantized, local));
    let actual = image.pixel(x, y);
    for c in 0..3 {
        assert!(
            (actual[c] as i32 - expected[c] as i32).abs() <= 1,
            "center pixel {actual:?}, expected {expected:?} (within 1)"
        );
    }
    // Lit from the upper left: that side is brighter than the lower right.
    let upper_left = image.pixel(x - 5, y - 5);
    let lower_right = image.pixel(x + 5, y + 5);
    assert!(
        upper_left[0] > lower_right[0],
        "{upper_left:?} vs {lower_right:?}"
    );
}

#[test]
fn points_behind_the_camera_are_not_drawn() {
    let camera = orbit(false);
    let mut scene = scene_with(camera.scene_camera());
    let behind = camera.eye() + (camera.eye() - camera.pose().target);
    scene.points.push(Point {
        pos: behind.into(),
        color: [1.0; 4],
        radius_px: 30.0,
        style: PointStyle::Disc,
    });
    let image = render(&scene, 32, 32);
    assert!(image.pixels.chunks(4).all(|p| p == BACKGROUND_RGBA));
}

#[test]
fn large_point_counts_keep_every_batch_in_place() {
    // Enough points for the parallel upload path; only a few are visible (radius 0 draws
    // nothing), at batch boundaries and in the last, partial batch.
    let (width, height) = (64, 64);
    let visible = [0usize, 1023, 1024, 50_000, 70_000];
    let mut scene = scene_with(pixel_camera(width, height).scene_camera());
    let hidden = Point {
        pos: [32.0, 32.0, 0.0],
        color: [1.0; 4],
        radius_px: 0.0,
        style: PointStyle::Disc,
    };
    scene.points = vec![hidden; 70_001];
    for (k, &i) in visible.iter().enumerate() {
        scene.points[i] = Point {
            pos: [8.0 + 12.0 * k as f32, 20.0, 0.0],
            color: [0.2 * k as f32, 1.0 - 0.2 * k as f32, 0.5, 1.0],
            radius_px: 3.0,
            style: PointStyle::Disc,
        };
    }
    let image = render(&scene, width, height);
    for (k, &i) in visible.iter().enumerate() {
        let color = color_to_rgba8(scene.points[i].color);
        assert_eq!(
            image.pixel(8 + 12 * k as u32, height - 21),
            color,
            "point {i}"
        );
    }
    assert_eq!(
        image.pixel(32, 31),
        BACKGROUND_RGBA,
        "radius 0 draws nothing"
    );
}

/// A camera showing world 0..width x 0..height over a viewport of that many pixels: one world
/// unit per pixel, world y up, so pixel row `j` is centered at world y `height - j - 0.5`.
fn pixel_camera(width: u32, height: u32) -> Camera2d {
    Camera2d::new(Vec2::ZERO, Vec2::new(width as f32, height as f32))
}

fn quad(min: [f32; 2], max: [f32; 2], z: f32, color: [f32; 4]) -> Mesh {
    let vertex = |x, y| MeshVertex {
        pos: [x, y, z],
        color,
    };
    Mesh {
        vertices: vec![
            vertex(min[0], min[1]),
            vertex(max[0], min[1]),
            vertex(max[0], max[1]),
            vertex(min[0], max[1]),
        ],
        indices: vec![0, 1, 2, 0, 2, 3],
        wireframe: false,
    }
}

/// `src` blended over `dst` with straight alpha, as 8-bit values.
fn blend(src: [u8; 4], dst: [u8; 4]) -> [f32; 3] {
    let a = src[3] as f32 / 255.0;
    [0, 1, 2].map(|c| src[c] as f32 * a + dst[c] as f32 * (1.0 - a))
}

fn assert_close(actual: [u8; 4], expected: [f32; 3], what: &str) {
    for c in 0..3 {
        assert!(
            (actual[c] as f32 - expected[c]).abs() <= 1.0,
            "{what}: {actual:?} vs {expected:?}"
        );
    }
}

#[test]
fn a_translucent_plane_covers_its_pixels_and_blends_with_what_is_behind() {
    let (width, height) = (64, 64);
    let red = [0.9, 0.1, 0.1, 1.0];
    let green = [0.1, 0.8, 0.2, 1.0];
    let blue = [0.1, 0.2, 0.9, 0.5];
    let mut scene = scene_with(pixel_camera(width, height).scene_camera());
    // Opaque red behind (left half), translucent blue in the middle, opaque green in front of
    // the blue plane's top-right corner. The blue plane comes first in the list: order must
    // not matter.
    scene
        .meshes
        .push(quad([16.0, 16.0], [48.0, 48.0], 0.5, blue));
    scene.meshes.push(quad([0.0, 0.0], [32.0, 64.0], 0.0, red));
    scene
        .meshes
        .push(quad([40.0, 40.0], [64.0, 64.0], 1.0, green));
    let image = render(&scene, width, height);
    maybe_save(&image, "translucent_plane");
    let [red, green, blue] = [red, green, blue].map(color_to_rgba8);
    for y in 0..height {
        for x in 0..width {
            // Pixel centers in world units (y up).
            let (wx, wy) = (x as f32 + 0.5, height as f32 - y as f32 - 0.5);
            let in_blue = (16.0..48.0).contains(&wx) && (16.0..48.0).contains(&wy);
            let in_green = wx >= 40.0 && wy >= 40.0;
            let behind = if wx < 32.0 { red } else { BACKGROUND_RGBA };
            let actual = image.pixel(x, y);
            let what = format!("pixel ({x}, {y})");
            if in_green {
                assert_eq!(
                    actual, green,
                    "{what}: the opaque plane in front hides the blue"
                );
            } else if in_blue {
                assert_close(actual, blend(blue, behind), &what);
            } else {
                assert_eq!(actual, behind, "{what}: outside the blue plane");
            }
        }
    }
}

#[test]
fn translucent_layers_are_blended_back_to_front_whatever_their_order() {
    let (width, height) = (32, 32);
    let near = [0.9, 0.9, 0.1, 0.5];
    let far = [0.1, 0.3, 0.9, 0.6];
    let mut scene = scene_with(pixel_camera(width, height).scene_camera());
    scene.meshes.push(quad([0.0, 0.0], [32.0, 32.0], 2.0, near));
    scene.meshes.push(quad([0.0, 0.0], [32.0, 32.0], 1.0, far));
    let image = render(&scene, width, height);
    let over_far = blend(color_to_rgba8(far), BACKGROUND_RGBA).map(|c| c.round() as u8);
    let expected = blend(
        color_to_rgba8(near),
        [over_far[0], over_far[1], over_far[2], 255],
    );
    assert_close(
        image.pixel(16, 16),
        expected,
        "near over far over background",
    );
}

#[test]
fn lines_have_their_pixel_width() {
    let (width, height) = (64, 64);
    let white = [1.0, 1.0, 1.0, 1.0];
    for width_px in [1.0, 2.0, 3.0, 5.0] {
        // Odd widths centered on a pixel center, even ones on a pixel edge, so the line's
        // edges fall between pixel centers.
        let center = if width_px % 2.0 == 1.0 { 32.5 } else { 32.0 };
        let mut scene = scene_with(pixel_camera(width, height).scene_camera());
        scene.lines.push(Line {
            a: [8.25, center, 0.0],
            b: [56.0, center, 0.0],
            color: white,
            width_px,
        });
        scene.lines.push(Line {
            a: [center, 8.0, 0.0],
            b: [center, 56.0, 0.0],
            color: white,
            width_px,
        });
        let image = render(&scene, width, height);
        maybe_save(&image, &format!("lines_{width_px}"));
        let lit = |x: u32, y: u32| image.pixel(x, y) == [255, 255, 255, 255];
        let across_horizontal = (0..height).filter(|&y| lit(16, y)).count();
        let across_vertical = (0..width).filter(|&x| lit(x, 16)).count();
        assert_eq!(
            across_horizontal, width_px as usize,
            "horizontal, {width_px} px"
        );
        assert_eq!(
            across_vertical, width_px as usize,
            "vertical, {width_px} px"
        );
        // Square caps: the horizontal line reaches width/2 past its ends (the first pixel
        // whose center lies past 8.25 - width/2).
        let row = height - 33;
        let first = (0..width).find(|&x| lit(x, row)).unwrap();
        let expected = (8.25 - width_px / 2.0 - 0.5_f32).ceil();
        assert_eq!(first as f32, expected, "cap, {width_px} px");
    }
}

#[test]
fn image_texels_have_the_exact_colormap_colors() {
    let (columns, rows) = (7u32, 5u32);
    let cell = 8u32;
    let (width, height) = (columns * cell, rows * cell);
    // Values across and beyond the range, a NaN, and exact bin edges.
    let values: Vec<f32> = (0..columns * rows)
        .map(|i| match i {
            3 => f32::NAN,
            4 => 0.5,
            5 => -1.0,
            6 => 1.0,
            _ => -1.5 + 3.0 * ((i * 37 % 101) as f32 / 100.0),
        })
        .collect();
    let maps = [
        ("viridis", Colormap::Viridis, (-1.0, 1.0)),
        (
            "diverging",
            Colormap::Diverging { center: 0.25 },
            (-1.0, 1.0),
        ),
        ("grayscale_reversed", Colormap::Grayscale, (1.0, -0.5)),
    ];
    for (name, colormap, range) in maps {
        let mut scene = scene_with(pixel_camera(width, height).scene_camera());
        scene.images.push(
            Image::in_rect(
                [0.0, 0.0],
                [width as f32, height as f32],
                0.0,
                columns,
                rows,
                values.clone(),
            )
            .with_colormap(colormap, range),
        );
        let image = render(&scene, width, height);
        maybe_save(&image, &format!("image_{name}"));
        for row in 0..rows {
            for column in 0..columns {
                let value = values[(row * columns + column) as usize];
                let expected = colormap_rgba(colormap, range, value);
                // Every pixel of the cell, not just its center: cells are crisp squares.
                for y in row * cell..(row + 1) * cell {
                    for x in column * cell..(column + 1) * cell {
                        assert_eq!(
                            image.pixel(x, y),
                            expected,
                            "{colormap:?}: cell ({column}, {row}) = {value}, pixel ({x}, {y})"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn mesh_wireframes_draw_each_edge() {
    let (width, height) = (32, 32);
    let mut scene = scene_with(pixel_camera(width, height).scene_camera());
    let mut mesh = quad([4.5, 4.5], [27.5, 27.5], 0.0, [0.0, 1.0, 0.0, 0.0]);
    mesh.wireframe = true;
    scene.meshes.push(mesh);
    let image = render(&scene, width, height);
    maybe_save(&image, "wireframe");
    let green = [0, 255, 0, 255];
    // Fully transparent faces are skipped; the four sides and the diagonal are 1 px lines.
    assert_eq!(image.pixel(4, 16), green, "left edge");
    assert_eq!(image.pixel(27, 16), green, "right edge");
    assert_eq!(image.pixel(16, 4), green, "top edge");
    assert_eq!(image.pixel(16, 27), green, "bottom edge");
    assert_eq!(image.pixel(16, 15), green, "diagonal");
    assert_eq!(image.pixel(10, 14), BACKGROUND_RGBA, "face interior");
}
