//! `fsck`: checks that the store is what its names say it is.
//!
//! Immutability is only a promise until somebody checks it. Because every blob is named by
//! its digest, checking is simple: hash every blob again and compare. Then follow every image
//! from `index.json` to its manifest, its config and its layers, and make sure each piece is
//! there; and make sure each unpacked layer sits under the chain ID its record implies.
//!
//! Nothing is repaired: a report lists each problem, naming the object, so that a learner can
//! see which image a damaged blob belongs to.

use std::collections::BTreeSet;

use crate::digest::{ChainId, Digest};
use crate::image::Image;
use crate::store::{Store, StoreError};

/// One thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong, one line, naming the object (`blob sha256:… is corrupt: …`).
    pub message: String,
}

/// What `fsck` checked and found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FsckReport {
    /// Blobs hashed again.
    pub blobs: usize,
    /// Bytes hashed.
    pub bytes: u64,
    /// Images followed from `index.json`.
    pub images: usize,
    /// Unpacked layers checked.
    pub layers: usize,
    /// Everything wrong, in a stable order.
    pub problems: Vec<Problem>,
}

impl FsckReport {
    /// Whether the store passed.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, message: impl Into<String>) {
        self.problems.push(Problem {
            message: message.into(),
        });
    }
}

/// Checks the whole store. Only an unreadable store is an `Err`; damage is reported in the
/// [`FsckReport`].
pub fn fsck(store: &Store) -> Result<FsckReport, StoreError> {
    let mut report = FsckReport::default();

    // 1. Every blob hashes to its name.
    let blobs = store.blobs()?;
    let mut good_blobs = BTreeSet::new();
    for digest in &blobs {
        report.blobs += 1;
        match store.verify_blob(digest) {
            Ok(bytes) => {
                report.bytes += bytes;
                good_blobs.insert(digest.clone());
            }
            Err(e) => report.problem(e.to_string()),
        }
    }

    // 2. Every unpacked layer is filed under the chain ID its record implies.
    let layers = store.layers();
    let mut present_layers: BTreeSet<ChainId> = BTreeSet::new();
    match layers {
        Ok(layers) => {
            for record in layers {
                report.layers += 1;
                let implied = match &record.parent {
                    Some(parent) => ChainId::child(parent, &record.diff_id),
                    None => ChainId(record.diff_id.0.clone()),
                };
                if implied != record.chain_id {
                    report.problem(format!(
                        "layer {} is filed under the wrong chain ID: its parent and diff ID give {}",
                        record.chain_id, implied
                    ));
                }
                if let Some(parent) = &record.parent
                    && !store.has_layer(parent)
                {
                    report.problem(format!(
                        "layer {} sits on layer {}, which is missing",
                        record.chain_id, parent
                    ));
                }
                present_layers.insert(record.chain_id);
            }
        }
        Err(e) => report.problem(e.to_string()),
    }

    // 3. Every image leads to a manifest, a config and layers that are all there.
    let index = store.index()?;
    for record in index.images.values() {
        report.images += 1;
        let names: Vec<String> = record.references.iter().map(|r| r.to_string()).collect();
        let label = if names.is_empty() {
            format!("image {}", record.id.short())
        } else {
            format!("image {} ({})", record.id.short(), names.join(", "))
        };
        for blob in [&record.manifest, &record.id] {
            if !blobs.contains(blob) {
                report.problem(format!("{label}: blob {blob} is missing"));
            }
        }
        if !good_blobs.contains(&record.manifest) || !good_blobs.contains(&record.id) {
            continue;
        }
        let image = match Image::load(store, record) {
            Ok(image) => image,
            Err(e) => {
                report.problem(format!("{label}: {e}"));
                continue;
            }
        };
        if Digest::from(image.manifest().config().digest()) != record.id {
            report.problem(format!(
                "{label}: its manifest names config {}, not the image ID",
                image.manifest().config().digest()
            ));
        }
        for layer in image.layers() {
            let blob = Digest::from(layer.blob.digest());
            if !blobs.contains(&blob) {
                report.problem(format!("{label}: layer blob {blob} is missing"));
            }
            if !present_layers.contains(&layer.chain_id) {
                report.problem(format!(
                    "{label}: layer {} is not unpacked in the store",
                    layer.chain_id
                ));
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn empty_store_is_clean() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let report = fsck(&store).expect("fsck");
        assert!(report.is_clean(), "{report:?}");
    }

    #[test]
    fn corrupt_blob_is_reported_by_digest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        let digest = store
            .lock()
            .expect("lock")
            .put_blob(b"some bytes", None)
            .expect("put")
            .digest;
        let path = store.blob_path(&digest);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        fs::write(&path, b"other bytes").expect("tamper");
        let report = fsck(&store).expect("fsck");
        assert_eq!(report.problems.len(), 1, "{report:?}");
        assert!(report.problems[0].message.contains(&digest.to_string()));
        assert!(report.problems[0].message.contains("corrupt"));
    }
}
