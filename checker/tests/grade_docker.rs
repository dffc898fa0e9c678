//! `checker grade --docker`: exercises done with the `docker` CLI, as a student would, graded
//! by the labs' own checks through a mirror of the daemon; and the replay of a container's
//! changes on its own (`capas diff` against `docker diff`).
//!
//! The daemon is shared with other tests and holds objects that are not ours: every container
//! made here is labelled `io.capas.test=1` and named for this test, and a [`Created`] guard
//! removes exactly the containers and tags made here, also when an assertion fails. Nothing
//! is pruned.
//!
//! The sample images capas generates hold no real programs, so the commands run with the
//! host's static busybox mounted over the image's `/bin/busybox` (a bind mount on a file the
//! image has: `docker diff` does not see it), or with `docker cp`.

use std::path::{Path, PathBuf};
use std::process::Command;

use capas_core::shell::Fs as _;
use capas_core::store::Store;
use capas_core::union::{Hider, Why};
use capas_labs::lab::Student;

mod support;
use support::{capas, docker_available};

fn checker(args: &[&str]) -> (i32, String, String) {
    support::checker(args, None)
}

/// The host's static busybox, or a skip (a failure when Docker is required).
fn busybox() -> Option<PathBuf> {
    let found = capas_core::busybox::find_static();
    if found.is_none() {
        if std::env::var("CAPAS_REQUIRE_DOCKER").is_ok_and(|v| v == "1") {
            panic!(
                "no static busybox (apt-get install busybox-static), but CAPAS_REQUIRE_DOCKER=1"
            );
        }
        eprintln!("skipping: no static busybox (apt-get install busybox-static)");
    }
    found
}

/// `docker ARGS…`; its stdout, or a panic with its stderr.
fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether the daemon has a container or an image by that name.
fn exists(kind: &str, name: &str) -> bool {
    Command::new("docker")
        .args([kind, "inspect", name])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// What this test made in the daemon, removed when it ends, passed or failed: containers
/// first (they hold their images), then tags, newest first. Only these names, nothing else.
#[derive(Default)]
struct Created {
    containers: Vec<String>,
    tags: Vec<String>,
}

impl Drop for Created {
    fn drop(&mut self) {
        for c in &self.containers {
            let _ = Command::new("docker").args(["rm", "-f", c]).output();
        }
        for t in self.tags.iter().rev() {
            let _ = Command::new("docker").args(["rmi", t]).output();
        }
    }
}

impl Created {
    /// `docker run` with busybox mounted, labelled, registered before it is created.
    fn run(&mut self, bb: &Path, name: &str, image: &str, script: &str) {
        self.containers.push(name.to_string());
        let mount = format!("{}:/bin/busybox:ro", bb.display());
        docker(&[
            "run",
            "--name",
            name,
            "--label",
            "io.capas.test=1",
            "-v",
            &mount,
            image,
            "sh",
            "-c",
            script,
        ]);
    }

    /// `docker create`, labelled, registered before it is created.
    fn create(&mut self, name: &str, image: &str) {
        self.containers.push(name.to_string());
        docker(&[
            "create",
            "--name",
            name,
            "--label",
            "io.capas.test=1",
            image,
        ]);
    }

    /// `docker commit`, the tag registered before it is made.
    fn commit(&mut self, container: &str, tag: &str) {
        self.tags.push(tag.to_string());
        docker(&["commit", container, tag]);
    }

    /// `capas save NAMES… | docker load`, the names registered before they are loaded.
    fn load_samples(&mut self, names: &[&str]) {
        let dir = tempfile::tempdir().expect("tmp");
        let store = dir.path().join("store");
        for n in names {
            capas(&store, &["pull", "-q", n]);
        }
        let archive = dir.path().join("samples.tar");
        let mut args = vec!["save", "-o", archive.to_str().expect("utf-8")];
        args.extend(names);
        capas(&store, &args);
        self.tags.extend(names.iter().map(|n| n.to_string()));
        docker(&["load", "-i", archive.to_str().expect("utf-8")]);
    }

    /// `docker rmi TAG` done by the exercise: the tag is no longer this test's to remove.
    fn untag(&mut self, tag: &str) {
        docker(&["rmi", tag]);
        self.tags.retain(|t| t != tag);
    }

    /// `capas save alpine:3.19 | docker load`, unless the daemon has alpine:3.19 already (then
    /// it is used as it is, and left alone at the end).
    fn alpine(&mut self) {
        if !exists("image", "alpine:3.19") {
            self.load_samples(&["alpine:3.19"]);
        }
    }
}

/// The names labs 1–3 make for student `s`.
fn names_of(s: &Student) -> (Vec<String>, Vec<String>) {
    let w = &s.word;
    (
        vec![
            format!("lab01-{w}"),
            format!("lab02-{w}-src"),
            format!("lab02-{w}-1"),
            format!("lab02-{w}-2"),
            format!("lab03-{w}"),
            format!("lab07-{w}"),
        ],
        vec![
            format!("lab01/{w}:{}", s.number),
            format!("lab02/{w}:v2"),
            format!("lab07/{w}:1"),
            format!("lab07/{w}:2"),
        ],
    )
}

/// An unusual student ID whose names are all free in the daemon (there are only 16 words),
/// and whose lab 5 archive is not on this machine (lab 5 looks for it in the temp dir).
fn free_student() -> Option<Student> {
    (0..64)
        .map(|n| Student::new(&format!("zz-grade-docker-{n}")))
        .find(|s| {
            let (containers, tags) = names_of(s);
            containers.iter().all(|c| !exists("container", c))
                && tags.iter().all(|t| !exists("image", t))
                && !std::env::temp_dir()
                    .join(format!("lab05-{}.tar", s.word))
                    .exists()
        })
}

/// The tests of this file take turns on the daemon: one of them may load alpine:3.19 and
/// remove it at its end, which must not happen while another one uses it.
static DAEMON: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn take_turn() -> std::sync::MutexGuard<'static, ()> {
    DAEMON
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A test's turn on the daemon: the busybox its commands run with, what it made (removed
/// when the turn ends, before the next test's turn starts: fields drop in this order), and
/// the lock. `None` (a skip) without a daemon or busybox.
struct Turn {
    made: Created,
    bb: PathBuf,
    _lock: std::sync::MutexGuard<'static, ()>,
}

fn turn() -> Option<Turn> {
    if !docker_available() {
        return None;
    }
    let bb = busybox()?;
    let lock = take_turn();
    let mut made = Created::default();
    made.alpine();
    Some(Turn {
        made,
        bb,
        _lock: lock,
    })
}

#[test]
fn grade_docker_passes_exactly_the_exercises_done_with_docker() {
    let Some(mut turn) = turn() else {
        return;
    };
    let Turn { made, bb, .. } = &mut turn;
    let bb: &Path = bb;
    let s = free_student().expect("a student whose lab names are free in the daemon");
    let (w, n) = (s.word.clone(), s.number);

    // Lab 1: a file in a container, then the container as an image.
    made.run(
        bb,
        &format!("lab01-{w}"),
        "alpine:3.19",
        &format!("echo {n} > /tmp/{w}.txt"),
    );
    made.commit(&format!("lab01-{w}"), &format!("lab01/{w}:{n}"));
    // Lab 2: a changed image, and two containers of it, only one of them changed.
    made.run(
        bb,
        &format!("lab02-{w}-src"),
        "alpine:3.19",
        &format!("echo {w} > /etc/motd"),
    );
    made.commit(&format!("lab02-{w}-src"), &format!("lab02/{w}:v2"));
    made.run(
        bb,
        &format!("lab02-{w}-1"),
        &format!("lab02/{w}:v2"),
        &format!("echo {n} > /tmp/n"),
    );
    made.create(&format!("lab02-{w}-2"), &format!("lab02/{w}:v2"));
    // Lab 3: a copy-up, a whiteout and an opaque directory.
    made.run(
        bb,
        &format!("lab03-{w}"),
        "alpine:3.19",
        &format!(
            "echo hi >> /etc/motd; rm /etc/issue; rm -r /etc/apk && mkdir /etc/apk && touch /etc/apk/{w}"
        ),
    );
    // Lab 7, only where busybox and debian are not the daemon's already (the exercise removes
    // their names): a name removed while the image stays, and an untagged parent image.
    let lab07 = !exists("image", "busybox:latest") && !exists("image", "debian:bookworm-slim");
    let dir = tempfile::tempdir().expect("tmp");
    if lab07 {
        made.load_samples(&["busybox:latest", "debian:bookworm-slim"]);
        made.tags.push(format!("lab07/{w}:1"));
        docker(&["tag", "busybox:latest", &format!("lab07/{w}:1")]);
        made.untag("busybox:latest");
        made.create(&format!("lab07-{w}"), "debian:bookworm-slim");
        let file = dir.path().join("x");
        std::fs::write(&file, "x\n").expect("x");
        docker(&[
            "cp",
            file.to_str().expect("utf-8"),
            &format!("lab07-{w}:/x"),
        ]);
        made.commit(&format!("lab07-{w}"), &format!("lab07/{w}:2"));
        docker(&["rm", &format!("lab07-{w}")]);
        made.untag("debian:bookworm-slim");
    }

    let csv = dir.path().join("grades.csv");
    let (code, out, err) = checker(&[
        "grade",
        "--docker",
        "--student",
        &s.id,
        "--csv",
        csv.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1, "labs 4 on are not done:\n{out}{err}");
    let (done, lab07_line) = if lab07 {
        (8, "lab07  2/2")
    } else {
        (6, "lab07  0/2")
    };
    assert!(
        out.contains(&format!("{}: {done}/18 exercises", s.id)),
        "{out}"
    );
    for lab in [
        "lab01  2/2",
        "lab02  2/2",
        "lab03  2/2",
        "lab04  0/2",
        "lab05  0/2",
        "lab06  0/2",
        lab07_line,
        "lab08  0/2",
        "lab09  0/2",
    ] {
        assert!(out.contains(lab), "{lab} in:\n{out}{err}");
    }
    let csv = std::fs::read_to_string(&csv).expect("csv");
    assert!(
        csv.contains(&format!("{},lab03,2,true,", s.id)),
        "the opaque directory came through:\n{csv}"
    );
    // Nothing of the mirror is printed but one line on stderr.
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn grade_docker_refuses_to_mix_with_a_store() {
    let (code, _, err) = checker(&["grade", "--docker", "--store", "/nonexistent"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot be used with"), "{err}");
}

/// A tokio runtime and a bollard client, as the checker connects.
fn daemon() -> (tokio::runtime::Runtime, bollard::Docker) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let docker = rt.block_on(async {
        bollard::Docker::connect_with_local_defaults()
            .expect("connect")
            .negotiate_version()
            .await
            .expect("negotiate")
    });
    (rt, docker)
}

/// Mirrors Docker container `name` (and its image) into a new store.
fn mirror_one(name: &str, dir: &Path) -> (Store, capas_core::container::Container) {
    let (rt, client) = daemon();
    let store = Store::open(dir.join("store")).expect("store");
    let id = docker(&["inspect", "--format", "{{.Id}}", name])
        .trim()
        .to_string();
    let image = docker(&["inspect", "--format", "{{.Image}}", name])
        .trim()
        .to_string();
    // A name that is gone by the time of the save (another test removed it) is left out.
    let gone = format!("capas-test/gone:{}", std::process::id());
    let c = rt.block_on(async {
        let loaded = capas_checker::mirror::copy_images(&client, &store, &[image, gone])
            .await
            .expect("copy image");
        assert_eq!(loaded, 1);
        capas_checker::mirror::copy_container(&client, &store, &id, name)
            .await
            .expect("copy container")
            .expect("the container is there")
    });
    (store, c)
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().map(str::to_string).collect();
    v.sort();
    v
}

fn capas_diff(c: &capas_core::container::Container) -> Vec<String> {
    let mut v: Vec<String> = c
        .diff()
        .expect("diff")
        .iter()
        .map(ToString::to_string)
        .collect();
    v.sort();
    v
}

#[test]
fn replayed_changes_give_the_same_diff_and_contents() {
    let Some(mut turn) = turn() else {
        return;
    };
    let Turn { made, bb, .. } = &mut turn;
    let bb: &Path = bb;
    let name = format!("capas-test-replay-{}", std::process::id());
    made.run(
        bb,
        &name,
        "alpine:3.19",
        "echo new > /tmp/f; chmod 600 /tmp/f; echo more >> /etc/motd; rm /etc/issue; \
         ln -s /etc/motd /tmp/l; mkdir -p /opt/a/b; echo z > /opt/a/b/z",
    );
    let dir = tempfile::tempdir().expect("tmp");
    let (_store, c) = mirror_one(&name, dir.path());

    // Ordinary changes: the same `docker diff`, line for line.
    assert_eq!(capas_diff(&c), sorted_lines(&docker(&["diff", &name])));
    // The same contents, modes and link.
    for path in ["/etc/motd", "/tmp/f", "/opt/a/b/z"] {
        let host = dir.path().join("from-docker");
        docker(&[
            "cp",
            &format!("{name}:{path}"),
            host.to_str().expect("utf-8"),
        ]);
        let mut mine = Vec::new();
        std::io::Read::read_to_end(&mut c.open_read(path).expect("capas file"), &mut mine)
            .expect("read");
        assert_eq!(mine, std::fs::read(&host).expect("docker's file"), "{path}");
        std::fs::remove_file(&host).expect("rm");
    }
    assert_eq!(c.lstat("/tmp/f").expect("stat").mode & 0o7777, 0o600);
    assert_eq!(
        c.lstat("/tmp/l").expect("stat").link_target.as_deref(),
        Some("/etc/motd")
    );
}

#[test]
fn a_directory_removed_and_made_again_becomes_opaque() {
    let Some(mut turn) = turn() else {
        return;
    };
    let Turn { made, bb, .. } = &mut turn;
    let bb: &Path = bb;
    let name = format!("capas-test-opaque-{}", std::process::id());
    made.run(
        bb,
        &name,
        "alpine:3.19",
        "rm -r /etc/apk && mkdir /etc/apk && touch /etc/apk/x",
    );
    let dir = tempfile::tempdir().expect("tmp");
    let (_store, c) = mirror_one(&name, dir.path());

    assert!(c.upper_dir().join("etc/apk/.wh..wh..opq").exists());
    assert!(matches!(
        c.why("/etc/apk/world").expect("why"),
        Why::Hidden {
            by: Hider::Opaque { .. },
            ..
        }
    ));
    let names: Vec<String> = c
        .read_dir("/etc/apk")
        .expect("ls")
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["x"]);
    // Docker 20.10 leaves some of the old children out of `docker diff` (here `arch` and
    // `keys`); capas lists every one. Every line of Docker's is in capas's, and the only
    // extra lines are deletions inside the opaque directory.
    let docker_lines = sorted_lines(&docker(&["diff", &name]));
    let capas_lines = capas_diff(&c);
    for line in &docker_lines {
        assert!(capas_lines.contains(line), "{line} in {capas_lines:?}");
    }
    for line in capas_lines.iter().filter(|l| !docker_lines.contains(l)) {
        assert!(line.starts_with("D /etc/apk/"), "extra line {line}");
    }
}
