//! The filter pass: one convolution filter sliding across the chosen image step by step
//! (stride and padding respected). For the current step it shows the input window, the
//! pixel values under it and the filter's weights printed on top, the sum of their products
//! plus the bias, and the output feature map filled in up to this step.

use crate::labs::mnist::analysis::{ConvFilters, Probe};
use crate::labs::mnist::scenes::{BACKGROUND, TEXT, WEIGHT_COLORMAP};
use crate::nn::config::{LayerConfig, ModelConfig};
use glam::Vec2;

use crate::labs::longest_fitting;
use crate::render::labels::estimated_text_size;
use crate::render::scene::LabelRole;
use crate::render::scene::color_from_rgba8;
use crate::render::{
    Anchor, Colormap, Image, Label, Line, Mesh, Scene, SceneCamera, colormap_rgba,
};

/// One output channel of one convolution applied to one image.
#[derive(Clone, Debug, PartialEq)]
pub struct FilterPass {
    /// Index of the convolution layer in the model.
    pub layer: usize,
    /// The output channel (filter) shown.
    pub out: usize,
    /// Input channels (C).
    pub in_channels: usize,
    /// Input side (H = W).
    pub in_side: usize,
    /// Kernel side (K).
    pub kernel: usize,
    /// Stride (S).
    pub stride: usize,
    /// Zero padding (P).
    pub padding: usize,
    /// Output side.
    pub out_side: usize,
    /// The convolution's input, `[C, H, W]`.
    pub input: Vec<f32>,
    /// The filter's weights, `[C, K, K]`.
    pub weights: Vec<f32>,
    /// The filter's bias.
    pub bias: f32,
    /// Every output value, row-major (what the steps add up to).
    pub outputs: Vec<f32>,
}

impl FilterPass {
    /// The pass of filter `out` of the first convolution in `filters` over `probe`'s image, or
    /// `None` when the model has no convolution or the shapes do not fit.
    pub fn first_conv(
        config: &ModelConfig,
        probe: &Probe,
        filters: &[ConvFilters],
        out: usize,
    ) -> Option<Self> {
        let f = filters.first()?;
        let LayerConfig::Conv {
            stride, padding, ..
        } = config.layers.get(f.layer)?
        else {
            return None;
        };
        let input = probe.layers.get(f.layer)?;
        let &[c, h, w] = input.shape.as_slice() else {
            return None;
        };
        if c != f.in_channels || h != w || out >= f.out_channels {
            return None;
        }
        let kk = f.kernel * f.kernel;
        let mut pass = FilterPass {
            layer: f.layer,
            out,
            in_channels: c,
            in_side: h,
            kernel: f.kernel,
            stride: *stride,
            padding: *padding,
            out_side: (h + 2 * padding).checked_sub(f.kernel)? / stride + 1,
            input: input.values.clone(),
            weights: f.weights[out * c * kk..(out + 1) * c * kk].to_vec(),
            bias: f.bias.get(out).copied().unwrap_or(0.0),
            outputs: Vec::new(),
        };
        pass.outputs = (0..pass.steps()).map(|s| pass.sum_at(s)).collect();
        Some(pass)
    }

    /// Steps in the pass: one per output value.
    pub fn steps(&self) -> usize {
        self.out_side * self.out_side
    }

    /// Top-left input coordinates `(row, col)` of the window at `step` (negative inside the
    /// padding).
    pub fn window(&self, step: usize) -> (isize, isize) {
        let (r, c) = (step / self.out_side.max(1), step % self.out_side.max(1));
        let p = self.padding as isize;
        (
            (r * self.stride) as isize - p,
            (c * self.stride) as isize - p,
        )
    }

    /// The `K x K` input values of channel `channel` under the window at `step` (0 in the
    /// padding).
    pub fn patch(&self, step: usize, channel: usize) -> Vec<f32> {
        let (r0, c0) = self.window(step);
        let n = self.in_side as isize;
        let mut out = Vec::with_capacity(self.kernel * self.kernel);
        for i in 0..self.kernel as isize {
            for j in 0..self.kernel as isize {
                let (r, c) = (r0 + i, c0 + j);
                out.push(if (0..n).contains(&r) && (0..n).contains(&c) {
                    self.input[channel * self.in_side * self.in_side + (r * n + c) as usize]
                } else {
                    0.0
                });
            }
        }
        out
    }

    /// The filter's weights for input channel `channel`, `K x K`.
    pub fn kernel_of(&self, channel: usize) -> &[f32] {
        let kk = self.kernel * self.kernel;
        &self.weights[channel * kk..(channel + 1) * kk]
    }

    /// `bias + sum over channels and window of weight x input`: the output value at `step`.
    fn sum_at(&self, step: usize) -> f32 {
        let mut sum = self.bias;
        for ch in 0..self.in_channels {
            let patch = self.patch(step, ch);
            sum += patch
                .iter()
                .zip(self.kernel_of(ch))
                .map(|(x, w)| x * w)
                .sum::<f32>();
        }
        sum
    }

    /// The largest absolute output (at least a tiny positive number).
    pub fn max_abs_output(&self) -> f32 {
        self.outputs.iter().fold(1e-6f32, |m, v| m.max(v.abs()))
    }

    /// What the scene of [`filter_pass_scene`] shows at world point `world` at `step`: an
    /// input pixel's value (and the product with its weight when the window covers it), a
    /// weight (and its product with the input under it), or an output value; `None`
    /// elsewhere.
    pub fn describe_at(&self, world: [f32; 2], step: usize) -> Option<String> {
        let step = step.min(self.steps().checked_sub(1)?);
        let (x, row) = (world[0], -world[1]);
        if row < 0.0 {
            return None;
        }
        let row = row as usize;
        let (r0, c0) = self.window(step);
        let in_window = |r: usize, c: usize| {
            let (i, j) = (r as isize - r0, c as isize - c0);
            let k = self.kernel as isize;
            ((0..k).contains(&i) && (0..k).contains(&j)).then_some((i as usize, j as usize))
        };
        let kk = self.kernel;
        if (0.0..self.in_side as f32).contains(&x) && row < self.in_side {
            let col = x as usize;
            let v = self.input[row * self.in_side + col];
            let mut text = format!("input row {row}, column {col}: {v:.4}");
            if let Some((i, j)) = in_window(row, col) {
                let w = self.kernel_of(0)[i * kk + j];
                text.push_str(&format!("\nx weight {w:.4} = {:.4}", v * w));
            }
            return Some(text);
        }
        let kx = self.kernel_x();
        if (kx..kx + kk as f32).contains(&x) && row < kk {
            let j = (x - kx) as usize;
            let w = self.kernel_of(0)[row * kk + j];
            let v = self.patch(step, 0)[row * kk + j];
            return Some(format!(
                "weight row {row}, column {j}: {w:.4}\nx input {v:.4} = {:.4}",
                v * w
            ));
        }
        let ox = self.output_x();
        if (ox..ox + self.out_side as f32).contains(&x) && row < self.out_side {
            let col = (x - ox) as usize;
            let s = row * self.out_side + col;
            return Some(if s <= step {
                format!("output row {row}, column {col}: {:.4}", self.outputs[s])
            } else {
                format!("output row {row}, column {col}: not computed yet")
            });
        }
        None
    }

    /// Left edge of the kernel in the scene.
    pub fn kernel_x(&self) -> f32 {
        self.in_side as f32 + 2.0
    }

    /// Left edge of the output map in the scene.
    pub fn output_x(&self) -> f32 {
        self.kernel_x() + self.kernel as f32 + 2.0
    }
}

fn text(pos: [f32; 2], text: String, size_px: f32, anchor: Anchor, role: LabelRole) -> Label {
    Label {
        pos: [pos[0], pos[1], 0.0],
        text,
        color: TEXT,
        size_px,
        anchor,
        role,
    }
}

fn outline(scene: &mut Scene, min: [f32; 2], max: [f32; 2], color: [f32; 4]) {
    let corners = [
        [min[0], min[1], 0.0],
        [max[0], min[1], 0.0],
        [max[0], max[1], 0.0],
        [min[0], max[1], 0.0],
        [min[0], min[1], 0.0],
    ];
    scene.lines.extend(Line::polyline(&corners, color, 2.0));
}

/// Size of the numbers printed in cells when they fit, in points.
const VALUE_PT: f32 = 10.0;
/// Smallest size numbers are printed at, in points: below it they are left out (hovering a
/// cell tells its value, see [`FilterPass::describe_at`]).
const MIN_VALUE_PT: f32 = 6.0;
/// Size of the title and the sum, in points.
const TEXT_PT: f32 = 12.0;

/// The size that makes every two-decimal value of `values` fit a cell of `cell_pt` points
/// (at most [`VALUE_PT`]), or `None` when that is below [`MIN_VALUE_PT`].
pub fn value_size(values: &[f32], cell_pt: f32) -> Option<f32> {
    let widest = values
        .iter()
        .map(|v| estimated_text_size(&format!("{v:.2}"), 100.0))
        .fold(Vec2::ZERO, Vec2::max)
        / 100.0;
    // Leave a tenth of the cell free, and the pixel the estimate adds.
    let size = (cell_pt * 0.9 - 1.0) / widest.x.max(1e-3);
    let size = size.min((cell_pt - 1.0) / widest.y.max(1e-3)).min(VALUE_PT);
    (size >= MIN_VALUE_PT).then_some(size)
}

/// The pass at `step` with every number at full size (see [`filter_pass_scene_fitted`]).
pub fn filter_pass_scene(pass: &FilterPass, step: usize, camera: SceneCamera) -> Scene {
    filter_pass_scene_fitted(pass, step, camera, f32::INFINITY)
}

/// The pass at `step`: the input (channel 0, grayscale, one world unit per pixel, row 0 at
/// the top at y = 0) with the window outlined and its values printed; the kernel (diverging)
/// with its weights; the title above and the sum below the input; and the output map filled
/// in up to `step` (quads colored through [`WEIGHT_COLORMAP`] over the outputs' largest
/// absolute value). `unit_pt` is the size of a world unit (a cell) on screen in points: the
/// numbers are drawn at the size that fits a cell ([`value_size`]) or left out, and the
/// title and sum in the longest wording that fits the picture's width.
pub fn filter_pass_scene_fitted(
    pass: &FilterPass,
    step: usize,
    camera: SceneCamera,
    unit_pt: f32,
) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let step = step.min(pass.steps().saturating_sub(1));
    let (n, k) = (pass.in_side as f32, pass.kernel as f32);
    let channel0 = pass.input[..pass.in_side * pass.in_side].to_vec();
    let hi = channel0.iter().copied().fold(1e-6f32, f32::max);
    scene.images.push(
        Image::in_rect(
            [0.0, -n],
            [n, 0.0],
            0.0,
            pass.in_side as u32,
            pass.in_side as u32,
            channel0,
        )
        .with_colormap(Colormap::Grayscale, (0.0, hi)),
    );
    let m = pass
        .kernel_of(0)
        .iter()
        .fold(1e-6f32, |a, w| a.max(w.abs()));
    let kx = pass.kernel_x();
    scene.images.push(
        Image::in_rect(
            [kx, -k],
            [kx + k, 0.0],
            0.0,
            pass.kernel as u32,
            pass.kernel as u32,
            pass.kernel_of(0).to_vec(),
        )
        .with_colormap(WEIGHT_COLORMAP, (-m, m)),
    );
    let (r0, c0) = pass.window(step);
    let (wx, wy) = (c0 as f32, -(r0 as f32));
    let red = [1.0, 0.3, 0.25, 1.0];
    outline(&mut scene, [wx, wy - k], [wx + k, wy], red);
    let patch = pass.patch(step, 0);
    let kernel = pass.kernel_of(0);
    let numbers = value_size(&[patch.as_slice(), kernel].concat(), unit_pt);
    if let Some(size) = numbers {
        for i in 0..pass.kernel {
            for j in 0..pass.kernel {
                let (x, y) = (j as f32 + 0.5, -(i as f32) - 0.5);
                let at = i * pass.kernel + j;
                for (pos, v) in [([wx + x, wy + y], patch[at]), ([kx + x, y], kernel[at])] {
                    scene.labels.push(text(
                        pos,
                        format!("{v:.2}"),
                        size,
                        Anchor::Center,
                        LabelRole::Value,
                    ));
                }
            }
        }
    }
    let width_pt = (pass.output_x() + pass.out_side as f32) * unit_pt;
    let value = pass.outputs[step];
    let channels = if pass.in_channels > 1 {
        format!(" over {} channels", pass.in_channels)
    } else {
        String::new()
    };
    let hint = if numbers.is_none() {
        "; hover a cell for its value"
    } else {
        ""
    };
    let sums = [
        format!(
            "sum w*x{channels} + b ({:.3}) = {value:.3}{hint}",
            pass.bias
        ),
        format!("sum w*x{channels} + b ({:.3}) = {value:.3}", pass.bias),
        format!("output = {value:.3}"),
    ];
    if let Some(sum) = longest_fitting(&sums, TEXT_PT, width_pt) {
        scene.labels.push(text(
            [0.0, -n - 0.5],
            sum.to_string(),
            TEXT_PT,
            Anchor::TopLeft,
            LabelRole::Data,
        ));
    }
    let titles = [
        format!(
            "layer {} filter {}: step {} of {}, stride {}, padding {}",
            pass.layer,
            pass.out,
            step + 1,
            pass.steps(),
            pass.stride,
            pass.padding
        ),
        format!("filter {}: step {} of {}", pass.out, step + 1, pass.steps()),
        format!("step {}", step + 1),
    ];
    if let Some(title) = longest_fitting(&titles, TEXT_PT, width_pt) {
        scene.labels.push(text(
            [0.0, 0.6],
            title.to_string(),
            TEXT_PT,
            Anchor::BottomLeft,
            LabelRole::Title,
        ));
    }
    let ox = pass.output_x();
    let range = (-pass.max_abs_output(), pass.max_abs_output());
    let mut mesh = Mesh::default();
    for (s, v) in pass.outputs.iter().enumerate().take(step + 1) {
        let (r, c) = ((s / pass.out_side) as f32, (s % pass.out_side) as f32);
        let rgba = colormap_rgba(WEIGHT_COLORMAP, range, *v);
        mesh.push_rect(
            [ox + c, -r - 1.0],
            [ox + c + 1.0, -r],
            0.0,
            color_from_rgba8(rgba),
        );
    }
    scene.meshes.push(mesh);
    let os = pass.out_side as f32;
    outline(&mut scene, [ox, -os], [ox + os, 0.0], [0.5, 0.5, 0.55, 1.0]);
    let (r, c) = ((step / pass.out_side) as f32, (step % pass.out_side) as f32);
    outline(&mut scene, [ox + c, -r - 1.0], [ox + c + 1.0, -r], red);
    scene
}
