//! Docker's `--format` templates: Go's `text/template`, with Docker's functions and
//! keywords.
//!
//! `docker images --format '{{.Repository}}:{{.Tag}}'`, `docker ps --format 'table
//! {{.Names}}\t{{.Status}}'`, `docker inspect -f '{{json .Config}}'`: the docker CLI runs
//! these through Go's template language over the data it shows. This module is that
//! language, so a student can paste a format from Docker's documentation into `capas` and
//! get what Docker prints, errors included.
//!
//! # What a template is
//!
//! Text, with actions between `{{` and `}}`. An action is a *pipeline*: commands separated
//! by `|`, each a field (`.Repository`), a function and its arguments (`printf "%s" .Tag`),
//! or a constant; each command's value is given to the next as its last argument. Dot (`.`)
//! is the row being printed; `{{if}}`, `{{range}}` and `{{with}}` choose and repeat, and
//! `{{range}}` and `{{with}}` move dot. The whole language is in Go's `text/template`
//! documentation; Docker adds functions (`json`, `join`, `split`, `title`, `lower`,
//! `upper`, `pad`, `truncate`) and the `table` and `json` keywords.
//!
//! ```
//! use capas_labs::template::{Format, ImageRow};
//!
//! let rows = [ImageRow {
//!     repository: "alpine".into(),
//!     tag: "3.19".into(),
//!     size: "7.38MB".into(),
//!     ..Default::default()
//! }];
//! let format = Format::parse("{{.Repository}}:{{.Tag}} {{upper .Size}}").unwrap();
//! assert_eq!(format.render(&rows).unwrap(), "alpine:3.19 7.38MB\n");
//!
//! let error = Format::parse("{{.Nope}}").unwrap().render(&rows).unwrap_err();
//! assert_eq!(
//!     error.message,
//!     r#"template parsing error: template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type *formatter.imageContext"#
//! );
//! ```
//!
//! # Layout
//!
//! | file | Go or Docker source | concept |
//! | --- | --- | --- |
//! | `lex.rs` | `text/template/parse/lex.go` | cutting a template into items; `{{-` and `-}}` trimming |
//! | `parse.rs` | `parse/parse.go`, `parse/node.go` | the tree of actions, pipelines, commands |
//! | `exec.rs` | `text/template/exec.go` | walking the tree over the data; errors that say where |
//! | `value.rs` | `reflect` and `fmt`'s `%v`, `encoding/json` | Go's kinds of value, and how they print |
//! | `printf.rs` | `fmt` | `printf`'s verbs, flags, widths, and `%!d(string=x)` |
//! | `funcs.rs` | `text/template/funcs.go`, docker `cli/templates` | the functions: Go's and Docker's |
//! | `formatter.rs` | docker `cli/command/formatter`, `cli/command/inspect` | `table`, `json`, headers, alignment, `inspect -f` |
//! | `context.rs` | docker's `imageContext`, `ContainerContext`, `historyContext` | what each command's template sees |
//!
//! # Why capas has its own engine
//!
//! Two crates implement Go's templates: `gtmpl` (0.7.1, 2021: no `break`/`continue`, an
//! incomplete `printf`) and `gotmpl` (0.6.1, well kept, the whole syntax). Neither fits the
//! part a Docker user meets most: the errors. Docker prints Go's errors as they are, and
//! `gotmpl`'s execution errors carry no position (Go says `template: :1:2: executing ""
//! at <.Nope>: …`), its parse errors a column Go does not print, and its wording differs
//! (`map has no entry for key: X` where Go says `map has no entry for key "X"`). And both
//! see data as maps, where Docker's contexts are Go structs: an unknown field is an error
//! there, not `<no value>`. So this is a port of Go's lexer, parser and executor, smaller
//! than either crate because it knows only the data Docker has.
//!
//! # What differs from Docker, and why
//!
//! * `{{.}}` of a formatter context prints its fields (`{alpine 3.19 …}`); Docker prints
//!   the Go struct behind it, internal fields and all, which no one can use.
//! * `{{.Config}}` of `inspect -f` prints the JSON's fields as a Go struct does, but
//!   Docker's typed struct has fields the JSON leaves out (and they change between CLI
//!   versions), so whole-struct printing can differ; single fields (`{{.Config.Cmd}}`) and
//!   `{{json .Config}}` agree.
//! * Complex numbers and `%p` are not supported.
//! * `truncate` and `slice` cut strings at bytes, as Go does; a cut inside a UTF-8
//!   character keeps whole characters (Go would write a broken one).

mod context;
mod exec;
mod formatter;
mod funcs;
mod lex;
mod parse;
mod printf;
mod value;

pub use context::{ContainerRow, HistoryRow, ImageRow, Row, header, inspect_value};
pub use formatter::{Format, FormatError, Inspected, check_container_format, inspect};
pub use value::{List, Map, Method, MethodFn, Struct, StructKind, Value};

use funcs::FuncMap;
use parse::Trees;

/// An error of Go's template package, worded as Go words it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateError {
    /// The template does not parse: `template: :1: unexpected "}" in operand`.
    Parse(String),
    /// Running it failed: `template: :1:2: executing "" at <.Nope>: …`.
    Exec(String),
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::Parse(m) | TemplateError::Exec(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for TemplateError {}

/// A parsed template, with Docker's functions (`templates.Parse` in the docker CLI).
#[derive(Clone, Debug)]
pub struct Template {
    text: String,
    trees: Trees,
}

impl Template {
    /// Parses `text` as Go does, with Go's builtins and Docker's functions.
    ///
    /// ```
    /// use capas_labs::template::Template;
    ///
    /// let error = Template::parse("{{.Repository}").unwrap_err();
    /// assert_eq!(error.to_string(), "template: :1: bad character U+007D '}'");
    /// ```
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let names = funcs::names(&funcs::basic_functions());
        let trees = parse::parse(text, &names).map_err(|e| TemplateError::Parse(e.0))?;
        Ok(Template {
            text: text.to_string(),
            trees,
        })
    }

    /// Runs the template on `data`.
    ///
    /// ```
    /// use capas_labs::template::{Template, Value};
    ///
    /// let t = Template::parse(r#"{{join (split . ":") "/"}}"#).unwrap();
    /// assert_eq!(t.execute(&Value::from("text:with:colon")).unwrap(), "text/with/colon");
    /// ```
    pub fn execute(&self, data: &Value) -> Result<String, TemplateError> {
        match self.run(data, &funcs::basic_functions()) {
            (out, None) => Ok(out),
            (_, Some(e)) => Err(e),
        }
    }

    /// Runs the template with `funcs`: what it wrote, and the error that stopped it.
    fn run(&self, data: &Value, funcs: &FuncMap) -> (String, Option<TemplateError>) {
        let (out, error) = exec::execute(&self.trees, &self.text, funcs, data);
        (out, error.map(|e| TemplateError::Exec(e.0)))
    }
}

#[cfg(test)]
mod tests;
