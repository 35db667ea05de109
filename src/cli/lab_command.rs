//! [`LabCommand`]: a lab as the command line knows it. A lab's flags (a clap `Args` type)
//! say how to start it, how a headless run ends and what it prints last; the registry
//! (`cli::labs`) turns each into a `netviz <lab>` command and an entry of the Lab menu.

use anyhow::Result;

use netviz::ui::Lab;

use crate::cli::app::ShellArgs;

/// A lab's command-line face.
pub trait LabCommand: clap::Args + clap::FromArgMatches + Sized {
    /// The lab's name (`xor`): its command and its name in the Lab menu and layout files.
    const NAME: &'static str;
    /// What the Lab menu shows (`XOR`).
    const TITLE: &'static str;
    /// The lab.
    type Lab: Lab + 'static;

    /// Window or headless, size, picture, panel.
    fn shell(&self) -> &ShellArgs;

    /// Starts the lab as the flags say.
    fn build(&self) -> Result<Self::Lab>;

    /// Headless: waits until the lab has done what the flags ask (trained so many epochs);
    /// returns the machine-readable line printed last, after the picture is written.
    fn run_to_end(&self, lab: &mut Self::Lab) -> Result<String>;

    /// The lab showing the saved run `run` (of this lab), to scrub without training.
    fn open(run: &netviz::labs::run_file::RunFile) -> Result<Self::Lab> {
        let _ = run;
        anyhow::bail!("the {} lab does not save runs", Self::NAME)
    }

    /// Work done in the terminal instead of hosting the lab (`xor --text`), when asked for.
    fn terminal(&self) -> Option<Result<()>> {
        None
    }

    /// The flags of a plain `netviz <lab>` (what the Lab menu opens).
    fn defaults() -> Self {
        #[derive(clap::Parser)]
        struct Defaults<A: clap::Args + clap::FromArgMatches> {
            #[command(flatten)]
            args: A,
        }
        <Defaults<Self> as clap::Parser>::parse_from(["netviz"]).args
    }
}
