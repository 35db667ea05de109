//! Layers: each file holds one layer with its forward and backward side by side.
//!
//! Shape legend used in every file: N batch, C channels, H height, W width, F features,
//! K kernel size, S stride, P padding. A layer works on whole batches, batch first.
//!
//! Contract shared by all layers (see [`Layer`]):
//! - `forward(x, y)` writes `y = f(x)`, resizing `y`, and caches exactly what `backward` needs
//!   that is not `x` or `y` themselves (the im2col matrix of a convolution, the argmax of a
//!   pooling window).
//! - `backward(x, y, dy, dx)` receives the `x` and `y` of the latest forward and `dy = dL/dy`;
//!   it adds (`+=`) the parameter gradients into [`Param::grad`] and, when asked, writes
//!   `dx = dL/dx` (overwriting, resizing).
//! - Parameter gradients accumulate until [`Layer::zero_grad`].

mod conv2d;
mod dense;
mod flatten;
mod maxpool2d;
mod relu;
mod sigmoid;
mod softmax;
mod tanh;

pub use conv2d::Conv2d;
pub use dense::Dense;
pub use flatten::Flatten;
pub use maxpool2d::MaxPool2d;
pub use relu::Relu;
pub use sigmoid::Sigmoid;
pub use softmax::Softmax;
pub use tanh::Tanh;

use crate::nn::error::Result;
use crate::nn::tensor::Tensor;

/// The backward pass of an element-wise activation whose derivative is a function of its
/// output: checks the shapes (naming `op`) and, if `need_dx`, writes `dx = dy * f'(y)` with
/// `f'(y) = derivative(y)`.
pub(crate) fn elementwise_backward_from_output(
    op: &'static str,
    x: &Tensor,
    y: &Tensor,
    dy: &Tensor,
    dx: &mut Tensor,
    need_dx: bool,
    derivative: impl Fn(f32) -> f32,
) -> Result<()> {
    if dy.shape() != y.shape() || y.shape() != x.shape() {
        return Err(crate::nn::error::NnError::shape(
            op,
            format!(
                "dy {}, output {} and input {} must agree",
                dy.shape_str(),
                y.shape_str(),
                x.shape_str()
            ),
        ));
    }
    if need_dx {
        dx.resize(y.shape());
        for ((g, &d), &yi) in dx.data_mut().iter_mut().zip(dy.data()).zip(y.data()) {
            *g = d * derivative(yi);
        }
    }
    Ok(())
}

/// A trainable tensor and its accumulated gradient.
#[derive(Clone, Debug)]
pub struct Param {
    /// "weight" or "bias": the last part of the file name `layers.{i}.{name}`.
    pub name: &'static str,
    /// The values, in PyTorch's layout (conv `[out, in, kh, kw]`, dense `[out, in]`).
    pub value: Tensor,
    /// dL/dvalue, same shape, accumulated by `backward`.
    pub grad: Tensor,
}

impl Param {
    /// A parameter with the given values and a zero gradient.
    pub fn new(name: &'static str, value: Tensor) -> Self {
        let grad = Tensor::zeros(value.shape());
        Param { name, value, grad }
    }
}

/// Which layer a boxed [`Layer`] is, for code that must treat some kinds specially
/// (the fused softmax + cross-entropy backward, visualisations, model files).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerKind {
    /// [`Dense`]
    Dense,
    /// [`Conv2d`]
    Conv2d,
    /// [`MaxPool2d`]
    MaxPool2d,
    /// [`Flatten`]
    Flatten,
    /// [`Relu`]
    Relu,
    /// [`Sigmoid`]
    Sigmoid,
    /// [`Tanh`]
    Tanh,
    /// [`Softmax`]
    Softmax,
}

impl LayerKind {
    /// The op name used in messages and configs ("conv2d", "relu", ...).
    pub fn name(self) -> &'static str {
        match self {
            LayerKind::Dense => "dense",
            LayerKind::Conv2d => "conv2d",
            LayerKind::MaxPool2d => "maxpool2d",
            LayerKind::Flatten => "flatten",
            LayerKind::Relu => "relu",
            LayerKind::Sigmoid => "sigmoid",
            LayerKind::Tanh => "tanh",
            LayerKind::Softmax => "softmax",
        }
    }
}

/// One differentiable stage of a [`crate::nn::Sequential`] model.
pub trait Layer: Send + std::fmt::Debug {
    /// Which layer this is.
    fn kind(&self) -> LayerKind;

    /// Shape of one output sample for one input sample of shape `input` (no batch dimension),
    /// or an error naming the op and both shapes.
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>>;

    /// `y = f(x)` for a batch `x`; resizes `y`.
    fn forward(&mut self, x: &Tensor, y: &mut Tensor) -> Result<()>;

    /// Accumulates parameter gradients from `dy` and, if `need_dx`, writes `dx`.
    /// `x` and `y` are the input and output of the latest `forward`.
    fn backward(
        &mut self,
        x: &Tensor,
        y: &Tensor,
        dy: &Tensor,
        dx: &mut Tensor,
        need_dx: bool,
    ) -> Result<()>;

    /// The trainable parameters, weight first.
    fn params(&self) -> &[Param] {
        &[]
    }

    /// The trainable parameters, mutable.
    fn params_mut(&mut self) -> &mut [Param] {
        &mut []
    }

    /// Sets every parameter gradient to zero.
    fn zero_grad(&mut self) {
        for p in self.params_mut() {
            p.grad.fill(0.0);
        }
    }

    /// A copy of this layer behind a new box (weights included, caches empty or copied).
    fn box_clone(&self) -> Box<dyn Layer>;
}

impl Clone for Box<dyn Layer> {
    fn clone(&self) -> Self {
        self.box_clone()
    }
}
