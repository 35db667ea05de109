//! [`ExportJob`]: File > Export GIF in the window without stopping it. Each window frame
//! renders one more recorded moment offscreen (the panels keep showing what the user chose,
//! training goes on), the status bar counts the frames, and the GIF is encoded on its own
//! thread once every frame is in; the file appears (atomically) when it is done.
//!
//! Frames are chosen by step when the export starts (up to [`EXPORT_FRAMES`] recorded
//! moments, spread evenly), so moments the timeline thins meanwhile are replaced by the
//! nearest one at or before their step.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::thread::JoinHandle;

use crate::render::{GpuContext, RgbaImage};
use crate::ui::app::App;
use crate::ui::headless::{EXPORT_FRAMES, HeadlessOptions, record_app, spread_moments_in};
use crate::ui::timeline_bar::moment_at_or_before;

/// Frames per second of an exported GIF.
pub const EXPORT_FPS: f32 = 10.0;

/// Where an export stands after a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportProgress {
    /// `done` of `total` frames rendered.
    Rendering {
        /// Frames rendered.
        done: usize,
        /// Frames to render.
        total: usize,
    },
    /// Every frame is in; the file is being encoded.
    Encoding,
    /// Finished: what to tell the user (the file written, or why not).
    Finished(String),
}

/// An export under way.
pub struct ExportJob {
    path: PathBuf,
    steps: Vec<u64>,
    frames: Vec<RgbaImage>,
    options: HeadlessOptions,
    encoder: Option<Encoder>,
}

/// The encoding thread and where it says how it went (frames written, or why not).
type Encoder = (Receiver<Result<usize, String>>, JoinHandle<()>);

impl ExportJob {
    /// An export of `app`'s recorded moments with steps in `range` (from, to) to `path`, at
    /// `options`' size; `None` when fewer than two moments lie in the range.
    pub fn start(
        app: &App,
        path: PathBuf,
        options: HeadlessOptions,
        range: (u64, u64),
    ) -> Option<Self> {
        let info = app.lab().timeline()?;
        let steps: Vec<u64> = spread_moments_in(&info.steps, range, EXPORT_FRAMES)
            .into_iter()
            .map(|i| info.steps[i])
            .collect();
        if steps.len() < 2 {
            return None;
        }
        Some(Self {
            path,
            steps,
            frames: Vec::new(),
            options,
            encoder: None,
        })
    }

    /// The file being written.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Does the next piece of work: renders one frame (the lab is shown at that moment for
    /// the offscreen render only, then back where the user left it), starts encoding after
    /// the last, or checks whether encoding is done.
    pub fn advance(&mut self, gpu: &GpuContext, app: &mut App) -> ExportProgress {
        if let Some((receiver, _)) = &self.encoder {
            return match receiver.try_recv() {
                Ok(result) => self.finish(result),
                Err(TryRecvError::Empty) => ExportProgress::Encoding,
                Err(TryRecvError::Disconnected) => {
                    self.finish(Err("the encoder stopped".to_string()))
                }
            };
        }
        let total = self.steps.len();
        let done = self.frames.len();
        if done < total {
            let Some(info) = app.lab().timeline() else {
                return ExportProgress::Finished("export failed: the timeline is gone".into());
            };
            let shown = info.cursor;
            let index = moment_at_or_before(&info.steps, self.steps[done]);
            let frame = record_app(gpu, app, &self.options, None, &[index]);
            app.shell_mut().seek(shown);
            match frame {
                Ok(mut frames) => {
                    if let Some((_, image)) = frames.pop() {
                        self.frames.push(image);
                    }
                }
                Err(error) => return ExportProgress::Finished(format!("export failed: {error}")),
            }
            return ExportProgress::Rendering {
                done: done + 1,
                total,
            };
        }
        let frames = std::mem::take(&mut self.frames);
        let path = self.path.clone();
        let (sender, receiver) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("netviz-export".into())
            .spawn(move || {
                let result = crate::render::animation::write_animation(&path, &frames, EXPORT_FPS)
                    .map(|_| frames.len())
                    .map_err(|e| e.to_string());
                let _ = sender.send(result);
            });
        match spawned {
            Ok(handle) => {
                self.encoder = Some((receiver, handle));
                ExportProgress::Encoding
            }
            Err(error) => ExportProgress::Finished(format!("export failed: {error}")),
        }
    }

    fn finish(&mut self, result: Result<usize, String>) -> ExportProgress {
        if let Some((_, handle)) = self.encoder.take() {
            let _ = handle.join();
        }
        ExportProgress::Finished(match result {
            Ok(n) => format!("wrote {} ({n} frames)", self.path.display()),
            Err(error) => format!("export failed: {error}"),
        })
    }
}

impl Drop for ExportJob {
    /// A window closing while the file is encoded waits for it, so no half-done export is
    /// left behind (the file appears complete or not at all either way).
    fn drop(&mut self) {
        if let Some((_, handle)) = self.encoder.take() {
            let _ = handle.join();
        }
    }
}
