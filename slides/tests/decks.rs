//! Every deck of `slides/`, played on a fresh store with the real `capas` binary: each
//! console block must show exactly what its commands print now, and each picture must be
//! the one the store gives at its point of the deck. A difference fails with a diff that
//! names the deck, the line and the command.
//!
//! Regenerate after a deliberate change: `cargo run -p capas-slides -- update` (never in CI).

use std::time::Instant;

use capas_slides::{decks, orphan_pictures, play_all, session};

#[test]
fn every_deck_shows_what_capas_prints_now() {
    let start = Instant::now();
    let paths = decks().expect("the decks");
    assert!(
        paths.len() >= 20,
        "an opening deck and nine labs, in Spanish and English: {paths:?}"
    );
    let capas = session::capas_binary().expect("the capas binary");
    let mut report = String::new();
    let mut played = Vec::new();
    for result in play_all(&paths, &capas) {
        match result {
            Ok(p) => {
                for d in p.differences() {
                    report.push_str(&format!("{d}\n"));
                }
                played.push(p);
            }
            Err(e) => report.push_str(&format!("{e:#}\n")),
        }
    }
    let refs: Vec<_> = played.iter().collect();
    for orphan in orphan_pictures(&refs).expect("the pictures") {
        report.push_str(&format!(
            "{}: no deck shows this picture\n",
            orphan.display()
        ));
    }
    let commands: usize = played.iter().map(|p| p.runs.len()).sum();
    eprintln!(
        "{} decks, {commands} commands, played in {:.1}s",
        played.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(
        report.is_empty(),
        "the decks no longer show what capas prints (after a deliberate change, regenerate them: `cargo run -p capas-slides -- update`):\n\n{report}"
    );
}

#[test]
fn every_lab_has_a_deck_in_each_language() {
    let paths = decks().expect("the decks");
    for lang in capas_slides::LANGS {
        for name in [
            "intro", "lab01", "lab02", "lab03", "lab04", "lab05", "lab06", "lab07", "lab08",
            "lab09",
        ] {
            let path = capas_slides::slides_dir()
                .join(lang)
                .join(format!("{name}.md"));
            assert!(paths.contains(&path), "no deck {}", path.display());
        }
    }
}
