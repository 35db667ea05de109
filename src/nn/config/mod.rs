//! Model configs: the JSON files that describe a network and how to train it, and the model
//! they build. Three stages, one file each:
//!
//! - schema (`schema.rs`): the serde types ([`ModelConfig`], [`LayerConfig`],
//!   [`InputSpec`]), parsing with messages that name the layer and field, writing back.
//!   Parsing only checks what the types need (an integer where one is expected, no unknown
//!   keys); every value rule is the next stage's.
//! - validation (`validate.rs`): [`ModelConfig::validate`] checks every setting once (sizes,
//!   ratios, the learning rate), then builds the layers to learn the shapes, and checks that
//!   the output is `(num_classes)`. Parsing runs it, so a parsed config is a valid one.
//! - building (`build.rs`): each [`LayerConfig`] becomes its layer for the shape the previous
//!   layer outputs, and the layer itself says what shape it outputs
//!   ([`Layer::output_shape`](crate::nn::Layer::output_shape)): no shape formula lives here.
//!   [`ModelConfig::build`] then draws the initial weights and returns a
//!   [`Sequential`](crate::nn::Sequential).
//!
//! The schema is the original project's, plus optional keys:
//!
//! ```json
//! {"epochs":10,"patience":2,"batch_size":32,"validation_subset_ratio":0.5,
//!  "percent_of_train_data_to_use":0.2,"percent_train_data_to_use_for_validation":0.2,
//!  "num_classes":10,"input_size":14,"in_channels":1,"model_output_filename":"mnist_cnn",
//!  "layers":[{"type":"conv","out_channels":8,"filter_size":3,"stride":1,"padding":0},
//!            {"type":"relu"},{"type":"maxpool","filter_size":2,"stride":2}, ...,
//!            {"type":"flatten"},{"type":"dense","out_features":10},{"type":"softmax"}],
//!  "optimizer":"adam","learning_rate":0.01,"seed":42,"init":"xavier_uniform"}
//! ```
//!
//! - Input: images `(in_channels, input_size, input_size)` (`in_channels` defaults to 1), or
//!   flat vectors of `input_features` values (for MLPs such as XOR). Exactly one of
//!   `input_size` and `input_features` must be given.
//! - Layer types: `conv` (`out_channels`, `filter_size`, `stride` = 1, `padding` = 0),
//!   `maxpool` (`filter_size`, `stride` = `filter_size`), `dense` (`out_features`), `flatten`,
//!   `relu`, `sigmoid`, `tanh`, `softmax`. Square kernels; a conv's input channels and a
//!   dense layer's input features come from the previous layer's output.
//! - Optional keys: `optimizer` (`"adam"` | `"sgd"`, default adam), `learning_rate` (default
//!   0.01), `seed` (default 42), `init` (`xavier_uniform` (default), `xavier_normal`,
//!   `he_normal`, `he_uniform`, `standard_normal`).
//!
//! Every error names what is at fault: the key, or the layer as `layer 3 (conv): ...` with
//! the shapes involved.

mod build;
mod schema;
mod validate;

pub use crate::nn::tensor::MAX_TENSOR_LEN;
pub use schema::{
    DEFAULT_LEARNING_RATE, DEFAULT_SEED, InputSpec, LAYER_TYPES, LayerConfig, ModelConfig,
};
pub use validate::MAX_DIM;
