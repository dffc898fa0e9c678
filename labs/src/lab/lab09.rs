//! Lab 9 — course section 8: the summary, and a final challenge that puts it all together:
//! a recipe built into an image, a container of it, and a tidy store.

use capas_core::container::Status;
use capas_core::store::Store;

use super::checks::{self, Found};
use super::{Exercise, Lab, Outcome, Step, Student};

/// The lab.
pub fn lab() -> Lab {
    Lab {
        number: 9,
        fresh_store: false,
        steps: |_| {
            vec![
                Step::Say("lab09-intro"),
                Step::Say("lab09-table"),
                Step::Pause,
                Step::Say("lab09-challenge"),
            ]
        },
        exercises: vec![Exercise::new(1, 3, ex1), Exercise::new(2, 2, ex2)],
        made: |s| {
            (
                vec![format!("lab09-{}", s.word)],
                vec![format!("lab09/{}:1", s.word)],
            )
        },
    }
}

/// `lab09/WORD:1`, built from a recipe on alpine:3.19: `/etc/motd` says WORD, and its
/// command is `cat /etc/motd`.
fn ex1(store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let tag = format!("lab09/{}:1", s.word);
    let Some(img) = checks::image(store, &tag)? else {
        return Ok(Outcome::Failed("lab09-ex1-no-image", vec![]));
    };
    if !checks::built_on(store, &img, "alpine:3.19")? {
        return Ok(Outcome::Failed("lab09-ex1-wrong-base", vec![]));
    }
    match checks::read_in_image(store, &img, "/etc/motd")? {
        Found::Text(t) if t.trim() == s.word => {}
        _ => return Ok(Outcome::Failed("lab09-ex1-motd", vec![])),
    }
    let cmd = img
        .config()
        .config()
        .as_ref()
        .and_then(|c| c.cmd().clone())
        .unwrap_or_default();
    if cmd != ["cat", "/etc/motd"] {
        return Ok(Outcome::Failed(
            "lab09-ex1-cmd",
            vec![("found", format!("{cmd:?}"))],
        ));
    }
    Ok(Outcome::Passed)
}

/// A container `lab09-WORD` of that image ran its default command to success, and the store
/// holds no dangling image.
fn ex2(store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let tag = format!("lab09/{}:1", s.word);
    let Some(img) = checks::image(store, &tag)? else {
        return Ok(Outcome::Failed("lab09-ex1-no-image", vec![]));
    };
    let name = format!("lab09-{}", s.word);
    let Some(c) = checks::container(store, &name)? else {
        return Ok(Outcome::Failed("lab09-ex2-no-container", vec![]));
    };
    if c.config().image != *img.id() {
        return Ok(Outcome::Failed("lab09-ex2-wrong-image", vec![]));
    }
    let state = &c.config().state;
    if state.status != Status::Exited
        || state.exit_code != 0
        || c.config().cmd != ["cat", "/etc/motd"]
    {
        return Ok(Outcome::Failed("lab09-ex2-not-run", vec![]));
    }
    let index = store.index()?;
    let dangling = index.images.values().any(|r| {
        r.tags().next().is_none()
            && !index
                .images
                .values()
                .any(|o| o.parent.as_ref() == Some(&r.id))
    });
    if dangling {
        return Ok(Outcome::Failed("lab09-ex2-dangling", vec![]));
    }
    Ok(Outcome::Passed)
}
