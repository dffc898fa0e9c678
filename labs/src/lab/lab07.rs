//! Lab 7 — course section 6: deleting an image. `images`, then `rmi` by name (untag, and
//! delete only when no name is left) and by ID; the layers another image shares stay; a
//! container holds its image. The walk-through runs in a fresh store of its own.

use capas_core::store::Store;

use super::checks;
use super::{Exercise, Lab, Outcome, Step, Student};

/// The lab.
pub fn lab() -> Lab {
    Lab {
        number: 7,
        fresh_store: true,
        steps: |_| {
            vec![
                Step::Say("lab07-intro"),
                Step::Run(&["pull", "-q", "alpine:3.19"]),
                Step::Run(&["pull", "-q", "nginx:stable-alpine3.19"]),
                Step::Run(&["images"]),
                Step::Say("lab07-by-name"),
                Step::Run(&["rmi", "nginx:stable-alpine3.19"]),
                Step::Say("lab07-shared-stays"),
                Step::Run(&["images"]),
                Step::Pause,
                Step::Say("lab07-two-names"),
                Step::Run(&["tag", "alpine:3.19", "mine/alpine:1"]),
                Step::Run(&["images"]),
                Step::Run(&["rmi", "mine/alpine:1"]),
                Step::Say("lab07-untag"),
                Step::Pause,
                Step::Say("lab07-container"),
                Step::Run(&["run", "--name", "lab07-demo", "alpine:3.19", "true"]),
                Step::Run(&["rmi", "4f4a2b2d161b"]),
                Step::Say("lab07-conflict"),
                Step::Run(&["rm", "lab07-demo"]),
                Step::Run(&["rmi", "4f4a2b2d161b"]),
                Step::Run(&["images"]),
                Step::Say("lab07-summary"),
            ]
        },
        exercises: vec![Exercise::new(1, 2, ex1), Exercise::new(2, 3, ex2)],
        made: |s| {
            (
                vec![format!("lab07-{}", s.word)],
                vec![format!("lab07/{}:1", s.word), format!("lab07/{}:2", s.word)],
            )
        },
    }
}

/// busybox under `lab07/WORD:1` only: the name busybox:latest removed, the image kept.
fn ex1(store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let tag = format!("lab07/{}:1", s.word);
    let Some(img) = checks::image(store, &tag)? else {
        return Ok(Outcome::Failed("lab07-ex1-no-image", vec![]));
    };
    if *img.id() != checks::sample_id(store, "busybox:latest")? {
        return Ok(Outcome::Failed("lab07-ex1-not-busybox", vec![]));
    }
    if checks::image(store, "busybox:latest")?.is_some() {
        return Ok(Outcome::Failed("lab07-ex1-still-named", vec![]));
    }
    Ok(Outcome::Passed)
}

/// `lab07/WORD:2` on debian:bookworm-slim, whose name is gone but whose image stays (its
/// child needs its layers). Debian, because other labs' containers hold alpine and nginx.
fn ex2(store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let tag = format!("lab07/{}:2", s.word);
    let Some(img) = checks::image(store, &tag)? else {
        return Ok(Outcome::Failed("lab07-ex2-no-image", vec![]));
    };
    let debian = checks::sample_id(store, "debian:bookworm-slim")?;
    let index = store.index()?;
    let Some(parent) = index.images.get(&debian) else {
        return Ok(Outcome::Failed("lab07-ex2-parent-gone", vec![]));
    };
    let parent_img = capas_core::image::Image::load(store, parent)?;
    let (mine, base) = (img.diff_ids(), parent_img.diff_ids());
    if mine.len() != base.len() + 1 || !mine.starts_with(&base) {
        return Ok(Outcome::Failed("lab07-ex2-wrong-base", vec![]));
    }
    if parent
        .tags()
        .any(|t| t.to_string() == "debian:bookworm-slim")
    {
        return Ok(Outcome::Failed("lab07-ex2-still-named", vec![]));
    }
    Ok(Outcome::Passed)
}
