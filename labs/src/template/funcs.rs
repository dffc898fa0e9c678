//! The functions a template can call: Go's builtins and Docker's additions.
//!
//! Go's builtins (`text/template/funcs.go`): `and or not len index slice print printf
//! println eq ne lt le gt ge html js urlquery call`. Docker adds, in `cli/templates`:
//!
//! | function | Go | what it does |
//! | --- | --- | --- |
//! | `json` | `json.Encoder`, no HTML escaping | `{{json .Config}}` |
//! | `split` | `strings.Split` | `{{split .Tag "-"}}` → a list |
//! | `join` | `strings.Join` | `{{join .RepoTags ", "}}`: a list of strings only |
//! | `title` | `strings.Title` | the first letter of each word in upper case |
//! | `lower`, `upper` | `strings.ToLower`, `strings.ToUpper` | |
//! | `pad` | `padWithSpace` | `{{pad .Tag 2 1}}`: spaces around a non-empty string |
//! | `truncate` | `truncateWithLength` | the first N bytes |
//!
//! A table's header is the same template run on the column names, with Docker's
//! `HeaderFunctions` instead: `json`, `split`, `join`, `title`, `lower`, `upper` and
//! `truncate` return the name unchanged (so `table {{upper .Repository}}` is headed
//! `REPOSITORY`), while `pad` still pads, to keep the header over its column.
//!
//! Each function declares its Go parameter types, because Go checks arguments against
//! them and says so (`wrong type for value; expected []string; got string`).

use std::collections::{BTreeMap, BTreeSet};

use crate::template::printf::{sprint, sprintf, sprintln};
use crate::template::value::{List, StructKind, Value};

/// A Go parameter type, as far as the engine needs to know it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Param {
    /// `any` or `reflect.Value`: anything, also a missing value.
    Any,
    /// `string`.
    Str,
    /// `int`.
    Int,
    /// `[]string`.
    Strings,
}

impl Param {
    /// The type as Go's messages name it.
    pub(crate) fn go_name(self) -> &'static str {
        match self {
            Param::Any => "interface {}",
            Param::Str => "string",
            Param::Int => "int",
            Param::Strings => "[]string",
        }
    }
}

/// The arguments a function receives, checked against its parameters: `None` is Go's
/// invalid value (a missing map key), which only [`Param::Any`] lets through.
pub(crate) type Args = [Option<Value>];

/// A function of the template.
#[derive(Clone, Copy)]
pub(crate) struct Func {
    /// The fixed parameters.
    pub params: &'static [Param],
    /// The type of the `...` parameter, if there is one.
    pub variadic: Option<Param>,
    /// Go's builtins are special in one way: `and` and `or` do not evaluate all their
    /// arguments.
    pub builtin: bool,
    /// The function; an `Err` is reported as `error calling NAME: …`.
    pub call: fn(&Args) -> Result<Option<Value>, String>,
}

/// The functions by name.
pub(crate) type FuncMap = BTreeMap<&'static str, Func>;

const fn builtin(
    params: &'static [Param],
    variadic: Option<Param>,
    call: fn(&Args) -> Result<Option<Value>, String>,
) -> Func {
    Func {
        params,
        variadic,
        builtin: true,
        call,
    }
}

const fn docker(
    params: &'static [Param],
    call: fn(&Args) -> Result<Option<Value>, String>,
) -> Func {
    Func {
        params,
        variadic: None,
        builtin: false,
        call,
    }
}

use Param::{Any, Int, Str, Strings};

fn go_builtins() -> FuncMap {
    let mut m = FuncMap::new();
    m.insert("and", builtin(&[Any], Some(Any), |_| Ok(None)));
    m.insert("or", builtin(&[Any], Some(Any), |_| Ok(None)));
    m.insert("call", builtin(&[Any], Some(Any), |_| Ok(None)));
    m.insert(
        "not",
        builtin(&[Any], None, |a| Ok(Some(Value::Bool(!truth(&a[0]))))),
    );
    m.insert("len", builtin(&[Any], None, length));
    m.insert("index", builtin(&[Any], Some(Any), index));
    m.insert("slice", builtin(&[Any], Some(Any), slice));
    m.insert(
        "print",
        builtin(&[], Some(Any), |a| Ok(Some(sprint(&nils(a)).into()))),
    );
    m.insert(
        "println",
        builtin(&[], Some(Any), |a| Ok(Some(sprintln(&nils(a)).into()))),
    );
    m.insert(
        "printf",
        builtin(&[Str], Some(Any), |a| {
            let format = string_arg(&a[0]);
            Ok(Some(sprintf(&format, &nils(&a[1..])).into()))
        }),
    );
    m.insert(
        "eq",
        builtin(&[Any], Some(Any), |a| eq(&a[0], &a[1..]).map(bool)),
    );
    m.insert(
        "ne",
        builtin(&[Any, Any], None, |a| eq(&a[0], &a[1..2]).map(|b| bool(!b))),
    );
    m.insert(
        "lt",
        builtin(&[Any, Any], None, |a| lt(&a[0], &a[1]).map(bool)),
    );
    m.insert(
        "le",
        builtin(&[Any, Any], None, |a| le(&a[0], &a[1]).map(bool)),
    );
    m.insert(
        "gt",
        builtin(&[Any, Any], None, |a| le(&a[0], &a[1]).map(|b| bool(!b))),
    );
    m.insert(
        "ge",
        builtin(&[Any, Any], None, |a| lt(&a[0], &a[1]).map(|b| bool(!b))),
    );
    m.insert(
        "html",
        builtin(&[], Some(Any), |a| {
            Ok(Some(html_escape(&eval_args(a)).into()))
        }),
    );
    m.insert(
        "js",
        builtin(&[], Some(Any), |a| {
            Ok(Some(js_escape(&eval_args(a)).into()))
        }),
    );
    m.insert(
        "urlquery",
        builtin(&[], Some(Any), |a| {
            Ok(Some(query_escape(&eval_args(a)).into()))
        }),
    );
    m
}

/// The functions of `docker images|ps|history --format` and `docker inspect -f`: Go's
/// builtins and Docker's `basicFunctions`.
pub(crate) fn basic_functions() -> FuncMap {
    let mut m = go_builtins();
    m.insert(
        "json",
        docker(&[Any], |a| {
            let json = a[0].as_ref().unwrap_or(&Value::Nil).to_json();
            Ok(Some(json.unwrap_or_default().into()))
        }),
    );
    m.insert(
        "split",
        docker(&[Str, Str], |a| {
            Ok(Some(go_split(&string_arg(&a[0]), &string_arg(&a[1]))))
        }),
    );
    m.insert(
        "join",
        docker(&[Strings, Str], |a| {
            Ok(Some(strings_arg(&a[0]).join(&string_arg(&a[1])).into()))
        }),
    );
    m.insert(
        "title",
        docker(&[Str], |a| Ok(Some(go_title(&string_arg(&a[0])).into()))),
    );
    m.insert(
        "lower",
        docker(&[Str], |a| {
            Ok(Some(string_arg(&a[0]).to_lowercase().into()))
        }),
    );
    m.insert(
        "upper",
        docker(&[Str], |a| {
            Ok(Some(string_arg(&a[0]).to_uppercase().into()))
        }),
    );
    m.insert("pad", docker(&[Str, Int, Int], pad));
    m.insert("truncate", docker(&[Str, Int], truncate));
    m
}

/// Docker's `HeaderFunctions`, for the header row of a table: the name comes back as it
/// went in, except through `pad`.
pub(crate) fn header_functions() -> FuncMap {
    let mut m = basic_functions();
    let same: fn(&Args) -> Result<Option<Value>, String> = |a| Ok(a[0].clone());
    m.insert("json", docker(&[Str], same));
    m.insert("split", docker(&[Str, Str], same));
    m.insert("join", docker(&[Str, Str], same));
    m.insert("title", docker(&[Str], same));
    m.insert("lower", docker(&[Str], same));
    m.insert("upper", docker(&[Str], same));
    m.insert("truncate", docker(&[Str, Int], same));
    m
}

/// The names a template may call, for the parser.
pub(crate) fn names(map: &FuncMap) -> BTreeSet<&'static str> {
    map.keys().copied().collect()
}

fn bool(b: bool) -> Option<Value> {
    Some(Value::Bool(b))
}

/// `...any` parameters: a missing value arrives as Go's nil.
fn nils(args: &Args) -> Vec<Value> {
    args.iter()
        .map(|a| a.clone().unwrap_or(Value::Nil))
        .collect()
}

fn string_arg(arg: &Option<Value>) -> String {
    match arg {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

fn int_arg(arg: &Option<Value>) -> i64 {
    match arg {
        Some(Value::Int(i)) => *i,
        _ => 0,
    }
}

fn strings_arg(arg: &Option<Value>) -> Vec<String> {
    match arg {
        Some(Value::List(l)) => l
            .items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                _ => String::new(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Go's `truth`: `isTrue` of the value, a missing value being false.
pub(crate) fn truth(arg: &Option<Value>) -> bool {
    arg.as_ref().is_some_and(Value::truth)
}

/// Go's `strings.Split`: an empty separator splits after each character; an empty string
/// is one empty element.
fn go_split(s: &str, sep: &str) -> Value {
    if sep.is_empty() {
        return Value::strings(s.chars().map(|c| c.to_string()));
    }
    Value::strings(s.split(sep))
}

/// Go's `strings.Title`: an upper-case letter after anything that is not a letter, digit,
/// underscore or apostrophe (`o'neil` → `O'Neil`, `foo-bar` → `Foo-Bar`).
fn go_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_separator = true;
    for c in s.chars() {
        if prev_separator {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_separator = is_title_separator(c);
    }
    out
}

fn is_title_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphanumeric() {
        return false;
    }
    c.is_whitespace()
}

/// Docker's `padWithSpace`: `prefix` spaces before and `suffix` after, unless the string is
/// empty. A negative count panics in Go's `strings.Repeat`, which Go reports.
fn pad(a: &Args) -> Result<Option<Value>, String> {
    let s = string_arg(&a[0]);
    if s.is_empty() {
        return Ok(Some(s.into()));
    }
    let (prefix, suffix) = (int_arg(&a[1]), int_arg(&a[2]));
    if prefix < 0 || suffix < 0 {
        return Err("strings: negative Repeat count".into());
    }
    let spaces = |n: i64| " ".repeat(usize::try_from(n).unwrap_or(0));
    Ok(Some(
        format!("{}{s}{}", spaces(prefix), spaces(suffix)).into(),
    ))
}

/// Docker's `truncateWithLength`: the first `length` bytes (Go slices strings by byte;
/// a cut inside a character keeps the whole characters before it, where Go would keep a
/// broken one).
fn truncate(a: &Args) -> Result<Option<Value>, String> {
    let s = string_arg(&a[0]);
    let length = int_arg(&a[1]);
    if length < 0 {
        return Err(format!(
            "runtime error: slice bounds out of range [:{length}]"
        ));
    }
    let length = usize::try_from(length).unwrap_or(usize::MAX);
    if s.len() < length {
        return Ok(Some(s.into()));
    }
    let mut cut = length;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    Ok(Some(s[..cut].to_string().into()))
}

/// Go's `length`.
fn length(a: &Args) -> Result<Option<Value>, String> {
    let n = match &a[0] {
        None => return Err("reflect: call of reflect.Value.Type on zero Value".into()),
        Some(Value::Nil) => return Err("len of nil pointer".into()),
        Some(Value::String(s)) => s.len(),
        Some(Value::List(l)) => l.items.len(),
        Some(Value::Map(m)) => m.entries.len(),
        Some(Value::Struct(s)) if s.kind != StructKind::Context => s.fields.len(),
        Some(other) => return Err(format!("len of type {}", other.go_type())),
    };
    Ok(Some(Value::Int(n as i64)))
}

/// Go's `indexArg`: an integer index within `0..=cap`.
fn index_arg(index: &Option<Value>, cap: usize) -> Result<usize, String> {
    let x: i128 = match index {
        Some(Value::Int(i)) => i128::from(*i),
        Some(Value::Uint(u)) => i128::from(*u),
        None | Some(Value::Nil) => return Err("cannot index slice/array with nil".into()),
        Some(other) => {
            return Err(format!(
                "cannot index slice/array with type {}",
                other.go_type()
            ));
        }
    };
    if x < 0 || x > cap as i128 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

/// Go's `index`: `index x 1 2` is `x[1][2]`; a missing map key gives the zero value.
fn index(a: &Args) -> Result<Option<Value>, String> {
    let mut item = match &a[0] {
        None | Some(Value::Nil) => return Err("index of untyped nil".into()),
        Some(v) => v.clone(),
    };
    for index in &a[1..] {
        item = match item {
            Value::String(s) => {
                let x = index_arg(index, s.len())?;
                if x == s.len() {
                    return Err(format!("index out of range: {x}"));
                }
                Value::Uint(u64::from(s.as_bytes()[x]))
            }
            Value::List(l) => {
                let x = index_arg(index, l.items.len())?;
                if x == l.items.len() {
                    return Err(format!("index out of range: {x}"));
                }
                l.items[x].clone()
            }
            Value::Map(m) => {
                let key = map_key(index)?;
                match m.entries.get(&key) {
                    Some(v) => v.clone(),
                    None => zero_element(m.entries.values()),
                }
            }
            // Docker's raw fallback indexes inspect's objects as the maps they are in JSON.
            Value::Struct(s) if s.kind != StructKind::Context => {
                let key = map_key(index)?;
                match s.get(&key) {
                    Some(v) => v.clone(),
                    None => zero_element(s.fields.iter().map(|(_, v)| v)),
                }
            }
            Value::Nil => return Err("index of nil pointer".into()),
            other => return Err(format!("can't index item of type {}", other.go_type())),
        };
    }
    Ok(Some(item))
}

fn map_key(index: &Option<Value>) -> Result<String, String> {
    match index {
        Some(Value::String(s)) => Ok(s.clone()),
        None | Some(Value::Nil) => Err("value is nil; should be of type string".into()),
        Some(other) => Err(format!(
            "value has type {}; should be string",
            other.go_type()
        )),
    }
}

/// The zero value of a map's element type: `""` for a `map[string]string`, nil otherwise.
fn zero_element<'a>(mut values: impl Iterator<Item = &'a Value>) -> Value {
    if values.all(|v| matches!(v, Value::String(_))) {
        Value::String(String::new())
    } else {
        Value::Nil
    }
}

/// Go's `slice`: `slice x 1 2` is `x[1:2]`.
fn slice(a: &Args) -> Result<Option<Value>, String> {
    let item = match &a[0] {
        None | Some(Value::Nil) => return Err("slice of untyped nil".into()),
        Some(v) => v,
    };
    let indexes = &a[1..];
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let len = match item {
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            s.len()
        }
        Value::List(l) => l.items.len(),
        other => return Err(format!("can't slice item of type {}", other.go_type())),
    };
    let mut idx = [0, len, len];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(index, len)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    Ok(Some(match item {
        Value::String(s) => {
            Value::String(String::from_utf8_lossy(&s.as_bytes()[idx[0]..idx[1]]).into_owned())
        }
        Value::List(l) => Value::List(List {
            items: l.items[idx[0]..idx[1]].to_vec(),
            nil: false,
        }),
        _ => Value::Nil,
    }))
}

/// Go's kinds for comparison.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Basic {
    Invalid,
    Bool,
    Int,
    Uint,
    Float,
    String,
}

fn basic_kind(v: &Option<Value>) -> Basic {
    match v {
        Some(Value::Bool(_)) => Basic::Bool,
        Some(Value::Int(_)) => Basic::Int,
        Some(Value::Uint(_)) => Basic::Uint,
        Some(Value::Float(_)) => Basic::Float,
        Some(Value::String(_)) => Basic::String,
        _ => Basic::Invalid,
    }
}

const BAD_COMPARISON: &str = "incompatible types for comparison";
const BAD_COMPARISON_TYPE: &str = "invalid type for comparison";

/// Go's `eq`: `arg1 == arg2[0] || arg1 == arg2[1] || …`.
fn eq(arg1: &Option<Value>, arg2: &[Option<Value>]) -> Result<bool, String> {
    // An interface holding nil is indirected to nothing, as Go's indirectInterface does.
    let arg1 = &indirect(arg1);
    if arg2.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let k1 = basic_kind(arg1);
    for arg in arg2 {
        let arg = &indirect(arg);
        let k2 = basic_kind(arg);
        let truth = if k1 != k2 {
            match (arg1, arg) {
                (Some(Value::Int(i)), Some(Value::Uint(u)))
                | (Some(Value::Uint(u)), Some(Value::Int(i))) => *i >= 0 && *i as u64 == *u,
                (Some(_), Some(_)) => return Err(BAD_COMPARISON.into()),
                _ => false,
            }
        } else {
            match (arg1, arg) {
                (Some(Value::Bool(a)), Some(Value::Bool(b))) => a == b,
                (Some(Value::Int(a)), Some(Value::Int(b))) => a == b,
                (Some(Value::Uint(a)), Some(Value::Uint(b))) => a == b,
                (Some(Value::Float(a)), Some(Value::Float(b))) => a == b,
                (Some(Value::String(a)), Some(Value::String(b))) => a == b,
                _ => compare_composite(arg1, arg)?,
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn indirect(v: &Option<Value>) -> Option<Value> {
    match v {
        Some(Value::Nil) | None => None,
        Some(v) => Some(v.clone()),
    }
}

/// `eq` of values that are not of a basic kind: only nil compares (slices and maps are not
/// comparable in Go).
fn compare_composite(a: &Option<Value>, b: &Option<Value>) -> Result<bool, String> {
    let is_nil = |v: &Option<Value>| match v {
        None => true,
        Some(Value::List(l)) => l.nil,
        Some(Value::Map(m)) => m.nil,
        _ => false,
    };
    let kind = |v: &Option<Value>| match v {
        None => 0,
        Some(Value::List(_)) => 1,
        Some(Value::Map(_)) => 2,
        Some(_) => 3,
    };
    let (ka, kb) = (kind(a), kind(b));
    if ka != kb && ka != 0 && kb != 0 {
        let (a, b) = (
            a.clone().unwrap_or(Value::Nil),
            b.clone().unwrap_or(Value::Nil),
        );
        return Err(format!(
            "non-comparable types {}: {}, {}: {}",
            a.to_go_string(),
            a.go_type(),
            b.go_type(),
            b.to_go_string()
        ));
    }
    if is_nil(a) || is_nil(b) {
        return Ok(is_nil(a) == is_nil(b));
    }
    match (a, b) {
        (Some(Value::Struct(x)), Some(Value::Struct(y))) => Ok(std::sync::Arc::ptr_eq(x, y)),
        (_, Some(b)) => Err(format!(
            "non-comparable type {}: {}",
            b.to_go_string(),
            b.go_type()
        )),
        _ => Ok(false),
    }
}

/// Go's `lt`.
fn lt(arg1: &Option<Value>, arg2: &Option<Value>) -> Result<bool, String> {
    let (arg1, arg2) = (&indirect(arg1), &indirect(arg2));
    let (k1, k2) = (basic_kind(arg1), basic_kind(arg2));
    if k1 == Basic::Invalid || k2 == Basic::Invalid {
        return Err(BAD_COMPARISON_TYPE.into());
    }
    if k1 != k2 {
        return match (arg1, arg2) {
            (Some(Value::Int(i)), Some(Value::Uint(u))) => Ok(*i < 0 || (*i as u64) < *u),
            (Some(Value::Uint(u)), Some(Value::Int(i))) => Ok(*i >= 0 && *u < *i as u64),
            _ => Err(BAD_COMPARISON.into()),
        };
    }
    match (arg1, arg2) {
        (Some(Value::Int(a)), Some(Value::Int(b))) => Ok(a < b),
        (Some(Value::Uint(a)), Some(Value::Uint(b))) => Ok(a < b),
        (Some(Value::Float(a)), Some(Value::Float(b))) => Ok(a < b),
        (Some(Value::String(a)), Some(Value::String(b))) => Ok(a < b),
        _ => Err(BAD_COMPARISON_TYPE.into()),
    }
}

fn le(arg1: &Option<Value>, arg2: &Option<Value>) -> Result<bool, String> {
    if lt(arg1, arg2)? {
        return Ok(true);
    }
    eq(arg1, std::slice::from_ref(arg2))
}

/// Go's `evalArgs` for `html`, `js` and `urlquery`: one string as is, else `fmt.Sprint`.
fn eval_args(args: &Args) -> String {
    if let [Some(Value::String(s))] = args {
        return s.clone();
    }
    sprint(&nils(args))
}

/// Go's `template.HTMLEscapeString`.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if !c.is_ascii() && (c.is_control() || c.is_whitespace()) => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryEscape`: unreserved bytes as they are, a space as `+`, the rest `%XX`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<Value> {
        Some(Value::String(v.into()))
    }

    #[test]
    fn title_is_strings_title() {
        // From `{{title "hello wORLD foo-bar o'neil"}}` on the docker CLI.
        assert_eq!(
            go_title("hello wORLD foo-bar o'neil"),
            "Hello WORLD Foo-Bar O'Neil"
        );
    }

    #[test]
    fn truncate_and_pad_are_docker_s() {
        // From docker/cli templates_test.go TestParseTruncateFunction.
        let source = "tupx5xzf6hvsrhnruz5cr8gwp";
        let t =
            |n| truncate(&[s(source), Some(Value::Int(n))]).map(|v| v.map(|v| v.to_go_string()));
        assert_eq!(t(5), Ok(Some("tupx5".into())));
        assert_eq!(t(25), Ok(Some(source.into())));
        assert_eq!(t(30), Ok(Some(source.into())));
        assert_eq!(
            t(-1),
            Err("runtime error: slice bounds out of range [:-1]".into())
        );
        let p = pad(&[s(source), Some(Value::Int(3)), Some(Value::Int(3))]);
        assert_eq!(
            p.map(|v| v.map(|v| v.to_go_string())),
            Ok(Some(format!("   {source}   ")))
        );
        let empty = pad(&[s(""), Some(Value::Int(3)), Some(Value::Int(3))]);
        assert_eq!(
            empty.map(|v| v.map(|v| v.to_go_string())),
            Ok(Some(String::new()))
        );
    }

    #[test]
    fn comparisons_are_go_s() {
        assert_eq!(eq(&s("a"), &[s("b"), s("a")]), Ok(true));
        assert_eq!(
            eq(&Some(Value::Int(1)), &[Some(Value::Float(1.0))]),
            Err(BAD_COMPARISON.into())
        );
        assert_eq!(eq(&None, &[s("x")]), Ok(false));
        assert_eq!(
            lt(&Some(Value::Bool(true)), &Some(Value::Bool(false))),
            Err(BAD_COMPARISON_TYPE.into())
        );
        assert_eq!(
            eq(&Some(Value::Uint(55)), &[Some(Value::Int(55))]),
            Ok(true)
        );
        assert_eq!(
            eq(&s("a"), &[]),
            Err("missing argument for comparison".into())
        );
    }

    #[test]
    fn escapers_are_go_s() {
        assert_eq!(
            html_escape(r#"<a href='x'>&"</a>"#),
            "&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;"
        );
        assert_eq!(
            js_escape("it's <b>\"x\"</b>\n"),
            r#"it\'s \u003Cb\u003E\"x\"\u003C/b\u003E\u000A"#
        );
        assert_eq!(query_escape("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
    }
}
