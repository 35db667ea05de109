//! The function the gallery's optimizer descends: Himmelblau's,
//! `f(x, y) = (x² + y − 11)² + (x + y² − 7)²`, with four minima where `f = 0`, shown on
//! `[-5, 5]²` as `ln(1 + f)` (0 to about 6.8), and the two-parameter Adam that descends it.

/// The landscape is shown on `[-LANDSCAPE_HALF, LANDSCAPE_HALF]²`.
pub const LANDSCAPE_HALF: f32 = 5.0;
/// The range of `ln(1 + f)` mapped onto the colormap.
pub const LANDSCAPE_RANGE: (f32, f32) = (0.0, 7.0);
/// The four minima of [`himmelblau`] (all with value 0).
pub const MINIMA: [[f32; 2]; 4] = [
    [3.0, 2.0],
    [-2.805_118, 3.131_312],
    [-3.779_31, -3.283_186],
    [3.584_428, -1.848_126],
];

/// Himmelblau's function.
pub fn himmelblau(x: f32, y: f32) -> f32 {
    (x * x + y - 11.0).powi(2) + (x + y * y - 7.0).powi(2)
}

/// The gradient of [`himmelblau`].
pub fn himmelblau_grad(x: f32, y: f32) -> [f32; 2] {
    let a = x * x + y - 11.0;
    let b = x + y * y - 7.0;
    [4.0 * a * x + 2.0 * b, 2.0 * a + 4.0 * b * y]
}

/// The value the landscape views show at `(x, y)`: `ln(1 + f)`.
pub fn landscape_value(x: f32, y: f32) -> f32 {
    himmelblau(x, y).ln_1p()
}

/// The center of cell `(column, row)` of an `cells x cells` grid over the landscape, row 0 at
/// the top (largest y).
pub fn cell_center(column: u32, row: u32, cells: u32) -> [f32; 2] {
    let side = 2.0 * LANDSCAPE_HALF / cells as f32;
    [
        -LANDSCAPE_HALF + (column as f32 + 0.5) * side,
        LANDSCAPE_HALF - (row as f32 + 0.5) * side,
    ]
}

/// `cells x cells` landscape values sampled at cell centers, row-major, row 0 at the top.
pub fn landscape_grid(cells: u32) -> Vec<f32> {
    (0..cells)
        .flat_map(|row| (0..cells).map(move |column| (column, row)))
        .map(|(column, row)| {
            let [x, y] = cell_center(column, row, cells);
            landscape_value(x, y)
        })
        .collect()
}

/// Adam on two parameters (lr 0.05, betas 0.9 / 0.999).
#[derive(Clone, Debug)]
pub(crate) struct Adam2d {
    pos: [f32; 2],
    m: [f32; 2],
    v: [f32; 2],
    t: i32,
    last_grad_norm: f32,
}

impl Adam2d {
    const LR: f32 = 0.05;
    const BETA1: f32 = 0.9;
    const BETA2: f32 = 0.999;

    pub(crate) fn new(start: [f32; 2]) -> Self {
        Self {
            pos: start,
            m: [0.0; 2],
            v: [0.0; 2],
            t: 0,
            last_grad_norm: f32::INFINITY,
        }
    }

    /// Settled: the gradient is tiny after some steps.
    pub(crate) fn settled(&self) -> bool {
        self.t > 20 && self.last_grad_norm < 1e-2
    }

    pub(crate) fn step(&mut self) -> [f32; 2] {
        let grad = himmelblau_grad(self.pos[0], self.pos[1]);
        self.last_grad_norm = grad[0].hypot(grad[1]);
        self.t += 1;
        let (c1, c2) = (
            1.0 - Self::BETA1.powi(self.t),
            1.0 - Self::BETA2.powi(self.t),
        );
        for (i, g) in grad.into_iter().enumerate() {
            self.m[i] = Self::BETA1 * self.m[i] + (1.0 - Self::BETA1) * g;
            self.v[i] = Self::BETA2 * self.v[i] + (1.0 - Self::BETA2) * g * g;
            let step = Self::LR * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + 1e-8);
            self.pos[i] = (self.pos[i] - step).clamp(-LANDSCAPE_HALF, LANDSCAPE_HALF);
        }
        self.pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        for &(x, y) in &[(0.5_f32, -1.0_f32), (-3.0, 2.0), (2.5, 2.5)] {
            let h = 1e-3;
            let dx = (himmelblau(x + h, y) - himmelblau(x - h, y)) / (2.0 * h);
            let dy = (himmelblau(x, y + h) - himmelblau(x, y - h)) / (2.0 * h);
            let [gx, gy] = himmelblau_grad(x, y);
            assert!((gx - dx).abs() < 0.05 * dx.abs().max(1.0), "{gx} vs {dx}");
            assert!((gy - dy).abs() < 0.05 * dy.abs().max(1.0), "{gy} vs {dy}");
        }
    }

    #[test]
    fn the_minima_are_minima() {
        for [x, y] in MINIMA {
            assert!(
                himmelblau(x, y) < 1e-6,
                "f({x}, {y}) = {}",
                himmelblau(x, y)
            );
        }
    }

    #[test]
    fn landscape_grid_is_row_major_from_the_top() {
        let grid = landscape_grid(4);
        assert_eq!(grid.len(), 16);
        assert_eq!(cell_center(0, 0, 4), [-3.75, 3.75]);
        assert_eq!(grid[1], landscape_value(-1.25, 3.75));
    }
}
