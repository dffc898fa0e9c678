//! A registry on loopback for the `pull` scenarios: Debian's `docker-registry` (the CNCF
//! distribution registry), started with a configuration of the checker's own (storage in a
//! temporary directory, `127.0.0.1:<free port>`, no authentication), and stopped when the run
//! ends. Docker pulls from `127.0.0.1` over plain HTTP without any daemon setting.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// Where Debian installs the registry (`CAPAS_REGISTRY_BIN` overrides it).
pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// The registry binary, if installed.
pub fn binary() -> Option<PathBuf> {
    let bin = std::env::var_os("CAPAS_REGISTRY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(REGISTRY_BIN));
    bin.is_file().then_some(bin)
}

/// A running registry; stopped, and its storage removed, on drop.
pub struct LocalRegistry {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl LocalRegistry {
    /// Starts one on a free loopback port and waits until it answers `/v2/`.
    pub fn start() -> anyhow::Result<LocalRegistry> {
        let bin = binary()
            .context("the pull scenarios need docker-registry (apt-get install docker-registry)")?;
        // The port is free when chosen but released before the registry binds it: if
        // something takes it in between, the registry exits, and another port is tried.
        let mut last_error = String::new();
        for _ in 0..3 {
            let dir = tempfile::tempdir()?;
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let config = format!(
                "version: 0.1\n\
                 log:\n  level: error\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {data}\n\
                 http:\n  addr: 127.0.0.1:{port}\n  secret: capas-checker\n",
                data = dir.path().join("data").display(),
            );
            let config_path = dir.path().join("config.yml");
            std::fs::write(&config_path, config)?;
            let log = std::fs::File::create(dir.path().join("registry.log"))?;
            let child = Command::new(&bin)
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()
                .with_context(|| format!("starting {}", bin.display()))?;
            let mut registry = LocalRegistry { child, port, dir };
            match registry.wait_ready() {
                Ok(()) => return Ok(registry),
                Err(e) => last_error = e.to_string(),
            }
        }
        bail!("{last_error}")
    }

    fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.answers() {
                return Ok(());
            }
            if let Some(exit) = self.child.try_wait()? {
                bail!(
                    "docker-registry exited ({exit}) before answering: {}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!(
            "docker-registry did not answer /v2/ in 20 s: {}",
            self.log()
        )
    }

    fn answers(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let mut head = [0u8; 12];
        write!(stream, "GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").is_ok()
            && stream.read_exact(&mut head).is_ok()
            && &head[9..12] == b"200"
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// `127.0.0.1:<port>`, the host part of the names pushed to it.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
