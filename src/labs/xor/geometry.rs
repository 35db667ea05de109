//! Geometry of the feature-space views, computed exactly from the numbers:
//! - [`clip_plane_to_box`]: the polygon where the plane `n · a + d = 0` cuts an axis-aligned
//!   box (the separating plane `w2 · a + b2 = 0` inside the cube of hidden activations);
//! - [`clip_line_to_rect`]: the same in 2D (the separating line for two hidden neurons);
//!
//! (Feature spaces wider than three dimensions are projected with [`crate::labs::pca`].)

/// Corners of the polygon where the plane `normal · p + offset = 0` meets the box
/// `[lo, hi]^3`, in order around the polygon; empty if they do not meet (or the normal is 0).
pub fn clip_plane_to_box(
    normal: [f32; 3],
    offset: f32,
    lo: [f32; 3],
    hi: [f32; 3],
) -> Vec<[f32; 3]> {
    let n = normal.map(f64::from);
    let d = f64::from(offset);
    let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    if len < 1e-12 {
        return Vec::new();
    }
    let corner = |i: usize| -> [f64; 3] {
        std::array::from_fn(|k| f64::from(if i >> k & 1 == 1 { hi[k] } else { lo[k] }))
    };
    let side = |p: [f64; 3]| n[0] * p[0] + n[1] * p[1] + n[2] * p[2] + d;
    let mut pts: Vec<[f64; 3]> = Vec::new();
    // The 12 edges: pairs of corners differing in one axis.
    for i in 0..8usize {
        for k in 0..3 {
            if i >> k & 1 == 1 {
                continue;
            }
            let (a, b) = (corner(i), corner(i | 1 << k));
            let (sa, sb) = (side(a), side(b));
            if sa == 0.0 {
                pts.push(a);
            }
            if (sa < 0.0 && sb > 0.0) || (sa > 0.0 && sb < 0.0) {
                let t = sa / (sa - sb);
                pts.push(std::array::from_fn(|j| a[j] + t * (b[j] - a[j])));
            }
            if sb == 0.0 && i | 1 << k == 7 {
                pts.push(b);
            }
        }
    }
    // Drop duplicates (a plane through a corner meets three edges there).
    let mut unique: Vec<[f64; 3]> = Vec::new();
    for p in pts {
        if !unique
            .iter()
            .any(|q| (0..3).all(|j| (p[j] - q[j]).abs() < 1e-9))
        {
            unique.push(p);
        }
    }
    if unique.len() < 3 {
        return Vec::new();
    }
    // Order by angle around the centroid, in a basis of the plane.
    let c: [f64; 3] =
        std::array::from_fn(|j| unique.iter().map(|p| p[j]).sum::<f64>() / unique.len() as f64);
    let nn = n.map(|v| v / len);
    let helper = if nn[0].abs() < 0.9 {
        [1.0, 0.0, 0.0]
    } else {
        [0.0, 1.0, 0.0]
    };
    let u = normalize(cross(nn, helper));
    let v = cross(nn, u);
    let angle = |p: &[f64; 3]| {
        let r: [f64; 3] = std::array::from_fn(|j| p[j] - c[j]);
        dot(r, v).atan2(dot(r, u))
    };
    unique.sort_by(|a, b| angle(a).total_cmp(&angle(b)));
    unique.into_iter().map(|p| p.map(|x| x as f32)).collect()
}

/// The segment where the line `normal · p + offset = 0` crosses the rectangle `[lo, hi]^2`.
pub fn clip_line_to_rect(
    normal: [f32; 2],
    offset: f32,
    lo: [f32; 2],
    hi: [f32; 2],
) -> Option<([f32; 2], [f32; 2])> {
    let corners = [
        [lo[0], lo[1]],
        [hi[0], lo[1]],
        [hi[0], hi[1]],
        [lo[0], hi[1]],
    ];
    let side = |p: [f32; 2]| {
        f64::from(normal[0]) * f64::from(p[0])
            + f64::from(normal[1]) * f64::from(p[1])
            + f64::from(offset)
    };
    let mut pts: Vec<[f32; 2]> = Vec::new();
    for i in 0..4 {
        let (a, b) = (corners[i], corners[(i + 1) % 4]);
        let (sa, sb) = (side(a), side(b));
        if sa == 0.0 {
            pts.push(a);
        } else if (sa < 0.0 && sb > 0.0) || (sa > 0.0 && sb < 0.0) {
            let t = (sa / (sa - sb)) as f32;
            pts.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
        }
    }
    pts.dedup_by(|a, b| (a[0] - b[0]).abs() < 1e-7 && (a[1] - b[1]).abs() < 1e-7);
    match pts.as_slice() {
        [a, b, ..] if a != b => Some((*a, *b)),
        _ => None,
    }
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn normalize(a: [f64; 3]) -> [f64; 3] {
    let l = dot(a, a).sqrt().max(1e-300);
    a.map(|x| x / l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diagonal_plane_cuts_the_unit_cube_in_a_hexagon() {
        // x + y + z = 1.5 meets the unit cube in a regular hexagon.
        let poly = clip_plane_to_box([1.0, 1.0, 1.0], -1.5, [0.0; 3], [1.0; 3]);
        assert_eq!(poly.len(), 6);
        for p in &poly {
            assert!((p.iter().sum::<f32>() - 1.5).abs() < 1e-6);
            assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
        }
        // Consecutive corners are adjacent: all six sides have the same length.
        let side =
            |a: [f32; 3], b: [f32; 3]| (0..3).map(|k| (a[k] - b[k]).powi(2)).sum::<f32>().sqrt();
        for i in 0..6 {
            assert!((side(poly[i], poly[(i + 1) % 6]) - side(poly[0], poly[1])).abs() < 1e-5);
        }
    }

    #[test]
    fn an_axis_plane_gives_a_square_and_a_missing_plane_nothing() {
        let poly = clip_plane_to_box([0.0, 0.0, 2.0], -1.0, [0.0; 3], [1.0; 3]);
        assert_eq!(poly.len(), 4);
        assert!(poly.iter().all(|p| (p[2] - 0.5).abs() < 1e-6));
        assert!(clip_plane_to_box([1.0, 0.0, 0.0], -5.0, [0.0; 3], [1.0; 3]).is_empty());
        assert!(clip_plane_to_box([0.0; 3], 1.0, [0.0; 3], [1.0; 3]).is_empty());
    }

    #[test]
    fn lines_clip_to_the_square() {
        let (a, b) = clip_line_to_rect([1.0, 1.0], -1.0, [0.0, 0.0], [1.0, 1.0]).unwrap();
        let mut ends = [a, b];
        ends.sort_by(|p, q| p[0].total_cmp(&q[0]));
        assert_eq!(ends, [[0.0, 1.0], [1.0, 0.0]]);
        assert!(clip_line_to_rect([1.0, 0.0], -3.0, [0.0, 0.0], [1.0, 1.0]).is_none());
    }
}
