//! Lab 2 — course section 2: the key properties. Immutability ("changing" an image gives a new
//! image with a new ID), layers (one more for the change), and the image as the base of many
//! containers, each with its own writable layer.

use capas_core::store::Store;

use super::checks::{self, Found};
use super::{Exercise, Lab, Outcome, Step, Student};

/// The lab.
pub fn lab() -> Lab {
    Lab {
        number: 2,
        fresh_store: false,
        steps: |_| {
            vec![
                Step::Say("lab02-intro"),
                Step::Run(&["pull", "alpine:3.19"]),
                Step::Run(&["images", "--no-trunc"]),
                Step::Say("lab02-change"),
                Step::Forget("lab02-demo"),
                Step::Run(&[
                    "run",
                    "--name",
                    "lab02-demo",
                    "alpine:3.19",
                    "sh",
                    "-c",
                    "echo hola > /etc/motd",
                ]),
                Step::Run(&["commit", "lab02-demo", "lab02/demo:1"]),
                Step::Run(&["images", "--no-trunc"]),
                Step::Say("lab02-new-id"),
                Step::Pause,
                Step::Say("lab02-layers"),
                Step::Run(&["history", "lab02/demo:1"]),
                Step::Pause,
                Step::Say("lab02-base"),
                Step::Forget("lab02-a"),
                Step::Forget("lab02-b"),
                Step::Run(&[
                    "run",
                    "--name",
                    "lab02-a",
                    "alpine:3.19",
                    "sh",
                    "-c",
                    "echo A > /tmp/who",
                ]),
                Step::Run(&[
                    "run",
                    "--name",
                    "lab02-b",
                    "alpine:3.19",
                    "sh",
                    "-c",
                    "echo B > /tmp/who",
                ]),
                Step::Run(&["exec", "lab02-a", "cat", "/tmp/who"]),
                Step::Run(&["exec", "lab02-b", "cat", "/tmp/who"]),
                Step::Say("lab02-summary"),
            ]
        },
        exercises: vec![Exercise::new(1, 3, ex1), Exercise::new(2, 2, ex2)],
        made: |s| {
            (
                vec![
                    format!("lab02-{}-1", s.word),
                    format!("lab02-{}-2", s.word),
                    format!("lab02-{}-src", s.word),
                ],
                vec![format!("lab02/{}:v2", s.word)],
            )
        },
    }
}

/// `lab02/WORD:v2`: alpine:3.19 plus layers, `/etc/motd` says WORD, alpine unchanged.
fn ex1(store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let tag = format!("lab02/{}:v2", s.word);
    let Some(img) = checks::image(store, &tag)? else {
        return Ok(Outcome::Failed("lab02-ex1-no-image", vec![]));
    };
    if !checks::built_on(store, &img, "alpine:3.19")? {
        return Ok(Outcome::Failed("lab02-ex1-wrong-base", vec![]));
    }
    if !checks::sample_unchanged(store, "alpine:3.19")? {
        return Ok(Outcome::Failed("lab02-ex1-alpine-moved", vec![]));
    }
    Ok(match checks::read_in_image(store, &img, "/etc/motd")? {
        Found::Text(t) if t.trim() == s.word => Outcome::Passed,
        Found::Text(t) => {
            Outcome::Failed("lab02-ex1-wrong-motd", vec![("found", checks::quote(&t))])
        }
        Found::Missing => Outcome::Failed("lab02-ex1-wrong-motd", vec![("found", "—".into())]),
    })
}

/// Two containers of `lab02/WORD:v2`; the first has `/tmp/n` = NUMBER, the second none.
fn ex2(store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let tag = format!("lab02/{}:v2", s.word);
    let Some(img) = checks::image(store, &tag)? else {
        return Ok(Outcome::Failed("lab02-ex1-no-image", vec![]));
    };
    let mut found = Vec::new();
    for i in 1..=2 {
        let name = format!("lab02-{}-{i}", s.word);
        match checks::container(store, &name)? {
            Some(c) if c.config().image == *img.id() => found.push(c),
            Some(_) => {
                return Ok(Outcome::Failed(
                    "lab02-ex2-wrong-image",
                    vec![("name", name)],
                ));
            }
            None => {
                return Ok(Outcome::Failed(
                    "lab02-ex2-no-container",
                    vec![("name", name)],
                ));
            }
        }
    }
    match checks::read(&found[0], "/tmp/n") {
        Found::Text(t) if t.trim() == s.number.to_string() => {}
        _ => return Ok(Outcome::Failed("lab02-ex2-no-number", vec![])),
    }
    Ok(match checks::read(&found[1], "/tmp/n") {
        Found::Missing => Outcome::Passed,
        Found::Text(_) => Outcome::Failed("lab02-ex2-shared", vec![]),
    })
}
