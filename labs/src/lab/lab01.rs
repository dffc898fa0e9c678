//! Lab 1 — course section 1: what an image is. The recipe (the history of the steps that made
//! it), the image (a package with an ID), the container (an instance of the image).

use capas_core::store::Store;

use super::checks::{self, Found};
use super::{Exercise, Lab, Outcome, Step, Student};

/// The lab.
pub fn lab() -> Lab {
    Lab {
        number: 1,
        fresh_store: false,
        steps: |_| {
            vec![
                Step::Say("lab01-intro"),
                Step::Run(&["pull", "alpine:3.19"]),
                Step::Say("lab01-image"),
                Step::Run(&["images"]),
                Step::Pause,
                Step::Say("lab01-recipe"),
                Step::Run(&["history", "alpine:3.19"]),
                Step::Pause,
                Step::Say("lab01-container"),
                Step::Forget("lab01-demo"),
                Step::Run(&[
                    "run",
                    "--name",
                    "lab01-demo",
                    "alpine:3.19",
                    "cat",
                    "/etc/alpine-release",
                ]),
                Step::Run(&["ps", "-a"]),
                Step::Say("lab01-template"),
                Step::Run(&["run", "--rm", "alpine:3.19", "ls", "/"]),
                Step::Say("lab01-summary"),
            ]
        },
        exercises: vec![Exercise::new(1, 3, ex1), Exercise::new(2, 2, ex2)],
        made: |s| {
            (
                vec![format!("lab01-{}", s.word)],
                vec![format!("lab01/{}:{}", s.word, s.number)],
            )
        },
    }
}

/// A container `lab01-WORD` of alpine:3.19 whose `/tmp/WORD.txt` says NUMBER.
fn ex1(store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let name = format!("lab01-{}", s.word);
    let Some(c) = checks::container(store, &name)? else {
        return Ok(Outcome::Failed("lab01-ex1-no-container", vec![]));
    };
    if !checks::is_image(store, &c.config().image, "alpine:3.19")? {
        return Ok(Outcome::Failed("lab01-ex1-wrong-image", vec![]));
    }
    let path = format!("/tmp/{}.txt", s.word);
    Ok(match checks::read(&c, &path) {
        Found::Missing => Outcome::Failed("lab01-ex1-no-file", vec![]),
        Found::Text(t) if t.trim() == s.number.to_string() => Outcome::Passed,
        Found::Text(t) => Outcome::Failed(
            "lab01-ex1-wrong-content",
            vec![("found", checks::quote(&t))],
        ),
    })
}

/// The image `lab01/WORD:NUMBER`: alpine's layers plus one that holds the file.
fn ex2(store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let tag = format!("lab01/{}:{}", s.word, s.number);
    let Some(img) = checks::image(store, &tag)? else {
        return Ok(Outcome::Failed("lab01-ex2-no-image", vec![]));
    };
    if !checks::one_layer_on(store, &img, "alpine:3.19")? {
        return Ok(Outcome::Failed("lab01-ex2-wrong-base", vec![]));
    }
    let path = format!("/tmp/{}.txt", s.word);
    Ok(match checks::read_in_image(store, &img, &path)? {
        Found::Text(t) if t.trim() == s.number.to_string() => Outcome::Passed,
        _ => Outcome::Failed("lab01-ex2-no-file", vec![]),
    })
}
