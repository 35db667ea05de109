//! Saved workspaces: each lab's arrangement of panels (and the theme) as a small JSON file in
//! the user's config folder (`~/.config/netviz/layouts/<lab>.json` on Linux; the
//! `NETVIZ_CONFIG_DIR` environment variable names another folder). Written when the window
//! closes or switches labs, read when a lab opens. A missing file means the lab's default
//! layout; a corrupt, outdated or foreign one means the default too, with a one-line warning.
//!
//! Format (`version` 1): `{"version":1,"lab":"xor","panels":["network",...],
//! "arrangement":{"tree":<egui_tiles tree of panel ids>,"maximized":null}}`. `panels` is the
//! lab's panel list when it was saved: a lab whose panels changed since gets its default.

use crate::files::{read_text_bounded, write_atomic};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ui::workspace::{Arrangement, Workspace};

/// The version this program writes and reads.
pub const LAYOUT_VERSION: u32 = 1;
/// Layout files larger than this are not read (a real one is a few kilobytes).
pub const MAX_LAYOUT_BYTES: u64 = crate::files::limits::LAYOUT_BYTES;

/// Where layouts are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutStore {
    dir: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct LayoutFile {
    version: u32,
    lab: String,
    panels: Vec<String>,
    arrangement: Arrangement,
}

/// The shell's own settings, saved beside the layouts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellSettings {
    /// Light instead of dark panels.
    pub light: bool,
}

impl LayoutStore {
    /// Layouts under `dir` (created when first saved).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The user's store: `$NETVIZ_CONFIG_DIR`, else the platform's config folder for netviz;
    /// `None` if neither is known.
    pub fn user() -> Option<Self> {
        if let Some(dir) = std::env::var_os("NETVIZ_CONFIG_DIR").filter(|d| !d.is_empty()) {
            return Some(Self::new(dir));
        }
        directories::ProjectDirs::from("", "", "netviz").map(|d| Self::new(d.config_dir()))
    }

    /// The file of `lab`'s layout.
    pub fn path(&self, lab: &str) -> PathBuf {
        let name: String = lab
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join("layouts").join(format!("{name}.json"))
    }

    fn settings_path(&self) -> PathBuf {
        self.dir.join("shell.json")
    }

    /// Applies `workspace`'s lab's saved layout to it. `Ok(false)`: there is none;
    /// `Err`: there is one but it cannot be used (the message says why and that the default
    /// is used); the workspace is then unchanged.
    pub fn load_into(&self, workspace: &mut Workspace) -> Result<bool, String> {
        let path = self.path(workspace.lab());
        let fail = |why: String| {
            format!(
                "ignoring the saved layout {} ({why}); using the default layout",
                path.display()
            )
        };
        let Some(text) = read_small(&path).map_err(fail)? else {
            return Ok(false);
        };
        let file: LayoutFile =
            serde_json::from_str(&text).map_err(|e| fail(format!("not a layout file: {e}")))?;
        if file.version != LAYOUT_VERSION {
            return Err(fail(format!(
                "version {}, this program reads version {LAYOUT_VERSION}",
                file.version
            )));
        }
        if file.lab != workspace.lab() {
            return Err(fail(format!("it is the layout of the {} lab", file.lab)));
        }
        if file.panels != workspace.ids() {
            return Err(fail(
                "the lab's panels have changed since it was saved".into(),
            ));
        }
        workspace.restore(file.arrangement).map_err(fail)?;
        Ok(true)
    }

    /// Saves `workspace`'s arrangement as its lab's layout.
    pub fn save(&self, workspace: &Workspace) -> Result<(), String> {
        let file = LayoutFile {
            version: LAYOUT_VERSION,
            lab: workspace.lab().to_string(),
            panels: workspace.ids().to_vec(),
            arrangement: workspace.arrangement(),
        };
        let text = serde_json::to_string_pretty(&file)
            .map_err(|e| format!("cannot encode the layout: {e}"))?;
        write_replacing(&self.path(workspace.lab()), text.as_bytes())
    }

    /// The saved shell settings (defaults if there are none or they are unreadable).
    pub fn load_settings(&self) -> ShellSettings {
        // Settings are a convenience: an unreadable file silently means the defaults.
        read_small(&self.settings_path())
            .ok()
            .flatten()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    /// Saves the shell settings.
    pub fn save_settings(&self, settings: ShellSettings) -> Result<(), String> {
        let text = serde_json::to_string_pretty(&settings)
            .map_err(|e| format!("cannot encode the settings: {e}"))?;
        write_replacing(&self.settings_path(), text.as_bytes())
    }
}

/// The text of `path` if it is a regular file of at most [`MAX_LAYOUT_BYTES`]; `None` if it
/// does not exist. Errors say what is wrong with the file.
fn read_small(path: &Path) -> Result<Option<String>, String> {
    match read_text_bounded(path, MAX_LAYOUT_BYTES, "layout file") {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Writes `bytes` to `path` atomically; refuses to replace anything that is not a regular
/// file.
fn write_replacing(path: &Path, bytes: &[u8]) -> Result<(), String> {
    write_atomic(path, bytes).map_err(|e| e.to_string())
}
