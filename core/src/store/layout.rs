//! Every path under a store's root, in one place.
//!
//! A store is one directory. Its first half is an OCI image layout, so `skopeo`, `umoci` and
//! friends can read it; the rest is what a container engine keeps beside its images. No other
//! module joins a name onto the root: each asks [`Layout`] for its path, so this table is the
//! whole store.
//!
//! ```text
//! oci-layout                       {"imageLayoutVersion":"1.0.0"}: this is an OCI image layout
//! index.json                       the images, with their names as annotations
//! blobs/sha256/<hex>               configs, manifests, layer tars: written once, verified on read
//! layers/<chain-id>/layer.json     diff ID, parent chain, size of one unpacked layer
//! layers/<chain-id>/diff/          its files, in OCI form (whiteouts as .wh. files)
//! containers/<id>/                 a container's config and read/write layer
//! build-cache/                     what each build step made, so an unchanged step is CACHED
//! distribution.json                which compressed blob a registry holds for which diff ID
//! labs/                            the state of the labs that use this store (progress, demos)
//! tmp/                             work in progress; emptied whenever the store is locked
//! lock                             held by every process that changes the store
//! ```

use std::path::{Path, PathBuf};

use crate::digest::{ChainId, Digest};

/// The paths of one store, from its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The layout of the store at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Layout {
        Layout { root: root.into() }
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `oci-layout`: the marker file of an OCI image layout.
    pub fn oci_layout(&self) -> PathBuf {
        self.root.join("oci-layout")
    }

    /// `index.json`: the images and their names.
    pub fn index(&self) -> PathBuf {
        self.root.join("index.json")
    }

    /// `blobs/sha256/`: every blob, named by its digest.
    pub fn blobs(&self) -> PathBuf {
        self.root.join("blobs").join("sha256")
    }

    /// `blobs/<algorithm>/<hex>`: one blob.
    pub fn blob(&self, digest: &Digest) -> PathBuf {
        self.root
            .join("blobs")
            .join(digest.algorithm())
            .join(digest.hex())
    }

    /// `layers/`: the unpacked layers.
    pub fn layers(&self) -> PathBuf {
        self.root.join("layers")
    }

    /// `layers/<chain-id>/`: one unpacked layer (with everything below it).
    pub fn layer(&self, chain_id: &ChainId) -> PathBuf {
        self.layers().join(chain_id.digest().hex())
    }

    /// `layers/<chain-id>/layer.json`: the record of one unpacked layer.
    pub fn layer_record(&self, chain_id: &ChainId) -> PathBuf {
        self.layer(chain_id).join("layer.json")
    }

    /// `layers/<chain-id>/diff/`: the files of one unpacked layer.
    pub fn layer_diff(&self, chain_id: &ChainId) -> PathBuf {
        self.layer(chain_id).join("diff")
    }

    /// `containers/`: every container.
    pub fn containers(&self) -> PathBuf {
        self.root.join("containers")
    }

    /// `containers/<id>/`: one container (`id` is the 64-hex container ID).
    pub fn container(&self, id: &str) -> PathBuf {
        self.containers().join(id)
    }

    /// `build-cache/`: the build cache.
    pub fn build_cache(&self) -> PathBuf {
        self.root.join("build-cache")
    }

    /// `distribution.json`: the compressed blobs pushed to registries, by diff ID.
    pub fn distribution(&self) -> PathBuf {
        self.root.join("distribution.json")
    }

    /// `labs/`: the state the labs keep in the store (progress, demo stores, the sample IDs
    /// a grader met in Docker). The engine never reads it.
    pub fn labs(&self) -> PathBuf {
        self.root.join("labs")
    }

    /// `tmp/`: work in progress, emptied whenever the store is locked.
    pub fn tmp(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// `lock`: the file every writer locks.
    pub fn lock(&self) -> PathBuf {
        self.root.join("lock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_under_the_root() {
        let l = Layout::new("/s");
        let chain = ChainId(Digest::of_bytes(b"x"));
        let paths = [
            l.oci_layout(),
            l.index(),
            l.blobs(),
            l.blob(&Digest::of_bytes(b"y")),
            l.layers(),
            l.layer(&chain),
            l.layer_record(&chain),
            l.layer_diff(&chain),
            l.containers(),
            l.container("abc"),
            l.build_cache(),
            l.distribution(),
            l.labs(),
            l.tmp(),
            l.lock(),
        ];
        for p in paths {
            assert!(p.starts_with("/s"), "{}", p.display());
        }
        assert_eq!(
            l.blob(&Digest::of_bytes(b"")).parent(),
            Some(l.blobs().as_path())
        );
    }
}
