//! The image life cycle: `rmi`, `image prune`, garbage collection and `system df`
//! (course sections 6 and 7).
//!
//! Removing an image is two different things, and Docker keeps them apart:
//!
//! * **untag**: a name (`nginx:stable-alpine3.19`) is only a pointer in `index.json`; removing
//!   it changes no file. While another name points at the image, that is all `rmi` does
//!   (`Untagged: …`).
//! * **delete**: once nothing names the image, no container uses it and no image was built
//!   on it, the image itself goes (`Deleted: sha256:<image ID>`), and with it every layer that
//!   no other image or container still stands on, top layer first (`Deleted: sha256:<chain
//!   ID>`). A layer that `alpine:3.19` shares with `nginx:stable-alpine3.19` stays as long as
//!   either image is there: that is the sharing of section 5, seen from the other end.
//!
//! The rules and the texts are Docker's (`moby@v20.10.24:daemon/images/image_delete.go`,
//! `image_prune.go`, `disk_usage.go`), so that a learner sees the same lines in both tools.
//!
//! On disk, every change is made in the order that keeps the store sound if the process dies
//! half way: first `index.json` is rewritten (atomically) without the deleted images, then
//! the blobs and unpacked layers that nothing refers to any more are removed by
//! [`gc`]. A crash between the two leaves unreferenced files (garbage, removed by the next
//! `gc`), never a name pointing at a missing file.
//!
//! ```no_run
//! use capas_core::{lifecycle, store::Store};
//! let store = Store::open("/tmp/capas-doc")?;
//! let locked = store.lock()?;
//! let report = lifecycle::rmi(&locked, "nginx:stable-alpine3.19", &lifecycle::RmiOptions::default())?;
//! for record in &report.records {
//!     println!("{record}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::container::{self, Container, ContainerConfig, ContainerError, Status};
use crate::digest::{ChainId, Digest};
use crate::image::{self, Image, ImageError};
use crate::reference::{Reference, ReferenceError};
use crate::store::{ImageRecord, Index, Locked, Store, StoreError};

/// Errors of `rmi`, `image prune`, `gc` and `system df`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// The image does not exist, or an image of the store cannot be read.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// The name typed is not a valid reference.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The containers of the store could not be read.
    #[error(transparent)]
    Container(#[from] ContainerError),
    /// `rmi NAME` without `-f` when NAME is the image's only name and a container uses the
    /// image: removing the name would leave the container on a nameless image (Docker's
    /// words, `NAME` as typed).
    #[error(
        "conflict: unable to remove repository reference \"{reference}\" (must force) - container {container} is using its referenced image {}",
        image.short()
    )]
    ReferenceInUse {
        /// The name as the user typed it.
        reference: String,
        /// The container's short ID.
        container: String,
        /// The image.
        image: Digest,
    },
    /// The image cannot be deleted: something still needs it (Docker's words; see
    /// [`Conflict`] for which ones `-f` overrides).
    #[error(
        "conflict: unable to delete {} ({}) - {reason}",
        image.short(),
        if reason.is_hard() { "cannot be forced" } else { "must be forced" }
    )]
    Conflict {
        /// The image.
        image: Digest,
        /// What needs it.
        reason: Conflict,
    },
    /// A prune filter capas (and Docker) does not know, or a bad value of a known one.
    #[error("Invalid filter '{filter}'")]
    InvalidFilter {
        /// The filter as given.
        filter: String,
    },
    /// Two `until=` filters (Docker accepts one).
    #[error("more than one until filter specified")]
    MultipleUntil,
    /// An `until=` value that is neither a time stamp nor a duration (Docker's words).
    #[error("failed to parse value as time or duration: \"{value}\"")]
    BadUntil {
        /// The value given.
        value: String,
    },
    /// The disk said no while measuring or removing garbage.
    #[error("{action} {path}: {source}")]
    Io {
        /// What capas was doing.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
}

/// Shorthand for results of this module.
pub type Result<T, E = LifecycleError> = std::result::Result<T, E>;

fn io_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> LifecycleError + 'a {
    move |source| LifecycleError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Why an image cannot be deleted (Docker's `checkImageDeleteConflict`).
///
/// Hard conflicts cannot be forced; soft ones are overridden by `rmi -f`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Conflict {
    /// Another image was made from this one (commit, build): hard.
    DependentChild,
    /// A running container uses it: hard. capas containers run their command to the end
    /// and never stay running, so a capas store never meets this one; the check is kept so
    /// that the rules read as Docker's do.
    RunningContainer {
        /// The container's short ID.
        container: String,
    },
    /// By ID, while names in several repositories (or several tags) point at it: soft.
    MultipleRepositories,
    /// A stopped (or created, never started) container uses it: soft.
    StoppedContainer {
        /// The container's short ID.
        container: String,
    },
}

impl Conflict {
    /// Whether `-f` cannot override it.
    pub fn is_hard(&self) -> bool {
        matches!(
            self,
            Conflict::DependentChild | Conflict::RunningContainer { .. }
        )
    }

    /// Whether a container is the cause (Docker's `used`).
    fn used(&self) -> bool {
        matches!(
            self,
            Conflict::RunningContainer { .. } | Conflict::StoppedContainer { .. }
        )
    }
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conflict::DependentChild => f.write_str("image has dependent child images"),
            Conflict::RunningContainer { container } => {
                write!(f, "image is being used by running container {container}")
            }
            Conflict::MultipleRepositories => {
                f.write_str("image is referenced in multiple repositories")
            }
            Conflict::StoppedContainer { container } => {
                write!(f, "image is being used by stopped container {container}")
            }
        }
    }
}

/// Which conflicts a check looks for (Docker's `conflictType` bit mask).
#[derive(Debug, Clone, Copy)]
struct Mask {
    dependent_child: bool,
    running_container: bool,
    active_reference: bool,
    stopped_container: bool,
}

impl Mask {
    /// Hard conflicts only (what `-f` still checks).
    const HARD: Mask = Mask {
        dependent_child: true,
        running_container: true,
        active_reference: false,
        stopped_container: false,
    };

    /// Hard conflicts, plus the soft ones unless forced.
    fn unless_forced(force: bool) -> Mask {
        Mask {
            active_reference: !force,
            stopped_container: !force,
            ..Mask::HARD
        }
    }
}

/// One line of what `rmi` or `image prune` did, in Docker's order: untags, then the image,
/// then its freed layers, top first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteRecord {
    /// A name was removed (`Untagged: alpine:3.19`).
    Untagged(Reference),
    /// The image was deleted (`Deleted: sha256:<image ID>`).
    DeletedImage(Digest),
    /// A layer no image or container stands on any more was released
    /// (`Deleted: sha256:<chain ID>`).
    DeletedLayer {
        /// The layer's chain ID.
        chain_id: ChainId,
        /// Its size as Docker counts it (what Docker adds to "reclaimed space").
        size: u64,
    },
}

impl DeleteRecord {
    /// The value Docker prints after `Untagged: ` or `Deleted: `.
    pub fn value(&self) -> String {
        match self {
            DeleteRecord::Untagged(r) => r.to_string(),
            DeleteRecord::DeletedImage(id) => id.to_string(),
            DeleteRecord::DeletedLayer { chain_id, .. } => chain_id.to_string(),
        }
    }

    /// Whether this is an `Untagged` record.
    pub fn is_untag(&self) -> bool {
        matches!(self, DeleteRecord::Untagged(_))
    }
}

impl fmt::Display for DeleteRecord {
    /// As `docker rmi` prints it: `Untagged: alpine:3.19`, `Deleted: sha256:…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.is_untag() {
            "Untagged"
        } else {
            "Deleted"
        };
        write!(f, "{kind}: {}", self.value())
    }
}

/// What garbage collection removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Blobs removed (configs, manifests, layer tars), sorted.
    pub blobs: Vec<Digest>,
    /// Unpacked layers removed, children before their parents.
    pub layers: Vec<ChainId>,
    /// Bytes of the files removed, measured on disk before removing them (apparent sizes of
    /// regular files; a file with several hard links counts once).
    pub bytes: u64,
}

/// Options of [`rmi`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RmiOptions {
    /// `-f`: override soft conflicts (several names, stopped containers).
    pub force: bool,
    /// `--no-prune`: keep untagged parent images.
    pub no_prune: bool,
}

/// What one `rmi` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RmiReport {
    /// The lines Docker prints, in order.
    pub records: Vec<DeleteRecord>,
    /// The files removed from the store afterwards.
    pub gc: GcReport,
}

/// The loaded state of the store that the rules look at: the names, what each image is
/// made of, the containers. Changes are made here first and written once at the end.
#[derive(Debug, Clone)]
struct World {
    index: Index,
    images: BTreeMap<Digest, Image>,
    containers: Vec<ContainerConfig>,
    /// The size of every unpacked layer, from its record.
    layer_sizes: BTreeMap<ChainId, u64>,
}

impl World {
    fn load(store: &Store) -> Result<World> {
        let index = store.index()?;
        let mut images = BTreeMap::new();
        for record in index.images.values() {
            // An image that cannot be read is an error, not an empty image: otherwise its
            // layers would look unused and be collected.
            images.insert(record.id.clone(), Image::load(store, record)?);
        }
        let containers = container::list(store)?;
        let layer_sizes = store
            .layers()?
            .into_iter()
            .map(|l| (l.chain_id, l.size))
            .collect();
        Ok(World {
            index,
            images,
            containers,
            layer_sizes,
        })
    }

    /// The chain IDs of an image, bottom first.
    fn chains(&self, id: &Digest) -> Vec<ChainId> {
        self.images
            .get(id)
            .map(|img| img.layers().iter().map(|l| l.chain_id.clone()).collect())
            .unwrap_or_default()
    }

    /// The names of an image, in Docker's order (`reference/store.go` sorts by full name).
    fn references(&self, id: &Digest) -> Vec<Reference> {
        let mut refs: Vec<Reference> = self
            .index
            .images
            .get(id)
            .map(|r| r.references.iter().cloned().collect())
            .unwrap_or_default();
        refs.sort_by_key(|r| r.full());
        refs
    }

    fn has_children(&self, id: &Digest) -> bool {
        self.index
            .images
            .values()
            .any(|img| img.parent.as_ref() == Some(id))
    }

    /// Docker's `imageIsDangling`: no names and no children.
    fn is_dangling(&self, id: &Digest) -> bool {
        self.references(id).is_empty() && !self.has_children(id)
    }

    /// Whether some image still in the index, or some container, stands on this layer.
    fn layer_is_held(&self, chain: &ChainId) -> bool {
        self.index
            .images
            .keys()
            .any(|id| self.chains(id).contains(chain))
            || self.containers.iter().any(|c| c.layers.contains(chain))
    }

    /// Docker's `checkImageDeleteConflict`, in its order.
    fn conflict(&self, id: &Digest, mask: Mask) -> Option<Conflict> {
        if mask.dependent_child && self.has_children(id) {
            return Some(Conflict::DependentChild);
        }
        let users = self.containers.iter().filter(|c| &c.image == id);
        if mask.running_container
            && let Some(c) = users.clone().find(|c| is_running(c))
        {
            return Some(Conflict::RunningContainer {
                container: c.short_id().to_string(),
            });
        }
        if mask.active_reference && !self.references(id).is_empty() {
            return Some(Conflict::MultipleRepositories);
        }
        if mask.stopped_container
            && let Some(c) = users.clone().find(|c| !is_running(c))
        {
            return Some(Conflict::StoppedContainer {
                container: c.short_id().to_string(),
            });
        }
        None
    }

    fn remove_reference(&mut self, id: &Digest, reference: &Reference) {
        if let Some(record) = self.index.images.get_mut(id) {
            record.references.remove(reference);
        }
    }

    /// Docker's `ImageDelete`: `text` as the user typed it (name, ID, ID prefix).
    fn image_delete(&mut self, text: &str, force: bool, prune: bool) -> Result<Vec<DeleteRecord>> {
        let id = image::resolve(&self.index, text)?.id.clone();
        let mut records = Vec::new();
        let refs = self.references(&id);
        let mut removed_repository_ref = false;
        if !is_id_prefix(&id, text) {
            // A name: remove it. Without -f, refuse when it is the image's only name and a
            // container uses the image, which would be left nameless.
            if !force
                && is_single_reference(&refs)
                && let Some(c) = self.containers.iter().find(|c| c.image == id)
            {
                return Err(LifecycleError::ReferenceInUse {
                    reference: text.to_string(),
                    container: c.short_id().to_string(),
                    image: id,
                });
            }
            let named = Reference::parse_tagged(text)?;
            if !refs.contains(&named) {
                return Err(ImageError::NotFound {
                    name: named.to_string(),
                }
                .into());
            }
            self.remove_reference(&id, &named);
            records.push(DeleteRecord::Untagged(named.clone()));
            let mut refs = self.references(&id);
            // The last tag of a repository takes that repository's digest names with it.
            if named.digest().is_none() {
                let same_repo = |r: &Reference| r.full_repository() == named.full_repository();
                let tag_left = refs.iter().any(|r| r.digest().is_none() && same_repo(r));
                if !tag_left {
                    let (gone, kept): (Vec<Reference>, Vec<Reference>) = refs
                        .into_iter()
                        .partition(|r| r.digest().is_some() && same_repo(r));
                    for r in gone {
                        self.remove_reference(&id, &r);
                        records.push(DeleteRecord::Untagged(r));
                    }
                    refs = kept;
                }
            }
            // Other names remain: untagging was the whole job.
            if !refs.is_empty() {
                return Ok(records);
            }
            removed_repository_ref = true;
        } else if is_single_reference(&refs) {
            // An ID, and the image has a single name: check, then untag it and delete.
            let mut mask = Mask::HARD;
            if !force {
                mask.stopped_container = true;
            }
            if let Some(reason) = self.conflict(&id, mask) {
                return Err(LifecycleError::Conflict { image: id, reason });
            }
            for r in refs {
                self.remove_reference(&id, &r);
                records.push(DeleteRecord::Untagged(r));
            }
        }
        self.delete_helper(&id, &mut records, force, prune, removed_repository_ref)?;
        Ok(records)
    }

    /// Docker's `imageDeleteHelper`: deletes an image that has no names left (removing any
    /// it still has), releases its layers, then its untagged parents unless `prune` is off.
    /// `quiet` skips conflicts silently unless the image is dangling and no container is
    /// the cause.
    fn delete_helper(
        &mut self,
        id: &Digest,
        records: &mut Vec<DeleteRecord>,
        force: bool,
        prune: bool,
        quiet: bool,
    ) -> Result<()> {
        if let Some(reason) = self.conflict(id, Mask::unless_forced(force)) {
            if quiet && (!self.is_dangling(id) || reason.used()) {
                return Ok(());
            }
            return Err(LifecycleError::Conflict {
                image: id.clone(),
                reason,
            });
        }
        let parent = self.index.images.get(id).and_then(|r| r.parent.clone());
        for r in self.references(id) {
            self.remove_reference(id, &r);
            records.push(DeleteRecord::Untagged(r));
        }
        let chains = self.chains(id);
        self.index.images.remove(id);
        self.images.remove(id);
        records.push(DeleteRecord::DeletedImage(id.clone()));
        // Release the layers top first, stopping at the first one something still stands on
        // (everything below it is held too).
        for chain in chains.iter().rev() {
            if self.layer_is_held(chain) {
                break;
            }
            records.push(DeleteRecord::DeletedLayer {
                chain_id: chain.clone(),
                size: self.layer_sizes.get(chain).copied().unwrap_or(0),
            });
        }
        match parent {
            Some(parent) if prune && self.index.images.contains_key(&parent) => {
                self.delete_helper(&parent, records, false, true, true)
            }
            _ => Ok(()),
        }
    }
}

/// Whether a container is running. capas runs a container's command to its end, so no status
/// means running; the match is exhaustive so that a new status must be decided here.
fn is_running(c: &ContainerConfig) -> bool {
    match c.state.status {
        Status::Created | Status::Exited => false,
    }
}

/// Docker's `isImageIDPrefix`: whether the text typed is (a prefix of) the image ID, with or
/// without `sha256:`.
fn is_id_prefix(id: &Digest, text: &str) -> bool {
    let full = id.to_string();
    !text.is_empty() && (full.starts_with(&format!("sha256:{text}")) || full.starts_with(text))
}

/// Docker's `isSingleReference`: exactly one name, or one tag plus digest names of that same
/// repository only, or digest names of a single repository.
fn is_single_reference(refs: &[Reference]) -> bool {
    if refs.len() <= 1 {
        return refs.len() == 1;
    }
    let mut single: Option<&Reference> = None;
    let mut canonical_repos = BTreeSet::new();
    for r in refs {
        if r.digest().is_some() {
            canonical_repos.insert(r.full_repository());
        } else if single.is_none() {
            single = Some(r);
        } else {
            return false;
        }
    }
    let single = single.unwrap_or(&refs[0]);
    canonical_repos.len() == 1 && canonical_repos.contains(&single.full_repository())
}

// ---------------------------------------------------------------------------------------------
// rmi
// ---------------------------------------------------------------------------------------------

/// Removes one image by name, ID or ID prefix, as `docker rmi` does.
///
/// By name: the name is removed (`Untagged:`); if it was the last tag of its repository, the
/// repository's digest names go too; if no name is left and nothing needs the image, it is
/// deleted with the layers only it used. By ID: refused while names in several repositories
/// point at it (`-f` untags them all), or while a container uses it (`-f` deletes it anyway;
/// the container keeps its layers). Never forced: an image other images were made from.
/// Untagged parents of a deleted image are deleted too, unless `no_prune`.
///
/// `index.json` is written first, then the files nothing refers to are removed ([`gc`]).
pub fn rmi(locked: &Locked<'_>, name: &str, options: &RmiOptions) -> Result<RmiReport> {
    let mut world = World::load(locked)?;
    let records = world.image_delete(name, options.force, !options.no_prune)?;
    locked.write_index(&world.index)?;
    let gc = collect(locked, &world)?;
    Ok(RmiReport { records, gc })
}

// ---------------------------------------------------------------------------------------------
// image prune
// ---------------------------------------------------------------------------------------------

/// The filters of `image prune` (`--filter`), as Docker's daemon reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneFilters {
    /// `dangling=true|false`; when absent, `-a` decides.
    pub dangling: Option<bool>,
    /// `until=`: only images created at or before this time (Unix seconds).
    pub until: Option<i64>,
    /// `label=KEY` / `label=KEY=VALUE`: every one must match.
    pub labels: Vec<String>,
    /// `label!=KEY` / `label!=KEY=VALUE`: an image matching all of them is kept.
    pub not_labels: Vec<String>,
}

impl PruneFilters {
    /// Parses `--filter` values (`until=24h`, `label=k=v`, `label!=k`, `dangling=false`).
    /// `now` (Unix seconds) is what a duration in `until=` counts back from.
    pub fn parse<S: AsRef<str>>(raw: &[S], now: i64) -> Result<PruneFilters> {
        let mut filters = PruneFilters::default();
        let mut until = Vec::new();
        let mut dangling = BTreeSet::new();
        for f in raw {
            let f = f.as_ref();
            let Some((key, value)) = f.split_once('=') else {
                return Err(LifecycleError::InvalidFilter {
                    filter: f.to_string(),
                });
            };
            match key.to_ascii_lowercase().as_str() {
                "dangling" => {
                    dangling.insert(match value.to_ascii_lowercase().as_str() {
                        "true" | "1" => true,
                        "false" | "0" => false,
                        _ => {
                            return Err(LifecycleError::InvalidFilter {
                                filter: f.to_string(),
                            });
                        }
                    });
                }
                "until" => until.push(value.to_string()),
                "label" => filters.labels.push(value.to_string()),
                "label!" => filters.not_labels.push(value.to_string()),
                _ => {
                    return Err(LifecycleError::InvalidFilter {
                        filter: key.to_string(),
                    });
                }
            }
        }
        if dangling.len() > 1 {
            return Err(LifecycleError::InvalidFilter {
                filter: "dangling".into(),
            });
        }
        filters.dangling = dangling.into_iter().next();
        match until.as_slice() {
            [] => {}
            [one] => filters.until = Some(parse_until(one, now)?),
            _ => return Err(LifecycleError::MultipleUntil),
        }
        Ok(filters)
    }

    /// Docker's `matchLabels`: every `label=` matches, and not every `label!=` matches.
    fn match_labels(&self, labels: &BTreeMap<String, String>) -> bool {
        if !match_kv_list(&self.labels, labels) {
            return false;
        }
        self.not_labels.is_empty() || !match_kv_list(&self.not_labels, labels)
    }
}

/// Docker's `MatchKVList`: no filters match everything; otherwise every `k` / `k=v` must be
/// among the labels.
fn match_kv_list(filters: &[String], labels: &BTreeMap<String, String>) -> bool {
    if filters.is_empty() {
        return true;
    }
    if labels.is_empty() {
        return false;
    }
    filters.iter().all(|f| match f.split_once('=') {
        Some((k, v)) => labels.get(k).is_some_and(|have| have == v),
        None => labels.contains_key(f.as_str()),
    })
}

/// Options of [`prune`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneOptions {
    /// `-a`: every image without a container, not only dangling ones.
    pub all: bool,
    /// `--filter` values, parsed.
    pub filters: PruneFilters,
}

/// What `image prune` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// The lines Docker prints under `Deleted Images:`, in order.
    pub records: Vec<DeleteRecord>,
    /// Docker's `SpaceReclaimed`: the sizes of the layers in the `Deleted` records, as
    /// Docker counts layer sizes (unpacked files only).
    pub layers_size: u64,
    /// The bytes the store really lost on disk: the blobs and unpacked layers removed by
    /// [`gc`], and what `index.json` shrank by. capas keeps each layer twice (the blob as
    /// pulled, and unpacked), so this is more than `layers_size`.
    pub freed: u64,
    /// The files removed.
    pub gc: GcReport,
}

/// Removes unused images, as `docker image prune` does: by default the dangling ones
/// (no tag, no child image); with `all`, every image no container uses. Images made from
/// another image keep it (an untagged parent goes with its last child). Conflicts are
/// skipped silently, as in Docker.
pub fn prune(locked: &Locked<'_>, options: &PruneOptions) -> Result<PruneReport> {
    let mut world = World::load(locked)?;
    let dangling_only = options.filters.dangling.unwrap_or(!options.all);
    let filters = &options.filters;

    // Candidates: heads (no children) for dangling, else every image; never an untagged
    // intermediate; then until= and the labels.
    let mut candidates = Vec::new();
    for (id, img) in &world.images {
        let refs = world.references(id);
        let children = world.has_children(id);
        if dangling_only && children {
            continue;
        }
        if refs.is_empty() && children {
            continue;
        }
        if let Some(until) = filters.until
            && img.created().unwrap_or(0) > until
        {
            continue;
        }
        if let Some(config) = img.config().config() {
            let labels: BTreeMap<String, String> = config
                .labels()
                .clone()
                .unwrap_or_default()
                .into_iter()
                .collect();
            if !filters.match_labels(&labels) {
                continue;
            }
        }
        candidates.push(id.clone());
    }

    let mut records = Vec::new();
    for id in candidates {
        if !world.index.images.contains_key(&id) {
            continue; // already gone with a child deleted before it
        }
        let refs = world.references(&id);
        let targets: Vec<String> = if refs.is_empty() {
            vec![id.to_string()]
        } else if !dangling_only || refs.iter().all(|r| r.tag().is_none()) {
            // Docker deletes through each name in turn; a digest-only image is dangling.
            refs.iter().map(Reference::full).collect()
        } else {
            Vec::new()
        };
        for target in targets {
            let before = world.clone();
            match world.image_delete(&target, false, true) {
                Ok(done) => records.extend(done),
                // Docker's `imageDeleteFailed`: a conflict or a vanished image is skipped.
                Err(LifecycleError::Conflict { .. })
                | Err(LifecycleError::ReferenceInUse { .. })
                | Err(LifecycleError::Image(ImageError::NotFound { .. })) => world = before,
                Err(e) => return Err(e),
            }
        }
    }
    let layers_size = records
        .iter()
        .map(|r| match r {
            DeleteRecord::DeletedLayer { size, .. } => *size,
            _ => 0,
        })
        .sum();
    let index_path = locked.layout().index();
    let index_before = file_len(&index_path)?;
    locked.write_index(&world.index)?;
    let index_after = file_len(&index_path)?;
    let gc = collect(locked, &world)?;
    Ok(PruneReport {
        records,
        layers_size,
        freed: gc.bytes + index_before.saturating_sub(index_after),
        gc,
    })
}

fn file_len(path: &Path) -> Result<u64> {
    Ok(fs::metadata(path).map_err(io_err("measuring", path))?.len())
}

/// Parses an `until=` value as Docker's `timetypes.GetTimestamp` does: a Go duration
/// (`24h`, `1h30m`, `90s`) counted back from `now`; Unix seconds (`1700000000`, with an
/// optional fraction); or an RFC 3339 date or time (`2024-01-02`, `2024-01-02T15:04:05Z`).
/// A date or time without a zone is read as UTC (Docker reads it in the daemon's zone).
pub fn parse_until(value: &str, now: i64) -> Result<i64> {
    let bad = || LifecycleError::BadUntil {
        value: value.to_string(),
    };
    if value != "0"
        && let Ok(nanos) = crate::go::parse_duration(value)
    {
        // Durations are whole seconds here, truncated, as images' creation times are.
        return Ok(now - nanos / 1_000_000_000);
    }
    if let Ok(t) = value.parse::<jiff::Timestamp>() {
        return Ok(t.as_second());
    }
    if let Ok(dt) = value.parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp().as_second())
            .map_err(|_| bad());
    }
    if let Ok(d) = value.parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp().as_second())
            .map_err(|_| bad());
    }
    if value.contains('-') {
        return Err(bad());
    }
    // Unix seconds, maybe with a fraction (`1700000000.5`).
    let (secs, frac) = value.split_once('.').unwrap_or((value, "0"));
    if !secs.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) {
        return secs.parse::<i64>().map_err(|_| bad());
    }
    Err(bad())
}

// ---------------------------------------------------------------------------------------------
// garbage collection
// ---------------------------------------------------------------------------------------------

/// Removes every blob and unpacked layer that no image of `index.json` and no container
/// refers to, and only those. Returns what was removed and the bytes it took on disk.
///
/// What is kept: each image's manifest, config and layer blobs, and its layers (by chain ID,
/// so every layer below them too); each container's layers. Layers are removed children
/// first, so even an interrupted collection never leaves a layer without its parent.
pub fn gc(locked: &Locked<'_>) -> Result<GcReport> {
    let world = World::load(locked)?;
    collect(locked, &world)
}

/// The collection itself, given the state the index now holds.
fn collect(locked: &Locked<'_>, world: &World) -> Result<GcReport> {
    let mut keep_blobs: BTreeSet<Digest> = BTreeSet::new();
    let mut keep_layers: BTreeSet<ChainId> = BTreeSet::new();
    for (id, record) in &world.index.images {
        keep_blobs.insert(record.manifest.clone());
        keep_blobs.insert(id.clone());
        if let Some(img) = world.images.get(id) {
            for layer in img.layers() {
                keep_blobs.insert(Digest::from(layer.blob.digest()));
                keep_layers.insert(layer.chain_id.clone());
            }
        }
    }
    for c in &world.containers {
        keep_layers.extend(c.layers.iter().cloned());
    }

    let mut report = GcReport::default();
    let mut seen = HashSet::new();

    // Layers: children before parents (deepest first).
    let layers = locked.layers()?;
    let parents: BTreeMap<ChainId, Option<ChainId>> = layers
        .iter()
        .map(|l| (l.chain_id.clone(), l.parent.clone()))
        .collect();
    let depth = |chain: &ChainId| {
        let mut d = 0usize;
        let mut at = parents.get(chain).cloned().flatten();
        while let Some(p) = at {
            d += 1;
            at = parents.get(&p).cloned().flatten();
            if d > parents.len() {
                break; // a loop would be corruption; fsck reports it
            }
        }
        d
    };
    let mut doomed: Vec<(usize, ChainId)> = layers
        .iter()
        .filter(|l| !keep_layers.contains(&l.chain_id))
        .map(|l| (depth(&l.chain_id), l.chain_id.clone()))
        .collect();
    doomed.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    for (_, chain) in doomed {
        let path = locked.layer_path(&chain);
        report.bytes += bytes_on_disk(&path, &mut seen)?;
        locked.remove_layer(&chain)?;
        report.layers.push(chain);
    }

    // Blobs.
    for digest in locked.blobs()? {
        if keep_blobs.contains(&digest) {
            continue;
        }
        let path = locked.blob_path(&digest);
        report.bytes += bytes_on_disk(&path, &mut seen)?;
        locked.remove_blob(&digest)?;
        report.blobs.push(digest);
    }
    Ok(report)
}

/// Apparent bytes of the regular files at or under `path`, each inode once.
fn bytes_on_disk(path: &Path, seen: &mut HashSet<(u64, u64)>) -> Result<u64> {
    let mut total = 0;
    for_each_lstat(path, 0, |meta| {
        if meta.is_file() && seen.insert((meta.dev(), meta.ino())) {
            total += meta.len();
        }
    })?;
    Ok(total)
}

/// Calls `f` with the `lstat` of every entry under `path` (from depth `min_depth`: 0 is
/// `path` itself).
fn for_each_lstat(path: &Path, min_depth: usize, mut f: impl FnMut(&fs::Metadata)) -> Result<()> {
    for entry in walkdir::WalkDir::new(path).min_depth(min_depth) {
        let entry = entry.map_err(|e| LifecycleError::Io {
            action: "measuring",
            path: path.to_path_buf(),
            source: e.into(),
        })?;
        let meta = entry
            .path()
            .symlink_metadata()
            .map_err(io_err("measuring", entry.path()))?;
        f(&meta);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// system df
// ---------------------------------------------------------------------------------------------

/// One image row of `docker system df -v`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUsage {
    /// The image's record (its names).
    pub record: ImageRecord,
    /// When it was created (the config's `created`, Unix seconds).
    pub created: Option<i64>,
    /// SIZE: the sum of its layers (shared ones included).
    pub size: u64,
    /// SHARED SIZE: its layers that other listed images also have.
    pub shared_size: u64,
    /// CONTAINERS: how many containers use it.
    pub containers: usize,
}

impl ImageUsage {
    /// UNIQUE SIZE: what only this image has (`size - shared_size`).
    pub fn unique_size(&self) -> u64 {
        self.size.saturating_sub(self.shared_size)
    }
}

/// One container row of `docker system df -v`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerUsage {
    /// The container.
    pub config: ContainerConfig,
    /// SIZE: its read/write layer, counted as Docker counts layers.
    pub size_rw: u64,
}

/// What `docker system df` reports about images and containers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiskUsage {
    /// The images `docker images` lists (untagged intermediates left out), newest first.
    pub images: Vec<ImageUsage>,
    /// Docker's `LayersSize`: every layer of those images, each counted once.
    pub layers_size: u64,
    /// Every container, newest first.
    pub containers: Vec<ContainerUsage>,
}

impl DiskUsage {
    /// ACTIVE images: those some container uses.
    pub fn active_images(&self) -> usize {
        self.images.iter().filter(|i| i.containers > 0).count()
    }

    /// RECLAIMABLE of the Images row, as the 20.10 CLI computes it: all layers, minus what
    /// only images in use have.
    pub fn images_reclaimable(&self) -> u64 {
        let used: u64 = self
            .images
            .iter()
            .filter(|i| i.containers > 0)
            .map(ImageUsage::unique_size)
            .sum();
        self.layers_size.saturating_sub(used)
    }

    /// ACTIVE containers: running ones (never, in capas).
    pub fn active_containers(&self) -> usize {
        self.containers
            .iter()
            .filter(|c| is_running(&c.config))
            .count()
    }

    /// SIZE of the Containers row: every read/write layer.
    pub fn containers_size(&self) -> u64 {
        self.containers.iter().map(|c| c.size_rw).sum()
    }

    /// RECLAIMABLE of the Containers row: the read/write layers of containers not running.
    pub fn containers_reclaimable(&self) -> u64 {
        self.containers
            .iter()
            .filter(|c| !is_running(&c.config))
            .map(|c| c.size_rw)
            .sum()
    }
}

/// Computes `docker system df` (`moby@v20.10.24:daemon/disk_usage.go`): per image its size,
/// the part it shares with other listed images and the number of containers using it; the
/// size of every container's read/write layer.
pub fn disk_usage(store: &Store) -> Result<DiskUsage> {
    let world = World::load(store)?;
    // The images `docker images` lists: not the untagged ones other images were made from.
    let listed: Vec<&Digest> = world
        .index
        .images
        .keys()
        .filter(|id| !(world.references(id).is_empty() && world.has_children(id)))
        .collect();
    let mut layer_refs: BTreeMap<ChainId, usize> = BTreeMap::new();
    for id in &listed {
        for chain in world.chains(id) {
            *layer_refs.entry(chain).or_default() += 1;
        }
    }
    let size_of = |chain: &ChainId| world.layer_sizes.get(chain).copied().unwrap_or(0);
    let mut images = Vec::new();
    for id in listed {
        let chains = world.chains(id);
        let size = chains.iter().map(size_of).sum();
        let shared_size = chains
            .iter()
            .filter(|c| layer_refs.get(*c).is_some_and(|n| *n > 1))
            .map(size_of)
            .sum();
        images.push(ImageUsage {
            record: world.index.images[id].clone(),
            created: world.images.get(id).and_then(Image::created),
            size,
            shared_size,
            containers: world.containers.iter().filter(|c| &c.image == id).count(),
        });
    }
    // Newest first, as `docker images`; equal times by ID so every run prints the same.
    images.sort_by(|a, b| {
        b.created
            .cmp(&a.created)
            .then_with(|| a.record.id.cmp(&b.record.id))
    });
    let layers_size = layer_refs.keys().map(size_of).sum();
    let mut containers = Vec::new();
    for config in world.containers {
        let upper = Container::open(store, &config.id)?.upper_dir();
        containers.push(ContainerUsage {
            size_rw: docker_dir_size(&upper)?,
            config,
        });
    }
    Ok(DiskUsage {
        images,
        layers_size,
        containers,
    })
}

/// Docker's `directory.Size`: apparent sizes of everything but directories, hard links once
/// (whiteout markers are empty, so they count 0; a symlink counts its target's length).
fn docker_dir_size(dir: &Path) -> Result<u64> {
    let mut seen = HashSet::new();
    let mut total = 0;
    for_each_lstat(dir, 1, |meta| {
        if meta.is_dir() || (meta.nlink() > 1 && !seen.insert((meta.dev(), meta.ino()))) {
            return;
        }
        total += meta.len();
    })?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str) -> Reference {
        Reference::parse_tagged(text).expect("reference")
    }

    #[test]
    fn single_reference_follows_dockers_rule() {
        let d = Digest::of_bytes(b"m");
        assert!(!is_single_reference(&[]));
        assert!(is_single_reference(&[r("a:1")]));
        assert!(!is_single_reference(&[r("a:1"), r("a:2")]));
        assert!(!is_single_reference(&[r("a:1"), r("b:1")]));
        assert!(is_single_reference(&[
            r("a:1"),
            r("a:1").with_digest(d.clone())
        ]));
        assert!(!is_single_reference(&[
            r("a:1"),
            r("b:1").with_digest(d.clone())
        ]));
        assert!(is_single_reference(&[r("a:1").with_digest(d.clone())]));
    }

    #[test]
    fn id_prefixes_are_recognised_with_or_without_sha256() {
        let id = Digest::of_bytes(b"x");
        assert!(is_id_prefix(&id, &id.hex()[..12]));
        assert!(is_id_prefix(&id, &format!("sha256:{}", &id.hex()[..4])));
        assert!(is_id_prefix(&id, &id.to_string()));
        assert!(!is_id_prefix(&id, "alpine"));
        assert!(!is_id_prefix(&id, ""));
    }

    #[test]
    fn conflict_texts_are_dockers() {
        let id = Digest::parse(&format!("sha256:73aca8af73d2{}", "0".repeat(52))).expect("id");
        let e = LifecycleError::Conflict {
            image: id.clone(),
            reason: Conflict::StoppedContainer {
                container: "ab33131296fd".into(),
            },
        };
        assert_eq!(
            e.to_string(),
            "conflict: unable to delete 73aca8af73d2 (must be forced) - image is being used by stopped container ab33131296fd"
        );
        let e = LifecycleError::Conflict {
            image: id.clone(),
            reason: Conflict::DependentChild,
        };
        assert_eq!(
            e.to_string(),
            "conflict: unable to delete 73aca8af73d2 (cannot be forced) - image has dependent child images"
        );
        let e = LifecycleError::Conflict {
            image: id.clone(),
            reason: Conflict::RunningContainer {
                container: "5492775180b7".into(),
            },
        };
        assert_eq!(
            e.to_string(),
            "conflict: unable to delete 73aca8af73d2 (cannot be forced) - image is being used by running container 5492775180b7"
        );
        let e = LifecycleError::ReferenceInUse {
            reference: "demo/commit:1".into(),
            container: "ab33131296fd".into(),
            image: id,
        };
        assert_eq!(
            e.to_string(),
            "conflict: unable to remove repository reference \"demo/commit:1\" (must force) - container ab33131296fd is using its referenced image 73aca8af73d2"
        );
    }

    #[test]
    fn until_reads_durations_timestamps_and_dates() {
        let now = 1_709_294_400; // 2024-03-01T12:00:00Z
        assert_eq!(parse_until("24h", now).expect("24h"), now - 86_400);
        assert_eq!(parse_until("1h30m", now).expect("1h30m"), now - 5_400);
        assert_eq!(parse_until("1.5h", now).expect("1.5h"), now - 5_400);
        assert_eq!(parse_until("90s", now).expect("90s"), now - 90);
        assert_eq!(parse_until("1700000000", now).expect("unix"), 1_700_000_000);
        assert_eq!(parse_until("0", now).expect("zero"), 0);
        assert_eq!(
            parse_until("2024-03-01T00:00:00Z", now).expect("rfc3339"),
            1_709_251_200
        );
        assert_eq!(parse_until("2024-03-01", now).expect("date"), 1_709_251_200);
        let err = parse_until("yesterday", now).unwrap_err();
        assert_eq!(
            err.to_string(),
            "failed to parse value as time or duration: \"yesterday\""
        );
        assert!(parse_until("24x", now).is_err());
    }

    #[test]
    fn prune_filters_parse_like_dockers() {
        let f =
            PruneFilters::parse(&["label=a", "label!=b=1", "until=1h"], 3_600).expect("filters");
        assert_eq!(f.labels, vec!["a".to_string()]);
        assert_eq!(f.not_labels, vec!["b=1".to_string()]);
        assert_eq!(f.until, Some(0));
        assert_eq!(
            PruneFilters::parse(&["color=red"], 0)
                .unwrap_err()
                .to_string(),
            "Invalid filter 'color'"
        );
        assert!(matches!(
            PruneFilters::parse(&["until=1h", "until=2h"], 0),
            Err(LifecycleError::MultipleUntil)
        ));
        assert!(PruneFilters::parse(&["dangling=maybe"], 0).is_err());
    }

    #[test]
    fn label_filters_match_like_dockers() {
        let labels: BTreeMap<String, String> =
            [("a".to_string(), "1".to_string())].into_iter().collect();
        let f = |l: &[&str], n: &[&str]| PruneFilters {
            labels: l.iter().map(|s| s.to_string()).collect(),
            not_labels: n.iter().map(|s| s.to_string()).collect(),
            ..PruneFilters::default()
        };
        assert!(f(&[], &[]).match_labels(&labels));
        assert!(f(&["a"], &[]).match_labels(&labels));
        assert!(f(&["a=1"], &[]).match_labels(&labels));
        assert!(!f(&["a=2"], &[]).match_labels(&labels));
        assert!(!f(&["b"], &[]).match_labels(&labels));
        assert!(!f(&[], &["a"]).match_labels(&labels));
        assert!(f(&[], &["a=2"]).match_labels(&labels));
        assert!(!f(&["a"], &[]).match_labels(&BTreeMap::new()));
    }
}
