//! The data a template sees: Go's kinds of value, and how Go prints them.
//!
//! Docker's templates run on Go values found by reflection: a formatter context
//! (`*formatter.imageContext`, whose "fields" are methods returning strings), or the typed
//! struct `docker inspect` decoded (`types.ImageInspect`, with its slices, maps and nested
//! structs). Rust has no reflection, so the commands hand the engine a [`Value`] that says
//! what Go would have seen: which kind it is, and for a struct, which kind of Go type it
//! stands for, since that decides what an unknown field does (an error, or `<no value>`).
//!
//! Printing follows Go's `fmt` `%v`, which is what `{{.}}` and `{{.Config.Env}}` show: a list as
//! `[a b]`, a map as `map[k:v]` with its keys sorted, a struct as `{v1 v2}`, a nil pointer as
//! `<nil>`. [`Value::to_json`] follows Go's `encoding/json`, which is what `{{json .}}` shows.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// A value as a Go template sees it.
#[derive(Clone, Debug)]
pub enum Value {
    /// Go's `nil` (a nil pointer or an empty interface): `{{.Platform}}` of a container
    /// without one prints `<nil>`, `{{json .Platform}}` prints `null`.
    Nil,
    /// A `bool`.
    Bool(bool),
    /// A signed integer (Go's `int`, `int64`): `{{.Size}}` of `docker inspect`.
    Int(i64),
    /// An unsigned integer; `{{index "abc" 0}}` is a byte (`uint8`) in Go.
    Uint(u64),
    /// A `float64`.
    Float(f64),
    /// A `string`: every field of Docker's formatter contexts is one.
    String(String),
    /// A slice, such as the `[]string` of `RepoTags` or what `split` returns.
    List(List),
    /// A map with string keys, such as `Config.Labels`.
    Map(Map),
    /// A Go struct: a formatter context, an inspect object, a table header.
    Struct(Arc<Struct>),
}

/// A Go slice. Go tells a nil slice (`null` in JSON) from an empty one (`[]`); both print
/// `[]` with `{{.}}`.
#[derive(Clone, Debug, Default)]
pub struct List {
    /// The elements, in order.
    pub items: Vec<Value>,
    /// A nil slice: `{{json .Config.Entrypoint}}` of an image without one is `null`.
    pub nil: bool,
}

/// A Go map with string keys. Go prints and ranges over a map in key order, and
/// `encoding/json` sorts its keys, so the entries are kept sorted.
#[derive(Clone, Debug, Default)]
pub struct Map {
    /// The entries, sorted by key.
    pub entries: BTreeMap<String, Value>,
    /// A nil map (`null` in JSON); it prints `map[]` like an empty one.
    pub nil: bool,
}

/// What kind of Go type a [`Struct`] stands for: it decides what an unknown field, a field
/// given arguments, `{{.}}` and `{{json .}}` do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StructKind {
    /// One of Docker's formatter contexts (`*formatter.imageContext`): each field is a Go
    /// method, so a field given arguments is a wrong number of arguments, an unknown field
    /// is `can't evaluate field Nope in type *formatter.imageContext`, and `{{json .}}` is
    /// Docker's `MarshalJSON`: every field, keys sorted, `<` and `>` escaped as `\u003c`.
    Context,
    /// An object of `docker inspect`'s JSON. Docker runs the template on its typed struct and,
    /// when that fails, once more on the raw JSON with `missingkey=error`, and reports the
    /// second error: so an unknown field is `map has no entry for key "Nope"`, while the
    /// struct prints as a struct (`{layers [sha256:…]}`) and its JSON keeps the field order.
    Inspect,
    /// The header of a `table` format: Docker's `SubHeaderContext`, a `map[string]string`
    /// with a `Label` method, so an unknown field prints `<no value>`.
    Header,
}

/// The body of a [`Method`]: its string arguments in, its value out.
pub type MethodFn = Arc<dyn Fn(&[String]) -> Value + Send + Sync>;

/// A method that takes arguments, such as `{{.Label "com.example"}}` of `docker ps`.
#[derive(Clone)]
pub struct Method {
    /// Its name, as the template spells it.
    pub name: &'static str,
    /// How many `string` parameters it takes (Docker's take strings only).
    pub arity: usize,
    /// The method itself.
    pub call: MethodFn,
}

impl std::fmt::Debug for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Method({}/{})", self.name, self.arity)
    }
}

/// A Go struct: named fields in declaration order, and methods that take arguments.
#[derive(Clone, Debug)]
pub struct Struct {
    /// The Go type, as Go's errors name it (`*formatter.imageContext`).
    pub type_name: String,
    /// What kind of Go type this is.
    pub kind: StructKind,
    /// The fields (or argument-less methods), in declaration order.
    pub fields: Vec<(String, Value)>,
    /// The methods that take arguments.
    pub methods: Vec<Method>,
    /// Fields Go's type has but the data left out (`omitempty` in JSON), with their zero
    /// values: a lookup finds them, `{{.}}` and `{{json .}}` do not show them, as
    /// Docker's `{{json .Config}}` does not.
    pub absent: Vec<(String, Value)>,
}

impl Struct {
    /// A struct of `kind` named `type_name`, with no fields yet.
    pub fn new(type_name: &str, kind: StructKind) -> Struct {
        Struct {
            type_name: type_name.to_string(),
            kind,
            fields: Vec::new(),
            methods: Vec::new(),
            absent: Vec::new(),
        }
    }

    /// Adds a field.
    pub fn field(mut self, name: &str, value: Value) -> Struct {
        self.fields.push((name.to_string(), value));
        self
    }

    /// Adds a method that takes `arity` strings.
    pub fn method(
        mut self,
        name: &'static str,
        arity: usize,
        call: impl Fn(&[String]) -> Value + Send + Sync + 'static,
    ) -> Struct {
        self.methods.push(Method {
            name,
            arity,
            call: Arc::new(call),
        });
        self
    }

    /// The field named `name` (or the zero value of an absent one).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields
            .iter()
            .chain(&self.absent)
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// Wraps the struct as a [`Value`].
    pub fn into_value(self) -> Value {
        Value::Struct(Arc::new(self))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl Value {
    /// A list of strings (Go's `[]string`), as `split` returns.
    pub fn strings<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::List(List {
            items: items.into_iter().map(|s| Value::String(s.into())).collect(),
            nil: false,
        })
    }

    /// A map of strings (Go's `map[string]string`).
    pub fn string_map<K: Into<String>, V: Into<String>>(
        entries: impl IntoIterator<Item = (K, V)>,
    ) -> Value {
        Value::Map(Map {
            entries: entries
                .into_iter()
                .map(|(k, v)| (k.into(), Value::String(v.into())))
                .collect(),
            nil: false,
        })
    }

    /// The Go type of the value, as Go's messages name it (`string`, `[]string`,
    /// `map[string]interface {}`). Slices and maps hold whatever they hold, so their element
    /// type is `string` when every element is one, `interface {}` otherwise.
    pub fn go_type(&self) -> String {
        match self {
            Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Uint(_) => "uint8".into(),
            Value::Float(_) => "float64".into(),
            Value::String(_) => "string".into(),
            Value::List(l) => format!("[]{}", element_type(l.items.iter())),
            Value::Map(m) => format!("map[string]{}", element_type(m.entries.values())),
            Value::Struct(s) => s.type_name.clone(),
        }
    }

    /// Go's truth (`if`, `with`, `and`, `or`, `not`): false, 0, nil, and an empty string,
    /// slice or map are false; a struct is always true.
    pub fn truth(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Uint(u) => *u != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::List(l) => !l.items.is_empty(),
            Value::Map(m) => !m.entries.is_empty(),
            Value::Struct(_) => true,
        }
    }

    /// Go's `fmt.Sprint` of the value (`%v`): what `{{.}}` writes.
    pub fn to_go_string(&self) -> String {
        let mut out = String::new();
        write_v(&mut out, self);
        out
    }

    /// Go's `encoding/json` of the value, as Docker's `json` function writes it: no HTML
    /// escaping, except inside a formatter context, which Docker marshals with
    /// `json.Marshal` (so `<none>` is `\u003cnone\u003e` in `images --format json`).
    /// `None` for what Go refuses to encode (NaN and infinities): Docker's `json` then
    /// writes nothing.
    pub fn to_json(&self) -> Option<String> {
        let mut out = String::new();
        write_json(&mut out, self, false).then_some(out)
    }
}

fn element_type<'a>(mut items: impl Iterator<Item = &'a Value>) -> &'static str {
    if items.all(|v| matches!(v, Value::String(_))) {
        "string"
    } else {
        "interface {}"
    }
}

/// Go's `%v`, recursively. Inside a composite value Go prints nil as `<nil>`.
pub(crate) fn write_v(out: &mut String, value: &Value) {
    match value {
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Uint(u) => {
            let _ = write!(out, "{u}");
        }
        Value::Float(f) => out.push_str(&format_float_v(*f)),
        Value::String(s) => out.push_str(s),
        Value::List(l) => {
            out.push('[');
            for (i, item) in l.items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_v(out, item);
            }
            out.push(']');
        }
        Value::Map(m) => write_map(out, m.entries.iter()),
        Value::Struct(s) if s.kind == StructKind::Header => {
            // A SubHeaderContext is a Go map: printed sorted, as `map[k:v]`.
            let mut sorted: Vec<_> = s.fields.iter().map(|(k, v)| (k, v)).collect();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            write_map(out, sorted.into_iter());
        }
        Value::Struct(s) => {
            out.push('{');
            for (i, (_, v)) in s.fields.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_v(out, v);
            }
            out.push('}');
        }
    }
}

fn write_map<'a>(out: &mut String, entries: impl Iterator<Item = (&'a String, &'a Value)>) {
    out.push_str("map[");
    for (i, (k, v)) in entries.enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(k);
        out.push(':');
        write_v(out, v);
    }
    out.push(']');
}

/// Go's `%v` of a `float64`: `strconv.FormatFloat(f, 'g', -1, 64)`, the shortest digits
/// that read back as the same number, in exponent form when the exponent is below -4 or at
/// least 6 when written as `d.ddd` (`1e+06`, `1.5`, `0.0001`, `1e-05`).
pub(crate) fn format_float_v(f: f64) -> String {
    crate::template::printf::format_float(f, 'g', None)
}

/// `+Inf`, `-Inf` and `NaN`, as Go spells them.
pub(crate) fn special_float(f: f64) -> Option<&'static str> {
    if f.is_nan() {
        Some("NaN")
    } else if f == f64::INFINITY {
        Some("+Inf")
    } else if f == f64::NEG_INFINITY {
        Some("-Inf")
    } else {
        None
    }
}

/// The shortest decimal digits of `|f|` (no trailing zeros, `"0"` for zero) and the
/// decimal exponent of the first one.
pub(crate) fn shortest_digits(f: f64) -> (String, i32) {
    let text = format!("{:e}", f.abs());
    split_exponent(&text)
}

/// Splits Rust's `1.2345e3` into `("12345", 3)`.
pub(crate) fn split_exponent(text: &str) -> (String, i32) {
    let (mantissa, exp) = text.split_once('e').unwrap_or((text, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    (digits, exp.parse().unwrap_or(0))
}

/// `d.ddde±XX` from digits and exponent, with `decimals` digits after the point (the digits
/// are padded with zeros when there are fewer).
pub(crate) fn format_e_digits(
    negative: bool,
    digits: &str,
    exp: i32,
    decimals: usize,
    e: char,
) -> String {
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    let mut chars = digits.chars();
    out.push(chars.next().unwrap_or('0'));
    if decimals > 0 {
        out.push('.');
        let rest: String = chars.chain(std::iter::repeat('0')).take(decimals).collect();
        out.push_str(&rest);
    }
    out.push(e);
    out.push(if exp < 0 { '-' } else { '+' });
    let _ = write!(out, "{:02}", exp.unsigned_abs());
    out
}

/// Plain decimal notation of `0.digits × 10^(exp+1)`, with no more decimals than the
/// digits need.
fn format_f_digits(negative: bool, digits: &str, exp: i32) -> String {
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if exp < 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
        out.push_str(digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(digits);
            out.extend(std::iter::repeat_n('0', int_len - digits.len()));
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

/// Go's `encoding/json`; `html` escapes `<`, `>` and `&` as `json.Marshal` does. Returns
/// false for a value Go cannot encode.
fn write_json(out: &mut String, value: &Value, html: bool) -> bool {
    match value {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Uint(u) => {
            let _ = write!(out, "{u}");
        }
        Value::Float(f) => match json_float(*f) {
            Some(text) => out.push_str(&text),
            None => return false,
        },
        Value::String(s) => json_string(out, s, html),
        Value::List(l) if l.nil => out.push_str("null"),
        Value::List(l) => {
            out.push('[');
            for (i, item) in l.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !write_json(out, item, html) {
                    return false;
                }
            }
            out.push(']');
        }
        Value::Map(m) if m.nil => out.push_str("null"),
        Value::Map(m) => {
            if !write_json_object(out, m.entries.iter(), html) {
                return false;
            }
        }
        Value::Struct(s) => match s.kind {
            // Docker's MarshalJSON: a Go map of every field, so sorted and HTML-escaped.
            StructKind::Context | StructKind::Header => {
                let sorted: BTreeMap<&String, &Value> =
                    s.fields.iter().map(|(k, v)| (k, v)).collect();
                if !write_json_object(out, sorted.into_iter(), true) {
                    return false;
                }
            }
            StructKind::Inspect => {
                if !write_json_object(out, s.fields.iter().map(|(k, v)| (k, v)), html) {
                    return false;
                }
            }
        },
    }
    true
}

fn write_json_object<'a>(
    out: &mut String,
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
    html: bool,
) -> bool {
    out.push('{');
    for (i, (k, v)) in entries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(out, k, html);
        out.push(':');
        if !write_json(out, v, html) {
            return false;
        }
    }
    out.push('}');
    true
}

/// Go's JSON number for a `float64`: the shortest digits, plain between 1e-6 and 1e21,
/// else in exponent form with the exponent's leading zero dropped (`1e-07` → `1e-7`).
fn json_float(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let (digits, exp) = shortest_digits(f);
        let text = format_e_digits(
            f.is_sign_negative(),
            &digits,
            exp,
            digits.len().saturating_sub(1),
            'e',
        );
        // Go's clean-up: e-09 becomes e-9 (only negative exponents have the zero dropped).
        return Some(match text.find("e-0") {
            Some(at) => format!("{}e-{}", &text[..at], &text[at + 3..]),
            None => text,
        });
    }
    let (digits, exp) = shortest_digits(f);
    Some(format_f_digits(f.is_sign_negative(), &digits, exp))
}

/// A JSON string as Go writes it: `"`, `\` and control characters escaped (`\n`, `\r`,
/// `\t`, else `\u00XX`), U+2028 and U+2029 always escaped, and `<`, `>`, `&` when `html`.
pub(crate) fn json_string(out: &mut String, s: &str, html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if html => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_go_prints_them() {
        // From `docker history --format '{{printf "%v" …}}'` and `{{print …}}` on CLI 28.
        let cases = [
            (1.5, "1.5"),
            (1e6, "1e+06"),
            (1e21, "1e+21"),
            (0.000012, "1.2e-05"),
            (100000000.0, "1e+08"),
            (123456789.0, "1.23456789e+08"),
            (1e20, "1e+20"),
            (2.0, "2"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (-0.0, "-0"),
            (3.0e100, "3e+100"),
            (123456.0, "123456"),
            (0.0, "0"),
        ];
        for (f, want) in cases {
            assert_eq!(format_float_v(f), want, "{f}");
        }
    }

    #[test]
    fn composites_print_as_go_prints_them() {
        let list = Value::strings(["a", "b"]);
        assert_eq!(list.to_go_string(), "[a b]");
        let map = Value::string_map([("version", "1"), ("a", "b")]);
        assert_eq!(map.to_go_string(), "map[a:b version:1]");
        let nested = Struct::new("image.RootFS", StructKind::Inspect)
            .field("Type", "layers".into())
            .field("Layers", Value::strings(["sha256:aa"]))
            .into_value();
        assert_eq!(nested.to_go_string(), "{layers [sha256:aa]}");
        let with_nil = Value::List(List {
            items: vec![Value::Nil, Value::Int(3)],
            nil: false,
        });
        assert_eq!(with_nil.to_go_string(), "[<nil> 3]");
    }

    #[test]
    fn json_follows_encoding_json() {
        let v = Value::List(List {
            items: vec![
                Value::Float(1.5),
                Value::Float(1e23),
                Value::Float(1e-7),
                Value::Float(100.0),
                "<&>".into(),
                Value::Nil,
                Value::Bool(true),
            ],
            nil: false,
        });
        assert_eq!(
            v.to_json().as_deref(),
            Some(r#"[1.5,1e+23,1e-7,100,"<&>",null,true]"#)
        );
        assert_eq!(Value::Float(f64::NAN).to_json(), None);
        let nil_list = Value::List(List {
            items: vec![],
            nil: true,
        });
        assert_eq!(nil_list.to_json().as_deref(), Some("null"));
        assert_eq!(nil_list.to_go_string(), "[]");
    }

    #[test]
    fn a_context_marshals_sorted_and_html_escaped() {
        let ctx = Struct::new("*formatter.imageContext", StructKind::Context)
            .field("Tag", "<none>".into())
            .field("ID", "04f4ca558177".into())
            .into_value();
        assert_eq!(
            ctx.to_json().as_deref(),
            Some(r#"{"ID":"04f4ca558177","Tag":"\u003cnone\u003e"}"#)
        );
        let inspect = Struct::new("types.ImageInspect", StructKind::Inspect)
            .field("Tag", "<none>".into())
            .field("ID", "x".into())
            .into_value();
        assert_eq!(
            inspect.to_json().as_deref(),
            Some(r#"{"Tag":"<none>","ID":"x"}"#)
        );
    }

    #[test]
    fn truth_is_go_truth() {
        assert!(!Value::from("").truth());
        assert!(Value::from("x").truth());
        assert!(!Value::Int(0).truth());
        assert!(!Value::Nil.truth());
        assert!(!Value::strings(Vec::<String>::new()).truth());
        assert!(Struct::new("T", StructKind::Context).into_value().truth());
    }
}
