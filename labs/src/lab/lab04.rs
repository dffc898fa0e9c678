//! Lab 4 — course section 3: layers in action. Pulling brings an image layer by layer;
//! `history` shows one row per step of its recipe, and `<missing>` where the store has no
//! image for an intermediate step.

use capas_core::store::Store;

use super::checks::{self, Found};
use super::{Exercise, Lab, Outcome, Step, Student};

/// The lab.
pub fn lab() -> Lab {
    Lab {
        number: 4,
        fresh_store: false,
        steps: |_| {
            vec![
                Step::Say("lab04-intro"),
                Step::Run(&["pull", "nginx:stable"]),
                Step::Run(&["pull", "alpine:3.19"]),
                Step::Say("lab04-pulled"),
                Step::Run(&["images"]),
                Step::Pause,
                Step::Say("lab04-history"),
                Step::Run(&["history", "alpine:3.19"]),
                Step::Run(&["history", "nginx:stable"]),
                Step::Say("lab04-rows"),
                Step::Pause,
                Step::Say("lab04-missing"),
                Step::Run(&["history", "-q", "nginx:stable"]),
                Step::Say("lab04-summary"),
            ]
        },
        exercises: vec![Exercise::new(1, 3, ex1), Exercise::new(2, 2, ex2)],
        made: |s| {
            (
                vec![format!("lab04-{}", s.word)],
                vec![
                    format!("lab04/base:{}", s.word),
                    format!("lab04/web:{}", s.word),
                ],
            )
        },
    }
}

/// `lab04/base:WORD` is the image nginx:stable was built on (debian:bookworm-slim).
fn ex1(store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let tag = format!("lab04/base:{}", s.word);
    let Some(img) = checks::image(store, &tag)? else {
        return Ok(Outcome::Failed("lab04-ex1-no-image", vec![]));
    };
    if *img.id() == checks::sample_id(store, "debian:bookworm-slim")? {
        return Ok(Outcome::Passed);
    }
    Ok(Outcome::Failed("lab04-ex1-wrong-image", vec![]))
}

/// `lab04/web:WORD`: nginx:stable plus one layer where the start page says WORD.
fn ex2(store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let tag = format!("lab04/web:{}", s.word);
    let Some(img) = checks::image(store, &tag)? else {
        return Ok(Outcome::Failed("lab04-ex2-no-image", vec![]));
    };
    if !checks::one_layer_on(store, &img, "nginx:stable")? {
        return Ok(Outcome::Failed("lab04-ex2-wrong-base", vec![]));
    }
    Ok(
        match checks::read_in_image(store, &img, "/usr/share/nginx/html/index.html")? {
            Found::Text(t) if t.trim() == s.word => Outcome::Passed,
            Found::Text(t) => {
                Outcome::Failed("lab04-ex2-wrong-page", vec![("found", checks::quote(&t))])
            }
            Found::Missing => Outcome::Failed("lab04-ex2-wrong-page", vec![("found", "—".into())]),
        },
    )
}
