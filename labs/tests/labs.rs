//! The labs as a student meets them: each walk-through in both languages (snapshots), each
//! exercise check both ways (a right answer passes, typical wrong ones fail with the right
//! explanation), hints, solutions, reset, progress, and complete translations.

mod support;

use std::collections::BTreeSet;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt as _;
use capas_labs::lab::{self, Lang, Student, Texts, i18n};
use support::Capas;

/// A lab binary on the test's store, fixed clock, no pauses.
fn lab(capas: &Capas, n: u8, args: &[&str]) -> (i32, String) {
    let mut cmd = Command::cargo_bin(format!("lab{n:02}")).expect("lab binary");
    let out = cmd
        .arg("--store")
        .arg(capas.store())
        .arg("--no-pause")
        .args(args)
        .env("CAPAS_NOW", "1732842000")
        .env("TZ", "UTC")
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .expect("run lab");
    // What went to stderr (a command's error shown in the walk-through) is part of the
    // transcript, after a marker.
    let mut text = String::from_utf8(out.stdout).expect("utf-8");
    if !out.stderr.is_empty() {
        text.push_str("--- stderr ---\n");
        text.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    (out.status.code().unwrap_or(-1), text)
}

/// Every message exists in both languages, and every ID the code names exists.
#[test]
fn translations_are_complete_in_both_languages() {
    let mut names = BTreeSet::new();
    for (_, name, _) in i18n::FILES {
        names.insert(*name);
    }
    for name in names {
        let ids = |lang: Lang| {
            i18n::FILES
                .iter()
                .filter(|(l, n, _)| *l == lang && *n == name)
                .map(|(_, _, src)| i18n::message_ids(src))
                .next()
                .unwrap_or_default()
        };
        let (es, en) = (ids(Lang::Es), ids(Lang::En));
        assert!(!es.is_empty(), "{name}: no messages");
        assert_eq!(
            es.symmetric_difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "{name}.ftl: messages in one language only"
        );
    }
    // IDs named in the code (steps, failures, hints, solutions) exist in both.
    let src_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lab");
    let mut referenced = BTreeSet::new();
    for entry in std::fs::read_dir(&src_dir).expect("src/lab") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
        for call in ["Say(\"", "Failed(\""] {
            for piece in text.split(call).skip(1) {
                let id = piece.split('"').next().unwrap_or_default();
                referenced.insert(id.to_string());
            }
        }
    }
    for l in lab::all() {
        let name = l.name();
        for suffix in ["title", "exercises"] {
            referenced.insert(format!("{name}-{suffix}"));
        }
        for e in &l.exercises {
            referenced.insert(format!("{name}-ex{}", e.number));
            referenced.insert(format!("{name}-ex{}-solution", e.number));
            for h in 1..=e.hints {
                referenced.insert(format!("{name}-ex{}-hint{h}", e.number));
            }
        }
    }
    for lang in [Lang::Es, Lang::En] {
        let texts = Texts::new(lang);
        let missing: Vec<_> = referenced
            .iter()
            .filter(|id| !id.contains('{') && !texts.has(id))
            .collect();
        assert!(missing.is_empty(), "{lang:?}: missing {missing:?}");
    }
}

/// The whole walk-through of each lab, in Spanish and in English.
#[test]
fn walkthroughs_in_both_languages() {
    // Lab 6 measures times: they vary from run to run, the sentence around them does not.
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d+(\.\d+)? ms", "[T] ms");
    settings.add_filter(r"(unas|about) \d+ (veces|times)", "$1 [N] $2");
    settings.bind(|| {
        for n in 1..=9u8 {
            for lang in ["es", "en"] {
                let capas = Capas::new();
                let (code, out) = lab(&capas, n, &["--lang", lang]);
                assert_eq!(code, 0, "{out}");
                insta::assert_snapshot!(format!("lab{n:02}_walk_{lang}"), out);
            }
        }
    });
}

/// The student's own names: the same ID, the same names; another ID, others.
#[test]
fn each_student_gets_their_own_names() {
    assert_eq!(Student::new("ana"), Student::new("ana"));
    let names: BTreeSet<_> = ["ana", "luis", "marta", "pablo", "eva", "juan"]
        .iter()
        .map(|id| {
            let s = Student::new(id);
            (s.word, s.number)
        })
        .collect();
    assert!(names.len() >= 5, "{names:?}");
}

/// Lab 1: wrong answers explain what is wrong; the right one passes; another student's
/// answer does not count; solutions open after an attempt; reset undoes.
#[test]
fn lab01_checks_both_ways() {
    let capas = Capas::new();
    let s = Student::new("ana");
    let (w, n) = (s.word.clone(), s.number);
    let c = format!("lab01-{w}");
    let student = ["--student", "ana"];
    let check = |lang: &str| {
        lab(
            &capas,
            1,
            &[&student[..], &["--lang", lang, "check"]].concat(),
        )
    };

    // Nothing done: both fail, with where to look.
    let (code, out) = check("en");
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("There is no container `{c}`")),
        "{out}"
    );
    // The solution is locked until then.
    let (_, locked) = lab(
        &capas,
        1,
        &["--student", "ana", "--lang", "en", "solution", "2"],
    );
    assert!(locked.contains("opens once you have tried it"), "{locked}");

    // Wrong image, then wrong content.
    capas.ok(&["pull", "-q", "busybox"]);
    capas.ok(&["run", "--name", &c, "busybox", "true"]);
    assert!(check("en").1.contains("is not from alpine:3.19"));
    capas.ok(&["rm", &c]);
    capas.ok(&[
        "run",
        "--name",
        &c,
        "alpine:3.19",
        "sh",
        "-c",
        &format!("echo {} > /tmp/{w}.txt", n + 1),
    ]);
    let (_, out) = check("es");
    assert!(
        out.contains(&format!(
            "/tmp/{w}.txt contiene \"{}\", y debería contener `{n}`",
            n + 1
        )),
        "{out}"
    );
    capas.ok(&["rm", &c]);

    // Right: exercise 1 passes, exercise 2 still wants the image.
    capas.ok(&[
        "run",
        "--name",
        &c,
        "alpine:3.19",
        "sh",
        "-c",
        &format!("echo {n} > /tmp/{w}.txt"),
    ]);
    let (code, out) = check("en");
    assert_eq!(code, 1);
    assert!(out.contains("✔ Exercise 1: done."), "{out}");
    assert!(
        out.contains(&format!("There is no image `lab01/{w}:{n}`")),
        "{out}"
    );
    capas.ok(&["commit", &c, &format!("lab01/{w}:{n}")]);
    let (code, out) = check("en");
    assert_eq!(code, 0, "{out}");

    // Another student's names differ: the same store does not pass for them.
    let other = Student::new("luis");
    if other.word != w {
        let (code, _) = lab(&capas, 1, &["--student", "luis", "check"]);
        assert_eq!(code, 1);
    }
    // Now the solution opens.
    let (code, sol) = lab(&capas, 1, &["--student", "ana", "solution", "2"]);
    assert_eq!(code, 0);
    assert_eq!(sol.trim(), format!("capas commit {c} lab01/{w}:{n}"));

    // Progress shows in `capas labs`, and reset undoes the exercises.
    lab(&capas, 1, &["--student", "ana"]);
    assert!(capas.ok(&["labs", "--lang", "en"]).contains("lab01  done"));
    lab(&capas, 1, &["--student", "ana", "reset"]);
    assert_eq!(check("en").0, 1);
    assert!(!capas.ok(&["ps", "-a"]).contains(&c));
}

/// Hints come one level at a time, then stay at the last.
#[test]
fn hints_are_graded() {
    let capas = Capas::new();
    let hint = || lab(&capas, 1, &["--lang", "en", "hint", "1"]).1;
    assert!(hint().contains("(1/3)"));
    assert!(hint().contains("(2/3)"));
    assert!(hint().contains("(3/3)"));
    assert!(hint().contains("(3/3)"));
    let (code, _) = lab(&capas, 1, &["hint", "9"]);
    assert_eq!(code, 1);
}

/// Lab 2: the image, then the two containers; sharing /tmp/n fails.
#[test]
fn lab02_checks_both_ways() {
    let capas = Capas::new();
    let s = Student::new("eva");
    let w = s.word.clone();
    let n = s.number;
    let check = || lab(&capas, 2, &["--student", "eva", "--lang", "en", "check"]);
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    let src = format!("lab02-{w}-src");
    capas.ok(&[
        "run",
        "--name",
        &src,
        "alpine:3.19",
        "sh",
        "-c",
        "echo other > /etc/motd",
    ]);
    capas.ok(&["commit", &src, &format!("lab02/{w}:v2")]);
    let (_, out) = check();
    assert!(out.contains("/etc/motd holds \"other\""), "{out}");
    capas.ok(&["rm", &src]);
    capas.ok(&[
        "run",
        "--name",
        &src,
        "alpine:3.19",
        "sh",
        "-c",
        &format!("echo {w} > /etc/motd"),
    ]);
    capas.ok(&["commit", &src, &format!("lab02/{w}:v2")]);
    let (_, out) = check();
    assert!(out.contains("✔ Exercise 1: done."), "{out}");
    let (c1, c2) = (format!("lab02-{w}-1"), format!("lab02-{w}-2"));
    capas.ok(&["create", "--name", &c1, &format!("lab02/{w}:v2")]);
    capas.ok(&["create", "--name", &c2, &format!("lab02/{w}:v2")]);
    capas.ok(&["exec", &c1, "sh", "-c", &format!("echo {n} > /tmp/n")]);
    capas.ok(&["exec", &c2, "sh", "-c", &format!("echo {n} > /tmp/n")]);
    let (_, out) = check();
    assert!(out.contains("has /tmp/n too"), "{out}");
    capas.ok(&["rm", &c2]);
    capas.ok(&["create", "--name", &c2, &format!("lab02/{w}:v2")]);
    let (code, out) = check();
    assert_eq!(code, 0, "{out}");
}

/// Lab 3: a copy-up and a whiteout; then an opaque directory (a plain `rm` of its files is
/// not one).
#[test]
fn lab03_checks_both_ways() {
    let capas = Capas::new();
    let s = Student::new("juan");
    let w = s.word.clone();
    let c = format!("lab03-{w}");
    let check = || lab(&capas, 3, &["--student", "juan", "--lang", "en", "check"]);
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    capas.ok(&["create", "--name", &c, "alpine:3.19"]);
    capas.ok(&["exec", &c, "rm", "/etc/issue"]);
    let (_, out) = check();
    assert!(out.contains("/etc/motd has not been copied up"), "{out}");
    capas.ok(&["exec", &c, "sh", "-c", "echo hi >> /etc/motd"]);
    let (_, out) = check();
    assert!(out.contains("✔ Exercise 1: done."), "{out}");
    // Deleting the files one by one leaves whiteouts, not an opaque directory.
    capas.ok(&[
        "exec",
        &c,
        "sh",
        "-c",
        &format!("rm /etc/apk/world && touch /etc/apk/{w}"),
    ]);
    let (_, out) = check();
    assert!(out.contains("is not an opaque directory"), "{out}");
    capas.ok(&[
        "exec",
        &c,
        "sh",
        "-c",
        &format!("rm -r /etc/apk && mkdir /etc/apk && touch /etc/apk/{w}"),
    ]);
    let (code, out) = check();
    assert_eq!(code, 0, "{out}");
}

/// Lab 4: the base of nginx:stable (a wrong base fails), then a page of one's own.
#[test]
fn lab04_checks_both_ways() {
    let capas = Capas::new();
    let s = Student::new("pablo");
    let w = s.word.clone();
    let check = || lab(&capas, 4, &["--student", "pablo", "--lang", "en", "check"]);
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    capas.ok(&["tag", "alpine:3.19", &format!("lab04/base:{w}")]);
    let (_, out) = check();
    assert!(out.contains("is not the base of nginx:stable"), "{out}");
    capas.ok(&["pull", "-q", "debian:bookworm-slim"]);
    capas.ok(&["tag", "debian:bookworm-slim", &format!("lab04/base:{w}")]);
    let (_, out) = check();
    assert!(out.contains("✔ Exercise 1: done."), "{out}");
    let c = format!("lab04-{w}");
    capas.ok(&["pull", "-q", "nginx:stable"]);
    capas.ok(&[
        "run",
        "--name",
        &c,
        "nginx:stable",
        "sh",
        "-c",
        &format!("echo {w} > /usr/share/nginx/html/index.html"),
    ]);
    capas.ok(&["commit", &c, &format!("lab04/web:{w}")]);
    let (code, out) = check();
    assert_eq!(code, 0, "{out}");
}

/// Lab 5: one more layer on nginx-alpine; one archive with both images.
#[test]
fn lab05_checks_both_ways() {
    let capas = Capas::new();
    let s = Student::new("marta");
    let w = s.word.clone();
    let check = || lab(&capas, 5, &["--student", "marta", "--lang", "en", "check"]);
    let archive = std::env::temp_dir().join(format!("lab05-{w}.tar"));
    let _ = std::fs::remove_file(&archive);
    capas.ok(&["pull", "-q", "nginx:stable-alpine3.19"]);
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    let c = format!("lab05-{w}");
    capas.ok(&[
        "run",
        "--name",
        &c,
        "nginx:stable-alpine3.19",
        "touch",
        "/root/x",
    ]);
    capas.ok(&["commit", &c, &format!("lab05/{w}:1")]);
    let (_, out) = check();
    assert!(out.contains("✔ Exercise 1: done."), "{out}");
    assert!(
        out.contains(&format!("There is no /tmp/lab05-{w}.tar")),
        "{out}"
    );
    let path = archive.to_str().expect("utf-8");
    capas.ok(&["save", "-o", path, "alpine:3.19"]);
    let (_, out) = check();
    assert!(out.contains("nginx:stable-alpine3.19 is missing"), "{out}");
    capas.ok(&["save", "-o", path, "alpine:3.19", "nginx:stable-alpine3.19"]);
    let (code, out) = check();
    assert_eq!(code, 0, "{out}");
    let _ = std::fs::remove_file(&archive);
}

/// Lab 6: three untouched containers (a changed one fails), two different images.
#[test]
fn lab06_checks_both_ways() {
    let capas = Capas::new();
    let s = Student::new("luis");
    let w = s.word.clone();
    let check = || lab(&capas, 6, &["--student", "luis", "--lang", "en", "check"]);
    capas.ok(&["pull", "-q", "nginx:stable-alpine3.19"]);
    for i in 1..=3 {
        capas.ok(&[
            "create",
            "--name",
            &format!("lab06-{w}-{i}"),
            "nginx:stable-alpine3.19",
        ]);
    }
    capas.ok(&["exec", &format!("lab06-{w}-2"), "touch", "/x"]);
    let (_, out) = check();
    assert!(out.contains(&format!("`lab06-{w}-2` has changes")), "{out}");
    capas.ok(&["rm", &format!("lab06-{w}-2")]);
    capas.ok(&[
        "create",
        "--name",
        &format!("lab06-{w}-2"),
        "nginx:stable-alpine3.19",
    ]);
    let (_, out) = check();
    assert!(out.contains("✔ Exercise 1: done."), "{out}");
    for v in ["a", "b"] {
        let c = format!("lab06-{w}-{v}");
        capas.ok(&["run", "--name", &c, "alpine:3.19", "touch", "/same"]);
        capas.ok(&["commit", &c, &format!("lab06/{w}:{v}")]);
    }
    let (_, out) = check();
    assert!(out.contains("are the same image"), "{out}");
    capas.ok(&["rm", &format!("lab06-{w}-b")]);
    capas.ok(&[
        "run",
        "--name",
        &format!("lab06-{w}-b"),
        "alpine:3.19",
        "touch",
        "/b",
    ]);
    capas.ok(&["commit", &format!("lab06-{w}-b"), &format!("lab06/{w}:b")]);
    let (code, out) = check();
    assert_eq!(code, 0, "{out}");
}

/// Lab 7: untag versus delete.
#[test]
fn lab07_checks_both_ways() {
    let capas = Capas::new();
    let s = Student::new("ana");
    let w = s.word.clone();
    let check = || lab(&capas, 7, &["--student", "ana", "--lang", "en", "check"]);
    capas.ok(&["pull", "-q", "busybox:latest"]);
    capas.ok(&["tag", "busybox:latest", &format!("lab07/{w}:1")]);
    let (_, out) = check();
    assert!(out.contains("busybox:latest still has that name"), "{out}");
    capas.ok(&["rmi", "busybox:latest"]);
    let (_, out) = check();
    assert!(out.contains("✔ Exercise 1: done."), "{out}");
    // Exercise 2: a child of debian, then the name debian:bookworm-slim taken away.
    capas.ok(&["pull", "-q", "debian:bookworm-slim"]);
    let c = format!("lab07-{w}");
    capas.ok(&["run", "--name", &c, "debian:bookworm-slim", "touch", "/x"]);
    capas.ok(&["commit", &c, &format!("lab07/{w}:2")]);
    let (_, out) = check();
    assert!(
        out.contains("is still called debian:bookworm-slim"),
        "{out}"
    );
    // The container holds nginx's name until it goes.
    assert!(
        !capas
            .fails(&["rmi", "debian:bookworm-slim"])
            .status
            .success()
    );
    capas.ok(&["rm", &c]);
    capas.ok(&["rmi", "debian:bookworm-slim"]);
    let (code, out) = check();
    assert_eq!(code, 0, "{out}");
}

/// Lab 8: a rebuild leaves a dangling image; rescue it by name, then prune.
#[test]
fn lab08_checks_both_ways() {
    let capas = Capas::new();
    let s = Student::new("eva");
    let w = s.word.clone();
    let check = || lab(&capas, 8, &["--student", "eva", "--lang", "en", "check"]);
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    let tag = format!("lab08/{w}:1");
    for v in ["1", "2"] {
        let c = format!("lab08-{w}-{v}");
        capas.ok(&[
            "run",
            "--name",
            &c,
            "alpine:3.19",
            "sh",
            "-c",
            &format!("echo {v} > /version"),
        ]);
        capas.ok(&["commit", &c, &tag]);
    }
    let (_, out) = check();
    assert!(out.contains("✔ Exercise 1: done."), "{out}");
    assert!(out.contains("There are dangling images still"), "{out}");
    let dangling = capas.ok(&["images", "-q", "-f", "dangling=true"]);
    let id = dangling
        .lines()
        .next()
        .expect("a dangling image")
        .to_string();
    capas.ok(&["tag", &id, &format!("lab08/{w}:old")]);
    capas.ok(&["image", "prune", "-f"]);
    let (code, out) = check();
    assert_eq!(code, 0, "{out}");
}

/// Lab 9: the challenge: build, run, tidy. A shell-form CMD is not the JSON form asked for.
#[test]
fn lab09_checks_both_ways() {
    let capas = Capas::new();
    let s = Student::new("juan");
    let w = s.word.clone();
    let check = || lab(&capas, 9, &["--student", "juan", "--lang", "en", "check"]);
    let ctx = capas.scratch().join("reto");
    std::fs::create_dir_all(&ctx).expect("context");
    let tag = format!("lab09/{w}:1");
    let ctx_s = ctx.to_str().expect("utf-8");
    std::fs::write(
        ctx.join("Dockerfile"),
        format!("FROM alpine:3.19\nRUN echo {w} > /etc/motd\nCMD cat /etc/motd\n"),
    )
    .expect("Dockerfile");
    capas.ok(&["build", "-q", "-t", &tag, ctx_s]);
    let (_, out) = check();
    assert!(out.contains("should be [\"cat\", \"/etc/motd\"]"), "{out}");
    std::fs::write(
        ctx.join("Dockerfile"),
        format!("FROM alpine:3.19\nRUN echo {w} > /etc/motd\nCMD [\"cat\", \"/etc/motd\"]\n"),
    )
    .expect("Dockerfile");
    capas.ok(&["build", "-q", "-t", &tag, ctx_s]);
    let c = format!("lab09-{w}");
    assert_eq!(capas.ok(&["run", "--name", &c, &tag]), format!("{w}\n"));
    let (_, out) = check();
    assert!(out.contains("✔ Exercise 1: done."), "{out}");
    assert!(out.contains("There are dangling images left"), "{out}");
    capas.ok(&["image", "prune", "-f"]);
    let (code, out) = check();
    assert_eq!(code, 0, "{out}");
}
