//! Save and load against a real Docker daemon: the identifiers must survive the trip.
//!
//! * `capas_image_loads_into_docker_with_the_same_ids`: an image made in a capas store,
//!   saved as a docker-archive and `docker load`ed, has in Docker the same image ID, diff IDs,
//!   history rows and sizes.
//! * `docker_cannot_load_a_pure_oci_layout`: the documented limit of Docker 20.10.
//! * `docker_images_load_into_capas_with_the_same_ids`: an image built by Docker (classic
//!   builder, from a busybox rootfs made here, no registry), `docker save`d and loaded into
//!   capas, has in capas the same image ID, diff IDs, history rows and sizes, and its whiteout;
//!   then two images saved together load together.
//!
//! They need a Docker daemon: without one they print why and pass, unless
//! `CAPAS_REQUIRE_DOCKER=1` (CI) makes that a failure. They touch only images named
//! `capas-test/…:<pid>-<n>`, and remove them at the end, also on failure.

mod support;

use std::fs::{self, File};
use std::path::Path;

use capas_core::archive::{self, Format, Layout};
use capas_core::digest::{ChainId, DiffId, Digest};
use capas_core::image::{self, Image, OCI_LAYER_TAR};
use capas_core::layer::TarBuilder;
use capas_core::oci_spec::image::{Descriptor, MediaType};
use capas_core::reference::Reference;
use capas_core::store::{ImageRecord, Store};
use serde_json::json;
use support::{Cleanup, Docker};

const T0: u64 = 1_700_000_000;

/// The layers of the capas-made image: files, directories, a symlink, a hard link; the top
/// one deletes two files of the layers below (whiteouts).
fn capas_layers() -> Vec<Vec<u8>> {
    let mut base = TarBuilder::new(Vec::new());
    base.dir("bin", 0o755, T0).expect("dir");
    base.file("bin/tool", 0o755, T0, 12, &b"#!/bin/tool\n"[..])
        .expect("file");
    base.symlink("bin/sh", "tool", T0).expect("symlink");
    base.hardlink("bin/tool-again", "bin/tool", T0)
        .expect("hard link");
    base.dir("data", 0o755, T0).expect("dir");
    base.file("data/gone.txt", 0o644, T0, 9, &b"to go...\n"[..])
        .expect("file");
    base.file("data/keep.txt", 0o600, T0, 5, &b"keep\n"[..])
        .expect("file");
    base.dir("etc", 0o755, T0).expect("dir");
    base.file("etc/motd", 0o644, T0, 15, &b"hola, capas!!!\n"[..])
        .expect("file");
    let base = base.finish().expect("base").0;

    let mut middle = TarBuilder::new(Vec::new());
    middle.dir("app", 0o755, T0 + 60).expect("dir");
    middle.dir("app/conf", 0o700, T0 + 60).expect("dir");
    middle
        .file("app/conf/a.ini", 0o644, T0 + 60, 4, &b"a=1\n"[..])
        .expect("file");
    middle
        .file("app/x", 0o644, T0 + 60, 5, &b"hola\n"[..])
        .expect("file");
    middle
        .symlink("app/link", "/etc/motd", T0 + 60)
        .expect("symlink");
    let middle = middle.finish().expect("middle").0;

    let mut top = TarBuilder::new(Vec::new());
    top.dir("data", 0o755, T0 + 120).expect("dir");
    top.whiteout("data/gone.txt", T0 + 120).expect("whiteout");
    top.dir("etc", 0o755, T0 + 120).expect("dir");
    top.whiteout("etc/motd", T0 + 120).expect("whiteout");
    let top = top.finish().expect("top").0;
    vec![base, middle, top]
}

/// A config in Docker's compact form: Env, Cmd, a label unique to this run (so the image ID is
/// too, and nothing else in the daemon shares it), and history with `empty_layer` rows.
fn capas_config(layers: &[Vec<u8>]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| Digest::of_bytes(l).to_string())
        .collect();
    let config = json!({
        "architecture": "amd64",
        "config": {
            "Env": ["PATH=/bin", "A=b"],
            "Cmd": ["/bin/sh", "-c", "cat /app/x"],
            "Labels": {"capas.test.run": std::process::id().to_string()},
        },
        "created": "2023-11-14T22:15:20Z",
        "history": [
            {"created": "2023-11-14T22:13:20Z", "created_by": "ADD rootfs / # capas"},
            {"created": "2023-11-14T22:13:20Z", "created_by": "ENV A=b", "empty_layer": true},
            {"created": "2023-11-14T22:14:20Z", "created_by": "RUN mkdir -p /app # capas"},
            {"created": "2023-11-14T22:14:20Z", "created_by": "CMD [\"/bin/sh\" \"-c\" \"cat /app/x\"]", "empty_layer": true},
            {"created": "2023-11-14T22:15:20Z", "created_by": "RUN rm /data/gone.txt /etc/motd # capas"},
        ],
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    });
    serde_json::to_vec(&config).expect("config json")
}

/// Stores, unpacks and commits the image in a capas store.
fn commit(store: &Store, layers: &[Vec<u8>], config: &[u8], tag: &str) -> ImageRecord {
    let locked = store.lock().expect("lock");
    let mut parent: Option<ChainId> = None;
    let mut descriptors = Vec::new();
    for tar in layers {
        let blob = locked.put_blob(tar, None).expect("blob");
        let diff_id = DiffId(blob.digest.clone());
        let record = locked
            .unpack_layer(&blob.digest, false, parent.as_ref(), &diff_id)
            .expect("unpack");
        parent = Some(record.chain_id);
        descriptors.push(Descriptor::new(
            MediaType::from(OCI_LAYER_TAR),
            blob.size,
            capas_core::oci_spec::image::Digest::from(&blob.digest),
        ));
    }
    let tag = Reference::parse_tagged(tag).expect("tag");
    image::commit_image(&locked, config, descriptors, None, &[tag]).expect("commit")
}

/// capas's history rows as Docker's CLI shows them, newest first: (created by, size).
fn capas_history(store: &Store, record: &ImageRecord) -> Vec<(String, u64)> {
    let img = Image::load(store, record).expect("image");
    img.history(store, &store.index().expect("index"))
        .expect("history")
        .into_iter()
        .map(|row| (row.created_by, row.size))
        .collect()
}

fn docker_diff_ids(inspect: &serde_json::Value) -> Vec<String> {
    inspect["RootFS"]["Layers"]
        .as_array()
        .expect("RootFS.Layers")
        .iter()
        .map(|l| l.as_str().expect("diff id").to_string())
        .collect()
}

fn strings<T: ToString>(items: &[T]) -> Vec<String> {
    items.iter().map(T::to_string).collect()
}

#[test]
fn capas_image_loads_into_docker_with_the_same_ids() {
    let Some(docker) = Docker::connect() else {
        return;
    };
    let mut cleanup = Cleanup::new(&docker);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("store")).expect("store");
    let layers = capas_layers();
    let tag = cleanup.name("identity");
    let record = commit(&store, &layers, &capas_config(&layers), &tag);
    let img = Image::load(&store, &record).expect("image");

    let out = docker.load_from(&store, &record, dir.path());
    assert!(
        out.contains(&format!("Loaded image: {tag}")),
        "docker load said: {out}"
    );

    let inspect = docker.inspect(&tag);
    assert_eq!(
        inspect["Id"].as_str(),
        Some(record.id.to_string().as_str()),
        "image ID"
    );
    assert_eq!(
        docker_diff_ids(&inspect),
        strings(&img.diff_ids()),
        "diff IDs"
    );
    assert_eq!(
        inspect["Size"].as_u64(),
        Some(img.size(&store).expect("size")),
        "image size"
    );
    let ours = capas_history(&store, &record);
    assert_eq!(
        docker.history(&tag),
        ours,
        "history rows (created by, size)"
    );
    // The sizes are Docker's count: symlink targets, hard links once, whiteouts 0.
    let sizes: Vec<u64> = ours.iter().map(|r| r.1).collect();
    assert_eq!(sizes, [0, 0, 4 + 5 + 9, 0, 12 + 4 + 9 + 5 + 15]);
}

#[test]
fn docker_cannot_load_a_pure_oci_layout() {
    let Some(docker) = Docker::connect() else {
        return;
    };
    let mut cleanup = Cleanup::new(&docker);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("store")).expect("store");
    let layers = capas_layers();
    let tag = cleanup.name("oci-layout");
    let record = commit(&store, &layers, &capas_config(&layers), &tag);
    let archive_path = dir.path().join("oci.tar");
    let file = File::create(&archive_path).expect("create archive");
    archive::save(
        &store,
        &[(record.clone(), record.tags().cloned().collect())],
        Format::Oci,
        file,
    )
    .expect("save");
    let out = docker.run(&["load", "-i", path(&archive_path)]);
    let version = docker.ok(&["version", "--format", "{{.Server.Version}}"]);
    if version.starts_with("20.") {
        // docker-reference.md §10.3: 20.10 needs manifest.json.
        assert!(
            !out.status.success(),
            "Docker {version} loaded a pure OCI layout"
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("json"),
            "{out:?}"
        );
        assert!(!docker.run(&["image", "inspect", &tag]).status.success());
    }
}

/// A minimal root filesystem: busybox and the applets the Dockerfile runs.
fn busybox_rootfs(busybox: &Path, out: &Path) {
    let file = File::create(out).expect("rootfs tar");
    let mut b = TarBuilder::new(file);
    capas_core::busybox::add_to_layer(
        &mut b,
        busybox,
        &["cat", "echo", "ls", "mkdir", "rm", "sh"],
        T0,
    )
    .expect("busybox");
    b.dir("tmp", 0o1777, T0).expect("dir");
    b.finish().expect("finish");
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

#[test]
fn docker_images_load_into_capas_with_the_same_ids() {
    let Some(docker) = Docker::connect() else {
        return;
    };
    let Some(busybox) = support::static_busybox() else {
        return;
    };
    let mut cleanup = Cleanup::new(&docker);
    let dir = tempfile::tempdir().expect("tempdir");

    // A base image without any registry: `docker import` of a busybox rootfs.
    let rootfs = dir.path().join("rootfs.tar");
    busybox_rootfs(&busybox, &rootfs);
    let base = cleanup.name("base");
    docker.ok(&["import", path(&rootfs), &base]);

    // A classic-builder image: two RUN layers (one deletes a file: a whiteout), ENV, COPY.
    let context = dir.path().join("context");
    fs::create_dir(&context).expect("context");
    fs::write(context.join("f.txt"), "copied\n").expect("f.txt");
    fs::write(
        context.join("Dockerfile"),
        format!(
            "FROM {base}\nRUN mkdir -p /app && echo hola > /app/x\nENV A=b\nCOPY f.txt /app/f.txt\nRUN rm /bin/ls\n"
        ),
    )
    .expect("Dockerfile");
    let built = cleanup.name("built");
    let out = docker
        .command(&["build", "--force-rm", "-q", "-t", &built, path(&context)])
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("docker build");
    support::check(out, &["build", &built]);

    // docker save → capas load.
    let saved = dir.path().join("built.tar");
    docker.ok(&["save", "-o", path(&saved), &built]);
    let store = Store::open(dir.path().join("store")).expect("store");
    let report = {
        let locked = store.lock().expect("lock");
        archive::load(&locked, File::open(&saved).expect("archive")).expect("load")
    };
    let version = docker.ok(&["version", "--format", "{{.Server.Version}}"]);
    if version.starts_with("20.") {
        assert_eq!(report.layout, Layout::DockerLegacy);
    }
    assert_eq!(report.images.len(), 1);
    let loaded = &report.images[0];
    assert_eq!(strings(&loaded.tags), std::slice::from_ref(&built));

    let inspect = docker.inspect(&built);
    assert_eq!(
        inspect["Id"].as_str(),
        Some(loaded.id.to_string().as_str()),
        "image ID"
    );
    let index = store.index().expect("index");
    let record = image::resolve(&index, &built).expect("tag applied in capas");
    assert_eq!(record.id, loaded.id);
    let img = Image::load(&store, record).expect("image");
    assert_eq!(
        strings(&img.diff_ids()),
        docker_diff_ids(&inspect),
        "diff IDs"
    );
    assert_eq!(img.diff_ids().len(), 4, "base, RUN, COPY, RUN");
    assert_eq!(
        capas_history(&store, record),
        docker.history(&built),
        "history rows (created by, size)"
    );
    assert_eq!(
        inspect["Size"].as_u64(),
        Some(img.size(&store).expect("size")),
        "image size"
    );
    let rows = img.history(&store, &index).expect("history");
    let empty: Vec<bool> = rows.iter().map(|r| r.empty_layer).collect();
    assert_eq!(
        empty,
        [false, false, true, false, false],
        "only ENV is metadata-only"
    );

    // The top layer deletes /bin/ls: a whiteout in the unpacked layer, and a 0-byte layer.
    let top = img.top_chain().expect("layers");
    assert!(
        store.layer_diff_dir(top).join("bin/.wh.ls").is_file(),
        "whiteout .wh.ls"
    );
    assert_eq!(rows[0].size, 0);

    // Two images saved at once (the base layer is in both: Docker writes it once and links
    // the second copy), loaded together into a fresh store.
    let both = dir.path().join("both.tar");
    docker.ok(&["save", "-o", path(&both), &base, &built]);
    let store2 = Store::open(dir.path().join("store2")).expect("store");
    let report = {
        let locked = store2.lock().expect("lock");
        archive::load(&locked, File::open(&both).expect("archive")).expect("load both")
    };
    let mut ids: Vec<String> = report.images.iter().map(|i| i.id.to_string()).collect();
    ids.sort();
    let mut expected = vec![
        docker.inspect(&base)["Id"]
            .as_str()
            .expect("id")
            .to_string(),
        loaded.id.to_string(),
    ];
    expected.sort();
    assert_eq!(ids, expected);
    let unpacked: usize = report
        .images
        .iter()
        .flat_map(|i| &i.layers)
        .filter(|l| !l.already_present)
        .count();
    assert_eq!(unpacked, 4, "the shared base layer is unpacked once");
    assert_eq!(store2.layers().expect("layers").len(), 4);
    let index2 = store2.index().expect("index");
    for name in [&base, &built] {
        image::resolve(&index2, name).expect("both names applied");
    }
}
