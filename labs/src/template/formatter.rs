//! Docker's formatter: how `images`, `ps` and `history` turn `--format` into output, and how
//! `inspect -f` does.
//!
//! The docker CLI (`cli/command/formatter/formatter.go`) reads a `--format` value so:
//! 1. `table …` is a table: the word is cut off, the rest is the template of one row, and a
//!    header row comes first, made by running the same template on the column names
//!    (`table {{.Repository}}:{{.Tag}}` is headed `REPOSITORY:TAG`);
//! 2. `json` alone is `{{json .}}`: one JSON object a line;
//! 3. spaces around the format are trimmed, and the two-character sequences `\t` and `\n`
//!    become a tab and a newline, *before* parsing (so a `\n` inside a quoted string is a
//!    real newline there, which Go refuses: `unterminated quoted string`);
//! 4. each row is the template's output and a newline; for a table, the whole is aligned by
//!    Go's `tabwriter` with Docker's settings ([`crate::format::tabwrite`]).
//!
//! An error in any row prints nothing but the error (`template parsing error: …`, exit 1).
//! `docker ps` checks its format first, on an empty row, with errors of its own
//! ([`check_container_format`]); `docker inspect -f` prints what it can and an error per
//! object that failed ([`inspect`]).

use crate::template::context::{ContainerRow, Row, header};
use crate::template::funcs::{basic_functions, header_functions};
use crate::template::value::Value;
use crate::template::{Template, TemplateError};

/// A `--format` error as the docker CLI reports it: its text, and the exit status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    /// What Docker prints on stderr (no `Error:` prefix):
    /// `template parsing error: template: :1: unclosed action`.
    pub message: String,
    /// Docker's exit status: 1, or 64 for a template `inspect -f` cannot parse.
    pub status: i32,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FormatError {}

impl FormatError {
    fn new(prefix: &str, error: &TemplateError, status: i32) -> FormatError {
        FormatError {
            message: format!("{prefix}: {error}"),
            status,
        }
    }
}

/// A `--format` of a listing command, read as Docker reads it.
///
/// ```
/// use capas_labs::template::{Format, HistoryRow};
///
/// let rows = [HistoryRow { id: "04f4ca558177".into(), size: "3B".into(), ..Default::default() }];
/// let format = Format::parse(r"table {{.ID}}\t{{.Size}}").unwrap();
/// assert_eq!(
///     format.render(&rows).unwrap(),
///     "IMAGE          SIZE\n04f4ca558177   3B\n"
/// );
/// ```
#[derive(Clone, Debug)]
pub struct Format {
    table: bool,
    template: Template,
}

impl Format {
    /// Docker's `preFormat` and `parseFormat`. The command first maps its keywords to its
    /// own formats (`table` alone to [`Row::TABLE`], `raw` to `RAW`), as Docker's
    /// `NewImageFormat` and `NewContainerFormat` do.
    pub fn parse(format: &str) -> Result<Format, FormatError> {
        let table = format.starts_with("table");
        let body = if table {
            &format["table".len()..]
        } else if format == "json" {
            "{{json .}}"
        } else {
            format
        };
        let body = body
            .trim_matches(' ')
            .replace("\\t", "\t")
            .replace("\\n", "\n");
        let template = Template::parse(&body)
            .map_err(|e| FormatError::new("template parsing error", &e, 1))?;
        Ok(Format { table, template })
    }

    /// Whether this is a `table` format (with a header row).
    pub fn is_table(&self) -> bool {
        self.table
    }

    /// Docker's `Context.Write`: every row, then (for a table) the header on top and the
    /// columns aligned. An error in a row is the whole result.
    pub fn render<R: Row>(&self, rows: &[R]) -> Result<String, FormatError> {
        let funcs = basic_functions();
        let mut body = String::new();
        for row in rows {
            let (out, error) = self.template.run(&row.value(), &funcs);
            if let Some(e) = error {
                return Err(FormatError::new("template parsing error", &e, 1));
            }
            body.push_str(&out);
            body.push('\n');
        }
        if !self.table {
            return Ok(body);
        }
        // The header: what the template writes on the column names before any error
        // (Docker ignores the error, `table {{json .}}` has an empty header).
        let (mut text, _) = self.template.run(&header::<R>(), &header_functions());
        text.push('\n');
        text.push_str(&body);
        Ok(crate::format::tabwrite(&text))
    }
}

/// `docker ps --format`'s own check, before it lists anything: the format as given is
/// parsed (`failed to parse template: …`) and run on an empty container (`failed to
/// execute template: …`), as Docker does to see whether it asks for `.Size`.
pub fn check_container_format(format: &str) -> Result<(), FormatError> {
    let template =
        Template::parse(format).map_err(|e| FormatError::new("failed to parse template", &e, 1))?;
    // The values of Docker's empty ContainerContext.
    let empty = ContainerRow {
        image: "<no image>".into(),
        command: "\"\"".into(),
        created_at: "1970-01-01 00:00:00 +0000 UTC".into(),
        size: "0B".into(),
        local_volumes: "0".into(),
        ..Default::default()
    };
    let (_, error) = template.run(&empty.value(), &basic_functions());
    match error {
        Some(e) => Err(FormatError::new("failed to execute template", &e, 1)),
        None => Ok(()),
    }
}

/// What `docker inspect -f` prints for some objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspected {
    /// Standard output: one line per object the template worked on; a lone newline when
    /// none did (Docker's `Flush` of an empty buffer).
    pub stdout: String,
    /// One message per object that failed, in order: Docker prints them on stderr.
    pub errors: Vec<String>,
    /// The exit status: 0, 1 when an object failed, 64 when the template does not parse.
    pub status: i32,
}

/// `docker inspect -f FORMAT` over `objects` (each made by
/// [`inspect_value`](crate::template::inspect_value)). No `\t` or `table` processing here:
/// inspect parses the format as it is.
pub fn inspect(format: &str, objects: &[Value]) -> Inspected {
    let template = match Template::parse(format) {
        Ok(t) => t,
        Err(e) => {
            let error = FormatError::new("template parsing error", &e, 64);
            return Inspected {
                stdout: String::new(),
                errors: vec![error.message],
                status: error.status,
            };
        }
    };
    let funcs = basic_functions();
    let mut stdout = String::new();
    let mut errors = Vec::new();
    for object in objects {
        match template.run(object, &funcs) {
            (out, None) => {
                stdout.push_str(&out);
                stdout.push('\n');
            }
            (_, Some(e)) => errors.push(FormatError::new("template parsing error", &e, 1).message),
        }
    }
    if stdout.is_empty() {
        stdout.push('\n');
    }
    let status = if errors.is_empty() { 0 } else { 1 };
    Inspected {
        stdout,
        errors,
        status,
    }
}
