//! The comparison functions on daemon JSON: recorded from Docker 20.10's graph-driver store,
//! and constructed for the containerd store (see `fixtures/README.md`).

use capas_checker::facts::{self, ImageStore};

fn fixture(path: &str) -> serde_json::Value {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{full}: {e}"))
}

#[test]
fn graph_driver_store_is_recognised_and_compares_config_ids_and_sizes() {
    let info = fixture("docker-20.10-graphdriver/info.json");
    let store = facts::image_store(&facts::driver_status(&info));
    assert_eq!(store, ImageStore::GraphDriver);
    assert!(facts::sizes_comparable(store));
    assert_eq!(
        facts::expected_id(store, "sha256:c", "sha256:m"),
        "sha256:c"
    );
}

#[test]
fn containerd_store_compares_manifest_digests_and_not_sizes() {
    let info = fixture("containerd-store/info.json");
    let store = facts::image_store(&facts::driver_status(&info));
    assert_eq!(store, ImageStore::Containerd);
    assert!(!facts::sizes_comparable(store));
    let inspect = facts::image_facts(&fixture("containerd-store/inspect.json")).expect("facts");
    // capas's alpine:3.19: config 4f4a2b2d…, manifest 536668ef….
    let expected = facts::expected_id(
        store,
        "sha256:4f4a2b2d161b4a4f562359f1cbe2719b8a1d0b27c9e9d3b3436a61aad3a72c09",
        "sha256:536668ef4eaf05bb8bc45233b70409cd1a8e5bf49fa4ec936646d5f9a60057e6",
    );
    assert_eq!(inspect.id, expected);
    assert_eq!(
        inspect.diff_ids,
        vec!["sha256:3ad8e7515831e60da0e19c2426fe8477ef30dc247e8cab2ed12118de881d3f4e"]
    );
}

#[test]
fn inspect_gives_id_diff_ids_and_size() {
    let f = facts::image_facts(&fixture("docker-20.10-graphdriver/inspect.json")).expect("facts");
    assert_eq!(
        f.id,
        "sha256:d3d0eea1c10d3acbaab238b4e511f1fe95fe9bc28dcc6351143d7c99ae3a55ba"
    );
    assert_eq!(f.diff_ids.len(), 1);
    assert!(f.size > 1_000_000, "busybox is over a megabyte: {}", f.size);
    assert!(facts::image_facts(&serde_json::json!({})).is_err());
}

#[test]
fn history_rows_keep_id_size_and_created_by() {
    let rows = facts::history_rows(&fixture("docker-20.10-graphdriver/history.json"));
    assert_eq!(rows.len(), 1);
    // An imported image: its one row shows its own ID.
    assert!(
        rows[0].starts_with(
            "sha256:d3d0eea1c10d3acbaab238b4e511f1fe95fe9bc28dcc6351143d7c99ae3a55ba  "
        ),
        "{rows:?}"
    );
    let missing = serde_json::json!([{"Id": "<missing>", "CreatedBy": "CMD [\"sh\"]", "Size": 0}]);
    assert_eq!(
        facts::history_rows(&missing),
        vec!["<missing>           0  CMD [\"sh\"]"]
    );
}

#[test]
fn changes_become_sorted_diff_lines() {
    let lines = facts::diff_lines(&fixture("docker-20.10-graphdriver/changes.json"));
    assert_eq!(
        lines,
        vec![
            "A /tmp/a",
            "C /etc",
            "C /etc/motd",
            "C /tmp",
            "D /etc/issue"
        ]
    );
}

#[test]
fn images_rows_keep_only_the_run_s_names() {
    let run = |t: &str| t.strip_prefix("capas-test/").map(facts::unmap);
    let rows = facts::images_rows(&fixture("docker-20.10-graphdriver/images.json"), &run);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].starts_with("recorded:1 sha256:d3d0eea1c10d"),
        "{rows:?}"
    );
    let other = |t: &str| t.strip_prefix("other/").map(facts::unmap);
    assert!(
        facts::images_rows(&fixture("docker-20.10-graphdriver/images.json"), &other).is_empty()
    );
}

#[test]
fn rmi_answers_become_the_cli_s_lines() {
    assert_eq!(
        facts::delete_lines(&fixture("docker-20.10-graphdriver/rmi-untag.json")),
        vec!["Untagged: capas-fixture/otro:1"]
    );
    assert_eq!(
        facts::delete_lines(&fixture("docker-20.10-graphdriver/rmi-delete.json")),
        vec![
            "Untagged: capas-fixture/mia:1",
            "Deleted: sha256:b8223d277ce1dc01c4fd686ffd14bbbfc6a7153f572a7f64d398d8828538c098",
        ]
    );
}

#[test]
fn a_refusal_reads_the_same_once_names_and_ids_are_the_scenario_s() {
    let answer = fixture("docker-20.10-graphdriver/rmi-conflict.json");
    let mut docker = facts::Names {
        mapped: Some("capas-fixture/".into()),
        ..facts::Names::default()
    };
    docker.alias_image(
        "sha256:4f4a2b2d161b4a4f562359f1cbe2719b8a1d0b27c9e9d3b3436a61aad3a72c09",
        "alpine:3.19",
        &[],
    );
    let mut capas = facts::Names::default();
    capas.alias_image(
        "sha256:4f4a2b2d161b4a4f562359f1cbe2719b8a1d0b27c9e9d3b3436a61aad3a72c09",
        "alpine:3.19",
        &[],
    );
    let capas_says = "conflict: unable to remove repository reference \"alpine:3.19\" (must force) - container 9d2b0c1e7a44 is using its referenced image 4f4a2b2d161b";
    assert_eq!(
        docker.text(answer["message"].as_str().expect("message")),
        capas.text(capas_says)
    );
    assert_eq!(
        capas.text(capas_says),
        "conflict: unable to remove repository reference \"alpine:3.19\" (must force) - container <container> is using its referenced image @alpine:3.19"
    );
}

#[test]
fn prune_answers_list_deleted_images_and_reclaimed_bytes() {
    let prune = fixture("docker-20.10-graphdriver/prune.json");
    let lines = facts::delete_lines(&prune["ImagesDeleted"]);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().all(|l| l.starts_with("Deleted: sha256:")));
    assert_eq!(prune["SpaceReclaimed"], 5);
}

#[test]
fn df_rows_keep_the_run_s_objects_among_the_daemon_s() {
    // Recorded while other tests had images and containers in the daemon.
    let df = fixture("docker-20.10-graphdriver/df.json");
    let names = facts::Names {
        mapped: Some("capas-fixture/".into()),
        ..facts::Names::default()
    };
    let own = |name: &str| {
        names
            .own(name)
            .or_else(|| name.strip_prefix("capas-fixture-").map(str::to_string))
    };
    assert_eq!(
        facts::df_rows(&df, &own),
        vec![
            "container c1 size_rw=0",
            "image alpine:3.19 size=7379998 shared=7379998 containers=1",
            "image mia:1 size=7379998 shared=7379998 containers=0",
        ]
    );
}

#[test]
fn a_committed_config_is_compared_without_the_container_s_label() {
    let inspect = fixture("docker-20.10-graphdriver/inspect-committed.json");
    assert_eq!(
        facts::config_lines(&inspect["Config"], "io.capas.test"),
        vec![
            "Cmd=[\"sh\",\"-c\",\"echo hola > /tmp/a; rm /etc/issue\"]",
            "Env=[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"]",
        ]
    );
}

#[test]
fn a_committed_layer_s_entries_from_docker_save() {
    // `echo hola > /tmp/a; rm /etc/issue; mkdir -p /srv/d`, committed by Docker 20.10 on
    // fuse-overlayfs (naive diff: the whiteout's mode is 0).
    let path = format!(
        "{}/tests/fixtures/docker-20.10-graphdriver/commit-layer.tar",
        env!("CARGO_MANIFEST_DIR")
    );
    let entries = facts::layer_entries(std::fs::File::open(path).expect("fixture")).expect("tar");
    assert_eq!(
        entries,
        vec![
            "etc 755 0:0 dir",
            "etc/.wh.issue whiteout",
            "srv 755 0:0 dir",
            "srv/d 755 0:0 dir",
            "tmp 1777 0:0 dir",
            "tmp/a 644 0:0 file 5 133ee989293f9273",
        ]
    );
}

#[test]
fn containerd_store_rmi_names_the_manifest_and_no_layers() {
    use capas_core::digest::{ChainId, Digest};
    use capas_core::lifecycle::DeleteRecord;
    use capas_core::reference::Reference;
    let config = "sha256:4f4a2b2d161b4a4f562359f1cbe2719b8a1d0b27c9e9d3b3436a61aad3a72c09";
    let manifest = "sha256:536668ef4eaf05bb8bc45233b70409cd1a8e5bf49fa4ec936646d5f9a60057e6";
    let layer = "sha256:3ad8e7515831e60da0e19c2426fe8477ef30dc247e8cab2ed12118de881d3f4e";
    let records = vec![
        DeleteRecord::Untagged(Reference::parse_tagged("alpine:3.19").expect("ref")),
        DeleteRecord::DeletedImage(Digest::parse(config).expect("digest")),
        DeleteRecord::DeletedLayer {
            chain_id: ChainId(Digest::parse(layer).expect("digest")),
            size: 7_379_998,
        },
    ];
    let mut capas = facts::Names::default();
    capas.alias_image(config, "alpine:3.19", &[layer.to_string()]);
    let mut docker = facts::Names {
        mapped: Some("capas-checker-1-0/".into()),
        ..facts::Names::default()
    };
    docker.alias_image(manifest, "alpine:3.19", &[layer.to_string()]);
    let norm = |n: &facts::Names, lines: Vec<String>| -> Vec<String> {
        lines.iter().map(|l| n.text(l)).collect()
    };
    let docker_lines = norm(
        &docker,
        facts::delete_lines(&fixture("containerd-store/rmi.json")),
    );
    assert_eq!(
        norm(
            &capas,
            facts::capas_delete_lines(&records, ImageStore::Containerd)
        ),
        docker_lines
    );
    assert_eq!(
        docker_lines,
        vec!["Untagged: alpine:3.19", "Deleted: @alpine:3.19"]
    );
    // The graph-driver store prints the released layer too.
    assert_eq!(
        facts::capas_delete_lines(&records, ImageStore::GraphDriver).len(),
        3
    );
}
