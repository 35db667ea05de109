//! [`Shell`]: the hosted lab, its dashboard and the labs the window can switch to, with no
//! GPU (the [`App`](crate::ui::App) adds one; a test harness drives a shell as it is).
//!
//! Switching labs (Lab menu) builds the new lab first, so a lab that cannot start (no MNIST
//! data, say) leaves the current one running with a message; then the old lab's layout is
//! saved and the old lab dropped, which stops and joins its thread before the new one shows.

use egui::Ui;

use crate::ui::dashboard::{Dashboard, LabMenuEntry, ShellAction, dashboard_ui};
use crate::ui::lab::Lab;

/// Builds a lab, or says why it cannot.
pub type LabBuilder = Box<dyn Fn() -> Result<Box<dyn Lab>, String>>;

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

/// A lab, its dashboard and the other labs on offer.
pub struct Shell {
    lab: Box<dyn Lab>,
    dashboard: Dashboard,
    labs: Vec<LabEntry>,
}

impl Shell {
    /// Hosts `lab` on `dashboard`.
    pub fn new(lab: Box<dyn Lab>, dashboard: Dashboard) -> Self {
        Self {
            lab,
            dashboard,
            labs: Vec::new(),
        }
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
        dashboard_ui(ui, self.lab.as_mut(), &mut self.dashboard);
        let actions = self.dashboard.take_actions();
        for action in actions {
            match action {
                ShellAction::SwitchLab(index) => self.switch_to(index),
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
            Ok(lab) => {
                if let Err(message) = self.dashboard.save_layout() {
                    eprintln!("warning: {message}");
                }
                // Dropping the old lab stops and joins its thread.
                self.lab = lab;
                self.dashboard.sync_lab(self.lab.as_ref());
            }
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
