//! # capas-slides: the course's slide decks, kept true by running them
//!
//! `slides/es/*.md` and `slides/en/*.md` are presenterm decks, one per lab and an opening one.
//! Every ```` ```console ```` block in them is a list of `capas` commands with what they print:
//! the tooling here runs them in order on a fresh store with a fixed clock, so that a deck
//! shows exactly what a student's terminal shows, the same on every machine. The pictures of a
//! deck (a container's layer stack, a shared layer, lab 6's measured savings) are drawn from
//! that store's state at their point of the deck.
//!
//! ```text
//! cargo test -p capas-slides             every deck played and compared (part of cargo test --workspace)
//! cargo run -p capas-slides -- update    write what capas prints now into the decks, redraw pictures
//! cargo run -p capas-slides -- html      each deck as one self-contained HTML file
//! ```
//!
//! # Layout
//!
//! | module | concept |
//! | --- | --- |
//! | [`deck`] | a deck's Markdown as parts: text, console blocks, directives; rendered back byte for byte |
//! | [`session`] | a fresh store and working directory, and the real `capas` binary run on them |
//! | [`play`] | a deck played: commands run, files written, pictures drawn; compared or written back |
//! | [`pictures`] | the drawings, from a store's real state: layer stack, shared layers, savings |
//! | [`svg`] | the small SVG writer the drawings use |
//! | [`png`] | a drawing rasterized for presenterm (which reads no SVG), stamped with its source |
//! | [`browser`] | headless Chromium: rasterizing, screenshots, the rendered DOM |
//! | [`html`] | a deck as one self-contained HTML page, keyboard navigation, notes on a key |

pub mod browser;
pub mod deck;
pub mod html;
pub mod pictures;
pub mod play;
pub mod png;
pub mod session;
pub mod svg;

use std::path::{Path, PathBuf};

/// The workspace's root folder (the one with `slides/`).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// The `slides/` folder.
pub fn slides_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The languages the decks are written in: a folder of `slides/` each.
pub const LANGS: [&str; 2] = ["es", "en"];

/// Every deck, language by language, in name order (`intro.md`, `lab01.md`, …).
pub fn decks() -> anyhow::Result<Vec<PathBuf>> {
    let mut all = Vec::new();
    for lang in LANGS {
        let mut these: Vec<PathBuf> = std::fs::read_dir(slides_dir().join(lang))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        these.sort();
        all.extend(these);
    }
    Ok(all)
}

/// Plays every deck in `paths`, a few at a time (each on its own store), in their order.
pub fn play_all(paths: &[PathBuf], capas: &Path) -> Vec<anyhow::Result<play::Played>> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<anyhow::Result<play::Played>>>> =
        Mutex::new((0..paths.len()).map(|_| None).collect());
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(path) = paths.get(i) else { break };
                    let result = deck::Deck::read(path).and_then(|d| play::play(&d, capas));
                    if let Ok(mut all) = results.lock() {
                        all[i] = Some(result);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(anyhow::anyhow!("a deck was not played"))))
        .collect()
}

/// Picture files in the decks' `img/` folders that no deck shows (left by a renamed picture).
pub fn orphan_pictures(played: &[&play::Played]) -> anyhow::Result<Vec<PathBuf>> {
    let mut used = std::collections::BTreeSet::new();
    for p in played {
        let dir = p
            .shown
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for picture in p.shown.pictures() {
            used.insert(dir.join(&picture.image));
            used.insert(dir.join(picture.svg()));
        }
    }
    let mut orphans = Vec::new();
    for lang in LANGS {
        let img = slides_dir().join(lang).join("img");
        let Ok(entries) = std::fs::read_dir(&img) else {
            continue;
        };
        for e in entries.flatten() {
            if !used.contains(&e.path()) {
                orphans.push(e.path());
            }
        }
    }
    orphans.sort();
    Ok(orphans)
}
