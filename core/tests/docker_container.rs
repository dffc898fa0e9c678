//! The same shell scripts in a Docker container and in a capas container (issue: containers).
//!
//! A runnable base image is made by capas from Debian's static busybox (two layers, so that
//! the scripts touch files of both), saved with `archive::save` and loaded into the
//! machine's Docker. Each script then runs in both engines, and the test compares:
//!
//! * what the script printed and its exit status;
//! * `docker diff` with `capas diff` (as sets: Docker's order is not deterministic);
//! * the merged tree (`docker export`, without the files Docker's init layer adds) with the
//!   capas container's view: paths, types, modes, contents, symlink targets;
//! * the committed layer. Docker's storage driver decides how a layer is written: overlay2
//!   with a native diff writes opaque markers and keeps hard-link copy-ups, the naive diff
//!   (fuse-overlayfs, vfs, overlay2 with redirect_dir) writes one whiteout per deleted child.
//!   Both layers, applied to the base image, must give the same tree, and their entries
//!   (whiteouts and opaque markers included) must be the same — for every script where the
//!   daemon uses overlay2's native diff, and for all but the two scripts whose layers a naive
//!   diff writes its own way (an opaque directory, a hard link to a lower file) elsewhere.
//!
//! Requires Docker (`CAPAS_REQUIRE_DOCKER=1` in CI) and `busybox-static`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::path::Path;

use capas_core::container::{self, CommitOptions, Container};
use capas_core::digest::Digest;
use capas_core::image::{self, Image};
use capas_core::layer::TarBuilder;
use capas_core::reference::Reference;
use capas_core::shell::{FileKind, Fs, Shell};
use capas_core::store::Store;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use support::{Cleanup, Docker};

const T0: u64 = 1_700_000_000;
const NOW: i64 = 1_732_838_400;
const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The scripts: every kind of change the course shows, run from `/work`.
const SCRIPTS: &[(&str, &str)] = &[
    (
        "write-append-delete",
        "echo hola > /tmp/a; echo x >> modify.txt; rm delete.txt; cat modify.txt",
    ),
    (
        "renames",
        "mv dir moved && mv keep.txt kept.txt && mv upper.txt dir2/ && ls moved moved/sub",
    ),
    (
        "rm-r-then-mkdir",
        "rm -r dir && mkdir dir && echo new > dir/n.txt && ls -a dir",
    ),
    (
        "hard-links",
        "ln keep.txt hl && echo a > /tmp/x && ln /tmp/x /tmp/y && cat hl /tmp/y",
    ),
    (
        "symlinks",
        "ln -s keep.txt sl && ln -s /nonexistent dangling && rm link && cat sl",
    ),
    (
        "chmod",
        "chmod 600 keep.txt && chmod 700 dir && chmod +x modify.txt && chmod go-rx dir2",
    ),
    (
        "mixed",
        "mkdir -p a/b/c && echo deep > a/b/c/f && cp -r dir copy && rm -r copy/sub && \
         touch dir/sub/b.txt && rmdir empty && (cd a && pwd) && false || echo fallback",
    ),
    (
        "words",
        "x='a  b'; echo \"$x\" $x; echo '$x' \"\\$x\" \\$x; y=$(echo hi); echo \"got $y\" ${z:-def} ${#x}; \
         echo a\\ b \"c\\\"d\" ~ `echo back`; A=1 B=\"$A\"; echo $A$B",
    ),
    (
        "control",
        "for f in *.txt dir/*; do echo \"[$f]\"; done; if [ -d dir ]; then echo isdir; else echo no; fi; \
         for k in 1 2 3; do i=$k; done; echo $i; true && echo and; false || echo or; ! false && echo not; \
         echo $?; (cd dir && pwd); pwd; { echo in; echo group; } > g.txt; cat g.txt; exit 4",
    ),
    (
        "redirections",
        "echo out > o.txt; echo more >> o.txt; cat < o.txt; ls nope 2> e.txt; cat e.txt; \
         ls nope > both.txt 2>&1; cat both.txt; echo x | cat; echo err 1>&2; printf '%s-%d\\n' a 1 b 2; \
         cat dir/*.txt | cat; echo -n no-newline; echo; echo -e 'a\\tb'",
    ),
    ("set-e", "set -e; echo before; false; echo after"),
    (
        "copies",
        "cp keep.txt /tmp/k && cp keep.txt keep.txt; echo $?; cp keep.txt ./; cp keep.txt dir/ && \
         cat dir/keep.txt /tmp/k && cp /tmp/k modify.txt && cat modify.txt && cp -p upper.txt /tmp/",
    ),
    (
        "errors",
        "cat nope; rm nope; mkdir dir; rmdir dir; ls nope; mv nope x; cp nope x; echo $?",
    ),
];

/// Scripts whose committed layer a naive-diff storage driver (fuse-overlayfs, vfs) writes
/// differently from overlayfs, with the same effect.
const NAIVE_DIFF_WRITES_OTHERWISE: &[&str] = &["rm-r-then-mkdir", "hard-links"];

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

// ---------------------------------------------------------------------------------------------
// The base image
// ---------------------------------------------------------------------------------------------

/// Layer 1: busybox, its applets, `/etc`, the directories Docker mounts over, and `/work`.
fn base_layer(busybox: &Path) -> Vec<u8> {
    let mut b = TarBuilder::new(Vec::new());
    capas_core::busybox::add_to_layer(
        &mut b,
        busybox,
        &[
            "cat", "chmod", "cp", "echo", "false", "ln", "ls", "mkdir", "mv", "pwd", "rm", "rmdir",
            "sh", "touch", "true",
        ],
        T0,
    )
    .expect("busybox");
    b.dir("dev", 0o755, T0).expect("dir");
    b.dir("etc", 0o755, T0).expect("dir");
    let passwd = b"root:x:0:0:root:/root:/bin/sh\n";
    b.file("etc/passwd", 0o644, T0, passwd.len() as u64, &passwd[..])
        .expect("passwd");
    let group = b"root:x:0:\n";
    b.file("etc/group", 0o644, T0, group.len() as u64, &group[..])
        .expect("group");
    b.dir("proc", 0o755, T0).expect("dir");
    b.dir("root", 0o700, T0).expect("dir");
    b.dir("sys", 0o755, T0).expect("dir");
    b.dir("tmp", 0o1777, T0).expect("dir");
    b.dir("work", 0o755, T0).expect("dir");
    for (name, text) in [
        ("work/delete.txt", "delete me\n"),
        ("work/keep.txt", "keep me\n"),
        ("work/modify.txt", "modify me\n"),
        ("work/dir/a.txt", "a\n"),
        ("work/dir/sub/b.txt", "b\n"),
    ] {
        if name == "work/dir/a.txt" {
            b.dir("work/dir", 0o755, T0).expect("dir");
        }
        if name == "work/dir/sub/b.txt" {
            b.dir("work/dir/sub", 0o755, T0).expect("dir");
        }
        b.file(name, 0o644, T0, text.len() as u64, text.as_bytes())
            .expect("file");
    }
    b.dir("work/empty", 0o755, T0).expect("dir");
    b.symlink("work/link", "keep.txt", T0).expect("link");
    b.finish().expect("finish").0
}

/// Layer 2: more files in `/work/dir` (so that it is merged from two layers) and one of
/// layer 1 deleted.
fn second_layer() -> Vec<u8> {
    let mut b = TarBuilder::new(Vec::new());
    b.dir("work", 0o755, T0 + 10).expect("dir");
    b.dir("work/dir", 0o755, T0 + 10).expect("dir");
    b.file("work/dir/c.txt", 0o644, T0 + 10, 2, &b"c\n"[..])
        .expect("file");
    b.dir("work/dir2", 0o755, T0 + 10).expect("dir");
    b.file("work/dir2/d.txt", 0o644, T0 + 10, 2, &b"d\n"[..])
        .expect("file");
    b.file("work/upper.txt", 0o644, T0 + 10, 6, &b"upper\n"[..])
        .expect("file");
    b.finish().expect("finish").0
}

/// Stores the two layers and records the image under `tag`.
fn make_base(store: &Store, busybox: &Path, tag: &Reference) -> Image {
    let config = json!({
        "architecture": "amd64",
        "config": {"Env": [format!("PATH={PATH}")], "Cmd": ["sh"], "WorkingDir": "/work"},
        "created": "2023-11-14T22:13:20Z",
        "history": [
            {"created": "2023-11-14T22:13:20Z", "created_by": "/bin/sh -c #(nop) ADD busybox"},
            {"created": "2023-11-14T22:13:30Z", "created_by": "/bin/sh -c #(nop) ADD more"},
        ],
        "os": "linux",
    });
    let layers = [base_layer(busybox), second_layer()];
    let locked = store.lock().expect("lock");
    let record = image::commit_layers(
        &locked,
        layers.iter().map(|t| &t[..]),
        config,
        std::slice::from_ref(tag),
    )
    .expect("commit");
    Image::load(store, &record).expect("load")
}

// ---------------------------------------------------------------------------------------------
// Trees: what a file system holds, comparable across engines
// ---------------------------------------------------------------------------------------------

/// One entry: kind, permission bits, and the content's sha256 or the symlink's target.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Dir(u32),
    File(u32, String),
    Symlink(String),
}

type Tree = BTreeMap<String, Node>;

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Paths Docker's init layer adds (or mounts over): not the script's doing.
fn docker_own(path: &str) -> bool {
    matches!(
        path,
        "/.dockerenv" | "/etc/hosts" | "/etc/hostname" | "/etc/resolv.conf" | "/etc/mtab"
    ) || ["/dev", "/proc", "/sys"]
        .iter()
        .any(|m| path == *m || path.starts_with(&format!("{m}/")))
}

/// The tree a tar describes, on its own (export) or applied onto `base` (a layer): `.wh.`
/// whiteouts delete, an opaque marker empties its directory of what the layers below had.
fn apply_tar(base: &Tree, bytes: &[u8]) -> Tree {
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("gunzip");
        out
    } else {
        bytes.to_vec()
    };
    let mut tree = base.clone();
    let mut added: Tree = BTreeMap::new();
    let mut deleted = Vec::new();
    let mut opaque = Vec::new();
    let mut archive = tar::Archive::new(&bytes[..]);
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let raw = entry.path().expect("path").to_string_lossy().into_owned();
        let p = format!("/{}", raw.trim_start_matches("./").trim_end_matches('/'));
        if p == "/" {
            continue;
        }
        let (dir, name) = p.rsplit_once('/').expect("slash");
        let dir = if dir.is_empty() { "/" } else { dir };
        if name == ".wh..wh..opq" {
            opaque.push(dir.to_string());
            continue;
        }
        if let Some(hidden) = name.strip_prefix(".wh.") {
            deleted.push(format!("{}/{hidden}", dir.trim_end_matches('/')));
            continue;
        }
        let mode = entry.header().mode().expect("mode") & 0o7777;
        let node = match entry.header().entry_type() {
            tar::EntryType::Directory => Node::Dir(mode),
            tar::EntryType::Symlink => Node::Symlink(
                entry
                    .link_name()
                    .expect("link")
                    .expect("target")
                    .to_string_lossy()
                    .into_owned(),
            ),
            tar::EntryType::Link => {
                let target = entry.link_name().expect("link").expect("target");
                let target = format!("/{}", target.to_string_lossy().trim_start_matches("./"));
                added
                    .get(&target)
                    .or_else(|| tree.get(&target))
                    .cloned()
                    .unwrap_or_else(|| panic!("hard link {p} to unknown {target}"))
            }
            _ => {
                let mut content = Vec::new();
                entry.read_to_end(&mut content).expect("content");
                Node::File(mode, sha(&content))
            }
        };
        added.insert(p, node);
    }
    let under =
        |p: &str, d: &str| p == d || p.starts_with(&format!("{}/", d.trim_end_matches('/')));
    for d in &deleted {
        tree.retain(|p, _| !under(p, d));
    }
    for d in &opaque {
        tree.retain(|p, _| p == d || !under(p, d));
    }
    for (p, node) in added {
        if !matches!(node, Node::Dir(_)) {
            tree.retain(|q, _| !under(q, &p));
        }
        tree.insert(p, node);
    }
    tree
}

/// The capas container's merged view, through the same `Fs` calls the shell makes.
fn capas_tree(c: &Container) -> Tree {
    fn walk(c: &Container, dir: &str, tree: &mut Tree) {
        for e in c.read_dir(dir).expect("read_dir") {
            let p = format!("{}/{}", dir.trim_end_matches('/'), e.name);
            let node = match e.stat.kind {
                FileKind::Dir => Node::Dir(e.stat.mode),
                FileKind::Symlink => Node::Symlink(e.stat.link_target.clone().unwrap_or_default()),
                _ => {
                    let mut content = Vec::new();
                    c.open_read(&p)
                        .expect("open")
                        .read_to_end(&mut content)
                        .expect("read");
                    Node::File(e.stat.mode, sha(&content))
                }
            };
            let is_dir = e.stat.kind == FileKind::Dir;
            tree.insert(p.clone(), node);
            if is_dir {
                walk(c, &p, tree);
            }
        }
    }
    let mut tree = Tree::new();
    walk(c, "/", &mut tree);
    tree
}

/// The entries of a layer tar, for an exact comparison: path → kind (whiteouts and opaque
/// markers by name), mode, content or link.
fn layer_entries(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut archive = tar::Archive::new(bytes);
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let p = entry.path().expect("path").to_string_lossy().into_owned();
        let p = p.trim_start_matches("./").trim_end_matches('/').to_string();
        let kind = entry.header().entry_type();
        let mode = entry.header().mode().expect("mode") & 0o7777;
        let what = if p.rsplit('/').next().is_some_and(|n| n.starts_with(".wh.")) {
            "whiteout".to_string()
        } else {
            match kind {
                tar::EntryType::Directory => format!("dir {mode:o}"),
                tar::EntryType::Symlink | tar::EntryType::Link => format!(
                    "{} -> {}",
                    if kind == tar::EntryType::Link {
                        "hardlink"
                    } else {
                        "symlink"
                    },
                    entry.link_name().expect("l").expect("t").to_string_lossy()
                ),
                _ => {
                    let mut content = Vec::new();
                    entry.read_to_end(&mut content).expect("content");
                    format!("file {mode:o} {}", sha(&content))
                }
            }
        };
        out.insert(p, what);
    }
    out
}

fn without_docker_own(tree: &Tree) -> Tree {
    tree.iter()
        .filter(|(p, _)| !docker_own(p))
        .map(|(p, n)| (p.clone(), n.clone()))
        .collect()
}

fn mismatch(what: &str, script: &str, docker: &Tree, capas: &Tree) -> String {
    let mut lines = vec![format!("{what} differ for `{script}`:")];
    let paths: BTreeSet<&String> = docker.keys().chain(capas.keys()).collect();
    for p in paths {
        let (d, c) = (docker.get(p), capas.get(p));
        if d != c {
            lines.push(format!("  {p}: docker {d:?}, capas {c:?}"));
        }
    }
    lines.join("\n")
}

/// The last layer of an image `docker save` wrote (a docker-archive).
fn docker_top_layer(saved: &Path) -> Vec<u8> {
    let bytes = fs::read(saved).expect("saved");
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for entry in tar::Archive::new(&bytes[..]).entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let p = entry.path().expect("path").to_string_lossy().into_owned();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("content");
        files.insert(p, content);
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&files["manifest.json"]).expect("manifest.json");
    let layers = manifest[0]["Layers"].as_array().expect("Layers");
    let top = layers.last().and_then(|l| l.as_str()).expect("a layer");
    files.remove(top).expect("layer file")
}

/// Removes a test's containers, also when it panics.
struct Containers<'d> {
    docker: &'d Docker,
    names: Vec<String>,
}

impl Drop for Containers<'_> {
    fn drop(&mut self) {
        for n in &self.names {
            let _ = self.docker.run(&["rm", "-f", n]);
        }
    }
}

#[test]
fn scripts_change_docker_and_capas_containers_alike() {
    let Some(docker) = Docker::connect() else {
        return;
    };
    let Some(busybox) = support::static_busybox() else {
        return;
    };
    let driver = docker.ok(&["info", "--format", "{{.Driver}}"]);
    let driver_status = docker.ok(&["info", "--format", "{{json .DriverStatus}}"]);
    let native_overlay =
        driver.trim() == "overlay2" && driver_status.contains("\"Native Overlay Diff\",\"true\"");
    eprintln!(
        "Docker storage driver: {} (native overlay diff: {native_overlay})",
        driver.trim()
    );

    let mut cleanup = Cleanup::new(&docker);
    let mut containers = Containers {
        docker: &docker,
        names: Vec::new(),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("store")).expect("store");
    let base_tag = cleanup.name("cow-base");
    let base_ref = Reference::parse_tagged(&base_tag).expect("tag");
    let base = make_base(&store, &busybox, &base_ref);

    // Into Docker, by archive: the same image ID on both sides.
    docker.load_from(&store, base.record(), dir.path());
    assert_eq!(
        docker.inspect(&base_tag)["Id"].as_str(),
        Some(base.id().to_string().as_str())
    );

    let base_tree = {
        let mut tree = Tree::new();
        for layer in base.layers() {
            let blob = store.read_blob(&layer.blob.digest().into()).expect("blob");
            tree = apply_tar(&tree, &blob);
        }
        tree
    };

    for (n, (label, script)) in SCRIPTS.iter().enumerate() {
        // Docker.
        let name = format!("capas-test-cow-{}-{n}", std::process::id());
        containers.names.push(name.clone());
        let run = docker.run(&[
            "run",
            "--name",
            &name,
            "--label",
            "capas-test=1",
            &base_tag,
            "sh",
            "-c",
            script,
        ]);
        let docker_code = run.status.code().expect("exit code");
        let docker_stdout = String::from_utf8_lossy(&run.stdout).into_owned();
        let docker_stderr = String::from_utf8_lossy(&run.stderr).into_owned();
        let docker_diff: BTreeSet<String> = docker
            .ok(&["diff", &name])
            .lines()
            .map(str::to_string)
            .collect();
        let export = dir.path().join(format!("export-{n}.tar"));
        docker.ok(&["export", "-o", path(&export), &name]);
        let docker_tree = without_docker_own(&apply_tar(
            &Tree::new(),
            &fs::read(&export).expect("export"),
        ));
        let committed = cleanup.name(&format!("cow-{label}"));
        docker.ok(&["commit", &name, &committed]);
        let saved = dir.path().join(format!("committed-{n}.tar"));
        docker.ok(&["save", "-o", path(&saved), &committed]);
        let docker_layer = docker_top_layer(&saved);

        // capas.
        let locked = store.lock().expect("lock");
        let argv: Vec<String> = ["sh", "-c", script].iter().map(|s| s.to_string()).collect();
        let mut c = Container::create(&locked, &base, Some(&name), &argv, NOW).expect("create");
        c.set_clock(NOW);
        let mut shell = Shell::new([("PATH".to_string(), PATH.to_string())], "/work").with_now(NOW);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let capas_code = shell.run_argv(&mut c, &argv, &mut out, &mut err);
        c.set_exited(capas_code).expect("exited");
        let capas_diff: BTreeSet<String> = c
            .diff()
            .expect("diff")
            .iter()
            .map(|ch| ch.to_string())
            .collect();
        let capas_tree = capas_tree(&c);
        let record = container::commit(
            &locked,
            &c,
            &CommitOptions {
                created: NOW,
                ..CommitOptions::default()
            },
        )
        .expect("commit");
        let committed_image = Image::load(&store, &record).expect("committed");
        let top = committed_image.layers().last().expect("a layer");
        let top_digest: Digest = top.blob.digest().into();
        let capas_layer = store.read_blob(&top_digest).expect("layer blob");
        drop(locked);

        // What the script said, and how it ended.
        assert_eq!(
            (capas_code, String::from_utf8_lossy(&out).into_owned()),
            (docker_code, docker_stdout),
            "exit status and stdout of `{script}`"
        );
        assert_eq!(
            String::from_utf8_lossy(&err),
            docker_stderr,
            "stderr of `{script}`"
        );
        assert_eq!(capas_diff, docker_diff, "docker diff of `{script}`");
        let capas_tree = without_docker_own(&capas_tree);
        assert!(
            capas_tree == docker_tree,
            "{}",
            mismatch("merged trees", script, &docker_tree, &capas_tree)
        );
        // The committed layers: the same tree once applied to the base image.
        let on_docker = without_docker_own(&apply_tar(&base_tree, &docker_layer));
        let on_capas = without_docker_own(&apply_tar(&base_tree, &capas_layer));
        assert!(
            on_capas == on_docker,
            "{}",
            mismatch(
                "committed layers applied to the base",
                script,
                &on_docker,
                &on_capas
            )
        );
        assert_eq!(
            on_capas, capas_tree,
            "the committed layer of `{script}` is the container"
        );
        // Entry by entry: always, except where a naive-diff driver writes the same change
        // its own way (per-child whiteouts for an opaque directory; no copy of a file that
        // only gained a hard link).
        if native_overlay || !NAIVE_DIFF_WRITES_OTHERWISE.contains(label) {
            assert_eq!(
                layer_entries(&capas_layer),
                layer_entries(&docker_layer),
                "committed layer entries of `{script}`"
            );
        }
    }
}
