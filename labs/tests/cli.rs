//! The `capas` command as a student runs it: pull, images, history, inspect, tag, save, load,
//! fsck, and what happens on bad input. Each test: a doc line, a fresh store, the commands,
//! and the output checked against Docker's shape (snapshots under `tests/snapshots/`).

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use support::{Capas, bytes_under, count_entries};

/// Course section 4: alpine first, then nginx on alpine: the shared layer `Already exists`
/// and is stored once, so the store grows only by nginx's own layers.
#[test]
fn pulling_nginx_after_alpine_reuses_the_shared_layer() {
    let capas = Capas::new();
    let first = capas.ok(&["pull", "alpine:3.19"]);
    insta::assert_snapshot!("pull_alpine", first);
    let blobs_before = count_entries(&capas.store().join("blobs/sha256"));
    let layers_before = count_entries(&capas.store().join("layers"));
    let bytes_before = bytes_under(&capas.store().join("layers"));

    let second = capas.ok(&["pull", "nginx:stable-alpine3.19"]);
    insta::assert_snapshot!("pull_nginx_alpine", second);
    let already: Vec<&str> = second
        .lines()
        .filter(|l| l.ends_with(": Already exists"))
        .collect();
    assert_eq!(already.len(), 1, "{second}");

    // nginx has N layers; the first is alpine's: N-1 new layers, N-1 new layer blobs plus a
    // config and a manifest.
    let inspect: serde_json::Value =
        serde_json::from_str(&capas.ok(&["inspect", "nginx:stable-alpine3.19"])).expect("json");
    let n = inspect[0]["RootFS"]["Layers"]
        .as_array()
        .expect("layers")
        .len();
    assert_eq!(
        count_entries(&capas.store().join("layers")),
        layers_before + n - 1
    );
    assert_eq!(
        count_entries(&capas.store().join("blobs/sha256")),
        blobs_before + n - 1 + 2
    );
    // The unpacked bytes grow by nginx's own layers only, not by alpine's again.
    let alpine_size =
        serde_json::from_str::<serde_json::Value>(&capas.ok(&["inspect", "alpine:3.19"]))
            .expect("json")[0]["Size"]
            .as_u64()
            .expect("size");
    let nginx_size = inspect[0]["Size"].as_u64().expect("size");
    let grown = bytes_under(&capas.store().join("layers")) - bytes_before;
    assert!(grown < nginx_size - alpine_size + 64 * 1024, "grew {grown}");

    // Pulling again changes nothing.
    let again = capas.ok(&["pull", "nginx:stable-alpine3.19"]);
    assert!(
        again.contains("Status: Image is up to date for nginx:stable-alpine3.19"),
        "{again}"
    );
}

/// `capas images` and `capas history` print Docker's tables.
#[test]
fn images_and_history_print_dockers_tables() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    capas.ok(&["pull", "-q", "nginx:stable-alpine3.19"]);
    insta::assert_snapshot!("images", capas.ok(&["images"]));
    insta::assert_snapshot!(
        "images_digests",
        capas.ok(&["images", "--digests", "--no-trunc"])
    );
    insta::assert_snapshot!("history_alpine", capas.ok(&["history", "alpine:3.19"]));
    insta::assert_snapshot!(
        "history_nginx_alpine",
        capas.ok(&["history", "nginx:stable-alpine3.19"])
    );
    insta::assert_snapshot!(
        "history_alpine_raw",
        capas.ok(&["history", "-H=false", "--no-trunc", "alpine:3.19"])
    );
    let quiet = capas.ok(&["images", "-q"]);
    assert_eq!(quiet.lines().count(), 2);
    assert!(quiet.lines().all(|l| l.len() == 12));
}

/// An ID, an ID prefix and a name all find the same image; `tag` adds a row, not an image.
#[test]
fn names_ids_and_prefixes_resolve_like_docker() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    let id = capas.ok(&["images", "-q", "--no-trunc"]).trim().to_string();
    let short = &id["sha256:".len().."sha256:".len() + 12];
    for name in [
        id.as_str(),
        short,
        &short[..5],
        "alpine:3.19",
        "docker.io/library/alpine:3.19",
    ] {
        let out = capas.ok(&["inspect", name]);
        assert!(out.contains(&id), "{name}: {out}");
    }
    capas.ok(&["tag", short, "mia:1"]);
    let images = capas.ok(&["images"]);
    assert_eq!(images.lines().count(), 3, "{images}");
    assert_eq!(
        capas
            .ok(&["images", "-q"])
            .lines()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        1
    );
}

/// Moving a tag to another image leaves the first one dangling, `<none>`, as Docker does.
#[test]
fn moving_a_tag_leaves_a_dangling_image() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    capas.ok(&["pull", "-q", "busybox:latest"]);
    capas.ok(&["tag", "alpine:3.19", "mia:1"]);
    capas.ok(&["tag", "busybox", "mia:1"]);
    capas.ok(&["tag", "busybox", "alpine:3.19"]);
    let dangling = capas.ok(&["images", "--filter", "dangling=true"]);
    insta::assert_snapshot!("dangling_after_retag", dangling);
}

/// Bad input: one line on stderr, exit code 1, and the store unchanged.
#[test]
fn bad_input_is_one_line_and_a_nonzero_exit() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    let index_before = fs::read(capas.store().join("index.json")).expect("index");
    for (args, message) in [
        (
            vec!["history", "nginx"],
            "Error: No such image: nginx:latest\n",
        ),
        (
            vec!["inspect", "0000000000ff"],
            "Error: No such image: 0000000000ff:latest\n",
        ),
        (
            vec!["tag", "nosuch", "x:1"],
            "Error: No such image: nosuch:latest\n",
        ),
        (
            vec!["pull", "nosuch:1"],
            "Error: manifest for docker.io/library/nosuch:1 not found: manifest unknown\n",
        ),
        (
            vec!["pull", "Alpine"],
            "Error: invalid reference format: repository name (library/Alpine) must be lowercase\n",
        ),
    ] {
        let out = capas.fails(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), message, "{args:?}");
    }
    assert_eq!(
        fs::read(capas.store().join("index.json")).expect("index"),
        index_before
    );
}

/// A blob damaged on disk: `fsck` names it and fails, and reading the image fails too.
#[test]
fn corrupt_blob_fails_fsck_and_reads() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    assert!(capas.ok(&["fsck"]).trim_end().ends_with(": ok"));
    let inspect: serde_json::Value =
        serde_json::from_str(&capas.ok(&["inspect", "alpine:3.19"])).expect("json");
    let id = inspect[0]["Id"].as_str().expect("id").to_string();
    let path = capas
        .store()
        .join("blobs/sha256")
        .join(&id["sha256:".len()..]);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
    let mut bytes = fs::read(&path).expect("config");
    bytes[10] ^= 1;
    fs::write(&path, bytes).expect("damage");

    let out = capas.fails(&["fsck"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("blob {id} is corrupt")),
        "{stdout}"
    );
    let out = capas.fails(&["history", "alpine:3.19"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("blob {id} is corrupt")),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// `save` then `load` into a fresh store keeps the image ID, the diff IDs and the history.
#[test]
fn save_and_load_keep_the_identity() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "nginx:stable-alpine3.19"]);
    let archive = capas.scratch().join("nginx.tar");
    capas.ok(&[
        "save",
        "-o",
        archive.to_str().expect("utf-8"),
        "nginx:stable-alpine3.19",
    ]);

    let other = Capas::new();
    let loaded = other.ok(&["load", "-i", archive.to_str().expect("utf-8")]);
    assert_eq!(loaded, "Loaded image: nginx:stable-alpine3.19\n");
    let field = |c: &Capas, f: &str| {
        let v: serde_json::Value =
            serde_json::from_str(&c.ok(&["inspect", "nginx:stable-alpine3.19"])).expect("json");
        v[0][f].clone()
    };
    assert_eq!(field(&capas, "Id"), field(&other, "Id"));
    assert_eq!(field(&capas, "RootFS"), field(&other, "RootFS"));
    assert_eq!(field(&capas, "Size"), field(&other, "Size"));
    // A loaded image has no repo digest (Docker sets them on pull and push only).
    assert_eq!(field(&other, "RepoDigests"), serde_json::json!([]));
    let strip_ids = |s: String| s.lines().map(|l| l[12..].to_string()).collect::<Vec<_>>();
    assert_eq!(
        strip_ids(capas.ok(&["history", "nginx:stable-alpine3.19"])),
        strip_ids(other.ok(&["history", "nginx:stable-alpine3.19"]))
    );
    assert!(other.ok(&["fsck"]).trim_end().ends_with(": ok"));
}

/// A process killed in the middle of a pull leaves no partial blob, no image, and a store
/// that `fsck` accepts; the next pull completes.
#[test]
fn killed_pull_leaves_a_sound_store() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    for delay_ms in [30, 150, 400] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("capas"))
            .args(["--store"])
            .arg(capas.store())
            .args(["pull", "-q", "nginx:stable"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        // fsck also follows every listed image to all its parts: a half-pulled image that
        // was listed would fail it.
        let fsck = capas.ok(&["fsck"]);
        assert!(
            fsck.trim_end().ends_with(": ok"),
            "after {delay_ms} ms: {fsck}"
        );
    }
    capas.ok(&["pull", "-q", "nginx:stable"]);
    assert!(capas.ok(&["fsck"]).trim_end().ends_with(": ok"));
    assert_eq!(count_entries(&capas.store().join("tmp")), 0);
}
