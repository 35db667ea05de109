//! The attention lab: a small decoder-only transformer trained live from scratch on a task
//! that needs attention, its heads watched as they form, tied to every prediction.
//!
//! - `session`: the model side (training on the task, held-out scores, what each head is
//!   worth, the filmstrip), pure and tested without a GPU; `views`: the numbers each view
//!   shows (jumps of accuracy, the 3D projection, one head's computation);
//! - `scenes`: a trace of the probe to plain render scenes; `lab`: the
//!   [`Lab`](crate::ui::Lab) the shell hosts.

pub mod lab;
pub mod scenes;
pub mod session;
pub mod views;

pub use lab::{AttentionLab, AttentionLabOptions, Panel, ViewState};
pub use session::{AttentionCommand, AttentionSession, AttentionSettings, AttentionSnapshot};
