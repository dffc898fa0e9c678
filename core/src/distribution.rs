//! Pull and push: moving images between the store and a registry, only the layers needed.
//!
//! A pull reads the image's **manifest** first, then its **config**, which lists the layers
//! by diff ID. From those the chain ID of every layer is known before a single layer byte
//! moves: a layer whose chain is already in the store is reported `Already exists` and not
//! fetched. That is the course's section 4: `nginx:stable-alpine3.19` is built on
//! `alpine:3.19`, so after pulling alpine, nginx's first layer is already there.
//!
//! Docker's rule is followed exactly: `Already exists` only for a *prefix* of the stack.
//! Once one layer is missing, every layer above it is fetched, because a chain ID names a
//! layer together with everything below it.
//!
//! Every blob is checked against its digest as it streams into the store; a failure leaves
//! no image behind and no tag moved.
//!
//! Names without a registry host come from the built-in sample registry ([`samples`]); a
//! name with one (`127.0.0.1:5000/demo/alpine:3.19`) goes to that registry over the OCI
//! distribution API ([`crate::registry`]): [`pull_with`] and [`push`].
//!
//! # Push
//!
//! A push is a pull backwards: for each layer, bottom first, the registry is asked whether it
//! already has the blob (`HEAD`: `Layer already exists`); if another repository of the same
//! registry got it from this store before, the registry is asked to link it over
//! (`Mounted from demo/alpine`); only otherwise do the bytes move (`Pushed`). Then the
//! config, then the manifest under the tag, whose digest the registry prints back:
//! `3.19: digest: sha256:… size: 528`. That digest becomes a repo digest of the image.
//!
//! Layers are pushed **gzip-compressed**, as Docker pushes them. The config is unchanged, so
//! the image ID (the config's digest) and the diff IDs are the same wherever the image goes;
//! only the blob digests in the manifest differ from the uncompressed ones in the store.
//! The compressed blob is kept in the store (and remembered in `distribution.json`, as Docker
//! keeps its diff ID ↔ blob digest map) so that a second push does not compress again.

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};

use oci_spec::image::ImageManifest;
use serde::{Deserialize, Serialize};

use crate::digest::{ChainId, DiffId, Digest};
use crate::image::{self, Image, ImageError};
use crate::reference::Reference;
use crate::registry::{
    self, Credentials, FetchedManifest, Mount, Platform, Registry, RegistryError,
};
use crate::samples::{self, Sample};
use crate::store::{ImageRecord, Locked, PreparedLayer, StoreError};

/// Errors of a pull.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PullError {
    /// The registry has no such repository or tag (Docker: `manifest for … not found`).
    #[error("manifest for {reference} not found: manifest unknown")]
    ManifestUnknown {
        /// The full reference asked for.
        reference: String,
    },
    /// The manifest is not an image manifest capas can read.
    #[error("manifest of {reference} is not valid: {reason}")]
    BadManifest {
        /// The reference.
        reference: String,
        /// Why.
        reason: String,
    },
    /// The manifest (or a layer) has a media type capas does not pull (schema 1, zstd…).
    #[error("{reference}: unsupported media type {media_type}")]
    UnsupportedMediaType {
        /// The reference.
        reference: String,
        /// The media type met.
        media_type: String,
    },
    /// An index lists no manifest for the wanted platform (Docker's words).
    #[error("no matching manifest for {platform} in the manifest list entries")]
    NoMatchingPlatform {
        /// The platform asked for.
        platform: String,
    },
    /// `--platform` was given and the image is for another one (Docker's words).
    #[error(
        "image with reference {reference} was found but does not match the specified platform: wanted {wanted}, actual: {actual}"
    )]
    WrongPlatform {
        /// The reference.
        reference: String,
        /// The platform asked for.
        wanted: String,
        /// The image's platform.
        actual: String,
    },
    /// A layer's bytes do not hash to the digest the manifest gives (a tampered or damaged
    /// blob in the registry). Docker says the same words.
    #[error(
        "filesystem layer verification failed for digest {digest}: the bytes received hash to {found}"
    )]
    LayerVerification {
        /// The digest in the manifest.
        digest: Digest,
        /// What the received bytes hash to.
        found: Digest,
    },
    /// A layer download ended early (or ran long): the size differs from the manifest's.
    #[error("layer {digest}: received {received} bytes, the manifest says {expected}")]
    SizeMismatch {
        /// The layer blob.
        digest: Digest,
        /// The size in the manifest.
        expected: u64,
        /// The bytes that arrived.
        received: u64,
    },
    /// The registry could not be reached, refused, or answered nonsense.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A sample layer could not be generated.
    #[error(transparent)]
    Sample(#[from] samples::SampleError),
    /// The store refused something (a digest mismatch, a full disk).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The config or manifest is invalid.
    #[error(transparent)]
    Image(#[from] ImageError),
}

/// A layer's state during a pull, named as Docker prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerStatus {
    /// The chain is already in the store: nothing to fetch.
    AlreadyExists,
    /// The layer will be fetched.
    PullingFsLayer,
    /// Queued behind the three layers Docker fetches at once.
    Waiting,
    /// All bytes arrived; their digest is being checked.
    VerifyingChecksum,
    /// Its bytes are in the store, digest verified.
    DownloadComplete,
    /// Unpacked into `layers/`, diff ID verified.
    PullComplete,
}

impl LayerStatus {
    /// Docker's words for this status.
    pub fn docker_text(self) -> &'static str {
        match self {
            LayerStatus::AlreadyExists => "Already exists",
            LayerStatus::PullingFsLayer => "Pulling fs layer",
            LayerStatus::Waiting => "Waiting",
            LayerStatus::VerifyingChecksum => "Verifying Checksum",
            LayerStatus::DownloadComplete => "Download complete",
            LayerStatus::PullComplete => "Pull complete",
        }
    }
}

/// Which progress a [`PullEvent::Progress`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Bytes arriving from the registry (`Downloading`).
    Downloading,
    /// Blob bytes read while unpacking (`Extracting`).
    Extracting,
}

impl Phase {
    /// Docker's word for it.
    pub fn docker_text(self) -> &'static str {
        match self {
            Phase::Downloading => "Downloading",
            Phase::Extracting => "Extracting",
        }
    }
}

/// What happens during a pull, in order, for the caller to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullEvent {
    /// `3.19: Pulling from library/alpine`.
    Start {
        /// The tag (or digest) pulled.
        tag_or_digest: String,
        /// The repository path inside the registry.
        repository: String,
    },
    /// A layer changed state; `id` is the short blob digest Docker prints.
    Layer {
        /// 12 hex of the layer's blob digest.
        id: String,
        /// The new state.
        status: LayerStatus,
    },
    /// Bytes moved for a layer (Docker's progress bars; its non-terminal output hides these).
    Progress {
        /// 12 hex of the layer's blob digest.
        id: String,
        /// Downloading or extracting.
        phase: Phase,
        /// Bytes so far.
        current: u64,
        /// Bytes in all (the blob's size).
        total: u64,
    },
}

/// The result of a pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullReport {
    /// The pulled image.
    pub image: ImageRecord,
    /// The manifest digest (`Digest: sha256:…`); for a multi-platform image, the index's.
    pub manifest_digest: Digest,
    /// Whether the store already had this image under this name (`Image is up to date`).
    pub up_to_date: bool,
    /// How many layers were fetched (the rest already existed).
    pub layers_fetched: usize,
    /// The name pulled, with its tag.
    pub reference: Reference,
}

/// How to pull from a real registry.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// Which platform to take from a multi-platform index (default: this machine's,
    /// `linux/amd64` here, as Docker does).
    pub platform: Option<Platform>,
    /// Credentials for a registry that asks for them.
    pub credentials: Option<Credentials>,
}

/// The config's diff IDs, one per layer of the manifest (`layers`), or why not.
fn layer_diff_ids(
    config: &oci_spec::image::ImageConfiguration,
    layers: usize,
) -> Result<Vec<DiffId>, String> {
    let diff_ids = image::diff_ids_of(config).map_err(|e| e.to_string())?;
    if diff_ids.len() != layers {
        return Err(format!("{layers} layers for {} diff IDs", diff_ids.len()));
    }
    Ok(diff_ids)
}

/// Docker fetches this many layers at once; the others wait.
pub const MAX_CONCURRENT_DOWNLOADS: usize = 3;

/// Where a pull gets an image from.
trait Source {
    /// The manifest bytes for the reference.
    fn manifest(&self) -> Vec<u8>;
    /// The config bytes.
    fn config(&self) -> Vec<u8>;
    /// Writes layer `index`'s blob to `out`.
    fn write_layer(&self, index: usize, out: &mut dyn Write) -> Result<(), PullError>;
}

impl Source for &'static Sample {
    fn manifest(&self) -> Vec<u8> {
        self.manifest_bytes()
    }
    fn config(&self) -> Vec<u8> {
        self.config_bytes()
    }
    fn write_layer(&self, index: usize, out: &mut dyn Write) -> Result<(), PullError> {
        Sample::write_layer(self, index, out)?;
        Ok(())
    }
}

/// Pulls `reference` (a tag is added if missing) into the store.
///
/// Names without a registry host come from the built-in sample registry ([`samples`]);
/// names with one go to that registry, with the default [`PullOptions`].
pub fn pull(
    locked: &Locked<'_>,
    reference: &Reference,
    on_event: &mut dyn FnMut(PullEvent),
) -> Result<PullReport, PullError> {
    pull_with(locked, reference, &PullOptions::default(), on_event)
}

/// [`pull`] with options for real registries (platform, credentials).
pub fn pull_with(
    locked: &Locked<'_>,
    reference: &Reference,
    options: &PullOptions,
    on_event: &mut dyn FnMut(PullEvent),
) -> Result<PullReport, PullError> {
    if !reference.is_default_domain() {
        return pull_registry(locked, reference, options, on_event);
    }
    let sample = samples::find(reference).ok_or_else(|| PullError::ManifestUnknown {
        reference: reference.full(),
    })?;
    pull_from(locked, reference, &sample, on_event)
}

fn pull_from(
    locked: &Locked<'_>,
    reference: &Reference,
    source: &dyn Source,
    on_event: &mut dyn FnMut(PullEvent),
) -> Result<PullReport, PullError> {
    let bad = |reason: String| PullError::BadManifest {
        reference: reference.to_string(),
        reason,
    };
    on_event(PullEvent::Start {
        tag_or_digest: reference
            .tag()
            .map(str::to_string)
            .or_else(|| reference.digest().map(|d| d.to_string()))
            .unwrap_or_default(),
        repository: reference.repository_path().to_string(),
    });

    // 1. The manifest names the config and the layer blobs.
    let manifest_bytes = source.manifest();
    let manifest_digest = Digest::of_bytes(&manifest_bytes);
    let manifest: ImageManifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| bad(e.to_string()))?;
    let config_digest = Digest::from(manifest.config().digest());

    // Already here under this name? Then there is nothing to do.
    let index = locked.index()?;
    if let Some(existing) = index.by_reference(reference)
        && existing.id == config_digest
    {
        return Ok(PullReport {
            image: existing.clone(),
            manifest_digest,
            up_to_date: true,
            layers_fetched: 0,
            reference: reference.clone(),
        });
    }

    // 2. The config lists the diff IDs, hence the chain IDs: now we know what is missing.
    let config_bytes = source.config();
    locked.put_blob(&config_bytes, Some(&config_digest))?;
    let config = image::parse_config(&config_digest, &config_bytes)?;
    let diff_ids = layer_diff_ids(&config, manifest.layers().len()).map_err(bad)?;
    let chain_ids = ChainId::all(&diff_ids);
    let blobs: Vec<Digest> = manifest
        .layers()
        .iter()
        .map(|l| Digest::from(l.digest()))
        .collect();
    let present = chain_ids.iter().take_while(|c| locked.has_layer(c)).count();

    for (i, blob) in blobs.iter().enumerate() {
        let status = if i < present {
            LayerStatus::AlreadyExists
        } else if i - present < MAX_CONCURRENT_DOWNLOADS {
            LayerStatus::PullingFsLayer
        } else {
            LayerStatus::Waiting
        };
        on_event(PullEvent::Layer {
            id: blob.short().to_string(),
            status,
        });
    }

    // 3. Fetch and unpack what is missing, bottom up; each blob is verified as it lands.
    for (i, blob) in blobs.iter().enumerate() {
        let gzip = manifest.layers()[i]
            .media_type()
            .to_string()
            .contains("gzip");
        if !locked.has_blob(blob) {
            let mut writer = locked.blob_writer()?;
            source.write_layer(i, &mut writer)?;
            writer.finish(Some(blob))?;
        }
        if i < present {
            continue;
        }
        on_event(PullEvent::Layer {
            id: blob.short().to_string(),
            status: LayerStatus::DownloadComplete,
        });
        let parent = i.checked_sub(1).map(|p| &chain_ids[p]);
        locked.unpack_layer(blob, gzip, parent, &diff_ids[i])?;
        on_event(PullEvent::Layer {
            id: blob.short().to_string(),
            status: LayerStatus::PullComplete,
        });
    }

    // 4. Only now, with every part verified, does the image get its names.
    let written = locked.put_blob(&manifest_bytes, Some(&manifest_digest))?;
    let record = ImageRecord {
        id: config_digest,
        manifest: written.digest,
        manifest_size: written.size,
        manifest_media_type: manifest
            .media_type()
            .as_ref()
            .map(|m| m.to_string())
            .unwrap_or_else(|| oci_spec::image::MediaType::ImageManifest.to_string()),
        parent: None,
        references: Default::default(),
    };
    // A pull by tag names the image by that tag and by its repo digest; a pull by digest
    // only by the digest (Docker leaves such an image without a tag).
    let mut names = vec![reference.with_digest(manifest_digest.clone())];
    if reference.digest().is_none() {
        names.push(reference.clone());
    }
    let image = image::add_to_index(locked, record, &names)?;
    Ok(PullReport {
        image,
        manifest_digest,
        up_to_date: false,
        layers_fetched: blobs.len() - present,
        reference: reference.clone(),
    })
}

// ---------------------------------------------------------------------------------------------
// Real registries

/// The tag or digest part of a reference, as the registry's URL wants it.
fn tag_or_digest(reference: &Reference) -> String {
    reference
        .digest()
        .map(|d| d.to_string())
        .or_else(|| reference.tag().map(str::to_string))
        .unwrap_or_else(|| crate::reference::DEFAULT_TAG.to_string())
}

/// One layer of a registry pull, and what has to happen to it.
struct LayerPlan {
    blob: Digest,
    size: u64,
    gzip: bool,
    diff_id: DiffId,
    chain_id: ChainId,
    /// Its bytes must come from the registry (they are not in the store yet).
    fetch: bool,
}

/// Messages from the download threads to the thread that reports and commits.
enum Message {
    /// Bytes moved for layer `i`.
    Progress(usize, Phase, u64),
    /// Layer `i` reached a status.
    Status(usize, LayerStatus),
    /// Layer `i` is done: prepared (`Some`), or only its blob was fetched (`None`).
    Done(usize, Result<Option<PreparedLayer>, PullError>),
}

fn is_gzip(media_type: &str) -> bool {
    media_type.contains("gzip")
}

fn pull_registry(
    locked: &Locked<'_>,
    reference: &Reference,
    options: &PullOptions,
    on_event: &mut dyn FnMut(PullEvent),
) -> Result<PullReport, PullError> {
    let repo = reference.repository_path();
    let registry = Registry::new(
        reference.domain(),
        options.credentials.clone(),
        vec![format!("repository:{repo}:pull")],
    );
    let bad = |reason: String| PullError::BadManifest {
        reference: reference.to_string(),
        reason,
    };
    let unsupported = |media_type: &str| PullError::UnsupportedMediaType {
        reference: reference.to_string(),
        media_type: media_type.to_string(),
    };

    // 1. The manifest, by tag or digest; an index leads to the manifest for our platform.
    let wanted = tag_or_digest(reference);
    let top = registry.manifest(repo, &wanted).map_err(|e| match e {
        RegistryError::ManifestUnknown => PullError::ManifestUnknown {
            reference: reference.full(),
        },
        other => other.into(),
    })?;
    let platform = options.platform.clone().unwrap_or_else(Platform::host);
    let manifest_doc: FetchedManifest = if top.is_index() {
        let chosen = choose_platform(&top, &platform)
            .map_err(bad)?
            .ok_or_else(|| PullError::NoMatchingPlatform {
                platform: platform.to_string(),
            })?;
        registry.manifest(repo, &chosen.to_string())?
    } else {
        top.clone()
    };
    if manifest_doc.media_type != image::DOCKER_MANIFEST
        && manifest_doc.media_type != registry::OCI_MANIFEST
    {
        return Err(unsupported(&manifest_doc.media_type));
    }
    let manifest: ImageManifest =
        serde_json::from_slice(&manifest_doc.bytes).map_err(|e| bad(e.to_string()))?;
    let config_digest = Digest::from(manifest.config().digest());

    on_event(PullEvent::Start {
        tag_or_digest: wanted,
        repository: repo.to_string(),
    });

    // Already here under this name? Then there is nothing to do (the repo digest is recorded
    // all the same, as Docker does).
    let repo_digest = reference.with_digest(top.digest.clone());
    let index = locked.index()?;
    if let Some(existing) = index.by_reference(reference)
        && existing.id == config_digest
    {
        let image = image::add_to_index(locked, existing.clone(), &[repo_digest])?;
        return Ok(PullReport {
            image,
            manifest_digest: top.digest,
            up_to_date: true,
            layers_fetched: 0,
            reference: reference.clone(),
        });
    }

    // 2. The config lists the diff IDs, hence the chain IDs: now we know what is missing.
    let config_bytes = registry.small_blob(repo, &config_digest)?;
    let config = image::parse_config(&config_digest, &config_bytes)?;
    if let Some(want) = &options.platform {
        let os = config.os().to_string();
        let arch = config.architecture().to_string();
        if !want.matches(&os, &arch, config.variant().as_deref()) && !top.is_index() {
            return Err(PullError::WrongPlatform {
                reference: reference.to_string(),
                wanted: want.to_string(),
                actual: format!("{os}/{arch}"),
            });
        }
    }
    let diff_ids = layer_diff_ids(&config, manifest.layers().len()).map_err(bad)?;
    let chain_ids = ChainId::all(&diff_ids);
    let present = chain_ids.iter().take_while(|c| locked.has_layer(c)).count();
    let mut plans = Vec::with_capacity(diff_ids.len());
    for (i, layer) in manifest.layers().iter().enumerate() {
        let media_type = layer.media_type().to_string();
        if media_type.contains("zstd") || media_type.contains("encrypted") {
            return Err(unsupported(&media_type));
        }
        let blob = Digest::from(layer.digest());
        plans.push(LayerPlan {
            fetch: !locked.has_blob(&blob),
            blob,
            size: layer.size(),
            gzip: is_gzip(&media_type),
            diff_id: diff_ids[i].clone(),
            chain_id: chain_ids[i].clone(),
        });
    }

    // Docker's first lines: `Already exists` for the present prefix, `Pulling fs layer` for
    // the others, then `Waiting` for those queued behind the first three downloads.
    for (i, plan) in plans.iter().enumerate() {
        let status = if i < present {
            LayerStatus::AlreadyExists
        } else {
            LayerStatus::PullingFsLayer
        };
        on_event(PullEvent::Layer {
            id: plan.blob.short().to_string(),
            status,
        });
    }
    // A present layer whose blob is missing (it came with other bytes: uncompressed from the
    // samples, gzip from elsewhere) is fetched too, silently: the store keeps every blob that
    // a manifest names, so that `fsck`, `save` and `push` find it. Docker keeps no blobs.
    let queue: VecDeque<usize> = (0..plans.len())
        .filter(|&i| plans[i].fetch || i >= present)
        .collect();
    for &i in queue
        .iter()
        .filter(|&&i| i >= present && plans[i].fetch)
        .skip(MAX_CONCURRENT_DOWNLOADS)
    {
        on_event(PullEvent::Layer {
            id: plans[i].blob.short().to_string(),
            status: LayerStatus::Waiting,
        });
    }

    // 3. Download (three at once) and unpack (bottom up, as soon as each layer and all below
    //    it are in) at the same time.
    let fetched = plans.iter().skip(present).filter(|p| p.fetch).count();
    download_and_unpack(locked, &registry, repo, &plans, present, queue, on_event)?;

    // 4. Only now, with every part verified, does the image get its names.
    locked.put_blob(&config_bytes, Some(&config_digest))?;
    let written = locked.put_blob(&manifest_doc.bytes, Some(&manifest_doc.digest))?;
    let record = ImageRecord {
        id: config_digest,
        manifest: written.digest,
        manifest_size: written.size,
        manifest_media_type: manifest_doc.media_type.clone(),
        parent: None,
        references: Default::default(),
    };
    let mut sources = Sources::load(locked)?;
    for plan in &plans {
        sources.add(
            &plan.diff_id,
            &plan.blob,
            Some((reference.domain(), reference.repository_path())),
        );
    }
    sources.save(locked)?;
    // A pull by tag names the image by that tag and by its repo digest; a pull by digest
    // only by the digest (Docker leaves such an image without a tag).
    let mut names = vec![repo_digest];
    if reference.digest().is_none() {
        names.push(reference.clone());
    }
    let image = image::add_to_index(locked, record, &names)?;
    Ok(PullReport {
        image,
        manifest_digest: top.digest,
        up_to_date: false,
        layers_fetched: fetched,
        reference: reference.clone(),
    })
}

/// The digest of the index entry for `platform`, if any (`Err` for an unreadable index).
fn choose_platform(index: &FetchedManifest, platform: &Platform) -> Result<Option<Digest>, String> {
    let value: serde_json::Value =
        serde_json::from_slice(&index.bytes).map_err(|e| e.to_string())?;
    let entries = value
        .get("manifests")
        .and_then(|m| m.as_array())
        .ok_or("the index has no manifests")?;
    for entry in entries {
        let p = entry.get("platform");
        let field = |name: &str| {
            p.and_then(|p| p.get(name))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let (Some(os), Some(arch)) = (field("os"), field("architecture")) else {
            continue;
        };
        if platform.matches(&os, &arch, field("variant").as_deref()) {
            let digest = entry
                .get("digest")
                .and_then(|d| d.as_str())
                .ok_or("an index entry has no digest")?;
            return Digest::parse(digest)
                .map(Some)
                .map_err(|e| format!("index entry digest: {e}"));
        }
    }
    Ok(None)
}

/// Downloads and unpacks the layers in `queue` with [`MAX_CONCURRENT_DOWNLOADS`] threads:
/// each blob is hashed while it is written to the store, then unpacked (and its diff ID
/// checked) into `tmp/` by the same thread. Layers are committed to `layers/` bottom up, in
/// this thread, as soon as each one and everything below it are ready, and reported
/// `Pull complete` in that order, as Docker reports them.
///
/// Unpacking on the download threads, rather than one layer after the other as Docker does,
/// lets the slow part (creating thousands of files) of several layers overlap: a layer's
/// files do not depend on the layers below it, only its chain ID does.
///
/// On the first failure the other threads stop and that failure is returned; the layers
/// already committed stay (they are complete, verified, and named by their chain ID: a next
/// pull finds them), but no image is recorded and no name moves.
fn download_and_unpack(
    locked: &Locked<'_>,
    registry: &Registry,
    repo: &str,
    plans: &[LayerPlan],
    present: usize,
    queue: VecDeque<usize>,
    on_event: &mut dyn FnMut(PullEvent),
) -> Result<(), PullError> {
    let stop = AtomicBool::new(false);
    let queue = Mutex::new(queue);
    let mut prepared: Vec<Option<PreparedLayer>> = plans.iter().map(|_| None).collect();
    let mut ready = vec![false; plans.len()];
    let short = |i: usize| plans[i].blob.short().to_string();
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<Message>();
        for _ in 0..MAX_CONCURRENT_DOWNLOADS {
            let tx = tx.clone();
            let (queue, stop) = (&queue, &stop);
            scope.spawn(move || {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some(i) = next else { break };
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let result =
                        fetch_and_prepare(locked, registry, repo, plans, present, i, &tx, stop);
                    if tx.send(Message::Done(i, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);

        let mut failure: Option<PullError> = None;
        let mut next = present;
        loop {
            // commit whatever can be committed now, bottom up
            while failure.is_none() && next < plans.len() && ready[next] {
                let result = match prepared[next].take() {
                    Some(p) => locked.commit_layer(p).map(|_| ()),
                    None => Ok(()),
                };
                match result {
                    Ok(()) => {
                        on_event(PullEvent::Layer {
                            id: short(next),
                            status: LayerStatus::PullComplete,
                        });
                        next += 1;
                    }
                    Err(e) => {
                        stop.store(true, Ordering::Relaxed);
                        failure = Some(e.into());
                    }
                }
            }
            let Ok(message) = rx.recv() else { break };
            match message {
                Message::Progress(i, phase, current) => on_event(PullEvent::Progress {
                    id: short(i),
                    phase,
                    current,
                    total: plans[i].size,
                }),
                Message::Status(i, status) => on_event(PullEvent::Layer {
                    id: short(i),
                    status,
                }),
                Message::Done(i, Ok(layer)) => {
                    prepared[i] = layer;
                    ready[i] = true;
                }
                Message::Done(_, Err(e)) => {
                    stop.store(true, Ordering::Relaxed);
                    failure.get_or_insert(e);
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    })
}

/// The work of one download thread for layer `i`: fetch its blob if the store lacks it, then
/// (for a layer that is not already present) unpack it into `tmp/`. Status and progress go
/// to the reporting thread through `tx`; a present layer's quiet blob fetch reports nothing.
#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename them
fn fetch_and_prepare(
    locked: &Locked<'_>,
    registry: &Registry,
    repo: &str,
    plans: &[LayerPlan],
    present: usize,
    i: usize,
    tx: &mpsc::Sender<Message>,
    stop: &AtomicBool,
) -> Result<Option<PreparedLayer>, PullError> {
    let plan = &plans[i];
    let shown = i >= present;
    let report = |m: Message| {
        if shown {
            let _ = tx.send(m);
        }
    };
    if plan.fetch {
        download(locked, registry, repo, plan, i, &report, stop)?;
    }
    if !shown {
        return Ok(None);
    }
    report(Message::Status(i, LayerStatus::DownloadComplete));
    let parent = i.checked_sub(1).map(|p| &plans[p].chain_id);
    let mut last = 0u64;
    let mut progress = |current: u64| {
        if current - last >= 512 << 10 {
            last = current;
            report(Message::Progress(i, Phase::Extracting, current));
        }
    };
    let layer =
        locked.prepare_layer(&plan.blob, plan.gzip, parent, &plan.diff_id, &mut progress)?;
    Ok(Some(layer))
}

/// Downloads one blob into the store, hashing while it writes; the blob lands under its
/// name only if its size and digest are the manifest's.
fn download(
    locked: &Locked<'_>,
    registry: &Registry,
    repo: &str,
    plan: &LayerPlan,
    i: usize,
    report: &dyn Fn(Message),
    stop: &AtomicBool,
) -> Result<(), PullError> {
    let mut writer = locked.blob_writer()?;
    let mut last = 0u64;
    let mut progress = |current: u64| {
        // One report per 512 KiB is plenty for a progress bar.
        if current - last >= 512 << 10 || current == plan.size {
            last = current;
            report(Message::Progress(i, Phase::Downloading, current));
        }
    };
    let keep_going = || !stop.load(Ordering::Relaxed);
    let received = registry.blob_to(repo, &plan.blob, &mut writer, &mut progress, &keep_going)?;
    if plan.size != 0 && received != plan.size {
        return Err(PullError::SizeMismatch {
            digest: plan.blob.clone(),
            expected: plan.size,
            received,
        });
    }
    report(Message::Status(i, LayerStatus::VerifyingChecksum));
    match writer.finish(Some(&plan.blob)) {
        Ok(_) => Ok(()),
        Err(StoreError::DigestMismatch { expected, found }) => Err(PullError::LayerVerification {
            digest: expected,
            found,
        }),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Where each layer's blobs came from and went to

/// The store's memory of blob digests per diff ID and the repositories that have them
/// (`distribution.json` at the store's root; Docker keeps the same map in
/// `image/overlay2/distribution/`). Push uses it to skip compressing again, to `HEAD` the right
/// digest, and to find a repository to mount from.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Sources {
    /// Diff ID → the blobs known for it.
    #[serde(default)]
    layers: BTreeMap<DiffId, Vec<BlobSource>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct BlobSource {
    /// The blob's digest (gzip or uncompressed).
    digest: Digest,
    /// `host/path` of a repository known to have it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    repository: Option<String>,
}

impl Sources {
    fn load(locked: &Locked<'_>) -> Result<Sources, StoreError> {
        let path = locked.layout().distribution();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| StoreError::Json {
                what: path.display().to_string(),
                source,
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Sources::default()),
            Err(source) => Err(StoreError::Io {
                action: "reading",
                path,
                source,
            }),
        }
    }

    fn save(&self, locked: &Locked<'_>) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec_pretty(self).map_err(|source| StoreError::Json {
            what: "distribution.json".into(),
            source,
        })?;
        locked.write_file_atomic(&locked.layout().distribution(), &bytes)
    }

    /// Remembers that `blob` holds `diff_id`, and that `(host, path)` has it.
    fn add(&mut self, diff_id: &DiffId, blob: &Digest, at: Option<(&str, &str)>) {
        let entry = BlobSource {
            digest: blob.clone(),
            repository: at.map(|(host, path)| format!("{host}/{path}")),
        };
        let list = self.layers.entry(diff_id.clone()).or_default();
        if !list.contains(&entry) {
            list.push(entry);
        }
    }

    /// A gzip blob known for `diff_id` that the store holds.
    fn gzip_in_store(&self, locked: &Locked<'_>, diff_id: &DiffId) -> Option<Digest> {
        self.layers
            .get(diff_id)?
            .iter()
            .map(|s| &s.digest)
            .find(|d| d.hex() != diff_id.digest().hex() && locked.has_blob(d))
            .cloned()
    }

    /// Repositories (paths) on `host`, other than `except`, known to have `blob`.
    fn repositories_with(&self, blob: &Digest, host: &str, except: &str) -> Vec<String> {
        let prefix = format!("{host}/");
        let mut out: Vec<String> = self
            .layers
            .values()
            .flatten()
            .filter(|s| &s.digest == blob)
            .filter_map(|s| s.repository.as_deref()?.strip_prefix(&prefix))
            .filter(|path| *path != except)
            .map(str::to_string)
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Push

/// Errors of a push.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// No image has that tag in the store (Docker's words).
    #[error("An image does not exist locally with the tag: {name}")]
    NoSuchTag {
        /// The repository, as Docker names it.
        name: String,
    },
    /// The name has no registry host: the built-in sample registry takes no pushes.
    #[error(
        "cannot push {name} to the built-in sample registry: tag it with a registry host first (capas tag {name} 127.0.0.1:5000/{name})"
    )]
    SampleRegistry {
        /// The name.
        name: String,
    },
    /// A push needs a tag (`push name@digest` is not something Docker does either).
    #[error("cannot push a digest reference: {name}")]
    DigestReference {
        /// The name.
        name: String,
    },
    /// The registry could not be reached, refused, or answered nonsense.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The image's manifest or config is invalid.
    #[error(transparent)]
    Image(#[from] ImageError),
}

/// A layer's state during a push, named as Docker prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushStatus {
    /// Listed, not started.
    Preparing,
    /// Queued.
    Waiting,
    /// Bytes are being sent.
    Pushing,
    /// Sent, and accepted under its digest.
    Pushed,
    /// The registry had it already (a `HEAD` answered 200).
    LayerAlreadyExists,
    /// The registry linked it from another repository (cross-repository mount).
    MountedFrom(String),
}

impl PushStatus {
    /// Docker's words for this status.
    pub fn docker_text(&self) -> String {
        match self {
            PushStatus::Preparing => "Preparing".into(),
            PushStatus::Waiting => "Waiting".into(),
            PushStatus::Pushing => "Pushing".into(),
            PushStatus::Pushed => "Pushed".into(),
            PushStatus::LayerAlreadyExists => "Layer already exists".into(),
            PushStatus::MountedFrom(repo) => format!("Mounted from {repo}"),
        }
    }
}

/// What happens during a push, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushEvent {
    /// `The push refers to repository [127.0.0.1:5000/demo/alpine]`.
    Start {
        /// The repository, as Docker names it.
        repository: String,
    },
    /// A layer changed state; `id` is 12 hex of its **diff ID** (push shows diff IDs, pull
    /// shows blob digests, as in Docker).
    Layer {
        /// 12 hex of the diff ID.
        id: String,
        /// The new state.
        status: PushStatus,
    },
}

/// The result of a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushReport {
    /// The tag pushed.
    pub tag: String,
    /// The manifest's digest, as the registry gave it.
    pub digest: Digest,
    /// The manifest's size in bytes.
    pub size: u64,
    /// The image, with its new repo digest.
    pub image: ImageRecord,
}

/// How to push.
#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    /// Credentials for a registry that asks for them.
    pub credentials: Option<Credentials>,
}

/// One layer as it is pushed: a gzip blob.
struct PushLayer {
    diff_id: DiffId,
    blob: Digest,
    size: u64,
}

/// Pushes the image tagged `reference` to the registry named in it.
///
/// Docker pushes up to five layers at once; capas pushes them one at a time, bottom first,
/// so that the output is the same on every run.
pub fn push(
    locked: &Locked<'_>,
    reference: &Reference,
    options: &PushOptions,
    on_event: &mut dyn FnMut(PushEvent),
) -> Result<PushReport, PushError> {
    if reference.is_default_domain() {
        return Err(PushError::SampleRegistry {
            name: reference.to_string(),
        });
    }
    let Some(tag) = reference.tag().map(str::to_string) else {
        return Err(PushError::DigestReference {
            name: reference.to_string(),
        });
    };
    let index = locked.index()?;
    let record = index
        .by_reference(reference)
        .ok_or_else(|| PushError::NoSuchTag {
            name: reference.familiar_repository(),
        })?
        .clone();
    let image = Image::load(locked, &record)?;
    let host = reference.domain();
    let repo = reference.repository_path();
    let mut sources = Sources::load(locked)?;

    // 1. Every layer as a gzip blob: the one in the store if it is gzip already, else one
    //    compressed before (remembered in distribution.json), else compress it now.
    let mut layers = Vec::new();
    for layer in image.layers() {
        let stored = Digest::from(layer.blob.digest());
        let (blob, size) = if is_gzip(layer.blob.media_type().as_ref()) {
            (stored, layer.blob.size())
        } else if let Some(gz) = sources.gzip_in_store(locked, &layer.diff_id) {
            let size = std::fs::metadata(locked.blob_path(&gz))
                .map(|m| m.len())
                .map_err(|source| StoreError::Io {
                    action: "reading",
                    path: locked.blob_path(&gz),
                    source,
                })?;
            (gz, size)
        } else {
            let written = compress(locked, &stored)?;
            sources.add(&layer.diff_id, &written.digest, None);
            (written.digest, written.size)
        };
        sources.add(&layer.diff_id, &blob, None);
        layers.push(PushLayer {
            diff_id: layer.diff_id.clone(),
            blob,
            size,
        });
    }

    // The token must allow pulling from the repositories we may mount from.
    let mut scopes = vec![format!("repository:{repo}:pull,push")];
    for l in &layers {
        for other in sources.repositories_with(&l.blob, host, repo) {
            let scope = format!("repository:{other}:pull");
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
    }
    let registry = Registry::new(host, options.credentials.clone(), scopes);
    registry.ping()?;

    on_event(PushEvent::Start {
        repository: reference.familiar_repository(),
    });
    for l in layers.iter().rev() {
        on_event(PushEvent::Layer {
            id: l.diff_id.digest().short().to_string(),
            status: PushStatus::Preparing,
        });
    }

    // 2. The layers, bottom first: skip, mount, or upload.
    for l in &layers {
        let id = l.diff_id.digest().short().to_string();
        let status = if registry.has_blob(repo, &l.blob)? {
            PushStatus::LayerAlreadyExists
        } else {
            let mut status = None;
            let mut session = None;
            for from in sources.repositories_with(&l.blob, host, repo) {
                match registry.mount(repo, &l.blob, &from)? {
                    Mount::Mounted => {
                        status = Some(PushStatus::MountedFrom(from));
                        break;
                    }
                    Mount::Upload(location) => session = Some(location),
                }
            }
            match status {
                Some(s) => s,
                None => {
                    on_event(PushEvent::Layer {
                        id: id.clone(),
                        status: PushStatus::Pushing,
                    });
                    let location = match session {
                        Some(l) => l,
                        None => registry.start_upload(repo)?,
                    };
                    let path = locked.blob_path(&l.blob);
                    registry.finish_upload(&location, &l.blob, || std::fs::File::open(&path))?;
                    PushStatus::Pushed
                }
            }
        };
        sources.add(&l.diff_id, &l.blob, Some((host, repo)));
        on_event(PushEvent::Layer { id, status });
    }

    // 3. The config, exactly as stored (its digest is the image ID everywhere).
    if !registry.has_blob(repo, image.id())? {
        let location = registry.start_upload(repo)?;
        let bytes = image.config_bytes();
        registry.finish_upload(&location, image.id(), || Ok(bytes))?;
    }

    // 4. The manifest under the tag: the stored one if it already is a Docker schema 2
    //    manifest of these very blobs (pulled from a registry), else a new one, as Docker
    //    writes it.
    let same_blobs = image
        .layers()
        .iter()
        .zip(&layers)
        .all(|(a, b)| Digest::from(a.blob.digest()) == b.blob);
    let manifest_bytes = if record.manifest_media_type == image::DOCKER_MANIFEST && same_blobs {
        locked.read_blob(&record.manifest)?
    } else {
        docker_manifest(image.id(), image.config_bytes().len() as u64, &layers)
    };
    let digest = registry.put_manifest(repo, &tag, image::DOCKER_MANIFEST, &manifest_bytes)?;
    sources.save(locked)?;

    // 5. The repo digest, as Docker records it after a push.
    let image = image::add_to_index(locked, record, &[reference.with_digest(digest.clone())])?;
    Ok(PushReport {
        tag,
        digest,
        size: manifest_bytes.len() as u64,
        image,
    })
}

/// Compresses an uncompressed layer blob into a new gzip blob in the store. gzip's default
/// level (6), no file name and no time stamp in the header: the same layer always gives the
/// same bytes, so the same blob digest, on every machine.
fn compress(locked: &Locked<'_>, blob: &Digest) -> Result<crate::store::Written, PushError> {
    let mut reader = locked.open_blob(blob)?;
    let writer = locked.blob_writer()?;
    let mut gz = flate2::write::GzEncoder::new(writer, flate2::Compression::new(6));
    let io_err = |source: io::Error| StoreError::Io {
        action: "compressing",
        path: locked.blob_path(blob),
        source,
    };
    io::copy(&mut reader, &mut gz).map_err(|e| match e.downcast::<StoreError>() {
        Ok(inner) => inner,
        Err(e) => io_err(e),
    })?;
    let writer = gz.finish().map_err(io_err)?;
    Ok(writer.finish(None)?)
}

/// A Docker schema 2 manifest, as `docker push` writes it: Go's field order, three-space
/// indentation (`json.MarshalIndent(m, "", "   ")`).
fn docker_manifest(config: &Digest, config_size: u64, layers: &[PushLayer]) -> Vec<u8> {
    let layers: Vec<serde_json::Value> = layers
        .iter()
        .map(|l| {
            serde_json::json!({
                "mediaType": image::DOCKER_LAYER_GZIP,
                "size": l.size,
                "digest": l.blob.to_string(),
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": image::DOCKER_MANIFEST,
        "config": {
            "mediaType": image::DOCKER_CONFIG,
            "size": config_size,
            "digest": config.to_string(),
        },
        "layers": layers,
    });
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"   ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    // Serialising a Value into a Vec cannot fail: no I/O, no non-string keys.
    if manifest.serialize(&mut ser).is_err() {
        unreachable!("serialising a JSON value into memory");
    }
    out
}
