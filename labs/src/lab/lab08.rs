//! Lab 8 — course section 7: prune. A rebuild under the same name leaves the old image
//! without a name (dangling); `image prune` removes dangling images only, `image prune -a`
//! every image no container uses. The walk-through runs in a fresh store of its own.

use capas_core::image::Image;
use capas_core::store::Store;

use super::checks::{self, Found};
use super::{Exercise, Lab, Outcome, Step, Student};

/// The lab.
pub fn lab() -> Lab {
    Lab {
        number: 8,
        fresh_store: true,
        steps: |_| {
            vec![
                Step::Say("lab08-intro"),
                Step::Run(&["pull", "-q", "alpine:3.19"]),
                Step::Run(&[
                    "run",
                    "--name",
                    "lab08-v1",
                    "alpine:3.19",
                    "sh",
                    "-c",
                    "echo 1 > /version",
                ]),
                Step::Run(&["commit", "lab08-v1", "app:1"]),
                Step::Run(&[
                    "run",
                    "--name",
                    "lab08-v2",
                    "alpine:3.19",
                    "sh",
                    "-c",
                    "echo 2 > /version",
                ]),
                Step::Run(&["commit", "lab08-v2", "app:1"]),
                Step::Say("lab08-dangling"),
                Step::Run(&["images"]),
                Step::Run(&["images", "-f", "dangling=true"]),
                Step::Pause,
                Step::Say("lab08-prune"),
                Step::Run(&["image", "prune", "-f"]),
                Step::Run(&["images"]),
                Step::Pause,
                Step::Say("lab08-unused"),
                Step::Run(&["pull", "-q", "busybox:latest"]),
                Step::Run(&["image", "prune", "-f"]),
                Step::Run(&["images"]),
                Step::Say("lab08-all"),
                Step::Run(&["image", "prune", "-a", "-f"]),
                Step::Run(&["images"]),
                Step::Say("lab08-summary"),
            ]
        },
        exercises: vec![Exercise::new(1, 2, ex1), Exercise::new(2, 3, ex2)],
        made: |s| {
            (
                vec![format!("lab08-{}-1", s.word), format!("lab08-{}-2", s.word)],
                vec![
                    format!("lab08/{}:1", s.word),
                    format!("lab08/{}:old", s.word),
                ],
            )
        },
    }
}

/// The images of the store that are alpine:3.19 plus one layer whose `/version` says `v`.
fn versions(store: &Store, v: &str) -> anyhow::Result<Vec<(Image, bool)>> {
    let index = store.index()?;
    let mut found = Vec::new();
    for record in index.images.values() {
        let img = Image::load(store, record)?;
        if !checks::one_layer_on(store, &img, "alpine:3.19")? {
            continue;
        }
        if let Found::Text(t) = checks::read_in_image(store, &img, "/version")?
            && t.trim() == v
        {
            found.push((img, record.tags().next().is_none()));
        }
    }
    Ok(found)
}

/// `lab08/WORD:1` says version 2, and the version-1 image it replaced is still in the store.
fn ex1(store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let tag = format!("lab08/{}:1", s.word);
    let Some(img) = checks::image(store, &tag)? else {
        return Ok(Outcome::Failed("lab08-ex1-no-image", vec![]));
    };
    match checks::read_in_image(store, &img, "/version")? {
        Found::Text(t) if t.trim() == "2" => {}
        _ => return Ok(Outcome::Failed("lab08-ex1-not-v2", vec![])),
    }
    if versions(store, "1")?.is_empty() {
        return Ok(Outcome::Failed("lab08-ex1-no-v1", vec![]));
    }
    Ok(Outcome::Passed)
}

/// No dangling image left; the old version kept under `lab08/WORD:old`.
fn ex2(store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let index = store.index()?;
    if index
        .images
        .values()
        .any(|r| r.tags().next().is_none() && !is_parent(&index, r))
    {
        return Ok(Outcome::Failed("lab08-ex2-dangling-left", vec![]));
    }
    let old = format!("lab08/{}:old", s.word);
    let Some(img) = checks::image(store, &old)? else {
        return Ok(Outcome::Failed("lab08-ex2-no-old", vec![]));
    };
    Ok(match checks::read_in_image(store, &img, "/version")? {
        Found::Text(t) if t.trim() == "1" => Outcome::Passed,
        _ => Outcome::Failed("lab08-ex2-old-not-v1", vec![]),
    })
}

/// An untagged image that is the parent of another is not dangling (`docker images -f
/// dangling=true` leaves it out).
fn is_parent(index: &capas_core::store::Index, record: &capas_core::store::ImageRecord) -> bool {
    index
        .images
        .values()
        .any(|r| r.parent.as_ref() == Some(&record.id))
}
