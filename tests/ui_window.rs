//! The real window, on a virtual X display: `netviz gallery` opens, renders frames for a
//! while, saves a screenshot on `s`, and exits with code 0 on `q`, saving its layout, with keys sent through
//! the X server (XTEST, via `xdotool`) as a user's keyboard would. Without any display the
//! window command fails with exit code 2 and a one-line hint, and `--headless` still works.
//!
//! Needs the `xvfb` and `xdotool` packages (and a GPU adapter: lavapipe in CI); where they
//! are missing the tests fail naming the package.

mod ui_support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ui_support::{read_png, scratch_dir};

const NETVIZ: &str = env!("CARGO_BIN_EXE_netviz");

/// Window tests run one at a time: two virtual X servers starting together can race for the
/// same display number.
static ONE_DISPLAY_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A virtual X server, killed on drop.
struct Xvfb {
    child: Child,
    display: String,
    stopped: bool,
    /// Kept open: a server writing to a closed pipe would die of SIGPIPE.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Xvfb {
    /// Starts `Xvfb` on a free display number, which it picks itself (`-displayfd`).
    fn start() -> Self {
        let mut child = Command::new("Xvfb")
            // `-noreset`: by default the server resets when its last client leaves (each xdotool
            // call), refusing connections meanwhile; netviz starting then would find no display.
            .args(["-displayfd", "1", "-screen", "0", "1280x1024x24", "-nolisten", "tcp", "-noreset"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| {
                panic!("the window test needs Xvfb: install the xvfb package (apt-get install xvfb xauth): {err}")
            });
        let stdout = child.stdout.take().expect("Xvfb's stdout is piped");
        let mut line = String::new();
        // Xvfb writes the display number once it accepts connections.
        let mut stdout = BufReader::new(stdout);
        let read = stdout.read_line(&mut line);
        let number = line.trim();
        if read.is_err() || number.is_empty() {
            let _ = child.kill();
            panic!("Xvfb did not report a display number (read {line:?})");
        }
        let xvfb = Self {
            display: format!(":{number}"),
            child,
            stopped: false,
            _stdout: stdout,
        };
        // A display number freed a moment ago (by a previous test's server) can take a while
        // to accept clients again: wait until one gets through.
        let ready = wait_until(10, || {
            xvfb.xdotool(&["getdisplaygeometry"])
                .status
                .success()
                .then_some(())
        });
        assert!(
            ready.is_some(),
            "Xvfb on {} accepts no client",
            xvfb.display
        );
        xvfb
    }

    /// Runs `xdotool` with `args` on this display.
    fn xdotool(&self, args: &[&str]) -> Output {
        Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .output()
            .unwrap_or_else(|err| {
                panic!(
                    "the window test sends keys with xdotool: install the xdotool package: {err}"
                )
            })
    }
}

impl Xvfb {
    /// Stops the server the way a session ends (SIGTERM: it removes its socket and lock file,
    /// so the next test can take the display number at once) and waits for it.
    fn stop(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        if wait_until(5, || self.child.try_wait().ok().flatten()).is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Kills a child still running when a test fails.
struct Reaper(Option<Child>);

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `netviz gallery` in a window on `xvfb`, run in `dir` (its config folder inside), printing
/// frame statistics as it quits.
fn gallery_window(xvfb: &Xvfb, dir: &Path) -> Reaper {
    let child = Command::new(NETVIZ)
        .args(["gallery", "--points", "500"])
        .current_dir(dir)
        .env("DISPLAY", &xvfb.display)
        .env_remove("WAYLAND_DISPLAY")
        .env("NETVIZ_FRAME_STATS", "1")
        .env("NETVIZ_CONFIG_DIR", dir.join("config"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netviz");
    Reaper(Some(child))
}

/// The id of netviz's window on `xvfb`, waiting up to 20 s for it; on failure says what the
/// program printed.
fn window_of(xvfb: &Xvfb, app: &mut Reaper) -> String {
    let found = wait_until(20, || {
        let found = xvfb.xdotool(&["search", "--name", "netviz"]);
        let id = String::from_utf8_lossy(&found.stdout)
            .lines()
            .next()?
            .trim()
            .to_string();
        (!id.is_empty()).then_some(id)
    });
    if let Some(id) = found {
        return id;
    }
    let detail = match app.0.take() {
        Some(mut child) => {
            let _ = child.kill();
            match child.wait_with_output() {
                Ok(out) => format!(
                    "status {:?}, stderr:\n{}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                ),
                Err(err) => err.to_string(),
            }
        }
        None => "no process".into(),
    };
    panic!(
        "no netviz window appeared within 20 s on {}: {detail}",
        xvfb.display
    );
}

/// Polls `check` every 50 ms for up to `secs` seconds.
fn wait_until<T>(secs: u64, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The PNG files in `dir`.
fn pngs_in(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "png"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_window_renders_saves_a_screenshot_on_s_and_quits_on_q() {
    let _one = ONE_DISPLAY_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let xvfb = Xvfb::start();
    let dir = scratch_dir("window");
    let mut app = gallery_window(&xvfb, &dir);

    let window = window_of(&xvfb, &mut app);
    // Let it render frames for a while, then give it the keyboard focus.
    std::thread::sleep(Duration::from_millis(1500));
    let focus = xvfb.xdotool(&["windowfocus", "--sync", &window]);
    assert!(focus.status.success(), "xdotool windowfocus: {focus:?}");

    xvfb.xdotool(&["key", "s"]);
    let screenshot = wait_until(20, || pngs_in(&dir).into_iter().next())
        .expect("no screenshot PNG appeared within 20 s of pressing s");
    let name = screenshot
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
    assert!(name.starts_with("netviz-screenshot-"), "{name}");
    // Written to a temporary name and renamed, so a visible PNG is complete.
    let image = read_png(&screenshot);
    assert_eq!(
        (image.width, image.height),
        (1280, 800),
        "the default window size"
    );
    let first = &image.pixels[..4];
    assert!(
        image.pixels.chunks_exact(4).any(|p| p != first),
        "the screenshot is a single color"
    );

    xvfb.xdotool(&["key", "q"]);
    let Some(mut child) = app.0.take() else {
        unreachable!("the child is only taken here")
    };
    let status = wait_until(20, || child.try_wait().ok().flatten());
    let Some(status) = status else {
        app.0 = Some(child);
        panic!("netviz did not exit within 20 s of pressing q");
    };
    let output = child.wait_with_output().expect("collect netviz's output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stderr}");
    assert_eq!(
        status.code(),
        Some(0),
        "exit status after q; stderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let frames: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("frames ")?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no frame statistics in stderr:\n{stderr}"));
    assert!(frames >= 5, "only {frames} frames in about two seconds");
    // Closing saved the layout for the next start.
    let layout = dir.join("config").join("layouts").join("gallery.json");
    let text = std::fs::read_to_string(&layout)
        .unwrap_or_else(|err| panic!("no layout saved at {}: {err}", layout.display()));
    assert!(text.contains("\"point-cloud\""), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_a_display_the_window_fails_with_a_hint_and_headless_still_works() {
    let dir = scratch_dir("no-display");
    let run = |args: &[&str]| {
        Command::new(NETVIZ)
            .args(args)
            .current_dir(&dir)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("WAYLAND_SOCKET")
            .output()
            .expect("run netviz")
    };

    let window = run(&["gallery"]);
    let stderr = String::from_utf8_lossy(&window.stderr);
    assert_eq!(window.status.code(), Some(2), "stderr:\n{stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line expected:\n{stderr}"
    );
    assert!(
        stderr.starts_with("error: cannot open a window"),
        "{stderr}"
    );
    assert!(stderr.contains("--headless"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let headless = run(&[
        "gallery",
        "--headless",
        "--screenshot",
        "out.png",
        "--size",
        "320x200",
    ]);
    let stderr = String::from_utf8_lossy(&headless.stderr);
    assert_eq!(headless.status.code(), Some(0), "stderr:\n{stderr}");
    let image = read_png(&dir.join("out.png"));
    assert_eq!((image.width, image.height), (320, 200));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_display_that_goes_away_closes_the_window_with_a_message_not_a_panic() {
    let _one = ONE_DISPLAY_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut xvfb = Xvfb::start();
    let dir = scratch_dir("display-lost");
    let mut app = gallery_window(&xvfb, &dir);
    window_of(&xvfb, &mut app);
    std::thread::sleep(Duration::from_millis(1000));
    // The X server goes away under the running window.
    xvfb.stop();
    let Some(mut child) = app.0.take() else {
        unreachable!("the child is only taken here")
    };
    let status = wait_until(20, || child.try_wait().ok().flatten());
    let Some(status) = status else {
        app.0 = Some(child);
        panic!("netviz did not exit within 20 s of losing its display");
    };
    let output = child.wait_with_output().expect("collect netviz's output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status.code(), Some(2), "stderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("error: the connection to the display was lost"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn g_exports_the_recorded_moments_of_the_window_as_a_gif() {
    let _one = ONE_DISPLAY_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let xvfb = Xvfb::start();
    let dir = scratch_dir("export");
    let child = Command::new(NETVIZ)
        .args(["xor", "--epochs", "4000"])
        .current_dir(&dir)
        .env("DISPLAY", &xvfb.display)
        .env_remove("WAYLAND_DISPLAY")
        .env("NETVIZ_CONFIG_DIR", dir.join("config"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netviz");
    let mut app = Reaper(Some(child));
    let window = window_of(&xvfb, &mut app);
    // Training to 4,000 epochs records a few moments within a second or two.
    std::thread::sleep(Duration::from_millis(3000));
    let focus = xvfb.xdotool(&["windowfocus", "--sync", &window]);
    assert!(focus.status.success(), "xdotool windowfocus: {focus:?}");
    xvfb.xdotool(&["key", "g"]);
    let gif = wait_until(60, || {
        std::fs::read_dir(&dir).ok()?.find_map(|e| {
            let p = e.ok()?.path();
            let name = p.file_name()?.to_str()?.to_string();
            (name.starts_with("netviz-recording-") && name.ends_with(".gif")).then_some(p)
        })
    })
    .expect("no GIF appeared within 60 s of pressing g");
    // Written to a temporary name and renamed: a visible GIF is complete.
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options
        .read_info(std::fs::File::open(&gif).expect("open the GIF"))
        .expect("a GIF");
    assert_eq!((decoder.width(), decoder.height()), (1280, 800));
    let mut frames = 0;
    while decoder.read_next_frame().expect("a frame").is_some() {
        frames += 1;
    }
    assert!(frames >= 2, "{frames} frames");
    xvfb.xdotool(&["key", "q"]);
    let Some(mut child) = app.0.take() else {
        unreachable!("the child is only taken here")
    };
    let status = wait_until(20, || child.try_wait().ok().flatten());
    let Some(status) = status else {
        app.0 = Some(child);
        panic!("netviz did not exit within 20 s of pressing q");
    };
    let output = child.wait_with_output().expect("collect netviz's output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("wrote netviz-recording-"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
