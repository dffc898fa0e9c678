//! A real registry on loopback for tests: Debian's `docker-registry` (the CNCF distribution
//! registry, 2.8), started with a config of its own — storage in a temporary directory,
//! `127.0.0.1:<free port>`, no auth or htpasswd (Basic) auth — and killed when dropped.
//!
//! No mocks: what capas pushes and pulls here is what Docker pushes and pulls.
//! Shared by `core/tests` and `labs/tests` (included there with `#[path]`).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Set to `1` (as CI does) to turn "no docker-registry binary" into a failure.
pub const REQUIRE_REGISTRY: &str = "CAPAS_REQUIRE_REGISTRY";

/// Where Debian installs the registry.
pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

fn binary() -> Option<PathBuf> {
    let bin = std::env::var_os("CAPAS_REGISTRY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(REGISTRY_BIN));
    bin.is_file().then_some(bin)
}

/// A running registry; killed (and its storage removed) on drop.
pub struct TestRegistry {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl TestRegistry {
    /// Starts a registry without auth, or returns `None` (after saying why) when the binary
    /// is missing and `CAPAS_REQUIRE_REGISTRY` is not `1`.
    pub fn start() -> Option<TestRegistry> {
        TestRegistry::start_with(None)
    }

    /// Starts a registry whose `htpasswd` file holds `htpasswd` (`user:bcrypt-hash` lines):
    /// every request then needs HTTP Basic credentials.
    pub fn start_with(htpasswd: Option<&str>) -> Option<TestRegistry> {
        match htpasswd {
            None => TestRegistry::start_config(None, None),
            Some(lines) => TestRegistry::start_config(Some(lines), None),
        }
    }

    /// Starts a registry with `auth` (a YAML `auth:` section, e.g. `token:` auth) appended
    /// to its config.
    pub fn start_with_auth(auth: &str) -> Option<TestRegistry> {
        TestRegistry::start_config(None, Some(auth))
    }

    fn start_config(htpasswd: Option<&str>, auth: Option<&str>) -> Option<TestRegistry> {
        let Some(bin) = binary() else {
            if std::env::var(REQUIRE_REGISTRY).is_ok_and(|v| v == "1") {
                panic!("{REGISTRY_BIN} is missing, but {REQUIRE_REGISTRY}=1 requires it");
            }
            eprintln!(
                "skipping: {REGISTRY_BIN} is missing (apt-get install docker-registry; set {REQUIRE_REGISTRY}=1 to require it)"
            );
            return None;
        };
        // The free port is released before the registry binds it: if something else took it
        // in between, the registry exits at once, and another port is tried.
        let mut last_error = String::new();
        for _ in 0..3 {
            let dir = tempfile::tempdir().expect("tempdir for the registry");
            let port = free_port();
            let mut config = format!(
                "version: 0.1\n\
                 log:\n  level: error\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {data}\n  delete:\n    enabled: true\n\
                 http:\n  addr: 127.0.0.1:{port}\n  secret: capas-test-secret\n",
                data = dir.path().join("data").display(),
            );
            if let Some(lines) = htpasswd {
                let path = dir.path().join("htpasswd");
                std::fs::write(&path, lines).expect("writing htpasswd");
                config.push_str(&format!(
                    "auth:\n  htpasswd:\n    realm: capas-test\n    path: {}\n",
                    path.display()
                ));
            }
            if let Some(auth) = auth {
                config.push_str(auth);
            }
            let config_path = dir.path().join("config.yml");
            std::fs::write(&config_path, config).expect("writing registry config");
            let log = std::fs::File::create(dir.path().join("registry.log")).expect("log file");
            let child = Command::new(&bin)
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log"))
                .stderr(log)
                .spawn()
                .expect("starting docker-registry");
            let mut registry = TestRegistry { child, port, dir };
            match registry.wait_ready() {
                Ok(()) => return Some(registry),
                Err(e) => last_error = e,
            }
        }
        panic!("{last_error}");
    }

    /// Waits for `/v2/` to answer; `Err` if the registry exited first (its port was taken).
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = http_status(self.port, "/v2/")
                && (status == 200 || status == 401)
            {
                return Ok(());
            }
            if let Ok(Some(exit)) = self.child.try_wait() {
                return Err(format!(
                    "docker-registry exited ({exit}) before answering: {}",
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "docker-registry did not answer /v2/ in 20 s: {}",
            self.log()
        );
    }

    /// `127.0.0.1:<port>`, the host part of image names.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// What the registry logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// The file that holds a blob's bytes in the registry's storage (to tamper with it).
    pub fn blob_data(&self, digest_hex: &str) -> PathBuf {
        self.dir
            .path()
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&digest_hex[..2])
            .join(digest_hex)
            .join("data")
    }

    /// The storage root.
    pub fn storage(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on right now (bound, read, released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The status code of `GET path` on loopback, or `None` if nothing answers.
fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}
