//! Facts: what both engines say about the same thing, normalised so that only what matters
//! is compared (IDs, sizes, history rows, diff sets, trees), never formatting noise or the
//! order of lines Docker does not keep.
//!
//! The functions here are pure: they turn a daemon's JSON (as bollard or the docker CLI gives
//! it) and capas's values into the same text, and they are tested on recorded JSON.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use serde::Serialize;
use sha2::{Digest as _, Sha256};

/// One fact, as each engine says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact {
    /// The scenario it belongs to.
    pub scenario: String,
    /// What it is about (`image ID of alpine:3.19`).
    pub name: String,
    /// capas's value.
    pub capas: String,
    /// Docker's value.
    pub docker: String,
}

impl Fact {
    /// Whether both engines agree.
    pub fn same(&self) -> bool {
        self.capas == self.docker
    }
}

/// The image store a daemon uses: what it stores decides what can be compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ImageStore {
    /// The graph-driver store (overlay2, fuse-overlayfs, vfs…): image ID = config digest.
    GraphDriver,
    /// The containerd snapshotter of newer engines: image ID = manifest (or index) digest.
    Containerd,
}

/// Which store a daemon uses, from `docker info`'s `DriverStatus` pairs.
pub fn image_store(driver_status: &[(String, String)]) -> ImageStore {
    let containerd = driver_status
        .iter()
        .any(|(k, v)| k == "driver-type" && v.contains("io.containerd.snapshotter"));
    if containerd {
        ImageStore::Containerd
    } else {
        ImageStore::GraphDriver
    }
}

/// What the daemon's image ID is the digest of, given its store: the config in the
/// graph-driver store (capas's image ID), the manifest in the containerd store.
pub fn expected_id(store: ImageStore, config_id: &str, manifest_digest: &str) -> String {
    match store {
        ImageStore::GraphDriver => config_id.to_string(),
        ImageStore::Containerd => manifest_digest.to_string(),
    }
}

/// Whether `Size` means the same on both engines: the unpacked layers in the graph-driver
/// store; compressed content plus snapshots in the containerd store (not comparable).
pub fn sizes_comparable(store: ImageStore) -> bool {
    store == ImageStore::GraphDriver
}

/// The `DriverStatus` pairs of `docker info` JSON (`null` on some drivers).
pub fn driver_status(info: &serde_json::Value) -> Vec<(String, String)> {
    info["DriverStatus"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|pair| {
            let pair = pair.as_array()?;
            Some((
                pair.first()?.as_str()?.to_string(),
                pair.get(1)?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// The parts of `docker image inspect` (API JSON) a comparison uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    /// `Id`.
    pub id: String,
    /// `RootFS.Layers` (diff IDs).
    pub diff_ids: Vec<String>,
    /// `Size`, bytes.
    pub size: u64,
}

/// Reads [`ImageFacts`] from `docker image inspect`'s JSON (one object).
pub fn image_facts(inspect: &serde_json::Value) -> anyhow::Result<ImageFacts> {
    let id = inspect["Id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("inspect without Id"))?
        .to_string();
    let diff_ids = inspect["RootFS"]["Layers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| l.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let size = inspect["Size"].as_u64().unwrap_or_default();
    Ok(ImageFacts { id, diff_ids, size })
}

/// One history row as compared: who made it and how many bytes it added. IDs and times are
/// left out (`<missing>` and dates depend on where the image was built).
pub fn history_row(created_by: &str, size: u64) -> String {
    format!("{size:>10}  {created_by}")
}

/// History rows from `GET /images/{name}/history` (newest first).
pub fn history_rows(history: &serde_json::Value) -> Vec<String> {
    history
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    history_row(
                        r["CreatedBy"].as_str().unwrap_or_default(),
                        r["Size"].as_u64().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `docker diff` lines from `GET /containers/{id}/changes` (`null` when nothing changed),
/// sorted: Docker's order is not deterministic.
pub fn diff_lines(changes: &serde_json::Value) -> Vec<String> {
    let mut lines: Vec<String> = changes
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    let kind = match c["Kind"].as_u64() {
                        Some(1) => 'A',
                        Some(2) => 'D',
                        _ => 'C',
                    };
                    format!("{kind} {}", c["Path"].as_str().unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default();
    lines.sort();
    lines
}

/// Paths Docker's init layer adds or mounts over: not a script's doing.
pub fn docker_own(path: &str) -> bool {
    matches!(
        path,
        "/.dockerenv" | "/etc/hosts" | "/etc/hostname" | "/etc/resolv.conf" | "/etc/mtab"
    ) || ["/dev", "/proc", "/sys"]
        .iter()
        .any(|m| path == *m || path.starts_with(&format!("{m}/")))
}

/// A file system as text lines `path kind mode content`, sorted, from a tar (`docker
/// export`, or a layer): hard links resolved to their target's content.
pub fn tree_of_tar(bytes: &[u8]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut tree = BTreeMap::new();
    let mut archive = tar::Archive::new(bytes);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let raw = entry.path()?.to_string_lossy().into_owned();
        let path = format!("/{}", raw.trim_start_matches("./").trim_end_matches('/'));
        if path == "/" || docker_own(&path) {
            continue;
        }
        let mode = entry.header().mode()? & 0o7777;
        let value = match entry.header().entry_type() {
            tar::EntryType::Directory => format!("dir {mode:o}"),
            tar::EntryType::Symlink => format!(
                "symlink -> {}",
                entry
                    .link_name()?
                    .map(|l| l.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
            tar::EntryType::Link => {
                let target = entry
                    .link_name()?
                    .map(|l| format!("/{}", l.to_string_lossy().trim_start_matches("./")))
                    .unwrap_or_default();
                tree.get(&target)
                    .cloned()
                    .unwrap_or_else(|| "link ?".into())
            }
            _ => {
                let mut content = Vec::new();
                entry.read_to_end(&mut content)?;
                format!(
                    "file {mode:o} {}",
                    &hex::encode(Sha256::digest(&content))[..16]
                )
            }
        };
        tree.insert(path, value);
    }
    Ok(tree)
}

/// The lines of a tree that differ between two trees, `path: a | b`, for a fact's value.
pub fn tree_difference(
    a: &BTreeMap<String, String>,
    b: &BTreeMap<String, String>,
) -> (String, String) {
    let paths: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut left = Vec::new();
    let mut right = Vec::new();
    for p in paths {
        let (x, y) = (a.get(p), b.get(p));
        if x != y {
            left.push(format!("{p} {}", x.map_or("absent", String::as_str)));
            right.push(format!("{p} {}", y.map_or("absent", String::as_str)));
        }
    }
    if left.is_empty() {
        let same = format!("{} entries", a.len());
        (same.clone(), same)
    } else {
        (left.join("; "), right.join("; "))
    }
}

/// `docker images` rows as compared: `repo:tag id size`, sorted, with the scenario's own
/// names (the run prefix taken off Docker's).
pub fn images_rows(summaries: &serde_json::Value, prefix: &str) -> Vec<String> {
    let mut rows = Vec::new();
    for s in summaries.as_array().into_iter().flatten() {
        let id = s["Id"].as_str().unwrap_or_default();
        let size = s["Size"].as_u64().unwrap_or_default();
        for tag in s["RepoTags"].as_array().into_iter().flatten() {
            let Some(tag) = tag.as_str() else { continue };
            if let Some(own) = tag.strip_prefix(prefix) {
                rows.push(format!("{} {id} {size}", unmap(own)));
            }
        }
    }
    rows.sort();
    rows
}

/// A scenario's image name as Docker holds it: under the run's own repository prefix, so
/// that nothing of the daemon's own images is touched (`alpine:3.19` →
/// `capas-checker-123/alpine:3.19`; `lab/x:1` → `capas-checker-123/lab--x:1`).
pub fn map_name(prefix: &str, name: &str) -> String {
    let (repo, tag) = match name.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, t),
        _ => (name, "latest"),
    };
    format!("{prefix}{}:{tag}", repo.replace('/', "--"))
}

/// The inverse of [`map_name`] without its prefix.
fn unmap(own: &str) -> String {
    own.replace("--", "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_both_ways() {
        let p = "capas-checker-7/";
        assert_eq!(map_name(p, "alpine:3.19"), "capas-checker-7/alpine:3.19");
        assert_eq!(map_name(p, "lab/x:1"), "capas-checker-7/lab--x:1");
        assert_eq!(map_name(p, "busybox"), "capas-checker-7/busybox:latest");
        assert_eq!(unmap("lab--x:1"), "lab/x:1");
    }

    #[test]
    fn containerd_store_is_detected() {
        let graph = vec![("Backing Filesystem".to_string(), "extfs".to_string())];
        assert_eq!(image_store(&graph), ImageStore::GraphDriver);
        let cd = vec![(
            "driver-type".to_string(),
            "io.containerd.snapshotter.v1".to_string(),
        )];
        assert_eq!(image_store(&cd), ImageStore::Containerd);
    }

    #[test]
    fn diff_lines_sort_and_name_kinds() {
        let changes = serde_json::json!([
            {"Path": "/tmp/a", "Kind": 1},
            {"Path": "/etc/issue", "Kind": 2},
            {"Path": "/etc", "Kind": 0},
        ]);
        assert_eq!(
            diff_lines(&changes),
            vec!["A /tmp/a", "C /etc", "D /etc/issue"]
        );
        assert!(diff_lines(&serde_json::Value::Null).is_empty());
    }

    #[test]
    fn tree_difference_names_both_sides() {
        let mut a = BTreeMap::new();
        a.insert("/x".to_string(), "file 644 aa".to_string());
        let mut b = a.clone();
        assert_eq!(tree_difference(&a, &b).0, "1 entries");
        b.insert("/x".to_string(), "file 600 aa".to_string());
        b.insert("/y".to_string(), "dir 755".to_string());
        let (l, r) = tree_difference(&a, &b);
        assert_eq!(l, "/x file 644 aa; /y absent");
        assert_eq!(r, "/x file 600 aa; /y dir 755");
    }
}
