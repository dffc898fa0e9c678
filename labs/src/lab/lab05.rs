//! Lab 5 — course section 4: an image based on Alpine. nginx:stable-alpine3.19's first layer
//! is alpine:3.19's, byte for byte: pulled second, it `Already exists`, and it is stored once.
//! The walk-through runs in a fresh store of its own, so that the first download is seen.

use std::collections::BTreeSet;
use std::io::Read;

use capas_core::store::Store;

use super::checks;
use super::{Exercise, Lab, Outcome, Step, Student};

/// The lab.
pub fn lab() -> Lab {
    Lab {
        number: 5,
        fresh_store: true,
        steps: |_| {
            vec![
                Step::Say("lab05-intro"),
                Step::Run(&["pull", "alpine:3.19"]),
                Step::Say("lab05-second"),
                Step::Run(&["pull", "nginx:stable-alpine3.19"]),
                Step::Say("lab05-already"),
                Step::Pause,
                Step::Say("lab05-same-layer"),
                Step::Run(&["why", "alpine:3.19", "/bin/busybox"]),
                Step::Run(&["why", "nginx:stable-alpine3.19", "/bin/busybox"]),
                Step::Run(&["images"]),
                Step::Say("lab05-sizes"),
                Step::Run(&["fsck"]),
                Step::Say("lab05-summary"),
            ]
        },
        exercises: vec![Exercise::new(1, 2, ex1), Exercise::new(2, 3, ex2)],
        made: |s| {
            (
                vec![format!("lab05-{}", s.word)],
                vec![format!("lab05/{}:1", s.word)],
            )
        },
    }
}

/// `lab05/WORD:1`: nginx:stable-alpine3.19 plus one layer (it shares all of nginx's).
fn ex1(store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let tag = format!("lab05/{}:1", s.word);
    let Some(img) = checks::image(store, &tag)? else {
        return Ok(Outcome::Failed("lab05-ex1-no-image", vec![]));
    };
    if checks::one_layer_on(store, &img, "nginx:stable-alpine3.19")? {
        Ok(Outcome::Passed)
    } else {
        Ok(Outcome::Failed("lab05-ex1-wrong-base", vec![]))
    }
}

/// `/tmp/lab05-WORD.tar`: both images in one archive, the shared layer in it once.
fn ex2(_store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let path = std::env::temp_dir().join(format!("lab05-{}.tar", s.word));
    let Ok(file) = std::fs::File::open(&path) else {
        return Ok(Outcome::Failed("lab05-ex2-no-archive", vec![]));
    };
    let mut manifest = None;
    let mut archive = tar::Archive::new(file);
    let Ok(entries) = archive.entries() else {
        return Ok(Outcome::Failed("lab05-ex2-not-archive", vec![]));
    };
    for entry in entries {
        let Ok(mut entry) = entry else {
            return Ok(Outcome::Failed("lab05-ex2-not-archive", vec![]));
        };
        if entry.path().is_ok_and(|p| p.as_os_str() == "manifest.json") {
            let mut text = String::new();
            entry.read_to_string(&mut text)?;
            manifest = serde_json::from_str::<serde_json::Value>(&text).ok();
        }
    }
    let Some(manifest) = manifest else {
        return Ok(Outcome::Failed("lab05-ex2-not-archive", vec![]));
    };
    let images = manifest.as_array().cloned().unwrap_or_default();
    let tags: BTreeSet<String> = images
        .iter()
        .flat_map(|m| m["RepoTags"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    for wanted in ["alpine:3.19", "nginx:stable-alpine3.19"] {
        if !tags.contains(wanted) {
            return Ok(Outcome::Failed(
                "lab05-ex2-missing-image",
                vec![("image", wanted.to_string())],
            ));
        }
    }
    let layers: Vec<String> = images
        .iter()
        .flat_map(|m| m["Layers"].as_array().cloned().unwrap_or_default())
        .filter_map(|l| l.as_str().map(str::to_string))
        .collect();
    let unique: BTreeSet<&String> = layers.iter().collect();
    Ok(if unique.len() < layers.len() {
        Outcome::Passed
    } else {
        Outcome::Failed("lab05-ex2-not-shared", vec![])
    })
}
