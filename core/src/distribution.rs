//! Pull: bringing an image into the store, fetching only the layers that are not there yet.
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

use std::io::Write;

use oci_spec::image::ImageManifest;

use crate::digest::{ChainId, DiffId, Digest};
use crate::image::{self, ImageError};
use crate::reference::Reference;
use crate::samples::{self, Sample};
use crate::store::{ImageRecord, Locked, StoreError};

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
    /// A registry host was named, which needs the real-registry client.
    #[error(
        "pulling from registry {host} is not supported yet: only the built-in sample images can be pulled (capas pull alpine:3.19)"
    )]
    RegistryUnsupported {
        /// The host in the name.
        host: String,
    },
    /// The manifest is not an image manifest capas can read.
    #[error("manifest of {reference} is not valid: {reason}")]
    BadManifest {
        /// The reference.
        reference: String,
        /// Why.
        reason: String,
    },
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
            LayerStatus::DownloadComplete => "Download complete",
            LayerStatus::PullComplete => "Pull complete",
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
}

/// The result of a pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullReport {
    /// The pulled image.
    pub image: ImageRecord,
    /// The manifest digest (`Digest: sha256:…`).
    pub manifest_digest: Digest,
    /// Whether the store already had this image under this name (`Image is up to date`).
    pub up_to_date: bool,
    /// How many layers were fetched (the rest already existed).
    pub layers_fetched: usize,
    /// The name pulled, with its tag.
    pub reference: Reference,
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
/// Names without a registry host come from the built-in sample registry ([`samples`]).
pub fn pull(
    locked: &Locked<'_>,
    reference: &Reference,
    on_event: &mut dyn FnMut(PullEvent),
) -> Result<PullReport, PullError> {
    if !reference.is_default_domain() {
        return Err(PullError::RegistryUnsupported {
            host: reference.domain().to_string(),
        });
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
    let diff_ids: Vec<DiffId> = image::diff_ids_of(&config).map_err(|e| bad(e.to_string()))?;
    if diff_ids.len() != manifest.layers().len() {
        return Err(bad(format!(
            "{} layers for {} diff IDs",
            manifest.layers().len(),
            diff_ids.len()
        )));
    }
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
