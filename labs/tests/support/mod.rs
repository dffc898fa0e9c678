//! The one harness for `capas` command tests: a fresh store in a temporary directory, a fixed
//! clock, and the filters for volatile text in one place.

#![allow(dead_code)] // each test binary uses part of the harness

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// "Now" for every command test: 2024-03-01T12:00:00Z, so relative times are stable.
pub const NOW: &str = "1709294400";

/// A scratch store and the commands run on it.
pub struct Capas {
    dir: tempfile::TempDir,
}

impl Capas {
    /// A new, empty store.
    pub fn new() -> Capas {
        Capas {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// The store directory.
    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// A scratch directory beside the store, for archives and the like.
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// A `capas` command on this store, with the fixed clock and no stray environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("capas").expect("capas binary");
        cmd.arg("--store")
            .arg(self.store())
            .args(args)
            .env("CAPAS_NOW", NOW)
            .env("TZ", "UTC")
            .env_remove("CAPAS_HOME")
            .env_remove("SOURCE_DATE_EPOCH");
        cmd
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().expect("run capas");
        assert!(
            out.status.success(),
            "capas {args:?} failed ({:?}):\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Runs a command that must fail; returns its output.
    pub fn fails(&self, args: &[&str]) -> Output {
        let out = self.cmd(args).output().expect("run capas");
        assert!(
            !out.status.success(),
            "capas {args:?} should have failed:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        out
    }
}

/// Total bytes of the regular files under `dir` (what a store costs on disk, by apparent size).
pub fn bytes_under(dir: &Path) -> u64 {
    walk(dir).map(|m| m.len()).sum()
}

/// Number of entries directly in `dir`.
pub fn count_entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

fn walk(dir: &Path) -> impl Iterator<Item = std::fs::Metadata> {
    let mut stack = vec![dir.to_path_buf()];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(m) = e.path().symlink_metadata() else {
                continue;
            };
            if m.is_dir() {
                stack.push(e.path());
            } else if m.is_file() {
                files.push(m);
            }
        }
    }
    files.into_iter()
}

/// Whether a Docker daemon answers. With `CAPAS_REQUIRE_DOCKER=1` (CI) its absence is a
/// failure; otherwise the test is skipped, saying so.
pub fn docker_available(test: &str) -> bool {
    let ok = std::process::Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("CAPAS_REQUIRE_DOCKER").as_deref() == Ok("1") {
            panic!("{test}: no Docker daemon, and CAPAS_REQUIRE_DOCKER=1 requires one");
        }
        eprintln!("skipping {test}: no Docker daemon (set CAPAS_REQUIRE_DOCKER=1 to require it)");
    }
    ok
}

/// Runs `docker` with arguments; panics with its stderr on failure.
pub fn docker(args: &[&str]) -> String {
    let out = std::process::Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Removes the Docker images a test created, by name, even when the test panics.
pub struct DockerCleanup(pub Vec<String>);

impl Drop for DockerCleanup {
    fn drop(&mut self) {
        for name in &self.0 {
            let _ = std::process::Command::new("docker")
                .args(["rmi", "-f", name])
                .output();
        }
    }
}
