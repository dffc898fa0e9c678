//! A deck's session: a fresh store and a working directory of its own, and the real `capas`
//! binary run on them one command at a time, as a student would type them.
//!
//! The outputs must be the same on every machine, so the session pins what could vary:
//!
//! | what | how |
//! | --- | --- |
//! | "now" (`10 months ago`, `Less than a second ago`) | `CAPAS_NOW` = [`NOW`], the lab snapshots' instant |
//! | the creation time of commits, builds, containers | `SOURCE_DATE_EPOCH` = [`NOW`] |
//! | the store, the home directory, the current directory | fresh ones, in a temporary directory |
//! | the language of the labs' texts (`capas labs`) | `LANG`, the deck's (`es_ES.UTF-8`, `en_US.UTF-8`) |
//! | the rest of the environment | cleared (only `PATH`, and `TZ=UTC`) |
//!
//! and [`filter`] rewrites what is still volatile in an output, in one place.
//!
//! Why the real binary and not `capas_labs::cli::run` in-process: a student sees stderr
//! interleaved with stdout (`Error: …` of `rmi`, `Unable to find image` of `run`, the build
//! steps), and the binary's own last line for an error; only the binary shows both as a
//! terminal does.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

use anyhow::{Context as _, bail};

/// The instant every deck runs at: 2024-03-01T12:00:00Z, as the `capas` command tests.
pub const NOW: &str = "1709294400";

/// One deck's fresh store and working directory.
pub struct Session {
    dir: tempfile::TempDir,
    capas: PathBuf,
    /// `LANG` of the commands: the deck's language (`capas labs` speaks it).
    lang: &'static str,
}

/// What one command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    /// stdout and stderr together, in the order they were written, after [`filter`].
    pub output: String,
    /// Its exit code (-1 if a signal ended it).
    pub code: i32,
}

impl Session {
    /// A new session that runs `capas` (see [`capas_binary`]) for a deck in `lang` (`es`,
    /// `en`).
    pub fn new(capas: &Path, lang: &str) -> anyhow::Result<Session> {
        let dir = tempfile::Builder::new()
            .prefix("capas-deck-")
            .tempdir()
            .context("creating a temporary directory for a deck")?;
        std::fs::create_dir(dir.path().join("store"))?;
        std::fs::create_dir(dir.path().join("work"))?;
        Ok(Session {
            dir,
            capas: capas.to_path_buf(),
            lang: if lang == "en" {
                "en_US.UTF-8"
            } else {
                "es_ES.UTF-8"
            },
        })
    }

    /// The deck's store (`$CAPAS_HOME` of its commands).
    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// The deck's working directory (the current directory of its commands).
    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// Writes a file of the working directory (`<!-- // file: … -->`).
    pub fn write_file(&self, path: &str, content: &str) -> anyhow::Result<()> {
        let target = self.work().join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, content).with_context(|| format!("writing {path}"))
    }

    /// Runs one command line of a deck (`capas images -a`), words split as a POSIX shell
    /// splits them.
    pub fn run(&self, line: &str) -> anyhow::Result<Ran> {
        let words = shlex::split(line).with_context(|| format!("`{line}`: unbalanced quotes"))?;
        match words.first().map(String::as_str) {
            Some("capas") => {}
            _ => bail!("`{line}`: only `capas` commands run in a deck"),
        }
        // One file for both streams, as a terminal is one screen: what capas writes to
        // either lands in the order it was written. A file, not a pipe, so that a process a
        // command leaves in the background cannot keep the read waiting.
        let log_path = self.dir.path().join("output");
        let log = File::create(&log_path)?;
        let status = Command::new(&self.capas)
            .args(&words[1..])
            .current_dir(self.work())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("CAPAS_HOME", self.store())
            .env("CAPAS_NOW", NOW)
            .env("SOURCE_DATE_EPOCH", NOW)
            .env("TZ", "UTC")
            .env("LANG", self.lang)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .status()
            .with_context(|| format!("running {}", self.capas.display()))?;
        let bytes = std::fs::read(&log_path)?;
        let text = String::from_utf8(bytes)
            .with_context(|| format!("`{line}` printed bytes that are not UTF-8"))?;
        Ok(Ran {
            output: filter(
                &text,
                &[
                    (self.store(), "[STORE]"),
                    (self.work(), "[CWD]"),
                    (self.dir.path().to_path_buf(), "[ROOT]"),
                ],
            ),
            code: status.code().unwrap_or(-1),
        })
    }
}

/// Rewrites what would differ from one run to the next, and what a deck cannot keep:
/// the session's temporary paths become `[STORE]`, `[CWD]`, `[ROOT]`; spaces at the end of
/// a line (invisible on a screen, and stripped by editors) and blank lines at the end go.
pub fn filter(text: &str, paths: &[(PathBuf, &str)]) -> String {
    let mut text = text.to_string();
    for (path, name) in paths {
        text = text.replace(&path.display().to_string(), name);
    }
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end().to_string()
}

/// The `capas` binary the decks run: `$CAPAS_BIN`, else the one cargo built beside the
/// running program (`target/debug/capas`, which `cargo test --workspace` builds).
///
/// A binary older than the sources would show yesterday's outputs, so that is an error too.
pub fn capas_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("CAPAS_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().context("finding the running program")?;
    let mut dir = exe.parent().context("the running program has no folder")?;
    if dir.ends_with("deps") {
        dir = dir.parent().unwrap_or(dir);
    }
    let bin = dir.join(format!("capas{}", std::env::consts::EXE_SUFFIX));
    let built = std::fs::metadata(&bin)
        .and_then(|m| m.modified())
        .with_context(|| {
            format!(
                "no capas binary at {}: build it (`cargo build --profile test -p capas-labs --bin capas`), or run `cargo test --workspace`",
                bin.display()
            )
        })?;
    if let Some((source, changed)) = newest_source()?
        && changed > built
    {
        bail!(
            "{} is older than {}: build it again (`cargo build --profile test -p capas-labs --bin capas`), or run `cargo test --workspace`",
            bin.display(),
            source.display()
        );
    }
    Ok(bin)
}

/// The most recently changed source of the `capas` binary (Rust files and translations).
fn newest_source() -> anyhow::Result<Option<(PathBuf, SystemTime)>> {
    let root = crate::workspace_root();
    let mut newest: Option<(PathBuf, SystemTime)> = None;
    for dir in ["core/src", "labs/src", "labs/i18n"] {
        for entry in walkdir::WalkDir::new(root.join(dir)).into_iter().flatten() {
            let is_source = entry
                .path()
                .extension()
                .is_some_and(|e| e == "rs" || e == "ftl");
            if !is_source {
                continue;
            }
            let changed = entry.metadata()?.modified()?;
            if newest.as_ref().is_none_or(|(_, t)| changed > *t) {
                newest = Some((entry.path().to_path_buf(), changed));
            }
        }
    }
    Ok(newest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_paths_become_names() {
        let paths = [(PathBuf::from("/tmp/capas-deck-x/store"), "[STORE]")];
        assert_eq!(
            filter(
                "opening store at /tmp/capas-deck-x/store/index.json",
                &paths
            ),
            "opening store at [STORE]/index.json"
        );
    }

    #[test]
    fn trailing_spaces_and_blank_lines_go() {
        assert_eq!(filter("a   \n\nb  \n\n\n", &[]), "a\n\nb");
    }
}
