//! Lab 3 — course section 2.5: read-only layers, the union file system, the container's
//! read/write layer and copy-on-write, with whiteouts and opaque directories.

use capas_core::store::Store;
use capas_core::union::{Hider, Why};

use super::checks;
use super::{Exercise, Lab, Outcome, Step, Student};

/// The lab.
pub fn lab() -> Lab {
    Lab {
        number: 3,
        fresh_store: false,
        steps: |_| {
            vec![
                Step::Say("lab03-intro"),
                Step::Run(&["pull", "nginx:stable-alpine3.19"]),
                Step::Run(&["history", "nginx:stable-alpine3.19"]),
                Step::Say("lab03-union"),
                Step::Run(&["why", "nginx:stable-alpine3.19", "/bin/busybox"]),
                Step::Run(&["why", "nginx:stable-alpine3.19", "/etc/nginx/nginx.conf"]),
                Step::Pause,
                Step::Say("lab03-rw"),
                Step::Forget("lab03-demo"),
                Step::Run(&["create", "--name", "lab03-demo", "nginx:stable-alpine3.19"]),
                Step::Run(&["diff", "lab03-demo"]),
                Step::Say("lab03-cow"),
                Step::Run(&[
                    "exec",
                    "lab03-demo",
                    "sh",
                    "-c",
                    "echo '# capas' >> /etc/nginx/nginx.conf",
                ]),
                Step::Run(&["why", "lab03-demo", "/etc/nginx/nginx.conf"]),
                Step::Pause,
                Step::Say("lab03-whiteout"),
                Step::Run(&["exec", "lab03-demo", "rm", "/etc/motd"]),
                Step::Run(&["why", "lab03-demo", "/etc/motd"]),
                Step::Run(&["diff", "lab03-demo"]),
                Step::Say("lab03-image-intact"),
                Step::Run(&["run", "--rm", "nginx:stable-alpine3.19", "ls", "/etc/motd"]),
                Step::Say("lab03-ephemeral"),
                Step::Run(&["rm", "lab03-demo"]),
                Step::Say("lab03-summary"),
            ]
        },
        exercises: vec![Exercise::new(1, 3, ex1), Exercise::new(2, 3, ex2)],
        made: |s| (vec![format!("lab03-{}", s.word)], vec![]),
    }
}

/// In `lab03-WORD` (alpine:3.19): `/etc/motd` changed (copied up), `/etc/issue` deleted.
fn ex1(store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let name = format!("lab03-{}", s.word);
    let Some(c) = checks::container(store, &name)? else {
        return Ok(Outcome::Failed("lab03-ex-no-container", vec![]));
    };
    if !checks::is_image(store, &c.config().image, "alpine:3.19")? {
        return Ok(Outcome::Failed("lab03-ex-wrong-image", vec![]));
    }
    let diff = checks::diff(&c)?;
    if !diff.iter().any(|l| l == "C /etc/motd") {
        return Ok(Outcome::Failed("lab03-ex1-motd", vec![]));
    }
    if !c.copy_ups().iter().any(|u| u.path == "/etc/motd") {
        return Ok(Outcome::Failed("lab03-ex1-motd", vec![]));
    }
    Ok(match c.why("/etc/issue")? {
        Why::Hidden {
            by: Hider::Whiteout { .. },
            ..
        } => Outcome::Passed,
        _ => Outcome::Failed("lab03-ex1-issue", vec![]),
    })
}

/// In the same container: `/etc/apk` removed and made again (an opaque directory) with a
/// file WORD in it.
fn ex2(store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let name = format!("lab03-{}", s.word);
    let Some(c) = checks::container(store, &name)? else {
        return Ok(Outcome::Failed("lab03-ex-no-container", vec![]));
    };
    if !c.upper_dir().join("etc/apk/.wh..wh..opq").exists() {
        return Ok(Outcome::Failed("lab03-ex2-not-opaque", vec![]));
    }
    if checks::read(&c, &format!("/etc/apk/{}", s.word)).is_missing() {
        return Ok(Outcome::Failed("lab03-ex2-no-file", vec![]));
    }
    Ok(match c.why("/etc/apk/world")? {
        Why::Hidden {
            by: Hider::Opaque { .. },
            ..
        } => Outcome::Passed,
        _ => Outcome::Failed("lab03-ex2-not-opaque", vec![]),
    })
}
