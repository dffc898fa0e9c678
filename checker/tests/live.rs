//! `checker` as an instructor runs it: against the machine's Docker daemon (required in CI:
//! `CAPAS_REQUIRE_DOCKER=1`), and grading stores in which students did the labs.

use std::path::Path;
use std::process::Command;

use capas_labs::lab::Student;

mod support;
use support::{capas, checker, checker_pid, docker_available};

/// What the checker run of process `pid` left in the daemon: containers with its label
/// value, images with its name prefix (directly, or under a loopback registry's host).
fn leftovers(pid: u32) -> String {
    let run = format!("capas-checker-{pid}-");
    let out = Command::new("docker")
        .args([
            "ps",
            "-a",
            "--filter",
            "label=io.capas.checker",
            "--format",
            "{{.Label \"io.capas.checker\"}} {{.Names}}",
        ])
        .output()
        .expect("docker ps");
    let images = Command::new("docker")
        .args(["images", "--format", "{{.Repository}}:{{.Tag}}"])
        .output()
        .expect("docker images");
    let mut mine: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with(&run))
        .map(str::to_string)
        .collect();
    mine.extend(
        String::from_utf8_lossy(&images.stdout)
            .lines()
            .filter(|l| l.starts_with(&run) || l.contains(&format!("/{run}")))
            .map(str::to_string),
    );
    mine.join("\n")
}

#[test]
fn every_scenario_matches_docker() {
    if !docker_available() {
        return;
    }
    let junit = tempfile::NamedTempFile::new().expect("tmp");
    let (code, out, err) = checker(
        &["compare", "--junit", junit.path().to_str().expect("utf-8")],
        None,
    );
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains(" 0 different"), "{out}");
    let xml = std::fs::read_to_string(junit.path()).expect("junit");
    for scenario in [
        "identity",
        "history",
        "images",
        "containers",
        "commit",
        "build",
        "pull",
        "rmi",
        "prune",
    ] {
        assert!(
            xml.contains(&format!("<testsuite name=\"{scenario}\"")),
            "{scenario}: {xml}"
        );
    }
    assert!(!xml.contains("<failure"), "{xml}");
}

#[test]
fn a_deliberate_fault_shows_both_values() {
    if !docker_available() {
        return;
    }
    let (code, out, _) = checker(&["compare", "containers"], Some("diff"));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("NO"), "{out}");
    assert!(out.contains("containers / diff of c1:"), "{out}");
    let (code, out, _) = checker(&["compare", "--json", "identity"], Some("size"));
    assert_eq!(code, 1, "{out}");
    let facts: serde_json::Value = serde_json::from_str(&out).expect("json");
    let size = facts
        .as_array()
        .expect("array")
        .iter()
        .find(|f| f["name"] == "size of alpine:3.19")
        .expect("size fact");
    assert_eq!(
        size["capas"].as_str().and_then(|s| s.parse::<u64>().ok()),
        size["docker"]
            .as_str()
            .and_then(|s| s.parse::<u64>().ok())
            .map(|d| d + 1)
    );
}

#[test]
fn doctor_reports_the_daemon() {
    if !docker_available() {
        return;
    }
    let (code, out, _) = checker(&["doctor"], None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("build:     "), "{out}");
    assert!(out.contains("API 1.41") || out.contains("API 1."), "{out}");
    assert!(
        out.contains("GraphDriver") || out.contains("Containerd"),
        "{out}"
    );
}

#[test]
fn nothing_is_left_in_the_daemon() {
    if !docker_available() {
        return;
    }
    // A run that passes through a registry, one with a difference, and one whose last step
    // fails after containers and images were made.
    let (code, out, err, pid) = checker_pid(&["compare", "pull"], None);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(leftovers(pid), "");
    let (code, out, _, pid) = checker_pid(&["compare", "containers"], Some("diff"));
    assert_eq!(code, 1, "{out}");
    assert_eq!(leftovers(pid), "");
    let dir = tempfile::tempdir().expect("tmp");
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "description = \"fails half-way\"\n\
         [[step]]\ndo = \"busybox\"\ntag = \"checker/bb:1\"\n\
         [[step]]\ndo = \"run\"\nname = \"c1\"\nimage = \"checker/bb:1\"\ncmd = [\"true\"]\n\
         [[step]]\ndo = \"commit\"\ncontainer = \"nobody\"\ntag = \"checker/x:1\"\n\
         [[fact]]\nof = \"images\"\n",
    )
    .expect("scenario");
    // The broken scenario is reported (one line, exit 2, an errored JUnit case) and the
    // next one still runs.
    let junit = dir.path().join("junit.xml");
    let (code, out, err, pid) = checker_pid(
        &[
            "compare",
            "--junit",
            junit.to_str().expect("utf-8"),
            broken.to_str().expect("utf-8"),
            "images",
        ],
        None,
    );
    assert_eq!(code, 2, "{out}");
    assert!(err.starts_with("Error: scenario "), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(out.contains("images "), "the next scenario ran:\n{out}");
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(xml.contains("<error"), "{xml}");
    assert_eq!(leftovers(pid), "");
}

/// Solves labs 1–3 in `store` for `id`, as the solutions say.
fn solve_labs_1_to_3(store: &Path, id: &str) {
    let s = Student::new(id);
    let (w, n) = (s.word.as_str(), s.number);
    capas(store, &["pull", "-q", "alpine:3.19"]);
    capas(
        store,
        &[
            "run",
            "--name",
            &format!("lab01-{w}"),
            "alpine:3.19",
            "sh",
            "-c",
            &format!("echo {n} > /tmp/{w}.txt"),
        ],
    );
    capas(
        store,
        &["commit", &format!("lab01-{w}"), &format!("lab01/{w}:{n}")],
    );
    capas(
        store,
        &[
            "run",
            "--name",
            &format!("lab02-{w}-src"),
            "alpine:3.19",
            "sh",
            "-c",
            &format!("echo {w} > /etc/motd"),
        ],
    );
    capas(
        store,
        &[
            "commit",
            &format!("lab02-{w}-src"),
            &format!("lab02/{w}:v2"),
        ],
    );
    capas(
        store,
        &[
            "create",
            "--name",
            &format!("lab02-{w}-1"),
            &format!("lab02/{w}:v2"),
        ],
    );
    capas(
        store,
        &[
            "create",
            "--name",
            &format!("lab02-{w}-2"),
            &format!("lab02/{w}:v2"),
        ],
    );
    capas(
        store,
        &[
            "exec",
            &format!("lab02-{w}-1"),
            "sh",
            "-c",
            &format!("echo {n} > /tmp/n"),
        ],
    );
    capas(
        store,
        &["create", "--name", &format!("lab03-{w}"), "alpine:3.19"],
    );
    capas(
        store,
        &[
            "exec",
            &format!("lab03-{w}"),
            "sh",
            "-c",
            &format!(
                "echo hi >> /etc/motd; rm /etc/issue; rm -r /etc/apk && mkdir /etc/apk && touch /etc/apk/{w}"
            ),
        ],
    );
}

#[test]
fn grade_reports_exactly_the_labs_solved() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("ana");
    solve_labs_1_to_3(&store, "ana");
    let (code, out, err) = checker(
        &[
            "grade",
            "--store",
            store.to_str().expect("utf-8"),
            "--student",
            "ana",
        ],
        None,
    );
    assert_eq!(code, 1, "labs 4 on are not done: {out}{err}");
    for lab in [
        "lab01  2/2",
        "lab02  2/2",
        "lab03  2/2",
        "lab04  0/2",
        "lab05  0/2",
        "lab06  0/2",
    ] {
        assert!(out.contains(lab), "{lab} in:\n{out}");
    }
    // Another student's ID does not pass on ana's work.
    let (_, other, _) = checker(
        &[
            "grade",
            "--store",
            store.to_str().expect("utf-8"),
            "--student",
            "luis",
        ],
        None,
    );
    if Student::new("luis").word != Student::new("ana").word {
        assert!(other.contains("lab01  0/2"), "{other}");
    }
}

#[test]
fn grading_a_class_lists_every_student() {
    let class = tempfile::tempdir().expect("tmp");
    solve_labs_1_to_3(&class.path().join("ana"), "ana");
    capas(&class.path().join("luis"), &["pull", "-q", "alpine:3.19"]);
    let junit = class.path().join("grades.xml");
    let (code, out, err) = checker(
        &[
            "grade",
            "--class",
            class.path().to_str().expect("utf-8"),
            "--junit",
            junit.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("ana: 6/"), "{out}");
    assert!(out.contains("luis: 0/"), "{out}");
    let csv = std::fs::read_to_string(class.path().join("grades.csv")).expect("csv");
    assert!(
        csv.starts_with("student,lab,exercise,passed,why\n"),
        "{csv}"
    );
    assert!(csv.contains("ana,lab01,1,true,"), "{csv}");
    assert!(
        csv.contains("luis,lab01,1,false,lab01-ex1-no-container"),
        "{csv}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(xml.contains("testsuite name=\"ana\""), "{xml}");
}

#[test]
fn compare_help_names_every_built_in_scenario() {
    let (code, out, _) = checker(&["compare", "--help"], None);
    assert_eq!(code, 0, "{out}");
    for name in capas_checker::scenario::builtin().keys() {
        assert!(out.contains(name), "{name} is missing from:\n{out}");
    }
}
