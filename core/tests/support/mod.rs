//! Shared helpers for tests that talk to a real Docker daemon through the `docker` CLI.
//!
//! Rules these helpers enforce, so a test never disturbs anything else on the machine:
//! every name a test creates is `capas-test/<what>:<pid>-<n>` ([`Docker::name`]), it is
//! registered with a [`Cleanup`] guard *before* the command that creates it, and the guard
//! removes it with `docker rmi` when the test ends, passed or failed. Nothing is pruned.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Set to `1` (as CI does) to turn "no Docker daemon" into a failure instead of a skip.
pub const REQUIRE_DOCKER: &str = "CAPAS_REQUIRE_DOCKER";

/// Whether the environment asks for Docker to be present.
pub fn docker_required() -> bool {
    std::env::var(REQUIRE_DOCKER).is_ok_and(|v| v == "1")
}

/// Skips the test (returns `None`) with a message, or fails it when Docker is required.
pub fn skip<T>(why: &str) -> Option<T> {
    if docker_required() {
        panic!("{why}, but {REQUIRE_DOCKER}=1 requires it");
    }
    eprintln!("skipping: {why} (set {REQUIRE_DOCKER}=1 to require it)");
    None
}

/// The docker CLI, checked to reach a daemon.
pub struct Docker {
    bin: PathBuf,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl Docker {
    /// The daemon, or `None` (after printing why) when there is none and it is not required.
    pub fn connect() -> Option<Docker> {
        let candidates = [
            PathBuf::from("docker"),
            PathBuf::from("/usr/local/bin/docker"),
        ];
        for bin in candidates {
            let ok = Command::new(&bin)
                .args(["info", "--format", "{{.ServerVersion}}"])
                .output()
                .is_ok_and(|o| o.status.success());
            if ok {
                return Some(Docker { bin });
            }
        }
        if docker_required() {
            panic!("no Docker daemon: `docker info` failed, but {REQUIRE_DOCKER}=1 requires one");
        }
        eprintln!("skipping: no Docker daemon (set {REQUIRE_DOCKER}=1 to require it)");
        None
    }

    /// A fresh name for an object of this test run: `capas-test/<what>:<pid>-<n>`.
    pub fn name(&self, what: &str) -> String {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        format!("capas-test/{what}:{}-{n}", std::process::id())
    }

    /// Runs `docker args…` and returns its output, whatever its exit status.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args)
            .output()
            .unwrap_or_else(|e| panic!("running docker {args:?}: {e}"))
    }

    /// A `docker args…` command to adjust (environment, stdin) before running it.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.args(args);
        c
    }

    /// Runs `docker args…`, fails the test with its stderr if it fails, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        check(self.run(args), args)
    }

    /// `capas save` of `record` under its tags (a docker-archive written in `dir`), then
    /// `docker load` of it; returns what `docker load` printed.
    pub fn load_from(
        &self,
        store: &capas_core::store::Store,
        record: &capas_core::store::ImageRecord,
        dir: &std::path::Path,
    ) -> String {
        let archive_path = dir.join(format!("{}.tar", record.id.hex()));
        capas_core::archive::save(
            store,
            &[(record.clone(), record.tags().cloned().collect())],
            capas_core::archive::Format::DockerArchive,
            std::fs::File::create(&archive_path).expect("archive"),
        )
        .expect("save");
        let path = archive_path.to_str().expect("utf-8 temp path");
        self.ok(&["load", "-i", path])
    }

    /// `docker image inspect` as JSON.
    pub fn inspect(&self, image: &str) -> serde_json::Value {
        let out = self.ok(&["image", "inspect", "--format", "{{json .}}", image]);
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("inspect {image}: {e}: {out}"))
    }

    /// `docker history --no-trunc --human=false`, newest first: (created by, size in bytes).
    pub fn history(&self, image: &str) -> Vec<(String, u64)> {
        let out = self.ok(&[
            "history",
            "--no-trunc",
            "--human=false",
            "--format",
            "{{json .}}",
            image,
        ]);
        out.lines()
            .map(|line| {
                let row: serde_json::Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("history row {line}: {e}"));
                let created_by = row["CreatedBy"].as_str().unwrap_or_default().to_string();
                let size = row["Size"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .or_else(|| row["Size"].as_u64())
                    .unwrap_or_else(|| panic!("history row without a size: {line}"));
                (created_by, size)
            })
            .collect()
    }
}

/// The stdout of a command that must succeed.
pub fn check(out: Output, what: &[&str]) -> String {
    assert!(
        out.status.success(),
        "docker {what:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Removes the images a test created, newest first, when it goes out of scope (also when the
/// test panics). Only names registered here are touched.
pub struct Cleanup<'d> {
    docker: &'d Docker,
    names: Vec<String>,
}

impl<'d> Cleanup<'d> {
    /// An empty guard.
    pub fn new(docker: &'d Docker) -> Self {
        Cleanup {
            docker,
            names: Vec::new(),
        }
    }

    /// A fresh name (see [`Docker::name`]), registered for removal.
    pub fn name(&mut self, what: &str) -> String {
        let name = self.docker.name(what);
        self.names.push(name.clone());
        name
    }
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        for name in self.names.iter().rev() {
            // A name that was never created is "No such image": fine.
            let _ = self.docker.run(&["rmi", name]);
        }
    }
}

/// The host's static busybox, to build runnable base images from; or a skip (a failure when
/// Docker is required) when Debian's busybox-static is not installed.
pub fn static_busybox() -> Option<std::path::PathBuf> {
    capas_core::busybox::find_static()
        .or_else(|| skip("no static busybox (Debian package busybox-static) to build a base image"))
}
