//! Containers over a real store: copy-on-write, whiteouts, opaque directories, escapes,
//! `docker diff`, `docker commit` and `docker rm`, each test on its own temporary store.
//!
//! The images are made here with `layer::TarBuilder` and `image::commit_image`; one test
//! pulls the built-in `alpine:3.19` sample. The shell is not needed: every command of the
//! course's scenarios is a call of the `shell::Fs` trait, as the shell will make it.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use capas_core::container::{self, ChangeKind, CommitOptions, Container, ContainerError};
use capas_core::digest::Digest;
use capas_core::distribution;
use capas_core::image::{self, Image, OCI_LAYER_TAR};
use capas_core::layer::{self, EntryKind, TarBuilder};
use capas_core::reference::Reference;
use capas_core::shell::{FileKind, Fs};
use capas_core::store::Store;
use capas_core::union::{Hider, Why};
use serde_json::json;

const T0: u64 = 1_600_000_000;
const NOW: i64 = 1_700_000_000;

/// Stores, unpacks and records an image made of `layers` (tars, bottom first).
fn make_image(store: &Store, layers: &[Vec<u8>], tag: &str) -> Image {
    let history: Vec<_> = (0..layers.len())
        .map(|i| json!({"created": "2020-09-13T12:26:40Z", "created_by": format!("layer {i}")}))
        .collect();
    let config = json!({
        "architecture": "amd64",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/sh"]},
        "created": "2020-09-13T12:26:40Z",
        "history": history,
        "os": "linux",
    });
    let tag = Reference::parse_tagged(tag).expect("tag");
    let locked = store.lock().expect("lock");
    let tars = layers.iter().map(|t| &t[..]);
    let record = image::commit_layers(&locked, tars, config, &[tag]).expect("commit");
    Image::load(store, &record).expect("load")
}

/// The base of the course's experiment (reference Appendix A.2), busybox-like.
fn base_layer() -> Vec<u8> {
    let mut b = TarBuilder::new(Vec::new());
    b.dir("bin", 0o755, T0).expect("dir");
    b.file("bin/sh", 0o755, T0, 10, &b"#!busybox\n"[..])
        .expect("file");
    b.dir("data", 0o755, T0).expect("dir");
    b.file("data/delete-me.txt", 0o644, T0, 10, &b"delete me\n"[..])
        .expect("file");
    b.file("data/keep.txt", 0o644, T0, 8, &b"keep me\n"[..])
        .expect("file");
    b.file("data/modify-me.txt", 0o644, T0, 10, &b"modify me\n"[..])
        .expect("file");
    b.dir("etc", 0o755, T0).expect("dir");
    b.file("etc/motd", 0o644, T0, 5, &b"hola\n"[..])
        .expect("file");
    b.symlink("etc/localtime", "/usr/share/zoneinfo/UTC", T0)
        .expect("symlink");
    b.dir("root", 0o700, T0).expect("dir");
    b.file("root/.profile", 0o644, T0, 3, &b"x=1"[..])
        .expect("file");
    b.dir("tmp", 0o1777, T0).expect("dir");
    b.finish().expect("tar").0
}

/// A second layer that changes the first: a whiteout, an opaque directory, a new file.
fn second_layer() -> Vec<u8> {
    let mut b = TarBuilder::new(Vec::new());
    b.dir("etc", 0o755, T0 + 60).expect("dir");
    b.whiteout("etc/motd", T0 + 60).expect("whiteout");
    b.file("etc/os-release", 0o644, T0 + 60, 9, &b"ID=capas\n"[..])
        .expect("file");
    b.dir("opt", 0o755, T0 + 60).expect("dir");
    b.dir("opt/app", 0o755, T0 + 60).expect("dir");
    b.file("opt/app/run", 0o755, T0 + 60, 4, &b"run\n"[..])
        .expect("file");
    b.finish().expect("tar").0
}

fn third_layer() -> Vec<u8> {
    let mut b = TarBuilder::new(Vec::new());
    b.dir("opt", 0o755, T0 + 120).expect("dir");
    b.dir("opt/app", 0o755, T0 + 120).expect("dir");
    b.opaque("opt/app", 0o755).expect("opaque");
    b.file("opt/app/new", 0o644, T0 + 120, 4, &b"new\n"[..])
        .expect("file");
    b.finish().expect("tar").0
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    image: Image,
}

fn fixture(layers: &[Vec<u8>]) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("store")).expect("store");
    let image = make_image(&store, layers, "demo/base:1");
    Fixture {
        _dir: dir,
        store,
        image,
    }
}

fn create(f: &Fixture, name: Option<&str>) -> Container {
    let locked = f.store.lock().expect("lock");
    Container::create(&locked, &f.image, name, &["/bin/sh".to_string()], NOW).expect("create")
}

fn read(c: &Container, path: &str) -> String {
    let mut text = String::new();
    c.open_read(path)
        .expect("open")
        .read_to_string(&mut text)
        .expect("read");
    text
}

fn names(c: &Container, path: &str) -> Vec<String> {
    c.read_dir(path)
        .expect("read_dir")
        .into_iter()
        .map(|e| e.name)
        .collect()
}

/// `rm -r`, through the trait alone, as the shell does it.
fn rm_r(c: &mut Container, path: &str) {
    if c.lstat(path).expect("lstat").kind == FileKind::Dir {
        for e in c.read_dir(path).expect("read_dir") {
            rm_r(c, &format!("{path}/{}", e.name));
        }
        c.remove_dir(path).expect("rmdir");
    } else {
        c.remove_file(path).expect("rm");
    }
}

/// Every file under `dir`: path → (mode, uid, gid, mtime, size, content digest or link).
fn fingerprint(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walk");
        let meta = entry.path().symlink_metadata().expect("lstat");
        let what = if meta.is_file() {
            Digest::of_bytes(&fs::read(entry.path()).expect("read")).to_string()
        } else if meta.file_type().is_symlink() {
            fs::read_link(entry.path())
                .expect("link")
                .display()
                .to_string()
        } else {
            String::new()
        };
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("prefix")
            .display()
            .to_string();
        out.insert(
            rel,
            format!(
                "{:o} {} {} {}.{} {} {} {}",
                meta.mode(),
                meta.uid(),
                meta.gid(),
                meta.mtime(),
                meta.mtime_nsec(),
                meta.len(),
                meta.ino(),
                what
            ),
        );
    }
    out
}

fn upper_listing(c: &Container) -> Vec<String> {
    let upper = c.upper_dir();
    let mut out: Vec<String> = walkdir::WalkDir::new(&upper)
        .min_depth(1)
        .into_iter()
        .map(|e| {
            let e = e.expect("walk");
            let rel = e
                .path()
                .strip_prefix(&upper)
                .expect("prefix")
                .display()
                .to_string();
            if e.file_type().is_dir() {
                format!("{rel}/")
            } else {
                rel
            }
        })
        .collect();
    out.sort();
    out
}

#[test]
fn whiteout_hides_lower_file() {
    let f = fixture(&[base_layer(), second_layer()]);
    let mut c = create(&f, None);
    // The image's own whiteout: layer 1 deletes etc/motd of layer 0.
    assert!(c.stat("/etc/motd").is_err());
    assert_eq!(names(&c, "/etc"), ["localtime", "os-release"]);
    // The container's: deleting a lower file leaves .wh. in the upper layer.
    c.remove_file("/data/keep.txt").expect("rm");
    assert_eq!(
        c.stat("/data/keep.txt").map_err(|e| e.kind()),
        Err(std::io::ErrorKind::NotFound)
    );
    assert_eq!(upper_listing(&c), ["data/", "data/.wh.keep.txt"]);
    match c.why("/data/keep.txt").expect("why") {
        Why::Hidden {
            by: Hider::Whiteout { layer, marker },
            in_layers,
        } => {
            assert_eq!(marker, "/data/.wh.keep.txt");
            assert_eq!(
                (layer.index, layer.label.as_str()),
                (2, container::UPPER_LABEL)
            );
            assert_eq!(in_layers[0].label, f.image.layers()[0].chain_id.to_string());
        }
        other => panic!("{other:?}"),
    }
    // A file that exists only in the upper layer simply goes.
    c.write("/data/new.txt", b"n\n", false).expect("write");
    c.remove_file("/data/new.txt").expect("rm");
    assert_eq!(upper_listing(&c), ["data/", "data/.wh.keep.txt"]);
    // Written again, it replaces its whiteout.
    c.write("/data/keep.txt", b"again\n", false).expect("write");
    assert_eq!(upper_listing(&c), ["data/", "data/keep.txt"]);
    assert_eq!(read(&c, "/data/keep.txt"), "again\n");
}

#[test]
fn opaque_dir_hides_lower_children() {
    let f = fixture(&[base_layer(), second_layer(), third_layer()]);
    let c = create(&f, None);
    assert_eq!(names(&c, "/opt/app"), ["new"]);
    assert!(c.stat("/opt/app/run").is_err());
    match c.why("/opt/app/run").expect("why") {
        Why::Hidden {
            by: Hider::Opaque { layer, marker },
            in_layers,
        } => {
            assert_eq!(layer.index, 2);
            assert_eq!(layer.label, f.image.layers()[2].chain_id.to_string());
            assert_eq!(marker, "/opt/app/.wh..wh..opq");
            assert_eq!(in_layers.len(), 1);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn copy_up_leaves_lower_untouched() {
    let f = fixture(&[base_layer(), second_layer(), third_layer()]);
    let layer_dirs: Vec<_> = f
        .image
        .layers()
        .iter()
        .map(|l| f.store.layer_diff_dir(&l.chain_id))
        .collect();
    let before: Vec<_> = layer_dirs.iter().map(|d| fingerprint(d)).collect();
    let mut c = create(&f, None);
    c.write("/data/modify-me.txt", b"more\n", true)
        .expect("append");
    c.write("/data/keep.txt", b"replaced\n", false)
        .expect("truncate");
    c.chmod("/bin/sh", 0o700).expect("chmod");
    c.chmod("/etc", 0o750).expect("chmod dir");
    c.set_mtime("/etc/os-release", 5).expect("touch");
    c.remove_file("/data/delete-me.txt").expect("rm");
    c.rename("/opt", "/opt2").expect("mv dir");
    c.rename("/etc/os-release", "/etc/os").expect("mv file");
    c.hard_link("/bin/sh", "/bin/ash").expect("ln");
    c.write("/bin/ash", b"changed through the link\n", false)
        .expect("write link");
    rm_r(&mut c, "/root");
    c.mkdir("/root", 0o700).expect("mkdir");
    c.symlink("/data", "/d").expect("symlink");
    c.write("/d/via-link", b"x", false)
        .expect("write through symlink");
    let after: Vec<_> = layer_dirs.iter().map(|d| fingerprint(d)).collect();
    assert_eq!(before, after, "the image's layers changed");
    // And the container sees its changes.
    assert_eq!(read(&c, "/data/modify-me.txt"), "modify me\nmore\n");
    assert_eq!(read(&c, "/bin/sh"), "changed through the link\n");
    assert_eq!(c.stat("/bin/sh").expect("stat").nlink, 2);
    assert_eq!(read(&c, "/data/via-link"), "x");
    assert_eq!(names(&c, "/opt2/app"), ["new"]);
    assert!(c.stat("/opt").is_err());
}

#[test]
fn copy_up_is_recorded() {
    let f = fixture(&[base_layer(), second_layer()]);
    let mut c = create(&f, None);
    c.write("/data/modify-me.txt", b"changed\n", true)
        .expect("append");
    c.write("/data/modify-me.txt", b"again\n", true)
        .expect("append again");
    c.chmod("/etc/os-release", 0o600).expect("chmod");
    c.write("/data/new.txt", b"new\n", false)
        .expect("new file: no copy-up");
    let log = c.copy_ups().to_vec();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0].path, "/data/modify-me.txt");
    assert_eq!(log[0].bytes, 10);
    assert_eq!(log[0].layer, f.image.layers()[0].chain_id.to_string());
    assert_eq!(log[1].path, "/etc/os-release");
    assert_eq!(log[1].layer, f.image.layers()[1].chain_id.to_string());
    // The copy keeps the lower file's mtime: only the write changes it.
    let copied = c.stat("/etc/os-release").expect("stat");
    assert_eq!(copied.mtime, T0 as i64 + 60);
    assert_eq!(copied.mode, 0o600);
    // The log is on disk.
    let reopened = Container::open(&f.store, c.id()).expect("open");
    assert_eq!(reopened.copy_ups(), &log[..]);
}

#[test]
fn two_containers_do_not_see_each_other() {
    let f = fixture(&[base_layer()]);
    let mut a = create(&f, Some("a1"));
    let mut b = create(&f, Some("b1"));
    assert_ne!(a.id(), b.id());
    a.write("/data/keep.txt", b"from a\n", false)
        .expect("write a");
    b.remove_file("/data/keep.txt").expect("rm b");
    b.write("/tmp/b-only", b"b\n", false).expect("write b");
    assert_eq!(read(&a, "/data/keep.txt"), "from a\n");
    assert!(a.stat("/tmp/b-only").is_err());
    assert!(b.stat("/data/keep.txt").is_err());
    let fresh = create(&f, None);
    assert_eq!(read(&fresh, "/data/keep.txt"), "keep me\n");
    assert!(fresh.diff().expect("diff").is_empty());
}

#[test]
fn diff_matches_docker_rules() {
    let f = fixture(&[base_layer()]);
    let mut c = create(&f, Some("demo-c1"));
    // echo changed >> /data/modify-me.txt; rm /data/delete-me.txt; mkdir -p /newdir/sub;
    // echo a > /newdir/sub/f; echo n > /tmp/new.txt; rm -r /root; chmod 700 /data/keep.txt
    c.write("/data/modify-me.txt", b"changed\n", true)
        .expect("append");
    c.remove_file("/data/delete-me.txt").expect("rm");
    c.mkdir("/newdir", 0o755).expect("mkdir");
    c.mkdir("/newdir/sub", 0o755).expect("mkdir");
    c.write("/newdir/sub/f", b"a\n", false).expect("write");
    c.write("/tmp/new.txt", b"n\n", false).expect("write");
    rm_r(&mut c, "/root");
    c.chmod("/data/keep.txt", 0o700).expect("chmod");
    let diff: Vec<String> = c
        .diff()
        .expect("diff")
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        diff,
        [
            "C /data",
            "D /data/delete-me.txt",
            "C /data/keep.txt",
            "C /data/modify-me.txt",
            "A /newdir",
            "A /newdir/sub",
            "A /newdir/sub/f",
            "D /root",
            "C /tmp",
            "A /tmp/new.txt",
        ]
    );
    // The layer it would commit, in OCI form (reference A.2's tar listing).
    assert_eq!(
        upper_listing(&c),
        [
            ".wh.root",
            "data/",
            "data/.wh.delete-me.txt",
            "data/keep.txt",
            "data/modify-me.txt",
            "newdir/",
            "newdir/sub/",
            "newdir/sub/f",
            "tmp/",
            "tmp/new.txt",
        ]
    );
    // A hard link to a lower file copies the file up, but only the link is a change (A.8).
    let mut c2 = create(&f, None);
    c2.hard_link("/etc/motd", "/hello-link").expect("ln");
    let diff: Vec<String> = c2
        .diff()
        .expect("diff")
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(diff, ["A /hello-link"]);
    assert_eq!(upper_listing(&c2), ["etc/", "etc/motd", "hello-link"]);
}

#[test]
fn rm_r_then_mkdir_is_opaque() {
    let f = fixture(&[base_layer()]);
    let mut c = create(&f, None);
    rm_r(&mut c, "/data");
    // rm -r alone leaves one whiteout for the directory, nothing inside.
    assert_eq!(upper_listing(&c), [".wh.data"]);
    let kinds: Vec<_> = c
        .diff()
        .expect("diff")
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(kinds, ["D /data"]);
    c.mkdir("/data", 0o750).expect("mkdir");
    c.write("/data/only.txt", b"only\n", false).expect("write");
    assert_eq!(
        upper_listing(&c),
        ["data/", "data/.wh..wh..opq", "data/only.txt"]
    );
    let marker = fs::symlink_metadata(c.upper_dir().join("data/.wh..wh..opq")).expect("marker");
    assert_eq!(
        (marker.mode() & 0o7777, marker.mtime(), marker.len()),
        (0o750, 0, 0)
    );
    assert_eq!(names(&c, "/data"), ["only.txt"]);
    let diff: Vec<_> = c
        .diff()
        .expect("diff")
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        diff,
        [
            "C /data",
            "D /data/delete-me.txt",
            "D /data/keep.txt",
            "D /data/modify-me.txt",
            "A /data/only.txt",
        ]
    );
}

#[test]
fn rename_of_lower_dir_copies_and_whites_out() {
    let f = fixture(&[base_layer()]);
    let mut c = create(&f, None);
    c.rename("/data", "/data2").expect("mv");
    assert_eq!(
        upper_listing(&c),
        [
            ".wh.data",
            "data2/",
            "data2/delete-me.txt",
            "data2/keep.txt",
            "data2/modify-me.txt",
        ]
    );
    assert_eq!(read(&c, "/data2/keep.txt"), "keep me\n");
    let moved = c.stat("/data2/keep.txt").expect("stat");
    assert_eq!((moved.mode, moved.mtime), (0o644, T0 as i64));
    assert!(c.stat("/data").is_err());
    // Every file was copied: three copy-ups, recorded under their new names.
    let copied: Vec<_> = c.copy_ups().iter().map(|u| u.path.as_str()).collect();
    assert_eq!(
        copied,
        [
            "/data2/delete-me.txt",
            "/data2/keep.txt",
            "/data2/modify-me.txt"
        ]
    );
    // A directory that lives only in the upper layer is renamed in one step.
    c.mkdir("/fresh", 0o755).expect("mkdir");
    c.write("/fresh/x", b"x", false).expect("write");
    c.rename("/fresh", "/tmp/fresh").expect("mv upper dir");
    assert_eq!(read(&c, "/tmp/fresh/x"), "x");
    assert!(c.stat("/fresh").is_err());
    assert_eq!(c.copy_ups().len(), 3);
}

#[test]
fn symlink_escape_is_refused() {
    let f = fixture(&[base_layer()]);
    let mut c = create(&f, None);
    c.symlink("../../../../etc", "/tmp/out").expect("symlink");
    for result in [
        c.stat("/tmp/out/passwd").map(|_| ()),
        c.write("/tmp/out/evil", b"x", false),
        c.open_read("/tmp/out/passwd").map(|_| ()),
    ] {
        let err = result.expect_err("escape must be refused");
        assert!(
            matches!(
                err.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::InvalidInput
            ),
            "{err}"
        );
        assert!(err.to_string().contains("/tmp/out"), "{err}");
    }
    // An absolute target is relative to the container's root, never the host's.
    c.symlink("/data", "/tmp/abs").expect("symlink");
    assert_eq!(read(&c, "/tmp/abs/keep.txt"), "keep me\n");
    c.symlink("/etc/passwd-of-host", "/tmp/host")
        .expect("symlink");
    assert_eq!(
        c.stat("/tmp/host").map_err(|e| e.kind()).err(),
        Some(std::io::ErrorKind::NotFound)
    );
    // A loop ends with an error, not a hang.
    c.symlink("/tmp/loop2", "/tmp/loop1").expect("symlink");
    c.symlink("/tmp/loop1", "/tmp/loop2").expect("symlink");
    assert!(c.stat("/tmp/loop1").is_err());
}

#[test]
fn dotdot_escape_is_refused() {
    let f = fixture(&[base_layer()]);
    let mut c = create(&f, None);
    let err = c.stat("/../etc/passwd").expect_err("escape");
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    assert!(err.to_string().contains("/../etc/passwd"), "{err}");
    assert!(c.write("/data/../../x", b"x", false).is_err());
    assert!(c.mkdir("/tmp/../../x", 0o755).is_err());
    // `..` inside the root is fine.
    assert_eq!(read(&c, "/data/../data/keep.txt"), "keep me\n");
    assert_eq!(read(&c, "/etc/../data/./keep.txt"), "keep me\n");
}

#[test]
fn commit_adds_one_layer_and_one_history_row() {
    let f = fixture(&[base_layer()]);
    let mut c = create(&f, Some("demo-c1"));
    c.write("/data/modify-me.txt", b"changed\n", true)
        .expect("append");
    c.remove_file("/data/delete-me.txt").expect("rm");
    c.mkdir("/newdir", 0o755).expect("mkdir");
    c.write("/newdir/f", b"a\n", false).expect("write");
    rm_r(&mut c, "/root");
    let locked = f.store.lock().expect("lock");
    let tag = Reference::parse_tagged("demo/commit:1").expect("tag");
    let record = container::commit(
        &locked,
        &c,
        &CommitOptions {
            message: Some("my commit msg".into()),
            author: Some("Res <r@x>".into()),
            changes: vec!["LABEL demo=1".into(), r#"CMD ["sh","-c","echo hi"]"#.into()],
            created: NOW + 5,
            tags: vec![tag],
        },
    )
    .expect("commit");
    drop(locked);
    assert_ne!(&record.id, f.image.id());
    assert_eq!(record.parent.as_ref(), Some(f.image.id()));
    let img = Image::load(&f.store, &record).expect("load");
    assert_eq!(img.layers().len(), 2);
    assert_eq!(img.layers()[0], f.image.layers()[0]);
    let history = img.config().history().clone().unwrap_or_default();
    assert_eq!(history.len(), 2);
    let row = &history[1];
    assert_eq!(row.created_by().as_deref(), Some("/bin/sh"));
    assert_eq!(row.comment().as_deref(), Some("my commit msg"));
    assert_eq!(row.author().as_deref(), Some("Res <r@x>"));
    assert_eq!(row.empty_layer(), None);
    assert_eq!(row.created().as_deref(), Some("2023-11-14T22:13:25Z"));
    let run = img.config().config().clone().expect("config");
    assert_eq!(
        run.cmd().clone().unwrap_or_default(),
        ["sh", "-c", "echo hi"]
    );
    assert_eq!(
        run.labels()
            .clone()
            .unwrap_or_default()
            .get("demo")
            .map(String::as_str),
        Some("1")
    );
    assert_eq!(run.env().clone().unwrap_or_default(), ["PATH=/bin"]);
    // Go's encoder escapes < and >, and the bytes are compact.
    let text = String::from_utf8(img.config_bytes().to_vec()).expect("utf-8");
    assert!(text.contains(r#""author":"Res \u003cr@x\u003e""#), "{text}");
    assert!(!text.contains('\n'));
    // The parent is unchanged.
    let parent = Image::load(&f.store, f.image.record()).expect("parent");
    assert_eq!(parent.config_bytes(), f.image.config_bytes());
    // The new layer is the upper directory, tarred: the same entries, markers included.
    let layer = &img.layers()[1];
    let blob = capas_core::digest::Digest::from(layer.blob.digest());
    assert_eq!(layer.blob.media_type().to_string(), OCI_LAYER_TAR);
    let entries = layer::list(&f.store.read_blob(&blob).expect("blob")[..]).expect("list");
    let mut listed: Vec<(String, EntryKind)> =
        entries.iter().map(|e| (e.path.clone(), e.kind)).collect();
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        listed,
        [
            (".wh.root".to_string(), EntryKind::File),
            ("data".to_string(), EntryKind::Dir),
            ("data/.wh.delete-me.txt".to_string(), EntryKind::File),
            ("data/modify-me.txt".to_string(), EntryKind::File),
            ("newdir".to_string(), EntryKind::Dir),
            ("newdir/f".to_string(), EntryKind::File),
        ]
    );
    assert!(
        entries
            .iter()
            .filter(|e| e.path.contains(".wh."))
            .all(|e| e.mode == 0o600 && e.size == 0)
    );
    // A container of the new image sees the committed state.
    let locked = f.store.lock().expect("lock");
    let child = Container::create(&locked, &img, None, &[], NOW + 10).expect("create");
    drop(locked);
    assert_eq!(child.config().cmd, ["sh", "-c", "echo hi"]);
    assert_eq!(read(&child, "/data/modify-me.txt"), "modify me\nchanged\n");
    assert!(child.stat("/root").is_err());
    assert!(child.stat("/data/delete-me.txt").is_err());
    assert!(child.diff().expect("diff").is_empty());
}

#[test]
fn commit_of_unchanged_container_is_empty_layer() {
    let f = fixture(&[base_layer()]);
    let c = create(&f, None);
    let locked = f.store.lock().expect("lock");
    let blobs_before = f.store.blobs().expect("blobs").len();
    let record = container::commit(
        &locked,
        &c,
        &CommitOptions {
            created: NOW,
            ..CommitOptions::default()
        },
    )
    .expect("commit");
    drop(locked);
    let img = Image::load(&f.store, &record).expect("load");
    assert_eq!(img.diff_ids(), f.image.diff_ids());
    let history = img.config().history().clone().unwrap_or_default();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].empty_layer(), Some(true));
    assert_eq!(history[1].author(), &None);
    assert_eq!(history[1].comment(), &None);
    // A new config and a new manifest, no layer blob.
    assert_eq!(f.store.blobs().expect("blobs").len(), blobs_before + 2);
    let rows = img
        .history(&f.store, &f.store.index().expect("index"))
        .expect("history");
    assert_eq!((rows[0].size, rows[0].empty_layer), (0, true));
    assert_eq!(rows[1].id.as_ref(), Some(f.image.id()));
    // An invalid change leaves nothing behind.
    let locked = f.store.lock().expect("lock");
    let err = container::commit(
        &locked,
        &c,
        &CommitOptions {
            changes: vec!["RUN rm -rf /".into()],
            ..CommitOptions::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "run is not a valid change command");
    assert_eq!(f.store.blobs().expect("blobs").len(), blobs_before + 2);
}

/// Docker commits the container's configuration: a container run with a command of its own
/// gives an image whose `Cmd` is that command; one run with the image's default keeps it.
#[test]
fn commit_takes_the_container_s_command_as_cmd() {
    let f = fixture(&[base_layer()]);
    let cmd = |c: &Container| {
        let locked = f.store.lock().expect("lock");
        let record = container::commit(
            &locked,
            c,
            &CommitOptions {
                created: NOW,
                ..CommitOptions::default()
            },
        )
        .expect("commit");
        drop(locked);
        let img = Image::load(&f.store, &record).expect("load");
        img.config()
            .config()
            .as_ref()
            .and_then(|c| c.cmd().clone())
            .unwrap_or_default()
    };
    let default = create(&f, Some("default"));
    assert_eq!(cmd(&default), vec!["/bin/sh"]);
    let own = {
        let locked = f.store.lock().expect("lock");
        let argv: Vec<String> = ["sh", "-c", "echo hola > /tmp/a"]
            .iter()
            .map(|a| a.to_string())
            .collect();
        Container::create(&locked, &f.image, Some("own"), &argv, NOW).expect("create")
    };
    assert_eq!(cmd(&own), vec!["sh", "-c", "echo hola > /tmp/a"]);
}

/// `copy_file` streams a file from whichever layer holds it; onto itself (through a symlink
/// or a hard link) it refuses instead of truncating what it reads.
#[test]
fn copy_file_streams_and_never_copies_a_file_onto_itself() {
    let f = fixture(&[base_layer()]);
    let mut c = create(&f, None);
    // From the image's layer into a new file, then over a file of the image (a copy-up).
    assert_eq!(c.copy_file("/data/keep.txt", "/tmp/k").expect("copy"), 8);
    assert_eq!(read(&c, "/tmp/k"), "keep me\n");
    c.copy_file("/tmp/k", "/data/modify-me.txt")
        .expect("copy over");
    assert_eq!(read(&c, "/data/modify-me.txt"), "keep me\n");
    // Onto itself, by a symlink and by a hard link: refused, the content kept.
    c.symlink("/tmp/k", "/tmp/l").expect("symlink");
    c.hard_link("/tmp/k", "/tmp/h").expect("hard link");
    for to in ["/tmp/k", "/tmp/l", "/tmp/h"] {
        let err = c.copy_file("/tmp/k", to).expect_err("same file");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{to}");
        assert_eq!(read(&c, "/tmp/k"), "keep me\n", "{to}");
    }
}

#[test]
fn removing_container_discards_its_layer() {
    let f = fixture(&[base_layer()]);
    let mut c = create(&f, Some("doomed"));
    c.write("/data/keep.txt", b"lost\n", false).expect("write");
    c.mkdir("/ro", 0o555).expect("mkdir read-only dir");
    c.write("/ro/x", b"inside a read-only directory\n", false)
        .expect("write");
    let dir = c.upper_dir().parent().expect("container dir").to_path_buf();
    assert!(dir.join("upper/data/keep.txt").is_file());
    let locked = f.store.lock().expect("lock");
    let removed = container::remove(&locked, "doomed").expect("rm");
    drop(locked);
    assert_eq!(removed.id, c.id());
    assert!(!dir.exists());
    assert!(container::list(&f.store).expect("list").is_empty());
    let err = Container::open(&f.store, "doomed").unwrap_err();
    assert_eq!(err.to_string(), "No such container: doomed");
    let fresh = create(&f, Some("doomed"));
    assert_eq!(read(&fresh, "/data/keep.txt"), "keep me\n");
}

#[test]
fn interrupted_create_and_rm_are_swept() {
    let f = fixture(&[base_layer()]);
    let containers = f.store.root().join("containers");
    let half_made = containers.join("ab".repeat(32));
    fs::create_dir_all(half_made.join("upper/ro")).expect("half-made container");
    let half_removed = containers.join(".removing-xyz");
    fs::create_dir_all(half_removed.join("upper/ro")).expect("half-removed container");
    for ro in [half_made.join("upper/ro"), half_removed.join("upper/ro")] {
        fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).expect("chmod");
    }
    assert!(container::list(&f.store).expect("list").is_empty());
    let c = create(&f, None);
    assert!(!half_made.exists() && !half_removed.exists());
    assert_eq!(container::list(&f.store).expect("list").len(), 1);
    assert!(Container::open(&f.store, c.id()).is_ok());
}

#[test]
fn containers_are_found_by_id_name_or_prefix() {
    let f = fixture(&[base_layer()]);
    let a = create(&f, Some("web"));
    let b = create(&f, None);
    assert_eq!(Container::open(&f.store, "web").expect("name").id(), a.id());
    assert_eq!(
        Container::open(&f.store, "/web").expect("/name").id(),
        a.id()
    );
    assert_eq!(Container::open(&f.store, a.id()).expect("id").id(), a.id());
    assert_eq!(
        Container::open(&f.store, &b.id()[..12])
            .expect("prefix")
            .id(),
        b.id()
    );
    assert_eq!(
        Container::open(&f.store, b.name())
            .expect("generated name")
            .id(),
        b.id()
    );
    assert!(b.name().contains('_'), "{}", b.name());
    let err = Container::open(&f.store, "nope").unwrap_err();
    assert_eq!(err.to_string(), "No such container: nope");
    let locked = f.store.lock().expect("lock");
    let err = Container::create(&locked, &f.image, Some("web"), &[], NOW).unwrap_err();
    assert!(matches!(err, ContainerError::NameInUse { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("Conflict. The container name \"/web\" is already in use")
    );
    let err = Container::create(&locked, &f.image, Some("bad name"), &[], NOW).unwrap_err();
    assert!(matches!(err, ContainerError::InvalidName { .. }), "{err}");
    drop(locked);
    // Same store history, same IDs and names.
    let g = fixture(&[base_layer()]);
    let a2 = create(&g, Some("web"));
    let b2 = create(&g, None);
    assert_eq!((a2.id(), b2.id(), b2.name()), (a.id(), b.id(), b.name()));
    let listed: Vec<String> = container::list(&f.store)
        .expect("list")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(listed.len(), 2);
    let mut reopened = Container::open(&f.store, "web").expect("open");
    reopened.set_exited(3).expect("exit");
    let again = Container::open(&f.store, "web").expect("open");
    assert_eq!(again.config().state.exit_code, 3);
}

#[test]
fn alpine_sample_container_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("store")).expect("store");
    let locked = store.lock().expect("lock");
    let reference = Reference::parse_tagged("alpine:3.19").expect("ref");
    let report = distribution::pull(&locked, &reference, &mut |_| {}).expect("pull");
    let img = Image::load(&store, &report.image).expect("image");
    let mut c = Container::create(&locked, &img, None, &[], NOW).expect("create");
    drop(locked);
    let etc = names(&c, "/etc");
    assert!(!etc.is_empty());
    c.write("/etc/motd", b"capas\n", false).expect("write");
    let kinds: Vec<ChangeKind> = c.diff().expect("diff").iter().map(|c| c.kind).collect();
    assert!(kinds.contains(&ChangeKind::Modified) || kinds.contains(&ChangeKind::Added));
    // Walking the whole merged tree agrees with lookups.
    let mut count = 0;
    c.view()
        .walk(&mut |path, entry| {
            count += 1;
            if count % 50 == 0 {
                let found = c.view().lookup(path).expect("visible");
                assert_eq!(found.layer_index, entry.layer_index, "{path}");
            }
        })
        .expect("walk");
    assert!(count > 10);
}
