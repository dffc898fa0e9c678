//! The same Dockerfile built by Docker and by capas (issue 4, "Done when").
//!
//! A busybox base image is made by capas from Debian's static busybox, saved with
//! `archive::save` and loaded into the machine's Docker, so both builders start from the same
//! image ID. The Dockerfile's `RUN` lines are ones that busybox `sh` and the capas shell run
//! alike. Docker builds it with **BuildKit** (`DOCKER_BUILDKIT=1` and the 20.10 CLI,
//! `/usr/bin/docker` when present: BuildKit works offline because the base is local); capas
//! builds it with `capas_core::build`. The test compares:
//!
//! * the number of layers and the `empty_layer` pattern of the history, and each row's
//!   `created_by` and comment;
//! * each layer entry by entry: paths, types, modes, owners (`--chown`), contents, link
//!   targets, whiteouts (not times, which are each builder's clock);
//! * the config: `Env`, `Cmd`, `Entrypoint`, `WorkingDir`, `User`, `Labels`, `ExposedPorts`.
//!
//! Requires Docker (`CAPAS_REQUIRE_DOCKER=1` in CI) and `busybox-static`.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::Path;

use capas_core::build::{self, BuildOptions};
use capas_core::image::{self, Image};
use capas_core::layer::TarBuilder;
use capas_core::reference::Reference;
use capas_core::store::Store;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use support::{Cleanup, Docker};

const T0: u64 = 1_700_000_000;
const NOW: i64 = 1_709_294_400;
const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The recipe: RUN, COPY (a file, a directory), WORKDIR on an existing and on a new directory,
/// and metadata of every kind the config comparison covers.
const DOCKERFILE: &str = r#"FROM {BASE}
RUN mkdir -p /app && echo hola > /app/x && chmod 600 /app/x
COPY index.html /srv/www/
COPY site/ /srv/site/
WORKDIR /app
WORKDIR /data
ENV A=b C="d e"
LABEL demo=1 org.example.name="capas build"
EXPOSE 80 53/udp
USER root
RUN echo built > built.txt && rm /etc/motd && ln -s /app/x link
RUN true
ARG V=1
RUN echo $V > v
COPY --chown=1:2 index.html /srv/owned/
ADD pkg.tar /opt/
VOLUME /vol
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --retries=3 CMD cat /app/x
ENTRYPOINT ["cat"]
CMD ["/app/x"]
"#;

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// One layer: busybox and its applets, `/etc`, and the directories Docker mounts over.
fn base_layer(busybox: &Path) -> Vec<u8> {
    let mut b = TarBuilder::new(Vec::new());
    capas_core::busybox::add_to_layer(
        &mut b,
        busybox,
        &[
            "cat", "chmod", "echo", "false", "ln", "ls", "mkdir", "rm", "sh", "touch", "true",
        ],
        T0,
    )
    .expect("busybox");
    b.dir("dev", 0o755, T0).expect("dir");
    b.dir("etc", 0o755, T0).expect("dir");
    for (name, text) in [
        ("etc/group", "root:x:0:\n"),
        ("etc/motd", "welcome\n"),
        ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
    ] {
        b.file(name, 0o644, T0, text.len() as u64, text.as_bytes())
            .expect("file");
    }
    b.dir("proc", 0o755, T0).expect("dir");
    b.dir("root", 0o700, T0).expect("dir");
    b.dir("srv", 0o755, T0).expect("dir");
    b.dir("sys", 0o755, T0).expect("dir");
    b.dir("tmp", 0o1777, T0).expect("dir");
    b.finish().expect("finish").0
}

fn make_base(store: &Store, busybox: &Path, tag: &Reference) -> Image {
    let config = json!({
        "architecture": "amd64",
        "config": {"Env": [format!("PATH={PATH}")], "Cmd": ["sh"]},
        "created": "2023-11-14T22:13:20Z",
        "history": [
            {"created": "2023-11-14T22:13:20Z", "created_by": "/bin/sh -c #(nop) ADD busybox"},
        ],
        "os": "linux",
    });
    let tar = base_layer(busybox);
    let locked = store.lock().expect("lock");
    let record = image::commit_layers(&locked, [&tar[..]], config, std::slice::from_ref(tag))
        .expect("commit");
    Image::load(store, &record).expect("load")
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A layer's entries: path → kind, mode, content or link target (whiteouts by name).
fn layer_entries(bytes: &[u8]) -> BTreeMap<String, String> {
    let plain;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("gunzip");
        plain = out;
        &plain[..]
    } else {
        bytes
    };
    let mut out = BTreeMap::new();
    let mut archive = tar::Archive::new(bytes);
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let p = entry.path().expect("path").to_string_lossy().into_owned();
        let p = p.trim_start_matches("./").trim_end_matches('/').to_string();
        let kind = entry.header().entry_type();
        let mode = entry.header().mode().expect("mode") & 0o7777;
        let owner = format!(
            "{}:{}",
            entry.header().uid().expect("uid"),
            entry.header().gid().expect("gid")
        );
        let what = if p.rsplit('/').next().is_some_and(|n| n.starts_with(".wh.")) {
            "whiteout".to_string()
        } else {
            match kind {
                tar::EntryType::Directory => format!("dir {mode:o}"),
                tar::EntryType::Symlink => format!(
                    "symlink -> {}",
                    entry.link_name().expect("l").expect("t").to_string_lossy()
                ),
                tar::EntryType::Link => format!(
                    "hardlink -> {}",
                    entry.link_name().expect("l").expect("t").to_string_lossy()
                ),
                _ => {
                    let mut content = Vec::new();
                    entry.read_to_end(&mut content).expect("content");
                    format!("file {mode:o} {}", sha(&content))
                }
            }
        };
        out.insert(p, format!("{what} ({owner})"));
    }
    out
}

/// The layers of an image `docker save` wrote (a docker-archive), bottom first, and its config.
fn docker_saved(saved: &Path) -> (Vec<Vec<u8>>, Value) {
    let bytes = fs::read(saved).expect("saved");
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for entry in tar::Archive::new(&bytes[..]).entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let p = entry.path().expect("path").to_string_lossy().into_owned();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("content");
        files.insert(p, content);
    }
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).expect("manifest.json");
    let config_name = manifest[0]["Config"].as_str().expect("Config");
    let config: Value = serde_json::from_slice(&files[config_name]).expect("config");
    let layers = manifest[0]["Layers"]
        .as_array()
        .expect("Layers")
        .iter()
        .map(|l| files[l.as_str().expect("layer")].clone())
        .collect();
    (layers, config)
}

/// The history rows a config lists: (created_by, comment, empty_layer).
fn history(config: &Value) -> Vec<(String, String, bool)> {
    config["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| {
            (
                h["created_by"].as_str().unwrap_or_default().to_string(),
                h["comment"].as_str().unwrap_or_default().to_string(),
                h["empty_layer"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

/// The config fields the issue compares (a missing field and an empty one are the same).
fn runtime_fields(config: &Value) -> BTreeMap<&'static str, Value> {
    let c = &config["config"];
    let mut out = BTreeMap::new();
    for k in [
        "Env",
        "Cmd",
        "Entrypoint",
        "WorkingDir",
        "User",
        "Labels",
        "ExposedPorts",
    ] {
        let v = c.get(k).cloned().unwrap_or(Value::Null);
        let v = match &v {
            Value::String(s) if s.is_empty() => Value::Null,
            Value::Object(m) if m.is_empty() => Value::Null,
            Value::Array(a) if a.is_empty() => Value::Null,
            _ => v,
        };
        out.insert(k, v);
    }
    out
}

#[test]
fn dockerfile_builds_alike_in_docker_and_capas() {
    let Some(docker) = Docker::connect() else {
        return;
    };
    let Some(busybox) = support::static_busybox() else {
        return;
    };
    let mut cleanup = Cleanup::new(&docker);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("store")).expect("store");
    let base_tag = cleanup.name("build-base");
    let base_ref = Reference::parse_tagged(&base_tag).expect("tag");
    let base = make_base(&store, &busybox, &base_ref);
    docker.load_from(&store, base.record(), dir.path());

    // The context.
    let ctx = dir.path().join("ctx");
    fs::create_dir_all(ctx.join("site/css")).expect("ctx");
    fs::write(ctx.join("index.html"), "<h1>hola</h1>\n").expect("w");
    fs::write(ctx.join("site/index.html"), "site\n").expect("w");
    fs::write(ctx.join("site/css/a.css"), "body{}\n").expect("w");
    fs::write(ctx.join("site/notes.log"), "ignored\n").expect("w");
    fs::write(ctx.join(".dockerignore"), "**/*.log\n").expect("w");
    let mut pkg = TarBuilder::new(Vec::new());
    pkg.dir("pkg", 0o755, T0).expect("dir");
    pkg.file("pkg/readme", 0o640, T0, 3, &b"hi\n"[..])
        .expect("file");
    fs::write(ctx.join("pkg.tar"), pkg.finish().expect("tar").0).expect("w");
    let dockerfile = DOCKERFILE.replace("{BASE}", &base_tag);
    fs::write(ctx.join("Dockerfile"), &dockerfile).expect("w");

    // Docker, with BuildKit (the 20.10 CLI's built-in client).
    let built_tag = cleanup.name("build-docker");
    let cli = if Path::new("/usr/bin/docker").exists() {
        "/usr/bin/docker"
    } else {
        "docker"
    };
    let out = std::process::Command::new(cli)
        .env("DOCKER_BUILDKIT", "1")
        .args(["build", "--progress=plain", "-t", &built_tag, path(&ctx)])
        .output()
        .expect("docker build");
    assert!(
        out.status.success(),
        "docker build failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let saved = dir.path().join("docker-built.tar");
    docker.ok(&["save", "-o", path(&saved), &built_tag]);
    let (docker_layers, docker_config) = docker_saved(&saved);

    // capas.
    let capas_record = {
        let locked = store.lock().expect("lock");
        build::build(
            &locked,
            &BuildOptions {
                dockerfile,
                dockerfile_name: "Dockerfile".into(),
                context: ctx.clone(),
                tags: vec![Reference::parse_tagged("built:capas").expect("tag")],
                now: NOW,
                ..BuildOptions::default()
            },
            &mut |_| {},
        )
        .expect("capas build")
        .record
    };
    let capas = Image::load(&store, &capas_record).expect("load");
    let capas_config: Value = serde_json::from_slice(capas.config_bytes()).expect("config");
    let capas_layers: Vec<Vec<u8>> = capas
        .layers()
        .iter()
        .map(|l| store.read_blob(&l.blob.digest().into()).expect("blob"))
        .collect();

    // History: the same rows, the same empty_layer pattern.
    assert_eq!(
        history(&capas_config),
        history(&docker_config),
        "history rows"
    );
    assert_eq!(capas_layers.len(), docker_layers.len(), "number of layers");
    // Layers, entry by entry (the comparison is not vacuous: the first RUN made /app/x).
    assert_eq!(
        layer_entries(&capas_layers[1])
            .get("app/x")
            .map(String::as_str),
        Some(format!("file 600 {} (0:0)", sha(b"hola\n")).as_str())
    );
    for (i, (c, d)) in capas_layers.iter().zip(&docker_layers).enumerate() {
        assert_eq!(layer_entries(c), layer_entries(d), "entries of layer {i}");
    }
    assert_eq!(
        runtime_fields(&capas_config),
        runtime_fields(&docker_config),
        "config"
    );
}
