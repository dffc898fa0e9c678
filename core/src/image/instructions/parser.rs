//! The Dockerfile grammar: from text to a list of instructions, and the variable
//! substitution (`$X`, `${X:-default}`) that Docker applies to most instructions' arguments.
//!
//! Written here rather than taken from a crate: the Rust Dockerfile parsers on crates.io are
//! either unmaintained (`dockerfile-parser`, last released years ago, no `# escape=`) or
//! generators rather than parsers, and the grammar is small. It follows BuildKit's
//! `frontend/dockerfile/parser` and `shell/lex.go`:
//!
//! * **parser directives** (`# escape=\``, `# syntax=…`) are read only at the very top, before
//!   any comment, blank line or instruction;
//! * a line ending in the escape character continues on the next one; comment lines inside a
//!   continued instruction are dropped;
//! * lines whose first non-blank character is `#` are comments;
//! * an instruction is a keyword (any case), optional `--flag=value`s (for `FROM`, `RUN`,
//!   `COPY`, `ADD`, `HEALTHCHECK`), and its arguments: **JSON form** (`["a","b"]`) when they
//!   parse as a JSON array of strings, **shell form** (text) otherwise.
//!
//! Heredocs (`RUN <<EOF`) are not supported: they are reported as a parse error.

use std::collections::BTreeMap;

// The words of the arguments, where they were before they got a file of their own.
pub use super::words::{pairs, word, words};

/// The instructions capas knows (Docker's list, `ONBUILD` and `MAINTAINER` included).
pub const KEYWORDS: &[&str] = &[
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "MAINTAINER",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
];

/// Instructions whose leading `--name=value` words are flags.
const TAKES_FLAGS: &[&str] = &["FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"];

/// A Dockerfile that could not be parsed: Docker's `dockerfile parse error line N: …`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dockerfile parse error line {line}: {message}")]
pub struct ParseError {
    /// The (first) line of the offending instruction, counting from 1.
    pub line: usize,
    /// What is wrong, in BuildKit's words where it has some.
    pub message: String,
}

/// The arguments of an instruction, in the form they were written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    /// Exec (JSON) form: `["cat", "/app/x"]`.
    Json(Vec<String>),
    /// Shell form: the rest of the line, continuations joined, trimmed.
    Text(String),
}

/// One instruction of a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// The line it starts on, counting from 1 (what error messages cite).
    pub line: usize,
    /// The keyword, upper case (`COPY`).
    pub keyword: String,
    /// Its `--name=value` flags, in order (`--from=build` → `("from", "build")`; a bare
    /// `--link` gives an empty value).
    pub flags: Vec<(String, String)>,
    /// Its arguments.
    pub args: Args,
}

impl Instruction {
    /// The value of flag `name`, if given.
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The arguments as text (a JSON form is given back as JSON).
    pub fn text(&self) -> String {
        match &self.args {
            Args::Text(t) => t.clone(),
            Args::Json(list) => serde_json::to_string(list).unwrap_or_default(),
        }
    }
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// The escape character (`\` unless a `# escape=` directive says `` ` ``).
    pub escape: char,
    /// The instructions, in order.
    pub instructions: Vec<Instruction>,
}

/// Parses a Dockerfile.
///
/// ```
/// use capas_core::image::instructions::parser::{parse, Args};
/// let df = parse("FROM alpine:3.19\nRUN echo a \\\n  && echo b\nCMD [\"cat\", \"/x\"]\n")?;
/// assert_eq!(df.instructions.len(), 3);
/// assert_eq!(df.instructions[1].args, Args::Text("echo a   && echo b".into()));
/// assert_eq!(df.instructions[2].args, Args::Json(vec!["cat".into(), "/x".into()]));
/// # Ok::<(), capas_core::image::instructions::parser::ParseError>(())
/// ```
pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut escape = '\\';
    let mut i = 0;
    // Parser directives: only before anything else.
    let mut seen_directives = BTreeMap::new();
    while i < lines.len() {
        let Some((name, value)) = directive(lines[i]) else {
            break;
        };
        if seen_directives.insert(name.clone(), ()).is_some() {
            return Err(ParseError {
                line: i + 1,
                message: format!("only one {name} parser directive can be used"),
            });
        }
        if name == "escape" {
            escape = match value.as_str() {
                "\\" => '\\',
                "`" => '`',
                other => {
                    return Err(ParseError {
                        line: i + 1,
                        message: format!("invalid escape token '{other}' does not match ` or \\"),
                    });
                }
            };
        }
        i += 1;
    }

    let mut instructions = Vec::new();
    while i < lines.len() {
        let start = i;
        let first = lines[i];
        i += 1;
        let trimmed = first.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        // Join continuation lines: a line ending (after trailing blanks) in the escape char.
        let mut logical = String::new();
        let mut current = first;
        loop {
            let (body, continues) = continued(current, escape);
            logical.push_str(body);
            if !continues {
                break;
            }
            // Skip comment lines (and blank lines) inside the continuation.
            let mut next = None;
            while i < lines.len() {
                let l = lines[i];
                i += 1;
                let t = l.trim_start();
                if t.starts_with('#') || t.is_empty() {
                    continue;
                }
                next = Some(l);
                break;
            }
            match next {
                Some(l) => current = l,
                None => break, // a trailing escape at the end of the file: BuildKit accepts it
            }
        }
        instructions.push(instruction(start + 1, logical.trim())?);
    }
    Ok(Dockerfile {
        escape,
        instructions,
    })
}

/// `# name=value` at the top of the file, with a known lower-case name.
fn directive(line: &str) -> Option<(String, String)> {
    let rest = line.trim_start().strip_prefix('#')?;
    let (name, value) = rest.split_once('=')?;
    let name = name.trim().to_ascii_lowercase();
    if !["escape", "syntax", "check"].contains(&name.as_str()) {
        return None;
    }
    Some((name, value.trim().to_string()))
}

/// The line without its continuation mark, and whether it had one.
fn continued(line: &str, escape: char) -> (&str, bool) {
    let t = line.trim_end();
    match t.strip_suffix(escape) {
        Some(body) => (body, true),
        None => (line, false),
    }
}

fn instruction(line: usize, text: &str) -> Result<Instruction, ParseError> {
    let err = |message: String| ParseError { line, message };
    let (word, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let keyword = word.to_ascii_uppercase();
    if !KEYWORDS.contains(&keyword.as_str()) {
        return Err(err(format!("unknown instruction: {word}")));
    }
    let mut rest = rest.trim_start();
    let mut flags = Vec::new();
    if TAKES_FLAGS.contains(&keyword.as_str()) {
        while let Some(flag) = rest.strip_prefix("--") {
            let end = flag.find(char::is_whitespace).unwrap_or(flag.len());
            let (name, value) = flag[..end].split_once('=').unwrap_or((&flag[..end], ""));
            if name.is_empty() {
                return Err(err(format!("{keyword}: empty flag name")));
            }
            flags.push((name.to_string(), value.to_string()));
            rest = flag[end..].trim_start();
        }
    }
    if rest.contains("<<") && ["RUN", "COPY", "ADD"].contains(&keyword.as_str()) {
        // `<<EOF` heredocs need a second pass over the following lines.
        if let Some(pos) = rest.find("<<") {
            let after = &rest[pos + 2..];
            if after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '-' || c == '"') {
                return Err(err(format!(
                    "{keyword}: heredocs are not supported by capas"
                )));
            }
        }
    }
    let args = if rest.starts_with('[') {
        match serde_json::from_str::<Vec<String>>(rest) {
            Ok(list) => Args::Json(list),
            Err(_) => Args::Text(rest.to_string()),
        }
    } else {
        Args::Text(rest.to_string())
    };
    let empty = match &args {
        Args::Text(t) => t.is_empty(),
        Args::Json(l) => l.is_empty() && !["CMD", "ENTRYPOINT"].contains(&keyword.as_str()),
    };
    if empty {
        return Err(err(format!("{keyword} requires at least one argument")));
    }
    Ok(Instruction {
        line,
        keyword,
        flags,
        args,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_join_and_comments_inside_are_dropped() {
        let df = parse("FROM a\nRUN echo a \\\n# a comment\n    b\n\n# top comment\nENV X=1\n")
            .expect("parse");
        assert_eq!(df.instructions.len(), 3);
        assert_eq!(df.instructions[1].line, 2);
        assert_eq!(df.instructions[1].args, Args::Text("echo a     b".into()));
        assert_eq!(df.instructions[2].line, 7);
    }

    #[test]
    fn escape_directive_changes_the_continuation_character() {
        let df = parse("# escape=`\nFROM a\nRUN dir c:\\ `\n  && echo x\n").expect("parse");
        assert_eq!(df.escape, '`');
        assert_eq!(
            df.instructions[1].args,
            Args::Text("dir c:\\   && echo x".into())
        );
    }

    #[test]
    fn a_directive_after_an_instruction_is_a_comment() {
        let df = parse("FROM a\n# escape=`\nRUN x \\\n y\n").expect("parse");
        assert_eq!(df.escape, '\\');
        assert_eq!(df.instructions[1].args, Args::Text("x  y".into()));
    }

    #[test]
    fn json_and_shell_forms() {
        let df = parse("CMD [\"cat\", \"/app/x\"]\nCMD cat /app/x\nCMD [not json\n").expect("p");
        assert_eq!(
            df.instructions[0].args,
            Args::Json(vec!["cat".into(), "/app/x".into()])
        );
        assert_eq!(df.instructions[1].args, Args::Text("cat /app/x".into()));
        assert_eq!(df.instructions[2].args, Args::Text("[not json".into()));
    }

    #[test]
    fn flags_are_split_from_arguments() {
        let df = parse("COPY --from=build --chown=1:2 /a /b\nRUN --mount=x echo").expect("p");
        let copy = &df.instructions[0];
        assert_eq!(copy.flag("from"), Some("build"));
        assert_eq!(copy.flag("chown"), Some("1:2"));
        assert_eq!(copy.args, Args::Text("/a /b".into()));
        // ENV has no flags: `--x` is an argument.
        let df = parse("ENV --x=1").expect("p");
        assert!(df.instructions[0].flags.is_empty());
    }

    #[test]
    fn unknown_instruction_names_the_line() {
        let err = parse("FROM a\n\nFOO bar\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "dockerfile parse error line 3: unknown instruction: FOO"
        );
    }

    #[test]
    fn missing_arguments_are_an_error() {
        let err = parse("FROM a\nCOPY\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("COPY requires at least one argument"));
    }

    #[test]
    fn keywords_are_case_insensitive() {
        let df = parse("from a\nrun echo").expect("p");
        assert_eq!(df.instructions[1].keyword, "RUN");
    }

    #[test]
    fn heredocs_are_refused_clearly() {
        let err = parse("FROM a\nRUN <<EOF\necho\nEOF\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("heredoc"));
    }
}
