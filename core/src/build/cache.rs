//! The build cache: which layer a step made last time, by the step's cache key.
//!
//! A key is the SHA-256 of the key before it (so it covers the base image and every earlier
//! step), the step's text as it will appear in the history (build arguments included), and,
//! for `COPY`/`ADD`, a digest of the sources' names, modes and contents. Same key, same
//! layer: the step is skipped and shown as `CACHED`, as Docker does.
//!
//! Records live in the store as `build-cache/<key hex>.json`, beside the OCI layout (which
//! tools ignore), each written to a temporary file and renamed, under the store lock. A record
//! names a layer blob; if that blob was garbage-collected since (`rmi`, `prune`), the record
//! is simply a miss.

use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::digest::{DiffId, Digest};
use crate::store::Store;

/// What a cached step made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheRecord {
    /// The layer (an uncompressed tar blob: its digest is its diff ID), or `None` when the
    /// step changed nothing (an `empty_layer` row).
    pub layer: Option<CachedLayer>,
    /// When the step ran first (Unix seconds): the history row keeps that time.
    pub created: i64,
}

/// A layer made by a cached step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedLayer {
    /// The blob's digest, which is also its diff ID (stored uncompressed).
    pub diff_id: DiffId,
    /// The blob's length.
    pub size: u64,
}

/// Computes the key of a step from the previous key and the step's inputs.
pub fn key(previous: &Digest, parts: &[&str]) -> Digest {
    let mut text = format!("capas-build-cache-v1\n{previous}\n");
    for p in parts {
        text.push_str(p);
        text.push('\n');
    }
    Digest::of_bytes(text.as_bytes())
}

fn dir(store: &Store) -> PathBuf {
    store.layout().build_cache()
}

fn path(store: &Store, key: &Digest) -> PathBuf {
    dir(store).join(format!("{}.json", key.hex()))
}

/// The record for `key`, if there is one whose layer blob is still in the store.
pub fn lookup(store: &Store, key: &Digest) -> Option<CacheRecord> {
    let bytes = fs::read(path(store, key)).ok()?;
    let record: CacheRecord = serde_json::from_slice(&bytes).ok()?;
    match &record.layer {
        Some(layer) if !store.has_blob(layer.diff_id.digest()) => None,
        _ => Some(record),
    }
}

/// Saves the record for `key` (temp file + rename: a reader sees all of it or nothing). The
/// caller holds the store lock.
pub fn save(store: &Store, key: &Digest, record: &CacheRecord) -> io::Result<()> {
    let dir = dir(store);
    fs::create_dir_all(&dir)?;
    let bytes = serde_json::to_vec_pretty(record).map_err(io::Error::other)?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
    tmp.write_all(&bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path(store, key)).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_whose_blob_is_gone_is_a_miss() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path().join("s")).expect("store");
        let locked = store.lock().expect("lock");
        let blob = locked.put_blob(b"layer", None).expect("blob");
        let k = key(&Digest::of_bytes(b"base"), &["RUN x"]);
        let record = CacheRecord {
            layer: Some(CachedLayer {
                diff_id: DiffId(blob.digest.clone()),
                size: blob.size,
            }),
            created: 5,
        };
        save(&store, &k, &record).expect("save");
        assert_eq!(lookup(&store, &k), Some(record));
        locked.remove_blob(&blob.digest).expect("rm");
        assert_eq!(lookup(&store, &k), None);
        // Different inputs, different keys.
        assert_ne!(k, key(&Digest::of_bytes(b"base"), &["RUN y"]));
    }
}
