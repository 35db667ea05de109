//! Principal component analysis for the labs' 3D projections of wide layers (the XOR lab's
//! hidden layer beyond three neurons, the MNIST lab's penultimate layer): the top three axes
//! of a cloud of points, by Jacobi's eigenvalue method on the covariance matrix.

/// Principal axes of `points` (each of dimension `dim`, row after row in `data`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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
