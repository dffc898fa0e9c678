//! The container commands as a student runs them (course sections 1 and 2.5): `run`, `exec`,
//! `ps`, `diff`, `why`, `commit`, `layers`, `cp`, `rm`, and what happens on bad input.

mod support;

use std::fs;

use support::Capas;

/// The store's image layers, file by file: path and sha256 of the content.
fn layer_hashes(capas: &Capas) -> Vec<(String, String)> {
    use sha2::{Digest as _, Sha256};
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(capas.store().join("layers")).sort_by_file_name() {
        let entry = entry.expect("walk");
        let meta = entry.path().symlink_metadata().expect("meta");
        let what = if meta.is_file() {
            hex::encode(Sha256::digest(fs::read(entry.path()).expect("read")))
        } else {
            format!("{:?} {:o}", meta.file_type(), {
                use std::os::unix::fs::PermissionsExt;
                meta.permissions().mode()
            })
        };
        out.push((entry.path().display().to_string(), what));
    }
    out
}

/// The course's "Done when": write, append, delete; `diff` prints Docker's lines, `why`
/// names the whiteout, `commit` adds one history row, and alpine keeps its ID and its bytes.
#[test]
fn run_diff_why_commit_as_the_course_shows() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    let alpine_id = capas.ok(&["images", "-q", "--no-trunc", "alpine:3.19"]);
    let before = layer_hashes(&capas);

    let out = capas.ok(&[
        "run",
        "--name",
        "c1",
        "alpine:3.19",
        "sh",
        "-c",
        "echo hola > /tmp/a; echo x >> /etc/motd; rm /etc/issue",
    ]);
    assert_eq!(out, "");
    insta::assert_snapshot!("diff_c1", capas.ok(&["diff", "c1"]));
    insta::assert_snapshot!("why_c1_issue", capas.ok(&["why", "c1", "/etc/issue"]));
    insta::assert_snapshot!("why_c1_motd", capas.ok(&["why", "c1", "/etc/motd"]));
    insta::assert_snapshot!("ps_a", capas.ok(&["ps", "-a"]));
    assert_eq!(capas.ok(&["ps"]).lines().count(), 1, "only the header");

    let id = capas.ok(&["commit", "-m", "mi cambio", "c1", "mia:1"]);
    assert!(id.starts_with("sha256:") && id.trim().len() == 71, "{id}");
    insta::assert_snapshot!("history_mia", capas.ok(&["history", "mia:1"]));
    assert_eq!(
        capas.ok(&["history", "-q", "mia:1"]).lines().count(),
        capas.ok(&["history", "-q", "alpine:3.19"]).lines().count() + 1
    );
    // The image never changes: same ID, same bytes in every one of its layers.
    assert_eq!(
        capas.ok(&["images", "-q", "--no-trunc", "alpine:3.19"]),
        alpine_id
    );
    let after: Vec<_> = layer_hashes(&capas)
        .into_iter()
        .filter(|(p, _)| before.iter().any(|(q, _)| q == p))
        .collect();
    assert_eq!(after, before, "alpine's layers changed");

    // A container of the new image sees the change; one of alpine does not.
    assert_eq!(
        capas.ok(&["run", "--rm", "mia:1", "cat", "/tmp/a"]),
        "hola\n"
    );
    let missing = capas.fails(&["run", "--rm", "alpine:3.19", "cat", "/tmp/a"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr),
        "cat: can't open '/tmp/a': No such file or directory\n"
    );
}

/// On a fresh store `run` pulls the image first, as `docker run` does.
#[test]
fn run_pulls_a_missing_image_first() {
    let capas = Capas::new();
    let out = capas
        .cmd(&["run", "--rm", "alpine:3.19", "cat", "/etc/alpine-release"])
        .output()
        .expect("run capas");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "3.19.1\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(
            "Unable to find image 'alpine:3.19' locally\n3.19: Pulling from library/alpine\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("Status: Downloaded newer image for alpine:3.19"),
        "{stderr}"
    );
    assert_eq!(capas.ok(&["images", "-q"]).lines().count(), 1);
}

/// Two containers of one image never see each other's changes; `exec` runs in the same
/// container again; `rm` throws the read/write layer away.
#[test]
fn containers_are_isolated_and_rm_removes_the_layer() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    capas.ok(&["create", "--name", "ca", "alpine:3.19"]);
    capas.ok(&["create", "--name", "cb", "alpine:3.19"]);
    capas.ok(&["exec", "ca", "sh", "-c", "echo from-a > /root/note"]);
    assert_eq!(capas.ok(&["exec", "ca", "cat", "/root/note"]), "from-a\n");
    assert!(
        !capas
            .fails(&["exec", "cb", "cat", "/root/note"])
            .status
            .success()
    );
    assert_eq!(capas.ok(&["diff", "cb"]), "");

    let containers = capas.store().join("containers");
    let dirs = || fs::read_dir(&containers).expect("containers").count();
    assert_eq!(dirs(), 2);
    assert_eq!(capas.ok(&["rm", "ca"]), "ca\n");
    assert_eq!(dirs(), 1);
    let gone = capas.fails(&["diff", "ca"]);
    assert_eq!(
        String::from_utf8_lossy(&gone.stderr),
        "Error: No such container: ca\n"
    );
}

/// `cp` both ways goes through copy-on-write like any write.
#[test]
fn cp_copies_both_ways() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    capas.ok(&["create", "--name", "cc", "alpine:3.19"]);
    let host = capas.scratch().join("hola.txt");
    fs::write(&host, "hola\n").expect("write");
    capas.ok(&["cp", host.to_str().expect("utf-8"), "cc:/root/"]);
    insta::assert_snapshot!("cp_diff", capas.ok(&["diff", "cc"]));
    let back = capas.scratch().join("back.txt");
    capas.ok(&["cp", "cc:/root/hola.txt", back.to_str().expect("utf-8")]);
    assert_eq!(fs::read_to_string(&back).expect("back"), "hola\n");
    let motd = capas.scratch().join("motd");
    capas.ok(&["cp", "cc:/etc/motd", motd.to_str().expect("utf-8")]);
    assert!(
        fs::read_to_string(&motd).expect("motd").contains("Alpine"),
        "alpine's /etc/motd"
    );
}

/// `layers` shows each layer's own changes and the bytes upper layers hide.
#[test]
fn layers_shows_what_each_layer_adds_and_hides() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "nginx:stable-alpine3.19"]);
    let out = capas.ok(&["layers", "nginx:stable-alpine3.19"]);
    let summary: String = out
        .lines()
        .take_while(|l| !l.starts_with("layer 0 "))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!("layers_nginx_alpine_summary", summary);
}

/// Bad input: unknown containers and images, escapes, no command, a failing command.
#[test]
fn bad_input_gives_one_line_and_a_status() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    let cases: &[(&[&str], i32, &str)] = &[
        (&["diff", "nope"], 1, "Error: No such container: nope\n"),
        (
            &["exec", "nope", "ls"],
            1,
            "Error: No such container: nope\n",
        ),
        (&["rm", "nope"], 1, "Error: No such container: nope\n"),
        (
            &["why", "nope", "/etc"],
            1,
            "Error: No such image: nope:latest\n",
        ),
        (
            &["run", "nope:1"],
            1,
            "Unable to find image 'nope:1' locally\n\
             Error: manifest for docker.io/library/nope:1 not found: manifest unknown\n",
        ),
        (
            &["run", "--rm", "alpine:3.19", "nosuch"],
            127,
            "capas: exec: \"nosuch\": executable file not found in $PATH\n",
        ),
        (
            &["run", "--rm", "alpine:3.19", "cat", "/../etc/passwd"],
            1,
            "cat: can't open '/../etc/passwd': path escapes the container's root\n",
        ),
        (
            &[
                "run",
                "--rm",
                "alpine:3.19",
                "sh",
                "-c",
                "ln -s ../../../etc/shadow /tmp/s && cat /tmp/s",
            ],
            1,
            "cat: can't open '/tmp/s': path escapes the container's root\n",
        ),
        (&["run", "--rm", "alpine:3.19", "sh", "-c", "exit 3"], 3, ""),
    ];
    for (args, code, stderr) in cases {
        let out = capas.fails(args);
        assert_eq!(
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).as_ref()
            ),
            (Some(*code), *stderr),
            "capas {args:?}"
        );
    }
    // Nothing was left behind by the --rm runs.
    assert_eq!(capas.ok(&["ps", "-a", "-q"]), "");
}

/// `rmi -f` of a container's image leaves the container working: its layers stay with it.
#[test]
fn a_container_outlives_its_image() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    capas.ok(&[
        "run",
        "--name",
        "keep",
        "alpine:3.19",
        "sh",
        "-c",
        "echo x > /x",
    ]);
    capas.ok(&["rmi", "-f", "alpine:3.19"]);
    assert_eq!(capas.ok(&["images", "-q"]), "");
    assert_eq!(
        capas.ok(&["exec", "keep", "cat", "/x", "/etc/alpine-release"]),
        "x\n3.19.1\n"
    );
    assert!(capas.ok(&["diff", "keep"]).contains("A /x"));
}
