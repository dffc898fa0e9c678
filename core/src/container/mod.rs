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
//! The two records are replaced whole, by the store's atomic write (temp file, fsync,
//! rename): a crash leaves the old record or the new one.
//!
//! `rm` deletes that directory: the read/write layer, and every change in it, is gone. That
//! is why data a container must keep goes to a volume, or into a new image with `commit`.
//!
//! A container implements [`crate::shell::Fs`]: the small shell runs its
//! commands against it, so `echo hola > /etc/motd` really copies `/etc/motd` up.

//! # Where each part lives
//!
//! | file | concept |
//! | --- | --- |
//! | `mod.rs` | the container record and its life: create, open, list, find, rm, its states |
//! | [`names`] | Docker's rule for names, and its `adjective_surname` generator |
//! | [`copy_up`] | copy-on-write: copy-up, whiteouts on delete, opaque directories |
//! | [`fs`] | the shell's `Fs` over a container: paths resolved inside it, every write through copy-up |
//! | [`diff`] | `docker diff`: A / C / D |
//! | [`commit`](mod@commit) | `docker commit`: the read/write layer becomes an image's layer |
//! | [`transfer`] | `docker cp`: copying between the host and a container |

pub mod commit;
pub mod copy_up;
pub mod diff;
pub mod fs;
pub mod names;
pub mod transfer;

use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::digest::{self, ChainId, Digest, DigestError};
use crate::image::{Image, ImageError};
use crate::layer::LayerError;
use crate::store::{Locked, Store, StoreError};
use crate::union::{Found, UnionError, UnionLayer, UnionView, Why};

pub use self::commit::{CommitOptions, commit};
pub use self::copy_up::CopyUp;
pub use self::diff::{Change, ChangeKind};

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

fn containers_dir(store: &Store) -> PathBuf {
    store.layout().containers()
}

fn read_config(dir: &Path) -> Result<ContainerConfig> {
    let path = dir.join("config.json");
    let bytes = std::fs::read(&path).map_err(io_err("reading", &path))?;
    serde_json::from_slice(&bytes).map_err(|source| ContainerError::Json {
        what: path.display().to_string(),
        source,
    })
}

/// Writes one of a container's records (`config.json`, `copy-ups.json`) in its directory
/// `dir` through the store's one atomic write (temp, fsync, rename, fsync of the directory),
/// so a reader or a crash sees the old record or the new one, never half of one. The
/// temporary file lives in the container's own directory: its records change while it is
/// open, not only under the store's lock, whose taking empties `tmp/`.
fn write_record(dir: &Path, name: &str, value: &impl Serialize) -> Result<()> {
    let path = dir.join(name);
    let bytes = serde_json::to_vec_pretty(value).map_err(|source| ContainerError::Json {
        what: path.display().to_string(),
        source,
    })?;
    Ok(crate::store::write_file_atomic_in(dir, &path, &bytes)?)
}

/// Every container of the store, newest first (as `docker ps -a` lists them).
pub fn list(store: &Store) -> Result<Vec<ContainerConfig>> {
    let dir = containers_dir(store);
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
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
    let Ok(entries) = std::fs::read_dir(&dir) else {
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
    let dir = locked.layout().container(&config.id);
    // Renamed away first: a crash in the middle never leaves half a container under its ID.
    let doomed = containers_dir(locked).join(format!(".removing-{}", config.id));
    std::fs::rename(&dir, &doomed).map_err(io_err("removing", &dir))?;
    remove_tree(&doomed).map_err(io_err("removing", &doomed))?;
    Ok(config)
}

/// `rm -rf` that also works on read-only directories (a copied-up `0555` directory).
fn remove_tree(path: &Path) -> io::Result<()> {
    for entry in walkdir::WalkDir::new(path).into_iter().flatten() {
        if entry.file_type().is_dir() {
            let _ = std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o755));
        }
    }
    std::fs::remove_dir_all(path)
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

fn mtime_of(meta: &std::fs::Metadata) -> SystemTime {
    meta.modified().unwrap_or_else(|_| time_of(meta.mtime()))
}

/// Sets a file's or directory's mtime (`File::set_modified` works on a read-only handle).
fn set_mtime_on(path: &Path, time: SystemTime) -> io::Result<()> {
    std::fs::File::open(path)?.set_modified(time)
}

/// Gives the copy the original's owner. Only root may; anyone else keeps their own, as a
/// rootless container engine does.
fn copy_owner(path: &Path, meta: &std::fs::Metadata) -> io::Result<()> {
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
    let meta = std::fs::symlink_metadata(path)?;
    let need = if meta.is_dir() { 0o700 } else { 0o600 };
    let mode = meta.mode() & 0o7777;
    if meta.file_type().is_symlink() || mode & need == need {
        return f();
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode | need))?;
    let result = f();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    result
}

/// The parent directory of a path in a layer.
fn parent_of(path: &Path) -> &Path {
    path.parent().unwrap_or(path)
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
                if !names::valid_name(n) {
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
                let candidate = names::generated_name(&seed);
                if taken(&candidate).is_none() {
                    break candidate;
                }
                nonce += 1;
            },
        };
        let root = containers_dir(locked);
        std::fs::create_dir_all(&root).map_err(io_err("creating", &root))?;
        let id = loop {
            let id =
                Digest::of_bytes(format!("{} {name} {created} {nonce}", image.id()).as_bytes());
            if !locked.layout().container(id.hex()).exists() {
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
        let dir = locked.layout().container(&id);
        let upper = dir.join("upper");
        std::fs::create_dir_all(&upper).map_err(io_err("creating", &upper))?;
        // The container's root directory looks like the image's.
        if let Some(found) = image_view.try_lookup("/")? {
            let mode = found.metadata.mode() & 0o7777;
            std::fs::set_permissions(&upper, std::fs::Permissions::from_mode(mode))
                .map_err(io_err("creating", &upper))?;
            // And its time: the same store gives the same `ls -l /`, whenever it runs.
            if let Ok(time) = found.metadata.modified() {
                set_mtime_on(&upper, time).map_err(io_err("creating", &upper))?;
            }
        }
        write_record(&dir, "copy-ups.json", &Vec::<CopyUp>::new())?;
        // config.json last: until it exists, the directory is not a container.
        write_record(&dir, "config.json", &config)?;
        Container::load_with_store(locked, dir, config)
    }

    /// Opens a container by full ID, name or ID prefix (`No such container: X` otherwise).
    pub fn open(store: &Store, id_or_name: &str) -> Result<Container> {
        let config = find(store, id_or_name)?;
        let dir = store.layout().container(&config.id);
        let copy_ups_path = dir.join("copy-ups.json");
        let mut container = Container::load_with_store(store, dir, config)?;
        let bytes = std::fs::read(&copy_ups_path).map_err(io_err("reading", &copy_ups_path))?;
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
        write_record(&self.dir, "config.json", &self.config)
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
}
