//! Two-class datasets in the plane (the XOR and forest labs): XOR (the default, the four
//! corners of the unit square), circles, two gaussians, a two-armed spiral and two moons. Every random choice
//! comes from a seed, so the same settings draw the same points.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::nn::init::rng_from_seed;

/// Which dataset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetKind {
    /// The four XOR points `(0,0) (0,1) (1,0) (1,1)` with labels `0 1 1 0`.
    #[default]
    Xor,
    /// A disc of class 1 inside a ring of class 0.
    Circles,
    /// Two gaussian blobs.
    Gaussians,
    /// Two interleaved spiral arms.
    Spiral,
    /// Two interleaved half circles.
    Moons,
}

impl DatasetKind {
    /// Every kind, in menu order.
    pub const ALL: [DatasetKind; 5] = [
        DatasetKind::Xor,
        DatasetKind::Circles,
        DatasetKind::Gaussians,
        DatasetKind::Spiral,
        DatasetKind::Moons,
    ];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            DatasetKind::Xor => "xor",
            DatasetKind::Circles => "circles",
            DatasetKind::Gaussians => "gaussians",
            DatasetKind::Spiral => "spiral",
            DatasetKind::Moons => "moons",
        }
    }
}

/// Points in the plane with a 0/1 label each, and the square region the views show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset2d {
    /// Which generator made it.
    pub kind: DatasetKind,
    /// The points.
    pub points: Vec<[f32; 2]>,
    /// One label per point: 0.0 or 1.0.
    pub labels: Vec<f32>,
    /// The shown region: `(min, max)` on both axes.
    pub extent: (f32, f32),
}

/// Points drawn for the generated (non-XOR) datasets.
pub const DEFAULT_POINTS: usize = 300;

impl Dataset2d {
    /// Draws `kind` with `count` points (ignored for XOR), gaussian `noise` (standard deviation
    /// in the dataset's units; for XOR it jitters copies of the corners) and `seed`.
    pub fn generate(kind: DatasetKind, count: usize, noise: f32, seed: u64) -> Dataset2d {
        let mut rng = rng_from_seed(seed);
        let noise = noise.max(0.0);
        let gauss = |rng: &mut crate::nn::init::NnRng| -> f32 {
            let z: f32 = StandardNormal.sample(rng);
            z * noise
        };
        let (mut points, mut labels) = (Vec::new(), Vec::new());
        let count = count.max(2);
        let extent = match kind {
            DatasetKind::Xor => {
                let copies = if noise > 0.0 { (count / 4).max(1) } else { 1 };
                for _ in 0..copies {
                    for (p, l) in crate::nn::xor::XOR_INPUTS
                        .iter()
                        .zip(crate::nn::xor::XOR_TARGETS)
                    {
                        points.push([p[0] + gauss(&mut rng), p[1] + gauss(&mut rng)]);
                        labels.push(l);
                    }
                }
                (-0.5, 1.5)
            }
            DatasetKind::Circles => {
                for i in 0..count {
                    let inner = i % 2 == 0;
                    let r = if inner {
                        rng.random_range(0.0..0.5f32)
                    } else {
                        rng.random_range(0.75..1.0f32)
                    };
                    let t = rng.random_range(0.0..std::f32::consts::TAU);
                    points.push([r * t.cos() + gauss(&mut rng), r * t.sin() + gauss(&mut rng)]);
                    labels.push(if inner { 1.0 } else { 0.0 });
                }
                (-1.5, 1.5)
            }
            DatasetKind::Gaussians => {
                for i in 0..count {
                    let class = i % 2;
                    let c = if class == 1 { 0.6 } else { -0.6 };
                    let spread = 0.25 + noise;
                    let zx: f32 = StandardNormal.sample(&mut rng);
                    let zy: f32 = StandardNormal.sample(&mut rng);
                    points.push([c + zx * spread, c + zy * spread]);
                    labels.push(class as f32);
                }
                (-1.5, 1.5)
            }
            DatasetKind::Spiral => {
                let per_arm = count / 2;
                for arm in 0..2 {
                    for i in 0..per_arm {
                        let r = i as f32 / per_arm as f32 * 1.2;
                        let t = 1.75 * i as f32 / per_arm as f32 * std::f32::consts::TAU
                            + arm as f32 * std::f32::consts::PI;
                        points.push([r * t.sin() + gauss(&mut rng), r * t.cos() + gauss(&mut rng)]);
                        labels.push(arm as f32);
                    }
                }
                (-1.5, 1.5)
            }
            DatasetKind::Moons => {
                for i in 0..count {
                    let class = i % 2;
                    let t = rng.random_range(0.0..std::f32::consts::PI);
                    let (x, y) = if class == 0 {
                        (t.cos(), t.sin())
                    } else {
                        (1.0 - t.cos(), 0.5 - t.sin())
                    };
                    // Centered on the origin and scaled into [-1.5, 1.5].
                    points.push([
                        (x - 0.5) * 0.9 + gauss(&mut rng),
                        (y - 0.25) * 0.9 + gauss(&mut rng),
                    ]);
                    labels.push(class as f32);
                }
                (-1.5, 1.5)
            }
        };
        Dataset2d {
            kind,
            points,
            labels,
            extent,
        }
    }

    /// The plain four-point XOR dataset.
    pub fn xor() -> Dataset2d {
        Dataset2d::generate(DatasetKind::Xor, 4, 0.0, 0)
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when there are no points.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// A short label for point `i`: `(0,1)` for the XOR corners, `#i` otherwise.
    pub fn point_label(&self, i: usize) -> String {
        let [x, y] = self.points[i];
        if self.kind == DatasetKind::Xor && x.fract() == 0.0 && y.fract() == 0.0 {
            format!("({},{})", x as i32, y as i32)
        } else {
            format!("#{i}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xor_is_the_four_corners() {
        let d = Dataset2d::xor();
        assert_eq!(
            d.points,
            vec![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
        );
        assert_eq!(d.labels, vec![0.0, 1.0, 1.0, 0.0]);
        assert_eq!(d.point_label(1), "(0,1)");
    }

    #[test]
    fn generated_sets_are_balanced_seeded_and_inside_their_extent() {
        for kind in DatasetKind::ALL.into_iter().skip(1) {
            let a = Dataset2d::generate(kind, 300, 0.0, 4);
            assert_eq!(
                a,
                Dataset2d::generate(kind, 300, 0.0, 4),
                "{kind:?} is seeded"
            );
            let (noisy, other) = (
                Dataset2d::generate(kind, 300, 0.05, 4),
                Dataset2d::generate(kind, 300, 0.05, 5),
            );
            assert!(
                noisy.points != other.points,
                "{kind:?}: another seed draws other points"
            );
            let ones = a.labels.iter().filter(|&&l| l == 1.0).count();
            assert_eq!(ones * 2, a.len(), "{kind:?} is balanced");
            let (lo, hi) = a.extent;
            let inside = a
                .points
                .iter()
                .filter(|p| p.iter().all(|v| (lo..hi).contains(v)))
                .count();
            assert!(
                inside as f32 >= 0.97 * a.len() as f32,
                "{kind:?}: {inside} inside"
            );
        }
    }

    #[test]
    fn circles_separate_by_radius() {
        let d = Dataset2d::generate(DatasetKind::Circles, 200, 0.0, 1);
        for (p, &l) in d.points.iter().zip(&d.labels) {
            let r = (p[0] * p[0] + p[1] * p[1]).sqrt();
            assert_eq!(r < 0.6, l == 1.0);
        }
    }
}
