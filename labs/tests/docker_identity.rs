//! Same identity as Docker, through the `capas` command and the machine's Docker daemon:
//! `docker load` of what `capas save` wrote gives the image ID, diff IDs, layer sizes and
//! history that `capas inspect` and `capas history` show. Required in CI
//! (`CAPAS_REQUIRE_DOCKER=1`); skipped, saying so, where there is no daemon.
//!
//! Only Docker objects named `capas-test/…` are created, and they are removed at the end.

mod support;

use support::{Capas, DockerCleanup, docker, docker_available};

fn inspect_field(json: &str, field: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(json).expect("inspect json");
    v[0][field].clone()
}

/// The facts of each history row (one JSON object a line): step, size, comment, date.
fn history_facts(text: &str) -> Vec<[serde_json::Value; 4]> {
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("history json line");
            [
                v["CreatedBy"].clone(),
                v["Size"].clone(),
                v["Comment"].clone(),
                v["CreatedAt"].clone(),
            ]
        })
        .collect()
}

#[test]
fn docker_loads_capas_images_with_the_same_ids() {
    if !docker_available("docker_loads_capas_images_with_the_same_ids") {
        return;
    }
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    capas.ok(&["pull", "-q", "nginx:stable-alpine3.19"]);
    let pid = std::process::id();
    let names = [
        format!("capas-test/alpine:{pid}"),
        format!("capas-test/nginx-alpine:{pid}"),
    ];
    let _cleanup = DockerCleanup(names.to_vec());
    capas.ok(&["tag", "alpine:3.19", &names[0]]);
    capas.ok(&["tag", "nginx:stable-alpine3.19", &names[1]]);
    let archive = capas.scratch().join("both.tar");
    capas.ok(&[
        "save",
        "-o",
        archive.to_str().expect("utf-8"),
        &names[0],
        &names[1],
    ]);

    let loaded = docker(&["load", "-i", archive.to_str().expect("utf-8")]);
    for name in &names {
        assert!(
            loaded.contains(&format!("Loaded image: {name}")),
            "{loaded}"
        );
        let ours = capas.ok(&["inspect", name]);
        let theirs = docker(&["image", "inspect", name]);
        for field in ["Id", "RootFS", "Size", "Created", "Architecture", "Os"] {
            assert_eq!(
                inspect_field(&ours, field),
                inspect_field(&theirs, field),
                "{name}: {field} differs"
            );
        }
        // Docker shows Config with every field filled in; compare the ones the image sets.
        for key in [
            "Env",
            "Cmd",
            "Entrypoint",
            "ExposedPorts",
            "Labels",
            "StopSignal",
        ] {
            let ours = inspect_field(&ours, "Config")[key].clone();
            let theirs = inspect_field(&theirs, "Config")[key].clone();
            if !ours.is_null() {
                assert_eq!(ours, theirs, "{name}: Config.{key} differs");
            }
        }
        // History: same steps, same sizes (Docker computes them from the layers it unpacked),
        // same comments; the dates are equal too because both read the config.
        let ours = capas.ok(&[
            "history",
            "-H=false",
            "--no-trunc",
            "--format",
            "json",
            name,
        ]);
        let theirs = docker(&[
            "history",
            "-H=false",
            "--no-trunc",
            "--format",
            "{{json .}}",
            name,
        ]);
        assert_eq!(
            history_facts(&ours),
            history_facts(&theirs),
            "{name}:\n{ours}\n{theirs}"
        );
    }
}
