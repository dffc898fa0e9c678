//! Images: a config, a manifest, and a stack of layers.
//!
//! An image is two small JSON documents and some layer tars:
//!
//! * the **config** says how to run it (`Env`, `Cmd`, …), lists the layers by
//!   [diff ID](crate::digest::DiffId) in `rootfs.diff_ids`, and keeps one `history` row per
//!   recipe step (`empty_layer: true` for steps that changed only metadata, such as `ENV`);
//! * the **manifest** points at the config and at each layer blob by digest, for transport;
//! * the **image ID** is the SHA-256 of the config bytes exactly as stored. Change anything
//!   (a label, a layer) and the config bytes change, so the ID changes: that is immutability.
//!
//! How a Dockerfile's instructions change a config (`ENV`, `CMD`, `EXPOSE`…), for a build
//! and for `commit --change` alike, is [`instructions`]'s part.
//!
//! ```no_run
//! use capas_core::{image, store::Store};
//! let store = Store::open("/tmp/capas-doc")?;
//! let index = store.index()?;
//! let record = image::resolve(&index, "alpine:3.19")?;
//! let img = image::Image::load(&store, record)?;
//! println!("{} has {} layers", img.id().short(), img.diff_ids().len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod instructions;

use std::collections::BTreeSet;

use oci_spec::image::{
    Descriptor, History, ImageConfiguration, ImageManifest, ImageManifestBuilder, MediaType,
};

use crate::digest::{self, ChainId, DiffId, Digest, DigestError};
use crate::reference::{Reference, ReferenceError};
use crate::store::{ImageRecord, Index, Locked, Store, StoreError};

/// Docker's media type for a schema 2 manifest (what registries and `docker save` use).
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker's media type for an image config.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// Docker's media type for a gzip-compressed layer.
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// The OCI media type for an uncompressed layer tar.
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
/// The OCI media type for a gzip-compressed layer tar.
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// Errors about images.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// Nothing in the store has that name or ID (Docker: `No such image: alpine:latest`).
    #[error("No such image: {name}")]
    NotFound {
        /// The name as Docker prints it (with `:latest` added to a bare name).
        name: String,
    },
    /// An ID prefix matches several images.
    #[error(transparent)]
    Ambiguous(#[from] DigestError),
    /// The name is not a valid reference.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A config or manifest is not valid JSON of the right shape.
    #[error("{what} of image {id} is not valid: {reason}")]
    Invalid {
        /// Which document.
        what: &'static str,
        /// The image (or manifest) digest.
        id: Digest,
        /// The parser's words.
        reason: String,
    },
    /// The config lists more layer steps in its history than layers in `rootfs.diff_ids`
    /// (Docker refuses such configs with the same words).
    #[error("image {id}: too many non-empty layers in History section")]
    HistoryMismatch {
        /// The image.
        id: Digest,
    },
}

/// Shorthand for results of this module.
pub type Result<T, E = ImageError> = std::result::Result<T, E>;

/// Finds the image a user means, in Docker's order (`daemon/images/image.go` `GetImage`):
/// a full ID; then a name, looked up as a tag (`alpine` is `alpine:latest`) or repo digest;
/// then an ID prefix (`7faa5d3a2af2`, `sha256:7faa`).
pub fn resolve<'i>(index: &'i Index, text: &str) -> Result<&'i ImageRecord> {
    if let Ok(id) = Digest::parse(text)
        && let Some(record) = index.images.get(&id)
    {
        return Ok(record);
    }
    let as_reference = Reference::parse_tagged(text);
    if let Ok(reference) = &as_reference
        && let Some(record) = index.by_reference(reference)
    {
        return Ok(record);
    }
    if let Some(id) = digest::resolve_prefix(index.images.keys(), text)? {
        return Ok(&index.images[id]);
    }
    Err(ImageError::NotFound {
        name: match as_reference {
            Ok(r) => r.to_string(),
            Err(_) => text.to_string(),
        },
    })
}

/// One layer of an image, as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLayer {
    /// The blob in the manifest (compressed or not).
    pub blob: Descriptor,
    /// The uncompressed tar's digest, from the config.
    pub diff_id: DiffId,
    /// This layer with everything below it.
    pub chain_id: ChainId,
}

/// An image loaded from the store: its record, manifest and config.
#[derive(Debug, Clone)]
pub struct Image {
    record: ImageRecord,
    manifest: ImageManifest,
    config_bytes: Vec<u8>,
    config: ImageConfiguration,
    layers: Vec<ImageLayer>,
}

impl Image {
    /// Reads an image's manifest and config from the store (both digests are checked).
    pub fn load(store: &Store, record: &ImageRecord) -> Result<Image> {
        let manifest_bytes = store.read_blob(&record.manifest)?;
        let manifest: ImageManifest =
            serde_json::from_slice(&manifest_bytes).map_err(|e| ImageError::Invalid {
                what: "manifest",
                id: record.manifest.clone(),
                reason: e.to_string(),
            })?;
        let config_bytes = store.read_blob(&record.id)?;
        let config = parse_config(&record.id, &config_bytes)?;
        let diff_ids = diff_ids_of(&config).map_err(|e| ImageError::Invalid {
            what: "config",
            id: record.id.clone(),
            reason: e.to_string(),
        })?;
        if diff_ids.len() != manifest.layers().len() {
            return Err(ImageError::Invalid {
                what: "manifest",
                id: record.manifest.clone(),
                reason: format!(
                    "it lists {} layers but the config has {} diff IDs",
                    manifest.layers().len(),
                    diff_ids.len()
                ),
            });
        }
        let chain_ids = ChainId::all(&diff_ids);
        let layers = manifest
            .layers()
            .iter()
            .zip(diff_ids)
            .zip(chain_ids)
            .map(|((blob, diff_id), chain_id)| ImageLayer {
                blob: blob.clone(),
                diff_id,
                chain_id,
            })
            .collect();
        Ok(Image {
            record: record.clone(),
            manifest,
            config_bytes,
            config,
            layers,
        })
    }

    /// The image ID: the digest of the config bytes.
    pub fn id(&self) -> &Digest {
        &self.record.id
    }

    /// The store's record (names, manifest, parent).
    pub fn record(&self) -> &ImageRecord {
        &self.record
    }

    /// The manifest.
    pub fn manifest(&self) -> &ImageManifest {
        &self.manifest
    }

    /// The config, parsed.
    pub fn config(&self) -> &ImageConfiguration {
        &self.config
    }

    /// The config bytes exactly as stored (their digest is the image ID).
    pub fn config_bytes(&self) -> &[u8] {
        &self.config_bytes
    }

    /// The layers, bottom first.
    pub fn layers(&self) -> &[ImageLayer] {
        &self.layers
    }

    /// The diff IDs, bottom first (`rootfs.diff_ids`).
    pub fn diff_ids(&self) -> Vec<DiffId> {
        self.layers.iter().map(|l| l.diff_id.clone()).collect()
    }

    /// The chain ID of the top layer: the whole stack's identity. `None` for an image
    /// without layers (possible with `FROM scratch` and only metadata).
    pub fn top_chain(&self) -> Option<&ChainId> {
        self.layers.last().map(|l| &l.chain_id)
    }

    /// When the image was created, in Unix seconds (the config's `created`).
    pub fn created(&self) -> Option<i64> {
        self.config.created().as_deref().and_then(parse_time)
    }

    /// The image's size as `docker images` shows it: the sum of its layers' sizes (shared
    /// layers count in every image that has them).
    pub fn size(&self, store: &Store) -> Result<u64> {
        let mut total = 0;
        for layer in &self.layers {
            total += store.layer(&layer.chain_id)?.size;
        }
        Ok(total)
    }

    /// The history rows as `docker history` lists them, newest first.
    ///
    /// Each row's size is the size of the layer its step made (0 for `empty_layer` steps).
    /// IDs follow Docker's rule: the top row has the image's ID, the next rows the IDs of its
    /// *local* parents (commit, build), one per row; every other row shows `<missing>`,
    /// because a pulled or loaded image has no parent images, only layers.
    pub fn history(&self, store: &Store, index: &Index) -> Result<Vec<HistoryRow>> {
        let entries: &[History] = self.config.history().as_deref().unwrap_or(&[]);
        let mut rows = Vec::with_capacity(entries.len());
        let mut layer_index = 0;
        for h in entries {
            let empty = h.empty_layer().unwrap_or(false);
            let size = if empty {
                0
            } else {
                let layer =
                    self.layers
                        .get(layer_index)
                        .ok_or_else(|| ImageError::HistoryMismatch {
                            id: self.id().clone(),
                        })?;
                layer_index += 1;
                store.layer(&layer.chain_id)?.size
            };
            rows.push(HistoryRow {
                id: None,
                created: h.created().as_deref().and_then(parse_time),
                created_by: h.created_by().clone().unwrap_or_default(),
                comment: h.comment().clone().unwrap_or_default(),
                size,
                empty_layer: empty,
                tags: Vec::new(),
            });
        }
        rows.reverse();
        // Walk the local parent chain, one ID per row from the top.
        let mut current = Some(self.record.clone());
        for row in rows.iter_mut() {
            let Some(record) = current else { break };
            row.id = Some(record.id.clone());
            row.tags = record.tags().map(|r| r.to_string()).collect();
            current = record
                .parent
                .as_ref()
                .and_then(|p| index.images.get(p))
                .cloned();
        }
        Ok(rows)
    }
}

/// One row of `docker history`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryRow {
    /// The image ID for this row, or `None` for `<missing>`.
    pub id: Option<Digest>,
    /// When the step ran (Unix seconds).
    pub created: Option<i64>,
    /// The step (`/bin/sh -c #(nop) ADD file:… in /`).
    pub created_by: String,
    /// The step's comment.
    pub comment: String,
    /// Size of the layer it made, 0 for metadata-only steps.
    pub size: u64,
    /// Whether the step made no layer.
    pub empty_layer: bool,
    /// Tags of the image whose ID is shown (Docker's `Tags` field).
    pub tags: Vec<String>,
}

/// Parses a config, keeping Docker's rule that history may not list more layer steps than
/// there are layers.
pub fn parse_config(id: &Digest, bytes: &[u8]) -> Result<ImageConfiguration> {
    let config: ImageConfiguration =
        serde_json::from_slice(bytes).map_err(|e| ImageError::Invalid {
            what: "config",
            id: id.clone(),
            reason: e.to_string(),
        })?;
    let layer_steps = config
        .history()
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .filter(|h| !h.empty_layer().unwrap_or(false))
        .count();
    if layer_steps > config.rootfs().diff_ids().len() {
        return Err(ImageError::HistoryMismatch { id: id.clone() });
    }
    Ok(config)
}

/// The diff IDs a config lists in `rootfs.diff_ids`, bottom layer first.
pub fn diff_ids_of(config: &ImageConfiguration) -> Result<Vec<DiffId>, DigestError> {
    config
        .rootfs()
        .diff_ids()
        .iter()
        .map(|d| Digest::parse(d).map(DiffId))
        .collect()
}

/// Parses an RFC 3339 time stamp (as in configs) into Unix seconds.
pub fn parse_time(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// Formats Unix seconds the way Docker writes `created` (RFC 3339, UTC, `Z`).
pub fn format_time(unix: i64) -> String {
    jiff::Timestamp::from_second(unix)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// Records a new image in the store: writes its config bytes as they are (their digest is
/// the image ID), builds and writes an OCI manifest for the given layer blobs, and tags it.
/// The layers must already be stored as blobs.
///
/// Moving a tag from another image leaves that image dangling (`<none>`), as in Docker.
pub fn commit_image(
    locked: &Locked<'_>,
    config_bytes: &[u8],
    layers: Vec<Descriptor>,
    parent: Option<Digest>,
    tags: &[Reference],
) -> Result<ImageRecord> {
    let config = locked.put_blob(config_bytes, None)?;
    let config_desc = Descriptor::new(
        MediaType::ImageConfig,
        config.size,
        oci_spec::image::Digest::from(&config.digest),
    );
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(config_desc)
        .layers(layers)
        .build()
        .map_err(|e| ImageError::Invalid {
            what: "manifest",
            id: config.digest.clone(),
            reason: e.to_string(),
        })?;
    let manifest_bytes = serde_json::to_vec(&manifest).map_err(|e| ImageError::Invalid {
        what: "manifest",
        id: config.digest.clone(),
        reason: e.to_string(),
    })?;
    let written = locked.put_blob(&manifest_bytes, None)?;
    add_to_index(
        locked,
        ImageRecord {
            id: config.digest,
            manifest: written.digest,
            manifest_size: written.size,
            manifest_media_type: MediaType::ImageManifest.to_string(),
            parent,
            references: BTreeSet::new(),
        },
        tags,
    )
}

/// Makes an image from uncompressed layer tars (bottom first) without a Dockerfile: each tar
/// is streamed into a blob and unpacked on top of the one before, then `config` (a JSON
/// object with everything but `rootfs`, which is filled in here from the layers' diff IDs)
/// is recorded with [`commit_image`]. What tests, benchmarks and the checker use to make
/// their base images.
pub fn commit_layers<R: std::io::Read>(
    locked: &Locked<'_>,
    layers: impl IntoIterator<Item = R>,
    mut config: serde_json::Value,
    tags: &[Reference],
) -> Result<ImageRecord> {
    let mut parent: Option<ChainId> = None;
    let mut descriptors = Vec::new();
    let mut diff_ids = Vec::new();
    for tar in layers {
        // Uncompressed: the blob's digest is the diff ID.
        let blob = locked.put_blob_from(tar, None)?;
        let diff_id = DiffId(blob.digest.clone());
        let record = locked.unpack_layer(&blob.digest, false, parent.as_ref(), &diff_id)?;
        parent = Some(record.chain_id);
        descriptors.push(Descriptor::new(
            MediaType::from(OCI_LAYER_TAR),
            blob.size,
            oci_spec::image::Digest::from(&blob.digest),
        ));
        diff_ids.push(diff_id.to_string());
    }
    let invalid = |reason: String| ImageError::Invalid {
        what: "config",
        id: Digest::of_bytes(b""),
        reason,
    };
    let Some(object) = config.as_object_mut() else {
        return Err(invalid("not a JSON object".into()));
    };
    object.insert(
        "rootfs".into(),
        serde_json::json!({"type": "layers", "diff_ids": diff_ids}),
    );
    let bytes = serde_json::to_vec(&config).map_err(|e| invalid(e.to_string()))?;
    commit_image(locked, &bytes, descriptors, None, tags)
}

/// Adds (or updates) an image record in `index.json` and points `references` at it.
pub fn add_to_index(
    locked: &Locked<'_>,
    record: ImageRecord,
    references: &[Reference],
) -> Result<ImageRecord> {
    let mut index = locked.index()?;
    let id = record.id.clone();
    index.images.entry(id.clone()).or_insert(record);
    for r in references {
        index.set_reference(r.clone(), &id);
    }
    locked.write_index(&index)?;
    Ok(index.images[&id].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: u8, parent: Option<Digest>) -> ImageRecord {
        ImageRecord {
            id: Digest::of_bytes(&[n]),
            manifest: Digest::of_bytes(&[n, n]),
            manifest_size: 2,
            manifest_media_type: MediaType::ImageManifest.to_string(),
            parent,
            references: BTreeSet::new(),
        }
    }

    #[test]
    fn resolution_follows_dockers_order() {
        let mut index = Index::default();
        let a = record(1, None);
        let b = record(2, None);
        index.images.insert(a.id.clone(), a.clone());
        index.images.insert(b.id.clone(), b.clone());
        index.set_reference(Reference::parse_tagged("alpine").expect("ref"), &a.id);
        assert_eq!(resolve(&index, "alpine").expect("tag").id, a.id);
        assert_eq!(resolve(&index, "alpine:latest").expect("tag").id, a.id);
        assert_eq!(
            resolve(&index, &b.id.to_string()).expect("full id").id,
            b.id
        );
        assert_eq!(resolve(&index, b.id.short()).expect("prefix").id, b.id);
        assert_eq!(
            resolve(&index, &format!("sha256:{}", &b.id.hex()[..8]))
                .expect("prefix")
                .id,
            b.id
        );
        let err = resolve(&index, "nginx").unwrap_err();
        assert_eq!(err.to_string(), "No such image: nginx:latest");
        let err = resolve(&index, "0000000000ff").unwrap_err();
        assert_eq!(err.to_string(), "No such image: 0000000000ff:latest");
    }

    #[test]
    fn a_tag_that_looks_like_an_id_prefix_wins_over_the_prefix() {
        let mut index = Index::default();
        let a = record(1, None);
        let b = record(2, None);
        index.images.insert(a.id.clone(), a.clone());
        index.images.insert(b.id.clone(), b.clone());
        let prefix = &b.id.hex()[..6];
        index.set_reference(Reference::parse_tagged(prefix).expect("ref"), &a.id);
        assert_eq!(resolve(&index, prefix).expect("tag first").id, a.id);
    }

    #[test]
    fn times_round_trip() {
        assert_eq!(
            parse_time("2024-01-27T00:30:48.743965523Z"),
            Some(1706315448)
        );
        assert_eq!(format_time(1706315448), "2024-01-27T00:30:48Z");
    }
}
