//! The image life cycle through the `capas` command (course sections 6 and 7): `rmi` by name
//! and by ID with Docker's lines and conflicts, `image prune` with its question and its
//! total, `system df`. Each test: a doc line, a fresh store, the commands, and snapshots
//! under `tests/snapshots/`.

mod support;

use std::path::Path;

use capas_labs::format;
use support::{Capas, bytes_under};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn id_of(capas: &Capas, name: &str) -> String {
    capas
        .ok(&["images", "-q", "--no-trunc", name])
        .lines()
        .next()
        .expect("an image")
        .to_string()
}

/// Runs `capas args…` with `input` on stdin; returns (exit code, stdout).
fn with_stdin(capas: &Capas, args: &[&str], input: &str) -> (Option<i32>, String) {
    let out = capas
        .cmd(args)
        .write_stdin(input)
        .output()
        .expect("run capas");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Course section 6: alpine and nginx share a layer; `rmi nginx:stable-alpine3.19` untags it
/// (tag, then its repo digest), deletes the image and only nginx's own layers; alpine stays
/// whole.
#[test]
fn rmi_nginx_after_alpine_as_the_course_shows() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    capas.ok(&["pull", "-q", "nginx:stable-alpine3.19"]);
    insta::assert_snapshot!("df_alpine_nginx", capas.ok(&["system", "df"]));
    insta::assert_snapshot!("df_v_alpine_nginx", capas.ok(&["system", "df", "-v"]));
    let layers_before = support::count_entries(&capas.store().join("layers"));

    let out = capas.ok(&["rmi", "nginx:stable-alpine3.19"]);
    insta::assert_snapshot!("rmi_nginx", out);
    let deleted_layers = out.lines().filter(|l| l.starts_with("Deleted:")).count() - 1;
    assert_eq!(
        support::count_entries(&capas.store().join("layers")),
        layers_before - deleted_layers
    );
    insta::assert_snapshot!("images_after_rmi_nginx", capas.ok(&["images"]));
    capas.ok(&["fsck"]);
    // And nothing is left to collect: rmi removed the files.
    let again = capas.fails(&["rmi", "nginx:stable-alpine3.19"]);
    assert_eq!(
        stderr(&again),
        "Error: No such image: nginx:stable-alpine3.19\n"
    );
}

/// Two names on one image: removing one only untags; by ID it is refused until `-f`, which
/// untags every name and deletes the image.
#[test]
fn rmi_two_names_and_by_id() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    capas.ok(&["tag", "alpine:3.19", "mia:1"]);
    let id = id_of(&capas, "alpine:3.19");
    let short = &id["sha256:".len().."sha256:".len() + 12];

    let refused = capas.fails(&["rmi", short]);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        stderr(&refused),
        format!(
            "Error: conflict: unable to delete {short} (must be forced) - image is referenced in multiple repositories\n"
        )
    );
    assert_eq!(capas.ok(&["rmi", "mia:1"]), "Untagged: mia:1\n");
    assert_eq!(capas.ok(&["images", "-q"]).lines().count(), 1);

    capas.ok(&["tag", "alpine:3.19", "mia:1"]);
    insta::assert_snapshot!("rmi_f_by_id", capas.ok(&["rmi", "-f", short]));
    assert_eq!(capas.ok(&["images", "-q"]), "");
    assert_eq!(bytes_under(&capas.store().join("blobs")), 0);
    assert_eq!(support::count_entries(&capas.store().join("layers")), 0);
}

/// A stopped container: `rmi NAME` and `rmi ID` are refused with Docker's texts; `rmi -f`
/// deletes the image but keeps the layers the container stands on.
#[test]
fn rmi_and_a_stopped_container() {
    let capas = Capas::new();
    capas.ok(&[
        "run",
        "--name",
        "c1",
        "alpine:3.19",
        "sh",
        "-c",
        "echo hola > /a",
    ]);
    let cid = capas.ok(&["ps", "-a", "-q"]).trim().to_string();
    let id = id_of(&capas, "alpine:3.19");
    let short = &id["sha256:".len().."sha256:".len() + 12];

    let refused = capas.fails(&["rmi", "alpine:3.19"]);
    assert_eq!(
        stderr(&refused),
        format!(
            "Error: conflict: unable to remove repository reference \"alpine:3.19\" (must force) - container {cid} is using its referenced image {short}\n"
        )
    );
    let refused = capas.fails(&["rmi", short]);
    assert_eq!(
        stderr(&refused),
        format!(
            "Error: conflict: unable to delete {short} (must be forced) - image is being used by stopped container {cid}\n"
        )
    );
    let out = capas.ok(&["rmi", "-f", "alpine:3.19"]);
    insta::assert_snapshot!("rmi_f_stopped_container", out);
    assert!(
        !out.contains(&format!("Deleted: {id}\nDeleted:")),
        "no layer line"
    );
    // The container is still there, on its layers: `diff` reads them, and `ps -a` names the
    // image by its short ID now that it has no name (as `docker ps -a` does).
    assert_eq!(capas.ok(&["diff", "c1"]), "A /a\n");
    assert!(capas.ok(&["ps", "-a"]).contains(short), "ps shows the ID");
    capas.ok(&["fsck"]);
}

/// Errors: one line each, the other images still handled, exit 1; with `-f` a missing image
/// is reported but does not fail (Docker's rule).
#[test]
fn rmi_errors_are_one_line_each() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "busybox"]);
    capas.ok(&["tag", "busybox", "mia:1"]);
    let out = capas.fails(&["rmi", "nadie", "mia:1"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "Error: No such image: nadie:latest\n");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Untagged: mia:1\n");

    let out = capas.cmd(&["rmi", "-f", "nadie"]).output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "Error: No such image: nadie:latest\n");

    let out = capas.fails(&["rmi"]);
    assert_eq!(out.status.code(), Some(2), "clap usage error");
}

/// Course section 7: rebuild a tag; the old image is dangling (`<none>`); `image prune` asks
/// first (no = nothing happens), then removes it, and the space it reports is what the
/// store really lost on disk.
#[test]
fn prune_after_rebuilding_a_tag() {
    let capas = Capas::new();
    capas.ok(&[
        "run",
        "--name",
        "v1",
        "alpine:3.19",
        "sh",
        "-c",
        "echo uno > /v",
    ]);
    capas.ok(&["commit", "v1", "mia:1"]);
    capas.ok(&[
        "run",
        "--name",
        "v2",
        "alpine:3.19",
        "sh",
        "-c",
        "echo dos > /v",
    ]);
    capas.ok(&["commit", "v2", "mia:1"]);
    capas.ok(&["rm", "v1", "v2"]);
    insta::assert_snapshot!("images_dangling", capas.ok(&["images"]));

    // Declined (or stdin empty): the question, nothing else, exit 0, nothing removed.
    for answer in ["n\n", ""] {
        let (code, out) = with_stdin(&capas, &["image", "prune"], answer);
        assert_eq!(code, Some(0));
        assert_eq!(
            out,
            "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] "
        );
    }
    assert_eq!(capas.ok(&["images", "-q"]).lines().count(), 3);

    let before = bytes_under(&capas.store());
    let (code, out) = with_stdin(&capas, &["image", "prune"], "y\n");
    assert_eq!(code, Some(0));
    let freed = before - bytes_under(&capas.store());
    insta::assert_snapshot!("prune_dangling", out);
    assert!(
        out.ends_with(&format!(
            "\nTotal reclaimed space: {}\n",
            format::size4(freed)
        )),
        "{out}\nfreed {freed}"
    );
    assert_eq!(capas.ok(&["images", "-q"]).lines().count(), 2);
    capas.ok(&["fsck"]);

    // Nothing left to prune.
    assert_eq!(
        capas.ok(&["image", "prune", "-f"]),
        "Total reclaimed space: 0B\n"
    );
}

/// `image prune -a` removes every image no container uses; filters narrow it; a wrong
/// filter is an error before anything is asked or removed.
#[test]
fn prune_all_and_filters() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    capas.ok(&["pull", "-q", "busybox"]);
    capas.ok(&["pull", "-q", "hello-world"]);
    capas.ok(&["create", "--name", "usa-busybox", "busybox"]);

    let (_, out) = with_stdin(&capas, &["image", "prune", "-a"], "");
    assert_eq!(
        out,
        "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] "
    );
    assert_eq!(
        capas.ok(&["image", "prune", "-a", "-f", "--filter", "label=nadie"]),
        "Total reclaimed space: 0B\n"
    );
    assert_eq!(
        capas.ok(&["image", "prune", "-a", "-f", "--filter", "until=2000-01-01"]),
        "Total reclaimed space: 0B\n"
    );
    let bad = capas.fails(&["image", "prune", "-f", "--filter", "color=red"]);
    assert_eq!(stderr(&bad), "Error: Invalid filter 'color'\n");
    let bad = capas.fails(&["image", "prune", "-f", "--filter", "until=ayer"]);
    assert_eq!(
        stderr(&bad),
        "Error: failed to parse value as time or duration: \"ayer\"\n"
    );

    insta::assert_snapshot!(
        "prune_all",
        capas.ok(&["image", "prune", "-a", "-f", "--filter", "until=24h"])
    );
    insta::assert_snapshot!("image_ls_after_prune_all", capas.ok(&["image", "ls"]));
    insta::assert_snapshot!("df_v_container", capas.ok(&["system", "df", "-v"]));
    insta::assert_snapshot!("df_container", capas.ok(&["system", "df"]));
    assert_eq!(
        capas.ok(&["image", "rm", "-f", "busybox"]).lines().count(),
        3,
        "untag, digest, image: the container keeps the layer"
    );
    capas.ok(&["fsck"]);
}

/// Nothing but the store's own directories is touched: a file beside the store survives.
#[test]
fn gc_stays_inside_the_store() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "busybox"]);
    let beside = capas.scratch().join("keep.txt");
    std::fs::write(&beside, b"mine").expect("write");
    capas.ok(&["rmi", "busybox"]);
    assert!(Path::new(&beside).exists());
    assert_eq!(bytes_under(&capas.store().join("blobs")), 0);
}
