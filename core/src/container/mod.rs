//! Containers: an image plus one read/write layer of its own (course section 2.5).
//!
//! An image's layers never change. A container gets a new, empty directory on top of them,
//! its **upper** (read/write) layer, and sees the union of all of them
//! ([`crate::union`]). Every change the container makes lands in the upper layer:
//!
//! | the container does | what happens in `upper/` (OCI form) |
//! | --- | --- |
//! | writes, chmods, touches or hard-links a file of a lower layer | **copy-up**: the whole file is copied to `upper/` first (its parent directories too), then changed |
//! | creates a file or directory | it is created in `upper/` |
//! | deletes something a lower layer has | a **whiteout** `.wh.<name>` is left in `upper/` |
//! | deletes something only `upper/` has | it is simply removed |
//! | `rm -r d` then `mkdir d` | `d/` with an **opaque marker** `d/.wh..wh..opq`: the old contents stay hidden |
//! | renames a lower directory | the whole tree is copied to the new name, the old one whited out |
//!
//! This is exactly what Docker's overlay2 driver makes the kernel do (overlayfs mounted without
//! `redirect_dir` and `metacopy`, as Docker mounts it), written in the spelling of the OCI
//! image spec: the upper directory *is* a layer already, so `commit` only has to tar it.
//!
//! On disk, in the store:
//!
//! ```text
//! containers/<id>/config.json     id, name, image, its layers, created, Cmd, state
//! containers/<id>/upper/          the read/write layer, in OCI form
//! containers/<id>/copy-ups.json   every copy-up: path, the layer it came from, bytes copied
//! ```
//!
//! `rm` deletes that directory: the read/write layer, and every change in it, is gone. That
//! is why data a container must keep goes to a volume, or into a new image with `commit`.
//!
//! A container implements [`shell::Fs`]: the small shell runs its
//! commands against it, so `echo hola > /etc/motd` really copies `/etc/motd` up.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use oci_spec::image::{Descriptor, MediaType};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::digest::{self, ChainId, DiffId, Digest, DigestError};
use crate::image::{self, Image, ImageError, OCI_LAYER_TAR};
use crate::layer::{self, LayerError, OPAQUE_MARKER, TarOptions, WHITEOUT_PREFIX};
use crate::reference::Reference;
use crate::shell::{self, FileKind, Stat};
use crate::store::{ImageRecord, Locked, Store, StoreError};
use crate::union::{self, Entry, Found, UnionError, UnionLayer, UnionView, Why};

/// Errors about containers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContainerError {
    /// No container has that ID, name or ID prefix (Docker's words).
    #[error("No such container: {name}")]
    NotFound {
        /// What the user typed.
        name: String,
    },
    /// An ID prefix matches several containers.
    #[error("multiple IDs found with provided prefix: {prefix}")]
    Ambiguous {
        /// The prefix typed.
        prefix: String,
    },
    /// `create --name` with a name another container has (Docker's words).
    #[error(
        "Conflict. The container name \"/{name}\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name."
    )]
    NameInUse {
        /// The name.
        name: String,
        /// The container that has it.
        id: String,
    },
    /// A name with characters Docker does not allow.
    #[error("Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")]
    InvalidName {
        /// The name.
        name: String,
    },
    /// `commit --change` with an instruction that commit does not accept, such as `RUN`
    /// (Docker prints the instruction in lower case, as its Dockerfile parser reads it).
    #[error("{command} is not a valid change command")]
    InvalidChange {
        /// The instruction, lower case.
        command: String,
    },
    /// `commit --change` with an accepted instruction whose arguments are wrong.
    #[error("invalid change {change:?}: {reason}")]
    BadChange {
        /// The change as given.
        change: String,
        /// What is wrong.
        reason: String,
    },
    /// A container's files could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What capas was doing.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// A container's `config.json` or `copy-ups.json`, or an image config, is not valid JSON.
    #[error("{what} is not valid: {source}")]
    Json {
        /// Which document.
        what: String,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// The store refused something.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The container's image could not be read.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// The union view could not be built or read (a missing layer).
    #[error(transparent)]
    Union(#[from] UnionError),
    /// The read/write layer could not be turned into a tar.
    #[error(transparent)]
    Layer(#[from] LayerError),
}

/// Shorthand for results of this module.
pub type Result<T, E = ContainerError> = std::result::Result<T, E>;

fn io_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> ContainerError + 'a {
    move |source| ContainerError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The life of a container. capas runs commands to the end, so there is no `running`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Made by `create`, nothing run yet.
    Created,
    /// Its command ran and ended.
    Exited,
}

/// State, as `docker inspect` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct State {
    /// `created` or `exited`.
    pub status: Status,
    /// The exit code of its command (0 until it ran).
    pub exit_code: i32,
}

/// What `containers/<id>/config.json` holds (Docker's field names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    /// 64 hex characters; Docker shows the first 12.
    pub id: String,
    /// The name (`/name` in Docker's API, shown without the slash).
    pub name: String,
    /// The image it was created from (its ID).
    pub image: Digest,
    /// The image's layers, bottom first, by chain ID: the container keeps working even if
    /// the image's name is moved or removed, as in Docker.
    pub layers: Vec<ChainId>,
    /// When it was created, Unix seconds (given by the caller: core never reads the clock).
    pub created: i64,
    /// The image's `Entrypoint`, run with `cmd` as its arguments, when the container was made
    /// without a command of its own (see [`Container::create`]). Empty otherwise, and in
    /// containers capas made before it kept the two apart (their `cmd` is the whole command).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    /// Docker's `Cmd`: the command given to `create`/`run`, or the image's `Cmd`. `docker
    /// commit` joins it into `created_by`.
    pub cmd: Vec<String>,
    /// created / exited, and the exit code.
    pub state: State,
}

impl ContainerConfig {
    /// What runs: the entrypoint, then `cmd` (`docker ps`'s COMMAND).
    pub fn argv(&self) -> Vec<String> {
        self.entrypoint.iter().chain(&self.cmd).cloned().collect()
    }

    /// The 12-character ID that Docker prints.
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(12)]
    }
}

/// One copy-up: a file of a lower layer copied whole into the read/write layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyUp {
    /// The path in the container (`/etc/motd`).
    pub path: String,
    /// The layer the file came from (its chain ID).
    pub layer: String,
    /// Bytes copied.
    pub bytes: u64,
}

/// What changed, as `docker diff` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ChangeKind {
    /// `C`: in both the image and the container, with a different mode, owner, size or
    /// mtime, or a directory that contains a change.
    Modified,
    /// `A`: only in the container.
    Added,
    /// `D`: only in the image.
    Deleted,
}

impl ChangeKind {
    /// The letter `docker diff` prints.
    pub fn letter(self) -> char {
        match self {
            ChangeKind::Modified => 'C',
            ChangeKind::Added => 'A',
            ChangeKind::Deleted => 'D',
        }
    }

    /// The number in Docker's API (`Kind`: 0 modified, 1 added, 2 deleted).
    pub fn api_kind(self) -> u8 {
        match self {
            ChangeKind::Modified => 0,
            ChangeKind::Added => 1,
            ChangeKind::Deleted => 2,
        }
    }
}

/// One line of `docker diff`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Change {
    /// A, C or D.
    pub kind: ChangeKind,
    /// The path in the container.
    pub path: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.letter(), self.path)
    }
}

/// What `commit` is told (`docker commit -m … -a … -c … CONTAINER REPO:TAG`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitOptions {
    /// `-m`: the history row's comment.
    pub message: Option<String>,
    /// `-a`: the image's and the history row's author.
    pub author: Option<String>,
    /// `-c`: Dockerfile instructions applied to the config (`CMD ["sh"]`, `ENV A=b`, …).
    pub changes: Vec<String>,
    /// When, Unix seconds.
    pub created: i64,
    /// Names for the new image.
    pub tags: Vec<Reference>,
}

/// A container: its config, its read/write layer, and the union view of both.
///
/// Not `Clone`: two copies would each keep their own copy-up log and overwrite each other's
/// `copy-ups.json`. Open it again with [`Container::open`] instead.
#[derive(Debug)]
pub struct Container {
    dir: PathBuf,
    config: ContainerConfig,
    /// The image's layers alone: what `diff` compares with.
    image_view: UnionView,
    /// The image's layers with `upper/` on top: what the container sees.
    view: UnionView,
    copy_ups: Vec<CopyUp>,
    /// The time writes get (see [`Container::set_clock`]); `None`: the kernel's.
    now: Option<SystemTime>,
}

/// The label of the read/write layer in explanations.
pub const UPPER_LABEL: &str = "container layer (read/write)";

/// Symlinks followed in one lookup before giving up, as Linux's `MAXSYMLINKS`.
const MAX_SYMLINKS: usize = 40;

fn containers_dir(store: &Store) -> PathBuf {
    store.layout().containers()
}

fn read_config(dir: &Path) -> Result<ContainerConfig> {
    let path = dir.join("config.json");
    let bytes = fs::read(&path).map_err(io_err("reading", &path))?;
    serde_json::from_slice(&bytes).map_err(|source| ContainerError::Json {
        what: path.display().to_string(),
        source,
    })
}

/// Writes a JSON file by temp + rename, so a reader sees the old or the new one.
fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|source| ContainerError::Json {
        what: path.display().to_string(),
        source,
    })?;
    let tmp = path.with_extension("json.tmp");
    fs::write(&tmp, bytes).map_err(io_err("writing", &tmp))?;
    fs::rename(&tmp, path).map_err(io_err("writing", path))
}

/// Every container of the store, newest first (as `docker ps -a` lists them).
pub fn list(store: &Store) -> Result<Vec<ContainerConfig>> {
    let dir = containers_dir(store);
    let mut out = Vec::new();
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io_err("listing", &dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io_err("listing", &dir))?;
        // A directory without config.json is a create that did not finish: not a container.
        let is_container = entry
            .file_name()
            .to_str()
            .is_some_and(|n| Digest::parse(n).is_ok())
            && entry.path().join("config.json").is_file();
        if is_container {
            out.push(read_config(&entry.path())?);
        }
    }
    out.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

/// Finds a container the way Docker does: a full ID, then a name, then an ID prefix.
fn find(store: &Store, text: &str) -> Result<ContainerConfig> {
    let all = list(store)?;
    let not_found = || ContainerError::NotFound {
        name: text.to_string(),
    };
    if text.is_empty() {
        return Err(not_found());
    }
    if let Some(c) = all.iter().find(|c| c.id == text) {
        return Ok(c.clone());
    }
    let name = text.strip_prefix('/').unwrap_or(text);
    if let Some(c) = all.iter().find(|c| c.name == name) {
        return Ok(c.clone());
    }
    let ids: Vec<Digest> = all
        .iter()
        .filter_map(|c| Digest::parse(&c.id).ok())
        .collect();
    match digest::resolve_prefix(&ids, text) {
        Ok(Some(id)) => all
            .into_iter()
            .find(|c| c.id == id.hex())
            .ok_or_else(not_found),
        Ok(None) => Err(not_found()),
        Err(DigestError::Ambiguous { prefix }) => Err(ContainerError::Ambiguous { prefix }),
        Err(_) => Err(not_found()),
    }
}

/// Deletes what an interrupted `create` or `rm` left in `containers/`: a `.removing-*`
/// directory, or a container directory without `config.json`. Only called with the store
/// locked, so no other process is in the middle of either.
fn sweep(locked: &Locked<'_>) -> Result<()> {
    let dir = containers_dir(locked);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry.map_err(io_err("listing", &dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let half_made = Digest::parse(&name).is_ok() && !entry.path().join("config.json").exists();
        if name.starts_with(".removing-") || half_made {
            remove_tree(&entry.path()).map_err(io_err("removing", &entry.path()))?;
        }
    }
    Ok(())
}

/// Removes a container (`docker rm`): its directory goes, and with it the read/write layer and
/// every change the container made. The image is untouched. Returns what was removed.
pub fn remove(locked: &Locked<'_>, id_or_name: &str) -> Result<ContainerConfig> {
    let config = find(locked, id_or_name)?;
    sweep(locked)?;
    let dir = containers_dir(locked).join(&config.id);
    // Renamed away first: a crash in the middle never leaves half a container under its ID.
    let doomed = containers_dir(locked).join(format!(".removing-{}", config.id));
    fs::rename(&dir, &doomed).map_err(io_err("removing", &dir))?;
    remove_tree(&doomed).map_err(io_err("removing", &doomed))?;
    Ok(config)
}

/// `rm -rf` that also works on read-only directories (a copied-up `0555` directory).
fn remove_tree(path: &Path) -> io::Result<()> {
    for entry in walkdir::WalkDir::new(path).into_iter().flatten() {
        if entry.file_type().is_dir() {
            let _ = fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o755));
        }
    }
    fs::remove_dir_all(path)
}

/// Docker's rule for names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// A few of the adjectives of Docker's name generator (`pkg/namesgenerator`).
const ADJECTIVES: &[&str] = &[
    "admiring",
    "adoring",
    "affectionate",
    "agitated",
    "amazing",
    "angry",
    "awesome",
    "blissful",
    "bold",
    "boring",
    "brave",
    "busy",
    "charming",
    "clever",
    "compassionate",
    "competent",
    "confident",
    "cool",
    "cranky",
    "dazzling",
    "determined",
    "distracted",
    "dreamy",
    "eager",
    "ecstatic",
    "elastic",
    "elated",
    "elegant",
    "eloquent",
    "epic",
    "exciting",
    "fervent",
    "festive",
    "focused",
    "friendly",
    "frosty",
    "funny",
    "gallant",
    "gifted",
    "goofy",
    "gracious",
    "great",
    "happy",
    "hardcore",
    "heuristic",
    "hopeful",
    "hungry",
    "inspiring",
    "intelligent",
    "jolly",
    "jovial",
    "keen",
    "kind",
    "laughing",
    "loving",
    "lucid",
    "magical",
    "modest",
    "musing",
    "nice",
    "nifty",
    "nostalgic",
    "objective",
    "optimistic",
    "peaceful",
    "pensive",
    "practical",
    "priceless",
    "quirky",
    "relaxed",
    "romantic",
    "serene",
    "sharp",
    "silly",
    "sleepy",
    "stoic",
    "strange",
    "sweet",
    "tender",
    "trusting",
    "upbeat",
    "vibrant",
    "vigilant",
    "wizardly",
    "wonderful",
    "youthful",
    "zealous",
    "zen",
];

/// A few of the scientists and hackers of Docker's name generator.
const SURNAMES: &[&str] = &[
    "albattani",
    "allen",
    "archimedes",
    "babbage",
    "banach",
    "bardeen",
    "bartik",
    "bell",
    "bhabha",
    "blackwell",
    "bohr",
    "booth",
    "bose",
    "brahmagupta",
    "brattain",
    "burnell",
    "cannon",
    "carson",
    "chandrasekhar",
    "clarke",
    "curie",
    "darwin",
    "diffie",
    "dijkstra",
    "easley",
    "einstein",
    "elion",
    "engelbart",
    "euclid",
    "euler",
    "faraday",
    "fermat",
    "fermi",
    "feynman",
    "franklin",
    "galileo",
    "goldberg",
    "goldwasser",
    "goodall",
    "hamilton",
    "hawking",
    "heisenberg",
    "hodgkin",
    "hopper",
    "hypatia",
    "jackson",
    "jennings",
    "johnson",
    "kalam",
    "keller",
    "kepler",
    "khorana",
    "knuth",
    "kowalevski",
    "lamarr",
    "lamport",
    "leakey",
    "leavitt",
    "liskov",
    "lovelace",
    "lumiere",
    "mayer",
    "mccarthy",
    "mcclintock",
    "meitner",
    "mirzakhani",
    "montalcini",
    "moore",
    "napier",
    "nash",
    "neumann",
    "newton",
    "nightingale",
    "noether",
    "noyce",
    "panini",
    "pasteur",
    "payne",
    "perlman",
    "pike",
    "poincare",
    "ptolemy",
    "raman",
    "ramanujan",
    "ride",
    "ritchie",
    "rubin",
    "shannon",
    "shaw",
    "shockley",
    "sinoussi",
    "swartz",
    "tesla",
    "thompson",
    "torvalds",
    "turing",
    "wiles",
    "williams",
    "wilson",
    "wing",
    "wozniak",
    "wright",
    "yalow",
    "yonath",
];

/// A Docker-style name (`adjective_surname`), chosen from `seed`, so the same store history
/// gives the same names. Docker skips one combination, and so does capas.
fn generated_name(seed: &Digest) -> String {
    let hex = seed.hex();
    let pick = |range: std::ops::Range<usize>, len: usize| {
        usize::from_str_radix(&hex[range], 16).map_or(0, |n| n % len)
    };
    let mut name = format!(
        "{}_{}",
        ADJECTIVES[pick(0..8, ADJECTIVES.len())],
        SURNAMES[pick(8..16, SURNAMES.len())]
    );
    if name == "boring_wozniak" {
        // "Steve Wozniak is not boring" (Docker's namesgenerator).
        name = "amazing_wozniak".to_string();
    }
    name
}

/// An `io::Error` of `kind` whose text names the path, as a shell prints it.
fn fs_err(kind: io::ErrorKind, path: &str, what: &str) -> io::Error {
    io::Error::new(kind, format!("{path}: {what}"))
}

fn not_found(path: &str) -> io::Error {
    fs_err(io::ErrorKind::NotFound, path, "no such file or directory")
}

fn refs(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

fn container_path(names: &[String]) -> String {
    if names.is_empty() {
        "/".to_string()
    } else {
        names.iter().map(|n| format!("/{n}")).collect()
    }
}

fn time_of(unix: i64) -> SystemTime {
    if unix >= 0 {
        SystemTime::UNIX_EPOCH + Duration::from_secs(unix.unsigned_abs())
    } else {
        SystemTime::UNIX_EPOCH - Duration::from_secs(unix.unsigned_abs())
    }
}

fn mtime_of(meta: &fs::Metadata) -> SystemTime {
    meta.modified().unwrap_or_else(|_| time_of(meta.mtime()))
}

/// Sets a file's or directory's mtime (`File::set_modified` works on a read-only handle).
fn set_mtime_on(path: &Path, time: SystemTime) -> io::Result<()> {
    File::open(path)?.set_modified(time)
}

/// Gives the copy the original's owner. Only root may; anyone else keeps their own, as a
/// rootless container engine does.
fn copy_owner(path: &Path, meta: &fs::Metadata) -> io::Result<()> {
    match std::os::unix::fs::lchown(path, Some(meta.uid()), Some(meta.gid())) {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(()),
        other => other,
    }
}

/// Runs `f` with owner write (and, for a directory, search) permission on `path`, restoring
/// the mode afterwards. A container's processes run as root, who may write anything; capas
/// may run as a plain user, who may not write into a copied-up `0555` directory or `0444`
/// file without this.
fn with_write_access<T>(path: &Path, f: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
    let meta = fs::symlink_metadata(path)?;
    let need = if meta.is_dir() { 0o700 } else { 0o600 };
    let mode = meta.mode() & 0o7777;
    if meta.file_type().is_symlink() || mode & need == need {
        return f();
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode | need))?;
    let result = f();
    fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    result
}

/// The parent directory of a path in a layer.
fn parent_of(path: &Path) -> &Path {
    path.parent().unwrap_or(path)
}

fn stat_of(found_meta: &fs::Metadata, host: &Path) -> Stat {
    let kind = union::kind_of(found_meta);
    Stat {
        kind,
        mode: found_meta.mode() & 0o7777,
        size: found_meta.len(),
        uid: found_meta.uid(),
        gid: found_meta.gid(),
        mtime: found_meta.mtime(),
        nlink: found_meta.nlink(),
        link_target: if kind == FileKind::Symlink {
            fs::read_link(host)
                .ok()
                .map(|t| t.to_string_lossy().into_owned())
        } else {
            None
        },
    }
}

/// Docker's `statDifferent` (`go-archive/changes_unix.go`): mode (type included), owner and
/// device number, and for anything but a directory the size and the mtime. A directory's
/// size and mtime change whenever a child does and are not a good measure of change.
fn stat_different(old: &fs::Metadata, new: &fs::Metadata) -> bool {
    if old.mode() != new.mode()
        || old.uid() != new.uid()
        || old.gid() != new.gid()
        || old.rdev() != new.rdev()
    {
        return true;
    }
    if old.is_dir() {
        return false;
    }
    // Same second, and the same nanoseconds unless one side has none (a file system or a
    // tar that keeps whole seconds only): Docker's sameFsTimeSpec.
    let same_time = old.mtime() == new.mtime()
        && (old.mtime_nsec() == new.mtime_nsec() || old.mtime_nsec() == 0 || new.mtime_nsec() == 0);
    !same_time || old.len() != new.len()
}

impl Container {
    /// Creates a container from `image` (`docker create`): a new, empty read/write layer on
    /// top of the image's layers. `name` is generated Docker-style when not given; `cmd`
    /// empty means the image's own `Entrypoint` + `Cmd`; a command given runs without the
    /// image's entrypoint (Docker runs it as the entrypoint's arguments: a difference,
    /// explained in the body); `created` is Unix seconds.
    ///
    /// The ID is the SHA-256 of the image ID, the name, the time and a counter, so the same
    /// store history gives the same IDs and names.
    pub fn create(
        locked: &Locked<'_>,
        image: &Image,
        name: Option<&str>,
        cmd: &[String],
        created: i64,
    ) -> Result<Container> {
        sweep(locked)?;
        let existing = list(locked)?;
        let image_view = UnionView::of_image(locked, image)?;
        let taken = |n: &str| existing.iter().find(|c| c.name == n).map(|c| c.id.clone());
        let mut nonce = existing.len();
        let name = match name {
            Some(n) => {
                let n = n.strip_prefix('/').unwrap_or(n);
                if !valid_name(n) {
                    return Err(ContainerError::InvalidName {
                        name: n.to_string(),
                    });
                }
                if let Some(id) = taken(n) {
                    return Err(ContainerError::NameInUse {
                        name: n.to_string(),
                        id,
                    });
                }
                n.to_string()
            }
            None => loop {
                let seed =
                    Digest::of_bytes(format!("name {} {created} {nonce}", image.id()).as_bytes());
                let candidate = generated_name(&seed);
                if taken(&candidate).is_none() {
                    break candidate;
                }
                nonce += 1;
            },
        };
        let root = containers_dir(locked);
        fs::create_dir_all(&root).map_err(io_err("creating", &root))?;
        let id = loop {
            let id =
                Digest::of_bytes(format!("{} {name} {created} {nonce}", image.id()).as_bytes());
            if !root.join(id.hex()).exists() {
                break id.hex().to_string();
            }
            nonce += 1;
        };
        // `cmd` is Docker's `Cmd`: the command given, or else the image's. Docker runs the
        // image's entrypoint before it in both cases; capas only when no command is given.
        // Entrypoints are scripts (nginx's `/docker-entrypoint.sh`) that the capas shell
        // cannot run; theirs end in `exec "$@"`, so running the command itself gives what
        // Docker shows.
        let run_config = image.config().config();
        let (entrypoint, cmd) = if cmd.is_empty() {
            (
                run_config
                    .as_ref()
                    .and_then(|c| c.entrypoint().clone())
                    .unwrap_or_default(),
                run_config
                    .as_ref()
                    .and_then(|c| c.cmd().clone())
                    .unwrap_or_default(),
            )
        } else {
            (Vec::new(), cmd.to_vec())
        };
        let config = ContainerConfig {
            id: id.clone(),
            name,
            image: image.id().clone(),
            layers: image.layers().iter().map(|l| l.chain_id.clone()).collect(),
            created,
            entrypoint,
            cmd,
            state: State {
                status: Status::Created,
                exit_code: 0,
            },
        };
        let dir = root.join(&id);
        let upper = dir.join("upper");
        fs::create_dir_all(&upper).map_err(io_err("creating", &upper))?;
        // The container's root directory looks like the image's.
        if let Some(found) = image_view.try_lookup("/")? {
            let mode = found.metadata.mode() & 0o7777;
            fs::set_permissions(&upper, fs::Permissions::from_mode(mode))
                .map_err(io_err("creating", &upper))?;
            // And its time: the same store gives the same `ls -l /`, whenever it runs.
            if let Ok(time) = found.metadata.modified() {
                set_mtime_on(&upper, time).map_err(io_err("creating", &upper))?;
            }
        }
        write_json(&dir.join("copy-ups.json"), &Vec::<CopyUp>::new())?;
        // config.json last: until it exists, the directory is not a container.
        write_json(&dir.join("config.json"), &config)?;
        Container::load_with_store(locked, dir, config)
    }

    /// Opens a container by full ID, name or ID prefix (`No such container: X` otherwise).
    pub fn open(store: &Store, id_or_name: &str) -> Result<Container> {
        let config = find(store, id_or_name)?;
        let dir = containers_dir(store).join(&config.id);
        let copy_ups_path = dir.join("copy-ups.json");
        let mut container = Container::load_with_store(store, dir, config)?;
        let bytes = fs::read(&copy_ups_path).map_err(io_err("reading", &copy_ups_path))?;
        container.copy_ups =
            serde_json::from_slice(&bytes).map_err(|source| ContainerError::Json {
                what: copy_ups_path.display().to_string(),
                source,
            })?;
        Ok(container)
    }

    fn load_with_store(store: &Store, dir: PathBuf, config: ContainerConfig) -> Result<Container> {
        let mut layers = Vec::with_capacity(config.layers.len());
        for chain_id in &config.layers {
            if !store.has_layer(chain_id) {
                return Err(UnionError::MissingLayer {
                    chain_id: chain_id.clone(),
                }
                .into());
            }
            layers.push(UnionLayer {
                dir: store.layer_diff_dir(chain_id),
                label: chain_id.to_string(),
            });
        }
        let image_view = UnionView::from_layers(layers);
        let view = image_view.clone().with_top(UnionLayer {
            dir: dir.join("upper"),
            label: UPPER_LABEL.to_string(),
        });
        Ok(Container {
            dir,
            config,
            image_view,
            view,
            copy_ups: Vec::new(),
            now: None,
        })
    }

    /// Sets the clock of the container's writes: from now on every file it creates and every
    /// directory whose entries change gets this time (Unix seconds), as the kernel would give
    /// them "now". Without it the host's clock is used; with it, the same commands give the
    /// same `ls -l`.
    pub fn set_clock(&mut self, now: i64) {
        self.now = Some(time_of(now));
    }

    /// [`with_write_access`] on a directory (or file) the container is changing, then the
    /// container's clock on it.
    /// Opens the file `path` for writing (copied up first if it lives in a lower layer;
    /// created `0o644` if missing; truncated unless `append`) and lets `fill` write it.
    fn write_with(
        &mut self,
        path: &str,
        append: bool,
        fill: impl FnOnce(&mut File) -> io::Result<()>,
    ) -> io::Result<()> {
        let names = self.resolve(path, true)?;
        match self.lookup(&names)? {
            Some(found) => {
                match union::kind_of(&found.metadata) {
                    FileKind::Dir => {
                        return Err(fs_err(io::ErrorKind::IsADirectory, path, "is a directory"));
                    }
                    FileKind::File => {}
                    _ => {
                        return Err(fs_err(
                            io::ErrorKind::PermissionDenied,
                            path,
                            "not a regular file",
                        ));
                    }
                }
                // copy-up: the file moves to the read/write layer before its first change.
                self.copy_up(&names)?;
                let up = self.upper_path(&names);
                self.changing(&up, || {
                    let mut file = OpenOptions::new()
                        .write(true)
                        .append(append)
                        .truncate(!append)
                        .open(&up)?;
                    fill(&mut file)
                })
            }
            None => {
                self.create_entry(&names, path, |p| {
                    let mut file = OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .mode(0o644)
                        .open(p)?;
                    // Exactly 0644 whatever the umask, as in a container (umask 022).
                    file.set_permissions(fs::Permissions::from_mode(0o644))?;
                    fill(&mut file)
                })?;
                Ok(())
            }
        }
    }

    fn changing<T>(&self, path: &Path, f: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
        let result = with_write_access(path, f)?;
        if let Some(now) = self.now {
            set_mtime_on(path, now)?;
        }
        Ok(result)
    }

    /// The full ID (64 hex).
    pub fn id(&self) -> &str {
        &self.config.id
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// Everything `config.json` holds.
    pub fn config(&self) -> &ContainerConfig {
        &self.config
    }

    /// The read/write layer's directory (`containers/<id>/upper`).
    pub fn upper_dir(&self) -> PathBuf {
        self.dir.join("upper")
    }

    /// What the container sees: the image's layers with the read/write layer on top.
    pub fn view(&self) -> &UnionView {
        &self.view
    }

    /// The image's layers alone, as the container started.
    pub fn image_view(&self) -> &UnionView {
        &self.image_view
    }

    /// Every copy-up so far, in order.
    pub fn copy_ups(&self) -> &[CopyUp] {
        &self.copy_ups
    }

    /// Which layer provides `path` in this container, or what hides it (`capas why`). The
    /// path is taken literally (symlinks are not followed).
    pub fn why(&self, path: &str) -> Result<Why> {
        Ok(self.view.why(path)?)
    }

    /// Records that the container's command ended with `exit_code`.
    pub fn set_exited(&mut self, exit_code: i32) -> Result<()> {
        self.config.state = State {
            status: Status::Exited,
            exit_code,
        };
        write_json(&self.dir.join("config.json"), &self.config)
    }

    fn upper_index(&self) -> usize {
        self.view.layers().len() - 1
    }

    fn upper_path(&self, names: &[String]) -> PathBuf {
        let mut p = self.upper_dir();
        p.extend(names);
        p
    }

    fn lookup(&self, names: &[String]) -> io::Result<Option<Found>> {
        Ok(self.view.lookup_names(&refs(names))?)
    }

    fn lookup_existing(&self, names: &[String], path: &str) -> io::Result<Found> {
        self.lookup(names)?.ok_or_else(|| not_found(path))
    }

    // -----------------------------------------------------------------------------------------
    // Paths: resolved inside the container, never outside it
    // -----------------------------------------------------------------------------------------

    /// Resolves a container path to its names, following symlinks inside the container (an
    /// absolute target starts again at the container's root) and the last name too if
    /// `follow_last`. Every parent of the result is a directory; the last name may not exist.
    ///
    /// A path that would leave the root, through `..` or a symlink, is refused: unlike
    /// Linux, which stops `..` at `/`, capas tells the student that the path tried to escape.
    fn resolve(&self, path: &str, follow_last: bool) -> io::Result<Vec<String>> {
        let mut todo: VecDeque<String> = path
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .map(str::to_string)
            .collect();
        let mut names: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(name) = todo.pop_front() {
            if name == ".." {
                if names.pop().is_none() {
                    return Err(fs_err(
                        io::ErrorKind::PermissionDenied,
                        path,
                        "path escapes the container's root",
                    ));
                }
                continue;
            }
            names.push(name);
            let last = todo.is_empty();
            let Some(found) = self.lookup(&names)? else {
                if last {
                    return Ok(names);
                }
                return Err(not_found(path));
            };
            let file_type = found.metadata.file_type();
            if file_type.is_symlink() && (!last || follow_last) {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(fs_err(
                        io::ErrorKind::InvalidInput,
                        path,
                        "too many levels of symbolic links",
                    ));
                }
                let target = fs::read_link(&found.host_path)?;
                let target = target.to_string_lossy();
                if target.is_empty() {
                    return Err(not_found(path));
                }
                names.pop();
                if target.starts_with('/') {
                    // An absolute target is relative to the container's root, never the host's.
                    names.clear();
                }
                for part in target.split('/').rev() {
                    if !part.is_empty() && part != "." {
                        todo.push_front(part.to_string());
                    }
                }
            } else if !last && !file_type.is_dir() {
                return Err(fs_err(
                    io::ErrorKind::NotADirectory,
                    path,
                    "not a directory",
                ));
            }
        }
        Ok(names)
    }

    // -----------------------------------------------------------------------------------------
    // Copy-up: lower layers are never written
    // -----------------------------------------------------------------------------------------

    /// Makes every parent of `names` a real directory in the upper layer, copying each lower
    /// directory's mode, owner and mtime (not its contents: directories merge).
    fn copy_up_parents(&mut self, names: &[String]) -> io::Result<()> {
        for k in 1..names.len() {
            self.copy_up_dir(&names[..k])?;
        }
        Ok(())
    }

    fn copy_up_dir(&mut self, names: &[String]) -> io::Result<()> {
        let up = self.upper_path(names);
        if fs::symlink_metadata(&up).is_ok_and(|m| m.is_dir()) {
            return Ok(());
        }
        let path = container_path(names);
        let found = self.lookup_existing(names, &path)?;
        if !found.metadata.is_dir() {
            return Err(fs_err(
                io::ErrorKind::NotADirectory,
                &path,
                "not a directory",
            ));
        }
        self.changing(parent_of(&up), || fs::create_dir(&up))?;
        fs::set_permissions(
            &up,
            fs::Permissions::from_mode(found.metadata.mode() & 0o7777),
        )?;
        copy_owner(&up, &found.metadata)?;
        set_mtime_on(&up, mtime_of(&found.metadata))
    }

    /// Copies `names` up from the lower layer that provides it, unless the upper layer has it
    /// already. A file is copied whole (overlayfs does the same, whatever its size, and Docker
    /// does not enable `metacopy`), keeping its mode, owner and mtime, and the copy is logged.
    fn copy_up(&mut self, names: &[String]) -> io::Result<()> {
        let path = container_path(names);
        let found = self.lookup_existing(names, &path)?;
        if found.layer_index == self.upper_index() {
            return Ok(());
        }
        // copy-up: parents first, then the entry itself; the lower layer is only read.
        self.copy_up_parents(names)?;
        let up = self.upper_path(names);
        let meta = &found.metadata;
        let kind = union::kind_of(meta);
        match kind {
            FileKind::Dir => return self.copy_up_dir(names),
            FileKind::File => {
                // std::fs::copy uses copy_file_range (a reflink where the file system has
                // them): no byte goes through user space.
                let bytes = self.changing(parent_of(&up), || fs::copy(&found.host_path, &up))?;
                copy_owner(&up, meta)?;
                set_mtime_on(&up, mtime_of(meta))?;
                let layer = self.view.layers()[found.layer_index].label.clone();
                self.log_copy_up(CopyUp { path, layer, bytes })?;
            }
            FileKind::Symlink => {
                let target = fs::read_link(&found.host_path)?;
                self.changing(parent_of(&up), || std::os::unix::fs::symlink(&target, &up))?;
                copy_owner(&up, meta)?;
            }
            FileKind::Other => {
                return Err(fs_err(
                    io::ErrorKind::Unsupported,
                    &path,
                    "device nodes and fifos cannot be copied up",
                ));
            }
        }
        Ok(())
    }

    fn log_copy_up(&mut self, entry: CopyUp) -> io::Result<()> {
        self.copy_ups.push(entry);
        write_json(&self.dir.join("copy-ups.json"), &self.copy_ups).map_err(io::Error::other)
    }

    // -----------------------------------------------------------------------------------------
    // Creating and deleting in the upper layer
    // -----------------------------------------------------------------------------------------

    /// Creates a new entry at `names` (which the view does not show) with `make`. If the
    /// upper layer has a whiteout for that name, it goes: the new entry hides the lower one
    /// by itself. Returns whether there was a whiteout (a new directory then must be opaque).
    fn create_entry(
        &mut self,
        names: &[String],
        path: &str,
        make: impl FnOnce(&Path) -> io::Result<()>,
    ) -> io::Result<bool> {
        let Some(name) = names.last() else {
            return Err(fs_err(io::ErrorKind::AlreadyExists, path, "file exists"));
        };
        if name.starts_with(WHITEOUT_PREFIX) {
            // The name would read as a whiteout once committed: overlayfs-based Docker would
            // silently turn it into a deletion. capas says no.
            return Err(fs_err(
                io::ErrorKind::InvalidInput,
                path,
                "names starting with .wh. are reserved for whiteouts",
            ));
        }
        self.copy_up_parents(names)?;
        let up = self.upper_path(names);
        let parent = parent_of(&up).to_path_buf();
        let whiteout = parent.join(format!("{WHITEOUT_PREFIX}{name}"));
        self.changing(&parent, || {
            let had_whiteout = match fs::remove_file(&whiteout) {
                Ok(()) => true,
                Err(e) if e.kind() == io::ErrorKind::NotFound => false,
                Err(e) => return Err(e),
            };
            make(&up)?;
            Ok(had_whiteout)
        })
        .and_then(|had_whiteout| {
            // A new entry is born "now"; a new hard link is an old file under a new name,
            // and link(2) leaves its time alone.
            let meta = fs::symlink_metadata(&up)?;
            if let Some(now) = self.now.filter(|_| meta.is_dir() || meta.nlink() == 1) {
                if meta.file_type().is_symlink() {
                    let t = filetime::FileTime::from_system_time(now);
                    filetime::set_symlink_file_times(&up, t, t)?;
                } else {
                    set_mtime_on(&up, now)?;
                }
            }
            Ok(had_whiteout)
        })
    }

    /// Puts the opaque marker in upper directory `names`: an empty file with the directory's
    /// permission bits and mtime 0, as Docker writes it in a layer.
    fn make_opaque(&self, names: &[String]) -> io::Result<()> {
        let dir = self.upper_path(names);
        let mode = fs::symlink_metadata(&dir)?.mode() & 0o777;
        let marker = dir.join(OPAQUE_MARKER);
        self.changing(&dir, || {
            let file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(mode)
                .open(&marker)?;
            file.set_permissions(fs::Permissions::from_mode(mode))?;
            file.set_modified(SystemTime::UNIX_EPOCH)
        })
    }

    /// Deletes whatever the view shows at `names`: the upper layer's copy goes, and if a
    /// lower layer still shows through, a whiteout hides it.
    fn delete_entry(&mut self, names: &[String]) -> io::Result<()> {
        let up = self.upper_path(names);
        if let Ok(meta) = fs::symlink_metadata(&up) {
            self.changing(parent_of(&up), || {
                if meta.is_dir() {
                    // Only markers can be left inside: the directory is empty in the view.
                    remove_tree(&up)
                } else {
                    fs::remove_file(&up)
                }
            })?;
        }
        if self.lookup(names)?.is_some() {
            // whiteout: the lower layer keeps its file, the container stops seeing it.
            self.copy_up_parents(names)?;
            let Some(name) = names.last() else {
                return Ok(());
            };
            let parent = parent_of(&up).to_path_buf();
            let marker = parent.join(format!("{WHITEOUT_PREFIX}{name}"));
            let now = self.now;
            self.changing(&parent, || {
                let file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&marker)?;
                file.set_permissions(fs::Permissions::from_mode(0o600))?;
                // The deletion's time, as the whiteout device's would be.
                match now {
                    Some(t) => file.set_modified(t),
                    None => Ok(()),
                }
            })?;
        }
        Ok(())
    }

    /// Deletes `names` and everything below it, children first, as `rm -r` does.
    fn delete_tree(&mut self, names: &mut Vec<String>) -> io::Result<()> {
        let found = self.lookup_existing(names, &container_path(names))?;
        if found.metadata.is_dir() {
            let children = self.view.list(&refs(names), &found.merged)?.0;
            for child in children {
                names.push(child.name);
                self.delete_tree(names)?;
                names.pop();
            }
        }
        self.delete_entry(names)
    }

    /// `rm -r PATH`: removes a file, a symlink (not what it points to) or a whole directory.
    pub fn remove_all(&mut self, path: &str) -> io::Result<()> {
        let mut names = self.resolve(path, false)?;
        if names.is_empty() {
            return Err(fs_err(
                io::ErrorKind::ResourceBusy,
                path,
                "cannot remove the root",
            ));
        }
        self.lookup_existing(&names, path)?;
        self.delete_tree(&mut names)
    }

    /// Copies the tree at `from` (as the view shows it) to the new name `to`, keeping modes,
    /// owners and mtimes, as `mv` does when `rename(2)` answers `EXDEV`.
    fn copy_tree(&mut self, from: &mut Vec<String>, to: &mut Vec<String>) -> io::Result<()> {
        let from_path = container_path(from);
        let to_path = container_path(to);
        let found = self.lookup_existing(from, &from_path)?;
        let meta = found.metadata.clone();
        match union::kind_of(&meta) {
            FileKind::Dir => {
                let mode = meta.mode() & 0o7777;
                let had_whiteout = self.create_entry(to, &to_path, |p: &Path| fs::create_dir(p))?;
                let up = self.upper_path(to);
                fs::set_permissions(&up, fs::Permissions::from_mode(mode))?;
                copy_owner(&up, &meta)?;
                if had_whiteout {
                    self.make_opaque(to)?;
                }
                let children = self.view.list(&refs(from), &found.merged)?.0;
                for child in children {
                    from.push(child.name.clone());
                    to.push(child.name);
                    let copied = self.copy_tree(from, to);
                    from.pop();
                    to.pop();
                    copied?;
                }
                set_mtime_on(&self.upper_path(to), mtime_of(&meta))?;
            }
            FileKind::File => {
                let source = found.host_path.clone();
                let mut bytes = 0;
                self.create_entry(to, &to_path, |p| {
                    bytes = fs::copy(&source, p)?;
                    Ok(())
                })?;
                let up = self.upper_path(to);
                copy_owner(&up, &meta)?;
                set_mtime_on(&up, mtime_of(&meta))?;
                if found.layer_index != self.upper_index() {
                    let layer = self.view.layers()[found.layer_index].label.clone();
                    self.log_copy_up(CopyUp {
                        path: to_path,
                        layer,
                        bytes,
                    })?;
                }
            }
            FileKind::Symlink => {
                let target = fs::read_link(&found.host_path)?;
                self.create_entry(to, &to_path, |p| std::os::unix::fs::symlink(&target, p))?;
                copy_owner(&self.upper_path(to), &meta)?;
            }
            FileKind::Other => {
                return Err(fs_err(
                    io::ErrorKind::Unsupported,
                    &from_path,
                    "cannot copy a device or fifo",
                ));
            }
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // docker diff
    // -----------------------------------------------------------------------------------------

    /// What changed compared with the image (`docker diff`), following Docker's algorithm
    /// (`go-archive/changes.go`, `ChangesDirs` + `addChanges`) on the two merged trees:
    ///
    /// * only in the container → `A`, and every descendant of a new directory too;
    /// * only in the image → `D`; a deleted directory is listed once, not its children;
    /// * in both with a different mode, owner, or (not for directories) size or mtime → `C`;
    /// * a directory with any change inside is `C`, unless it is itself `A`.
    ///
    /// So a directory deleted and made again (`rm -r d; mkdir d`) is `C /d` with `D` for each
    /// old child and `A` for each new one. Docker's line order is random; capas sorts by path,
    /// a parent just before its children.
    ///
    /// Only directories the read/write layer touches are read: elsewhere both trees are the
    /// same layers, so nothing can differ.
    pub fn diff(&self) -> Result<Vec<Change>> {
        let mut changes = Vec::new();
        let Some(new_root) = self.view.root_entry()? else {
            return Ok(changes);
        };
        let old_root = self.image_view.root_entry()?;
        let mut names = Vec::new();
        self.add_changes(
            &mut names,
            &new_root,
            old_root.as_ref(),
            false,
            &mut changes,
        )?;
        changes.sort_by(|a, b| {
            let a: Vec<&str> = a.path.split('/').collect();
            let b: Vec<&str> = b.path.split('/').collect();
            a.cmp(&b)
        });
        Ok(changes)
    }

    /// Docker's `addChanges`: compares `new` (the container's entry) with `old` (the image's,
    /// if any) and their children, appending to `changes`.
    fn add_changes(
        &self,
        names: &mut Vec<String>,
        new: &Entry,
        old: Option<&Entry>,
        mut added: bool,
        changes: &mut Vec<Change>,
    ) -> Result<()> {
        let at_entry = changes.len();
        let path = container_path(names);
        let is_root = names.is_empty();
        if old.is_none() && !is_root {
            changes.push(Change {
                kind: ChangeKind::Added,
                path: path.clone(),
            });
            added = true;
        }
        let new_is_dir = new.metadata.is_dir();
        let new_children = if new_is_dir {
            self.view.list_entry(&refs(names), new)?
        } else {
            Vec::new()
        };
        // Old children count only when the new entry is a directory: a directory replaced by
        // a file is one `C`, its old children are not listed.
        let mut old_children: BTreeMap<String, Entry> = match old {
            Some(old) if new_is_dir && old.metadata.is_dir() => self
                .image_view
                .list_entry(&refs(names), old)?
                .into_iter()
                .map(|e| (e.name.clone(), e))
                .collect(),
            _ => BTreeMap::new(),
        };
        let upper = self.upper_index();
        for child in new_children {
            let old_child = old_children.remove(&child.name);
            names.push(child.name.clone());
            let mut child_added = false;
            if let Some(old_child) = &old_child
                && stat_different(&old_child.metadata, &child.metadata)
            {
                changes.push(Change {
                    kind: ChangeKind::Modified,
                    path: container_path(names),
                });
                child_added = true;
            }
            // An entry the read/write layer does not touch is the same in both trees.
            let untouched = old_child.is_some() && !UnionView::entry_uses_layer(&child, upper);
            if !untouched {
                self.add_changes(names, &child, old_child.as_ref(), child_added, changes)?;
            }
            names.pop();
        }
        for name in old_children.into_keys() {
            names.push(name);
            changes.push(Change {
                kind: ChangeKind::Deleted,
                path: container_path(names),
            });
            names.pop();
        }
        // A directory with changes inside is itself listed as changed, just before them.
        if changes.len() > at_entry && new_is_dir && !added && !is_root {
            changes.insert(
                at_entry,
                Change {
                    kind: ChangeKind::Modified,
                    path,
                },
            );
        }
        Ok(())
    }
}

impl shell::Fs for Container {
    fn stat(&self, path: &str) -> io::Result<Stat> {
        let names = self.resolve(path, true)?;
        let found = self.lookup_existing(&names, path)?;
        Ok(stat_of(&found.metadata, &found.host_path))
    }

    fn lstat(&self, path: &str) -> io::Result<Stat> {
        let names = self.resolve(path, false)?;
        let found = self.lookup_existing(&names, path)?;
        Ok(stat_of(&found.metadata, &found.host_path))
    }

    fn open_read(&self, path: &str) -> io::Result<Box<dyn io::Read + '_>> {
        let names = self.resolve(path, true)?;
        let found = self.lookup_existing(&names, path)?;
        match union::kind_of(&found.metadata) {
            FileKind::Dir => Err(fs_err(io::ErrorKind::IsADirectory, path, "is a directory")),
            _ => Ok(Box::new(File::open(&found.host_path)?)),
        }
    }

    fn write(&mut self, path: &str, data: &[u8], append: bool) -> io::Result<()> {
        self.write_with(path, append, |file| file.write_all(data))
    }

    fn write_from(&mut self, path: &str, data: &mut dyn io::Read, append: bool) -> io::Result<u64> {
        let mut written = 0;
        self.write_with(path, append, |file| {
            written = io::copy(data, file)?;
            Ok(())
        })?;
        Ok(written)
    }

    fn copy_file(&mut self, from: &str, to: &str) -> io::Result<u64> {
        let names = self.resolve(from, true)?;
        let found = self.lookup_existing(&names, from)?;
        if union::kind_of(&found.metadata) != FileKind::File {
            return Err(fs_err(
                io::ErrorKind::InvalidInput,
                from,
                "not a regular file",
            ));
        }
        // Onto itself (the same name, a symlink to it, a hard link of it), the write would
        // truncate the very file it reads: refused, as cp(1) does.
        let dest = self.resolve(to, true)?;
        if let Some(there) = self.lookup(&dest)?
            && (there.metadata.dev(), there.metadata.ino())
                == (found.metadata.dev(), found.metadata.ino())
        {
            return Err(fs_err(io::ErrorKind::InvalidInput, to, "are the same file"));
        }
        // The source's own file, in whichever layer it lives, streamed into the destination.
        let mut source = File::open(&found.host_path)?;
        self.write_from(to, &mut source, false)
    }

    fn read_dir(&self, path: &str) -> io::Result<Vec<shell::DirEntry>> {
        let names = self.resolve(path, true)?;
        let found = self.lookup_existing(&names, path)?;
        if !found.metadata.is_dir() {
            return Err(fs_err(
                io::ErrorKind::NotADirectory,
                path,
                "not a directory",
            ));
        }
        let entries = self.view.list(&refs(&names), &found.merged)?.0;
        Ok(entries
            .into_iter()
            .map(|e| {
                let mut host = self.view.layers()[e.layer_index].dir.clone();
                host.extend(&names);
                host.push(&e.name);
                let stat = stat_of(&e.metadata, &host);
                shell::DirEntry { name: e.name, stat }
            })
            .collect())
    }

    fn mkdir(&mut self, path: &str, mode: u32) -> io::Result<()> {
        let names = self.resolve(path, false)?;
        if names.is_empty() || self.lookup(&names)?.is_some() {
            return Err(fs_err(io::ErrorKind::AlreadyExists, path, "file exists"));
        }
        let had_whiteout = self.create_entry(&names, path, |p: &Path| fs::create_dir(p))?;
        fs::set_permissions(
            self.upper_path(&names),
            fs::Permissions::from_mode(mode & 0o7777),
        )?;
        if had_whiteout {
            // Made again where a lower entry was deleted: the old contents must stay hidden.
            self.make_opaque(&names)?;
        }
        Ok(())
    }

    fn remove_file(&mut self, path: &str) -> io::Result<()> {
        let names = self.resolve(path, false)?;
        let found = self.lookup_existing(&names, path)?;
        if found.metadata.is_dir() {
            return Err(fs_err(io::ErrorKind::IsADirectory, path, "is a directory"));
        }
        self.delete_entry(&names)
    }

    fn remove_dir(&mut self, path: &str) -> io::Result<()> {
        let names = self.resolve(path, false)?;
        if names.is_empty() {
            return Err(fs_err(
                io::ErrorKind::ResourceBusy,
                path,
                "cannot remove the root",
            ));
        }
        let found = self.lookup_existing(&names, path)?;
        if !found.metadata.is_dir() {
            return Err(fs_err(
                io::ErrorKind::NotADirectory,
                path,
                "not a directory",
            ));
        }
        if !self.view.list(&refs(&names), &found.merged)?.0.is_empty() {
            return Err(fs_err(
                io::ErrorKind::DirectoryNotEmpty,
                path,
                "directory not empty",
            ));
        }
        self.delete_entry(&names)
    }

    fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        let mut a = self.resolve(from, false)?;
        let mut b = self.resolve(to, false)?;
        if a.is_empty() || b.is_empty() {
            return Err(fs_err(
                io::ErrorKind::ResourceBusy,
                from,
                "cannot move the root",
            ));
        }
        let fa = self.lookup_existing(&a, from)?;
        if a == b {
            return Ok(());
        }
        let a_is_dir = fa.metadata.is_dir();
        if b.len() > a.len() && b.starts_with(&a) {
            return Err(fs_err(
                io::ErrorKind::InvalidInput,
                to,
                "cannot move a directory into itself",
            ));
        }
        let fb = self.lookup(&b)?;
        if let Some(fb) = &fb {
            match (a_is_dir, fb.metadata.is_dir()) {
                (true, false) => {
                    return Err(fs_err(io::ErrorKind::NotADirectory, to, "not a directory"));
                }
                (false, true) => {
                    return Err(fs_err(io::ErrorKind::IsADirectory, to, "is a directory"));
                }
                (true, true) => {
                    if !self.view.list(&refs(&b), &fb.merged)?.0.is_empty() {
                        return Err(fs_err(
                            io::ErrorKind::DirectoryNotEmpty,
                            to,
                            "directory not empty",
                        ));
                    }
                }
                (false, false) => {}
            }
        }
        let upper = self.upper_index();
        let pure_upper = fa.layer_index == upper && fa.merged.iter().all(|&i| i == upper);
        if a_is_dir && !pure_upper {
            // overlayfs (without redirect_dir) refuses to rename a directory that has lower
            // parts (EXDEV): `mv` copies the whole tree, then deletes the old one.
            if fb.is_some() {
                self.delete_entry(&b)?;
            }
            self.copy_tree(&mut a, &mut b)?;
            return self.delete_tree(&mut a);
        }
        // A file (copied up first if it is in a lower layer) or a directory that lives only
        // in the upper layer: one rename(2) inside the upper layer.
        self.copy_up(&a)?;
        let up_b = self.upper_path(&b);
        if let Ok(meta) = fs::symlink_metadata(&up_b) {
            self.changing(parent_of(&up_b), || {
                if meta.is_dir() {
                    remove_tree(&up_b)
                } else {
                    fs::remove_file(&up_b)
                }
            })?;
        }
        let up_a = self.upper_path(&a);
        let from_dir = parent_of(&up_a).to_path_buf();
        self.create_entry(&b, to, |p| {
            with_write_access(&from_dir, || fs::rename(&up_a, p))
        })?;
        if let Some(now) = self.now {
            set_mtime_on(&from_dir, now)?;
        }
        if a_is_dir && !up_b.join(OPAQUE_MARKER).exists() {
            // overlayfs marks a directory moved into a merged directory opaque, so that
            // nothing of the same name below can ever merge into it.
            let parent_merged = self
                .lookup(&b[..b.len() - 1])?
                .is_some_and(|p| p.merged.len() > 1);
            if parent_merged {
                self.make_opaque(&b)?;
            }
        }
        // The old name: if a lower layer still shows something there, hide it.
        if self.lookup(&a)?.is_some() {
            self.delete_entry(&a)?;
        }
        Ok(())
    }

    fn chmod(&mut self, path: &str, mode: u32) -> io::Result<()> {
        let names = self.resolve(path, true)?;
        self.lookup_existing(&names, path)?;
        self.copy_up(&names)?;
        let up = self.upper_path(&names);
        fs::set_permissions(&up, fs::Permissions::from_mode(mode & 0o7777))?;
        let marker = up.join(OPAQUE_MARKER);
        if fs::symlink_metadata(&marker).is_ok() {
            // The marker carries the directory's permission bits, as Docker writes it.
            fs::set_permissions(&marker, fs::Permissions::from_mode(mode & 0o777))?;
        }
        Ok(())
    }

    fn set_mtime(&mut self, path: &str, mtime: i64) -> io::Result<()> {
        let names = self.resolve(path, true)?;
        self.lookup_existing(&names, path)?;
        self.copy_up(&names)?;
        set_mtime_on(&self.upper_path(&names), time_of(mtime))
    }

    fn symlink(&mut self, target: &str, link: &str) -> io::Result<()> {
        let names = self.resolve(link, false)?;
        if names.is_empty() || self.lookup(&names)?.is_some() {
            return Err(fs_err(io::ErrorKind::AlreadyExists, link, "file exists"));
        }
        self.create_entry(&names, link, |p| std::os::unix::fs::symlink(target, p))?;
        Ok(())
    }

    fn hard_link(&mut self, existing: &str, new: &str) -> io::Result<()> {
        let e = self.resolve(existing, false)?;
        let found = self.lookup_existing(&e, existing)?;
        if found.metadata.is_dir() {
            return Err(fs_err(
                io::ErrorKind::PermissionDenied,
                existing,
                "hard link not allowed for directory",
            ));
        }
        let n = self.resolve(new, false)?;
        if n.is_empty() || self.lookup(&n)?.is_some() {
            return Err(fs_err(io::ErrorKind::AlreadyExists, new, "file exists"));
        }
        // link(2) needs both names in one file system: the target is copied up first.
        self.copy_up(&e)?;
        let up_e = self.upper_path(&e);
        self.create_entry(&n, new, |p| fs::hard_link(&up_e, p))?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// docker commit
// ---------------------------------------------------------------------------------------------

/// Makes a new image from a container (`docker commit`): the image's layers plus the
/// container's read/write layer, tarred as it is (it is already an OCI layer), and a new
/// config with one more history row.
///
/// The new config's `Cmd` is the container's command when it was given one (`docker run
/// IMAGE CMD…`), as Docker's is; `options.changes` apply after that.
///
/// If the read/write layer is empty, no layer is added: the history row says
/// `empty_layer: true` and `rootfs.diff_ids` stays as it was (Docker does the same). The new
/// image records the container's image as its parent; that image keeps its ID.
pub fn commit(
    locked: &Locked<'_>,
    container: &Container,
    options: &CommitOptions,
) -> Result<ImageRecord> {
    let index = locked.index()?;
    let record = index
        .images
        .get(&container.config.image)
        .ok_or_else(|| ImageError::NotFound {
            name: container.config.image.to_string(),
        })?;
    let parent = Image::load(locked, record)?;
    let mut config: Value =
        serde_json::from_slice(parent.config_bytes()).map_err(|source| ContainerError::Json {
            what: format!("config of image {}", parent.id()),
            source,
        })?;
    let Some(object) = config.as_object_mut() else {
        return Err(ContainerError::Json {
            what: format!("config of image {}", parent.id()),
            source: serde_json::Error::io(io::Error::other("it is not a JSON object")),
        });
    };
    // Changes first: a wrong one must leave nothing behind.
    let run_config = object.entry("config").or_insert_with(|| json!({}));
    if !run_config.is_object() {
        *run_config = json!({});
    }
    if let Some(run_config) = run_config.as_object_mut() {
        // Docker commits the container's own configuration: a container run with a command
        // of its own makes an image whose `Cmd` is that command. (A container made before
        // capas kept the entrypoint apart holds the whole default command in `cmd`.)
        let of = |keys: &[&str]| -> Vec<Value> {
            keys.iter()
                .filter_map(|k| run_config.get(*k).and_then(Value::as_array))
                .flatten()
                .cloned()
                .collect()
        };
        let (image_cmd, whole) = (of(&["Cmd"]), of(&["Entrypoint", "Cmd"]));
        let cmd: Vec<Value> = container.config.cmd.iter().map(|a| json!(a)).collect();
        if cmd != image_cmd && cmd != whole {
            run_config.insert("Cmd".into(), Value::Array(cmd));
        }
        apply_changes(run_config, &options.changes)?;
    }

    // The layer: the upper directory, tarred with each file's own metadata.
    let upper = container.upper_dir();
    let empty = fs::read_dir(&upper)
        .map_err(io_err("reading", &upper))?
        .next()
        .is_none();
    let mut layers = parent.manifest().layers().clone();
    let mut diff_id = None;
    if !empty {
        let mut writer = locked.blob_writer()?;
        layer::write_tar(&upper, &TarOptions::default(), &mut writer)?;
        let written = writer.finish(None)?;
        let new_diff_id = DiffId(written.digest.clone());
        locked.unpack_layer(&written.digest, false, parent.top_chain(), &new_diff_id)?;
        layers.push(Descriptor::new(
            MediaType::from(OCI_LAYER_TAR),
            written.size,
            oci_spec::image::Digest::from(&written.digest),
        ));
        diff_id = Some(new_diff_id);
    }

    // The config: the parent's, as it was, with Docker's changes.
    let created = image::format_time(options.created);
    let author = options.author.clone().filter(|a| !a.is_empty());
    object.insert("created".into(), created.clone().into());
    match &author {
        Some(a) => {
            object.insert("author".into(), a.clone().into());
        }
        None => {
            object.remove("author");
        }
    }
    // These describe the container that built the parent: not true of the new image.
    object.remove("container");
    object.remove("container_config");
    if let Some(diff_id) = &diff_id {
        let rootfs = object
            .entry("rootfs")
            .or_insert_with(|| json!({"type": "layers", "diff_ids": []}));
        if let Some(rootfs) = rootfs.as_object_mut() {
            let ids = rootfs.entry("diff_ids").or_insert_with(|| json!([]));
            if let Some(ids) = ids.as_array_mut() {
                ids.push(diff_id.to_string().into());
            }
        }
    }
    let mut row = Map::new();
    row.insert("created".into(), created.into());
    if let Some(a) = &author {
        row.insert("author".into(), a.clone().into());
    }
    row.insert("created_by".into(), container.config.cmd.join(" ").into());
    if let Some(m) = options.message.as_ref().filter(|m| !m.is_empty()) {
        row.insert("comment".into(), m.clone().into());
    }
    if diff_id.is_none() {
        row.insert("empty_layer".into(), true.into());
    }
    let history = object.entry("history").or_insert_with(|| json!([]));
    if let Some(history) = history.as_array_mut() {
        history.push(Value::Object(row));
    }
    let bytes = crate::go::json_bytes(&config);
    Ok(image::commit_image(
        locked,
        &bytes,
        layers,
        Some(parent.id().clone()),
        &options.tags,
    )?)
}

/// Splits Dockerfile arguments into words: spaces separate, quotes group (and are removed), a
/// backslash escapes the next character.
fn words(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"') | None, '\\') => {
                if let Some(next) = chars.next() {
                    word.push(next);
                }
                in_word = true;
            }
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err("unterminated quote".into());
    }
    if in_word {
        out.push(word);
    }
    Ok(out)
}

/// `["a","b"]` (exec form) or `a b` (shell form, run by the image's shell).
fn command_form(config: &Map<String, Value>, args: &str) -> Value {
    if args.starts_with('[')
        && let Ok(list) = serde_json::from_str::<Vec<String>>(args)
    {
        return json!(list);
    }
    let mut shell: Vec<String> = config
        .get("Shell")
        .and_then(|s| serde_json::from_value(s.clone()).ok())
        .unwrap_or_else(|| crate::go::DEFAULT_SHELL.map(String::from).to_vec());
    shell.push(args.to_string());
    json!(shell)
}

/// `key=value` pairs (or `key value`, the old ENV form).
fn pairs(args: &str, allow_legacy: bool) -> Result<Vec<(String, String)>, String> {
    let first = args.split_whitespace().next().unwrap_or_default();
    if allow_legacy && !first.contains('=') {
        let value = args[first.len()..].trim_start();
        let value = words(value)?.join(" ");
        return Ok(vec![(first.to_string(), value)]);
    }
    words(args)?
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(format!("{w:?} is not of the form key=value")),
        })
        .collect()
}

/// Applies `docker commit --change` instructions to the runtime config (`config` in the
/// image config), in order, as Docker's builder does.
fn apply_changes(config: &mut Map<String, Value>, changes: &[String]) -> Result<()> {
    let mut cmd_set = false;
    for change in changes {
        let bad = |reason: String| ContainerError::BadChange {
            change: change.clone(),
            reason,
        };
        let text = change.trim();
        let (instruction, args) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let args = args.trim();
        let upper = instruction.to_ascii_uppercase();
        let known = [
            "CMD",
            "ENTRYPOINT",
            "ENV",
            "EXPOSE",
            "HEALTHCHECK",
            "LABEL",
            "ONBUILD",
            "STOPSIGNAL",
            "USER",
            "VOLUME",
            "WORKDIR",
        ];
        if !known.contains(&upper.as_str()) {
            return Err(ContainerError::InvalidChange {
                command: instruction.to_ascii_lowercase(),
            });
        }
        if args.is_empty() {
            return Err(bad(format!("{upper} requires at least one argument")));
        }
        match upper.as_str() {
            "CMD" => {
                let value = command_form(config, args);
                config.insert("Cmd".into(), value);
                cmd_set = true;
            }
            "ENTRYPOINT" => {
                let value = command_form(config, args);
                config.insert("Entrypoint".into(), value);
                // A new entrypoint drops the old CMD, unless this change list set one.
                if !cmd_set {
                    config.insert("Cmd".into(), Value::Null);
                }
            }
            "ENV" => {
                let mut env: Vec<String> = config
                    .get("Env")
                    .and_then(|e| serde_json::from_value(e.clone()).ok())
                    .unwrap_or_default();
                for (key, value) in pairs(args, true).map_err(bad)? {
                    let entry = format!("{key}={value}");
                    match env
                        .iter_mut()
                        .find(|e| e.split('=').next() == Some(key.as_str()))
                    {
                        Some(existing) => *existing = entry,
                        None => env.push(entry),
                    }
                }
                config.insert("Env".into(), json!(env));
            }
            "LABEL" => {
                let labels = config.entry("Labels").or_insert_with(|| json!({}));
                if !labels.is_object() {
                    *labels = json!({});
                }
                for (key, value) in pairs(args, false).map_err(bad)? {
                    if let Some(map) = labels.as_object_mut() {
                        map.insert(key, value.into());
                    }
                }
            }
            "EXPOSE" => {
                let ports = config.entry("ExposedPorts").or_insert_with(|| json!({}));
                if !ports.is_object() {
                    *ports = json!({});
                }
                for port in words(args).map_err(bad)? {
                    let port = if port.contains('/') {
                        port
                    } else {
                        format!("{port}/tcp")
                    };
                    if let Some(map) = ports.as_object_mut() {
                        map.insert(port, json!({}));
                    }
                }
            }
            "VOLUME" => {
                let list = if args.starts_with('[') {
                    serde_json::from_str::<Vec<String>>(args).map_err(|e| bad(e.to_string()))?
                } else {
                    words(args).map_err(bad)?
                };
                let volumes = config.entry("Volumes").or_insert_with(|| json!({}));
                if !volumes.is_object() {
                    *volumes = json!({});
                }
                for v in list {
                    if let Some(map) = volumes.as_object_mut() {
                        map.insert(v, json!({}));
                    }
                }
            }
            "USER" => {
                config.insert("User".into(), args.into());
            }
            "STOPSIGNAL" => {
                config.insert("StopSignal".into(), args.into());
            }
            "WORKDIR" => {
                let dir = if args.starts_with('/') {
                    args.to_string()
                } else {
                    let current = config
                        .get("WorkingDir")
                        .and_then(Value::as_str)
                        .unwrap_or("/");
                    format!("{}/{args}", current.trim_end_matches('/'))
                };
                config.insert("WorkingDir".into(), dir.into());
            }
            "ONBUILD" => {
                let list = config.entry("OnBuild").or_insert_with(|| json!([]));
                if !list.is_array() {
                    *list = json!([]);
                }
                if let Some(list) = list.as_array_mut() {
                    list.push(args.into());
                }
            }
            "HEALTHCHECK" => {
                let mut check = Map::new();
                let mut rest = args;
                while let Some(option) = rest.strip_prefix("--") {
                    let (opt, tail) = option
                        .split_once(char::is_whitespace)
                        .unwrap_or((option, ""));
                    rest = tail.trim_start();
                    let (key, value) = opt
                        .split_once('=')
                        .ok_or_else(|| bad(format!("option --{opt} needs a value")))?;
                    let field = match key {
                        "interval" => "Interval",
                        "timeout" => "Timeout",
                        "start-period" => "StartPeriod",
                        "start-interval" => "StartInterval",
                        "retries" => "Retries",
                        other => return Err(bad(format!("unknown flag: --{other}"))),
                    };
                    let number = if key == "retries" {
                        value.parse::<i64>().map_err(|e| bad(e.to_string()))?
                    } else {
                        crate::go::parse_duration(value).map_err(|e| bad(e.to_string()))?
                    };
                    check.insert(field.into(), number.into());
                }
                let (kind, command) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                let test = match kind.to_ascii_uppercase().as_str() {
                    "NONE" => json!(["NONE"]),
                    "CMD" => {
                        let command = command.trim();
                        match serde_json::from_str::<Vec<String>>(command) {
                            Ok(list) if command.starts_with('[') => {
                                let mut t = vec!["CMD".to_string()];
                                t.extend(list);
                                json!(t)
                            }
                            _ => json!(["CMD-SHELL", command]),
                        }
                    }
                    _ => return Err(bad("HEALTHCHECK takes CMD or NONE".into())),
                };
                let mut value = Map::new();
                value.insert("Test".into(), test);
                value.extend(check);
                config.insert("Healthcheck".into(), Value::Object(value));
            }
            _ => unreachable!("every known instruction is handled above"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dockers_rules() {
        assert!(valid_name("web-1"));
        assert!(valid_name("a.b_c"));
        assert!(!valid_name("a"));
        assert!(!valid_name("-web"));
        assert!(!valid_name("web server"));
        let name = generated_name(&Digest::of_bytes(b"seed"));
        let (adjective, surname) = name.split_once('_').expect("adjective_surname");
        assert!(
            ADJECTIVES.contains(&adjective) && SURNAMES.contains(&surname),
            "{name}"
        );
        assert_eq!(name, generated_name(&Digest::of_bytes(b"seed")));
    }

    #[test]
    fn changes_apply_like_dockers_builder() {
        let mut config = Map::new();
        config.insert("Env".into(), json!(["PATH=/bin", "A=1"]));
        config.insert("Cmd".into(), json!(["/bin/sh"]));
        apply_changes(
            &mut config,
            &[
                "ENV A=2 B=\"two words\"".into(),
                "LABEL demo=1".into(),
                "CMD [\"sh\",\"-c\",\"echo hi\"]".into(),
                "EXPOSE 80 53/udp".into(),
                "WORKDIR /app".into(),
                "WORKDIR sub".into(),
                "USER nobody".into(),
                "VOLUME /data".into(),
                "HEALTHCHECK --interval=30s CMD true".into(),
            ],
        )
        .expect("changes");
        assert_eq!(config["Env"], json!(["PATH=/bin", "A=2", "B=two words"]));
        assert_eq!(config["Labels"], json!({"demo": "1"}));
        assert_eq!(config["Cmd"], json!(["sh", "-c", "echo hi"]));
        assert_eq!(config["ExposedPorts"], json!({"80/tcp": {}, "53/udp": {}}));
        assert_eq!(config["WorkingDir"], json!("/app/sub"));
        assert_eq!(config["User"], json!("nobody"));
        assert_eq!(config["Volumes"], json!({"/data": {}}));
        assert_eq!(
            config["Healthcheck"],
            json!({"Test": ["CMD-SHELL", "true"], "Interval": 30_000_000_000_i64})
        );

        apply_changes(&mut config, &["ENTRYPOINT top -b".into()]).expect("entrypoint");
        assert_eq!(config["Entrypoint"], json!(["/bin/sh", "-c", "top -b"]));
        assert_eq!(config["Cmd"], Value::Null);

        let err = apply_changes(&mut config, &["RUN echo".into()]).unwrap_err();
        assert_eq!(err.to_string(), "run is not a valid change command");
        assert!(apply_changes(&mut config, &["LABEL novalue".into()]).is_err());
    }

    #[test]
    fn go_json_escapes_like_docker() {
        assert_eq!(
            crate::go::json_bytes(&json!({"a": "R <r@x> & co"})),
            br#"{"a":"R \u003cr@x\u003e \u0026 co"}"#
        );
    }

    #[test]
    fn stat_difference_ignores_directory_times() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        fs::create_dir(&a).expect("a");
        fs::create_dir(&b).expect("b");
        set_mtime_on(&a, time_of(1)).expect("mtime");
        let meta = |p: &Path| fs::symlink_metadata(p).expect("stat");
        assert!(!stat_different(&meta(&a), &meta(&b)));
        fs::write(tmp.path().join("f"), "x").expect("f");
        fs::write(tmp.path().join("g"), "x").expect("g");
        set_mtime_on(&tmp.path().join("f"), time_of(1)).expect("mtime");
        assert!(stat_different(
            &meta(&tmp.path().join("f")),
            &meta(&tmp.path().join("g"))
        ));
    }
}
