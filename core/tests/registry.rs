//! Pull and push against a real registry on loopback (Debian's `docker-registry`), no mocks.
//!
//! * `push_then_pull_gives_the_same_ids_and_shares_the_layer`: the course's scenario through
//!   a registry: push alpine and nginx (nginx's base layer is mounted from alpine's
//!   repository), pull both into a fresh store, `Already exists` for the shared layer, the
//!   same image IDs and repo digests, a multi-platform index resolved to linux/amd64.
//! * `bad_input_leaves_no_image_and_a_clean_store`: registry down, unknown tag, a tampered
//!   blob, a truncated blob, an index only for another platform: one clear error each, no
//!   image recorded, no name moved, `fsck` clean.
//! * `a_download_cut_mid_stream_is_one_clear_error`: a proxy on loopback hangs up in the
//!   middle of a layer: one error naming the blob, no blob kept, no image, `fsck` clean.
//! * `basic_auth_is_answered`: a registry with htpasswd (Basic) auth (Bearer tokens are in
//!   `registry_token.rs`).
//!
//! Required in CI (`CAPAS_REQUIRE_REGISTRY=1`); skipped with a message where the
//! `docker-registry` binary is missing.

#[path = "registry_support/mod.rs"]
mod registry_support;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use capas_core::digest::Digest;
use capas_core::distribution::{
    self, LayerStatus, PullError, PullEvent, PullOptions, PushEvent, PushOptions,
};
use capas_core::fsck;
use capas_core::image;
use capas_core::reference::Reference;
use capas_core::registry::{Credentials, Platform, Registry, RegistryError};
use capas_core::store::{Index, Store};
use registry_support::TestRegistry;

fn fresh_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("store")).expect("open store");
    (dir, store)
}

/// Pulls a sample and tags it `host/capas-test/<name>`.
fn sample_tagged(store: &Store, sample: &str, target: &str) -> Digest {
    let locked = store.lock().expect("lock");
    let sample = Reference::parse_tagged(sample).expect("ref");
    let report = distribution::pull(&locked, &sample, &mut |_| {}).expect("pull sample");
    let mut index = locked.index().expect("index");
    index.set_reference(
        Reference::parse_tagged(target).expect("ref"),
        &report.image.id,
    );
    locked.write_index(&index).expect("write index");
    report.image.id
}

fn push(
    store: &Store,
    name: &str,
    credentials: Option<Credentials>,
) -> Result<(distribution::PushReport, Vec<String>), distribution::PushError> {
    let locked = store.lock().expect("lock");
    let mut lines = Vec::new();
    let report = distribution::push(
        &locked,
        &Reference::parse_tagged(name).expect("ref"),
        &PushOptions { credentials },
        &mut |e| match e {
            PushEvent::Start { repository } => {
                lines.push(format!("The push refers to repository [{repository}]"))
            }
            PushEvent::Layer { id, status } => {
                lines.push(format!("{id}: {}", status.docker_text()))
            }
        },
    )?;
    Ok((report, lines))
}

fn pull(
    store: &Store,
    name: &str,
    options: &PullOptions,
) -> Result<(distribution::PullReport, Vec<(String, LayerStatus)>), PullError> {
    let locked = store.lock().expect("lock");
    let mut layers = Vec::new();
    let report = distribution::pull_with(
        &locked,
        &Reference::parse_tagged(name).expect("ref"),
        options,
        &mut |e| {
            if let PullEvent::Layer { id, status } = e {
                layers.push((id, status));
            }
        },
    )?;
    Ok((report, layers))
}

fn assert_clean(store: &Store) {
    let report = fsck::fsck(store).expect("fsck");
    assert!(report.is_clean(), "fsck: {:?}", report.problems);
}

fn final_statuses(events: &[(String, LayerStatus)]) -> Vec<(String, LayerStatus)> {
    let mut last: Vec<(String, LayerStatus)> = Vec::new();
    for (id, status) in events {
        match last.iter_mut().find(|(i, _)| i == id) {
            Some(entry) => entry.1 = *status,
            None => last.push((id.clone(), *status)),
        }
    }
    last
}

#[test]
fn push_then_pull_gives_the_same_ids_and_shares_the_layer() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let host = registry.host();
    let alpine = format!("{host}/capas-test/alpine:3.19");
    let nginx = format!("{host}/capas-test/nginx:stable-alpine3.19");

    // Push from a store that has the samples.
    let (_a, source) = fresh_store();
    let alpine_id = sample_tagged(&source, "alpine:3.19", &alpine);
    let nginx_id = sample_tagged(&source, "nginx:stable-alpine3.19", &nginx);
    let (alpine_push, lines) = push(&source, &alpine, None).expect("push alpine");
    assert_eq!(
        lines[0],
        format!("The push refers to repository [{host}/capas-test/alpine]")
    );
    assert!(lines.iter().any(|l| l.ends_with(": Pushed")), "{lines:?}");
    assert_eq!(alpine_push.tag, "3.19");
    let (nginx_push, lines) = push(&source, &nginx, None).expect("push nginx");
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with(": Mounted from capas-test/alpine")),
        "nginx's base layer is mounted from alpine's repository: {lines:?}"
    );
    // A second push skips every layer.
    let (again, lines) = push(&source, &alpine, None).expect("push again");
    assert_eq!(again.digest, alpine_push.digest, "pushes are reproducible");
    let done: Vec<&String> = lines
        .iter()
        .filter(|l| !l.ends_with("Preparing") && !l.starts_with("The push"))
        .collect();
    assert!(
        done.iter().all(|l| l.ends_with(": Layer already exists")),
        "{lines:?}"
    );
    // The pusher records the repo digests.
    let index = source.index().expect("index");
    let repo_digests: Vec<String> = index.images[&alpine_id]
        .repo_digests()
        .map(|r| r.to_string())
        .filter(|r| r.starts_with(&host))
        .collect();
    assert_eq!(
        repo_digests,
        vec![format!("{host}/capas-test/alpine@{}", alpine_push.digest)]
    );

    // Pull into a fresh store: the same IDs, and the shared layer `Already exists`.
    let (_b, target) = fresh_store();
    let (report, events) = pull(&target, &alpine, &PullOptions::default()).expect("pull alpine");
    assert_eq!(report.image.id, alpine_id);
    assert_eq!(report.manifest_digest, alpine_push.digest);
    assert!(!report.up_to_date);
    assert!(
        final_statuses(&events)
            .iter()
            .all(|(_, s)| *s == LayerStatus::PullComplete),
        "{events:?}"
    );
    let (report, events) = pull(&target, &nginx, &PullOptions::default()).expect("pull nginx");
    assert_eq!(report.image.id, nginx_id);
    assert_eq!(report.manifest_digest, nginx_push.digest);
    let finals = final_statuses(&events);
    assert_eq!(finals[0].1, LayerStatus::AlreadyExists, "{events:?}");
    assert!(
        finals[1..]
            .iter()
            .all(|(_, s)| *s == LayerStatus::PullComplete)
    );
    // Up to date the second time.
    let (report, events) = pull(&target, &nginx, &PullOptions::default()).expect("pull again");
    assert!(report.up_to_date);
    assert!(events.is_empty());
    let index = target.index().expect("index");
    let names: Vec<String> = index.images[&nginx_id]
        .references
        .iter()
        .map(|r| r.to_string())
        .collect();
    assert_eq!(
        names,
        vec![
            format!("{host}/capas-test/nginx@{}", nginx_push.digest),
            format!("{host}/capas-test/nginx:stable-alpine3.19"),
        ]
    );
    assert_clean(&target);
    assert_clean(&source);

    // A store that has alpine from the samples (uncompressed blob) and pulls nginx from the
    // registry (gzip blobs): the base layer `Already exists`; its gzip blob is fetched quietly,
    // so that every blob the manifest names is in the store.
    let (_d, mixed) = fresh_store();
    sample_tagged(&mixed, "alpine:3.19", "alpine:mine");
    let (report, events) = pull(&mixed, &nginx, &PullOptions::default()).expect("pull nginx");
    assert_eq!(report.image.id, nginx_id);
    assert_eq!(final_statuses(&events)[0].1, LayerStatus::AlreadyExists);
    assert_eq!(report.layers_fetched, finals.len() - 1);
    assert_clean(&mixed);

    // A multi-platform index: the linux/amd64 entry is chosen (or this machine's platform),
    // and the index's digest is the repo digest, as Docker 20.10 records it.
    let client = Registry::new(
        &host,
        None,
        vec!["repository:capas-test/multi:pull,push".into()],
    );
    let manifest = client
        .manifest("capas-test/alpine", "3.19")
        .expect("manifest");
    for blob in blobs_of(&manifest.bytes) {
        mount_or_fail(&client, "capas-test/multi", &blob, "capas-test/alpine");
    }
    client
        .put_manifest(
            "capas-test/multi",
            &manifest.digest.to_string(),
            &manifest.media_type,
            &manifest.bytes,
        )
        .expect("put platform manifest");
    let host_platform = Platform::host();
    let index_bytes = manifest_list(&[
        (
            &manifest.digest,
            manifest.bytes.len(),
            &host_platform.architecture,
        ),
        (&manifest.digest, manifest.bytes.len(), "s390x"),
    ]);
    let index_digest = client
        .put_manifest(
            "capas-test/multi",
            "1",
            capas_core::registry::DOCKER_MANIFEST_LIST,
            &index_bytes,
        )
        .expect("put index");
    let (_c, third) = fresh_store();
    let (report, _) = pull(
        &third,
        &format!("{host}/capas-test/multi:1"),
        &PullOptions::default(),
    )
    .expect("pull multi");
    assert_eq!(report.image.id, alpine_id);
    assert_eq!(report.manifest_digest, index_digest);
    assert_clean(&third);
}

/// The blob digests (config and layers) a manifest names.
fn blobs_of(manifest: &[u8]) -> Vec<Digest> {
    let v: serde_json::Value = serde_json::from_slice(manifest).expect("json");
    let mut out = vec![Digest::parse(v["config"]["digest"].as_str().expect("config")).expect("d")];
    for l in v["layers"].as_array().expect("layers") {
        out.push(Digest::parse(l["digest"].as_str().expect("digest")).expect("d"));
    }
    out
}

fn mount_or_fail(client: &Registry, repo: &str, blob: &Digest, from: &str) {
    let result = client.mount(repo, blob, from).expect("mount");
    assert_eq!(result, capas_core::registry::Mount::Mounted);
}

fn manifest_list(entries: &[(&Digest, usize, &str)]) -> Vec<u8> {
    let manifests: Vec<serde_json::Value> = entries
        .iter()
        .map(|(digest, size, arch)| {
            serde_json::json!({
                "mediaType": capas_core::image::DOCKER_MANIFEST,
                "size": size,
                "digest": digest.to_string(),
                "platform": {"architecture": arch, "os": "linux"},
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": capas_core::registry::DOCKER_MANIFEST_LIST,
        "manifests": manifests,
    }))
    .expect("json")
}

/// Everything observable that a failed pull must not change.
fn snapshot(store: &Store) -> (Index, Vec<Digest>) {
    (store.index().expect("index"), Vec::new())
}

fn writable(path: &std::path::Path) {
    fs::set_permissions(path, fs::Permissions::from_mode(0o644)).expect("chmod");
}

#[test]
fn bad_input_leaves_no_image_and_a_clean_store() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let host = registry.host();
    let (_a, source) = fresh_store();
    let alpine = format!("{host}/capas-test/alpine:3.19");
    sample_tagged(&source, "alpine:3.19", &alpine);
    push(&source, &alpine, None).expect("push alpine");
    let debian = format!("{host}/capas-test/debian:bookworm-slim");
    sample_tagged(&source, "debian:bookworm-slim", &debian);
    push(&source, &debian, None).expect("push debian");

    let (_b, target) = fresh_store();
    // Something in the store already, so "nothing newly tagged" means something.
    let before_tag = sample_tagged(&target, "busybox", "mine:1");
    let (before, _) = snapshot(&target);
    let check_untouched = |what: &str| {
        let (now, _) = snapshot(&target);
        assert_eq!(now, before, "{what}: the image table changed");
        assert!(now.images.contains_key(&before_tag));
        assert_clean(&target);
    };

    // The registry is down.
    let nobody = format!(
        "127.0.0.1:{}/capas-test/alpine:3.19",
        registry_support::free_port()
    );
    let err = pull(&target, &nobody, &PullOptions::default()).unwrap_err();
    assert!(
        matches!(err, PullError::Registry(RegistryError::Unreachable { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("cannot reach registry"), "{err}");
    check_untouched("registry down");

    // An unknown tag: 404.
    let err = pull(
        &target,
        &format!("{host}/capas-test/alpine:9.99"),
        &PullOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("manifest for {host}/capas-test/alpine:9.99 not found: manifest unknown")
    );
    check_untouched("unknown tag");

    // An index with only another platform's manifest.
    let client = Registry::new(
        &host,
        None,
        vec!["repository:capas-test/alpine:pull,push".into()],
    );
    let manifest = client
        .manifest("capas-test/alpine", "3.19")
        .expect("manifest");
    let list = manifest_list(&[(&manifest.digest, manifest.bytes.len(), "s390x")]);
    client
        .put_manifest(
            "capas-test/alpine",
            "s390x-only",
            capas_core::registry::DOCKER_MANIFEST_LIST,
            &list,
        )
        .expect("put index");
    let err = pull(
        &target,
        &format!("{host}/capas-test/alpine:s390x-only"),
        &PullOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "no matching manifest for {} in the manifest list entries",
            Platform::host()
        )
    );
    check_untouched("other platform");
    // --platform picks it, and a wrong --platform on a plain manifest is refused.
    let err = pull(
        &target,
        &alpine,
        &PullOptions {
            platform: Some(Platform::parse("linux/s390x").expect("platform")),
            credentials: None,
        },
    )
    .unwrap_err();
    assert!(matches!(err, PullError::WrongPlatform { .. }), "{err}");
    check_untouched("wrong --platform");

    // A tampered blob: same size, one byte changed, in the registry's storage.
    let debian_manifest = client
        .manifest("capas-test/debian", "bookworm-slim")
        .expect("manifest");
    let layers = blobs_of(&debian_manifest.bytes);
    let tampered = &layers[1];
    let data = registry.blob_data(tampered.hex());
    let original = fs::read(&data).expect("blob data");
    let mut bytes = original.clone();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    writable(&data);
    fs::write(&data, &bytes).expect("tamper");
    let err = pull(&target, &debian, &PullOptions::default()).unwrap_err();
    assert!(
        matches!(err, PullError::LayerVerification { ref digest, .. } if digest == tampered),
        "{err}"
    );
    assert!(
        err.to_string().starts_with(&format!(
            "filesystem layer verification failed for digest {tampered}"
        )),
        "{err}"
    );
    assert!(!target.has_blob(tampered));
    check_untouched("tampered blob");

    // A truncated blob: the download ends early.
    fs::write(&data, &original[..original.len() / 3]).expect("truncate");
    let err = pull(&target, &debian, &PullOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            PullError::SizeMismatch { .. }
                | PullError::LayerVerification { .. }
                | PullError::Registry(RegistryError::Transport { .. })
        ),
        "{err}"
    );
    assert!(!target.has_blob(tampered));
    check_untouched("truncated blob");

    // Repaired, the same pull works, and the layers unpacked before the failure are reused.
    fs::write(&data, &original).expect("repair");
    let (report, _) = pull(&target, &debian, &PullOptions::default()).expect("pull repaired");
    assert_eq!(report.image.references.len(), 2);
    assert_clean(&target);
}

/// `user:bcrypt(password)`, as `htpasswd -B` writes it.
fn htpasswd(user: &str, password: &str) -> String {
    format!(
        "{user}:{}\n",
        bcrypt::hash(password, 5).expect("bcrypt hash")
    )
}

#[test]
fn basic_auth_is_answered() {
    let Some(registry) = TestRegistry::start_with(Some(&htpasswd("student", "s3cret"))) else {
        return;
    };
    let host = registry.host();
    let name = format!("{host}/capas-test/hello:1");
    let (_a, source) = fresh_store();
    let id = sample_tagged(&source, "hello-world", &name);
    let good = Credentials {
        username: "student".into(),
        password: "s3cret".into(),
    };
    let bad = Credentials {
        username: "student".into(),
        password: "wrong".into(),
    };

    let err = push(&source, &name, None).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("unauthorized: authentication required for {host}")),
        "{err}"
    );
    let err = push(&source, &name, Some(bad.clone())).unwrap_err();
    assert!(err.to_string().contains("refused"), "{err}");
    push(&source, &name, Some(good.clone())).expect("push with credentials");

    let (_b, target) = fresh_store();
    let err = pull(&target, &name, &PullOptions::default()).unwrap_err();
    assert!(
        matches!(err, PullError::Registry(RegistryError::Unauthorized { .. })),
        "{err}"
    );
    assert!(target.index().expect("index").images.is_empty());
    let err = pull(
        &target,
        &name,
        &PullOptions {
            platform: None,
            credentials: Some(bad),
        },
    )
    .unwrap_err();
    assert!(
        matches!(err, PullError::Registry(RegistryError::Unauthorized { .. })),
        "{err}"
    );
    let (report, _) = pull(
        &target,
        &name,
        &PullOptions {
            platform: None,
            credentials: Some(good),
        },
    )
    .expect("pull with credentials");
    assert_eq!(report.image.id, id);
    assert_clean(&target);
    let _ = image::DOCKER_MANIFEST;
}

/// A loopback proxy in front of the registry that forwards everything, except that once a
/// request for `cut` (a blob digest) goes through a connection, it lets only `keep` more bytes
/// of the answer through and then closes that connection: a download cut mid-stream.
fn cutting_proxy(upstream: u16, cut: String, keep: usize) -> u16 {
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { break };
            let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                continue;
            };
            let armed = Arc::new(AtomicBool::new(false));
            let (mut c_in, mut s_out) = (
                client.try_clone().expect("clone"),
                server.try_clone().expect("clone"),
            );
            let (armed_in, cut_in) = (armed.clone(), cut.clone());
            // client → registry: watch for the request of the blob to cut
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 64 << 10];
                while let Ok(n) = c_in.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if String::from_utf8_lossy(&buf[..n]).contains(&cut_in) {
                        armed_in.store(true, Ordering::SeqCst);
                    }
                    if s_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = s_out.shutdown(Shutdown::Write);
            });
            // registry → client: once armed, `keep` bytes more, then hang up
            let (mut s_in, mut c_out) = (server, client);
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 64 << 10];
                let mut budget = keep;
                while let Ok(n) = s_in.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let n = if armed.load(Ordering::SeqCst) {
                        let n = n.min(budget);
                        budget -= n;
                        n
                    } else {
                        n
                    };
                    if c_out.write_all(&buf[..n]).is_err() || budget == 0 {
                        break;
                    }
                }
                let _ = c_out.shutdown(Shutdown::Both);
                let _ = s_in.shutdown(Shutdown::Both);
            });
        }
    });
    port
}

#[test]
fn a_download_cut_mid_stream_is_one_clear_error() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let (_a, source) = fresh_store();
    let debian = format!("{}/capas-test/debian:bookworm-slim", registry.host());
    sample_tagged(&source, "debian:bookworm-slim", &debian);
    push(&source, &debian, None).expect("push debian");
    let client = Registry::new(&registry.host(), None, vec![]);
    let manifest = client
        .manifest("capas-test/debian", "bookworm-slim")
        .expect("manifest");
    let layer = blobs_of(&manifest.bytes)[1].clone();

    // The same registry, through the proxy: the layer's answer stops after 100 kB.
    let port = cutting_proxy(registry.port(), layer.to_string(), 100_000);
    let through_proxy = format!("127.0.0.1:{port}/capas-test/debian:bookworm-slim");
    let (_b, target) = fresh_store();
    let err = pull(&target, &through_proxy, &PullOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            PullError::Registry(RegistryError::Transport {
                action: "downloading",
                ..
            })
        ),
        "{err}"
    );
    assert!(err.to_string().contains(&layer.to_string()), "{err}");
    assert!(!target.has_blob(&layer));
    assert!(target.index().expect("index").images.is_empty());
    assert_clean(&target);
}
