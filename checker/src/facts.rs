//! Facts: what both engines say about the same thing, normalised so that only what matters
//! is compared (IDs, sizes, history rows, diff sets, trees), never formatting noise or the
//! order of lines Docker does not keep.
//!
//! The functions here are pure: they turn a daemon's JSON (as bollard or the docker CLI gives
//! it) and capas's values into the same text, and they are tested on recorded JSON.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use capas_core::digest::HashingWriter;
use capas_core::lifecycle::DeleteRecord;
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

/// One history row as compared: the image ID it shows (`<missing>` for a row with no local
/// image: Docker shows IDs only down a chain of parents made here), how many bytes it added,
/// and who made it. Times are left out.
pub fn history_row(id: Option<&str>, created_by: &str, size: u64) -> String {
    format!("{}  {size:>10}  {created_by}", id.unwrap_or("<missing>"))
}

/// History rows from `GET /images/{name}/history` (newest first).
pub fn history_rows(history: &serde_json::Value) -> Vec<String> {
    history
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    history_row(
                        r["Id"].as_str().filter(|id| *id != "<missing>"),
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
pub fn tree_of_tar(tar: impl Read) -> anyhow::Result<BTreeMap<String, String>> {
    let mut tree = BTreeMap::new();
    let mut archive = tar::Archive::new(tar);
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
                let mut hasher = HashingWriter::new(std::io::sink());
                std::io::copy(&mut entry, &mut hasher)?;
                let (digest, _, _) = hasher.finish()?;
                format!("file {mode:o} {}", &digest.hex()[..16])
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

/// `docker images` rows as compared: `repo:tag id size`, sorted, for the names `own` picks
/// and names (it returns `None` for the daemon's other images).
pub fn images_rows(
    summaries: &serde_json::Value,
    own: &dyn Fn(&str) -> Option<String>,
) -> Vec<String> {
    let mut rows = Vec::new();
    for s in summaries.as_array().into_iter().flatten() {
        let id = s["Id"].as_str().unwrap_or_default();
        let size = s["Size"].as_u64().unwrap_or_default();
        for tag in s["RepoTags"].as_array().into_iter().flatten() {
            if let Some(name) = tag.as_str().and_then(own) {
                rows.push(format!("{name} {id} {size}"));
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
pub fn unmap(own: &str) -> String {
    own.replace("--", "/")
}

/// Chain IDs from diff IDs, bottom first (image-spec): the first is the first diff ID; each
/// next one is the SHA-256 of `"<chain below> <diff ID>"`.
pub fn chain_ids(diff_ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in diff_ids {
        let next = match out.last() {
            None => d.clone(),
            Some(below) => format!(
                "sha256:{}",
                hex::encode(Sha256::digest(format!("{below} {d}").as_bytes()))
            ),
        };
        out.push(next);
    }
    out
}

/// The chain IDs of an image's layers as Docker's graph-driver layer store holds them
/// (`<layerdb>/sha256/<chain>/{diff,parent}`, where `layerdb` is
/// `<root>/image/<driver>/layerdb`), found by following the image's diff IDs up from the
/// bottom. `None` when the store cannot be read (another
/// machine's daemon, no permission) or a layer is not in it.
pub fn layerdb_chain_ids(layerdb: &std::path::Path, diff_ids: &[String]) -> Option<Vec<String>> {
    // chain → (diff ID, parent chain)
    let mut layers: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
    for entry in std::fs::read_dir(layerdb.join("sha256")).ok()? {
        let entry = entry.ok()?;
        let dir = entry.path();
        let Ok(diff) = std::fs::read_to_string(dir.join("diff")) else {
            continue; // a layer being written or removed right now
        };
        let parent = std::fs::read_to_string(dir.join("parent"))
            .ok()
            .map(|p| p.trim().to_string());
        let chain = format!("sha256:{}", entry.file_name().to_string_lossy());
        layers.insert(chain, (diff.trim().to_string(), parent));
    }
    let mut out: Vec<String> = Vec::new();
    for d in diff_ids {
        let below = out.last().cloned();
        let (chain, _) = layers
            .iter()
            .find(|(_, (diff, parent))| diff == d && *parent == below)?;
        out.push(chain.clone());
    }
    Some(out)
}

/// The parts of an image's run configuration a comparison uses, one `Key=<JSON>` line each,
/// empty values left out (Docker writes `null` where capas writes nothing, and the reverse).
/// `config` is the `Config` object of `docker image inspect`, or the `config` object of an
/// OCI image config. Labels named `skip_label` (the checker's own) are left out.
pub fn config_lines(config: &serde_json::Value, skip_label: &str) -> Vec<String> {
    const KEYS: [&str; 9] = [
        "Cmd",
        "Entrypoint",
        "Env",
        "ExposedPorts",
        "Labels",
        "StopSignal",
        "User",
        "Volumes",
        "WorkingDir",
    ];
    let mut lines = Vec::new();
    for key in KEYS {
        let mut value = config[key].clone();
        if key == "Labels"
            && let Some(labels) = value.as_object_mut()
        {
            labels.remove(skip_label);
        }
        let empty = match &value {
            serde_json::Value::Null => true,
            serde_json::Value::String(s) => s.is_empty(),
            serde_json::Value::Array(a) => a.is_empty(),
            serde_json::Value::Object(o) => o.is_empty(),
            _ => false,
        };
        if !empty {
            lines.push(format!("{key}={value}"));
        }
    }
    lines
}

/// A layer tar's entries as compared, in the tar's order: `path mode uid:gid kind` and, for a
/// file, its size and the start of its SHA-256; for links, the target; a whiteout only as
/// such. Times are left out: a layer made on two engines at two moments differs in them and
/// in nothing else.
pub fn layer_entries(tar: impl Read) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let raw = entry.path()?.to_string_lossy().into_owned();
        let path = raw
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        let h = entry.header();
        let head = format!("{path} {:o} {}:{}", h.mode()? & 0o7777, h.uid()?, h.gid()?);
        let link = || -> anyhow::Result<String> {
            Ok(entry
                .link_name()?
                .map(|l| l.to_string_lossy().into_owned())
                .unwrap_or_default())
        };
        let name = path.rsplit('/').next().unwrap_or_default();
        let line = match h.entry_type() {
            // A whiteout's mode means nothing, and Docker writes 0600 or 0 depending on the
            // storage driver (overlay2's native diff, or the naive diff of the others).
            _ if name.starts_with(".wh.") && name != ".wh..wh..opq" => {
                format!("{path} whiteout")
            }
            tar::EntryType::Directory => format!("{head} dir"),
            tar::EntryType::Symlink => format!("{head} symlink -> {}", link()?),
            tar::EntryType::Link => format!("{head} hardlink -> {}", link()?),
            _ => {
                let mut hasher = HashingWriter::new(std::io::sink());
                let size = std::io::copy(&mut entry, &mut hasher)?;
                let (digest, _, _) = hasher.finish()?;
                format!("{head} file {size} {}", &digest.hex()[..16])
            }
        };
        out.push(line);
    }
    Ok(out)
}

/// How one engine's words are made comparable with the other's: its names for the scenario's
/// images (prefixes the run added) and its IDs (image IDs and chain IDs named after the
/// scenario image that had them: `@alpine:3.19`, `@alpine:3.19 layer 1`).
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Name prefixes to take off, the longest first. A name after [`Names::mapped`] has
    /// its `--` turned back into `/`.
    pub plain: Vec<String>,
    /// The prefix [`map_name`] adds (its names get `--` turned back into `/`).
    pub mapped: Option<String>,
    /// Full IDs (`sha256:…`) and what to call them.
    pub aliases: BTreeMap<String, String>,
}

impl Names {
    /// Names an image's ID (full, `sha256:…`) after the scenario name it has now, and its
    /// layers' chain IDs (bottom first) after it too, unless they already have names. A name
    /// that moved to another image (a second commit to `mia:1`) names it `@mia:1 #2`.
    pub fn alias_image(&mut self, id: &str, name: &str, chain_ids: &[String]) {
        if self.aliases.contains_key(id) {
            return;
        }
        let base = format!("@{name}");
        let taken = self
            .aliases
            .values()
            .filter(|a| {
                *a == &base || a.starts_with(&format!("{base} #")) && !a.contains(" layer ")
            })
            .count();
        let label = if taken == 0 {
            base
        } else {
            format!("{base} #{}", taken + 1)
        };
        for (i, chain) in chain_ids.iter().enumerate() {
            self.aliases
                .entry(chain.clone())
                .or_insert_with(|| format!("{label} layer {}", i + 1));
        }
        self.aliases.insert(id.to_string(), label);
    }

    /// The scenario's name for an image name of this engine, if it is one of the run's.
    pub fn own(&self, name: &str) -> Option<String> {
        if let Some(rest) = self
            .plain
            .iter()
            .find_map(|p| name.strip_prefix(p.as_str()))
        {
            return Some(rest.to_string());
        }
        let mapped = self.mapped.as_deref()?;
        name.strip_prefix(mapped).map(unmap)
    }

    /// The same names, with IDs left as they are.
    pub fn without_aliases(&self) -> Names {
        Names {
            aliases: BTreeMap::new(),
            ..self.clone()
        }
    }

    /// `text` with this engine's prefixes taken off, IDs (full, or 12-hex short) replaced by
    /// their aliases, and container IDs by `<container>`.
    pub fn text(&self, text: &str) -> String {
        let mut s = text.to_string();
        for p in &self.plain {
            s = s.replace(p.as_str(), "");
        }
        if let Some(p) = &self.mapped {
            while let Some(at) = s.find(p.as_str()) {
                let rest = &s[at + p.len()..];
                let end = rest
                    .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ','))
                    .unwrap_or(rest.len());
                let name = unmap(&rest[..end]);
                s = format!("{}{name}{}", &s[..at], &rest[end..]);
            }
        }
        for (id, alias) in &self.aliases {
            s = s.replace(id.as_str(), alias);
            let hex = id.trim_start_matches("sha256:");
            if hex.len() >= 12 {
                s = replace_short_id(&s, &hex[..12], alias);
            }
        }
        // `container 0123456789ab is using …`: container IDs are each engine's own.
        let mut out = String::new();
        let mut rest = s.as_str();
        while let Some(at) = rest.find("container ") {
            let (before, after) = rest.split_at(at + "container ".len());
            out.push_str(before);
            let id_len = after.chars().take_while(char::is_ascii_hexdigit).count();
            if id_len >= 12 {
                out.push_str("<container>");
                rest = &after[id_len..];
            } else {
                rest = after;
            }
        }
        out.push_str(rest);
        out
    }
}

/// capas's `rmi` / `image prune` lines as the daemon's store would print them: the
/// containerd store never prints the layers it releases (`docker-reference.md` §13.2).
pub fn capas_delete_lines(records: &[DeleteRecord], store: ImageStore) -> Vec<String> {
    records
        .iter()
        .filter(|r| {
            store == ImageStore::GraphDriver || !matches!(r, DeleteRecord::DeletedLayer { .. })
        })
        .map(ToString::to_string)
        .collect()
}

/// `text` with `short` (12 hex) replaced by `alias` where it stands alone: not inside a
/// longer hex string (`file:3ad8e7515831e60d…` keeps its digest).
fn replace_short_id(text: &str, short: &str, alias: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(short) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + short.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(|c| c.is_ascii_hexdigit())
            || after.is_some_and(|c| c.is_ascii_hexdigit())
        {
            out.push_str(short);
        } else {
            out.push_str(alias);
        }
        rest = &rest[at + short.len()..];
    }
    out.push_str(rest);
    out
}

/// `docker rmi` / `image prune` lines from the API's delete items
/// (`[{"Untagged": …}, {"Deleted": …}]`), as the CLI prints them.
pub fn delete_lines(items: &serde_json::Value) -> Vec<String> {
    items
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| {
            if let Some(name) = item["Untagged"].as_str() {
                Some(format!("Untagged: {name}"))
            } else {
                item["Deleted"].as_str().map(|id| format!("Deleted: {id}"))
            }
        })
        .collect()
}

/// A pull's outcome as compared: each layer's last state (`<id>: Already exists` or
/// `<id>: Pull complete`) in the order the layers first appeared, then the `Digest:` and
/// `Status:` lines. `lines` are `(layer id, status)` as a progress stream gives them (the
/// id empty for lines about the whole image); Docker may skip or repeat the states in
/// between, which are left out.
pub fn pull_lines(lines: &[(String, String)]) -> Vec<String> {
    let mut order: Vec<&str> = Vec::new();
    let mut last: BTreeMap<&str, &str> = BTreeMap::new();
    let mut tail = Vec::new();
    for (id, status) in lines {
        if id.is_empty() || status.starts_with("Pulling from") {
            if status.starts_with("Digest:") || status.starts_with("Status:") {
                tail.push(status.clone());
            }
            continue;
        }
        if !order.contains(&id.as_str()) {
            order.push(id);
        }
        if matches!(status.as_str(), "Already exists" | "Pull complete") {
            last.insert(id, status);
        }
    }
    let mut out: Vec<String> = order
        .iter()
        .filter_map(|id| last.get(id).map(|s| format!("{id}: {s}")))
        .collect();
    out.extend(tail);
    out
}

/// `system df -v` rows for the scenario's images and containers, from the daemon's
/// `GET /system/df` JSON: `image NAME size=… shared=… containers=…` and
/// `container NAME size_rw=…`, sorted. `own` picks and names the run's objects (it returns
/// `None` for the daemon's others).
pub fn df_rows(df: &serde_json::Value, own: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let mut rows = Vec::new();
    for img in df["Images"].as_array().into_iter().flatten() {
        for tag in img["RepoTags"].as_array().into_iter().flatten() {
            if let Some(name) = tag.as_str().and_then(own) {
                rows.push(df_image_row(
                    &name,
                    img["Size"].as_u64().unwrap_or_default(),
                    img["SharedSize"].as_u64().unwrap_or_default(),
                    img["Containers"].as_u64().unwrap_or_default(),
                ));
            }
        }
    }
    for c in df["Containers"].as_array().into_iter().flatten() {
        for n in c["Names"].as_array().into_iter().flatten() {
            if let Some(name) = n.as_str().and_then(|n| own(n.trim_start_matches('/'))) {
                rows.push(df_container_row(
                    &name,
                    c["SizeRw"].as_u64().unwrap_or_default(),
                ));
            }
        }
    }
    rows.sort();
    rows
}

/// One image row of [`df_rows`].
pub fn df_image_row(name: &str, size: u64, shared: u64, containers: u64) -> String {
    format!("image {name} size={size} shared={shared} containers={containers}")
}

/// One container row of [`df_rows`].
pub fn df_container_row(name: &str, size_rw: u64) -> String {
    format!("container {name} size_rw={size_rw}")
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

    #[test]
    fn chain_ids_follow_the_image_spec() {
        let a = format!("sha256:{}", "a".repeat(64));
        let b = format!("sha256:{}", "b".repeat(64));
        let chains = chain_ids(&[a.clone(), b.clone()]);
        assert_eq!(chains[0], a);
        let expected = capas_core::digest::ChainId::all(&[
            capas_core::digest::DiffId(capas_core::digest::Digest::parse(&a).expect("digest")),
            capas_core::digest::DiffId(capas_core::digest::Digest::parse(&b).expect("digest")),
        ]);
        assert_eq!(chains[1], expected[1].to_string());
    }

    #[test]
    fn layerdb_is_followed_from_the_bottom() {
        let dir = tempfile::tempdir().expect("tmp");
        let (a, b) = (
            format!("sha256:{}", "a".repeat(64)),
            format!("sha256:{}", "b".repeat(64)),
        );
        let chains = chain_ids(&[a.clone(), b.clone()]);
        let db = dir.path().join("sha256");
        for (i, chain) in chains.iter().enumerate() {
            let d = db.join(chain.trim_start_matches("sha256:"));
            std::fs::create_dir_all(&d).expect("dir");
            std::fs::write(d.join("diff"), [&a, &b][i]).expect("diff");
            if i == 1 {
                std::fs::write(d.join("parent"), &chains[0]).expect("parent");
            }
        }
        // Another image's layer with the same diff ID on another parent is not taken.
        let other = db.join("c".repeat(64));
        std::fs::create_dir_all(&other).expect("dir");
        std::fs::write(other.join("diff"), &b).expect("diff");
        std::fs::write(other.join("parent"), format!("sha256:{}", "d".repeat(64))).expect("parent");
        assert_eq!(layerdb_chain_ids(dir.path(), &[a.clone(), b]), Some(chains));
        let missing = format!("sha256:{}", "e".repeat(64));
        assert_eq!(layerdb_chain_ids(dir.path(), &[a, missing]), None);
        assert_eq!(layerdb_chain_ids(&dir.path().join("nowhere"), &[]), None);
    }

    #[test]
    fn config_lines_leave_out_empty_values_and_the_checker_s_label() {
        let docker = serde_json::json!({
            "Cmd": ["sh"], "Entrypoint": null, "Env": ["A=1"], "WorkingDir": "",
            "Labels": {"io.capas.checker": "run-1", "course": "capas"}, "OnBuild": null,
        });
        let capas = serde_json::json!({
            "Cmd": ["sh"], "Env": ["A=1"], "Labels": {"course": "capas", "io.capas.checker": "x"},
        });
        let lines = config_lines(&docker, "io.capas.checker");
        assert_eq!(
            lines,
            vec![
                "Cmd=[\"sh\"]",
                "Env=[\"A=1\"]",
                "Labels={\"course\":\"capas\"}"
            ]
        );
        assert_eq!(config_lines(&capas, "io.capas.checker"), lines);
    }

    #[test]
    fn layer_entries_leave_out_times_and_whiteout_modes() {
        use capas_core::layer::TarBuilder;
        let tar = |t: u64, whiteout_mode: u32| {
            let mut b = TarBuilder::new(Vec::new());
            b.dir("etc", 0o755, t).expect("dir");
            b.file("etc/.wh.issue", whiteout_mode, t, 0, &b""[..])
                .expect("wh");
            b.file("etc/motd", 0o644, t, 5, &b"hola\n"[..])
                .expect("file");
            b.symlink("etc/l", "motd", t).expect("link");
            b.finish().expect("tar").0
        };
        let one = layer_entries(&tar(1, 0o600)[..]).expect("entries");
        assert_eq!(one, layer_entries(&tar(2, 0)[..]).expect("entries"));
        assert_eq!(one[0], "etc 755 0:0 dir");
        assert_eq!(one[1], "etc/.wh.issue whiteout");
        assert!(one[2].starts_with("etc/motd 644 0:0 file 5 "), "{one:?}");
        assert_eq!(one[3], "etc/l 777 0:0 symlink -> motd");
        assert!(layer_entries(&b"not a tar at all, not a tar at all"[..]).is_err());
    }

    #[test]
    fn names_take_off_prefixes_and_name_ids() {
        let mut n = Names {
            plain: vec!["127.0.0.1:5000/capas-checker-1-0/".into()],
            mapped: Some("capas-checker-1-0/".into()),
            ..Names::default()
        };
        let id = format!("sha256:{}", "ab".repeat(32));
        let chain = format!("sha256:{}", "cd".repeat(32));
        n.alias_image(&id, "lab/x:1", std::slice::from_ref(&chain));
        assert_eq!(
            n.text(&format!(
                "conflict: unable to remove repository reference \"capas-checker-1-0/lab--x:1\" (must force) - container 0123456789ab is using its referenced image {}",
                &id[7..19]
            )),
            "conflict: unable to remove repository reference \"lab/x:1\" (must force) - container <container> is using its referenced image @lab/x:1"
        );
        assert_eq!(
            n.text(&format!("Deleted: {chain}")),
            "Deleted: @lab/x:1 layer 1"
        );
        assert_eq!(
            n.text(
                "Status: Downloaded newer image for 127.0.0.1:5000/capas-checker-1-0/alpine:3.19"
            ),
            "Status: Downloaded newer image for alpine:3.19"
        );
        // A name moved to another image: the second one is told apart.
        let second = format!("sha256:{}", "ef".repeat(32));
        n.alias_image(&second, "lab/x:1", &[]);
        assert_eq!(n.text(&second), "@lab/x:1 #2");
        assert_eq!(n.own("capas-checker-1-0/lab--x:1"), Some("lab/x:1".into()));
        assert_eq!(n.own("alpine:3.19"), None);
        assert_eq!(n.without_aliases().text(&second), second);
    }

    #[test]
    fn pull_lines_keep_each_layer_s_last_state() {
        let l = |id: &str, s: &str| (id.to_string(), s.to_string());
        let docker = vec![
            l("", "3.19: Pulling from x/alpine"),
            l("d85f8da2227a", "Already exists"),
            l("8f25e5885cb6", "Pulling fs layer"),
            l("8f25e5885cb6", "Downloading"),
            l("8f25e5885cb6", "Pull complete"),
            l("", "Digest: sha256:ee"),
            l("", "Status: Downloaded newer image for x/nginx:1"),
        ];
        let capas = vec![
            l("", "3.19: Pulling from x/alpine"),
            l("d85f8da2227a", "Already exists"),
            l("8f25e5885cb6", "Pulling fs layer"),
            l("8f25e5885cb6", "Verifying Checksum"),
            l("8f25e5885cb6", "Download complete"),
            l("8f25e5885cb6", "Pull complete"),
            l("", "Digest: sha256:ee"),
            l("", "Status: Downloaded newer image for x/nginx:1"),
        ];
        assert_eq!(pull_lines(&docker), pull_lines(&capas));
        assert_eq!(
            pull_lines(&docker),
            vec![
                "d85f8da2227a: Already exists",
                "8f25e5885cb6: Pull complete",
                "Digest: sha256:ee",
                "Status: Downloaded newer image for x/nginx:1",
            ]
        );
    }
}
