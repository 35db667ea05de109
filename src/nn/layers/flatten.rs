//! PLACEHOLDER: replaced by the real layer.
use crate::nn::error::Result;
use crate::nn::layers::{Layer, LayerKind};
use crate::nn::tensor::Tensor;

/// Placeholder.
#[derive(Clone, Debug)]
pub struct Flatten;

impl Layer for Flatten {
    fn kind(&self) -> LayerKind {
        LayerKind::Flatten
    }
    fn output_shape(&self, _input: &[usize]) -> Result<Vec<usize>> {
        todo!()
    }
    fn forward(&mut self, _x: &Tensor, _y: &mut Tensor) -> Result<()> {
        todo!()
    }
    fn backward(&mut self, _x: &Tensor, _y: &Tensor, _dy: &Tensor, _dx: &mut Tensor, _need_dx: bool) -> Result<()> {
        todo!()
    }
    fn box_clone(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}
