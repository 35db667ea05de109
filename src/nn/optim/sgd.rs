//! PLACEHOLDER
use crate::nn::layers::Param;
use crate::nn::optim::Optimizer;
/// Placeholder.
#[derive(Clone, Debug, Default)]
pub struct SgdConfig { pub lr: f32 }
/// Placeholder.
#[derive(Debug)]
pub struct Sgd;
impl Sgd { pub fn new(_c: SgdConfig) -> Self { Sgd } }
impl Optimizer for Sgd {
    fn name(&self) -> &'static str { "sgd" }
    fn learning_rate(&self) -> f32 { todo!() }
    fn set_learning_rate(&mut self, _lr: f32) { todo!() }
    fn begin_step(&mut self) { todo!() }
    fn update(&mut self, _index: usize, _param: &mut Param) { todo!() }
}
