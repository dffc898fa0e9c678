//! `capas build` as a student runs it (course section 1: the recipe): the progress Docker's
//! `--progress=plain` prints, `history` of the result, the cache on a rebuild, the old image
//! left `<none>`, `-q`, and one clear error line for each kind of bad input.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use support::Capas;

const DONE_WHEN: &str = r#"FROM alpine:3.19
RUN mkdir -p /app && echo hola > /app/x
COPY index.html /usr/share/nginx/html/
ENV A=b
CMD ["cat","/app/x"]
"#;

/// A context directory beside the store, with this Dockerfile and `index.html`.
fn context(capas: &Capas, dockerfile: &str) -> PathBuf {
    let dir = capas.scratch().join("ctx");
    fs::create_dir_all(&dir).expect("ctx");
    fs::write(dir.join("Dockerfile"), dockerfile).expect("Dockerfile");
    write_file(&dir.join("index.html"), "<h1>hola</h1>\n");
    dir
}

/// Writes a file with a fixed modification time: COPY keeps a file's mtime in the layer, as
/// Docker does, so the image ID depends on it.
fn write_file(path: &Path, text: &str) {
    fs::write(path, text).expect("write");
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(when))
        .expect("set mtime");
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Runs `capas build …`; returns (exit code, stdout, stderr).
fn build(capas: &Capas, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["build"];
    all.extend_from_slice(args);
    let out = capas.cmd(&all).output().expect("run capas");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

/// The issue's recipe: the build's progress, the new history rows (RUN and COPY with their
/// sizes, ENV and CMD as 0B), a rebuild all `CACHED`, and an edit rebuilding from COPY on.
#[test]
fn build_history_cache_and_dangling_as_the_course_shows() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    let ctx = context(&capas, DONE_WHEN);

    let (code, stdout, stderr) = build(&capas, &["-t", "web:1", p(&ctx)]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    insta::assert_snapshot!("build_first", stderr);
    insta::assert_snapshot!("build_history", capas.ok(&["history", "web:1"]));

    let (code, _, stderr) = build(&capas, &["-t", "web:1", p(&ctx)]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("build_cached", stderr);

    write_file(&ctx.join("index.html"), "<h1>adiós</h1>\n");
    let (code, _, stderr) = build(&capas, &["-t", "web:1", p(&ctx)]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("build_after_edit", stderr);
    insta::assert_snapshot!("build_images", capas.ok(&["images"]));

    // -q: only the ID, on stdout; the same inputs give the same image.
    let (code, stdout, stderr) = build(&capas, &["-q", "-t", "web:2", p(&ctx)]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    let id = capas.ok(&["images", "-q", "--no-trunc", "web:1"]);
    assert_eq!(stdout, id);
}

/// Options: `-f`, `--build-arg`, `--label`, `--target`, `--no-cache`.
#[test]
fn build_options() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    let ctx = context(&capas, "FROM alpine:3.19\n");
    let recipe = ctx.join("other.Dockerfile");
    fs::write(
        &recipe,
        "ARG GREETING=hola\nFROM alpine:3.19 AS base\nARG GREETING\nRUN echo $GREETING > /g\n\
         FROM base AS final\nRUN cat /g\nFROM final AS unused\nRUN false\n",
    )
    .expect("recipe");
    let (code, _, stderr) = build(
        &capas,
        &[
            "-f",
            p(&recipe),
            "--build-arg",
            "GREETING=hello",
            "--label",
            "course=capas",
            "--target",
            "final",
            "-t",
            "opts:1",
            p(&ctx),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("build_options", stderr);
    insta::assert_snapshot!(
        "build_options_history",
        capas.ok(&["history", "--no-trunc", "opts:1"])
    );
    let inspect = capas.ok(&["inspect", "opts:1"]);
    assert!(inspect.contains("\"course\": \"capas\""), "{inspect}");
    let (code, _, stderr) = build(
        &capas,
        &[
            "--no-cache",
            "-f",
            p(&recipe),
            "--target",
            "final",
            "-t",
            "opts:1",
            p(&ctx),
        ],
    );
    assert_eq!(code, 0);
    assert!(!stderr.contains("CACHED"), "{stderr}");
}

/// Bad input: one `Error:` line naming the Dockerfile line, exit 1, and nothing tagged.
#[test]
fn build_bad_input() {
    let capas = Capas::new();
    capas.ok(&["pull", "-q", "alpine:3.19"]);
    fs::write(capas.scratch().join("secret.txt"), "no\n").expect("secret");
    let cases = [
        "FROM alpine:3.19\nRUN true\nFOO bar\n",
        "FROM alpine:3.19\nLABEL a=\"open\n",
        "FROM alpine:3.19\nCOPY missing.txt /x\n",
        "FROM alpine:3.19\nCOPY ../secret.txt /x\n",
        "FROM nosuchimage:1\n",
        "FROM alpine:3.19\nRUN echo ok\nRUN false\n",
        "RUN true\n",
        "FROM alpine:3.19\nCOPY --from=nowhere /a /b\n",
    ];
    let mut report = String::new();
    for dockerfile in cases {
        let ctx = context(&capas, dockerfile);
        let (code, stdout, stderr) = build(&capas, &["-t", "bad:1", p(&ctx)]);
        assert_eq!((code, stdout.as_str()), (1, ""), "{dockerfile}");
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("Error:")).collect();
        assert_eq!(errors.len(), 1, "{stderr}");
        report.push_str(&format!("{}\n", errors[0]));
    }
    insta::assert_snapshot!("build_errors", report);
    // The progress of a failing RUN: its output, then BuildKit's `ERROR` line for the step.
    let ctx = context(&capas, "FROM alpine:3.19\nRUN echo hi && false\n");
    let (code, _, stderr) = build(&capas, &["-t", "bad:1", p(&ctx)]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("build_failing_run", stderr);
    let images = capas.ok(&["images"]);
    assert!(!images.contains("bad"), "{images}");
    assert_eq!(
        capas.ok(&["ps", "-a", "-q"]),
        "",
        "no container left behind"
    );
    // No Dockerfile at all.
    let empty = capas.scratch().join("empty");
    fs::create_dir_all(&empty).expect("empty");
    let (code, _, stderr) = build(&capas, &[p(&empty)]);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("Error: failed to read dockerfile"),
        "{stderr}"
    );
}
