//! Geometry of the feature-space views, computed exactly from the numbers:
//! - [`clip_plane_to_box`]: the polygon where the plane `n · a + d = 0` cuts an axis-aligned
//!   box (the separating plane `w2 · a + b2 = 0` inside the cube of hidden activations);
//! - [`clip_line_to_rect`]: the same in 2D (the separating line for two hidden neurons);
//! - [`pca3`]: the top principal axes of a point cloud (Jacobi eigen-decomposition of the
//!   covariance), for feature spaces with more than three dimensions.

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

/// Principal axes of `points` (each of dimension `dim`, row after row in `data`).
#[derive(Clone, Debug, PartialEq)]
pub struct Pca {
    /// The mean point.
    pub mean: Vec<f32>,
    /// Up to three unit axes, largest variance first (each of length `dim`).
    pub axes: Vec<Vec<f32>>,
    /// The variance along each axis.
    pub variances: Vec<f32>,
    /// Total variance of the cloud (the sum over all dimensions).
    pub total_variance: f32,
}

impl Pca {
    /// Coordinates of `point` along the axes.
    pub fn project(&self, point: &[f32]) -> [f32; 3] {
        let mut out = [0.0; 3];
        for (o, axis) in out.iter_mut().zip(&self.axes) {
            *o = axis
                .iter()
                .zip(point)
                .zip(&self.mean)
                .map(|((a, p), m)| a * (p - m))
                .sum();
        }
        out
    }
}

/// The top three principal axes of the rows of `data` (`dim` values each). Signs are fixed so
/// each axis's largest component is positive, so the view does not flip between snapshots.
pub fn pca3(data: &[f32], dim: usize) -> Pca {
    let n = data.len().checked_div(dim).unwrap_or(0);
    let mut mean = vec![0.0f64; dim];
    for row in data.chunks_exact(dim.max(1)).take(n) {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += f64::from(v);
        }
    }
    for m in &mut mean {
        *m /= n.max(1) as f64;
    }
    let mut cov = vec![0.0f64; dim * dim];
    for row in data.chunks_exact(dim.max(1)).take(n) {
        for i in 0..dim {
            let di = f64::from(row[i]) - mean[i];
            for j in i..dim {
                cov[i * dim + j] += di * (f64::from(row[j]) - mean[j]);
            }
        }
    }
    for i in 0..dim {
        for j in i..dim {
            let v = cov[i * dim + j] / n.max(1) as f64;
            cov[i * dim + j] = v;
            cov[j * dim + i] = v;
        }
    }
    let total_variance = (0..dim).map(|i| cov[i * dim + i]).sum::<f64>() as f32;
    let (values, vectors) = jacobi_eigen(cov, dim);
    let mut order: Vec<usize> = (0..dim).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let mut axes = Vec::new();
    let mut variances = Vec::new();
    for &k in order.iter().take(3) {
        let mut axis: Vec<f32> = (0..dim).map(|i| vectors[i * dim + k] as f32).collect();
        let biggest = axis
            .iter()
            .copied()
            .fold(0.0f32, |m, v| if v.abs() > m.abs() { v } else { m });
        if biggest < 0.0 {
            axis.iter_mut().for_each(|v| *v = -*v);
        }
        axes.push(axis);
        variances.push(values[k].max(0.0) as f32);
    }
    Pca {
        mean: mean.into_iter().map(|m| m as f32).collect(),
        axes,
        variances,
        total_variance,
    }
}

/// Eigenvalues and eigenvectors (columns of the returned row-major matrix) of the symmetric
/// `dim x dim` matrix `a`, by cyclic Jacobi rotations.
fn jacobi_eigen(mut a: Vec<f64>, dim: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0; dim * dim];
    for i in 0..dim {
        v[i * dim + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..dim)
            .flat_map(|i| (0..dim).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * dim + j] * a[i * dim + j])
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..dim {
            for q in p + 1..dim {
                let apq = a[p * dim + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * dim + q] - a[p * dim + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..dim {
                    let (akp, akq) = (a[k * dim + p], a[k * dim + q]);
                    a[k * dim + p] = c * akp - s * akq;
                    a[k * dim + q] = s * akp + c * akq;
                }
                for k in 0..dim {
                    let (apk, aqk) = (a[p * dim + k], a[q * dim + k]);
                    a[p * dim + k] = c * apk - s * aqk;
                    a[q * dim + k] = s * apk + c * aqk;
                }
                for k in 0..dim {
                    let (vkp, vkq) = (v[k * dim + p], v[k * dim + q]);
                    v[k * dim + p] = c * vkp - s * vkq;
                    v[k * dim + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..dim).map(|i| a[i * dim + i]).collect(), v)
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

    #[test]
    fn pca_finds_the_axes_of_a_stretched_cloud() {
        // Points on a line along (1, 2, 0, 0)/sqrt(5), with a little spread along the 4th axis.
        let mut data = Vec::new();
        for i in 0..50 {
            let t = i as f32 / 10.0 - 2.5;
            let e = if i % 2 == 0 { 0.1 } else { -0.1 };
            data.extend_from_slice(&[t, 2.0 * t, 1.0, e]);
        }
        let pca = pca3(&data, 4);
        let s5 = 5f32.sqrt();
        let a0 = &pca.axes[0];
        assert!(
            (a0[0] - 1.0 / s5).abs() < 1e-4 && (a0[1] - 2.0 / s5).abs() < 1e-4,
            "{a0:?}"
        );
        assert!((pca.axes[1][3].abs() - 1.0).abs() < 1e-4);
        assert!(pca.variances[0] > pca.variances[1] && pca.variances[1] >= pca.variances[2]);
        let explained: f32 = pca.variances.iter().sum();
        assert!((explained - pca.total_variance).abs() < 1e-3);
        // Projection of the mean is the origin.
        let p = pca.project(&pca.mean);
        assert!(p.iter().all(|v| v.abs() < 1e-6));
    }
}
