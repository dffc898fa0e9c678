//! Property test of copy-on-write: random sequences of file operations on a container over a
//! three-layer image must give the same visible tree as two independent implementations:
//!
//! * a **model**: a `BTreeMap` of paths that starts as the image's tree (the layers flattened
//!   as Docker's `ApplyLayer` does) and applies each operation directly;
//! * the **kernel's overlayfs** (when running as root where overlay mounts are allowed): the
//!   same layers, converted to what overlayfs wants (whiteouts as `c 0 0` devices, opaque
//!   directories as `trusted.overlay.opaque=y`), mounted as Docker mounts them, and the same
//!   operations applied to the merged directory. There the **upper directories** are compared
//!   too, modulo the spelling of whiteouts: capas's `upper/` must be the layer the kernel
//!   would have made.
//!
//! Where overlay cannot be mounted (not root, no overlay support) or `setfattr`/`getfattr`
//! (Debian's `attr` package) are missing, the kernel part is skipped with a message; the
//! model part always runs. The case count is modest so the test runs in seconds.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use capas_core::container::{self, Container};
use capas_core::image::{self, Image};
use capas_core::layer::TarBuilder;
use capas_core::reference::Reference;
use capas_core::shell::{FileKind, Fs};
use capas_core::store::Store;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::json;

const T0: u64 = 1_600_000_000;

// ---------------------------------------------------------------------------------------------
// The image: three layers with a whiteout, an opaque directory, a file replaced by a
// directory, a deleted directory made again, and symlinks
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Spec {
    Dir(&'static str, u32),
    File(&'static str, u32, &'static str),
    Link(&'static str, &'static str),
    Whiteout(&'static str),
    Opaque(&'static str, u32),
}

/// The image; without `opaque` its opaque directory is left out (for a kernel oracle that
/// cannot mark one: no `setfattr`).
fn image_spec(opaque: bool) -> Vec<Vec<Spec>> {
    use Spec::*;
    let layers = vec![
        vec![
            Dir("a", 0o755),
            File("a/f1", 0o644, "one"),
            File("a/k", 0o600, "k0"),
            Dir("a/sub", 0o755),
            File("a/sub/z", 0o644, "z0"),
            Dir("b", 0o700),
            File("b/k", 0o644, "bk"),
            File("c", 0o644, "c0"),
            Dir("d", 0o755),
            File("d/z", 0o644, "dz"),
            Link("l", "a"),
            File("z", 0o755, "z"),
        ],
        vec![
            Dir("a", 0o755),
            File("a/f1", 0o644, "ONE"),
            Whiteout("a/k"),
            Dir("b", 0o755),
            Opaque("b", 0o755),
            File("b/z", 0o644, "bz1"),
            Dir("c", 0o755),
            File("c/f1", 0o644, "cf"),
            Whiteout("d"),
        ],
        vec![
            Dir("a", 0o755),
            Dir("a/sub", 0o700),
            Link("a/sub/l", "/b"),
            Dir("d", 0o750),
            File("d/k", 0o644, "dk2"),
        ],
    ];
    layers
        .into_iter()
        .map(|l| {
            l.into_iter()
                .filter(|s| opaque || !matches!(s, Opaque(..)))
                .collect()
        })
        .collect()
}

fn layer_tar(specs: &[Spec], mtime: u64) -> Vec<u8> {
    let mut b = TarBuilder::new(Vec::new());
    for s in specs {
        match s {
            Spec::Dir(p, m) => b.dir(p, *m, mtime),
            Spec::File(p, m, c) => b.file(p, *m, mtime, c.len() as u64, c.as_bytes()),
            Spec::Link(p, t) => b.symlink(p, t, mtime),
            Spec::Whiteout(p) => b.whiteout(p, mtime),
            Spec::Opaque(p, m) => b.opaque(p, *m),
        }
        .expect("tar entry");
    }
    b.finish().expect("tar").0
}

fn make_image(store: &Store, spec: &[Vec<Spec>]) -> Image {
    let tars: Vec<Vec<u8>> = spec
        .iter()
        .enumerate()
        .map(|(i, specs)| layer_tar(specs, T0 + i as u64 * 60))
        .collect();
    let config = json!({"architecture": "amd64", "os": "linux", "config": {}});
    let tag = Reference::parse_tagged("prop/base:1").expect("tag");
    let locked = store.lock().expect("lock");
    let record =
        image::commit_layers(&locked, tars.iter().map(|t| &t[..]), config, &[tag]).expect("image");
    Image::load(store, &record).expect("load")
}

// ---------------------------------------------------------------------------------------------
// The model: a map of paths
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Dir(u32),
    File(u32, Vec<u8>),
    Link(String),
}

/// Paths relative to the root, `a/b`; the root itself is not in the map.
type Model = BTreeMap<String, Node>;

fn under(path: &str, prefix: &str) -> bool {
    path.len() > prefix.len() && path.starts_with(prefix) && path.as_bytes()[prefix.len()] == b'/'
}

fn remove_subtree(model: &mut Model, path: &str) {
    model.retain(|p, _| p != path && !under(p, path));
}

/// The image's tree: each layer applied over the ones below, as Docker's `ApplyLayer` does.
fn flatten(layers: &[Vec<Spec>]) -> Model {
    let mut model = Model::new();
    for specs in layers {
        for s in specs {
            if let Spec::Opaque(dir, _) = s {
                model.retain(|p, _| !under(p, dir));
            }
        }
        for s in specs {
            if let Spec::Whiteout(p) = s {
                remove_subtree(&mut model, p);
            }
        }
        for s in specs {
            let (path, node) = match s {
                Spec::Dir(p, m) => (*p, Node::Dir(*m)),
                Spec::File(p, m, c) => (*p, Node::File(*m, c.as_bytes().to_vec())),
                Spec::Link(p, t) => (*p, Node::Link(t.to_string())),
                Spec::Whiteout(_) | Spec::Opaque(..) => continue,
            };
            let dir_over_dir =
                matches!(model.get(path), Some(Node::Dir(_))) && matches!(node, Node::Dir(_));
            if !dir_over_dir {
                remove_subtree(&mut model, path);
            }
            model.insert(path.to_string(), node);
        }
    }
    model
}

/// Resolves a path in the model like a kernel would inside a chroot, but refusing `..`
/// above the root. `Err(())` for any failure of the walk.
fn model_resolve(model: &Model, path: &str, follow_last: bool) -> Result<Vec<String>, ()> {
    let mut todo: std::collections::VecDeque<String> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .map(String::from)
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut links = 0;
    while let Some(name) = todo.pop_front() {
        if name == ".." {
            out.pop().ok_or(())?;
            continue;
        }
        out.push(name);
        let last = todo.is_empty();
        match model.get(&out.join("/")) {
            None if last => return Ok(out),
            None => return Err(()),
            Some(Node::Link(target)) if !last || follow_last => {
                links += 1;
                if links > 40 || target.is_empty() {
                    return Err(());
                }
                out.pop();
                if target.starts_with('/') {
                    out.clear();
                }
                for part in target.split('/').rev() {
                    if !part.is_empty() && part != "." {
                        todo.push_front(part.to_string());
                    }
                }
            }
            Some(Node::Dir(_)) => {}
            Some(_) if last => {}
            Some(_) => return Err(()),
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/// A path, chosen either among the entries the model has when the operation runs (so most
/// operations act on something real) or from a small pool of names (so failures, deep paths
/// and symlinks in the middle are tried too).
#[derive(Debug, Clone)]
enum PathChoice {
    /// The n-th existing path (modulo their number).
    Existing(usize),
    /// A name inside the n-th existing path (a new entry in a directory, mostly).
    Inside(usize, &'static str),
    /// A path from the pool.
    Pool(String),
}

impl PathChoice {
    fn pick(&self, model: &Model) -> String {
        let nth = |n: usize| {
            if model.is_empty() {
                String::new()
            } else {
                model
                    .keys()
                    .nth(n % model.len())
                    .cloned()
                    .unwrap_or_default()
            }
        };
        match self {
            PathChoice::Existing(n) => format!("/{}", nth(*n)),
            PathChoice::Inside(n, name) => format!("/{}/{name}", nth(*n)),
            PathChoice::Pool(p) => p.clone(),
        }
    }
}

#[derive(Debug, Clone)]
enum OpChoice {
    Write(PathChoice, String, bool),
    Mkdir(PathChoice, u32),
    Rm(PathChoice),
    RmR(PathChoice),
    Rename(PathChoice, PathChoice),
    Chmod(PathChoice, u32),
    Symlink(&'static str, PathChoice),
}

/// An operation with its paths chosen, as the shell would call it.
#[derive(Debug, Clone)]
enum Op {
    Write {
        path: String,
        data: String,
        append: bool,
    },
    Mkdir {
        path: String,
        mode: u32,
    },
    Rm {
        path: String,
    },
    RmR {
        path: String,
    },
    Rename {
        from: String,
        to: String,
    },
    Chmod {
        path: String,
        mode: u32,
    },
    Symlink {
        target: String,
        link: String,
    },
}

impl OpChoice {
    fn pick(&self, model: &Model) -> Op {
        match self {
            OpChoice::Write(p, data, append) => Op::Write {
                path: p.pick(model),
                data: data.clone(),
                append: *append,
            },
            OpChoice::Mkdir(p, mode) => Op::Mkdir {
                path: p.pick(model),
                mode: *mode,
            },
            OpChoice::Rm(p) => Op::Rm {
                path: p.pick(model),
            },
            OpChoice::RmR(p) => Op::RmR {
                path: p.pick(model),
            },
            OpChoice::Rename(a, b) => Op::Rename {
                from: a.pick(model),
                to: b.pick(model),
            },
            OpChoice::Chmod(p, mode) => Op::Chmod {
                path: p.pick(model),
                mode: *mode,
            },
            OpChoice::Symlink(t, p) => Op::Symlink {
                target: t.to_string(),
                link: p.pick(model),
            },
        }
    }
}

const NAMES: &[&str] = &["a", "b", "c", "d", "l", "sub", "f1", "k", "z"];
const NEW_NAMES: &[&str] = &["n", "m", "z", "k", "sub"];
const TARGETS: &[&str] = &[
    "a", "/b", "../c", "a/sub", "/a/sub/z", "..", "zz", "/", "../../..", "k",
];
/// Modes that keep the owner's rwx on directories, so the test also runs as a plain user.
const MODES: &[u32] = &[0o755, 0o700, 0o750, 0o711, 0o777];

fn pool_path() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(NAMES).prop_map(|a| format!("/{a}")),
        4 => (prop::sample::select(NAMES), prop::sample::select(NAMES)).prop_map(|(a, b)| format!("/{a}/{b}")),
        2 => (prop::sample::select(NAMES), prop::sample::select(NAMES), prop::sample::select(NAMES))
            .prop_map(|(a, b, c)| format!("/{a}/{b}/{c}")),
    ]
}

fn path_strategy() -> impl Strategy<Value = PathChoice> {
    prop_oneof![
        4 => any::<usize>().prop_map(PathChoice::Existing),
        3 => (any::<usize>(), prop::sample::select(NEW_NAMES)).prop_map(|(n, name)| PathChoice::Inside(n, name)),
        3 => pool_path().prop_map(PathChoice::Pool),
    ]
}

fn op_strategy() -> impl Strategy<Value = OpChoice> {
    let data = prop::sample::select(&["x", "hello\n", "", "0123456789"][..]).prop_map(String::from);
    prop_oneof![
        3 => (path_strategy(), data, any::<bool>()).prop_map(|(p, d, a)| OpChoice::Write(p, d, a)),
        2 => (path_strategy(), prop::sample::select(MODES)).prop_map(|(p, m)| OpChoice::Mkdir(p, m)),
        2 => path_strategy().prop_map(OpChoice::Rm),
        2 => path_strategy().prop_map(OpChoice::RmR),
        3 => (path_strategy(), path_strategy()).prop_map(|(a, b)| OpChoice::Rename(a, b)),
        2 => (path_strategy(), prop::sample::select(MODES)).prop_map(|(p, m)| OpChoice::Chmod(p, m)),
        1 => (prop::sample::select(TARGETS), path_strategy()).prop_map(|(t, p)| OpChoice::Symlink(t, p)),
    ]
}

/// What an operation resolves to in the model, before it is applied: the kernel is given
/// these resolved paths (so it never follows a symlink itself, which could leave the mount).
#[derive(Debug, Clone)]
enum Resolved {
    One(Vec<String>),
    Two(Vec<String>, Vec<String>),
}

fn model_resolve_op(model: &Model, op: &Op) -> Result<Resolved, ()> {
    Ok(match op {
        Op::Write { path, .. } | Op::Chmod { path, .. } => {
            Resolved::One(model_resolve(model, path, true)?)
        }
        Op::Mkdir { path, .. } | Op::Rm { path } | Op::RmR { path } => {
            Resolved::One(model_resolve(model, path, false)?)
        }
        Op::Symlink { link, .. } => Resolved::One(model_resolve(model, link, false)?),
        Op::Rename { from, to } => Resolved::Two(
            model_resolve(model, from, false)?,
            model_resolve(model, to, false)?,
        ),
    })
}

/// Applies `op` to the model; `false` if it fails (and then nothing changed).
fn model_apply(model: &mut Model, op: &Op, resolved: &Resolved) -> bool {
    match (op, resolved) {
        (Op::Write { data, append, .. }, Resolved::One(n)) => {
            let key = n.join("/");
            if n.is_empty() {
                return false;
            }
            match model.get_mut(&key) {
                Some(Node::File(_, content)) => {
                    if !*append {
                        content.clear();
                    }
                    content.extend_from_slice(data.as_bytes());
                    true
                }
                Some(_) => false,
                None => {
                    model.insert(key, Node::File(0o644, data.as_bytes().to_vec()));
                    true
                }
            }
        }
        (Op::Mkdir { mode, .. }, Resolved::One(n)) => {
            let key = n.join("/");
            if n.is_empty() || model.contains_key(&key) {
                return false;
            }
            model.insert(key, Node::Dir(*mode));
            true
        }
        (Op::Rm { .. }, Resolved::One(n)) => {
            let key = n.join("/");
            match model.get(&key) {
                Some(Node::Dir(_)) | None => false,
                Some(_) => {
                    model.remove(&key);
                    true
                }
            }
        }
        (Op::RmR { .. }, Resolved::One(n)) => {
            let key = n.join("/");
            if n.is_empty() || !model.contains_key(&key) {
                return false;
            }
            remove_subtree(model, &key);
            true
        }
        (Op::Chmod { mode, .. }, Resolved::One(n)) => {
            if n.is_empty() {
                return true;
            }
            match model.get_mut(&n.join("/")) {
                Some(Node::Dir(m)) | Some(Node::File(m, _)) => {
                    *m = *mode;
                    true
                }
                _ => false,
            }
        }
        (Op::Symlink { target, .. }, Resolved::One(n)) => {
            let key = n.join("/");
            if n.is_empty() || model.contains_key(&key) {
                return false;
            }
            model.insert(key, Node::Link(target.clone()));
            true
        }
        (Op::Rename { .. }, Resolved::Two(a, b)) => {
            if a.is_empty() || b.is_empty() {
                return false;
            }
            let (ka, kb) = (a.join("/"), b.join("/"));
            let Some(na) = model.get(&ka).cloned() else {
                return false;
            };
            if ka == kb {
                return true;
            }
            if under(&kb, &ka) {
                return false;
            }
            let a_dir = matches!(na, Node::Dir(_));
            match model.get(&kb) {
                Some(Node::Dir(_)) if !a_dir => return false,
                Some(Node::Dir(_)) if model.keys().any(|p| under(p, &kb)) => return false,
                Some(_) if a_dir && !matches!(model.get(&kb), Some(Node::Dir(_))) => return false,
                _ => {}
            }
            remove_subtree(model, &kb);
            let moved: Vec<(String, Node)> = model
                .iter()
                .filter(|(p, _)| *p == &ka || under(p, &ka))
                .map(|(p, n)| (format!("{kb}{}", &p[ka.len()..]), n.clone()))
                .collect();
            remove_subtree(model, &ka);
            model.extend(moved);
            true
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Applying to capas's container
// ---------------------------------------------------------------------------------------------

fn container_apply(c: &mut Container, op: &Op) -> bool {
    match op {
        Op::Write { path, data, append } => c.write(path, data.as_bytes(), *append).is_ok(),
        Op::Mkdir { path, mode } => c.mkdir(path, *mode).is_ok(),
        Op::Rm { path } => c.remove_file(path).is_ok(),
        Op::RmR { path } => c.remove_all(path).is_ok(),
        Op::Rename { from, to } => c.rename(from, to).is_ok(),
        Op::Chmod { path, mode } => c.chmod(path, *mode).is_ok(),
        Op::Symlink { target, link } => c.symlink(target, link).is_ok(),
    }
}

/// A visible tree, comparable across the three implementations: path → description.
type Tree = BTreeMap<String, String>;

fn model_tree(model: &Model) -> Tree {
    model
        .iter()
        .map(|(p, n)| {
            let what = match n {
                Node::Dir(m) => format!("dir {m:o}"),
                Node::File(m, c) => format!("file {m:o} {:?}", String::from_utf8_lossy(c)),
                Node::Link(t) => format!("link {t}"),
            };
            (p.clone(), what)
        })
        .collect()
}

fn container_tree(c: &Container) -> Tree {
    fn walk(c: &Container, dir: &str, prefix: &str, out: &mut Tree) {
        for e in c.read_dir(dir).expect("read_dir") {
            let rel = if prefix.is_empty() {
                e.name.clone()
            } else {
                format!("{prefix}/{}", e.name)
            };
            let path = format!("/{rel}");
            let what = match e.stat.kind {
                FileKind::Dir => format!("dir {:o}", e.stat.mode),
                FileKind::File => {
                    let mut bytes = Vec::new();
                    c.open_read(&path)
                        .expect("open")
                        .read_to_end(&mut bytes)
                        .expect("read");
                    format!(
                        "file {:o} {:?}",
                        e.stat.mode,
                        String::from_utf8_lossy(&bytes)
                    )
                }
                FileKind::Symlink => {
                    format!("link {}", e.stat.link_target.clone().unwrap_or_default())
                }
                FileKind::Other => "other".to_string(),
            };
            out.insert(rel.clone(), what);
            if e.stat.kind == FileKind::Dir {
                walk(c, &path, &rel, out);
            }
        }
    }
    let mut out = Tree::new();
    walk(c, "/", "", &mut out);
    out
}

fn host_tree(root: &Path) -> Tree {
    let mut out = Tree::new();
    for entry in walkdir::WalkDir::new(root).min_depth(1) {
        let entry = entry.expect("walk");
        let rel = entry
            .path()
            .strip_prefix(root)
            .expect("prefix")
            .display()
            .to_string();
        let meta = entry.path().symlink_metadata().expect("lstat");
        let what = if meta.is_dir() {
            format!("dir {:o}", meta.mode() & 0o7777)
        } else if meta.is_file() {
            let bytes = fs::read(entry.path()).expect("read");
            format!(
                "file {:o} {:?}",
                meta.mode() & 0o7777,
                String::from_utf8_lossy(&bytes)
            )
        } else if meta.file_type().is_symlink() {
            format!(
                "link {}",
                fs::read_link(entry.path()).expect("link").display()
            )
        } else {
            "other".to_string()
        };
        out.insert(rel, what);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The kernel's overlayfs
// ---------------------------------------------------------------------------------------------

fn run(cmd: &str, args: &[&str]) -> io::Result<()> {
    let out = Command::new(cmd).args(args).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{cmd} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// The image's layers in the kernel's spelling, made once.
struct KernelLayers {
    _dir: tempfile::TempDir,
    /// Top first, as `lowerdir=` wants them.
    lowerdirs: Vec<PathBuf>,
}

impl KernelLayers {
    /// Converts the OCI layers: `.wh.x` → `mknod x c 0 0`; `.wh..wh..opq` → the directory's
    /// `trusted.overlay.opaque=y` (`setfattr`). Then checks that a mount works.
    fn prepare(store: &Store, image: &Image) -> Result<KernelLayers, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut lowerdirs = Vec::new();
        for (i, layer) in image.layers().iter().enumerate() {
            let src = store.layer_diff_dir(&layer.chain_id);
            let dst = dir.path().join(format!("k{i}"));
            run(
                "cp",
                &["-a", &src.display().to_string(), &dst.display().to_string()],
            )
            .map_err(|e| e.to_string())?;
            let markers: Vec<PathBuf> = walkdir::WalkDir::new(&dst)
                .into_iter()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(".wh."))
                .map(|e| e.path().to_path_buf())
                .collect();
            for marker in markers {
                let name = marker
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let parent = marker.parent().unwrap_or(&dst).to_path_buf();
                fs::remove_file(&marker).map_err(|e| e.to_string())?;
                if name == ".wh..wh..opq" {
                    run(
                        "setfattr",
                        &[
                            "-n",
                            "trusted.overlay.opaque",
                            "-v",
                            "y",
                            &parent.display().to_string(),
                        ],
                    )
                    .map_err(|e| format!("marking an opaque directory needs root: {e}"))?;
                } else {
                    let hidden = parent.join(&name[4..]);
                    run("mknod", &[&hidden.display().to_string(), "c", "0", "0"])
                        .map_err(|e| e.to_string())?;
                }
            }
            lowerdirs.push(dst);
        }
        lowerdirs.reverse();
        let layers = KernelLayers {
            _dir: dir,
            lowerdirs,
        };
        let probe = tempfile::tempdir().map_err(|e| e.to_string())?;
        layers.mount(probe.path())?;
        Ok(layers)
    }

    fn mount(&self, work: &Path) -> Result<Mount, String> {
        let (upper, workdir, merged) = (work.join("upper"), work.join("work"), work.join("merged"));
        for d in [&upper, &workdir, &merged] {
            fs::create_dir_all(d).map_err(|e| e.to_string())?;
        }
        let lower: Vec<String> = self
            .lowerdirs
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        // As Docker's overlay2 mounts it: no redirect_dir (renaming a lower directory gives
        // EXDEV), no index, no metacopy.
        let options = format!(
            "lowerdir={},upperdir={},workdir={},redirect_dir=off,index=off,metacopy=off",
            lower.join(":"),
            upper.display(),
            workdir.display()
        );
        run(
            "mount",
            &[
                "-t",
                "overlay",
                "overlay",
                "-o",
                &options,
                &merged.display().to_string(),
            ],
        )
        .map_err(|e| e.to_string())?;
        Ok(Mount { merged, upper })
    }
}

/// A mounted overlay, unmounted when dropped (also when a test fails).
struct Mount {
    merged: PathBuf,
    upper: PathBuf,
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = run("umount", &[&self.merged.display().to_string()]);
    }
}

/// The host path of resolved names inside the mount, checking that every parent is a real
/// directory (never a symlink, which the host would follow out of the mount).
fn safe_path(root: &Path, names: &[String]) -> Result<PathBuf, String> {
    let mut p = root.to_path_buf();
    for (i, n) in names.iter().enumerate() {
        p.push(n);
        if i + 1 < names.len() && !p.symlink_metadata().is_ok_and(|m| m.is_dir()) {
            return Err(format!(
                "{} is not a directory in the kernel's tree",
                p.display()
            ));
        }
    }
    Ok(p)
}

/// `cp -a` of a tree (what `mv` does when rename answers EXDEV).
fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    let meta = from.symlink_metadata()?;
    if meta.is_dir() {
        fs::create_dir(to)?;
        fs::set_permissions(to, fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        let mut names: Vec<_> = fs::read_dir(from)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()?;
        names.sort();
        for n in names {
            copy_tree(&from.join(&n), &to.join(&n))?;
        }
        fs::File::open(to)?.set_modified(meta.modified()?)?;
    } else if meta.file_type().is_symlink() {
        std::os::unix::fs::symlink(fs::read_link(from)?, to)?;
    } else {
        fs::copy(from, to)?;
        fs::File::open(to)?.set_modified(meta.modified()?)?;
    }
    Ok(())
}

fn remove_any(path: &Path) -> io::Result<()> {
    if path.symlink_metadata()?.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}

fn kernel_apply(root: &Path, op: &Op, resolved: &Resolved) -> Result<bool, String> {
    let one = |n: &Vec<String>| safe_path(root, n);
    let result: io::Result<()> = match (op, resolved) {
        (Op::Write { data, append, .. }, Resolved::One(n)) => {
            let p = one(n)?;
            (|| {
                let existed = p.symlink_metadata().is_ok();
                let mut f = fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .append(*append)
                    .truncate(!*append)
                    .mode(0o644)
                    .open(&p)?;
                if !existed {
                    f.set_permissions(fs::Permissions::from_mode(0o644))?;
                }
                f.write_all(data.as_bytes())
            })()
        }
        (Op::Mkdir { mode, .. }, Resolved::One(n)) => {
            let p = one(n)?;
            fs::create_dir(&p)
                .and_then(|_| fs::set_permissions(&p, fs::Permissions::from_mode(*mode)))
        }
        (Op::Rm { .. }, Resolved::One(n)) => {
            let p = one(n)?;
            match p.symlink_metadata() {
                Ok(m) if m.is_dir() => Err(io::Error::other("is a directory")),
                _ => fs::remove_file(&p),
            }
        }
        (Op::RmR { .. }, Resolved::One(n)) => {
            if n.is_empty() {
                Err(io::Error::other("root"))
            } else {
                remove_any(&one(n)?)
            }
        }
        (Op::Chmod { mode, .. }, Resolved::One(n)) => {
            fs::set_permissions(one(n)?, fs::Permissions::from_mode(*mode))
        }
        (Op::Symlink { target, .. }, Resolved::One(n)) => {
            if n.is_empty() {
                Err(io::Error::other("root"))
            } else {
                std::os::unix::fs::symlink(target, one(n)?)
            }
        }
        (Op::Rename { .. }, Resolved::Two(a, b)) => {
            if a.is_empty() || b.is_empty() {
                Err(io::Error::other("root"))
            } else {
                let (pa, pb) = (one(a)?, one(b)?);
                match fs::rename(&pa, &pb) {
                    Err(e) if e.raw_os_error() == Some(18) => {
                        // EXDEV: a directory with lower parts; do what `mv` does.
                        (|| {
                            if let Ok(m) = pb.symlink_metadata() {
                                if m.is_dir() {
                                    fs::remove_dir(&pb)?
                                } else {
                                    fs::remove_file(&pb)?
                                }
                            }
                            copy_tree(&pa, &pb)?;
                            fs::remove_dir_all(&pa)
                        })()
                    }
                    other => other,
                }
            }
        }
        _ => Err(io::Error::other("mismatched op")),
    };
    Ok(result.is_ok())
}

/// An upper directory in one spelling: `.wh.x` files for whiteouts, `.wh..wh..opq` for opaque
/// directories (the kernel's devices and xattrs are translated).
/// `kernel`: `None` for capas's upper, `Some(read_xattrs)` for the kernel's.
fn upper_tree(upper: &Path, kernel: Option<bool>) -> Result<Tree, String> {
    let xattrs = kernel == Some(true);
    let kernel = kernel.is_some();
    let mut out = Tree::new();
    for entry in walkdir::WalkDir::new(upper).min_depth(1) {
        let entry = entry.map_err(|e| e.to_string())?;
        let rel = entry
            .path()
            .strip_prefix(upper)
            .map_err(|e| e.to_string())?
            .display()
            .to_string();
        let meta = entry.path().symlink_metadata().map_err(|e| e.to_string())?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let (key, what) = if kernel && meta.file_type().is_char_device() && meta.rdev() == 0 {
            let parent = rel.strip_suffix(&name).unwrap_or("");
            (format!("{parent}.wh.{name}"), "whiteout".to_string())
        } else if !kernel && name == ".wh..wh..opq" {
            (rel, "opaque".to_string())
        } else if !kernel && name.starts_with(".wh.") {
            (rel, "whiteout".to_string())
        } else if meta.is_dir() {
            (rel, format!("dir {:o}", meta.mode() & 0o7777))
        } else if meta.is_file() {
            let bytes = fs::read(entry.path()).map_err(|e| e.to_string())?;
            (
                rel,
                format!(
                    "file {:o} {:?}",
                    meta.mode() & 0o7777,
                    String::from_utf8_lossy(&bytes)
                ),
            )
        } else if meta.file_type().is_symlink() {
            (
                rel,
                format!(
                    "link {}",
                    fs::read_link(entry.path())
                        .map_err(|e| e.to_string())?
                        .display()
                ),
            )
        } else {
            (rel, "other".to_string())
        };
        out.insert(key, what);
    }
    if xattrs {
        let dump = Command::new("getfattr")
            .args([
                "-R",
                "-h",
                "-d",
                "-m",
                "^trusted.overlay.opaque$",
                "--absolute-names",
            ])
            .arg(upper)
            .output()
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&dump.stdout);
        let mut current = None;
        for line in text.lines() {
            if let Some(file) = line.strip_prefix("# file: ") {
                current = Some(PathBuf::from(file));
            } else if line == "trusted.overlay.opaque=\"y\""
                && let Some(dir) = &current
            {
                let rel = dir
                    .strip_prefix(upper)
                    .map_err(|e| e.to_string())?
                    .display()
                    .to_string();
                out.insert(format!("{rel}/.wh..wh..opq"), "opaque".to_string());
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------

/// Every entry of the image's layer directories: path, mode, owner, mtime, content.
fn layers_fingerprint(store: &Store, image: &Image) -> Vec<String> {
    let mut out = Vec::new();
    for layer in image.layers() {
        let dir = store.layer_diff_dir(&layer.chain_id);
        for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
            let entry = entry.expect("walk");
            let meta = entry.path().symlink_metadata().expect("lstat");
            let content = if meta.is_file() {
                fs::read(entry.path()).expect("read")
            } else {
                Vec::new()
            };
            out.push(format!(
                "{} {:o} {} {} {}.{} {:?}",
                entry.path().display(),
                meta.mode(),
                meta.uid(),
                meta.gid(),
                meta.mtime(),
                meta.mtime_nsec(),
                content
            ));
        }
    }
    out
}

fn check(
    store: &Store,
    image: &Image,
    kernel: Option<&KernelLayers>,
    choices: &[OpChoice],
    lowers: &[String],
    spec: &[Vec<Spec>],
    getfattr: bool,
) -> Result<(), TestCaseError> {
    let mut model = flatten(spec);
    let locked = store
        .lock()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut c = Container::create(&locked, image, None, &[], 0)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    drop(locked);
    prop_assert_eq!(container_tree(&c), model_tree(&model), "the image's tree");

    let work = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mount = match kernel {
        Some(k) => Some(k.mount(work.path()).map_err(TestCaseError::fail)?),
        None => None,
    };
    let mut ops = Vec::new();
    for (i, choice) in choices.iter().enumerate() {
        let op = &choice.pick(&model);
        ops.push(op.clone());
        let resolved = model_resolve_op(&model, op);
        let expected = match &resolved {
            Ok(r) => model_apply(&mut model, op, r),
            Err(()) => false,
        };
        let got = container_apply(&mut c, op);
        prop_assert_eq!(got, expected, "op {} {:?}: capas vs model", i, op);
        if let (Some(m), Ok(r)) = (&mount, &resolved) {
            let kernel_ok = kernel_apply(&m.merged, op, r).map_err(TestCaseError::fail)?;
            prop_assert_eq!(kernel_ok, expected, "op {} {:?}: overlayfs vs model", i, op);
        }
    }
    prop_assert_eq!(
        container_tree(&c),
        model_tree(&model),
        "capas vs model after {:?}",
        ops
    );
    if let Some(m) = &mount {
        prop_assert_eq!(
            host_tree(&m.merged),
            model_tree(&model),
            "overlayfs vs model after {:?}",
            ops
        );
        let mut ours = upper_tree(&c.upper_dir(), None).map_err(TestCaseError::fail)?;
        let theirs = upper_tree(&m.upper, Some(getfattr)).map_err(TestCaseError::fail)?;
        if !getfattr {
            // The kernel's opaque directories cannot be seen without getfattr.
            ours.retain(|_, what| what != "opaque");
        }
        prop_assert_eq!(
            ours,
            theirs,
            "upper dirs (capas, overlayfs) after {:?}",
            ops
        );
    }
    drop(mount);
    prop_assert_eq!(
        &layers_fingerprint(store, image)[..],
        lowers,
        "the image's layers changed after {:?}",
        ops
    );
    let locked = store
        .lock()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    container::remove(&locked, c.id()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    Ok(())
}

fn has_tool(tool: &str) -> bool {
    run(tool, &["--version"]).is_ok()
}

fn run_property(cases: u32) {
    // Without setfattr the kernel cannot be given an opaque lower directory: the image then
    // has none (those cases are skipped). Without getfattr the kernel's opaque upper
    // directories cannot be read: the upper dirs are compared without opaque markers.
    let (setfattr, getfattr) = (has_tool("setfattr"), has_tool("getfattr"));
    let spec = image_spec(setfattr);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("store")).expect("store");
    let image = make_image(&store, &spec);
    let kernel = match KernelLayers::prepare(&store, &image) {
        Ok(k) => {
            eprintln!("overlayfs oracle: on (kernel overlay mounts work here)");
            Some(k)
        }
        Err(why) => {
            eprintln!("overlayfs oracle: skipped ({why}); comparing with the model only");
            None
        }
    };
    if kernel.is_some() && !setfattr {
        eprintln!(
            "overlayfs oracle: no setfattr (Debian package attr): opaque lower directories skipped"
        );
    }
    if kernel.is_some() && !getfattr {
        eprintln!(
            "overlayfs oracle: no getfattr (Debian package attr): upper dirs compared without opaque markers"
        );
    }
    let lowers = layers_fingerprint(&store, &image);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(op_strategy(), 1..14), |ops| {
        check(
            &store,
            &image,
            kernel.as_ref(),
            &ops,
            &lowers,
            &spec,
            getfattr,
        )
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn container_matches_model_and_overlayfs() {
    // PROPTEST_CASES=2000 for a longer hunt.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    run_property(cases);
}

#[test]
fn flattened_image_matches_union_view() {
    // The model's starting point and capas's union view agree on the image alone.
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("store")).expect("store");
    let image = make_image(&store, &image_spec(true));
    let view = capas_core::union::UnionView::of_image(&store, &image).expect("view");
    let mut seen = Vec::new();
    view.walk(&mut |p, _| seen.push(p.trim_start_matches('/').to_string()))
        .expect("walk");
    let model: Vec<String> = flatten(&image_spec(true)).into_keys().collect();
    assert_eq!(seen, model);
}
