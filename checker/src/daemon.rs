//! What the checker asks the daemon outside bollard: `GET /system/df`, whose 20.10 answer
//! bollard 0.21 cannot read (its model is API 1.52's: every field comes back `None`, see
//! `docker-reference.md` §12.3), and the daemon's own layer store, for chain IDs.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::{Context as _, bail};

/// What the checker knows of the daemon it compares with.
#[derive(Debug, Clone)]
pub struct Daemon {
    /// Which image store it uses.
    pub image_store: crate::facts::ImageStore,
    /// Its graph-driver layer store (`<root>/image/<driver>/layerdb`), when this process
    /// can read it (a local daemon, run as root).
    pub layerdb: Option<PathBuf>,
}

impl Daemon {
    /// From `docker info`'s JSON.
    pub fn from_info(info: &serde_json::Value) -> Daemon {
        let image_store = crate::facts::image_store(&crate::facts::driver_status(info));
        let layerdb = match (info["DockerRootDir"].as_str(), info["Driver"].as_str()) {
            (Some(root), Some(driver)) => {
                let dir = PathBuf::from(root).join(format!("image/{driver}/layerdb"));
                std::fs::read_dir(&dir).is_ok().then_some(dir)
            }
            _ => None,
        };
        Daemon {
            image_store,
            layerdb,
        }
    }
}

/// `GET path` on the daemon named by `DOCKER_HOST` (`unix://…` or `tcp://host:port`, plain
/// HTTP) or on `/var/run/docker.sock`, and its JSON body.
pub fn get_json(path: &str) -> anyhow::Result<serde_json::Value> {
    let host = std::env::var("DOCKER_HOST").unwrap_or_default();
    let request = format!("GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n");
    let mut response = Vec::new();
    if let Some(addr) = host
        .strip_prefix("tcp://")
        .or_else(|| host.strip_prefix("http://"))
    {
        let mut s = std::net::TcpStream::connect(addr)
            .with_context(|| format!("connecting to the daemon at {addr}"))?;
        s.write_all(request.as_bytes())?;
        s.read_to_end(&mut response)?;
    } else {
        let socket = host
            .strip_prefix("unix://")
            .unwrap_or("/var/run/docker.sock");
        let mut s = std::os::unix::net::UnixStream::connect(socket)
            .with_context(|| format!("connecting to the daemon at {socket}"))?;
        s.write_all(request.as_bytes())?;
        s.read_to_end(&mut response)?;
    }
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("the daemon's answer has no header end")?;
    let head = String::from_utf8_lossy(&response[..split]);
    let status = head.split_whitespace().nth(1).unwrap_or_default();
    let body = &response[split + 4..];
    if status != "200" {
        bail!(
            "GET {path}: {status} {}",
            String::from_utf8_lossy(body).trim()
        );
    }
    serde_json::from_slice(body).with_context(|| format!("GET {path}: not JSON"))
}
