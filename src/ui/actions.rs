//! What the dashboard asks of others: [`ShellAction`]s for the host (quit, screenshot,
//! fullscreen, another lab) and the [`LabMenuEntry`]s the Lab menu lists.

/// Something only the host can do, asked for by a key or a menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShellAction {
    /// `q`, Escape or File > Quit.
    Quit,
    /// `s` or File > Save screenshot: save the whole window as a PNG.
    Screenshot,
    /// `f`.
    ToggleFullscreen,
    /// File > Export GIF: the whole window at every recorded moment (up to
    /// [`EXPORT_FRAMES`](crate::ui::headless::EXPORT_FRAMES)), as an animated GIF.
    ExportGif,
    /// Lab > another lab: the entry's index in the shell's list of labs.
    SwitchLab(usize),
    /// File > Save run: the run, its recorded moments and its model to a run file in the
    /// current folder.
    SaveRun,
    /// File > Open run: the run file named in the menu's path field, in place of the lab.
    OpenRun,
    /// "Run B": a second run beside the first, with the same settings to start with.
    StartRunB,
    /// "Close B": the second run stops.
    CloseRunB,
}

/// A lab the Lab menu offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabMenuEntry {
    /// The lab's name (`xor`), as [`Lab::name`] reports it.
    pub name: String,
    /// What the menu says (`XOR`).
    pub title: String,
}
