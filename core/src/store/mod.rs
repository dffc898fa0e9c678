//! The content-addressed store on disk.
//!
//! Every blob (a layer tar, a config, a manifest) is a file named by the SHA-256 of its bytes.
//! That single rule gives the course's three promises at once:
//!
//! * **immutability**: a blob cannot change without changing its name, and every read checks
//!   the bytes against the name ([`StoreError::CorruptBlob`] otherwise);
//! * **sharing**: two images that contain the same layer point at the same file, stored once;
//! * **safety**: a blob is written to a temporary file while it is hashed, flushed to disk,
//!   then renamed into place, so a crash leaves either nothing or a whole, verified blob.
//!
//! The layout is an OCI image layout (so `skopeo`, `umoci` and friends can read it) plus the
//! unpacked layers, each stored once and keyed by its [chain ID](crate::digest::ChainId), and
//! what an engine keeps beside them. [`layout`] lists every path under the root, and is the only
//! module that names them.
//!
//! Reading needs no lock (every file is replaced by an atomic rename). Changing anything needs
//! [`Store::lock`], which returns a [`Locked`] handle carrying the writing methods: two `capas`
//! processes can never interleave their changes.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::ops::Deref;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use oci_spec::image::{Descriptor, ImageIndex, ImageIndexBuilder, MediaType};
use serde::{Deserialize, Serialize};

use crate::digest::{ChainId, DiffId, Digest, HashingWriter};
use crate::layer::{self, LayerError};
use crate::reference::Reference;

pub mod layout;
pub use layout::Layout;

/// Annotation holding the full image name of a reference (what containerd and Docker 25+ write).
pub const ANNOTATION_NAME: &str = "io.containerd.image.name";
/// The OCI annotation for the tag of a reference.
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// capas's annotation with the image ID (the config digest), so listing needs no manifest read.
pub const ANNOTATION_IMAGE_ID: &str = "io.capas.image.id";
/// capas's annotation with the parent image ID (set by commit and build, as Docker records it).
pub const ANNOTATION_PARENT: &str = "io.capas.parent";

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The disk said no (permissions, space, a missing directory).
    #[error("{action} {path}: {source}")]
    Io {
        /// What capas was doing.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// A blob that an image needs is not in the store.
    #[error("blob {digest} is missing from the store")]
    BlobNotFound {
        /// The missing blob.
        digest: Digest,
    },
    /// A blob's bytes no longer hash to its name: the store was damaged (met by `capas fsck`
    /// and by every read of that blob).
    #[error("blob {digest} is corrupt: its bytes hash to {found}")]
    CorruptBlob {
        /// The blob's name.
        digest: Digest,
        /// What its bytes hash to now.
        found: Digest,
    },
    /// Content given with an expected digest hashed to something else (a tampered download,
    /// a wrong digest in a manifest).
    #[error("digest mismatch: expected {expected}, got {found}")]
    DigestMismatch {
        /// The digest that was announced.
        expected: Digest,
        /// The digest of the bytes that arrived.
        found: Digest,
    },
    /// A layer's uncompressed tar does not hash to the diff ID its image config lists.
    #[error(
        "layer {blob} does not match its image config: diff ID is {found}, config says {expected}"
    )]
    DiffIdMismatch {
        /// The layer blob.
        blob: Digest,
        /// The diff ID in the config.
        expected: DiffId,
        /// The diff ID of the bytes.
        found: DiffId,
    },
    /// A JSON document of the store (index.json, a layer record, a config) cannot be read.
    #[error("{what} is not valid: {source}")]
    Json {
        /// Which document.
        what: String,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// A layer tar could not be unpacked.
    #[error(transparent)]
    Layer(#[from] LayerError),
    /// A layer that an image needs has not been unpacked into the store.
    #[error("layer {chain_id} is missing from the store")]
    LayerNotFound {
        /// The missing layer.
        chain_id: ChainId,
    },
}

/// Shorthand for results of this module.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// A store on disk. Cheap to create; holds no file open.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    layout: Layout,
}

/// One image the store knows: its ID, the manifest that describes it, and its names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRecord {
    /// Image ID: the digest of the config bytes.
    pub id: Digest,
    /// The manifest blob.
    pub manifest: Digest,
    /// The manifest's size in bytes.
    pub manifest_size: u64,
    /// The manifest's media type (OCI or Docker schema 2).
    pub manifest_media_type: String,
    /// The image this one was made from by commit or build, as Docker records a local parent.
    pub parent: Option<Digest>,
    /// Tags (`alpine:3.19`) and repo digests (`alpine@sha256:…`) that name this image.
    pub references: BTreeSet<Reference>,
}

impl ImageRecord {
    /// The tags of this image, sorted.
    pub fn tags(&self) -> impl Iterator<Item = &Reference> {
        self.references.iter().filter(|r| r.tag().is_some())
    }

    /// The repo digests (`repo@sha256:…`) of this image, sorted.
    pub fn repo_digests(&self) -> impl Iterator<Item = &Reference> {
        self.references
            .iter()
            .filter(|r| r.tag().is_none() && r.digest().is_some())
    }
}

/// The store's table of images, read from and written to `index.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Index {
    /// Every image, by ID.
    pub images: BTreeMap<Digest, ImageRecord>,
}

impl Index {
    /// The image a reference (tag or repo digest) points at.
    pub fn by_reference(&self, reference: &Reference) -> Option<&ImageRecord> {
        self.images
            .values()
            .find(|img| img.references.contains(reference))
    }

    /// Points `reference` at image `id`, taking it away from any other image (which may be
    /// left without names: a dangling image, shown as `<none>`). Returns the image it was
    /// taken from, if any.
    pub fn set_reference(&mut self, reference: Reference, id: &Digest) -> Option<Digest> {
        let mut previous = None;
        for img in self.images.values_mut() {
            if &img.id != id && img.references.remove(&reference) {
                previous = Some(img.id.clone());
            }
        }
        if let Some(img) = self.images.get_mut(id) {
            img.references.insert(reference);
        }
        previous
    }

    fn to_oci(&self) -> Result<ImageIndex> {
        let mut manifests = Vec::new();
        for img in self.images.values() {
            let descriptor = |name: Option<&Reference>| {
                let mut ann = std::collections::HashMap::new();
                ann.insert(ANNOTATION_IMAGE_ID.to_string(), img.id.to_string());
                if let Some(p) = &img.parent {
                    ann.insert(ANNOTATION_PARENT.to_string(), p.to_string());
                }
                if let Some(r) = name {
                    ann.insert(ANNOTATION_NAME.to_string(), r.full());
                    if let Some(tag) = r.tag() {
                        ann.insert(ANNOTATION_REF_NAME.to_string(), tag.to_string());
                    }
                }
                let mut d = Descriptor::new(
                    MediaType::from(img.manifest_media_type.as_str()),
                    img.manifest_size,
                    oci_spec::image::Digest::from(&img.manifest),
                );
                d.set_annotations(Some(ann));
                d
            };
            // One entry per name, as in an OCI layout; an image without names still needs
            // one entry, or it would be lost (dangling images are kept until pruned).
            if img.references.is_empty() {
                manifests.push(descriptor(None));
            }
            for r in &img.references {
                manifests.push(descriptor(Some(r)));
            }
        }
        ImageIndexBuilder::default()
            .schema_version(2u32)
            .media_type(MediaType::ImageIndex)
            .manifests(manifests)
            .build()
            .map_err(|e| StoreError::Json {
                what: "index.json".into(),
                source: serde_json::Error::io(io::Error::other(e.to_string())),
            })
    }

    fn from_oci(index: &ImageIndex) -> Result<Index> {
        let mut out = Index::default();
        for d in index.manifests() {
            let ann = d.annotations().clone().unwrap_or_default();
            let bad = |what: &str| StoreError::Json {
                what: format!("index.json entry {}", d.digest()),
                source: serde_json::Error::io(io::Error::other(what.to_string())),
            };
            let id = ann
                .get(ANNOTATION_IMAGE_ID)
                .ok_or_else(|| bad("it has no io.capas.image.id annotation"))
                .and_then(|t| Digest::parse(t).map_err(|_| bad("its image ID is not a digest")))?;
            let parent = match ann.get(ANNOTATION_PARENT) {
                Some(p) => Some(Digest::parse(p).map_err(|_| bad("its parent is not a digest"))?),
                None => None,
            };
            let record = out.images.entry(id.clone()).or_insert_with(|| ImageRecord {
                id,
                manifest: Digest::from(d.digest()),
                manifest_size: d.size(),
                manifest_media_type: d.media_type().to_string(),
                parent,
                references: BTreeSet::new(),
            });
            if let Some(name) = ann.get(ANNOTATION_NAME) {
                let r = Reference::parse(name).map_err(|_| bad("its name is not a reference"))?;
                record.references.insert(r);
            }
        }
        Ok(out)
    }
}

/// What is recorded for each unpacked layer in `layers/<chain-id>/layer.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRecord {
    /// This layer and all below it.
    pub chain_id: ChainId,
    /// The layer's own uncompressed tar digest.
    pub diff_id: DiffId,
    /// The chain below, if any.
    pub parent: Option<ChainId>,
    /// The layer's size as Docker counts it (apparent file sizes, hard links once).
    pub size: u64,
}

/// The result of writing a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The blob's digest.
    pub digest: Digest,
    /// Its length in bytes.
    pub size: u64,
}

impl Store {
    /// The default store: `$CAPAS_HOME`, else `$XDG_DATA_HOME/capas`, else `~/.local/share/capas`.
    pub fn default_root() -> Option<PathBuf> {
        if let Some(home) = std::env::var_os("CAPAS_HOME").filter(|v| !v.is_empty()) {
            return Some(PathBuf::from(home));
        }
        if let Some(data) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
            return Some(PathBuf::from(data).join("capas"));
        }
        std::env::var_os("HOME")
            .filter(|v| !v.is_empty())
            .map(|h| PathBuf::from(h).join(".local/share/capas"))
    }

    /// Opens the store at `root`, creating an empty one if there is none yet.
    pub fn open(root: impl Into<PathBuf>) -> Result<Store> {
        let root: PathBuf = root.into();
        let store = Store {
            layout: Layout::new(root.clone()),
            root,
        };
        if !store.layout.index().exists() {
            fs::create_dir_all(&store.root).map_err(io_err("creating store", &store.root))?;
            let locked = store.lock()?;
            locked.init()?;
        }
        Ok(store)
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every path under the store's root.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Takes the store's lock, waiting for any other process that holds it. Leftovers of a
    /// process that died while writing are removed from `tmp/` now: whoever held the lock
    /// before is gone, so nothing there is in use.
    pub fn lock(&self) -> Result<Locked<'_>> {
        let path = self.layout.lock();
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err("opening lock", &path))?;
        file.lock().map_err(io_err("locking", &path))?;
        let tmp = self.tmp_dir();
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(io_err("cleaning", &tmp))?;
        }
        fs::create_dir_all(&tmp).map_err(io_err("creating", &tmp))?;
        Ok(Locked {
            store: self,
            _lock: file,
        })
    }

    fn tmp_dir(&self) -> PathBuf {
        self.layout.tmp()
    }

    /// Where a blob lives: `blobs/sha256/<hex>`.
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.layout.blob(digest)
    }

    /// Whether the store holds a blob (its bytes are checked when it is read).
    pub fn has_blob(&self, digest: &Digest) -> bool {
        self.blob_path(digest).is_file()
    }

    /// Opens a blob for streaming; the reader fails with [`StoreError::CorruptBlob`] (inside an
    /// `io::Error`) at the end if the bytes do not match the name.
    pub fn open_blob(&self, digest: &Digest) -> Result<VerifiedReader<File>> {
        let path = self.blob_path(digest);
        let file = File::open(&path).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                StoreError::BlobNotFound {
                    digest: digest.clone(),
                }
            } else {
                StoreError::Io {
                    action: "opening blob",
                    path: path.clone(),
                    source: e,
                }
            }
        })?;
        Ok(VerifiedReader::new(file, digest.clone()))
    }

    /// Reads a small blob (a config, a manifest) whole, checking its digest.
    pub fn read_blob(&self, digest: &Digest) -> Result<Vec<u8>> {
        let mut reader = self.open_blob(digest)?;
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| unwrap_io(e, "reading blob", &self.blob_path(digest)))?;
        Ok(bytes)
    }

    /// Hashes a blob again and compares it with its name.
    pub fn verify_blob(&self, digest: &Digest) -> Result<u64> {
        let mut reader = self.open_blob(digest)?;
        io::copy(&mut reader, &mut io::sink())
            .map_err(|e| unwrap_io(e, "reading blob", &self.blob_path(digest)))
    }

    /// Every blob in the store, sorted.
    pub fn blobs(&self) -> Result<Vec<Digest>> {
        let dir = self.layout.blobs();
        let mut out = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_err("listing", &dir))? {
            let entry = entry.map_err(io_err("listing", &dir))?;
            if let Some(d) = entry
                .file_name()
                .to_str()
                .and_then(|n| Digest::parse(n).ok())
            {
                out.push(d);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Reads the image table from `index.json`.
    pub fn index(&self) -> Result<Index> {
        let path = self.layout.index();
        let bytes = fs::read(&path).map_err(io_err("reading", &path))?;
        let oci: ImageIndex =
            serde_json::from_slice(&bytes).map_err(|source| StoreError::Json {
                what: path.display().to_string(),
                source,
            })?;
        Index::from_oci(&oci)
    }

    /// Where an unpacked layer lives.
    pub fn layer_path(&self, chain_id: &ChainId) -> PathBuf {
        self.layout.layer(chain_id)
    }

    /// The files of an unpacked layer (in OCI form: whiteouts are `.wh.` files).
    pub fn layer_diff_dir(&self, chain_id: &ChainId) -> PathBuf {
        self.layout.layer_diff(chain_id)
    }

    /// Whether a layer (with everything below it) is unpacked in the store.
    pub fn has_layer(&self, chain_id: &ChainId) -> bool {
        self.layout.layer_record(chain_id).is_file()
    }

    /// The record of an unpacked layer.
    pub fn layer(&self, chain_id: &ChainId) -> Result<LayerRecord> {
        let path = self.layout.layer_record(chain_id);
        let bytes = fs::read(&path).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                StoreError::LayerNotFound {
                    chain_id: chain_id.clone(),
                }
            } else {
                StoreError::Io {
                    action: "reading",
                    path: path.clone(),
                    source: e,
                }
            }
        })?;
        serde_json::from_slice(&bytes).map_err(|source| StoreError::Json {
            what: path.display().to_string(),
            source,
        })
    }

    /// Every unpacked layer, sorted by chain ID.
    pub fn layers(&self) -> Result<Vec<LayerRecord>> {
        let dir = self.layout.layers();
        let mut out = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_err("listing", &dir))? {
            let entry = entry.map_err(io_err("listing", &dir))?;
            if let Some(d) = entry
                .file_name()
                .to_str()
                .and_then(|n| Digest::parse(n).ok())
            {
                out.push(self.layer(&ChainId(d))?);
            }
        }
        out.sort_by(|a, b| a.chain_id.cmp(&b.chain_id));
        Ok(out)
    }
}

fn unwrap_io(e: io::Error, action: &'static str, path: &Path) -> StoreError {
    match e.downcast::<StoreError>() {
        Ok(inner) => inner,
        Err(e) => StoreError::Io {
            action,
            path: path.to_path_buf(),
            source: e,
        },
    }
}

/// The store, locked for changes. Dropping it releases the lock.
#[derive(Debug)]
pub struct Locked<'s> {
    store: &'s Store,
    _lock: File,
}

impl Deref for Locked<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.store
    }
}

impl<'s> Locked<'s> {
    fn init(&self) -> Result<()> {
        let layout = self.layout();
        for path in [
            layout.blobs(),
            layout.layers(),
            layout.containers(),
            layout.tmp(),
        ] {
            fs::create_dir_all(&path).map_err(io_err("creating", &path))?;
        }
        self.write_file_atomic(&layout.oci_layout(), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        if !layout.index().exists() {
            self.write_index(&Index::default())?;
        }
        Ok(())
    }

    /// Writes a small file of the store (a path from [`Store::layout`]) by temp + fsync +
    /// rename, then fsyncs its directory, so readers and a crash see the old or the new one.
    pub fn write_file_atomic(&self, target: &Path, bytes: &[u8]) -> Result<()> {
        write_file_atomic_in(&self.tmp_dir(), target, bytes)
    }

    /// Replaces `index.json` with `index`, atomically.
    pub fn write_index(&self, index: &Index) -> Result<()> {
        let oci = index.to_oci()?;
        // oci-spec keeps annotations in a HashMap, whose order changes from run to run:
        // sort every object's keys so the same store always has the same index.json bytes.
        let value = serde_json::to_value(&oci)
            .map(sorted_keys)
            .and_then(|v| serde_json::to_vec_pretty(&v))
            .map_err(|source| StoreError::Json {
                what: "index.json".into(),
                source,
            })?;
        let bytes = value;
        self.write_file_atomic(&self.layout().index(), &bytes)
    }

    /// Starts writing a blob: bytes are hashed as they are written to a temporary file.
    pub fn blob_writer(&self) -> Result<BlobWriter<'_>> {
        let tmp_dir = self.tmp_dir();
        let file = tempfile::NamedTempFile::new_in(&tmp_dir)
            .map_err(io_err("creating temporary file in", &tmp_dir))?;
        Ok(BlobWriter {
            store: self.store,
            out: HashingWriter::new(BufWriter::with_capacity(1 << 20, file)),
        })
    }

    /// Stores a small blob held in memory; `expected` is checked if given.
    pub fn put_blob(&self, bytes: &[u8], expected: Option<&Digest>) -> Result<Written> {
        let digest = Digest::of_bytes(bytes);
        if let Some(expected) = expected
            && expected != &digest
        {
            return Err(StoreError::DigestMismatch {
                expected: expected.clone(),
                found: digest,
            });
        }
        if !self.has_blob(&digest) {
            let mut w = self.blob_writer()?;
            w.write_all(bytes)
                .map_err(io_err("writing blob", self.root()))?;
            return w.finish(Some(&digest));
        }
        Ok(Written {
            digest,
            size: bytes.len() as u64,
        })
    }

    /// Stores a blob read from a stream; `expected` is checked if given (a mismatch keeps
    /// nothing).
    pub fn put_blob_from(
        &self,
        mut reader: impl Read,
        expected: Option<&Digest>,
    ) -> Result<Written> {
        let mut w = self.blob_writer()?;
        io::copy(&mut reader, &mut w).map_err(|e| unwrap_io(e, "writing blob", self.root()))?;
        w.finish(expected)
    }

    /// Unpacks the layer tar held in blob `blob` on top of `parent`, unless that chain is
    /// already unpacked. The tar is read through a gunzip when `gzip` is set. The diff ID of
    /// the uncompressed bytes must be `expected`.
    ///
    /// The layer is unpacked into `tmp/` and renamed into `layers/` only once complete and
    /// verified: a crash or a bad tar leaves nothing behind.
    pub fn unpack_layer(
        &self,
        blob: &Digest,
        gzip: bool,
        parent: Option<&ChainId>,
        expected: &DiffId,
    ) -> Result<LayerRecord> {
        self.unpack_layer_with_progress(blob, gzip, parent, expected, &mut |_| {})
    }

    /// [`Locked::unpack_layer`], calling `progress` with the number of blob bytes read so far
    /// (for `Extracting` progress bars).
    pub fn unpack_layer_with_progress(
        &self,
        blob: &Digest,
        gzip: bool,
        parent: Option<&ChainId>,
        expected: &DiffId,
        progress: &mut dyn FnMut(u64),
    ) -> Result<LayerRecord> {
        let prepared = self.prepare_layer(blob, gzip, parent, expected, progress)?;
        self.commit_layer(prepared)
    }

    /// The first half of [`Locked::unpack_layer`]: unpacks and verifies the layer in `tmp/`,
    /// without putting it in `layers/`. Layers of one image can be prepared at the same time
    /// (each unpacks into a directory of its own: a layer's files do not depend on the layers
    /// below), then committed bottom up with [`Locked::commit_layer`], so that `layers/` never
    /// holds a layer whose parent is missing. Dropped uncommitted, it leaves nothing.
    pub fn prepare_layer(
        &self,
        blob: &Digest,
        gzip: bool,
        parent: Option<&ChainId>,
        expected: &DiffId,
        progress: &mut dyn FnMut(u64),
    ) -> Result<PreparedLayer> {
        let chain_id = match parent {
            Some(p) => ChainId::child(p, expected),
            None => ChainId(expected.0.clone()),
        };
        if self.has_layer(&chain_id) {
            return Ok(PreparedLayer {
                work: None,
                record: self.layer(&chain_id)?,
            });
        }
        let mut reader = self.open_blob(blob)?;
        let work = tempfile::Builder::new()
            .prefix("layer-")
            .tempdir_in(self.tmp_dir())
            .map_err(io_err("creating temporary directory in", &self.tmp_dir()))?;
        let diff = work.path().join("diff");
        let mut counted = CountingReader {
            inner: &mut reader,
            read: 0,
            progress,
        };
        let unpacked = if gzip {
            layer::unpack(flate2::read::GzDecoder::new(&mut counted), &diff)
        } else {
            layer::unpack(&mut counted, &diff)
        };
        // A damaged blob shows up as a broken tar or a wrong diff ID; name the real cause.
        reader
            .check_to_end()
            .map_err(|e| unwrap_io(e, "reading blob", &self.blob_path(blob)))?;
        let (diff_id, stats) = unpacked?;
        if &diff_id != expected {
            return Err(StoreError::DiffIdMismatch {
                blob: blob.clone(),
                expected: expected.clone(),
                found: diff_id,
            });
        }
        let record = LayerRecord {
            chain_id: chain_id.clone(),
            diff_id,
            parent: parent.cloned(),
            size: stats.size,
        };
        let json = serde_json::to_vec_pretty(&record).map_err(|source| StoreError::Json {
            what: "layer record".into(),
            source,
        })?;
        let record_path = work.path().join("layer.json");
        fs::write(&record_path, json).map_err(io_err("writing", &record_path))?;
        Ok(PreparedLayer {
            work: Some(work),
            record,
        })
    }

    /// The second half of [`Locked::unpack_layer`]: renames a prepared layer into `layers/`
    /// (one atomic rename). If another copy got there first, this one is thrown away.
    pub fn commit_layer(&self, prepared: PreparedLayer) -> Result<LayerRecord> {
        let PreparedLayer { work, record } = prepared;
        let Some(work) = work else {
            return Ok(record);
        };
        let work = work.keep();
        if self.has_layer(&record.chain_id) {
            make_writable_and_remove(&work)?;
            return Ok(record);
        }
        let target = self.layer_path(&record.chain_id);
        fs::rename(&work, &target).map_err(io_err("moving layer into", &target))?;
        sync_dir(&self.layout().layers())?;
        Ok(record)
    }

    /// Removes a blob (garbage collection; the caller checks nothing refers to it).
    pub fn remove_blob(&self, digest: &Digest) -> Result<()> {
        let path = self.blob_path(digest);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::Io {
                action: "removing",
                path,
                source: e,
            }),
        }
    }

    /// Removes an unpacked layer: renamed away first, so a crash never leaves half a layer
    /// under its chain ID.
    pub fn remove_layer(&self, chain_id: &ChainId) -> Result<()> {
        let path = self.layer_path(chain_id);
        if !path.exists() {
            return Ok(());
        }
        let doomed = self
            .tmp_dir()
            .join(format!("removing-{}", chain_id.digest().hex()));
        fs::rename(&path, &doomed).map_err(io_err("removing", &path))?;
        make_writable_and_remove(&doomed)
    }
}

fn make_writable_and_remove(path: &Path) -> Result<()> {
    // Directories unpacked from a layer may be read-only (mode 0555): removing their children
    // needs write permission on them first.
    for entry in walkdir::WalkDir::new(path).into_iter().flatten() {
        if entry.file_type().is_dir() {
            let _ = fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o755));
        }
    }
    fs::remove_dir_all(path).map_err(io_err("removing", path))
}

/// Returns `value` with the keys of every object in sorted order.
fn sorted_keys(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let sorted: BTreeMap<String, serde_json::Value> =
                map.into_iter().map(|(k, v)| (k, sorted_keys(v))).collect();
            serde_json::Value::Object(sorted.into_iter().collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sorted_keys).collect())
        }
        other => other,
    }
}

/// The store's one atomic write, with its temporary file in `tmp_dir` (on the target's file
/// system): the store's `tmp/` for [`Locked::write_file_atomic`], or a directory its caller
/// owns, as a container its own directory, whose records are written while the container
/// is open rather than under the lock.
pub(crate) fn write_file_atomic_in(tmp_dir: &Path, target: &Path, bytes: &[u8]) -> Result<()> {
    let target = target.to_path_buf();
    let mut tmp = tempfile::NamedTempFile::new_in(tmp_dir)
        .map_err(io_err("creating temporary file in", tmp_dir))?;
    tmp.write_all(bytes)
        .map_err(io_err("writing", tmp.path()))?;
    tmp.as_file()
        .sync_all()
        .map_err(io_err("syncing", &target))?;
    tmp.persist(&target).map_err(|e| StoreError::Io {
        action: "replacing",
        path: target.clone(),
        source: e.error,
    })?;
    sync_dir(target.parent().unwrap_or(tmp_dir))
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("syncing", dir))
}

/// A layer unpacked and verified in `tmp/`, waiting for [`Locked::commit_layer`].
#[derive(Debug)]
pub struct PreparedLayer {
    /// The unpacked layer (`diff/` and `layer.json`); `None` when the chain was already in
    /// the store.
    work: Option<tempfile::TempDir>,
    record: LayerRecord,
}

impl PreparedLayer {
    /// The layer's record (chain ID, diff ID, parent, size).
    pub fn record(&self) -> &LayerRecord {
        &self.record
    }
}

/// Counts the bytes read through it, for progress reports.
struct CountingReader<'a, R: Read> {
    inner: R,
    read: u64,
    progress: &'a mut dyn FnMut(u64),
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        (self.progress)(self.read);
        Ok(n)
    }
}

/// A blob being written: hashed while written, checked and renamed into place by
/// [`BlobWriter::finish`]. Dropped without finishing, it leaves nothing.
pub struct BlobWriter<'s> {
    store: &'s Store,
    out: HashingWriter<BufWriter<tempfile::NamedTempFile>>,
}

impl BlobWriter<'_> {
    /// Finishes the blob: checks `expected` if given, flushes it to disk, makes it read-only,
    /// and renames it to `blobs/sha256/<hex>`. If that blob already exists the new copy is
    /// thrown away (same name, same bytes).
    pub fn finish(self, expected: Option<&Digest>) -> Result<Written> {
        let root = self.store.root().to_path_buf();
        let (digest, buffered, size) = self.out.finish().map_err(io_err("writing blob", &root))?;
        if let Some(expected) = expected
            && expected != &digest
        {
            return Err(StoreError::DigestMismatch {
                expected: expected.clone(),
                found: digest,
            });
        }
        let file = buffered.into_inner().map_err(|e| StoreError::Io {
            action: "writing blob",
            path: root.clone(),
            source: e.into_error(),
        })?;
        let target = self.store.blob_path(&digest);
        if target.is_file() {
            return Ok(Written { digest, size });
        }
        file.as_file()
            .sync_all()
            .map_err(io_err("syncing blob", &target))?;
        fs::set_permissions(file.path(), fs::Permissions::from_mode(0o444))
            .map_err(io_err("protecting blob", &target))?;
        file.persist(&target).map_err(|e| StoreError::Io {
            action: "storing blob",
            path: target.clone(),
            source: e.error,
        })?;
        if let Some(dir) = target.parent() {
            sync_dir(dir)?;
        }
        Ok(Written { digest, size })
    }
}

impl Write for BlobWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A reader of a stored blob that checks, at the end, that the bytes hash to the blob's name.
pub struct VerifiedReader<R: Read> {
    inner: crate::digest::HashingReader<R>,
    expected: Digest,
    /// `Some(found)` once the end was reached: what the bytes hashed to.
    found: Option<Digest>,
}

impl<R: Read> VerifiedReader<R> {
    /// Wraps `inner`, which should yield bytes hashing to `expected`.
    pub fn new(inner: R, expected: Digest) -> VerifiedReader<R> {
        VerifiedReader {
            inner: crate::digest::HashingReader::new(inner),
            expected,
            found: None,
        }
    }

    /// Reads what is left and fails with [`StoreError::CorruptBlob`] (inside the `io::Error`)
    /// if the bytes do not hash to the blob's name. A consumer that stopped early (a tar
    /// reader stops at the end-of-archive blocks, gunzip at the end of its stream) calls this
    /// to make sure the whole blob was checked.
    pub fn check_to_end(&mut self) -> io::Result<()> {
        io::copy(self, &mut io::sink())?;
        match &self.found {
            Some(found) if found != &self.expected => {
                Err(io::Error::other(StoreError::CorruptBlob {
                    digest: self.expected.clone(),
                    found: found.clone(),
                }))
            }
            _ => Ok(()),
        }
    }
}

impl<R: Read> Read for VerifiedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() && self.found.is_none() {
            let found = self.inner.current_digest();
            self.found = Some(found.clone());
            if found != self.expected {
                return Err(io::Error::other(StoreError::CorruptBlob {
                    digest: self.expected.clone(),
                    found,
                }));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path().join("store")).expect("open store");
        (dir, store)
    }

    #[test]
    fn fresh_store_is_an_oci_layout() {
        let (_d, store) = store();
        let layout = fs::read_to_string(store.root().join("oci-layout")).expect("oci-layout");
        assert!(layout.contains("1.0.0"));
        assert_eq!(store.index().expect("index"), Index::default());
    }

    #[test]
    fn same_bytes_stored_once_under_their_digest() {
        let (_d, store) = store();
        let locked = store.lock().expect("lock");
        let a = locked.put_blob(b"hola", None).expect("put");
        let b = locked.put_blob_from(&b"hola"[..], None).expect("put");
        assert_eq!(a, b);
        assert_eq!(a.digest, Digest::of_bytes(b"hola"));
        assert_eq!(store.blobs().expect("list"), vec![a.digest.clone()]);
        assert_eq!(store.read_blob(&a.digest).expect("read"), b"hola");
    }

    #[test]
    fn wrong_expected_digest_keeps_nothing() {
        let (_d, store) = store();
        let locked = store.lock().expect("lock");
        let wrong = Digest::of_bytes(b"other");
        let err = locked
            .put_blob_from(&b"hola"[..], Some(&wrong))
            .unwrap_err();
        assert!(matches!(err, StoreError::DigestMismatch { .. }), "{err}");
        assert!(store.blobs().expect("list").is_empty());
        assert_eq!(
            fs::read_dir(store.root().join("tmp")).expect("tmp").count(),
            0
        );
    }

    #[test]
    fn corrupt_blob_is_detected_on_read() {
        let (_d, store) = store();
        let digest = store
            .lock()
            .expect("lock")
            .put_blob(b"hola", None)
            .expect("put")
            .digest;
        let path = store.blob_path(&digest);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        fs::write(&path, b"hol4").expect("tamper");
        let err = store.read_blob(&digest).unwrap_err();
        assert!(matches!(err, StoreError::CorruptBlob { .. }), "{err}");
        assert!(err.to_string().contains(&digest.to_string()), "{err}");
        assert!(store.verify_blob(&digest).is_err());
    }

    #[test]
    fn blobs_are_read_only_on_disk() {
        let (_d, store) = store();
        let digest = store
            .lock()
            .expect("lock")
            .put_blob(b"x", None)
            .expect("put")
            .digest;
        let mode = fs::metadata(store.blob_path(&digest))
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o222, 0);
    }

    #[test]
    fn abandoned_temporary_files_are_cleaned_by_the_next_lock() {
        let (_d, store) = store();
        {
            let locked = store.lock().expect("lock");
            let mut w = locked.blob_writer().expect("writer");
            w.write_all(b"half a blob").expect("write");
            // Simulate a crash: the temp file must not be deleted by Drop.
            std::mem::forget(w);
        }
        assert_eq!(
            fs::read_dir(store.root().join("tmp")).expect("tmp").count(),
            1
        );
        drop(store.lock().expect("lock again"));
        assert_eq!(
            fs::read_dir(store.root().join("tmp")).expect("tmp").count(),
            0
        );
        assert!(store.blobs().expect("list").is_empty());
    }

    #[test]
    fn index_round_trips_references_parents_and_dangling_images() {
        let (_d, store) = store();
        let locked = store.lock().expect("lock");
        let m1 = locked.put_blob(b"{}", None).expect("put");
        let mut index = Index::default();
        let id1 = Digest::of_bytes(b"config1");
        let id2 = Digest::of_bytes(b"config2");
        for (id, parent) in [(&id1, None), (&id2, Some(id1.clone()))] {
            index.images.insert(
                id.clone(),
                ImageRecord {
                    id: id.clone(),
                    manifest: m1.digest.clone(),
                    manifest_size: m1.size,
                    manifest_media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                    parent,
                    references: BTreeSet::new(),
                },
            );
        }
        let tag = Reference::parse_tagged("alpine:3.19").expect("ref");
        assert_eq!(index.set_reference(tag.clone(), &id1), None);
        let pinned = tag.with_digest(Digest::of_bytes(b"manifest"));
        index.set_reference(pinned, &id1);
        locked.write_index(&index).expect("write");
        assert_eq!(store.index().expect("read"), index);
        // Moving the tag leaves the first image dangling.
        assert_eq!(index.set_reference(tag.clone(), &id2), Some(id1.clone()));
        assert_eq!(index.images[&id1].tags().count(), 0);
        locked.write_index(&index).expect("write");
        assert_eq!(store.index().expect("read"), index);
    }
}
