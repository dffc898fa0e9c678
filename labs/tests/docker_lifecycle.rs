//! The same `rmi` / `image prune` sequence on the machine's Docker daemon and on capas: the
//! same images are deleted, the same layers released, the same conflicts refused (texts
//! compared without Docker's `Error response from daemon: ` and capas's `Error: `; the
//! containers' IDs differ, so they are compared as `<container>`). Required in CI
//! (`CAPAS_REQUIRE_DOCKER=1`); skipped, saying so, where there is no daemon.
//!
//! The images are made by capas (commits of busybox with a label of this run), saved with
//! `capas save`, and loaded into Docker and into a second capas store, so that both sides
//! hold the same images with the same IDs and no parent links. Every Docker object is named
//! `capas-test-lc-<pid>-<time>…` and carries the label `capas-test-lc=<pid>-<time>`; the
//! prunes are limited to that label, and everything left is removed at the end by ID.
//! Docker's "running container" conflict is not compared: a capas container never stays
//! running.

mod support;

use std::process::Command;

use support::{Capas, docker_available};

/// What a command printed, as compared between the two tools.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    success: bool,
    stdout: String,
    /// stderr without the tool's error prefix.
    error: String,
}

fn outcome(out: std::process::Output, prefix: &str, containers: &[String]) -> Outcome {
    let normalise = |text: &str| {
        let mut text = text.to_string();
        for c in containers {
            text = text.replace(c, "<container>");
        }
        text
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let error = stderr
        .lines()
        .map(|l| l.strip_prefix(prefix).unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    Outcome {
        success: out.status.success(),
        stdout: normalise(&String::from_utf8_lossy(&out.stdout)),
        error: normalise(&error),
    }
}

/// The Docker objects of this test, removed when it ends (passed or failed): containers by
/// ID, images by ID. Nothing else is ever touched.
struct Owned {
    containers: Vec<String>,
    images: Vec<String>,
}

impl Drop for Owned {
    fn drop(&mut self) {
        for c in &self.containers {
            let _ = Command::new("docker").args(["rm", "-f", c]).output();
        }
        // Newest first: a parent goes after its child.
        for i in self.images.iter().rev() {
            let _ = Command::new("docker").args(["rmi", "-f", i]).output();
        }
    }
}

fn docker(args: &[&str]) -> std::process::Output {
    // stdin empty: a prune's question is answered "no", as with `docker … < /dev/null`.
    Command::new("docker")
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run docker")
}

fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The lines of a prune's output without the total (capas reports what it freed on disk,
/// Docker only the unpacked layers: the numbers differ by design).
fn prune_records(o: &Outcome) -> Vec<String> {
    o.stdout
        .lines()
        .filter(|l| !l.starts_with("Total reclaimed space:"))
        .map(str::to_string)
        .collect()
}

#[test]
fn rmi_and_prune_delete_the_same_images_as_docker() {
    if !docker_available("rmi_and_prune_delete_the_same_images_as_docker") {
        return;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let run_id = format!("{}-{nanos}", std::process::id());
    let repo = format!("capas-test-lc-{run_id}");
    let label = format!("capas-test-lc={run_id}");
    let name = |what: &str| format!("{repo}/{what}");

    // 1. Make the images in a first capas store: P (two tags), S (for a container), D
    //    (its own layer; dangling later). All carry this run's label.
    let maker = Capas::new();
    maker.ok(&["create", "--name", "base", "busybox"]);
    maker.ok(&[
        "run",
        "--name",
        "withfile",
        "busybox",
        "sh",
        "-c",
        &format!("echo {run_id} > /d.txt"),
    ]);
    let commit = |container: &str, role: &str, target: &str| {
        maker.ok(&[
            "commit",
            "-c",
            &format!("LABEL {label}"),
            "-c",
            &format!("LABEL role={role}"),
            container,
            target,
        ]);
    };
    commit("base", "p", &name("p:1"));
    commit("base", "s", &name("s:1"));
    commit("withfile", "d", &name("d:1"));
    maker.ok(&["tag", &name("p:1"), &name("p:2")]);
    // A parent and its child: `child` is committed from a container of `base`, so both
    // tools record base as its parent (capas save writes it, docker load reads it).
    commit("base", "base", &name("base:1"));
    maker.ok(&[
        "run",
        "--name",
        "onbase",
        &name("base:1"),
        "sh",
        "-c",
        "echo child > /c.txt",
    ]);
    commit("onbase", "child", &name("child:1"));
    let ids: Vec<String> = ["p:1", "s:1", "d:1", "base:1", "child:1"]
        .iter()
        .map(|w| {
            maker
                .ok(&["images", "-q", "--no-trunc", &name(w)])
                .trim()
                .to_string()
        })
        .collect();
    let short = |i: usize| ids[i]["sha256:".len().."sha256:".len() + 12].to_string();
    let archive = maker.scratch().join("lifecycle.tar");
    let archive = archive.to_str().expect("utf-8 path");
    maker.ok(&[
        "save",
        "-o",
        archive,
        &name("p:1"),
        &name("p:2"),
        &name("s:1"),
        &name("d:1"),
        &name("base:1"),
        &name("child:1"),
    ]);

    // 2. The same archive into Docker and into a fresh capas store.
    let mut owned = Owned {
        containers: Vec::new(),
        images: ids.clone(),
    };
    docker_ok(&["load", "-i", archive]);
    let capas = Capas::new();
    capas.ok(&["load", "-i", archive]);
    for id in &ids {
        let theirs = docker_ok(&["image", "inspect", "--format", "{{.Id}}", id]);
        assert_eq!(theirs.trim(), id, "Docker gave the image another ID");
    }

    // A stopped container on S, on both sides (Docker's never started: `Created`).
    let cname = format!("{repo}-s");
    let docker_cid = docker_ok(&["create", "--name", &cname, &name("s:1")])
        .trim()
        .to_string();
    owned.containers.push(docker_cid.clone());
    capas.ok(&["create", "--name", &cname, &name("s:1")]);
    let capas_cid = capas
        .ok(&["ps", "-a", "-q", "--no-trunc"])
        .trim()
        .to_string();
    let containers = [
        docker_cid.clone(),
        docker_cid[..12].to_string(),
        capas_cid.clone(),
        capas_cid[..12].to_string(),
    ];

    // 3. The sequence, step by step on both.
    let both = |args: &[&str]| -> (Outcome, Outcome) {
        let theirs = outcome(docker(args), "Error response from daemon: ", &containers);
        let ours = outcome(
            capas.cmd(args).write_stdin("").output().expect("run capas"),
            "Error: ",
            &containers,
        );
        eprintln!("$ {args:?}\n docker: {theirs:?}\n capas:  {ours:?}");
        (theirs, ours)
    };
    let filter = format!("label={label}");
    let steps: Vec<(String, Vec<String>)> = vec![
        // The question, declined (stdin is empty): nothing else is printed, exit 0.
        (
            "prune declined".into(),
            vec![
                "image".into(),
                "prune".into(),
                "--filter".into(),
                filter.clone(),
            ],
        ),
        (
            "prune -a declined".into(),
            vec![
                "image".into(),
                "prune".into(),
                "-a".into(),
                "--filter".into(),
                filter.clone(),
            ],
        ),
        // A name nobody has: an error; with -f reported but not failing.
        ("rmi of nothing".into(), vec!["rmi".into(), name("nadie")]),
        (
            "rmi -f of nothing".into(),
            vec!["rmi".into(), "-f".into(), name("nadie")],
        ),
        // By ID with two tags: refused.
        ("rmi by ID, two tags".into(), vec!["rmi".into(), short(0)]),
        // By one of the names: untag only.
        (
            "rmi one of two tags".into(),
            vec!["rmi".into(), name("p:1")],
        ),
        // The stopped container: refused by name and by ID.
        (
            "rmi name of image in use".into(),
            vec!["rmi".into(), name("s:1")],
        ),
        (
            "rmi ID of image in use".into(),
            vec!["rmi".into(), short(1)],
        ),
        // A parent: never deleted by ID while its child is there, not even with -f; by name
        // only untagged; deleting the child takes the untagged parent along.
        ("rmi parent by ID".into(), vec!["rmi".into(), short(3)]),
        (
            "rmi -f parent by ID".into(),
            vec!["rmi".into(), "-f".into(), short(3)],
        ),
        (
            "rmi parent by name".into(),
            vec!["rmi".into(), name("base:1")],
        ),
        ("rmi child".into(), vec!["rmi".into(), name("child:1")]),
        // Moving D's tag to P leaves D dangling; tag is silent on both.
        (
            "tag moves".into(),
            vec!["tag".into(), name("p:2"), name("d:1")],
        ),
    ];
    for (what, args) in &steps {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (theirs, ours) = both(&args);
        assert_eq!(ours, theirs, "{what}: capas {args:?} differs from Docker");
    }
    // Refusals really are refusals, and the parent went with its child.
    let (theirs, _) = both(&[
        "images",
        "-q",
        "--no-trunc",
        "--filter",
        &format!("label={label}"),
    ]);
    assert!(!theirs.stdout.contains(&ids[3]) && !theirs.stdout.contains(&ids[4]));
    let (theirs, _) = both(&["rmi", &short(1)]);
    assert!(!theirs.success && theirs.error.contains("stopped container <container>"));

    // Prune of dangling images, limited to this run's label.
    let (theirs, ours) = both(&["image", "prune", "-f", "--filter", &filter]);
    assert!(theirs.success && ours.success, "{theirs:?} {ours:?}");
    assert_eq!(prune_records(&ours), prune_records(&theirs), "prune");
    assert!(
        prune_records(&ours).contains(&format!("deleted: {}", ids[2])),
        "D pruned: {ours:?}"
    );

    // -f deletes the image a stopped container uses (no layer: the container holds them).
    let (theirs, ours) = both(&["rmi", "-f", &short(1)]);
    assert_eq!(ours, theirs, "rmi -f of the image in use");

    // prune -a: every image of this run without a container (P, with its two names).
    let (theirs, ours) = both(&["image", "prune", "-a", "-f", "--filter", &filter]);
    assert_eq!(prune_records(&ours), prune_records(&theirs), "prune -a");

    // Both end with the same images of this run: none.
    let left_theirs = docker_ok(&["images", "-q", "--filter", &filter]);
    let left_ours = capas.ok(&["images", "-q", "--filter", &filter]);
    assert_eq!(left_ours, left_theirs);
    assert_eq!(left_ours, "");
    drop(owned);
}
