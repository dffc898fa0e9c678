//! Save and load: an image as one tar file, readable by Docker.
//!
//! `docker save` writes images into a tar archive and `docker load` reads them back; the same
//! archive moves images between machines without a registry. capas reads and writes the same
//! archives, and keeps the identifiers: an image capas saves and Docker loads has the same
//! image ID (the digest of the config bytes, which are copied exactly) and the same diff IDs
//! (the digests of the uncompressed layer tars, which are copied exactly), and the other way
//! round.
//!
//! Three layouts exist, all of them tars:
//!
//! ```text
//! Docker 20.10 docker save              Docker >= 25 docker save            OCI image layout
//! ("legacy", read only)                 ("hybrid": what capas writes)       (Format::Oci)
//!
//! <v1id>/VERSION                        blobs/sha256/<config hex>           blobs/sha256/<config hex>
//! <v1id>/json                           blobs/sha256/<diff id hex>          blobs/sha256/<layer blob hex>
//! <v1id>/layer.tar                      blobs/sha256/<manifest hex>         blobs/sha256/<manifest hex>
//! <v1id2>/layer.tar -> ../<v1id>/…      index.json                          index.json
//! <config hex>.json                     manifest.json                       oci-layout
//! manifest.json                         oci-layout
//! repositories                          repositories
//! ```
//!
//! * `manifest.json` is what Docker reads: `[{"Config": …, "RepoTags": […], "Layers": […]}]`,
//!   paths inside the archive; each layer file is an **uncompressed** tar, so its digest is its
//!   diff ID. Docker 20.10 requires this file: it cannot load a pure OCI layout
//!   (`docker-reference.md` §10.3).
//! * `index.json` + `oci-layout` + `blobs/` is the OCI image layout: every file is named by its
//!   digest, and `index.json` names the images with the annotations
//!   `io.containerd.image.name` (`docker.io/library/alpine:3.19`) and
//!   `org.opencontainers.image.ref.name` (`3.19`).
//! * Docker ≥ 25 writes both at once, and so does [`save`] with [`Format::DockerArchive`]: the
//!   result loads into Docker 20.10 and is an OCI layout too.
//!
//! [`load`] reads all three, plain or gzip-compressed, in any entry order.
//!
//! ```no_run
//! use capas_core::{archive, image, store::Store};
//! let store = Store::open("/tmp/capas-doc")?;
//! let index = store.index()?;
//! let record = image::resolve(&index, "alpine:3.19")?;
//! let names: Vec<_> = record.tags().cloned().collect();
//! let file = std::fs::File::create("/tmp/alpine.tar")?;
//! archive::save(&store, &[(record.clone(), names)], archive::Format::DockerArchive, file)?;
//! // …then `docker load -i /tmp/alpine.tar` prints `Loaded image: alpine:3.19`.
//!
//! let other = Store::open("/tmp/capas-doc-2")?;
//! let report = archive::load(&other.lock()?, std::fs::File::open("/tmp/alpine.tar")?)?;
//! assert_eq!(report.images[0].id, record.id); // same config bytes, same image ID
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

use flate2::read::{GzDecoder, MultiGzDecoder};
use oci_spec::image::{
    Arch, Descriptor, ImageIndex, ImageManifest, ImageManifestBuilder, MediaType, Os,
};
use serde_json::{Value, json};

use crate::digest::{ChainId, DiffId, Digest};
use crate::image::{self, Image, ImageError, OCI_LAYER_GZIP, OCI_LAYER_TAR};
use crate::layer::normalize_path;
use crate::reference::{Reference, ReferenceError};
use crate::store::{ANNOTATION_NAME, ANNOTATION_REF_NAME, ImageRecord, Locked, Store, StoreError};

/// Errors of save and load.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The archive could not be read as a tar (or as gzip): it is damaged, or not an archive.
    #[error("reading the archive: {source}")]
    Read {
        /// The reader's or the tar parser's error.
        source: io::Error,
    },
    /// The archive could not be written (disk full, pipe closed).
    #[error("writing the archive: {source}")]
    Write {
        /// The writer's error.
        source: io::Error,
    },
    /// An entry ends before the size its header announces: the archive was cut short (an
    /// interrupted copy or download).
    #[error("archive is truncated: entry {path:?} has {found} of its {expected} bytes")]
    Truncated {
        /// The entry's path in the archive.
        path: String,
        /// The size its header announces.
        expected: u64,
        /// The bytes that were there.
        found: u64,
    },
    /// The archive, or a layer in it, is compressed with something capas does not read
    /// (Docker also reads bzip2 and xz; capas reads gzip only).
    #[error("{what} is compressed with {compression}, which capas does not read (only gzip)")]
    UnsupportedCompression {
        /// The archive or the layer.
        what: String,
        /// `bzip2`, `xz` or `zstd`.
        compression: &'static str,
    },
    /// The tar has neither Docker's `manifest.json` nor an OCI `index.json`: it is some other
    /// tar, such as a container export (`docker export`) or a layer.
    #[error("archive has no manifest.json or index.json: not an image archive")]
    NotAnImageArchive,
    /// A file that `manifest.json` or `index.json` names is not in the archive.
    #[error("{what} {path:?} listed in {listed_in} is missing from the archive")]
    Missing {
        /// `config`, `layer`, `manifest`, `index`.
        what: &'static str,
        /// The path as listed.
        path: String,
        /// The document that lists it.
        listed_in: String,
    },
    /// A path listed in `manifest.json` leaves the archive (`../etc/passwd`): refused, as
    /// Docker refuses it.
    #[error("path {path:?} listed in {listed_in} points outside the archive")]
    PathEscape {
        /// The path as listed.
        path: String,
        /// The document that lists it.
        listed_in: String,
    },
    /// A JSON document of the archive cannot be parsed or has the wrong shape.
    #[error("{what} is not valid: {reason}")]
    Invalid {
        /// Which document.
        what: String,
        /// The parser's words.
        reason: String,
    },
    /// `manifest.json` (or an OCI manifest) lists a different number of layers than the
    /// image's config has diff IDs.
    #[error(
        "{listed_in} lists {layers} layers for image {id} but its config has {diff_ids} diff IDs"
    )]
    LayerCount {
        /// The document listing the layers.
        listed_in: String,
        /// The image ID.
        id: Digest,
        /// Layers listed.
        layers: usize,
        /// Diff IDs in the config.
        diff_ids: usize,
    },
    /// A layer's uncompressed bytes do not hash to the diff ID its config lists: the layer
    /// was changed, or belongs to another image.
    #[error(
        "layer {path:?} does not match its image config: diff ID is {found}, config says {expected}"
    )]
    DiffIdMismatch {
        /// The layer's path in the archive.
        path: String,
        /// The diff ID in the config.
        expected: DiffId,
        /// The diff ID of the bytes.
        found: DiffId,
    },
    /// A file of an OCI layout does not hash to the digest it is named by.
    #[error("blob {path:?} is corrupt: its bytes hash to {found}, not {expected}")]
    DigestMismatch {
        /// The blob's path in the archive.
        path: String,
        /// The digest it is named by.
        expected: Digest,
        /// What its bytes hash to.
        found: Digest,
    },
    /// An image name in the archive is not a valid reference.
    #[error("image name {name:?} in {listed_in} is not valid: {source}")]
    BadName {
        /// The name.
        name: String,
        /// The document that lists it.
        listed_in: String,
        /// Which rule it breaks.
        source: ReferenceError,
    },
    /// A multi-platform index has no manifest for linux/amd64 (the only platform capas runs).
    #[error("image index {digest} has no manifest for linux/amd64")]
    NoPlatform {
        /// The index.
        digest: Digest,
    },
    /// `index.json` points at something that is neither an image manifest nor an index.
    #[error(
        "{listed_in} entry {digest} has media type {media_type}, which is not an image manifest or index"
    )]
    UnsupportedMediaType {
        /// The document that lists it.
        listed_in: String,
        /// The entry's digest.
        digest: Digest,
        /// Its media type.
        media_type: String,
    },
    /// An image to save has a layer stored neither as a plain tar nor gzip (zstd, say), which
    /// a docker-archive cannot carry as Docker 20.10 needs it.
    #[error("layer {diff_id} of image {id} cannot be saved: {reason}")]
    UnsupportedLayer {
        /// The image.
        id: Digest,
        /// The layer.
        diff_id: DiffId,
        /// Why.
        reason: String,
    },
    /// [`save`] was called with no image (`docker save` needs at least one name too).
    #[error("nothing to save: no image was given")]
    NothingToSave,
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An image in the store or in the archive is not valid.
    #[error(transparent)]
    Image(#[from] ImageError),
}

/// Shorthand for results of this module.
pub type Result<T, E = ArchiveError> = std::result::Result<T, E>;

/// The layout [`save`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// What Docker ≥ 25 `docker save` writes: an OCI layout **plus** `manifest.json` and
    /// `repositories`, with every layer as an uncompressed tar named by its diff ID. Docker
    /// 20.10 loads it (it reads `manifest.json`), and OCI tools read it as a layout.
    DockerArchive,
    /// A pure OCI image layout: `oci-layout`, `index.json` and `blobs/`, with the blobs exactly
    /// as the store holds them (gzip layers stay gzip). **Docker 20.10 cannot load it**: its
    /// `docker load` requires `manifest.json` and fails with `open …/blobs/json: no such file
    /// or directory` (`docker-reference.md` §10.3); skopeo, umoci and containerd read it.
    Oci,
}

/// The layout [`load`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Docker 20.10's `docker save`: `<v1id>/layer.tar`, `<hex>.json`, `manifest.json`.
    DockerLegacy,
    /// Docker ≥ 25's `docker save` (and capas's [`Format::DockerArchive`]): `manifest.json`
    /// and an OCI layout in one. Read through `manifest.json`, as Docker does.
    DockerHybrid,
    /// A pure OCI image layout, read through `index.json`.
    Oci,
}

/// What [`save`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveReport {
    /// One entry per image, in the order given (an image given twice is written once).
    pub images: Vec<SavedImage>,
    /// Blobs in the archive (configs, manifests, layers; a layer shared by images counts once).
    pub blobs: usize,
    /// Size of the archive in bytes.
    pub bytes: u64,
}

/// One image in a saved archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedImage {
    /// The image ID.
    pub id: Digest,
    /// The names written for it (tags only, as `docker save` writes them).
    pub names: Vec<Reference>,
    /// The manifest written for it: the stored one, or a new one with uncompressed layers.
    pub manifest: Digest,
    /// Its layers, bottom first.
    pub layers: Vec<DiffId>,
}

/// What [`load`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    /// The layout the archive had.
    pub layout: Layout,
    /// One entry per image, in the archive's order.
    pub images: Vec<LoadedImage>,
}

/// One image loaded from an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedImage {
    /// The image ID (digest of its config bytes, exactly as in the archive).
    pub id: Digest,
    /// Whether the store already had this image (then only its names were applied).
    pub already_present: bool,
    /// The names applied to it; `docker load` prints `Loaded image: <name>` for each, or
    /// `Loaded image ID: <id>` when there is none.
    pub tags: Vec<Reference>,
    /// Names that were taken from another image, which may now be dangling.
    pub moved: Vec<MovedTag>,
    /// Its layers, bottom first.
    pub layers: Vec<LoadedLayer>,
}

/// A name that [`load`] moved from one image to another; Docker prints
/// `The image <reference> already exists, renaming the old one with ID <previous> to empty string`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedTag {
    /// The name.
    pub reference: Reference,
    /// The image it named before.
    pub previous: Digest,
}

/// One layer of a loaded image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedLayer {
    /// The layer's diff ID.
    pub diff_id: DiffId,
    /// The layer with everything below it.
    pub chain_id: ChainId,
    /// `true` when the chain was already unpacked in the store and was skipped (Docker skips
    /// it too, and shows no `Loading layer` line for it).
    pub already_present: bool,
}

// ------------------------------------------------------------------------------------------
// save
// ------------------------------------------------------------------------------------------

/// Where the bytes of one archive blob come from.
enum Source {
    /// Small documents (config, manifest), held in memory.
    Bytes(Vec<u8>),
    /// A store blob copied as it is.
    Stored { blob: Digest, size: u64 },
    /// A gzip store blob, gunzipped on the way (the archive names it by its diff ID).
    Gunzip { blob: Digest, size: u64 },
}

struct ArchiveBlob {
    source: Source,
    /// mtime in the archive: the created date of the first image that has it, as Docker's
    /// save does, so the archive is the same on every run.
    mtime: u64,
}

/// Writes `images` into a tar archive on `out`, with the names given for each (tags; other
/// references are skipped, as `docker save` skips digests; an empty list saves the image by
/// ID only, and `docker load` then prints `Loaded image ID: sha256:…`).
///
/// The archive is streamed: layers go from the store to `out` without being held in memory.
/// With [`Format::DockerArchive`] every layer must be an uncompressed tar whose digest is its
/// diff ID; a gzip layer is gunzipped twice, once to learn its size (a tar header comes before
/// the bytes it describes) and to check its diff ID, once to write it; and the image gets a
/// new OCI manifest pointing at the uncompressed layers.
///
/// The output is deterministic: the same images give the same bytes (entries sorted by name,
/// owner root, mtime 0 or the image's created date, a shared layer written once). On error the
/// bytes written so far are not a valid archive: the caller discards them.
pub fn save(
    store: &Store,
    images: &[(ImageRecord, Vec<Reference>)],
    format: Format,
    out: impl Write,
) -> Result<SaveReport> {
    if images.is_empty() {
        return Err(ArchiveError::NothingToSave);
    }
    // One entry per image ID, names merged in the order given (Docker's parseNames).
    let mut wanted: Vec<(&ImageRecord, Vec<Reference>)> = Vec::new();
    for (record, names) in images {
        let pos = match wanted.iter().position(|(r, _)| r.id == record.id) {
            Some(pos) => pos,
            None => {
                wanted.push((record, Vec::new()));
                wanted.len() - 1
            }
        };
        for name in names {
            let Some(tag) = name.tag() else { continue };
            let tagged = name.with_tag(tag);
            if !wanted[pos].1.contains(&tagged) {
                wanted[pos].1.push(tagged);
            }
        }
    }
    let saved_ids: BTreeSet<&Digest> = wanted.iter().map(|(r, _)| &r.id).collect();

    // Plan: which blobs go in, and the documents that name them.
    let mut blobs: BTreeMap<Digest, ArchiveBlob> = BTreeMap::new();
    let mut index_entries: Vec<Value> = Vec::new();
    let mut manifest_items: Vec<Value> = Vec::new();
    let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut report = Vec::new();
    for (record, tags) in &wanted {
        let img = Image::load(store, record)?;
        let mtime = img.created().unwrap_or(0).max(0).unsigned_abs();
        blobs
            .entry(img.id().clone())
            .or_insert_with(|| ArchiveBlob {
                source: Source::Bytes(img.config_bytes().to_vec()),
                mtime,
            });

        // Layers: as stored (OCI), or uncompressed and named by diff ID (docker-archive).
        let mut rewrite = false;
        let mut uncompressed: Vec<Descriptor> = Vec::new();
        for layer in img.layers() {
            let blob = Digest::from(layer.blob.digest());
            let stored_size = blob_size(store, &blob)?;
            if format == Format::Oci || &blob == layer.diff_id.digest() {
                let source = Source::Stored {
                    blob: blob.clone(),
                    size: stored_size,
                };
                blobs
                    .entry(blob.clone())
                    .or_insert(ArchiveBlob { source, mtime });
                uncompressed.push(Descriptor::new(
                    MediaType::ImageLayer,
                    stored_size,
                    oci_spec::image::Digest::from(&blob),
                ));
                continue;
            }
            match sniff(&read_head(store, &blob)?) {
                Compression::Gzip => {}
                Compression::None => {
                    // A plain tar is its own diff ID: this blob belongs to another layer.
                    return Err(StoreError::DiffIdMismatch {
                        blob: blob.clone(),
                        expected: layer.diff_id.clone(),
                        found: DiffId(blob),
                    }
                    .into());
                }
                other => {
                    return Err(ArchiveError::UnsupportedLayer {
                        id: img.id().clone(),
                        diff_id: layer.diff_id.clone(),
                        reason: format!("it is stored {}-compressed", other.name()),
                    });
                }
            }
            rewrite = true;
            let diff = layer.diff_id.digest().clone();
            let size = match blobs.get(&diff) {
                Some(ArchiveBlob {
                    source: Source::Gunzip { size, .. } | Source::Stored { size, .. },
                    ..
                }) => *size,
                _ => {
                    let size = measure_gzip(store, &blob, &layer.diff_id)?;
                    blobs.insert(
                        diff.clone(),
                        ArchiveBlob {
                            source: Source::Gunzip { blob, size },
                            mtime,
                        },
                    );
                    size
                }
            };
            uncompressed.push(Descriptor::new(
                MediaType::ImageLayer,
                size,
                oci_spec::image::Digest::from(&diff),
            ));
        }

        // The manifest: the stored one, unless its layers had to be gunzipped.
        let (manifest_bytes, media_type) = if rewrite {
            (
                oci_manifest(img.id(), img.config_bytes().len() as u64, uncompressed)?,
                MediaType::ImageManifest.to_string(),
            )
        } else {
            (
                store.read_blob(&record.manifest)?,
                record.manifest_media_type.clone(),
            )
        };
        let manifest = Digest::of_bytes(&manifest_bytes);
        let manifest_size = manifest_bytes.len() as u64;
        blobs.entry(manifest.clone()).or_insert(ArchiveBlob {
            source: Source::Bytes(manifest_bytes),
            mtime: 0,
        });

        // index.json: one descriptor per name (one without names for an ID-only image, so
        // that an OCI reader still finds it).
        let descriptor = |name: Option<&Reference>| {
            let mut d = json!({
                "mediaType": media_type,
                "digest": manifest.to_string(),
                "size": manifest_size,
            });
            if let Some(name) = name {
                d["annotations"] = json!({
                    ANNOTATION_NAME: name.full(),
                    ANNOTATION_REF_NAME: name.tag().unwrap_or_default(),
                });
            }
            d
        };
        if tags.is_empty() {
            index_entries.push(descriptor(None));
        }
        for tag in tags {
            index_entries.push(descriptor(Some(tag)));
        }

        // manifest.json and repositories: what Docker reads.
        let diff_hexes: Vec<String> = img
            .layers()
            .iter()
            .map(|l| l.diff_id.digest().hex().to_string())
            .collect();
        if format == Format::DockerArchive {
            let mut item = json!({
                "Config": format!("blobs/sha256/{}", img.id().hex()),
                "RepoTags": if tags.is_empty() { Value::Null } else {
                    tags.iter().map(|t| Value::from(t.to_string())).collect()
                },
                "Layers": diff_hexes.iter().map(|h| format!("blobs/sha256/{h}")).collect::<Vec<_>>(),
            });
            if let Some(parent) = record.parent.as_ref().filter(|p| saved_ids.contains(p)) {
                item["Parent"] = Value::from(parent.to_string());
            }
            manifest_items.push(item);
            if let Some(top) = diff_hexes.last() {
                for tag in tags {
                    repositories
                        .entry(tag.familiar_repository())
                        .or_default()
                        .insert(tag.tag().unwrap_or_default().to_string(), top.clone());
                }
            }
        }
        report.push(SavedImage {
            id: img.id().clone(),
            names: tags.clone(),
            manifest,
            layers: img.diff_ids(),
        });
    }

    // Write, in name order: blobs/…, index.json, manifest.json, oci-layout, repositories.
    let mut tar = TarWriter::new(out);
    tar.dir("blobs/")?;
    tar.dir("blobs/sha256/")?;
    for (digest, blob) in &blobs {
        let path = format!("blobs/sha256/{}", digest.hex());
        match &blob.source {
            Source::Bytes(bytes) => tar.file(&path, blob.mtime, bytes)?,
            Source::Stored { blob: stored, size } => {
                let mut reader = store.open_blob(stored)?;
                tar.stream(
                    &path,
                    blob.mtime,
                    *size,
                    &mut reader,
                    &store.blob_path(stored),
                )?;
            }
            Source::Gunzip { blob: stored, size } => {
                let from = store.blob_path(stored);
                let mut reader = store.open_blob(stored)?;
                tar.stream(&path, blob.mtime, *size, GzDecoder::new(&mut reader), &from)?;
                // gunzip stops at the end of the gzip stream: check the whole blob.
                reader
                    .check_to_end()
                    .map_err(|e| store_io(e, "reading blob", &from))?;
            }
        }
    }
    let index = json!({
        "schemaVersion": 2,
        "mediaType": MediaType::ImageIndex.to_string(),
        "manifests": index_entries,
    });
    tar.file("index.json", 0, &to_json(&index, false)?)?;
    if format == Format::DockerArchive {
        // Docker writes these two with Go's json.Encoder: compact, one newline at the end.
        tar.file(
            "manifest.json",
            0,
            &to_json(&Value::from(manifest_items), true)?,
        )?;
    }
    tar.file("oci-layout", 0, br#"{"imageLayoutVersion": "1.0.0"}"#)?;
    if format == Format::DockerArchive && !repositories.is_empty() {
        let repos = serde_json::to_value(&repositories).map_err(|e| ArchiveError::Invalid {
            what: "repositories".into(),
            reason: e.to_string(),
        })?;
        tar.file("repositories", 0, &to_json(&repos, true)?)?;
    }
    let bytes = tar.finish()?;
    Ok(SaveReport {
        images: report,
        blobs: blobs.len(),
        bytes,
    })
}

/// An OCI manifest for a config and layers, written as `image::commit_image` writes one.
fn oci_manifest(config: &Digest, config_size: u64, layers: Vec<Descriptor>) -> Result<Vec<u8>> {
    let invalid = |reason: String| ArchiveError::Invalid {
        what: format!("manifest of image {config}"),
        reason,
    };
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(Descriptor::new(
            MediaType::ImageConfig,
            config_size,
            oci_spec::image::Digest::from(config),
        ))
        .layers(layers)
        .build()
        .map_err(|e| invalid(e.to_string()))?;
    serde_json::to_vec(&manifest).map_err(|e| invalid(e.to_string()))
}

fn to_json(value: &Value, newline: bool) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec(value).map_err(|e| ArchiveError::Invalid {
        what: "archive document".into(),
        reason: e.to_string(),
    })?;
    if newline {
        bytes.push(b'\n');
    }
    Ok(bytes)
}

fn blob_size(store: &Store, blob: &Digest) -> Result<u64> {
    let path = store.blob_path(blob);
    match std::fs::metadata(&path) {
        Ok(meta) => Ok(meta.len()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(StoreError::BlobNotFound {
            digest: blob.clone(),
        }
        .into()),
        Err(source) => Err(StoreError::Io {
            action: "reading",
            path,
            source,
        }
        .into()),
    }
}

/// The first bytes of a stored blob, to recognise its compression.
fn read_head(store: &Store, blob: &Digest) -> Result<Vec<u8>> {
    let path = store.blob_path(blob);
    let io_err = |source| StoreError::Io {
        action: "reading",
        path: path.clone(),
        source,
    };
    let mut head = Vec::with_capacity(MAGIC_LEN);
    File::open(&path)
        .map_err(io_err)?
        .take(MAGIC_LEN as u64)
        .read_to_end(&mut head)
        .map_err(io_err)?;
    Ok(head)
}

/// Gunzips a stored blob to learn its uncompressed size, checking its diff ID on the way.
fn measure_gzip(store: &Store, blob: &Digest, expected: &DiffId) -> Result<u64> {
    let path = store.blob_path(blob);
    let mut reader = store.open_blob(blob)?;
    let (found, size) = Digest::of_reader(GzDecoder::new(&mut reader))
        .map_err(|e| store_io(e, "gunzipping blob", &path))?;
    reader
        .check_to_end()
        .map_err(|e| store_io(e, "reading blob", &path))?;
    if &found != expected.digest() {
        return Err(StoreError::DiffIdMismatch {
            blob: blob.clone(),
            expected: expected.clone(),
            found: DiffId(found),
        }
        .into());
    }
    Ok(size)
}

/// An `io::Error` from reading the store: the store's own error when it carries one (a corrupt
/// blob), else an I/O error naming the file.
fn store_io(e: io::Error, action: &'static str, path: &Path) -> ArchiveError {
    match e.downcast::<StoreError>() {
        Ok(inner) => ArchiveError::Store(inner),
        Err(source) => ArchiveError::Store(StoreError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The archive being written: a 512-byte header per entry, its data padded to 512 bytes, two
/// zero blocks at the end (the bytes `tar::Builder` writes, but copied through a 1 MiB buffer:
/// the tar crate copies through 8 KiB, a read call per 8 KiB of a layer).
struct TarWriter<W: Write> {
    out: BufWriter<W>,
    buf: Vec<u8>,
    bytes: u64,
}

impl<W: Write> TarWriter<W> {
    fn new(out: W) -> Self {
        TarWriter {
            out: BufWriter::with_capacity(1 << 20, out),
            buf: vec![0u8; 1 << 20],
            bytes: 0,
        }
    }

    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.out
            .write_all(bytes)
            .map_err(|source| ArchiveError::Write { source })?;
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    /// A header: owner root, fixed mode and mtime, so the archive is the same on every run.
    fn header(&mut self, path: &str, kind: tar::EntryType, size: u64, mtime: u64) -> Result<()> {
        let mut h = tar::Header::new_ustar();
        h.set_path(path)
            .map_err(|source| ArchiveError::Write { source })?;
        h.set_entry_type(kind);
        h.set_mode(if kind.is_dir() { 0o755 } else { 0o644 });
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(size);
        h.set_mtime(mtime);
        h.set_cksum();
        self.put(h.as_bytes())
    }

    fn pad(&mut self, size: u64) -> Result<()> {
        let rest = (512 - size % 512) % 512;
        self.put(&[0u8; 512][..rest as usize])
    }

    fn dir(&mut self, path: &str) -> Result<()> {
        self.header(path, tar::EntryType::Directory, 0, 0)
    }

    fn file(&mut self, path: &str, mtime: u64, bytes: &[u8]) -> Result<()> {
        self.header(path, tar::EntryType::Regular, bytes.len() as u64, mtime)?;
        self.put(bytes)?;
        self.pad(bytes.len() as u64)
    }

    /// An entry of `size` bytes read from `reader` (a blob at `from` in the store), which
    /// must yield exactly that many: the header, written first, has promised them.
    fn stream(
        &mut self,
        path: &str,
        mtime: u64,
        size: u64,
        mut reader: impl Read,
        from: &Path,
    ) -> Result<()> {
        self.header(path, tar::EntryType::Regular, size, mtime)?;
        let mut left = size;
        while left > 0 {
            let want = self
                .buf
                .len()
                .min(usize::try_from(left).unwrap_or(usize::MAX));
            let n = match reader.read(&mut self.buf[..want]) {
                Ok(0) => {
                    let short = io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("it ends {left} bytes before its recorded size {size}"),
                    );
                    return Err(store_io(short, "reading blob", from));
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(store_io(e, "reading blob", from)),
            };
            self.out
                .write_all(&self.buf[..n])
                .map_err(|source| ArchiveError::Write { source })?;
            self.bytes += n as u64;
            left -= n as u64;
        }
        // Reading past the end also lets a verifying reader check the whole blob's digest.
        let mut extra = [0u8; 1];
        match reader.read(&mut extra) {
            Ok(0) => {}
            Ok(_) => {
                let long = io::Error::other(format!("it is longer than its recorded size {size}"));
                return Err(store_io(long, "reading blob", from));
            }
            Err(e) => return Err(store_io(e, "reading blob", from)),
        }
        self.pad(size)
    }

    /// Writes the two zero blocks that end a tar, flushes, and returns the archive's size.
    fn finish(mut self) -> Result<u64> {
        self.put(&[0u8; 1024])?;
        self.out
            .flush()
            .map_err(|source| ArchiveError::Write { source })?;
        Ok(self.bytes)
    }
}

// ------------------------------------------------------------------------------------------
// compression
// ------------------------------------------------------------------------------------------

const MAGIC_LEN: usize = 6;

/// How a stream is compressed, told by its first bytes (as Docker's `DetectCompression`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Compression {
    fn name(self) -> &'static str {
        match self {
            Compression::None => "nothing",
            Compression::Gzip => "gzip",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
        }
    }
}

fn sniff(head: &[u8]) -> Compression {
    match head {
        [0x1f, 0x8b, ..] => Compression::Gzip,
        [b'B', b'Z', b'h', ..] => Compression::Bzip2,
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Compression::Xz,
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
        _ => Compression::None,
    }
}

// ------------------------------------------------------------------------------------------
// load
// ------------------------------------------------------------------------------------------

/// How deep indexes may nest in an OCI layout (an index of indexes of manifests is 2).
const MAX_NESTING: usize = 4;
/// Files up to this size that do not look like blobs (JSON documents, `VERSION`) are kept in
/// memory while the archive is read; everything else is streamed into the store as a blob.
const SMALL_FILE: u64 = 1 << 20;
/// At most this much of the archive is held in memory, whatever it holds.
const MEMORY_BUDGET: u64 = 32 << 20;

/// Where the bytes of one archive file went while the archive was read.
#[derive(Debug, Clone)]
enum Content {
    /// A small document, in memory.
    Memory(Vec<u8>),
    /// Already a blob of the store (removed again at the end if nothing refers to it).
    Blob,
}

#[derive(Debug, Clone)]
struct ArchiveFile {
    /// The path in the archive.
    path: String,
    digest: Digest,
    size: u64,
    compression: Compression,
    content: Content,
}

#[derive(Debug)]
enum Node {
    File(ArchiveFile),
    /// A symbolic or hard link, with its target as a clean path from the archive's root.
    Link(Option<String>),
}

#[derive(Debug, Default)]
struct Files {
    nodes: BTreeMap<String, Node>,
    in_memory: u64,
}

impl Files {
    /// The file at `listed` (a path from manifest.json), following links (Docker 20.10 writes
    /// a repeated layer as a symlink to its first copy).
    fn lookup(&self, listed: &str, what: &'static str, listed_in: &str) -> Result<&ArchiveFile> {
        let missing = || ArchiveError::Missing {
            what,
            path: listed.to_string(),
            listed_in: listed_in.to_string(),
        };
        let mut path = normalize_path(listed).ok_or_else(|| ArchiveError::PathEscape {
            path: listed.to_string(),
            listed_in: listed_in.to_string(),
        })?;
        // A bounded walk: a link loop is just a missing file.
        for _ in 0..32 {
            match self.nodes.get(&path) {
                Some(Node::File(file)) => return Ok(file),
                Some(Node::Link(Some(target))) => path = target.clone(),
                Some(Node::Link(None)) | None => return Err(missing()),
            }
        }
        Err(missing())
    }

    fn has(&self, path: &str) -> bool {
        self.nodes.contains_key(path)
    }
}

/// Files that are surely blobs (layers, OCI blobs) are streamed straight into the store.
fn looks_like_blob(path: &str) -> bool {
    path.starts_with("blobs/") || path.ends_with(".tar") || path.ends_with(".tar.gz")
}

/// The digest a blob path names, `blobs/sha256/<hex>`.
fn digest_in_name(path: &str) -> Option<Digest> {
    path.strip_prefix("blobs/sha256/")
        .and_then(|hex| Digest::parse(hex).ok())
}

/// One layer of an image to load.
#[derive(Debug)]
struct PlannedLayer {
    file: ArchiveFile,
    diff_id: DiffId,
    gzip: bool,
}

#[derive(Debug)]
enum PlannedManifest {
    /// docker-archive: capas writes an OCI manifest for the layers.
    Build,
    /// OCI layout: the archive's manifest is kept as it is.
    Keep {
        file: ArchiveFile,
        media_type: String,
    },
}

#[derive(Debug)]
struct PlannedImage {
    id: Digest,
    config: ArchiveFile,
    layers: Vec<PlannedLayer>,
    manifest: PlannedManifest,
    names: Vec<Reference>,
    parent: Option<Digest>,
}

/// Loads every image of an archive into the store, as `docker load` does.
///
/// `input` is a tar, plain or gzip-compressed (told by its first bytes), in any of the three
/// layouts described in the [module documentation](self), with entries in any order. It is
/// read once: small documents are kept in memory, everything else is hashed while it is
/// streamed into the store as a blob. Then each image is checked (every listed file present,
/// config bytes kept exactly, each layer's diff ID checked while it is unpacked; a chain that
/// is already unpacked is skipped), and only when all of them are good is `index.json`
/// written, once, with their names.
///
/// On error `index.json` is untouched and the blobs and layers this call added are removed
/// again. Blobs nobody refers to (a legacy `json` file, other platforms of an index) are not
/// kept either.
pub fn load(locked: &Locked<'_>, input: impl Read) -> Result<LoadReport> {
    let before: BTreeSet<Digest> = locked.blobs()?.into_iter().collect();
    let mut session = LoadSession {
        locked,
        before,
        created: BTreeSet::new(),
        new_layers: Vec::new(),
        buf: vec![0u8; 256 * 1024],
    };
    let result = session.run(input);
    if result.is_err() {
        session.roll_back();
    }
    result
}

struct LoadSession<'a, 's> {
    locked: &'a Locked<'s>,
    /// Blobs the store had before: never removed by this load.
    before: BTreeSet<Digest>,
    /// Blobs this load added.
    created: BTreeSet<Digest>,
    /// Layers this load unpacked.
    new_layers: Vec<ChainId>,
    buf: Vec<u8>,
}

impl LoadSession<'_, '_> {
    fn run(&mut self, input: impl Read) -> Result<LoadReport> {
        let files = self.read_archive(input)?;
        let (layout, plans) = if files.has("manifest.json") {
            let layout = if files.has("index.json") {
                Layout::DockerHybrid
            } else {
                Layout::DockerLegacy
            };
            (layout, self.plan_docker(&files)?)
        } else if files.has("index.json") {
            (Layout::Oci, self.plan_oci(&files)?)
        } else {
            return Err(ArchiveError::NotAnImageArchive);
        };
        let images = self.apply(plans)?;
        Ok(LoadReport { layout, images })
    }

    /// Removes what this load added to the store (nothing refers to it: index.json was not
    /// written). Best effort: a leftover is only unreferenced garbage.
    fn roll_back(&mut self) {
        for chain in self.new_layers.drain(..) {
            let _ = self.locked.remove_layer(&chain);
        }
        for blob in std::mem::take(&mut self.created) {
            let _ = self.locked.remove_blob(&blob);
        }
    }

    // -- reading -----------------------------------------------------------------------------

    fn read_archive(&mut self, input: impl Read) -> Result<Files> {
        let read_err = |source| ArchiveError::Read { source };
        let mut buffered = BufReader::with_capacity(1 << 20, input);
        let compression = sniff(buffered.fill_buf().map_err(read_err)?);
        let reader: Box<dyn Read + '_> = match compression {
            Compression::None => Box::new(buffered),
            Compression::Gzip => Box::new(MultiGzDecoder::new(buffered)),
            other => {
                return Err(ArchiveError::UnsupportedCompression {
                    what: "the archive".into(),
                    compression: other.name(),
                });
            }
        };
        let mut archive = tar::Archive::new(reader);
        let mut files = Files::default();
        for entry in archive.entries().map_err(read_err)? {
            let mut entry = entry.map_err(read_err)?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            // A name that climbs out of the archive can never be listed by a clean path: skip it.
            let Some(path) = normalize_path(&raw) else {
                continue;
            };
            if path.is_empty() {
                continue;
            }
            let link = || {
                entry
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
            };
            match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    let file = self.take_file(path.clone(), &mut entry, &mut files.in_memory)?;
                    files.nodes.insert(path, Node::File(file));
                }
                tar::EntryType::Symlink => {
                    // Relative to the link's directory; an absolute target from the root.
                    let target = link().and_then(|t| {
                        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                        if t.starts_with('/') {
                            normalize_path(&t)
                        } else {
                            normalize_path(&format!("{dir}/{t}"))
                        }
                    });
                    files.nodes.insert(path, Node::Link(target));
                }
                tar::EntryType::Link => {
                    let target = link().and_then(|t| normalize_path(&t));
                    files.nodes.insert(path, Node::Link(target));
                }
                _ => {}
            }
        }
        Ok(files)
    }

    /// Reads one regular file of the archive: into memory if it is a small document, else
    /// hashed while streamed into the store as a blob.
    fn take_file<R: Read>(
        &mut self,
        path: String,
        entry: &mut tar::Entry<'_, R>,
        in_memory: &mut u64,
    ) -> Result<ArchiveFile> {
        let size = entry.size();
        let read_err = |source| ArchiveError::Read { source };
        let small =
            size <= SMALL_FILE && !looks_like_blob(&path) && *in_memory + size <= MEMORY_BUDGET;
        if small {
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            entry.read_to_end(&mut bytes).map_err(read_err)?;
            check_length(&path, size, bytes.len() as u64)?;
            *in_memory += size;
            return Ok(ArchiveFile {
                digest: Digest::of_bytes(&bytes),
                size,
                compression: sniff(&bytes),
                content: Content::Memory(bytes),
                path,
            });
        }
        let mut writer = self.locked.blob_writer()?;
        let mut head = Vec::with_capacity(MAGIC_LEN);
        let mut copied = 0u64;
        loop {
            let n = match entry.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(read_err(e)),
            };
            if head.len() < MAGIC_LEN {
                let take = (MAGIC_LEN - head.len()).min(n);
                head.extend_from_slice(&self.buf[..take]);
            }
            writer.write_all(&self.buf[..n]).map_err(|source| {
                ArchiveError::Store(StoreError::Io {
                    action: "writing blob",
                    path: self.locked.layout().tmp(),
                    source,
                })
            })?;
            copied += n as u64;
        }
        check_length(&path, size, copied)?;
        let expected = digest_in_name(&path);
        let written = writer.finish(expected.as_ref()).map_err(|e| match e {
            StoreError::DigestMismatch { expected, found } => ArchiveError::DigestMismatch {
                path: path.clone(),
                expected,
                found,
            },
            other => other.into(),
        })?;
        if !self.before.contains(&written.digest) {
            self.created.insert(written.digest.clone());
        }
        Ok(ArchiveFile {
            path,
            digest: written.digest,
            size: written.size,
            compression: sniff(&head),
            content: Content::Blob,
        })
    }

    /// The bytes of a small document (a config, a manifest).
    fn bytes_of(&self, file: &ArchiveFile) -> Result<Vec<u8>> {
        match &file.content {
            Content::Memory(bytes) => Ok(bytes.clone()),
            Content::Blob => Ok(self.locked.read_blob(&file.digest)?),
        }
    }

    /// Makes sure an archive file is a blob of the store, and returns its digest.
    fn ensure_blob(&mut self, file: &ArchiveFile) -> Result<Digest> {
        if let Content::Memory(bytes) = &file.content {
            let written = self.locked.put_blob(bytes, Some(&file.digest))?;
            if !self.before.contains(&written.digest) {
                self.created.insert(written.digest);
            }
        }
        Ok(file.digest.clone())
    }

    // -- planning ----------------------------------------------------------------------------

    /// Plans the images of `manifest.json` (Docker 20.10 and ≥ 25 archives).
    fn plan_docker(&self, files: &Files) -> Result<Vec<PlannedImage>> {
        #[derive(serde::Deserialize)]
        struct Item {
            #[serde(rename = "Config")]
            config: String,
            #[serde(rename = "RepoTags", default)]
            repo_tags: Option<Vec<String>>,
            #[serde(rename = "Layers", default)]
            layers: Vec<String>,
            #[serde(rename = "Parent", default)]
            parent: Option<String>,
        }
        const DOC: &str = "manifest.json";
        let manifest = files.lookup(DOC, "manifest", "the archive")?;
        let items: Vec<Item> = serde_json::from_slice(&self.bytes_of(manifest)?).map_err(|e| {
            ArchiveError::Invalid {
                what: DOC.into(),
                reason: e.to_string(),
            }
        })?;
        let mut plans: Vec<PlannedImage> = Vec::new();
        for item in items {
            let config = files.lookup(&item.config, "config", DOC)?.clone();
            let id = config.digest.clone();
            let diff_ids = self.diff_ids(&config)?;
            if diff_ids.len() != item.layers.len() {
                return Err(ArchiveError::LayerCount {
                    listed_in: DOC.into(),
                    id,
                    layers: item.layers.len(),
                    diff_ids: diff_ids.len(),
                });
            }
            let mut layers = Vec::with_capacity(diff_ids.len());
            for (path, diff_id) in item.layers.iter().zip(diff_ids) {
                let file = files.lookup(path, "layer", DOC)?.clone();
                layers.push(planned_layer(file, diff_id)?);
            }
            let mut names = Vec::new();
            for tag in item.repo_tags.unwrap_or_default() {
                let name =
                    Reference::parse_tagged(&tag).map_err(|source| ArchiveError::BadName {
                        name: tag.clone(),
                        listed_in: DOC.into(),
                        source,
                    })?;
                names.push(name);
            }
            let parent = item.parent.as_deref().and_then(|p| Digest::parse(p).ok());
            merge_plan(
                &mut plans,
                PlannedImage {
                    id,
                    config,
                    layers,
                    manifest: PlannedManifest::Build,
                    names,
                    parent,
                },
            );
        }
        Ok(plans)
    }

    /// Plans the images of an OCI layout's `index.json`.
    fn plan_oci(&self, files: &Files) -> Result<Vec<PlannedImage>> {
        const DOC: &str = "index.json";
        let index_file = files.lookup(DOC, "index", "the archive")?;
        let index: ImageIndex =
            serde_json::from_slice(&self.bytes_of(index_file)?).map_err(|e| {
                ArchiveError::Invalid {
                    what: DOC.into(),
                    reason: e.to_string(),
                }
            })?;
        let mut plans: Vec<PlannedImage> = Vec::new();
        for top in index.manifests() {
            let names = names_from_annotations(top)?;
            // Follow nested indexes (multi-platform images) down to the linux/amd64 manifest.
            let mut desc = top.clone();
            let mut listed_in = DOC.to_string();
            let mut depth = 0;
            let manifest_file = loop {
                depth += 1;
                let digest = Digest::from(desc.digest());
                let file = blob_file(files, &digest, "manifest", &listed_in)?;
                match kind_of(desc.media_type()) {
                    Kind::Manifest => break file,
                    Kind::Index if depth <= MAX_NESTING => {
                        let nested: ImageIndex = serde_json::from_slice(&self.bytes_of(file)?)
                            .map_err(|e| ArchiveError::Invalid {
                                what: format!("index {digest}"),
                                reason: e.to_string(),
                            })?;
                        desc = pick_platform(&nested, &digest)?;
                        listed_in = format!("index {digest}");
                    }
                    _ => {
                        return Err(ArchiveError::UnsupportedMediaType {
                            listed_in,
                            digest,
                            media_type: desc.media_type().to_string(),
                        });
                    }
                }
            };
            let manifest_what = format!("manifest {}", manifest_file.digest);
            let manifest: ImageManifest = serde_json::from_slice(&self.bytes_of(manifest_file)?)
                .map_err(|e| ArchiveError::Invalid {
                    what: manifest_what.clone(),
                    reason: e.to_string(),
                })?;
            let config_digest = Digest::from(manifest.config().digest());
            let config = blob_file(files, &config_digest, "config", &manifest_what)?.clone();
            let diff_ids = self.diff_ids(&config)?;
            if diff_ids.len() != manifest.layers().len() {
                return Err(ArchiveError::LayerCount {
                    listed_in: manifest_what,
                    id: config.digest,
                    layers: manifest.layers().len(),
                    diff_ids: diff_ids.len(),
                });
            }
            let mut layers = Vec::with_capacity(diff_ids.len());
            for (blob, diff_id) in manifest.layers().iter().zip(diff_ids) {
                let file = blob_file(files, &Digest::from(blob.digest()), "layer", &manifest_what)?;
                layers.push(planned_layer(file.clone(), diff_id)?);
            }
            merge_plan(
                &mut plans,
                PlannedImage {
                    id: config.digest.clone(),
                    config,
                    layers,
                    manifest: PlannedManifest::Keep {
                        file: manifest_file.clone(),
                        media_type: desc.media_type().to_string(),
                    },
                    names,
                    parent: None,
                },
            );
        }
        Ok(plans)
    }

    /// The diff IDs of a config, which is also checked the way Docker checks it.
    fn diff_ids(&self, config: &ArchiveFile) -> Result<Vec<DiffId>> {
        let bytes = self.bytes_of(config)?;
        let parsed = image::parse_config(&config.digest, &bytes)?;
        image::diff_ids_of(&parsed).map_err(|e| ArchiveError::Invalid {
            what: format!("config {:?}", config.path),
            reason: e.to_string(),
        })
    }

    // -- applying ----------------------------------------------------------------------------

    /// Stores and unpacks every planned image, then writes `index.json` once.
    fn apply(&mut self, plans: Vec<PlannedImage>) -> Result<Vec<LoadedImage>> {
        let mut index = self.locked.index()?;
        let mut referenced: BTreeSet<Digest> = BTreeSet::new();
        let mut loaded = Vec::with_capacity(plans.len());
        for plan in &plans {
            let already_present = index.images.contains_key(&plan.id);
            let mut layers = Vec::with_capacity(plan.layers.len());
            let mut descriptors = Vec::with_capacity(plan.layers.len());
            let mut parent: Option<ChainId> = None;
            for layer in &plan.layers {
                let chain = match &parent {
                    Some(p) => ChainId::child(p, &layer.diff_id),
                    None => ChainId(layer.diff_id.digest().clone()),
                };
                let present = self.locked.has_layer(&chain);
                if !already_present {
                    let blob = self.ensure_blob(&layer.file)?;
                    if !present {
                        self.locked
                            .unpack_layer(&blob, layer.gzip, parent.as_ref(), &layer.diff_id)
                            .map_err(|e| match e {
                                StoreError::DiffIdMismatch {
                                    expected, found, ..
                                } => ArchiveError::DiffIdMismatch {
                                    path: layer.file.path.clone(),
                                    expected,
                                    found,
                                },
                                other => other.into(),
                            })?;
                        self.new_layers.push(chain.clone());
                    }
                    let media_type = if layer.gzip {
                        OCI_LAYER_GZIP
                    } else {
                        OCI_LAYER_TAR
                    };
                    descriptors.push(Descriptor::new(
                        MediaType::from(media_type),
                        layer.file.size,
                        oci_spec::image::Digest::from(&blob),
                    ));
                    referenced.insert(blob);
                }
                layers.push(LoadedLayer {
                    diff_id: layer.diff_id.clone(),
                    chain_id: chain.clone(),
                    already_present: present,
                });
                parent = Some(chain);
            }
            if !already_present {
                let config = self.ensure_blob(&plan.config)?;
                let (manifest, manifest_size, media_type) = match &plan.manifest {
                    PlannedManifest::Build => {
                        let bytes = oci_manifest(&config, plan.config.size, descriptors)?;
                        let written = self.locked.put_blob(&bytes, None)?;
                        if !self.before.contains(&written.digest) {
                            self.created.insert(written.digest.clone());
                        }
                        (
                            written.digest,
                            written.size,
                            MediaType::ImageManifest.to_string(),
                        )
                    }
                    PlannedManifest::Keep { file, media_type } => {
                        (self.ensure_blob(file)?, file.size, media_type.clone())
                    }
                };
                referenced.insert(config.clone());
                referenced.insert(manifest.clone());
                index.images.insert(
                    plan.id.clone(),
                    ImageRecord {
                        id: plan.id.clone(),
                        manifest,
                        manifest_size,
                        manifest_media_type: media_type,
                        parent: None,
                        references: BTreeSet::new(),
                    },
                );
            }
            let mut moved = Vec::new();
            for name in &plan.names {
                if let Some(previous) = index.set_reference(name.clone(), &plan.id) {
                    moved.push(MovedTag {
                        reference: name.clone(),
                        previous,
                    });
                }
            }
            loaded.push(LoadedImage {
                id: plan.id.clone(),
                already_present,
                tags: plan.names.clone(),
                moved,
                layers,
            });
        }
        // Parent links (manifest.json's "Parent"), kept only when the parent is here too.
        for (plan, image) in plans.iter().zip(&loaded) {
            if let Some(parent) = &plan.parent
                && !image.already_present
                && index.images.contains_key(parent)
                && let Some(record) = index.images.get_mut(&plan.id)
            {
                record.parent = Some(parent.clone());
            }
        }
        self.locked.write_index(&index)?;
        // Done: blobs this load wrote but no loaded image uses are dropped again.
        self.new_layers.clear();
        for blob in std::mem::take(&mut self.created) {
            if !referenced.contains(&blob) {
                let _ = self.locked.remove_blob(&blob);
            }
        }
        Ok(loaded)
    }
}

/// A short read means the archive was cut: name the entry.
fn check_length(path: &str, expected: u64, found: u64) -> Result<()> {
    if found < expected {
        return Err(ArchiveError::Truncated {
            path: path.to_string(),
            expected,
            found,
        });
    }
    Ok(())
}

/// A layer file, told plain or gzip by its first bytes. A plain layer's digest must be its
/// diff ID already (checked here, before anything is unpacked); a gzip one is checked while
/// it is unpacked.
fn planned_layer(file: ArchiveFile, diff_id: DiffId) -> Result<PlannedLayer> {
    if &file.digest == diff_id.digest() {
        return Ok(PlannedLayer {
            file,
            diff_id,
            gzip: false,
        });
    }
    match file.compression {
        Compression::Gzip => Ok(PlannedLayer {
            file,
            diff_id,
            gzip: true,
        }),
        Compression::None => Err(ArchiveError::DiffIdMismatch {
            path: file.path,
            expected: diff_id,
            found: DiffId(file.digest),
        }),
        other => Err(ArchiveError::UnsupportedCompression {
            what: format!("layer {:?}", file.path),
            compression: other.name(),
        }),
    }
}

/// Adds a planned image, or only its names when the archive lists the same image twice.
fn merge_plan(plans: &mut Vec<PlannedImage>, plan: PlannedImage) {
    match plans.iter_mut().find(|p| p.id == plan.id) {
        Some(existing) => {
            for name in plan.names {
                if !existing.names.contains(&name) {
                    existing.names.push(name);
                }
            }
        }
        None => plans.push(plan),
    }
}

/// The name an `index.json` entry gives its image: `io.containerd.image.name` (a full
/// reference, what Docker ≥ 25 and containerd write), else `org.opencontainers.image.ref.name`
/// when it is a whole name; a bare tag (`latest`, what skopeo writes) names no repository, so
/// the image is loaded by ID only.
fn names_from_annotations(desc: &Descriptor) -> Result<Vec<Reference>> {
    let Some(annotations) = desc.annotations() else {
        return Ok(Vec::new());
    };
    let text = match (
        annotations.get(ANNOTATION_NAME),
        annotations.get(ANNOTATION_REF_NAME),
    ) {
        (Some(name), _) => name,
        (None, Some(r)) if r.contains(['/', ':']) => r,
        _ => return Ok(Vec::new()),
    };
    let name = Reference::parse(text).map_err(|source| ArchiveError::BadName {
        name: text.clone(),
        listed_in: "index.json".into(),
        source,
    })?;
    // A name pinned by digest only is a repo digest: `docker load` never sets those.
    Ok(name.tag().map(|t| name.with_tag(t)).into_iter().collect())
}

/// The archive file of an OCI blob, checked against its digest.
fn blob_file<'f>(
    files: &'f Files,
    digest: &Digest,
    what: &'static str,
    listed_in: &str,
) -> Result<&'f ArchiveFile> {
    let path = format!("blobs/{}/{}", digest.algorithm(), digest.hex());
    let file = files.lookup(&path, what, listed_in)?;
    if &file.digest != digest {
        return Err(ArchiveError::DigestMismatch {
            path,
            expected: digest.clone(),
            found: file.digest.clone(),
        });
    }
    Ok(file)
}

enum Kind {
    Manifest,
    Index,
    Other,
}

fn kind_of(media_type: &MediaType) -> Kind {
    match media_type {
        MediaType::ImageManifest => Kind::Manifest,
        MediaType::ImageIndex => Kind::Index,
        MediaType::Other(t) if t == image::DOCKER_MANIFEST => Kind::Manifest,
        MediaType::Other(t) if t == "application/vnd.docker.distribution.manifest.list.v2+json" => {
            Kind::Index
        }
        _ => Kind::Other,
    }
}

/// The linux/amd64 entry of a multi-platform index (or its only entry, if it names none).
fn pick_platform(index: &ImageIndex, digest: &Digest) -> Result<Descriptor> {
    let manifests = index.manifests();
    let amd64 = manifests.iter().find(|d| {
        d.platform()
            .as_ref()
            .is_some_and(|p| p.os() == &Os::Linux && p.architecture() == &Arch::Amd64)
    });
    match (amd64, manifests.as_slice()) {
        (Some(d), _) => Ok(d.clone()),
        (None, [only]) if only.platform().is_none() => Ok(only.clone()),
        _ => Err(ArchiveError::NoPlatform {
            digest: digest.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::TarBuilder;
    use crate::store::Index;
    use std::io::Cursor;

    const T0: u64 = 1_700_000_000;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path().join("store")).expect("open store");
        (dir, store)
    }

    /// A base layer: a directory, two files, a symlink and a hard link.
    fn base_layer() -> Vec<u8> {
        let mut b = TarBuilder::new(Vec::new());
        b.dir("bin", 0o755, T0).expect("dir");
        b.file("bin/tool", 0o755, T0, 5, &b"tool\n"[..])
            .expect("file");
        b.symlink("bin/sh", "tool", T0).expect("symlink");
        b.hardlink("bin/tool2", "bin/tool", T0).expect("hardlink");
        b.dir("etc", 0o755, T0).expect("dir");
        b.file("etc/motd", 0o644, T0, 6, &b"hola!\n"[..])
            .expect("file");
        b.finish().expect("finish").0
    }

    /// A top layer with `text` in a file and a whiteout of `etc/motd`.
    fn top_layer(text: &str) -> Vec<u8> {
        let mut b = TarBuilder::new(Vec::new());
        b.dir("app", 0o755, T0).expect("dir");
        b.file("app/x", 0o644, T0, text.len() as u64, text.as_bytes())
            .expect("file");
        b.dir("etc", 0o755, T0).expect("dir");
        b.whiteout("etc/motd", T0).expect("whiteout");
        b.finish().expect("finish").0
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(bytes).expect("gzip");
        enc.finish().expect("gzip")
    }

    /// Config bytes in Docker's compact form, with an `empty_layer` history row.
    fn config(layers: &[Vec<u8>], cmd: &str) -> Vec<u8> {
        let diff_ids: Vec<String> = layers
            .iter()
            .map(|l| Digest::of_bytes(l).to_string())
            .collect();
        let mut history =
            vec![json!({"created": "2024-01-01T00:00:00Z", "created_by": "ADD base / # capas"})];
        history.push(json!({"created": "2024-01-02T00:00:00Z", "created_by": "ENV A=b", "empty_layer": true}));
        for i in 1..layers.len() {
            history.push(
                json!({"created": "2024-01-03T00:00:00Z", "created_by": format!("RUN step {i}")}),
            );
        }
        let config = json!({
            "architecture": "amd64",
            "config": {"Env": ["A=b"], "Cmd": ["sh", "-c", cmd]},
            "created": "2024-01-03T00:00:00Z",
            "history": history,
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        });
        serde_json::to_vec(&config).expect("json")
    }

    /// Stores and unpacks `layers` (gzip-compressed blobs if `gz`), then commits an image.
    fn make_image(
        store: &Store,
        layers: &[Vec<u8>],
        cmd: &str,
        tags: &[&str],
        gz: bool,
    ) -> ImageRecord {
        let locked = store.lock().expect("lock");
        let mut parent: Option<ChainId> = None;
        let mut descriptors = Vec::new();
        for tar in layers {
            let diff_id = DiffId(Digest::of_bytes(tar));
            let (bytes, media_type) = if gz {
                (gzip(tar), OCI_LAYER_GZIP)
            } else {
                (tar.clone(), OCI_LAYER_TAR)
            };
            let blob = locked.put_blob(&bytes, None).expect("blob");
            let record = locked
                .unpack_layer(&blob.digest, gz, parent.as_ref(), &diff_id)
                .expect("unpack");
            parent = Some(record.chain_id);
            descriptors.push(Descriptor::new(
                MediaType::from(media_type),
                blob.size,
                oci_spec::image::Digest::from(&blob.digest),
            ));
        }
        let tags: Vec<Reference> = tags
            .iter()
            .map(|t| Reference::parse_tagged(t).expect("tag"))
            .collect();
        image::commit_image(&locked, &config(layers, cmd), descriptors, None, &tags)
            .expect("commit")
    }

    fn save_to_vec(
        store: &Store,
        images: &[(ImageRecord, Vec<Reference>)],
        format: Format,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        save(store, images, format, &mut out).expect("save");
        out
    }

    fn with_tags(record: &ImageRecord) -> (ImageRecord, Vec<Reference>) {
        (record.clone(), record.tags().cloned().collect())
    }

    /// Every entry of a tar: path, type, content (or link target).
    fn entries(tar: &[u8]) -> Vec<(String, tar::EntryType, Vec<u8>)> {
        let mut archive = tar::Archive::new(tar);
        let mut out = Vec::new();
        for entry in archive.entries().expect("entries") {
            let mut entry = entry.expect("entry");
            let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let kind = entry.header().entry_type();
            let mut data = Vec::new();
            if kind == tar::EntryType::Symlink {
                data = entry.link_name_bytes().expect("target").into_owned();
            } else {
                entry.read_to_end(&mut data).expect("read");
            }
            out.push((path, kind, data));
        }
        out
    }

    enum E<'a> {
        File(&'a [u8]),
        Symlink(&'a str),
    }

    fn tar_of(list: &[(&str, E<'_>)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, e) in list {
            let mut h = tar::Header::new_ustar();
            match e {
                E::File(bytes) => {
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_size(bytes.len() as u64);
                    h.set_mode(0o644);
                    b.append_data(&mut h, path, *bytes).expect("append");
                }
                E::Symlink(target) => {
                    h.set_entry_type(tar::EntryType::Symlink);
                    h.set_size(0);
                    h.set_mode(0o777);
                    b.append_link(&mut h, path, target).expect("append");
                }
            }
        }
        b.into_inner().expect("tar")
    }

    /// One image of a hand-made legacy archive: config bytes, layer tars, tag.
    type LegacyImage<'a> = (&'a [u8], &'a [&'a [u8]], &'a str);

    /// What `docker save` of Docker 20.10 writes for two images sharing their base layer:
    /// the second copy of the base layer is a symlink to the first.
    fn legacy_archive(configs: &[LegacyImage<'_>]) -> Vec<(String, Vec<u8>, Option<String>)> {
        let mut files: Vec<(String, Vec<u8>, Option<String>)> = Vec::new();
        let mut first_copy: BTreeMap<Digest, String> = BTreeMap::new();
        let mut manifest = Vec::new();
        let mut repos: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (n, (config, layers, tag)) in configs.iter().enumerate() {
            let id = Digest::of_bytes(config);
            files.push((format!("{}.json", id.hex()), config.to_vec(), None));
            let mut paths = Vec::new();
            for (i, tar) in layers.iter().enumerate() {
                let v1 = Digest::of_bytes(format!("v1 {n} {i}").as_bytes())
                    .hex()
                    .to_string();
                let path = format!("{v1}/layer.tar");
                files.push((format!("{v1}/VERSION"), b"1.0".to_vec(), None));
                files.push((format!("{v1}/json"), b"{}".to_vec(), None));
                let diff = Digest::of_bytes(tar);
                match first_copy.get(&diff) {
                    Some(first) => {
                        files.push((path.clone(), Vec::new(), Some(format!("../{first}"))))
                    }
                    None => {
                        first_copy.insert(diff, path.clone());
                        files.push((path.clone(), tar.to_vec(), None));
                    }
                }
                paths.push(path);
            }
            let (repo, t) = tag.split_once(':').expect("tag");
            repos
                .entry(repo.into())
                .or_default()
                .insert(t.into(), paths.last().cloned().unwrap_or_default());
            manifest.push(
                json!({"Config": format!("{}.json", id.hex()), "RepoTags": [tag], "Layers": paths}),
            );
        }
        files.push((
            "manifest.json".into(),
            serde_json::to_vec(&manifest).expect("json"),
            None,
        ));
        files.push((
            "repositories".into(),
            serde_json::to_vec(&repos).expect("json"),
            None,
        ));
        files
    }

    fn tar_of_legacy(files: &[(String, Vec<u8>, Option<String>)]) -> Vec<u8> {
        let list: Vec<(&str, E<'_>)> = files
            .iter()
            .map(|(p, bytes, link)| match link {
                Some(target) => (p.as_str(), E::Symlink(target.as_str())),
                None => (p.as_str(), E::File(bytes.as_slice())),
            })
            .collect();
        tar_of(&list)
    }

    fn history_facts(store: &Store, record: &ImageRecord) -> Vec<(String, u64, bool)> {
        let img = Image::load(store, record).expect("image");
        img.history(store, &store.index().expect("index"))
            .expect("history")
            .into_iter()
            .map(|r| (r.created_by, r.size, r.empty_layer))
            .collect()
    }

    /// The store's index.json bytes and blob list, to show that a failed load changed nothing.
    fn snapshot(store: &Store) -> (Vec<u8>, Vec<Digest>, usize) {
        (
            std::fs::read(store.root().join("index.json")).expect("index"),
            store.blobs().expect("blobs"),
            store.layers().expect("layers").len(),
        )
    }

    #[test]
    fn save_then_load_keeps_image_id_diff_ids_and_history() {
        let (_d, src) = store();
        let layers = vec![base_layer(), top_layer("hola\n")];
        let record = make_image(
            &src,
            &layers,
            "cat /app/x",
            &["capas/demo:1", "capas/demo:latest"],
            false,
        );
        let tar = save_to_vec(&src, &[with_tags(&record)], Format::DockerArchive);

        // The hybrid layout: an OCI layout plus manifest.json and repositories.
        let names: Vec<String> = entries(&tar).into_iter().map(|e| e.0).collect();
        for wanted in ["oci-layout", "index.json", "manifest.json", "repositories"] {
            assert!(
                names.iter().any(|n| n == wanted),
                "{wanted} missing from {names:?}"
            );
        }
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "entries are written in name order");

        let (_d2, dst) = store();
        let report = load(&dst.lock().expect("lock"), &tar[..]).expect("load");
        assert_eq!(report.layout, Layout::DockerHybrid);
        assert_eq!(report.images.len(), 1);
        let loaded = &report.images[0];
        assert_eq!(loaded.id, record.id);
        assert!(!loaded.already_present);
        assert!(loaded.layers.iter().all(|l| !l.already_present));
        let tags: Vec<String> = loaded.tags.iter().map(|t| t.to_string()).collect();
        assert_eq!(tags, ["capas/demo:1", "capas/demo:latest"]);

        let index = dst.index().expect("index");
        let copy = &index.images[&record.id];
        assert_eq!(copy.tags().count(), 2);
        let (a, b) = (
            Image::load(&src, &record).expect("a"),
            Image::load(&dst, copy).expect("b"),
        );
        assert_eq!(a.diff_ids(), b.diff_ids());
        assert_eq!(a.config_bytes(), b.config_bytes());
        assert_eq!(history_facts(&src, &record), history_facts(&dst, copy));
        // Sizes as Docker counts them. Base: 5 (file) + 4 (symlink target "tool") + 6, the
        // hard link once. Top: 5, the whiteout 0.
        assert_eq!(history_facts(&dst, copy)[0].1, 5);
        assert_eq!(history_facts(&dst, copy)[2].1, 15);
    }

    #[test]
    fn save_twice_gives_the_same_bytes() {
        let (_d, src) = store();
        let a = make_image(
            &src,
            &[base_layer(), top_layer("a\n")],
            "a",
            &["capas/a:1"],
            true,
        );
        let b = make_image(
            &src,
            &[base_layer(), top_layer("b\n")],
            "b",
            &["capas/b:1"],
            false,
        );
        let both = [with_tags(&a), with_tags(&b)];
        for format in [Format::DockerArchive, Format::Oci] {
            assert_eq!(
                save_to_vec(&src, &both, format),
                save_to_vec(&src, &both, format)
            );
        }
    }

    #[test]
    fn a_layer_shared_by_two_images_is_saved_once_and_unpacked_once() {
        let (_d, src) = store();
        let base = base_layer();
        let a = make_image(
            &src,
            &[base.clone(), top_layer("a\n")],
            "a",
            &["capas/a:1"],
            false,
        );
        let b = make_image(
            &src,
            &[base.clone(), top_layer("b\n")],
            "b",
            &["capas/b:1"],
            false,
        );
        let tar = save_to_vec(&src, &[with_tags(&a), with_tags(&b)], Format::DockerArchive);
        let base_path = format!("blobs/sha256/{}", Digest::of_bytes(&base).hex());
        assert_eq!(entries(&tar).iter().filter(|e| e.0 == base_path).count(), 1);

        let (_d2, dst) = store();
        let report = load(&dst.lock().expect("lock"), &tar[..]).expect("load");
        let ids: Vec<&Digest> = report.images.iter().map(|i| &i.id).collect();
        assert_eq!(ids, [&a.id, &b.id]);
        assert!(!report.images[0].layers[0].already_present);
        assert!(
            report.images[1].layers[0].already_present,
            "the base chain is unpacked once"
        );
        assert!(!report.images[1].layers[1].already_present);
        assert_eq!(dst.layers().expect("layers").len(), 3);
    }

    #[test]
    fn gzip_layers_are_saved_uncompressed_and_keep_their_diff_ids() {
        let (_d, src) = store();
        let layers = vec![base_layer(), top_layer("gz\n")];
        let record = make_image(&src, &layers, "gz", &["capas/gz:1"], true);
        let tar = save_to_vec(&src, &[with_tags(&record)], Format::DockerArchive);
        let files = entries(&tar);
        for layer in &layers {
            let path = format!("blobs/sha256/{}", Digest::of_bytes(layer).hex());
            let found = files
                .iter()
                .find(|e| e.0 == path)
                .expect("layer by diff ID");
            assert_eq!(&found.2, layer, "the uncompressed tar, byte for byte");
        }
        let (_d2, dst) = store();
        let report = load(&dst.lock().expect("lock"), &tar[..]).expect("load");
        assert_eq!(report.images[0].id, record.id);
        let copy = &dst.index().expect("index").images[&record.id];
        let img = Image::load(&dst, copy).expect("image");
        assert!(
            img.manifest()
                .layers()
                .iter()
                .all(|l| l.media_type().to_string() == OCI_LAYER_TAR)
        );
    }

    #[test]
    fn oci_layout_round_trip_keeps_blobs_as_stored() {
        let (_d, src) = store();
        let record = make_image(
            &src,
            &[base_layer(), top_layer("oci\n")],
            "oci",
            &["capas/oci:1"],
            true,
        );
        let tar = save_to_vec(&src, &[with_tags(&record)], Format::Oci);
        let names: Vec<String> = entries(&tar).into_iter().map(|e| e.0).collect();
        assert!(
            !names
                .iter()
                .any(|n| n == "manifest.json" || n == "repositories")
        );
        assert!(
            names
                .iter()
                .any(|n| n == &format!("blobs/sha256/{}", record.manifest.hex()))
        );

        let (_d2, dst) = store();
        let report = load(&dst.lock().expect("lock"), &tar[..]).expect("load");
        assert_eq!(report.layout, Layout::Oci);
        assert_eq!(report.images[0].id, record.id);
        assert_eq!(
            report.images[0].tags,
            vec![Reference::parse_tagged("capas/oci:1").expect("tag")]
        );
        let copy = &dst.index().expect("index").images[&record.id];
        assert_eq!(
            copy.manifest, record.manifest,
            "an OCI layout's manifest is kept as it is"
        );
        assert_eq!(dst.blobs().expect("blobs"), src.blobs().expect("blobs"));
    }

    #[test]
    fn legacy_archive_with_a_symlinked_repeated_layer_loads() {
        let base = base_layer();
        let (a_top, b_top) = (top_layer("a\n"), top_layer("b\n"));
        let a_cfg = config(&[base.clone(), a_top.clone()], "a");
        let b_cfg = config(&[base.clone(), b_top.clone()], "b");
        let files = legacy_archive(&[
            (&a_cfg, &[&base, &a_top], "capas/a:1"),
            (&b_cfg, &[&base, &b_top], "capas/b:1"),
        ]);
        assert!(
            files.iter().any(|f| f.2.is_some()),
            "the fixture has a symlinked layer"
        );
        let (_d, dst) = store();
        let report = load(&dst.lock().expect("lock"), &tar_of_legacy(&files)[..]).expect("load");
        assert_eq!(report.layout, Layout::DockerLegacy);
        assert_eq!(report.images[0].id, Digest::of_bytes(&a_cfg));
        assert_eq!(report.images[1].id, Digest::of_bytes(&b_cfg));
        assert!(report.images[1].layers[0].already_present);
        // Nothing unreferenced is kept: 2 configs, 2 manifests, 3 layers.
        assert_eq!(dst.blobs().expect("blobs").len(), 7);
        assert_eq!(dst.layers().expect("layers").len(), 3);
        let index = dst.index().expect("index");
        let b = image::resolve(&index, "capas/b:1").expect("tagged");
        assert_eq!(history_facts(&dst, b)[0].0, "RUN step 1");
    }

    #[test]
    fn a_gzip_compressed_archive_loads() {
        let (_d, src) = store();
        let record = make_image(&src, &[base_layer()], "z", &["capas/z:1"], false);
        let tar = save_to_vec(&src, &[with_tags(&record)], Format::DockerArchive);
        let (_d2, dst) = store();
        let report = load(&dst.lock().expect("lock"), &gzip(&tar)[..]).expect("load");
        assert_eq!(report.images[0].id, record.id);
    }

    #[test]
    fn an_image_saved_without_names_loads_by_id() {
        let (_d, src) = store();
        let record = make_image(&src, &[base_layer()], "id", &["capas/id:1"], false);
        let tar = save_to_vec(&src, &[(record.clone(), Vec::new())], Format::DockerArchive);
        let manifest = entries(&tar)
            .into_iter()
            .find(|e| e.0 == "manifest.json")
            .expect("manifest");
        assert!(String::from_utf8_lossy(&manifest.2).contains(r#""RepoTags":null"#));
        assert!(!entries(&tar).iter().any(|e| e.0 == "repositories"));
        let (_d2, dst) = store();
        let report = load(&dst.lock().expect("lock"), &tar[..]).expect("load");
        assert!(report.images[0].tags.is_empty());
        assert_eq!(
            dst.index().expect("index").images[&record.id]
                .references
                .len(),
            0
        );
    }

    #[test]
    fn loading_a_tag_of_another_image_reports_the_move() {
        let (_d, src) = store();
        let a = make_image(
            &src,
            &[base_layer(), top_layer("a\n")],
            "a",
            &["capas/t:1"],
            false,
        );
        let tar_a = save_to_vec(&src, &[with_tags(&a)], Format::DockerArchive);
        let b = make_image(
            &src,
            &[base_layer(), top_layer("b\n")],
            "b",
            &["capas/t:1"],
            false,
        );
        let tar_b = save_to_vec(&src, &[with_tags(&b)], Format::DockerArchive);
        let (_d2, dst) = store();
        load(&dst.lock().expect("lock"), &tar_a[..]).expect("load a");
        let report = load(&dst.lock().expect("lock"), &tar_b[..]).expect("load b");
        let moved = &report.images[0].moved;
        assert_eq!(moved.len(), 1);
        assert_eq!(moved[0].previous, a.id);
        assert_eq!(moved[0].reference.to_string(), "capas/t:1");
        // Loading the same archive again: nothing new, nothing moved.
        let again = load(&dst.lock().expect("lock"), &tar_b[..]).expect("load b again");
        assert!(again.images[0].already_present);
        assert!(again.images[0].moved.is_empty());
        assert!(again.images[0].layers.iter().all(|l| l.already_present));
    }

    /// A store holding one image, and a legacy archive of two others to break in many ways.
    fn broken_load(
        mutate: impl FnOnce(&mut Vec<(String, Vec<u8>, Option<String>)>),
    ) -> ArchiveError {
        let (_d, dst) = store();
        make_image(
            &dst,
            &[top_layer("already here\n")],
            "x",
            &["capas/here:1"],
            false,
        );
        let before = snapshot(&dst);
        let base = base_layer();
        let top = top_layer("a\n");
        let other = top_layer("other\n");
        let a_cfg = config(&[base.clone(), top.clone()], "a");
        let b_cfg = config(std::slice::from_ref(&other), "b");
        let mut files = legacy_archive(&[
            (&a_cfg, &[&base, &top], "capas/a:1"),
            (&b_cfg, &[&other], "capas/b:1"),
        ]);
        mutate(&mut files);
        let err = load(&dst.lock().expect("lock"), &tar_of_legacy(&files)[..])
            .expect_err("load must fail");
        assert_eq!(
            snapshot(&dst),
            before,
            "a failed load leaves the store as it was ({err})"
        );
        assert_eq!(
            std::fs::read_dir(dst.root().join("tmp"))
                .expect("tmp")
                .count(),
            0
        );
        err
    }

    fn layer_paths(files: &[(String, Vec<u8>, Option<String>)]) -> Vec<String> {
        files
            .iter()
            .filter(|f| f.0.ends_with("/layer.tar"))
            .map(|f| f.0.clone())
            .collect()
    }

    #[test]
    fn a_missing_layer_is_an_error_and_changes_nothing() {
        let err = broken_load(|files| {
            let last = layer_paths(files).pop().expect("layer");
            files.retain(|f| f.0 != last);
        });
        assert!(
            matches!(err, ArchiveError::Missing { what: "layer", .. }),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("listed in manifest.json is missing from the archive"),
            "{err}"
        );
    }

    #[test]
    fn a_wrong_diff_id_is_an_error_and_changes_nothing() {
        // The second image's layer is damaged: the first image's layers were already unpacked
        // when it is found, and must be removed again.
        let err = broken_load(|files| {
            let last = layer_paths(files).pop().expect("layer");
            let f = files.iter_mut().find(|f| f.0 == last).expect("layer");
            f.1 = top_layer("tampered\n");
        });
        assert!(matches!(err, ArchiveError::DiffIdMismatch { .. }), "{err}");
    }

    #[test]
    fn a_wrong_diff_id_in_a_gzip_layer_is_found_while_unpacking() {
        let err = broken_load(|files| {
            let last = layer_paths(files).pop().expect("layer");
            let f = files.iter_mut().find(|f| f.0 == last).expect("layer");
            f.1 = gzip(&top_layer("tampered\n"));
        });
        assert!(matches!(err, ArchiveError::DiffIdMismatch { .. }), "{err}");
    }

    #[test]
    fn a_path_leaving_the_archive_is_refused() {
        let err = broken_load(|files| {
            let m = files
                .iter_mut()
                .find(|f| f.0 == "manifest.json")
                .expect("manifest");
            let text = String::from_utf8_lossy(&m.1).into_owned();
            let first = text.find("/layer.tar").expect("layer path");
            let start = text[..first].rfind('"').expect("quote") + 1;
            m.1 = format!("{}../../etc{}", &text[..start], &text[start..]).into_bytes();
        });
        assert!(matches!(err, ArchiveError::PathEscape { .. }), "{err}");
    }

    #[test]
    fn bad_json_is_an_error() {
        let err = broken_load(|files| {
            let m = files
                .iter_mut()
                .find(|f| f.0 == "manifest.json")
                .expect("manifest");
            m.1 = b"[{\"Config\": 3}]".to_vec();
        });
        assert!(matches!(err, ArchiveError::Invalid { .. }), "{err}");
        assert!(
            err.to_string().starts_with("manifest.json is not valid"),
            "{err}"
        );
    }

    #[test]
    fn a_truncated_archive_is_an_error_and_changes_nothing() {
        let (_d, src) = store();
        let record = make_image(
            &src,
            &[base_layer(), top_layer("cut\n")],
            "cut",
            &["capas/cut:1"],
            false,
        );
        let tar = save_to_vec(&src, &[with_tags(&record)], Format::DockerArchive);
        let (_d2, dst) = store();
        make_image(
            &dst,
            &[top_layer("already here\n")],
            "x",
            &["capas/here:1"],
            false,
        );
        let before = snapshot(&dst);
        for cut in [100, 1024 + 300, tar.len() / 2, tar.len() - 1536] {
            let err = load(&dst.lock().expect("lock"), &tar[..cut]).expect_err("truncated");
            assert_eq!(snapshot(&dst), before, "cut at {cut}: {err}");
        }
        let err = load(&dst.lock().expect("lock"), &gzip(&tar)[..200]).expect_err("truncated gzip");
        assert!(matches!(err, ArchiveError::Read { .. }), "{err}");
        assert_eq!(snapshot(&dst), before);
    }

    #[test]
    fn a_corrupt_layer_blob_fails_the_save() {
        use std::os::unix::fs::PermissionsExt;
        let (_d, src) = store();
        let layers = vec![base_layer(), top_layer("rot\n")];
        let record = make_image(&src, &layers, "rot", &["capas/rot:1"], false);
        let path = src.blob_path(&Digest::of_bytes(&layers[1]));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let mut bytes = std::fs::read(&path).expect("read");
        bytes[600] ^= 1;
        std::fs::write(&path, bytes).expect("tamper");
        let err = save(
            &src,
            &[with_tags(&record)],
            Format::DockerArchive,
            io::sink(),
        )
        .expect_err("a corrupt blob cannot be saved");
        assert!(
            matches!(err, ArchiveError::Store(StoreError::CorruptBlob { .. })),
            "{err}"
        );
    }

    #[test]
    fn a_tar_without_manifest_is_not_an_image_archive() {
        let tar = tar_of(&[("etc/motd", E::File(b"hola"))]);
        let (_d, dst) = store();
        let err = load(&dst.lock().expect("lock"), &tar[..]).expect_err("not an image");
        assert_eq!(
            err.to_string(),
            "archive has no manifest.json or index.json: not an image archive"
        );
        assert_eq!(dst.index().expect("index"), Index::default());
    }

    #[test]
    fn manifest_json_first_or_last_makes_no_difference() {
        let base = base_layer();
        let cfg = config(std::slice::from_ref(&base), "o");
        let mut files = legacy_archive(&[(&cfg, &[&base], "capas/o:1")]);
        files.reverse();
        let (_d, dst) = store();
        let report = load(&dst.lock().expect("lock"), &tar_of_legacy(&files)[..]).expect("load");
        assert_eq!(report.images[0].id, Digest::of_bytes(&cfg));
    }

    #[test]
    fn paths_are_cleaned_inside_the_archive_only() {
        assert_eq!(normalize_path("./a/./b/../c").as_deref(), Some("a/c"));
        assert_eq!(normalize_path("../x"), None);
        assert_eq!(normalize_path("a/../../x"), None);
        assert_eq!(sniff(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(sniff(b"ustar"), Compression::None);
        let _ = Cursor::new(Vec::<u8>::new());
    }
}
