//! A deck: one Markdown file that presenterm presents and a code forge shows as it is, read
//! as a sequence of parts so that its commands can be run and their outputs written back.
//!
//! What the deck tooling reads in a deck, and nothing else:
//!
//! ````text
//! ```console                       a block of commands, run in order on the deck's store:
//! $ capas pull alpine:3.19         `$ ` starts a command (only `capas` commands run),
//! 3.19: Pulling from …             the lines after it are what it printed
//! ```
//! <!-- // exit: 1 -->              the next block's last command must exit 1 (default: 0)
//! <!-- // file: web/Dockerfile --> the next code block is written to that file of the
//!                                  deck's working directory before the commands after it
//! <!-- // picture: stack c1 -->    the next line is an image, `![…](img/x.png)`: drawn from
//!                                  the store as it is at that point (`img/x.svg`, `img/x.png`)
//! ````
//!
//! `<!-- // … -->` is presenterm's user comment: it never shows on a slide, and a Markdown
//! renderer hides it too. Everything else — prose, `<!-- end_slide -->`, speaker notes,
//! columns, other code blocks — is kept byte for byte.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// A deck read from its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deck {
    /// The file (`slides/en/lab03.md`).
    pub path: PathBuf,
    /// Its parts, in order: rendering them gives the file back.
    pub parts: Vec<Part>,
}

/// One part of a deck.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Lines kept as they are, each ending in a newline.
    Text(String),
    /// Lines kept as they are that also ask for something to be done at this point.
    Action {
        /// The lines (the directive, and for a picture the image line after it).
        text: String,
        /// What to do.
        action: Action,
    },
    /// A ```` ```console ```` block.
    Console(Console),
}

/// What a directive asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write a file of the deck's working directory (a Dockerfile, a build context).
    WriteFile {
        /// Relative to the working directory.
        path: String,
        /// The code block's lines.
        content: String,
    },
    /// Draw a picture of the store as it is now.
    Draw(Picture),
}

/// A picture a deck shows: `<!-- // picture: KIND ARGS… -->` and the image line after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// The line of the directive (1-based), for messages.
    pub line: usize,
    /// What to draw (`stack`, `shared`, `savings`: see [`crate::pictures`]).
    pub kind: String,
    /// What to draw it of (a container, images).
    pub args: Vec<String>,
    /// The image the deck shows, relative to the deck (`img/lab03-stack.png`); the drawing
    /// itself goes beside it with the `.svg` extension.
    pub image: String,
}

impl Picture {
    /// The drawing's path, relative to the deck.
    pub fn svg(&self) -> String {
        match self.image.strip_suffix(".png") {
            Some(stem) => format!("{stem}.svg"),
            None => format!("{}.svg", self.image),
        }
    }
}

/// A ```` ```console ```` block: commands and what each printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Console {
    /// The line of the opening fence (1-based).
    pub line: usize,
    /// The opening fence as written (```` ```console ````).
    pub open: String,
    /// The closing fence as written.
    pub close: String,
    /// The exit code its last command must have (`<!-- // exit: N -->`; 0 when not said).
    pub last_exit: i32,
    /// The commands, in order.
    pub commands: Vec<Shown>,
}

/// One command of a console block and the output the deck shows for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// Its line (1-based).
    pub line: usize,
    /// The command line, without the `$ ` prompt.
    pub command: String,
    /// What the deck shows it printed: lines joined by `\n`, no newline at the end.
    pub output: String,
}

impl Console {
    /// The exit code command `i` must have.
    pub fn expected_exit(&self, i: usize) -> i32 {
        if i + 1 == self.commands.len() {
            self.last_exit
        } else {
            0
        }
    }

    /// The block as the deck writes it: each command, then its output, a blank line between
    /// one command's output and the next command.
    pub fn render(&self) -> String {
        let mut out = format!("{}\n", self.open);
        for (i, shown) in self.commands.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let _ = writeln!(out, "$ {}", shown.command);
            if !shown.output.is_empty() {
                let _ = writeln!(out, "{}", shown.output);
            }
        }
        let _ = writeln!(out, "{}", self.close);
        out
    }
}

impl Deck {
    /// Reads and parses a deck.
    pub fn read(path: &Path) -> anyhow::Result<Deck> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Deck::parse(path, &text)
    }

    /// Parses a deck's text.
    pub fn parse(path: &Path, text: &str) -> anyhow::Result<Deck> {
        let where_ = |line: usize| format!("{}:{line}", path.display());
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let mut parts = Vec::new();
        let mut plain = String::new();
        let mut exit = None;
        let mut file = None;
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            let bare = line.trim_end_matches(['\n', '\r']);
            if let Some((fence, info)) = opening_fence(bare) {
                // A code block: find its end; a console block is parsed, any other kept.
                let close = (i + 1..lines.len())
                    .find(|&j| closes(lines[j].trim_end(), &fence))
                    .with_context(|| {
                        format!("{}: this code block is never closed", where_(i + 1))
                    })?;
                let body: String = lines[i + 1..close].concat();
                if info.split_whitespace().next() == Some("console") {
                    if file.is_some() {
                        bail!(
                            "{}: a `file:` directive needs a code block of the file, not a console block",
                            where_(i + 1)
                        );
                    }
                    flush(&mut parts, &mut plain);
                    let commands = parse_console(&body, i + 2)
                        .map_err(|(at, why)| anyhow::anyhow!("{}: {why}", where_(at)))?;
                    parts.push(Part::Console(Console {
                        line: i + 1,
                        open: bare.to_string(),
                        close: lines[close].trim_end().to_string(),
                        last_exit: exit.take().unwrap_or(0),
                        commands,
                    }));
                } else if let Some(path) = file.take() {
                    flush(&mut parts, &mut plain);
                    parts.push(Part::Action {
                        text: lines[i..=close].concat(),
                        action: Action::WriteFile {
                            path,
                            content: body,
                        },
                    });
                } else {
                    plain.push_str(&lines[i..=close].concat());
                }
                i = close + 1;
                continue;
            }
            match directive(bare) {
                Some(("exit", value)) => {
                    exit = Some(value.parse::<i32>().with_context(|| {
                        format!("{}: `exit:` wants a number, not {value:?}", where_(i + 1))
                    })?);
                    plain.push_str(line);
                }
                Some(("file", value)) => {
                    if value.is_empty()
                        || value.starts_with('/')
                        || value.split('/').any(|c| c == "..")
                    {
                        bail!(
                            "{}: `file:` wants a path inside the deck's working directory, not {value:?}",
                            where_(i + 1)
                        );
                    }
                    file = Some(value.to_string());
                    plain.push_str(line);
                }
                Some(("picture", value)) => {
                    let mut words = value.split_whitespace().map(str::to_string);
                    let kind = words
                        .next()
                        .with_context(|| format!("{}: `picture:` wants a kind", where_(i + 1)))?;
                    let args = words.collect();
                    // The image line follows, after blank lines at most.
                    let mut j = i + 1;
                    while j < lines.len() && lines[j].trim().is_empty() {
                        j += 1;
                    }
                    let image = lines
                        .get(j)
                        .and_then(|l| image_target(l.trim()))
                        .with_context(|| {
                            format!("{}: a picture directive must be followed by its image line, `![…](img/NAME.png)`", where_(i + 1))
                        })?;
                    flush(&mut parts, &mut plain);
                    parts.push(Part::Action {
                        text: lines[i..=j].concat(),
                        action: Action::Draw(Picture {
                            line: i + 1,
                            kind,
                            args,
                            image,
                        }),
                    });
                    i = j + 1;
                    continue;
                }
                _ => plain.push_str(line),
            }
            i += 1;
        }
        if file.is_some() {
            bail!(
                "{}: a `file:` directive is not followed by a code block",
                path.display()
            );
        }
        flush(&mut parts, &mut plain);
        Ok(Deck {
            path: path.to_path_buf(),
            parts,
        })
    }

    /// The deck's text.
    pub fn render(&self) -> String {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Text(text) | Part::Action { text, .. } => text.clone(),
                Part::Console(console) => console.render(),
            })
            .collect()
    }

    /// Its console blocks, in order.
    pub fn consoles(&self) -> impl Iterator<Item = &Console> {
        self.parts.iter().filter_map(|p| match p {
            Part::Console(c) => Some(c),
            _ => None,
        })
    }

    /// Its pictures, in order.
    pub fn pictures(&self) -> impl Iterator<Item = &Picture> {
        self.parts.iter().filter_map(|p| match p {
            Part::Action {
                action: Action::Draw(picture),
                ..
            } => Some(picture),
            _ => None,
        })
    }

    /// The language of the deck: the name of its folder (`es`, `en`).
    pub fn lang(&self) -> &str {
        self.path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("en")
    }

    /// How the deck is named in messages: its path from the workspace (`slides/en/lab03.md`).
    pub fn name(&self) -> String {
        let root = crate::workspace_root();
        self.path
            .strip_prefix(&root)
            .unwrap_or(&self.path)
            .display()
            .to_string()
    }
}

/// Moves the plain lines gathered so far into a part.
fn flush(parts: &mut Vec<Part>, plain: &mut String) {
    if !plain.is_empty() {
        parts.push(Part::Text(std::mem::take(plain)));
    }
}

/// ```` ```console ```` → (```` ``` ````, `console`).
fn opening_fence(line: &str) -> Option<(String, &str)> {
    let c = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = line.chars().take_while(|x| *x == c).count();
    if n < 3 {
        return None;
    }
    let info = &line[n..];
    // A backtick fence's info string cannot hold a backtick (CommonMark).
    if c == '`' && info.contains('`') {
        return None;
    }
    Some((line[..n].to_string(), info.trim()))
}

/// Whether `line` closes a block opened by `fence`.
fn closes(line: &str, fence: &str) -> bool {
    let c = fence.chars().next().unwrap_or('`');
    line.len() >= fence.len() && line.chars().all(|x| x == c)
}

/// `<!-- // name: value -->` → (name, value).
fn directive(line: &str) -> Option<(&str, &str)> {
    let inner = line
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    let inner = inner.strip_prefix("//")?.trim();
    let (name, value) = inner.split_once(':')?;
    let name = name.trim();
    matches!(name, "exit" | "file" | "picture").then_some((name, value.trim()))
}

/// `![alt](img/x.png)` → `img/x.png`.
fn image_target(line: &str) -> Option<String> {
    let rest = line.strip_prefix("![")?;
    let (_, target) = rest.split_once("](")?;
    let target = target.strip_suffix(')')?;
    (!target.is_empty() && !target.contains(' ')).then(|| target.to_string())
}

/// A console block's body: `$ ` lines and the output after each. `first` is the line number
/// of the body's first line.
fn parse_console(body: &str, first: usize) -> Result<Vec<Shown>, (usize, String)> {
    let mut commands: Vec<(Shown, Vec<&str>)> = Vec::new();
    for (k, line) in body.lines().enumerate() {
        if let Some(command) = line.strip_prefix("$ ") {
            let shown = Shown {
                line: first + k,
                command: command.trim().to_string(),
                output: String::new(),
            };
            commands.push((shown, Vec::new()));
        } else if let Some((_, output)) = commands.last_mut() {
            output.push(line);
        } else if !line.trim().is_empty() {
            return Err((
                first + k,
                "a console block starts with a command (`$ capas …`)".into(),
            ));
        }
    }
    if commands.is_empty() {
        return Err((first, "an empty console block".into()));
    }
    Ok(commands
        .into_iter()
        .map(|(mut shown, output)| {
            // The blank line between an output and the next command is the block's layout.
            shown.output = output.join("\n").trim_end().to_string();
            shown
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DECK: &str = "---\ntitle: t\n---\n\nIdea\n===\n\n```console\n$ capas images\nREPOSITORY   TAG\n\n$ capas ps -a\n```\n\n<!-- end_slide -->\n\n<!-- // exit: 1 -->\n```console\n$ capas rmi x\nError: no\n```\n\n<!-- // file: ctx/Dockerfile -->\n```dockerfile\nFROM alpine:3.19\n```\n\n<!-- // picture: stack c1 -->\n\n![The stack](img/lab03-stack.png)\n\n```sh\n$ not run\n```\n";

    fn deck() -> Deck {
        Deck::parse(Path::new("slides/en/lab03.md"), DECK).expect("parses")
    }

    #[test]
    fn rendering_gives_the_file_back() {
        assert_eq!(deck().render(), DECK);
    }

    #[test]
    fn console_blocks_hold_commands_and_outputs() {
        let d = deck();
        let blocks: Vec<&Console> = d.consoles().collect();
        assert_eq!(blocks.len(), 2, "the ```sh block is not run");
        assert_eq!(blocks[0].commands[0].command, "capas images");
        assert_eq!(blocks[0].commands[0].output, "REPOSITORY   TAG");
        assert_eq!(blocks[0].commands[0].line, 9);
        assert_eq!(blocks[0].commands[1].output, "");
        assert_eq!(blocks[0].expected_exit(1), 0);
        assert_eq!(blocks[1].expected_exit(0), 1);
    }

    #[test]
    fn blank_lines_inside_an_output_are_kept() {
        let text = "```console\n$ capas image prune -f\nDeleted Images:\ndeleted: x\n\nTotal reclaimed space: 1B\n```\n";
        let d = Deck::parse(Path::new("d.md"), text).expect("parses");
        let c = d.consoles().next().expect("a block");
        assert_eq!(
            c.commands[0].output,
            "Deleted Images:\ndeleted: x\n\nTotal reclaimed space: 1B"
        );
        assert_eq!(d.render(), text);
    }

    #[test]
    fn directives_become_actions() {
        let d = deck();
        let picture = d.pictures().next().expect("a picture");
        assert_eq!(picture.kind, "stack");
        assert_eq!(picture.args, ["c1"]);
        assert_eq!(picture.svg(), "img/lab03-stack.svg");
        assert!(d.parts.iter().any(|p| matches!(p,
            Part::Action { action: Action::WriteFile { path, content }, .. }
                if path == "ctx/Dockerfile" && content == "FROM alpine:3.19\n")));
    }

    #[test]
    fn a_picture_without_its_image_line_is_refused() {
        let err = Deck::parse(Path::new("d.md"), "<!-- // picture: stack c1 -->\n\ntext\n")
            .expect_err("no image line");
        assert!(err.to_string().starts_with("d.md:1: "), "{err}");
    }

    #[test]
    fn a_file_outside_the_working_directory_is_refused() {
        for bad in ["/etc/passwd", "../x", "a/../../x"] {
            let text = format!("<!-- // file: {bad} -->\n```\nx\n```\n");
            assert!(Deck::parse(Path::new("d.md"), &text).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_unclosed_block_names_its_line() {
        let err = Deck::parse(Path::new("d.md"), "a\n```console\n$ capas images\n")
            .expect_err("unclosed");
        assert_eq!(err.to_string(), "d.md:2: this code block is never closed");
    }
}
