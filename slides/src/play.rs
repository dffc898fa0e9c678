//! Playing a deck: its commands run in order on a fresh store, its files written, its
//! pictures drawn, each at its point of the deck; then what capas printed now is held against
//! what the deck shows ([`Played::differences`]), or written into it ([`Played::write`]).

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use sha2::{Digest as _, Sha256};

use crate::deck::{Action, Deck, Part, Picture};
use crate::session::{Ran, Session};
use crate::{pictures, png};

/// A deck after its commands ran.
#[derive(Debug, Clone)]
pub struct Played {
    /// The deck as its file has it.
    pub shown: Deck,
    /// The same deck with the outputs capas printed now.
    pub printed: Deck,
    /// What each command did, in order, with where it stands.
    pub runs: Vec<(usize, String, i32, Ran)>,
    /// The pictures, drawn from the store at their point of the deck.
    pub drawings: Vec<Drawing>,
}

/// One picture drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawing {
    /// The directive it answers.
    pub picture: Picture,
    /// The SVG.
    pub svg: String,
}

/// Where a deck and capas disagree, with a diff: deck, line, command (or picture).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// `slides/en/lab03.md`.
    pub deck: String,
    /// The line of the command or picture.
    pub line: usize,
    /// What differs, in one line.
    pub what: String,
    /// A unified diff (`-` the deck, `+` now), or an explanation.
    pub detail: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}:{}: {}", self.deck, self.line, self.what)?;
        write!(f, "{}", self.detail)
    }
}

/// Runs a deck on a fresh store with the given `capas` binary.
pub fn play(deck: &Deck, capas: &Path) -> anyhow::Result<Played> {
    let session = Session::new(capas, deck.lang())?;
    let name = deck.name();
    let mut printed = deck.clone();
    let mut runs = Vec::new();
    let mut drawings = Vec::new();
    for part in &mut printed.parts {
        match part {
            Part::Text(_) => {}
            Part::Action {
                action: Action::WriteFile { path, content },
                ..
            } => session.write_file(path, content)?,
            Part::Action {
                action: Action::Draw(picture),
                ..
            } => {
                let svg =
                    pictures::draw(&session.store(), deck.lang(), picture).with_context(|| {
                        format!("{name}:{}: drawing `{}`", picture.line, picture.kind)
                    })?;
                drawings.push(Drawing {
                    picture: picture.clone(),
                    svg,
                });
            }
            Part::Console(console) => {
                let expected: Vec<i32> = (0..console.commands.len())
                    .map(|i| console.expected_exit(i))
                    .collect();
                for (shown, expected) in console.commands.iter_mut().zip(expected) {
                    let ran = session
                        .run(&shown.command)
                        .with_context(|| format!("{name}:{}", shown.line))?;
                    if ran.output.lines().any(|l| l.starts_with("$ ")) {
                        bail!(
                            "{name}:{}: `{}` printed a line that starts with `$ `, which the deck would read as a command",
                            shown.line,
                            shown.command
                        );
                    }
                    shown.output = ran.output.clone();
                    runs.push((shown.line, shown.command.clone(), expected, ran));
                }
            }
        }
    }
    Ok(Played {
        shown: deck.clone(),
        printed,
        runs,
        drawings,
    })
}

impl Played {
    /// The deck's folder, where its pictures live.
    fn dir(&self) -> PathBuf {
        self.shown
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// Every place where the deck shows something other than what capas printed or the
    /// store looks like now.
    pub fn differences(&self) -> Vec<Difference> {
        let deck = self.shown.name();
        let mut found = Vec::new();
        let shown: Vec<_> = self.shown.consoles().flat_map(|c| &c.commands).collect();
        for (before, (line, command, expected, ran)) in shown.iter().zip(&self.runs) {
            if before.output != ran.output {
                found.push(Difference {
                    deck: deck.clone(),
                    line: *line,
                    what: format!("`$ {command}` prints something else now"),
                    detail: diff(&before.output, &ran.output, &deck, &format!("$ {command}")),
                });
            }
            if ran.code != *expected {
                found.push(Difference {
                    deck: deck.clone(),
                    line: *line,
                    what: format!("`$ {command}` exited {} where the deck expects {expected}", ran.code),
                    detail: format!("{}\n(a command that should fail is the last of its block, after `<!-- // exit: N -->`)\n", ran.output),
                });
            }
        }
        for drawing in &self.drawings {
            let picture = &drawing.picture;
            let svg_path = self.dir().join(picture.svg());
            let on_disk = std::fs::read_to_string(&svg_path).unwrap_or_default();
            if on_disk != drawing.svg {
                found.push(Difference {
                    deck: deck.clone(),
                    line: picture.line,
                    what: format!(
                        "picture `{}` ({}) is drawn otherwise now",
                        picture.kind,
                        picture.svg()
                    ),
                    detail: diff(&on_disk, &drawing.svg, &picture.svg(), "drawn now"),
                });
            }
            let png_path = self.dir().join(&picture.image);
            let stamp = png::source_stamp(&png_path).ok().flatten();
            if stamp.as_deref() != Some(svg_stamp(&on_disk).as_str()) {
                found.push(Difference {
                    deck: deck.clone(),
                    line: picture.line,
                    what: format!(
                        "{} was not rasterized from {}",
                        picture.image,
                        picture.svg()
                    ),
                    detail:
                        "the PNG records the sha256 of the SVG it was made from; they disagree\n"
                            .into(),
                });
            }
        }
        found
    }

    /// Writes what capas printed into the deck, and the pictures beside it (a PNG is made
    /// again only when its drawing changed). Returns what was written.
    pub fn write(&self) -> anyhow::Result<Vec<String>> {
        let deck = self.shown.name();
        let wrong_exits: Vec<String> = self
            .runs
            .iter()
            .filter(|(_, _, expected, ran)| ran.code != *expected)
            .map(|(line, command, expected, ran)| {
                format!(
                    "{deck}:{line}: `$ {command}` exited {} where the deck expects {expected}:\n{}",
                    ran.code, ran.output
                )
            })
            .collect();
        if !wrong_exits.is_empty() {
            bail!(
                "not written (mark a command that should fail with `<!-- // exit: N -->` before its block, as its block's last command):\n{}",
                wrong_exits.join("\n")
            );
        }
        let mut written = Vec::new();
        let text = self.printed.render();
        if std::fs::read_to_string(&self.shown.path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&self.shown.path, &text)?;
            written.push(deck.clone());
        }
        for drawing in &self.drawings {
            let picture = &drawing.picture;
            let svg_path = self.dir().join(picture.svg());
            if std::fs::read_to_string(&svg_path).ok().as_deref() != Some(drawing.svg.as_str()) {
                if let Some(parent) = svg_path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&svg_path, &drawing.svg)?;
                written.push(relative(&svg_path));
            }
            let png_path = self.dir().join(&picture.image);
            let stamp = svg_stamp(&drawing.svg);
            if png::source_stamp(&png_path).ok().flatten().as_deref() != Some(stamp.as_str()) {
                png::rasterize(&svg_path, &png_path, &stamp)?;
                written.push(relative(&png_path));
            }
        }
        Ok(written)
    }
}

/// A path from the workspace's root, for messages.
fn relative(path: &Path) -> String {
    let root = crate::workspace_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// What a PNG records of the SVG it was made from: `sha256:<hex>` of its bytes.
pub fn svg_stamp(svg: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(svg.as_bytes())))
}

/// A unified diff, `-` what the deck shows, `+` what is printed now.
pub fn diff(shown: &str, now: &str, shown_name: &str, now_name: &str) -> String {
    let shown = format!("{shown}\n");
    let now = format!("{now}\n");
    similar::TextDiff::from_lines(&shown, &now)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{shown_name} (shown)"),
            &format!("{now_name} (printed now)"),
        )
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deck::Deck;

    fn played(shown: &str, printed: &[(&str, i32)]) -> Played {
        let deck = Deck::parse(Path::new("slides/en/lab07.md"), shown).expect("parses");
        let mut runs = Vec::new();
        let mut printed_deck = deck.clone();
        let mut k = 0;
        for part in &mut printed_deck.parts {
            if let Part::Console(c) = part {
                let expected: Vec<i32> =
                    (0..c.commands.len()).map(|i| c.expected_exit(i)).collect();
                for (s, e) in c.commands.iter_mut().zip(expected) {
                    let (output, code) = printed[k];
                    k += 1;
                    s.output = output.to_string();
                    runs.push((
                        s.line,
                        s.command.clone(),
                        e,
                        Ran {
                            output: output.into(),
                            code,
                        },
                    ));
                }
            }
        }
        Played {
            shown: deck,
            printed: printed_deck,
            runs,
            drawings: vec![],
        }
    }

    #[test]
    fn the_same_output_is_no_difference() {
        let p = played(
            "```console\n$ capas images\nREPOSITORY   TAG\n```\n",
            &[("REPOSITORY   TAG", 0)],
        );
        assert_eq!(p.differences(), vec![]);
    }

    #[test]
    fn a_changed_header_names_the_deck_the_line_and_the_command() {
        let p = played(
            "# Images\n\n```console\n$ capas pull -q alpine:3.19\ndocker.io/library/alpine:3.19\n\n$ capas images\nREPOSITORY   TAG\nalpine       3.19\n```\n",
            &[
                ("docker.io/library/alpine:3.19", 0),
                ("REPO   TAG\nalpine 3.19", 0),
            ],
        );
        let found = p.differences();
        assert_eq!(found.len(), 1, "{found:?}");
        let text = found[0].to_string();
        assert!(
            text.starts_with("slides/en/lab07.md:7: `$ capas images` prints something else now\n"),
            "{text}"
        );
        assert!(text.contains("-REPOSITORY   TAG\n"), "{text}");
        assert!(text.contains("+REPO   TAG\n"), "{text}");
    }

    #[test]
    fn an_unexpected_exit_code_is_a_difference() {
        let p = played(
            "```console\n$ capas rmi x\nError: no\n```\n",
            &[("Error: no", 1)],
        );
        let found = p.differences();
        assert_eq!(found.len(), 1);
        assert!(
            found[0].what.contains("exited 1 where the deck expects 0"),
            "{}",
            found[0]
        );
        assert!(
            p.write().is_err(),
            "a deck whose command fails unexpectedly is not written"
        );
    }

    #[test]
    fn an_expected_failure_is_no_difference() {
        let p = played(
            "<!-- // exit: 1 -->\n```console\n$ capas rmi x\nError: no\n```\n",
            &[("Error: no", 1)],
        );
        assert_eq!(p.differences(), vec![]);
    }
}
