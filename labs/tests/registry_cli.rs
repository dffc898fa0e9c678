//! `capas push` and `capas pull` against a real registry on loopback, and side by side with
//! the machine's Docker through the same registry.
//!
//! * `push_and_pull_print_dockers_lines`: the output of push (Preparing, Pushed, Mounted
//!   from, Layer already exists, the digest line) and pull (up to date), as snapshots with the
//!   registry's port filtered; a registry that is down is one `Error:` line and exit 1.
//! * `docker_pulls_what_capas_pushed`: Docker pulls alpine then nginx from what capas pushed:
//!   the same layer `Already exists` in Docker and in capas, the same image IDs, the same
//!   repo digests.
//! * `capas_pulls_what_docker_pushed`: Docker loads a `capas save` archive, pushes it (gzip
//!   layers, Docker's own manifest); `capas pull` gets Docker's image ID and repo digest.
//!
//! The registry is required in CI (`CAPAS_REQUIRE_REGISTRY=1`), Docker too
//! (`CAPAS_REQUIRE_DOCKER=1`); each is skipped with a message elsewhere. Docker objects are
//! named `127.0.0.1:<port>/capas-test-<pid>/…` and removed at the end; nothing is pruned.

mod support;

#[path = "../../core/tests/registry_support/mod.rs"]
mod registry_support;

use registry_support::TestRegistry;
use support::{Capas, DockerCleanup, docker, docker_available};

/// Filters the registry's port and the test's pid out of the output.
fn settings(registry: &TestRegistry) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(&regex_escape(&registry.host()), "127.0.0.1:[PORT]");
    s.add_filter(
        &format!("capas-test-{}", std::process::id()),
        "capas-test-[PID]",
    );
    s
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_ascii_alphanumeric() {
                vec![c]
            } else {
                vec!['\\', c]
            }
        })
        .collect()
}

/// `name` in this test's own namespace on the registry.
fn name(registry: &TestRegistry, what: &str) -> String {
    format!(
        "{}/capas-test-{}/{what}",
        registry.host(),
        std::process::id()
    )
}

/// The `<id>: Already exists` IDs of a pull's output, in order.
fn already_exists(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|l| l.strip_suffix(": Already exists"))
        .map(str::to_string)
        .collect()
}

#[test]
fn push_and_pull_print_dockers_lines() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let settings = settings(&registry);
    let _guard = settings.bind_to_scope();
    let alpine = format!("{}:3.19", name(&registry, "alpine"));
    let nginx = format!("{}:stable-alpine3.19", name(&registry, "nginx"));

    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    capas.ok(&["pull", "-q", "nginx:stable-alpine3.19"]);
    capas.ok(&["tag", "alpine:3.19", &alpine]);
    capas.ok(&["tag", "nginx:stable-alpine3.19", &nginx]);
    insta::assert_snapshot!("push_alpine", capas.ok(&["push", &alpine]));
    insta::assert_snapshot!("push_nginx_mounts_the_base", capas.ok(&["push", &nginx]));
    insta::assert_snapshot!("push_again", capas.ok(&["push", &alpine]));

    let fresh = Capas::new();
    insta::assert_snapshot!("pull_from_registry", fresh.ok(&["pull", &alpine]));
    let nginx_pull = fresh.ok(&["pull", &nginx]);
    assert_eq!(
        already_exists(&nginx_pull),
        ["d85f8da2227a"],
        "{nginx_pull}"
    );
    assert!(nginx_pull.contains("Status: Downloaded newer image for"));
    insta::assert_snapshot!("pull_up_to_date", fresh.ok(&["pull", &nginx]));
    // RepoDigests as Docker records them after a pull, and after a push.
    let pulled: serde_json::Value =
        serde_json::from_str(&fresh.ok(&["inspect", &nginx])).expect("inspect json");
    let pushed: serde_json::Value =
        serde_json::from_str(&capas.ok(&["inspect", &nginx])).expect("inspect json");
    assert_eq!(pulled[0]["Id"], pushed[0]["Id"]);
    let ours: Vec<&serde_json::Value> = pushed[0]["RepoDigests"]
        .as_array()
        .expect("array")
        .iter()
        .filter(|d| d.as_str().is_some_and(|d| d.starts_with("127.0.0.1")))
        .collect();
    assert_eq!(
        ours,
        pulled[0]["RepoDigests"]
            .as_array()
            .expect("array")
            .iter()
            .collect::<Vec<_>>()
    );
    fresh.ok(&["fsck"]);

    // Bad input: one line, exit 1, nothing tagged.
    let down = format!(
        "127.0.0.1:{}/capas-test/alpine:3.19",
        registry_support::free_port()
    );
    let out = fresh.fails(&["pull", &down]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.starts_with("Error: cannot reach registry 127.0.0.1:")
            && stderr.lines().count() == 1,
        "{stderr}"
    );
    let out = fresh.fails(&["pull", &format!("{}:nope", name(&registry, "alpine"))]);
    insta::assert_snapshot!(
        "pull_unknown_tag",
        String::from_utf8_lossy(&out.stderr).into_owned()
    );
    let out = fresh.fails(&["push", &format!("{}:nope", name(&registry, "alpine"))]);
    insta::assert_snapshot!(
        "push_untagged",
        String::from_utf8_lossy(&out.stderr).into_owned()
    );
}

/// `docker image inspect` of `name`: (Id, RepoDigests).
fn docker_identity(name: &str) -> (String, Vec<String>) {
    let out = docker(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}} {{json .RepoDigests}}",
        name,
    ]);
    let (id, digests) = out.trim().split_once(' ').expect("two fields");
    let digests: Vec<String> = serde_json::from_str(digests).expect("json");
    (id.to_string(), digests)
}

fn capas_identity(capas: &Capas, name: &str) -> (String, Vec<String>) {
    let v: serde_json::Value =
        serde_json::from_str(&capas.ok(&["inspect", name])).expect("inspect json");
    let digests = v[0]["RepoDigests"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|d| d.as_str())
        .filter(|d| d.starts_with("127.0.0.1"))
        .map(str::to_string)
        .collect();
    (v[0]["Id"].as_str().expect("id").to_string(), digests)
}

#[test]
fn docker_pulls_what_capas_pushed() {
    if !docker_available("docker_pulls_what_capas_pushed") {
        return;
    }
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let alpine = format!("{}:3.19", name(&registry, "alpine"));
    let nginx = format!("{}:stable-alpine3.19", name(&registry, "nginx"));
    let _cleanup = DockerCleanup(vec![nginx.clone(), alpine.clone()]);

    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    capas.ok(&["pull", "-q", "nginx:stable-alpine3.19"]);
    capas.ok(&["tag", "alpine:3.19", &alpine]);
    capas.ok(&["tag", "nginx:stable-alpine3.19", &nginx]);
    capas.ok(&["push", &alpine]);
    capas.ok(&["push", &nginx]);

    // Docker, alpine then nginx; capas (a fresh store), the same.
    let docker_alpine = docker(&["pull", &alpine]);
    let docker_nginx = docker(&["pull", &nginx]);
    let fresh = Capas::new();
    fresh.ok(&["pull", &alpine]);
    let capas_nginx = fresh.ok(&["pull", &nginx]);
    assert!(
        already_exists(&docker_alpine).is_empty() || docker_alpine.contains("Already exists"),
        "{docker_alpine}"
    );
    assert_eq!(
        already_exists(&docker_nginx),
        already_exists(&capas_nginx),
        "docker:\n{docker_nginx}\ncapas:\n{capas_nginx}"
    );
    assert_eq!(already_exists(&capas_nginx), ["d85f8da2227a"]);
    for name in [&alpine, &nginx] {
        let (docker_id, docker_digests) = docker_identity(name);
        let (capas_id, capas_digests) = capas_identity(&fresh, name);
        let (pusher_id, pusher_digests) = capas_identity(&capas, name);
        assert_eq!(docker_id, capas_id, "{name}: image ID");
        assert_eq!(capas_id, pusher_id, "{name}: image ID after push");
        assert_eq!(docker_digests, capas_digests, "{name}: RepoDigests");
        assert_eq!(
            capas_digests, pusher_digests,
            "{name}: RepoDigests after push"
        );
    }
}

#[test]
fn capas_pulls_what_docker_pushed() {
    if !docker_available("capas_pulls_what_docker_pushed") {
        return;
    }
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let pid = std::process::id();
    let loaded = format!("capas-test/pushed-by-docker:{pid}");
    let remote = format!("{}:1", name(&registry, "pushed-by-docker"));
    let _cleanup = DockerCleanup(vec![remote.clone(), loaded.clone()]);

    let capas = Capas::new();
    capas.ok(&["pull", "-q", "debian:bookworm-slim"]);
    capas.ok(&["tag", "debian:bookworm-slim", &loaded]);
    let archive = capas.scratch().join("debian.tar");
    capas.ok(&["save", "-o", archive.to_str().expect("utf-8"), &loaded]);
    docker(&["load", "-i", archive.to_str().expect("utf-8")]);
    docker(&["tag", &loaded, &remote]);
    let pushed = docker(&["push", &remote]);
    assert!(pushed.contains("digest: sha256:"), "{pushed}");

    let fresh = Capas::new();
    let out = fresh.ok(&["pull", &remote]);
    assert!(out.contains("Status: Downloaded newer image"), "{out}");
    let (docker_id, docker_digests) = docker_identity(&remote);
    let (capas_id, capas_digests) = capas_identity(&fresh, &remote);
    assert_eq!(docker_id, capas_id, "Docker's image ID");
    assert_eq!(docker_digests, capas_digests, "Docker's repo digest");
    fresh.ok(&["fsck"]);
}
