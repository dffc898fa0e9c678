//! The union view: many read-only layers seen as one file system (course section 2.5).
//!
//! An image is a stack of layers, and no layer holds the whole root file system: the bottom
//! one has most files, each layer above holds only what its step added, changed or deleted.
//! A container sees them **merged**, as if they were one tree. Docker gets that from the
//! kernel's overlayfs; this module does the same lookup in plain code, so that a student can
//! read the rules and ask "why do I see this file?".
//!
//! # The rules (the same as overlayfs and the OCI image spec)
//!
//! Layers are numbered bottom first (`0` is the base image's first layer). A path is looked up
//! **from the top layer down**, one name at a time:
//!
//! 1. the first layer that has the name **wins**;
//! 2. a whiteout `dir/.wh.name` in a layer hides `dir/name` in every layer **below** it (never in
//!    its own layer);
//! 3. an opaque marker `dir/.wh..wh..opq` hides everything the layers below have inside `dir`
//!    (the directory itself stays, with what its own layer puts in it);
//! 4. directories **merge**: if several layers have `dir` as a directory, listing it shows the
//!    names of all of them (the metadata, such as the mode, comes from the top one);
//! 5. a non-directory (file, symlink) hides everything below it, and a directory hides any
//!    non-directory below it: a name changes kind only by replacing what was there.
//!
//! The markers (`.wh.*`) are never shown: they are instructions, not files.
//!
//! Layers are kept on disk in this OCI form (`layers/<chain-id>/diff/` in the store): a
//! whiteout is an empty file named `.wh.<name>`. The kernel's overlayfs wants a different
//! spelling (a character device 0/0 for a whiteout, an extended attribute
//! `trusted.overlay.opaque=y` for an opaque directory) but the meaning is the same.
//!
//! ```
//! use std::fs;
//! use capas_core::union::{UnionView, Why};
//!
//! let tmp = tempfile::tempdir()?;
//! let (bottom, top) = (tmp.path().join("l0"), tmp.path().join("l1"));
//! fs::create_dir_all(bottom.join("etc"))?;
//! fs::write(bottom.join("etc/motd"), "hola\n")?;
//! fs::write(bottom.join("etc/hostname"), "capas\n")?;
//! fs::create_dir_all(top.join("etc"))?;
//! fs::write(top.join("etc/.wh.motd"), "")?; // the top layer deletes etc/motd
//!
//! let view = UnionView::new(vec![bottom, top]);
//! assert!(view.lookup("/etc/motd").is_none());
//! assert_eq!(view.lookup("/etc/hostname").map(|f| f.layer_index), Some(0));
//! let names: Vec<String> = view.read_dir("/etc")?.into_iter().map(|e| e.name).collect();
//! assert_eq!(names, ["hostname"]);
//! assert!(matches!(view.why("/etc/motd")?, Why::Hidden { .. }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::digest::ChainId;
use crate::image::Image;
use crate::layer::{OPAQUE_MARKER, WHITEOUT_PREFIX};
use crate::shell::FileKind;
use crate::store::Store;

/// Errors of the union view.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UnionError {
    /// An image needs a layer that is not unpacked in the store (a damaged store, or a layer
    /// removed by hand): met when opening an image or a container.
    #[error("layer {chain_id} is missing from the store")]
    MissingLayer {
        /// The chain ID of the missing layer.
        chain_id: ChainId,
    },
    /// No layer shows anything at this path (it never existed, or it is hidden).
    #[error("{path}: no such file or directory")]
    NotFound {
        /// The path asked for.
        path: String,
    },
    /// The path names a directory where a file was expected (reading a directory as a file).
    #[error("{path}: is a directory")]
    IsADirectory {
        /// The path asked for.
        path: String,
    },
    /// The path, or one of its parents, is not a directory where one was expected.
    #[error("{path}: not a directory")]
    NotADirectory {
        /// The path asked for.
        path: String,
    },
    /// Reading a layer directory failed (permissions, a disk error).
    #[error("reading {path}: {source}")]
    Io {
        /// The file or directory of the layer.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
}

impl UnionError {
    /// The `io::ErrorKind` a file system call would give for this error (the shell words its
    /// messages from it).
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            UnionError::MissingLayer { .. } => io::ErrorKind::Other,
            UnionError::NotFound { .. } => io::ErrorKind::NotFound,
            UnionError::IsADirectory { .. } => io::ErrorKind::IsADirectory,
            UnionError::NotADirectory { .. } => io::ErrorKind::NotADirectory,
            UnionError::Io { source, .. } => source.kind(),
        }
    }
}

impl From<UnionError> for io::Error {
    fn from(e: UnionError) -> io::Error {
        io::Error::new(e.kind(), e)
    }
}

/// Shorthand for results of this module.
pub type Result<T, E = UnionError> = std::result::Result<T, E>;

/// One layer of a view: a directory in OCI form, and the name to show for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnionLayer {
    /// The layer's files (`layers/<chain-id>/diff/` for an image layer).
    pub dir: PathBuf,
    /// What to call it when explaining: the chain ID, or a label such as `container layer`.
    pub label: String,
}

/// A read-only union of layer directories, bottom first.
///
/// Layers a view knows to be immutable (an image's layers in the store: content-addressed,
/// never written again) have their directories' names read once and remembered, so a lookup
/// costs a hash probe per layer instead of three `lstat`s. Layers above them (a container's
/// read/write layer) are read afresh every time, so the view always shows their latest state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnionView {
    layers: Vec<UnionLayer>,
    /// Layers `0..frozen` never change.
    frozen: usize,
    names: NameCache,
}

/// The names in each (frozen layer, directory), read on first use. Shared by clones of a
/// view: the layers it describes never change.
#[derive(Debug, Clone, Default)]
struct NameCache(Arc<Mutex<HashMap<(usize, PathBuf), Listing>>>);

/// A directory's remembered names; `None` when the layer has no such directory.
type Listing = Option<Arc<Names>>;

/// A directory's names, each with whether it is a directory itself.
type Names = HashMap<OsString, bool>;

impl PartialEq for NameCache {
    fn eq(&self, _: &Self) -> bool {
        // A cache is not part of what a view is.
        true
    }
}

impl Eq for NameCache {}

/// What a lookup found: the entry that wins, and where it lives.
#[derive(Debug, Clone)]
pub struct Found {
    /// The layer whose entry is seen (0 = the bottom layer).
    pub layer_index: usize,
    /// The entry's file in that layer's directory.
    pub host_path: PathBuf,
    /// Its `lstat` (a symlink is not followed).
    pub metadata: fs::Metadata,
    /// For a directory: every layer whose copy of it is merged into the view, top first
    /// (`layer_index` is the first). Empty for anything else.
    pub merged: Vec<usize>,
}

/// One entry of a merged directory listing.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The name (no slashes). Names that are not UTF-8 are shown lossily.
    pub name: String,
    /// The layer whose entry is seen.
    pub layer_index: usize,
    /// Its `lstat`.
    pub metadata: fs::Metadata,
    /// For a directory: the layers that have it as a directory and are not hidden from above,
    /// top first. An opaque marker inside it is only applied when the directory is read.
    dir_layers: Vec<usize>,
}

impl Entry {
    /// What kind of entry this is.
    pub fn kind(&self) -> FileKind {
        kind_of(&self.metadata)
    }
}

/// A layer, named for an explanation: its index and its label (a chain ID for image layers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerRef {
    /// 0 = the bottom layer.
    pub index: usize,
    /// The chain ID, or a label such as `container layer`.
    pub label: String,
}

/// What hides a path that some layer has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hider {
    /// A whiteout file deletes the path (or one of its parents) from the layers below.
    Whiteout {
        /// The layer holding the whiteout.
        layer: LayerRef,
        /// The whiteout's path, e.g. `/etc/.wh.motd`.
        marker: String,
    },
    /// An opaque marker in a directory hides what the layers below have inside it.
    Opaque {
        /// The layer holding the marker.
        layer: LayerRef,
        /// The marker's path, e.g. `/var/cache/.wh..wh..opq`.
        marker: String,
    },
    /// An entry of another kind replaces it: a file (or symlink) hides a directory below, or
    /// a directory hides a file below.
    Replaced {
        /// The layer holding the replacing entry.
        layer: LayerRef,
        /// The replacing entry's path (the path itself, or one of its parents).
        path: String,
        /// What the replacing entry is.
        kind: FileKind,
    },
}

/// The answer to "why do I see this path, or why not?" (`capas why`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The path is visible, provided by `layer`.
    Visible {
        /// The layer whose entry is seen.
        layer: LayerRef,
        /// What it is.
        kind: FileKind,
        /// For a directory: the other layers whose copies merge into it (their names show
        /// in a listing), top first.
        merged_with: Vec<LayerRef>,
        /// Lower layers that also have this path, whose copy is not seen, top first.
        shadows: Vec<LayerRef>,
    },
    /// Some layer has the path, but something above hides it.
    Hidden {
        /// The layers that have the path, top first.
        in_layers: Vec<LayerRef>,
        /// What hides the topmost of them.
        by: Hider,
    },
    /// No layer has ever had this path.
    Never,
}

/// Why the layers below some point stop counting for a name.
#[derive(Debug, Clone)]
struct Cut {
    /// Layers with an index below this one are not consulted.
    below: usize,
    /// The layer holding the marker or the replacing entry.
    layer: usize,
    kind: CutKind,
    /// The marker's path or the replacing entry's path (container form: `/a/b`).
    path: String,
}

#[derive(Debug, Clone, Copy)]
enum CutKind {
    Whiteout,
    Opaque,
    Replaced(FileKind),
}

/// Looking up one name inside a merged directory.
#[derive(Debug)]
struct Step {
    /// The layers consulted (the parent's merged layers), top first.
    considered: Vec<usize>,
    /// The winning entry: its layer and `lstat`.
    top: Option<(usize, fs::Metadata)>,
    /// If the winner is a directory: the layers whose copies merge, top first.
    dirs: Vec<usize>,
    /// Why the walk stopped before the bottom, if it did.
    cut: Option<Cut>,
}

/// A whole lookup: the root, then one step per name, stopping at the first that fails.
#[derive(Debug)]
struct Trace {
    root_layers: Vec<usize>,
    root_cut: Option<Cut>,
    steps: Vec<Step>,
}

/// Splits a container path into names: `/etc//motd` and `etc/./motd` give `["etc", "motd"]`.
/// `None` for a path with `..`: the union view takes paths literally (resolving `..` and
/// symlinks is the container's job, which knows where the root is).
fn names(path: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            name => out.push(name),
        }
    }
    Some(out)
}

/// The container form of a path made of `names`: `/a/b`, or `/` for none.
fn display(names: &[&str]) -> String {
    if names.is_empty() {
        "/".to_string()
    } else {
        names.iter().map(|n| format!("/{n}")).collect()
    }
}

/// The kind of a file, from its `lstat`.
pub fn kind_of(meta: &fs::Metadata) -> FileKind {
    let t = meta.file_type();
    if t.is_dir() {
        FileKind::Dir
    } else if t.is_file() {
        FileKind::File
    } else if t.is_symlink() {
        FileKind::Symlink
    } else {
        FileKind::Other
    }
}

/// `lstat`, with "not there" as `None` (also when a parent is not a directory).
fn lstat(path: &Path) -> Result<Option<fs::Metadata>> {
    match fs::symlink_metadata(path) {
        Ok(m) => Ok(Some(m)),
        Err(e)
            if e.kind() == io::ErrorKind::NotFound || e.kind() == io::ErrorKind::NotADirectory =>
        {
            Ok(None)
        }
        Err(source) => Err(UnionError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn exists(path: &Path) -> Result<bool> {
    Ok(lstat(path)?.is_some())
}

impl UnionView {
    /// A view of plain directories, bottom first, labelled `layer 0`, `layer 1`, …
    pub fn new(dirs: Vec<PathBuf>) -> UnionView {
        UnionView {
            frozen: 0,
            names: NameCache::default(),
            layers: dirs
                .into_iter()
                .enumerate()
                .map(|(i, dir)| UnionLayer {
                    dir,
                    label: format!("layer {i}"),
                })
                .collect(),
        }
    }

    /// A view of labelled layers, bottom first.
    pub fn from_layers(layers: Vec<UnionLayer>) -> UnionView {
        UnionView {
            layers,
            frozen: 0,
            names: NameCache::default(),
        }
    }

    /// The same view, told that none of its current layers will ever change: their names
    /// are remembered (see [`UnionView`]). Image views are frozen already.
    pub fn frozen(mut self) -> UnionView {
        self.frozen = self.layers.len();
        self
    }

    /// The view of an image: its unpacked layers from the store, each labelled by its chain
    /// ID. This is what a new container sees before it writes anything.
    pub fn of_image(store: &Store, image: &Image) -> Result<UnionView> {
        let mut layers = Vec::with_capacity(image.layers().len());
        for layer in image.layers() {
            if !store.has_layer(&layer.chain_id) {
                return Err(UnionError::MissingLayer {
                    chain_id: layer.chain_id.clone(),
                });
            }
            layers.push(UnionLayer {
                dir: store.layer_diff_dir(&layer.chain_id),
                label: layer.chain_id.to_string(),
            });
        }
        Ok(UnionView::from_layers(layers).frozen())
    }

    /// The same view with one more layer on top (a container's read/write layer).
    pub fn with_top(mut self, layer: UnionLayer) -> UnionView {
        self.layers.push(layer);
        self
    }

    /// The layers, bottom first.
    pub fn layers(&self) -> &[UnionLayer] {
        &self.layers
    }

    fn layer_ref(&self, index: usize) -> LayerRef {
        LayerRef {
            index,
            label: self.layers[index].label.clone(),
        }
    }

    /// Whether directory `dir` of layer `i` holds `name` (one `lstat`, or a hash probe in a
    /// frozen layer).
    fn has(&self, i: usize, dir: &[&str], name: &str) -> Result<bool> {
        if i >= self.frozen {
            let mut path = self.host(i, dir);
            path.push(name);
            return exists(&path);
        }
        Ok(self
            .names_in(i, dir)?
            .is_some_and(|names| names.contains_key(OsStr::new(name))))
    }

    /// In frozen layer `i`: `Some(is a directory)` if `names` is there, `None` if not.
    fn is_dir_in(&self, i: usize, names: &[&str]) -> Result<Option<bool>> {
        let Some((name, dir)) = names.split_last() else {
            return Ok(Some(true));
        };
        Ok(self
            .names_in(i, dir)?
            .and_then(|listing| listing.get(OsStr::new(name)).copied()))
    }

    /// `lstat` of `names` in layer `i`; in a frozen layer, only if its directory has the name.
    fn entry(&self, i: usize, names: &[&str]) -> Result<Option<fs::Metadata>> {
        if let Some((name, dir)) = names.split_last()
            && i < self.frozen
            && !self.has(i, dir, name)?
        {
            return Ok(None);
        }
        lstat(&self.host(i, names))
    }

    /// The names in directory `dir` of frozen layer `i` (`None`: no such directory there).
    fn names_in(&self, i: usize, dir: &[&str]) -> Result<Listing> {
        let path = self.host(i, dir);
        let key = (i, path);
        if let Some(found) = self.names.0.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(found);
        }
        let path = &key.1;
        let listing = match lstat(path)? {
            Some(meta) if meta.is_dir() => {
                let entries = fs::read_dir(path).map_err(|source| UnionError::Io {
                    path: path.clone(),
                    source,
                })?;
                let mut names = Names::new();
                for entry in entries {
                    let entry = entry.and_then(|e| Ok((e.file_name(), e.file_type()?.is_dir())));
                    let (name, is_dir) = entry.map_err(|source| UnionError::Io {
                        path: path.clone(),
                        source,
                    })?;
                    names.insert(name, is_dir);
                }
                Some(Arc::new(names))
            }
            _ => None,
        };
        if let Ok(mut cache) = self.names.0.lock() {
            cache.insert(key, listing.clone());
        }
        Ok(listing)
    }

    /// The file of `names` inside layer `i` (not checked).
    fn host(&self, i: usize, names: &[&str]) -> PathBuf {
        let mut p = self.layers[i].dir.clone();
        p.extend(names);
        p
    }

    /// The root is a directory in every layer; an opaque marker at a layer's root hides all
    /// the layers below it (a layer made `FROM scratch` on top of another, in effect).
    fn root(&self) -> Result<(Vec<usize>, Option<Cut>)> {
        let mut layers = Vec::new();
        for i in (0..self.layers.len()).rev() {
            layers.push(i);
            if self.has(i, &[], OPAQUE_MARKER)? {
                let cut = Cut {
                    below: i,
                    layer: i,
                    kind: CutKind::Opaque,
                    path: format!("/{OPAQUE_MARKER}"),
                };
                return Ok((layers, Some(cut)));
            }
        }
        Ok((layers, None))
    }

    /// Looks up the last of `names` in the layers `considered` (where its parent is a
    /// directory), top down. This is the heart of the union file system.
    fn step(&self, considered: Vec<usize>, names: &[&str]) -> Result<Step> {
        let (parent, name) = names.split_at(names.len() - 1);
        let name = name[0];
        let mut step = Step {
            considered,
            top: None,
            dirs: Vec::new(),
            cut: None,
        };
        for &i in &step.considered {
            // The entry of this layer comes first: a whiteout never hides its own layer.
            // Below the winner only "is it a directory" matters: a frozen layer answers
            // from its remembered names, without an lstat.
            let is_dir = if step.top.is_some() && i < self.frozen {
                self.is_dir_in(i, names)?
            } else {
                self.entry(i, names)?.map(|meta| {
                    let is_dir = meta.is_dir();
                    if step.top.is_none() {
                        step.top = Some((i, meta));
                    }
                    is_dir
                })
            };
            if let Some(is_dir) = is_dir {
                match (&step.top, is_dir) {
                    // Rule 1: the first layer with the name wins (taken above).
                    (Some((top, _)), _) if *top == i => {}
                    (None, _) => {}
                    // Rule 5: a directory above hides a non-directory here (and below).
                    (Some((top, _)), false) => {
                        step.cut = Some(Cut {
                            below: i + 1,
                            layer: *top,
                            kind: CutKind::Replaced(FileKind::Dir),
                            path: display(names),
                        });
                        break;
                    }
                    // Rule 4: directories merge.
                    (Some(_), true) => {}
                }
                if !is_dir {
                    // Rule 5: a non-directory hides everything below it.
                    let kind = step
                        .top
                        .as_ref()
                        .map_or(FileKind::Other, |(_, m)| kind_of(m));
                    step.cut = Some(Cut {
                        below: i,
                        layer: i,
                        kind: CutKind::Replaced(kind),
                        path: display(names),
                    });
                    break;
                }
                step.dirs.push(i);
                // Rule 3: an opaque directory hides what the layers below have inside it.
                if self.has(i, names, OPAQUE_MARKER)? {
                    let mut marker = names.to_vec();
                    marker.push(OPAQUE_MARKER);
                    step.cut = Some(Cut {
                        below: i,
                        layer: i,
                        kind: CutKind::Opaque,
                        path: display(&marker),
                    });
                    break;
                }
            }
            // Rule 2: a whiteout hides the name in the layers below this one.
            let whiteout = format!("{WHITEOUT_PREFIX}{name}");
            if self.has(i, parent, &whiteout)? {
                let mut marker = parent.to_vec();
                marker.push(&whiteout);
                step.cut = Some(Cut {
                    below: i,
                    layer: i,
                    kind: CutKind::Whiteout,
                    path: display(&marker),
                });
                break;
            }
        }
        Ok(step)
    }

    /// Looks up `names` one at a time, stopping at the first name that is not visible or at
    /// a non-directory in the middle.
    fn trace(&self, names: &[&str]) -> Result<Trace> {
        let (root_layers, root_cut) = self.root()?;
        let mut trace = Trace {
            root_layers,
            root_cut,
            steps: Vec::new(),
        };
        let mut considered = trace.root_layers.clone();
        for k in 0..names.len() {
            let step = self.step(considered, &names[..=k])?;
            let go_on = step.top.as_ref().is_some_and(|(_, m)| m.is_dir());
            considered = step.dirs.clone();
            trace.steps.push(step);
            if !go_on {
                break;
            }
        }
        Ok(trace)
    }

    /// Looks up a path (`/etc/motd`), with `lstat` semantics: a symlink is not followed, and
    /// a symlink in the middle of the path is not a directory, so nothing is found through
    /// it. `None` when nothing is visible there (also for paths with `..`, which the view
    /// does not interpret, and when a layer cannot be read: see [`UnionView::try_lookup`]).
    pub fn lookup(&self, path: &str) -> Option<Found> {
        self.try_lookup(path).ok().flatten()
    }

    /// [`UnionView::lookup`], with the errors of reading the layers reported.
    pub fn try_lookup(&self, path: &str) -> Result<Option<Found>> {
        let Some(names) = names(path) else {
            return Ok(None);
        };
        self.lookup_names(&names)
    }

    /// Looks up a path given as its names (no `.`, `..` or empty names).
    pub(crate) fn lookup_names(&self, names: &[&str]) -> Result<Option<Found>> {
        let trace = self.trace(names)?;
        if names.is_empty() {
            let Some(&top) = trace.root_layers.first() else {
                return Ok(None);
            };
            let host_path = self.layers[top].dir.clone();
            let metadata = fs::symlink_metadata(&host_path).map_err(|source| UnionError::Io {
                path: host_path.clone(),
                source,
            })?;
            return Ok(Some(Found {
                layer_index: top,
                host_path,
                metadata,
                merged: trace.root_layers,
            }));
        }
        if trace.steps.len() < names.len() {
            return Ok(None);
        }
        let Some(last) = trace.steps.into_iter().last() else {
            return Ok(None);
        };
        let Some((layer_index, metadata)) = last.top else {
            return Ok(None);
        };
        Ok(Some(Found {
            layer_index,
            host_path: self.host(layer_index, names),
            metadata,
            merged: last.dirs,
        }))
    }

    /// Lists the directory at `path`, merged across layers and sorted by name: the names of
    /// every layer whose copy of the directory is merged in, minus whiteouts and the entries
    /// they hide. Markers are never listed.
    pub fn read_dir(&self, path: &str) -> Result<Vec<Entry>> {
        let found = self.lookup_dir(path)?;
        Ok(self.list(&found.1, &found.0)?.0)
    }

    /// Finds a directory and returns its merged layers with its names.
    fn lookup_dir<'p>(&self, path: &'p str) -> Result<(Vec<usize>, Vec<&'p str>)> {
        let not_found = || UnionError::NotFound {
            path: path.to_string(),
        };
        let names = names(path).ok_or_else(not_found)?;
        let found = self.lookup_names(&names)?.ok_or_else(not_found)?;
        if !found.metadata.is_dir() {
            return Err(UnionError::NotADirectory {
                path: path.to_string(),
            });
        }
        Ok((found.merged, names))
    }

    /// Merges the listings of directory `names` in the layers `candidates` (top first).
    /// Returns the entries sorted by name, and the layers actually used: the walk stops after
    /// a layer whose copy holds an opaque marker.
    ///
    /// Each layer directory is read once; an entry is `lstat`ed only when it is the one seen.
    pub(crate) fn list(
        &self,
        names: &[&str],
        candidates: &[usize],
    ) -> Result<(Vec<Entry>, Vec<usize>)> {
        let mut seen: BTreeMap<String, Entry> = BTreeMap::new();
        // Names that a layer above deleted (whiteout) or replaced by a non-directory: the
        // layers below do not show them any more.
        let mut closed: HashSet<String> = HashSet::new();
        let mut used = Vec::new();
        for &i in candidates {
            used.push(i);
            let dir = self.host(i, names);
            let io_err = |source| UnionError::Io {
                path: dir.clone(),
                source,
            };
            let mut whiteouts = Vec::new();
            let mut opaque = false;
            for item in fs::read_dir(&dir).map_err(io_err)? {
                let item = item.map_err(io_err)?;
                let name = item.file_name().to_string_lossy().into_owned();
                if name == OPAQUE_MARKER {
                    opaque = true;
                    continue;
                }
                if let Some(hidden) = name.strip_prefix(WHITEOUT_PREFIX) {
                    // `.wh..wh.*` names are other markers (AUFS's), never whiteouts of a file.
                    if !hidden.starts_with(WHITEOUT_PREFIX) {
                        whiteouts.push(hidden.to_string());
                    }
                    continue;
                }
                if closed.contains(&name) {
                    continue;
                }
                let is_dir = item.file_type().map_err(io_err)?.is_dir();
                if let Some(entry) = seen.get_mut(&name) {
                    if entry.metadata.is_dir() && is_dir {
                        // Directories merge: this layer's copy adds its names below.
                        entry.dir_layers.push(i);
                    } else {
                        // A directory above a non-directory: the non-directory and everything
                        // below are hidden.
                        closed.insert(name);
                    }
                    continue;
                }
                let metadata = item.metadata().map_err(io_err)?;
                if !is_dir {
                    closed.insert(name.clone());
                }
                seen.insert(
                    name.clone(),
                    Entry {
                        name,
                        layer_index: i,
                        dir_layers: if is_dir { vec![i] } else { Vec::new() },
                        metadata,
                    },
                );
            }
            // Whiteouts apply to the layers below this one only.
            closed.extend(whiteouts);
            if opaque {
                break;
            }
        }
        Ok((seen.into_values().collect(), used))
    }

    /// Lists the children of a directory entry found by [`UnionView::list`] or a lookup.
    pub(crate) fn list_entry(&self, names: &[&str], entry: &Entry) -> Result<Vec<Entry>> {
        Ok(self.list(names, &entry.dir_layers)?.0)
    }

    /// The root directory as an [`Entry`] (for walks that start there).
    pub(crate) fn root_entry(&self) -> Result<Option<Entry>> {
        Ok(self.lookup_names(&[])?.map(|f| Entry {
            name: String::new(),
            layer_index: f.layer_index,
            metadata: f.metadata,
            dir_layers: f.merged,
        }))
    }

    /// Whether an entry is a directory whose copy in layer `layer` is merged in, or a
    /// non-directory from that layer (used to skip subtrees a layer does not touch).
    pub(crate) fn entry_uses_layer(entry: &Entry, layer: usize) -> bool {
        entry.layer_index == layer || entry.dir_layers.contains(&layer)
    }

    /// Visits every visible entry below the root, depth first, names sorted, with its path
    /// (`/etc/motd`). Each layer directory is read once.
    pub fn walk(&self, visit: &mut dyn FnMut(&str, &Entry)) -> Result<()> {
        let Some(root) = self.root_entry()? else {
            return Ok(());
        };
        let mut names = Vec::new();
        self.walk_dir(&mut names, &root, visit)
    }

    fn walk_dir(
        &self,
        names: &mut Vec<String>,
        dir: &Entry,
        visit: &mut dyn FnMut(&str, &Entry),
    ) -> Result<()> {
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let children = self.list(&refs, &dir.dir_layers)?.0;
        for child in children {
            names.push(child.name.clone());
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            visit(&display(&refs), &child);
            if child.metadata.is_dir() {
                self.walk_dir(names, &child, visit)?;
            }
            names.pop();
        }
        Ok(())
    }

    /// Opens the regular file at `path` for reading (no symlink is followed).
    pub fn open(&self, path: &str) -> Result<File> {
        let found = self.try_lookup(path)?.ok_or_else(|| UnionError::NotFound {
            path: path.to_string(),
        })?;
        if found.metadata.is_dir() {
            return Err(UnionError::IsADirectory {
                path: path.to_string(),
            });
        }
        File::open(&found.host_path).map_err(|source| UnionError::Io {
            path: found.host_path.clone(),
            source,
        })
    }

    /// Reads the whole regular file at `path`.
    pub fn read(&self, path: &str) -> Result<Vec<u8>> {
        let mut file = self.open(path)?;
        let mut out = Vec::new();
        io::Read::read_to_end(&mut file, &mut out).map_err(|source| UnionError::Io {
            path: PathBuf::from(path),
            source,
        })?;
        Ok(out)
    }

    /// Explains a path: which layer provides it (and which lower copies it shadows or merges
    /// with), or which whiteout, opaque marker or replacing entry hides it, or that no layer
    /// ever had it. `capas why` prints this.
    pub fn why(&self, path: &str) -> Result<Why> {
        let Some(names) = names(path) else {
            return Ok(Why::Never);
        };
        let trace = self.trace(&names)?;
        // Which layers have this exact path, each on its own (parents real directories)?
        let mut in_layers = Vec::new();
        for i in (0..self.layers.len()).rev() {
            if self.raw_entry(i, &names)?.is_some() {
                in_layers.push(i);
            }
        }
        let visible = if names.is_empty() {
            trace
                .root_layers
                .first()
                .map(|&i| (i, FileKind::Dir, trace.root_layers.clone()))
        } else if trace.steps.len() == names.len() {
            trace.steps.last().and_then(|s| {
                s.top
                    .as_ref()
                    .map(|(i, m)| (*i, kind_of(m), s.dirs.clone()))
            })
        } else {
            None
        };
        if let Some((layer, kind, merged)) = visible {
            let shadows = in_layers
                .iter()
                .filter(|&&i| i != layer && !merged.contains(&i))
                .map(|&i| self.layer_ref(i))
                .collect();
            let merged_with = merged
                .iter()
                .filter(|&&i| i != layer)
                .map(|&i| self.layer_ref(i))
                .collect();
            return Ok(Why::Visible {
                layer: self.layer_ref(layer),
                kind,
                merged_with,
                shadows,
            });
        }
        let Some(&topmost) = in_layers.first() else {
            return Ok(Why::Never);
        };
        // The topmost layer that has the path dropped out of the walk at some level: the
        // cut made at that level is the answer.
        let mut cut = None;
        if !trace.root_layers.contains(&topmost) {
            cut = trace.root_cut.clone();
        } else {
            for step in &trace.steps {
                let survives = step.dirs.contains(&topmost)
                    || step.top.as_ref().is_some_and(|(i, _)| *i == topmost);
                if step.considered.contains(&topmost) && !survives {
                    cut = step.cut.clone();
                    break;
                }
            }
        }
        let Some(cut) = cut else {
            // Unreachable with well-formed layers; say what is known rather than guess.
            return Ok(Why::Never);
        };
        let layer = self.layer_ref(cut.layer);
        let by = match cut.kind {
            CutKind::Whiteout => Hider::Whiteout {
                layer,
                marker: cut.path,
            },
            CutKind::Opaque => Hider::Opaque {
                layer,
                marker: cut.path,
            },
            CutKind::Replaced(kind) => Hider::Replaced {
                layer,
                path: cut.path,
                kind,
            },
        };
        debug_assert!(cut.below > topmost);
        Ok(Why::Hidden {
            in_layers: in_layers.iter().map(|&i| self.layer_ref(i)).collect(),
            by,
        })
    }

    /// The entry at `names` in layer `i` alone, if every parent there is a real directory.
    fn raw_entry(&self, i: usize, names: &[&str]) -> Result<Option<fs::Metadata>> {
        let mut path = self.layers[i].dir.clone();
        for (k, name) in names.iter().enumerate() {
            path.push(name);
            let Some(meta) = lstat(&path)? else {
                return Ok(None);
            };
            if k + 1 == names.len() {
                return Ok(Some(meta));
            }
            if !meta.is_dir() {
                return Ok(None);
            }
        }
        // The root: every layer has it.
        lstat(&path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three layers, bottom first, made from (path, content) lists: a path ending in `/` is a
    /// directory, content `None` with `@target` is a symlink.
    fn layers(spec: &[&[&str]]) -> (tempfile::TempDir, UnionView) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut dirs = Vec::new();
        for (i, entries) in spec.iter().enumerate() {
            let dir = tmp.path().join(format!("l{i}"));
            fs::create_dir_all(&dir).expect("layer dir");
            for e in *entries {
                if let Some(d) = e.strip_suffix('/') {
                    fs::create_dir_all(dir.join(d)).expect("dir");
                } else if let Some((link, target)) = e.split_once(" -> ") {
                    std::os::unix::fs::symlink(target, dir.join(link)).expect("symlink");
                } else {
                    if let Some(parent) = Path::new(e).parent() {
                        fs::create_dir_all(dir.join(parent)).expect("parent");
                    }
                    fs::write(dir.join(e), format!("{e} from layer {i}")).expect("file");
                }
            }
            dirs.push(dir);
        }
        (tmp, UnionView::new(dirs))
    }

    fn listing(view: &UnionView, path: &str) -> Vec<(String, usize)> {
        view.read_dir(path)
            .expect("read_dir")
            .into_iter()
            .map(|e| (e.name, e.layer_index))
            .collect()
    }

    #[test]
    fn whiteout_hides_lower_file() {
        let (_t, view) = layers(&[&["etc/motd", "etc/hostname"], &["etc/.wh.motd"]]);
        assert!(view.lookup("/etc/motd").is_none());
        assert_eq!(listing(&view, "/etc"), [("hostname".to_string(), 0)]);
        match view.why("/etc/motd").expect("why") {
            Why::Hidden {
                in_layers,
                by: Hider::Whiteout { layer, marker },
            } => {
                assert_eq!(in_layers.iter().map(|l| l.index).collect::<Vec<_>>(), [0]);
                assert_eq!(layer.index, 1);
                assert_eq!(marker, "/etc/.wh.motd");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn whiteout_does_not_hide_its_own_layer() {
        let (_t, view) = layers(&[&["a"], &["a", ".wh.a"]]);
        assert_eq!(view.lookup("/a").map(|f| f.layer_index), Some(1));
        assert_eq!(listing(&view, "/"), [("a".to_string(), 1)]);
    }

    #[test]
    fn opaque_dir_hides_lower_children() {
        let (_t, view) = layers(&[
            &["var/cache/old", "var/cache/sub/x", "var/keep"],
            &["var/cache/.wh..wh..opq", "var/cache/new"],
        ]);
        assert_eq!(listing(&view, "/var/cache"), [("new".to_string(), 1)]);
        assert!(view.lookup("/var/cache/old").is_none());
        assert!(view.lookup("/var/cache/sub/x").is_none());
        assert_eq!(view.lookup("/var/keep").map(|f| f.layer_index), Some(0));
        match view.why("/var/cache/sub/x").expect("why") {
            Why::Hidden {
                by: Hider::Opaque { layer, marker },
                ..
            } => {
                assert_eq!(layer.index, 1);
                assert_eq!(marker, "/var/cache/.wh..wh..opq");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn directories_merge_and_top_metadata_wins() {
        let (_t, view) = layers(&[&["d/a", "d/b"], &["d/b", "d/c"], &["d/"]]);
        assert_eq!(
            listing(&view, "/d"),
            [
                ("a".to_string(), 0),
                ("b".to_string(), 1),
                ("c".to_string(), 1)
            ]
        );
        let found = view.lookup("/d").expect("d");
        assert_eq!(found.layer_index, 2);
        assert_eq!(found.merged, [2, 1, 0]);
        match view.why("/d/b").expect("why") {
            Why::Visible { layer, shadows, .. } => {
                assert_eq!(layer.index, 1);
                assert_eq!(shadows.iter().map(|l| l.index).collect::<Vec<_>>(), [0]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_file_hides_a_lower_directory_and_a_directory_a_lower_file() {
        let (_t, view) = layers(&[&["x/inside", "y"], &["x", "y/new"]]);
        assert!(view.lookup("/x").is_some_and(|f| f.metadata.is_file()));
        assert!(view.lookup("/x/inside").is_none());
        assert_eq!(listing(&view, "/y"), [("new".to_string(), 1)]);
        match view.why("/x/inside").expect("why") {
            Why::Hidden {
                by: Hider::Replaced { layer, path, kind },
                ..
            } => {
                assert_eq!(
                    (layer.index, path.as_str(), kind),
                    (1, "/x", FileKind::File)
                );
            }
            other => panic!("{other:?}"),
        }
        match view.why("/y").expect("why") {
            Why::Visible { layer, shadows, .. } => {
                assert_eq!(layer.index, 1);
                assert_eq!(shadows.len(), 1);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn symlinks_are_not_followed_and_markers_never_shown() {
        let (_t, view) = layers(&[&["real/f", "link -> real", ".wh..wh..opq"]]);
        assert!(
            view.lookup("/link")
                .is_some_and(|f| f.metadata.file_type().is_symlink())
        );
        assert!(view.lookup("/link/f").is_none());
        assert!(view.lookup("/real/../real/f").is_none());
        assert_eq!(
            listing(&view, "/"),
            [("link".to_string(), 0), ("real".to_string(), 0)]
        );
        assert_eq!(view.read("/real/f").expect("read"), b"real/f from layer 0");
    }

    #[test]
    fn never_is_never() {
        let (_t, view) = layers(&[&["a"]]);
        assert_eq!(view.why("/nope").expect("why"), Why::Never);
        assert_eq!(view.why("/a/b").expect("why"), Why::Never);
    }

    #[test]
    fn walk_matches_lookups() {
        let (_t, view) = layers(&[
            &["a/b/c", "a/d", "e", "gone/x"],
            &["a/.wh.d", ".wh.gone", "a/b/.wh..wh..opq", "a/b/z"],
        ]);
        let mut seen = Vec::new();
        view.walk(&mut |path, entry| seen.push((path.to_string(), entry.layer_index)))
            .expect("walk");
        let expected = [("/a", 1), ("/a/b", 1), ("/a/b/z", 1), ("/e", 0)];
        let expected: Vec<(String, usize)> =
            expected.iter().map(|(p, i)| (p.to_string(), *i)).collect();
        assert_eq!(seen, expected);
        for (path, layer) in &seen {
            assert_eq!(
                view.lookup(path).map(|f| f.layer_index),
                Some(*layer),
                "{path}"
            );
        }
    }
}
