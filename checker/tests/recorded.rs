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
fn history_rows_keep_created_by_and_size() {
    let rows = facts::history_rows(&fixture("docker-20.10-graphdriver/history.json"));
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0]
            .trim_start()
            .starts_with(|c: char| c.is_ascii_digit()),
        "{rows:?}"
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
    let rows = facts::images_rows(
        &fixture("docker-20.10-graphdriver/images.json"),
        "capas-test/",
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].starts_with("recorded:1 sha256:d3d0eea1c10d"),
        "{rows:?}"
    );
    assert!(
        facts::images_rows(&fixture("docker-20.10-graphdriver/images.json"), "other/").is_empty()
    );
}
