//! Headless Chromium, the browser a Debian machine installs (`apt-get install chromium`):
//! it rasterizes the drawings for presenterm, and the browser test looks through it at an
//! exported deck as a class would.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// How long one browser run may take before it is stopped.
const TIMEOUT: Duration = Duration::from_secs(90);

/// The browser: `$CHROMIUM`, else the first of `chromium`, `chromium-browser`,
/// `google-chrome` on the `PATH`.
pub fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// `url` rendered in a `width`×`height` window (CSS pixels, `scale` device pixels each),
/// saved as a PNG at `out`.
pub fn screenshot(
    url: &str,
    width: i32,
    height: i32,
    scale: u32,
    out: &Path,
) -> anyhow::Result<()> {
    run(&[
        format!("--window-size={width},{height}"),
        format!("--force-device-scale-factor={scale}"),
        format!("--screenshot={}", out.display()),
        url.to_string(),
    ])?;
    if !out.is_file() {
        bail!("the browser wrote no screenshot of {url}");
    }
    Ok(())
}

/// The document `url` gives once its scripts have run (`--dump-dom`).
pub fn dump_dom(url: &str) -> anyhow::Result<String> {
    run(&["--dump-dom".to_string(), url.to_string()])
}

/// The `file://` URL of a local file.
pub fn file_url(path: &Path) -> anyhow::Result<String> {
    let path =
        std::fs::canonicalize(path).with_context(|| format!("finding {}", path.display()))?;
    Ok(format!("file://{}", path.display()))
}

/// One headless run; returns its stdout.
fn run(args: &[String]) -> anyhow::Result<String> {
    let browser = chromium().context(
        "no Chromium to draw or look with: install it (`apt-get install chromium`) or set CHROMIUM",
    )?;
    let profile = tempfile::Builder::new()
        .prefix("capas-browser-")
        .tempdir()?;
    let out = profile.path().join("stdout");
    let mut child = Command::new(&browser)
        .args([
            "--headless",
            // The machine's own files only; as root, Chromium's sandbox cannot start.
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-extensions",
            "--mute-audio",
            // Scripts run, and the page settles, before the picture is taken.
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out)?)
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", browser.display()))?;
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "{} did not finish in {}s",
                browser.display(),
                TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if !status.success() {
        bail!("{} failed ({status})", browser.display());
    }
    Ok(std::fs::read_to_string(out)?)
}
