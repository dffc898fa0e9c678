//! Go's `fmt`: what the `printf`, `print` and `println` functions of a template write.
//!
//! `{{printf "%-14s|%5s" .ID .Size}}` is Go's `fmt.Sprintf`, so the verbs, flags, widths and
//! precisions are Go's, and so are its complaints, written into the output rather than
//! raised: `%!d(string=x)` for a verb that does not fit its argument, `%!d(MISSING)` for a
//! verb without one, `%!(EXTRA string=y)` for arguments left over.
//!
//! Supported: the flags `+ - # 0` and space, widths and precisions (also `*` and `[n]`
//! argument indexes), and the verbs `v T t d b o O x X c q U e E f F g G s %`. Not
//! supported: `%p` (there are no pointers here), which prints as a bad verb.

use std::fmt::Write as _;

use crate::template::value::{
    List, Map, StructKind, Value, format_e_digits, special_float, split_exponent,
};

/// The flags, width and precision of one verb.
#[derive(Clone, Copy, Default)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    /// `%+v`: field names in structs.
    plus_v: bool,
    /// `%#v`: Go syntax.
    sharp_v: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// Go's `fmt.Sprintf(format, args...)`.
pub(crate) fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let bytes = format.as_bytes();
    let end = bytes.len();
    let mut arg_num = 0usize;
    let mut reordered = false;
    let mut i = 0usize;
    while i < end {
        let mut good_arg_num = true;
        let last = i;
        while i < end && bytes[i] != b'%' {
            i += 1;
        }
        out.push_str(&format[last..i]);
        if i >= end {
            break;
        }
        i += 1; // the %
        let mut f = Flags::default();
        // The flags.
        while i < end {
            match bytes[i] {
                b'#' => f.sharp = true,
                b'0' => f.zero = !f.minus,
                b'+' => f.plus = true,
                b'-' => {
                    f.minus = true;
                    f.zero = false;
                }
                b' ' => f.space = true,
                _ => break,
            }
            i += 1;
        }
        // An explicit argument index?
        let mut after_index;
        (arg_num, i, after_index) = arg_number(
            arg_num,
            format,
            i,
            args.len(),
            &mut reordered,
            &mut good_arg_num,
        );
        // The width.
        if i < end && bytes[i] == b'*' {
            i += 1;
            let (n, ok, next) = int_from_arg(args, arg_num);
            arg_num = next;
            if !ok {
                out.push_str("%!(BADWIDTH)");
            } else if n < 0 {
                f.minus = true;
                f.zero = false;
                f.width = Some(n.unsigned_abs() as usize);
            } else {
                f.width = Some(n as usize);
            }
            after_index = false;
        } else {
            let (n, present, next) = parse_num(bytes, i, end);
            i = next;
            if present {
                f.width = Some(n);
                if after_index {
                    good_arg_num = false;
                }
            }
        }
        // The precision.
        if i + 1 < end && bytes[i] == b'.' {
            i += 1;
            if after_index {
                good_arg_num = false;
            }
            (arg_num, i, after_index) = arg_number(
                arg_num,
                format,
                i,
                args.len(),
                &mut reordered,
                &mut good_arg_num,
            );
            if i < end && bytes[i] == b'*' {
                i += 1;
                let (n, ok, next) = int_from_arg(args, arg_num);
                arg_num = next;
                if n < 0 || !ok {
                    f.precision = None;
                } else {
                    f.precision = Some(n as usize);
                }
                if !ok {
                    out.push_str("%!(BADPREC)");
                }
                after_index = false;
            } else {
                let (n, _, next) = parse_num(bytes, i, end);
                i = next;
                f.precision = Some(n);
            }
        }
        if !after_index {
            (arg_num, i, _) = arg_number(
                arg_num,
                format,
                i,
                args.len(),
                &mut reordered,
                &mut good_arg_num,
            );
        }
        if i >= end {
            out.push_str("%!(NOVERB)");
            break;
        }
        let Some(verb) = format[i..].chars().next() else {
            break;
        };
        i += verb.len_utf8();
        match verb {
            '%' => out.push('%'),
            _ if !good_arg_num => {
                let _ = write!(out, "%!{verb}(BADINDEX)");
            }
            _ if arg_num >= args.len() => {
                let _ = write!(out, "%!{verb}(MISSING)");
            }
            _ => {
                if verb == 'v' {
                    f.sharp_v = f.sharp;
                    f.sharp = false;
                    f.plus_v = f.plus;
                    f.plus = false;
                }
                print_arg(&mut out, &args[arg_num], verb, f, 0);
                arg_num += 1;
            }
        }
    }
    if !reordered && arg_num < args.len() {
        out.push_str("%!(EXTRA ");
        for (n, arg) in args[arg_num..].iter().enumerate() {
            if n > 0 {
                out.push_str(", ");
            }
            if matches!(arg, Value::Nil) {
                out.push_str("<nil>");
            } else {
                out.push_str(&arg.go_type());
                out.push('=');
                print_arg(&mut out, arg, 'v', Flags::default(), 0);
            }
        }
        out.push(')');
    }
    out
}

/// Go's `fmt.Sprint`: a space between two operands when neither is a string.
pub(crate) fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    let mut prev_string = false;
    for (n, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::String(_));
        if n > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        print_arg(&mut out, arg, 'v', Flags::default(), 0);
        prev_string = is_string;
    }
    out
}

/// Go's `fmt.Sprintln`: spaces between all operands, and a newline.
pub(crate) fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (n, arg) in args.iter().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        print_arg(&mut out, arg, 'v', Flags::default(), 0);
    }
    out.push('\n');
    out
}

/// `[n]`: the argument index of the next verb (1-based in the format, 0-based here).
fn arg_number(
    arg_num: usize,
    format: &str,
    i: usize,
    num_args: usize,
    reordered: &mut bool,
    good: &mut bool,
) -> (usize, usize, bool) {
    let bytes = format.as_bytes();
    if i >= bytes.len() || bytes[i] != b'[' {
        return (arg_num, i, false);
    }
    *reordered = true;
    let (index, width, ok) = parse_arg_number(&bytes[i..]);
    if ok && index >= 1 && index - 1 < num_args {
        return (index - 1, i + width, true);
    }
    *good = false;
    (arg_num, i + width, ok)
}

fn parse_arg_number(b: &[u8]) -> (usize, usize, bool) {
    if b.len() < 3 {
        return (0, 1, false);
    }
    for close in 1..b.len() {
        if b[close] == b']' {
            let (n, ok, next) = parse_num(b, 1, close);
            if !ok || next != close {
                return (0, close + 1, false);
            }
            return (n, close + 1, true);
        }
    }
    (0, 1, false)
}

/// Digits at `b[start..end]`: the number, whether there was one, and where it stops.
fn parse_num(b: &[u8], start: usize, end: usize) -> (usize, bool, usize) {
    let mut i = start;
    let mut n = 0usize;
    while i < end && b[i].is_ascii_digit() {
        // Go refuses absurd widths the same way (tooLarge).
        if n > 1_000_000 {
            return (0, false, end);
        }
        n = n * 10 + usize::from(b[i] - b'0');
        i += 1;
    }
    (n, i > start, i)
}

/// The argument a `*` takes as width or precision: it must be an integer.
fn int_from_arg(args: &[Value], arg_num: usize) -> (i64, bool, usize) {
    match args.get(arg_num) {
        Some(Value::Int(n)) if n.unsigned_abs() <= 1_000_000 => (*n, true, arg_num + 1),
        Some(Value::Uint(n)) if *n <= 1_000_000 => (*n as i64, true, arg_num + 1),
        Some(_) => (0, false, arg_num + 1),
        None => (0, false, arg_num),
    }
}

/// Go's `printArg` and `printValue`: one argument with one verb. `depth` > 0 inside a
/// composite, where nil prints `<nil>` whatever the verb.
fn print_arg(out: &mut String, arg: &Value, verb: char, f: Flags, depth: usize) {
    match (arg, verb) {
        (Value::Nil, 'T' | 'v') => pad(out, "<nil>", f),
        (Value::Nil, _) if depth > 0 => out.push_str("<nil>"),
        (Value::Nil, _) => bad_verb(out, arg, verb, f),
        (_, 'T') => pad(out, &arg.go_type(), f),
        (Value::Bool(b), 't' | 'v') => pad(out, if *b { "true" } else { "false" }, f),
        (Value::Bool(_), _) => bad_verb(out, arg, verb, f),
        // %c, %q and %U read the bits as Go's uint64(n) does: -1 is no rune (U+FFFD).
        (Value::Int(n), 'c' | 'q' | 'U') => fmt_integer(out, *n as u64, false, arg, verb, f),
        (Value::Int(n), _) => fmt_integer(out, n.unsigned_abs(), *n < 0, arg, verb, f),
        (Value::Uint(n), _) => fmt_integer(out, *n, false, arg, verb, f),
        (Value::Float(x), _) => fmt_float(out, *x, arg, verb, f),
        (Value::String(s), _) => fmt_string(out, s, arg, verb, f),
        (Value::List(l), _) => print_list(out, l, verb, f, depth),
        (Value::Map(m), _) => print_map(out, m, verb, f, depth),
        (Value::Struct(s), _) if s.kind == StructKind::Header => {
            let entries = s
                .fields
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            print_map(
                out,
                &Map {
                    entries,
                    nil: false,
                },
                verb,
                f,
                depth,
            );
        }
        (Value::Struct(s), _) => {
            if f.sharp_v {
                out.push_str(&s.type_name);
            }
            out.push('{');
            for (n, (name, v)) in s.fields.iter().enumerate() {
                if n > 0 {
                    out.push_str(if f.sharp_v { ", " } else { " " });
                }
                if f.plus_v || f.sharp_v {
                    out.push_str(name);
                    out.push(':');
                }
                print_arg(out, v, verb, f, depth + 1);
            }
            out.push('}');
        }
    }
}

fn print_list(out: &mut String, l: &List, verb: char, f: Flags, depth: usize) {
    if f.sharp_v {
        out.push_str(&Value::List(l.clone()).go_type());
        if l.nil {
            out.push_str("(nil)");
            return;
        }
        out.push('{');
        for (n, item) in l.items.iter().enumerate() {
            if n > 0 {
                out.push_str(", ");
            }
            print_arg(out, item, verb, f, depth + 1);
        }
        out.push('}');
        return;
    }
    out.push('[');
    for (n, item) in l.items.iter().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        print_arg(out, item, verb, f, depth + 1);
    }
    out.push(']');
}

fn print_map(out: &mut String, m: &Map, verb: char, f: Flags, depth: usize) {
    if f.sharp_v {
        out.push_str(&Value::Map(m.clone()).go_type());
        if m.nil {
            out.push_str("(nil)");
            return;
        }
        out.push('{');
    } else {
        out.push_str("map[");
    }
    for (n, (k, v)) in m.entries.iter().enumerate() {
        if n > 0 {
            out.push_str(if f.sharp_v { ", " } else { " " });
        }
        print_arg(out, &Value::String(k.clone()), verb, f, depth + 1);
        out.push(':');
        print_arg(out, v, verb, f, depth + 1);
    }
    out.push(if f.sharp_v { '}' } else { ']' });
}

/// `%!d(string=x)`: Go's complaint about a verb that does not fit the argument.
fn bad_verb(out: &mut String, arg: &Value, verb: char, f: Flags) {
    let _ = write!(out, "%!{verb}(");
    if matches!(arg, Value::Nil) {
        out.push_str("<nil>");
    } else {
        out.push_str(&arg.go_type());
        out.push('=');
        print_arg(out, arg, 'v', f, 0);
    }
    out.push(')');
}

/// Go's `fmt.pad`: `text` in a field of `width` runes.
fn pad(out: &mut String, text: &str, f: Flags) {
    let Some(width) = f.width else {
        out.push_str(text);
        return;
    };
    let fill = width.saturating_sub(text.chars().count());
    if f.minus {
        out.push_str(text);
        out.extend(std::iter::repeat_n(' ', fill));
    } else {
        let c = if f.zero { '0' } else { ' ' };
        out.extend(std::iter::repeat_n(c, fill));
        out.push_str(text);
    }
}

fn fmt_integer(out: &mut String, u: u64, negative: bool, arg: &Value, verb: char, f: Flags) {
    let (base, upper) = match verb {
        'v' | 'd' => (10, false),
        'b' => (2, false),
        'o' | 'O' => (8, false),
        'x' => (16, false),
        'X' => (16, true),
        'c' => return pad(out, &rune_string(u), f),
        'q' => {
            let c = char::from_u32(u32::try_from(u).unwrap_or(0xFFFD)).unwrap_or('\u{FFFD}');
            return pad(out, &quote_rune(c), f);
        }
        'U' => return fmt_unicode(out, u, f),
        _ => return bad_verb(out, arg, verb, f),
    };
    // Two ways to ask for leading zeros: %.3d, or %03d (not both).
    let mut precision = 0usize;
    if let Some(p) = f.precision {
        precision = p;
        if p == 0 && u == 0 {
            let no_zero = Flags { zero: false, ..f };
            return pad(out, "", no_zero);
        }
    } else if f.zero
        && !f.minus
        && let Some(w) = f.width
    {
        precision = w;
        if negative || f.plus || f.space {
            precision = precision.saturating_sub(1);
        }
    }
    let mut digits = match base {
        2 => format!("{u:b}"),
        8 => format!("{u:o}"),
        16 if upper => format!("{u:X}"),
        16 => format!("{u:x}"),
        _ => u.to_string(),
    };
    if digits.len() < precision {
        digits = "0".repeat(precision - digits.len()) + &digits;
    }
    let mut prefix = String::new();
    if negative {
        prefix.push('-');
    } else if f.plus {
        prefix.push('+');
    } else if f.space {
        prefix.push(' ');
    }
    if f.sharp {
        match base {
            2 => prefix.push_str("0b"),
            8 if !digits.starts_with('0') => prefix.push('0'),
            16 => prefix.push_str(if upper { "0X" } else { "0x" }),
            _ => {}
        }
    }
    if verb == 'O' {
        prefix.push_str("0o");
    }
    // The zero padding is done above, as precision; what remains is spaces.
    pad(out, &(prefix + &digits), Flags { zero: false, ..f });
}

fn rune_string(u: u64) -> String {
    char::from_u32(u32::try_from(u).unwrap_or(0xFFFD))
        .unwrap_or('\u{FFFD}')
        .to_string()
}

/// `%U`: `U+1F600`, and with `#` the character too: `U+1F600 '😀'`.
fn fmt_unicode(out: &mut String, u: u64, f: Flags) {
    let digits = f.precision.unwrap_or(4).max(4);
    let mut text = format!("U+{u:0digits$X}");
    if f.sharp
        && let Some(c) = char::from_u32(u32::try_from(u).unwrap_or(u32::MAX))
        && is_print(c)
    {
        let _ = write!(text, " '{c}'");
    }
    pad(out, &text, Flags { zero: false, ..f });
}

/// Go's `strconv.IsPrint`, near enough: letters, marks, numbers, punctuation, symbols and
/// the ASCII space.
fn is_print(c: char) -> bool {
    c == ' ' || !(c.is_control() || c.is_whitespace())
}

/// Go's `strconv.QuoteRune`: `'A'`, `'\n'`, `'\''`.
pub(crate) fn quote_rune(c: char) -> String {
    match c {
        '\'' => "'\\''".into(),
        '"' => "'\"'".into(),
        c => {
            let quoted = capas_core::go::quote(&c.to_string());
            format!("'{}'", &quoted[1..quoted.len() - 1])
        }
    }
}

/// Go's `%#U` of a rune, as lexer errors print it: `U+007D '}'`.
pub(crate) fn go_quote_rune_hash_u(c: char) -> String {
    if is_print(c) {
        format!("U+{:04X} '{c}'", c as u32)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

fn fmt_string(out: &mut String, s: &str, arg: &Value, verb: char, f: Flags) {
    match verb {
        'v' if f.sharp_v => pad(out, &capas_core::go::quote(s), f),
        'v' | 's' => pad(out, &truncate(s, f.precision), f),
        'q' => {
            let s = truncate(s, f.precision);
            if f.sharp && !s.contains(['`', '\n', '\r']) && !s.chars().any(char::is_control) {
                pad(out, &format!("`{s}`"), f);
            } else if f.plus {
                pad(out, &quote_ascii(&s), f);
            } else {
                pad(out, &capas_core::go::quote(&s), f);
            }
        }
        'x' | 'X' => {
            let bytes = s.as_bytes();
            let bytes = &bytes[..f.precision.unwrap_or(bytes.len()).min(bytes.len())];
            let mut text = String::new();
            for (n, b) in bytes.iter().enumerate() {
                if f.space && n > 0 {
                    text.push(' ');
                }
                if f.sharp && (f.space || n == 0) {
                    text.push_str(if verb == 'x' { "0x" } else { "0X" });
                }
                if verb == 'x' {
                    let _ = write!(text, "{b:02x}");
                } else {
                    let _ = write!(text, "{b:02X}");
                }
            }
            pad(out, &text, f);
        }
        _ => bad_verb(out, arg, verb, f),
    }
}

/// Go's `strconv.QuoteToASCII` (`%+q`): like `quote`, with every non-ASCII character
/// escaped (`\u00e9`, `\U0001f600`).
fn quote_ascii(s: &str) -> String {
    let quoted = capas_core::go::quote(s);
    let mut out = String::with_capacity(quoted.len());
    for c in quoted.chars() {
        match c as u32 {
            0..=0x7f => out.push(c),
            n @ 0x80..=0xffff => {
                let _ = write!(out, "\\u{n:04x}");
            }
            n => {
                let _ = write!(out, "\\U{n:08x}");
            }
        }
    }
    out
}

/// The first `precision` runes of `s`.
fn truncate(s: &str, precision: Option<usize>) -> String {
    match precision {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    }
}

fn fmt_float(out: &mut String, x: f64, arg: &Value, verb: char, f: Flags) {
    let (verb, default_precision) = match verb {
        'v' => ('g', None),
        'g' | 'G' | 'x' | 'X' | 'b' => (verb, None),
        'e' | 'E' | 'f' | 'F' => (verb, Some(6)),
        _ => return bad_verb(out, arg, verb, f),
    };
    let precision = f.precision.or(default_precision);
    let text = format_float(x, verb, precision);
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, text),
    };
    let sign = if negative {
        "-"
    } else if f.plus {
        "+"
    } else if f.space {
        " "
    } else {
        ""
    };
    // Infinities and NaN are never zero padded.
    let zero = f.zero && x.is_finite();
    if zero && !f.minus && f.width.is_some_and(|w| w > sign.len() + digits.len()) {
        let width = f.width.unwrap_or(0);
        out.push_str(sign);
        out.extend(std::iter::repeat_n(
            '0',
            width - sign.len() - digits.chars().count(),
        ));
        out.push_str(&digits);
        return;
    }
    pad(out, &format!("{sign}{digits}"), Flags { zero: false, ..f });
}

/// Go's `strconv.FormatFloat(x, verb, precision, 64)`, `None` meaning the shortest
/// precision that reads back as `x` (Go's `-1`).
pub(crate) fn format_float(x: f64, verb: char, precision: Option<usize>) -> String {
    if let Some(special) = special_float(x) {
        return special.to_string();
    }
    let negative = x.is_sign_negative();
    let e = if verb.is_ascii_uppercase() { 'E' } else { 'e' };
    match verb {
        'x' | 'X' => format_hex_float(x, verb, precision),
        'b' => {
            // Go's %b: the integer mantissa and the binary exponent, 3.5 = 7881299347898368p-51.
            let (mant, exp) = float_parts(x);
            let sign = if negative { "-" } else { "" };
            let exp = exp - 52;
            format!("{sign}{mant}p{}{exp}", if exp >= 0 { "+" } else { "" })
        }
        'e' | 'E' => {
            let (digits, exp) = match precision {
                Some(p) => split_exponent(&format!("{:.*e}", p, x.abs())),
                None => split_exponent(&format!("{:e}", x.abs())),
            };
            let decimals = precision.unwrap_or(digits.len().saturating_sub(1));
            format_e_digits(negative, &digits, exp, decimals, e)
        }
        'f' | 'F' => match precision {
            Some(p) => {
                let text = format!("{:.*}", p, x.abs());
                if negative { format!("-{text}") } else { text }
            }
            None => {
                let (digits, exp) = split_exponent(&format!("{:e}", x.abs()));
                let decimals = (digits.len() as i32 - exp - 1).max(0) as usize;
                let text = format!("{:.*}", decimals, x.abs());
                if negative { format!("-{text}") } else { text }
            }
        },
        _ => {
            // %g: the digits rounded to the precision (without trailing zeros), then the
            // exponent decides between %e and %f.
            let (digits, exp) = match precision {
                Some(p) => {
                    let p = p.max(1);
                    let (d, exp) = split_exponent(&format!("{:.*e}", p - 1, x.abs()));
                    (d.trim_end_matches('0').to_string(), exp)
                }
                None => split_exponent(&format!("{:e}", x.abs())),
            };
            let digits = if digits.is_empty() {
                "0".to_string()
            } else {
                digits
            };
            let nd = digits.len() as i32;
            let dp = exp + 1;
            let (mut prec, shortest) = match precision {
                Some(p) => (p.max(1) as i32, false),
                None => (nd, true),
            };
            let mut eprec = prec;
            if eprec > nd && nd >= dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            if exp < -4 || exp >= eprec {
                if prec > nd {
                    prec = nd;
                }
                return format_e_digits(negative, &digits, exp, (prec - 1).max(0) as usize, e);
            }
            if prec > dp {
                prec = nd;
            }
            let decimals = (prec - dp).max(0) as usize;
            let text = format!("{:.*}", decimals, x.abs());
            if negative { format!("-{text}") } else { text }
        }
    }
}

/// The mantissa (with its implicit leading bit) and the unbiased exponent of a finite
/// `f64`, as Go's `strconv` takes them apart: `x = mant × 2^(exp - 52)`.
fn float_parts(x: f64) -> (u64, i32) {
    let bits = x.to_bits();
    let mut exp = ((bits >> 52) & 0x7ff) as i32;
    let mut mant = bits & ((1 << 52) - 1);
    if exp == 0 {
        exp += 1; // a denormal
    } else {
        mant |= 1 << 52;
    }
    (mant, exp - 1023)
}

/// Go's `%x` of a float (`strconv` `fmtX`): `0x1.cp+01` for 3.5, the hex digits after the
/// point as few as exactly represent the number, or rounded to `precision`.
fn format_hex_float(x: f64, verb: char, precision: Option<usize>) -> String {
    let (mut mant, mut exp) = float_parts(x);
    if mant == 0 {
        exp = 0;
    }
    // The leading 1 (if any) at bit 60.
    mant <<= 60 - 52;
    while mant != 0 && mant & (1 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if let Some(p) = precision
        && p < 15
    {
        let shift = (p * 4) as u32;
        let extra = (mant << shift) & ((1 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let digits: &[u8] = if verb == 'X' {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = String::new();
    if x.is_sign_negative() {
        out.push('-');
    }
    out.push('0');
    out.push(verb);
    out.push(char::from(b'0' + ((mant >> 60) & 1) as u8));
    mant <<= 4;
    match precision {
        None if mant != 0 => {
            out.push('.');
            while mant != 0 {
                out.push(char::from(digits[((mant >> 60) & 15) as usize]));
                mant <<= 4;
            }
        }
        Some(p) if p > 0 => {
            out.push('.');
            for _ in 0..p {
                out.push(char::from(digits[((mant >> 60) & 15) as usize]));
                mant <<= 4;
            }
        }
        _ => {}
    }
    out.push(if verb == 'X' { 'P' } else { 'p' });
    out.push(if exp < 0 { '-' } else { '+' });
    let _ = write!(out, "{:02}", exp.unsigned_abs());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    #[test]
    // 3.14159 is what was typed into Docker, not an attempt at π.
    #[allow(clippy::approx_constant)]
    fn printf_matches_docker_cli() {
        // Each case was run as `docker history --format '{{printf …}}'` with CLI 28.2.2.
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            (
                "%-14s|%5s|%q",
                vec![s("04f4ca558177"), s("3B"), s("imported for a test")],
                r#"04f4ca558177  |   3B|"imported for a test""#,
            ),
            (
                "%d %x %X %o %b %c %U",
                vec![
                    Value::Int(42),
                    Value::Int(255),
                    Value::Int(255),
                    Value::Int(8),
                    Value::Int(5),
                    Value::Int(65),
                    Value::Int(9731),
                ],
                "42 ff FF 10 101 A U+2603",
            ),
            (
                "%v %v %v %v",
                vec![
                    Value::Float(1.5),
                    Value::Float(1e6),
                    Value::Float(1e21),
                    Value::Float(0.000012),
                ],
                "1.5 1e+06 1e+21 1.2e-05",
            ),
            (
                "%5.2f|%e|%g|%G|%08.3f|%+d|% d",
                vec![
                    Value::Float(3.14159),
                    Value::Float(1234.5678),
                    Value::Float(0.00001234),
                    Value::Float(1e-7),
                    Value::Float(3.14159),
                    Value::Int(5),
                    Value::Int(5),
                ],
                " 3.14|1.234568e+03|1.234e-05|1E-07|0003.142|+5| 5",
            ),
            ("%s %d", vec![s("x")], "x %!d(MISSING)"),
            ("%d", vec![s("x")], "%!d(string=x)"),
            ("%s", vec![s("x"), s("y")], "x%!(EXTRA string=y)"),
            ("%!", vec![], "%!!(MISSING)"),
            ("%t %v", vec![Value::Bool(true), Value::Nil], "true <nil>"),
            (
                "%T %T %T %T %T",
                vec![
                    Value::Int(1),
                    Value::Float(1.5),
                    s("s"),
                    Value::Bool(true),
                    Value::strings(["a"]),
                ],
                "int float64 string bool []string",
            ),
            (
                "%6.2v|%-6v|%06d|%x|% x|%#x|%#o|%#v",
                vec![
                    Value::Float(3.14159),
                    s("ab"),
                    Value::Int(-42),
                    s("hi"),
                    s("hi"),
                    Value::Int(255),
                    Value::Int(8),
                    s("s"),
                ],
                r#"   3.1|ab    |-00042|6869|68 69|0xff|010|"s""#,
            ),
            ("%[2]s %[1]s", vec![s("a"), s("b")], "b a"),
            (
                "%*d|%-*d|",
                vec![Value::Int(5), Value::Int(1), Value::Int(4), Value::Int(2)],
                "    1|2   |",
            ),
            (
                "%.3s|%.0f|%.1e|%10.3e",
                vec![
                    s("abcdef"),
                    Value::Float(2.5),
                    Value::Float(123456.0),
                    Value::Float(0.000123),
                ],
                "abc|2|1.2e+05| 1.230e-04",
            ),
            ("%s", vec![Value::strings(["a", "b"])], "[a b]"),
            ("%q", vec![Value::strings(["a", "b"])], r#"["a" "b"]"#),
            (
                "%d",
                vec![Value::strings(["a", "b"])],
                "[%!d(string=a) %!d(string=b)]",
            ),
            (
                "%s %d %s",
                vec![Value::Int(1), Value::Bool(true), Value::Nil],
                "%!s(int=1) %!d(bool=true) %!s(<nil>)",
            ),
            (
                "%c|%q|%U|%#U",
                vec![
                    Value::Int(0x1F600),
                    Value::Int(65),
                    Value::Int(0x1F600),
                    Value::Int(0x1F600),
                ],
                "😀|'A'|U+1F600|U+1F600 '😀'",
            ),
            (
                "%5t|%-5t|",
                vec![Value::Bool(true), Value::Bool(false)],
                " true|false|",
            ),
            (
                "%08s|%-08d|%+.2f|%x",
                vec![s("ab"), Value::Int(5), Value::Float(-1.5), Value::Int(-255)],
                "000000ab|5       |-1.50|-ff",
            ),
            ("%03d", vec![Value::Int(19)], "019"),
            ("%s!", vec![s("0B")], "0B!"),
        ];
        for (format, args, want) in cases {
            assert_eq!(sprintf(format, &args), want, "{format}");
        }
    }

    #[test]
    fn print_spaces_only_between_non_strings() {
        let args = [Value::Int(1), Value::Int(2), s("a"), s("b"), Value::Int(3)];
        assert_eq!(sprint(&args), "1 2ab3");
        assert_eq!(
            sprint(&[Value::Int(1), s("a"), Value::Int(2), Value::Int(3)]),
            "1a2 3"
        );
        assert_eq!(sprintln(&[s("a"), Value::Int(1)]), "a 1\n");
        assert_eq!(sprint(&[Value::Nil]), "<nil>");
    }

    #[test]
    fn shortest_floats_are_go_s() {
        for (x, want) in [
            (100000000.0, "1e+08"),
            (123456789.0, "1.23456789e+08"),
            (2.0, "2"),
            (0.0001, "0.0001"),
            (1e-5, "1e-05"),
        ] {
            assert_eq!(format_float(x, 'g', None), want);
        }
        assert_eq!(format_float(1.5, 'g', Some(3)), "1.5");
        assert_eq!(format_float(100.0, 'g', Some(3)), "100");
        assert_eq!(format_float(1234.0, 'g', Some(3)), "1.23e+03");
    }

    #[test]
    fn hex_and_binary_floats_are_go_s() {
        // `{{printf "%x" 3.5}}` printed `0x1.cp+01` on the docker CLI.
        assert_eq!(format_float(3.5, 'x', None), "0x1.cp+01");
        assert_eq!(format_float(1.0, 'x', None), "0x1p+00");
        assert_eq!(format_float(0.0, 'x', None), "0x0p+00");
        assert_eq!(format_float(-0.1, 'X', None), "-0X1.999999999999AP-04");
        assert_eq!(format_float(3.5, 'x', Some(0)), "0x1p+02");
        assert_eq!(format_float(3.5, 'b', None), "7881299347898368p-51");
    }
}
