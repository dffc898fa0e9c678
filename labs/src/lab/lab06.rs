//! Lab 6 — course section 5: the advantages of layers, measured. Storage: the store holds a
//! shared layer once (bytes on disk against the sum of the image sizes). Speed: a container
//! is an empty read/write layer over layers already there, so making one costs almost
//! nothing next to copying the image. The walk-through runs in a fresh store of its own.

use std::path::Path;
use std::time::Instant;

use capas_core::container::Container;
use capas_core::image::{self, Image};
use capas_core::store::Store;
use capas_core::union::UnionView;

use super::checks;
use super::{Exercise, Lab, Outcome, Step, Student, Texts};
use crate::format;

/// The lab.
pub fn lab() -> Lab {
    Lab {
        number: 6,
        fresh_store: true,
        steps: |_| {
            vec![
                Step::Say("lab06-intro"),
                Step::Run(&["pull", "-q", "alpine:3.19"]),
                Step::Run(&["pull", "-q", "nginx:stable-alpine3.19"]),
                Step::Run(&["images"]),
                Step::Say("lab06-storage"),
                Step::Fact(storage),
                Step::Pause,
                Step::Say("lab06-speed"),
                Step::Fact(speed),
                Step::Say("lab06-why-fast"),
                Step::Run(&["ps", "-a", "-q"]),
                Step::Say("lab06-summary"),
            ]
        },
        exercises: vec![Exercise::new(1, 2, ex1), Exercise::new(2, 2, ex2)],
        made: |s| {
            let mut containers: Vec<String> =
                (1..=3).map(|i| format!("lab06-{}-{i}", s.word)).collect();
            containers.push(format!("lab06-{}-a", s.word));
            containers.push(format!("lab06-{}-b", s.word));
            (
                containers,
                vec![format!("lab06/{}:a", s.word), format!("lab06/{}:b", s.word)],
            )
        },
    }
}

/// Bytes of the regular files under `dir` (apparent sizes).
fn bytes_under(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

/// The store's bytes against the sum of the image sizes.
fn storage(root: &Path, texts: &Texts) -> anyhow::Result<String> {
    let store = Store::open(root)?;
    let index = store.index()?;
    let mut sum = 0;
    for record in index.images.values() {
        sum += Image::load(&store, record)?.size(&store)?;
    }
    let on_disk = bytes_under(&store.layout().layers());
    Ok(texts.t_args(
        "lab06-storage-fact",
        &[
            ("sum", format::size3(sum)),
            ("disk", format::size3(on_disk)),
            ("saved", format::size3(sum.saturating_sub(on_disk))),
        ],
    ))
}

/// Twenty containers made, against one copy of the image's files.
fn speed(root: &Path, texts: &Texts) -> anyhow::Result<String> {
    const N: usize = 20;
    let store = Store::open(root)?;
    let locked = store.lock()?;
    let index = locked.index()?;
    let img = Image::load(&locked, image::resolve(&index, "nginx:stable-alpine3.19")?)?;
    let start = Instant::now();
    let mut made = Vec::new();
    for i in 0..N {
        let c = Container::create(&locked, &img, Some(&format!("lab06-speed-{i}")), &[], 0)?;
        made.push(c.id().to_string());
    }
    let create = start.elapsed();

    // A copy of every file the image shows: what starting a container would cost without
    // layers shared in place.
    let copy_dir = locked.layout().labs().join("lab06-copy");
    let view = UnionView::of_image(&locked, &img)?;
    let start = Instant::now();
    let mut files = Vec::new();
    view.walk(&mut |path, _| files.push(path.to_string()))?;
    for path in &files {
        let Some(found) = view.lookup(path) else {
            continue;
        };
        let dest = copy_dir.join(path.trim_start_matches('/'));
        if found.metadata.is_dir() {
            std::fs::create_dir_all(&dest)?;
        } else if found.metadata.is_file() {
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(&found.host_path, &dest)?;
        }
    }
    let copy = start.elapsed();
    std::fs::remove_dir_all(&copy_dir)?;
    for id in made {
        capas_core::container::remove(&locked, &id)?;
    }
    let per_container = create.as_secs_f64() * 1e3 / N as f64;
    let copy_ms = copy.as_secs_f64() * 1e3;
    Ok(texts.t_args(
        "lab06-speed-fact",
        &[
            ("n", N.to_string()),
            ("create", format!("{:.1}", create.as_secs_f64() * 1e3)),
            ("each", format!("{per_container:.2}")),
            ("copy", format!("{copy_ms:.1}")),
            (
                "times",
                format!("{:.0}", copy_ms / per_container.max(0.001)),
            ),
        ],
    ))
}

/// Three containers of nginx:stable-alpine3.19, none of them changed.
fn ex1(store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let nginx = checks::sample_id(store, "nginx:stable-alpine3.19")?;
    for i in 1..=3 {
        let name = format!("lab06-{}-{i}", s.word);
        let Some(c) = checks::container(store, &name)? else {
            return Ok(Outcome::Failed("lab06-ex1-missing", vec![("name", name)]));
        };
        if c.config().image != nginx {
            return Ok(Outcome::Failed(
                "lab06-ex1-wrong-image",
                vec![("name", name)],
            ));
        }
        if !checks::diff(&c)?.is_empty() {
            return Ok(Outcome::Failed("lab06-ex1-changed", vec![("name", name)]));
        }
    }
    Ok(Outcome::Passed)
}

/// Two images, `lab06/WORD:a` and `:b`, each alpine:3.19 plus one layer.
fn ex2(store: &Store, s: &Student) -> anyhow::Result<Outcome> {
    let mut ids = Vec::new();
    for v in ["a", "b"] {
        let tag = format!("lab06/{}:{v}", s.word);
        let Some(img) = checks::image(store, &tag)? else {
            return Ok(Outcome::Failed("lab06-ex2-missing", vec![("tag", tag)]));
        };
        if !checks::one_layer_on(store, &img, "alpine:3.19")? {
            return Ok(Outcome::Failed("lab06-ex2-wrong-base", vec![("tag", tag)]));
        }
        ids.push(img.id().clone());
    }
    Ok(if ids[0] == ids[1] {
        Outcome::Failed("lab06-ex2-same", vec![])
    } else {
        Outcome::Passed
    })
}
