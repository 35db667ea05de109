//! [`Shell`]: the hosted lab, its dashboard and the labs the window can switch to, with no
//! GPU (the [`App`](crate::ui::App) adds one; a test harness drives a shell as it is).
//!
//! Switching labs (Lab menu) builds the new lab first, so a lab that cannot start (no MNIST
//! data, say) leaves the current one running with a message; then the old lab's layout is
//! saved and the old lab dropped, which stops and joins its thread before the new one shows.

use std::path::Path;

use egui::Ui;

use crate::ui::dashboard::{Dashboard, LabMenuEntry, ShellAction, dashboard_ui_with};
use crate::ui::lab::Lab;

/// Builds a lab, or says why it cannot.
pub type LabBuilder = Box<dyn Fn() -> Result<Box<dyn Lab>, String>>;

/// Opens a saved run as the lab it belongs to, or says why it cannot.
pub type RunOpener = Box<dyn Fn(&Path) -> Result<Box<dyn Lab>, String>>;

/// A lab the Lab menu can switch to.
pub struct LabEntry {
    /// The lab's name as [`Lab::name`] reports it (`xor`).
    pub name: String,
    /// What the menu shows (`XOR`).
    pub title: String,
    /// Starts the lab.
    pub build: LabBuilder,
}

impl LabEntry {
    /// An entry named `name`, shown as `title`, started by `build`.
    pub fn new(
        name: impl Into<String>,
        title: impl Into<String>,
        build: impl Fn() -> Result<Box<dyn Lab>, String> + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            title: title.into(),
            build: Box::new(build),
        }
    }
}

/// A lab, its dashboard and the other labs on offer; while comparing, a second run of the
/// lab (Run B) beside it.
pub struct Shell {
    lab: Box<dyn Lab>,
    b: Option<Box<dyn Lab>>,
    dashboard: Dashboard,
    labs: Vec<LabEntry>,
    opener: Option<RunOpener>,
}

impl Shell {
    /// Hosts `lab` on `dashboard`.
    pub fn new(lab: Box<dyn Lab>, dashboard: Dashboard) -> Self {
        Self {
            lab,
            b: None,
            dashboard,
            labs: Vec::new(),
            opener: None,
        }
    }

    /// Opens saved runs (File > Open run) with `opener`.
    pub fn with_opener(mut self, opener: RunOpener) -> Self {
        self.opener = Some(opener);
        self
    }

    /// Run B, while comparing.
    pub fn b(&self) -> Option<&dyn Lab> {
        self.b.as_deref()
    }

    /// Run B, to drive it.
    pub fn b_mut(&mut self) -> Option<&mut dyn Lab> {
        self.b.as_mut().map(|b| b.as_mut() as &mut dyn Lab)
    }

    /// Starts Run B: a second run of the lab beside the first, with the settings the lab's
    /// controls show (see [`Lab::fork`]); it replaces a Run B already going.
    pub fn start_b(&mut self) -> Result<(), String> {
        let b = self.lab.fork(None)?;
        self.set_b(b);
        Ok(())
    }

    /// Makes `b` Run B (a lab of the same kind, e.g. from [`Lab::fork`]).
    pub fn set_b(&mut self, mut b: Box<dyn Lab>) {
        if let Some(info) = self.lab.timeline() {
            b.set_timeline_budget(info.budget);
        }
        self.b = Some(b);
    }

    /// Stops Run B (its thread is joined).
    pub fn close_b(&mut self) {
        self.b = None;
    }

    /// Shows recorded moment `index` of the lab (`None`: the present) and Run B's moment at
    /// or before the same step.
    pub fn seek(&mut self, index: Option<usize>) {
        self.lab.seek(index);
        if let (Some(b), Some(info)) = (
            self.b.as_mut().map(|b| b.as_mut() as &mut dyn Lab),
            self.lab.timeline(),
        ) {
            crate::ui::timeline_bar::follow(b, &info, index);
        }
    }

    /// Saves the lab's run to `path` (see [`Lab::save_run`]); returns the status line.
    pub fn save_run(&mut self, path: &Path) -> Result<String, String> {
        self.lab
            .save_run(path)
            .map(|what| format!("saved {what} to {}", path.display()))
    }

    /// Opens the saved run at `path` in place of the lab (Run B stops).
    pub fn open_run(&mut self, path: &Path) -> Result<(), String> {
        let Some(opener) = &self.opener else {
            return Err("this window cannot open saved runs".into());
        };
        let lab = opener(path)?;
        self.replace_lab(lab);
        Ok(())
    }

    /// Makes `lab` the hosted lab: the old one's layout is saved, then it and any Run B are
    /// dropped (which stops and joins their threads).
    fn replace_lab(&mut self, lab: Box<dyn Lab>) {
        if let Err(message) = self.dashboard.save_layout() {
            eprintln!("warning: {message}");
        }
        self.b = None;
        self.lab = lab;
        self.dashboard.sync_lab(self.lab.as_ref());
    }

    /// Offers `labs` in the Lab menu.
    pub fn with_labs(mut self, labs: Vec<LabEntry>) -> Self {
        self.dashboard.set_lab_menu(
            labs.iter()
                .map(|entry| LabMenuEntry {
                    name: entry.name.clone(),
                    title: entry.title.clone(),
                })
                .collect(),
        );
        self.labs = labs;
        self
    }

    /// The hosted lab.
    pub fn lab(&self) -> &dyn Lab {
        self.lab.as_ref()
    }

    /// The hosted lab, to drive it.
    pub fn lab_mut(&mut self) -> &mut dyn Lab {
        self.lab.as_mut()
    }

    /// The dashboard.
    pub fn dashboard(&self) -> &Dashboard {
        &self.dashboard
    }

    /// The dashboard, to change it.
    pub fn dashboard_mut(&mut self) -> &mut Dashboard {
        &mut self.dashboard
    }

    /// Gives the lab back (the dashboard is dropped).
    pub fn into_lab(self) -> Box<dyn Lab> {
        self.lab
    }

    /// The lab and the dashboard at once.
    pub fn parts_mut(&mut self) -> (&mut dyn Lab, &mut Dashboard) {
        (self.lab.as_mut(), &mut self.dashboard)
    }

    /// One frame: the lab takes its newest snapshot, the dashboard is laid out, and a lab
    /// switch asked for in it is carried out (the next frame shows the new lab). Other
    /// actions wait in the dashboard for the host.
    pub fn ui(&mut self, ui: &mut Ui) {
        self.lab.update();
        if let Some(b) = self.b.as_mut().map(|b| b.as_mut() as &mut dyn Lab) {
            b.update();
        }
        dashboard_ui_with(
            ui,
            self.lab.as_mut(),
            self.b.as_mut().map(|b| b.as_mut() as &mut dyn Lab),
            &mut self.dashboard,
        );
        let actions = self.dashboard.take_actions();
        for action in actions {
            match action {
                ShellAction::SwitchLab(index) => self.switch_to(index),
                ShellAction::StartRunB => {
                    let message = match self.start_b() {
                        Ok(()) => "run B started: the same settings as A; change them under \"controls of run B\"".to_string(),
                        Err(e) => format!("no run B: {e}"),
                    };
                    self.dashboard.show_message(message);
                }
                ShellAction::CloseRunB => {
                    self.close_b();
                    self.dashboard.show_message("run B closed");
                }
                ShellAction::SaveRun => {
                    let path = crate::ui::paths::run_path(self.lab.name());
                    let message = self
                        .save_run(&path)
                        .unwrap_or_else(|e| format!("run not saved: {e}"));
                    eprintln!("{message}");
                    self.dashboard.show_message(message);
                }
                ShellAction::OpenRun => {
                    let path = std::path::PathBuf::from(self.dashboard.open_path.trim());
                    let message = match self.open_run(&path) {
                        Ok(()) => format!("opened {}", path.display()),
                        Err(e) => format!("cannot open the run: {e}"),
                    };
                    eprintln!("{message}");
                    self.dashboard.show_message(message);
                }
                other => self.dashboard.request(other),
            }
        }
    }

    /// Switches to lab `index` of the menu (see the module doc).
    pub fn switch_to(&mut self, index: usize) {
        let Some(entry) = self.labs.get(index) else {
            return;
        };
        match (entry.build)() {
            Ok(lab) => self.replace_lab(lab),
            Err(message) => {
                let message = format!("cannot open the {} lab: {message}", entry.title);
                eprintln!("{message}");
                self.dashboard.show_message(message);
            }
        }
    }

    /// Saves the current lab's layout (when the dashboard has a store), e.g. as the window
    /// closes.
    pub fn save_layout(&self) -> Result<(), String> {
        self.dashboard.save_layout()
    }
}
