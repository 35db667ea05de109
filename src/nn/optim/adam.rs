//! PLACEHOLDER
use crate::nn::layers::Param;
use crate::nn::optim::Optimizer;
/// Placeholder.
#[derive(Clone, Debug, Default)]
pub struct AdamConfig { pub lr: f32 }
/// Placeholder.
#[derive(Debug)]
pub struct Adam;
impl Adam { pub fn new(_c: AdamConfig) -> Self { Adam } }
impl Optimizer for Adam {
    fn name(&self) -> &'static str { "adam" }
    fn learning_rate(&self) -> f32 { todo!() }
    fn set_learning_rate(&mut self, _lr: f32) { todo!() }
    fn begin_step(&mut self) { todo!() }
    fn update(&mut self, _index: usize, _param: &mut Param) { todo!() }
}
