//! Go compatibility: the few behaviours of Go's standard library that Docker's identifiers and
//! texts depend on, written once.
//!
//! Docker is written in Go, and some of its numbers are Go's: an image ID is the SHA-256 of
//! config bytes that Go's `encoding/json` wrote, a `HEALTHCHECK --interval=1m30s` and a
//! `prune --filter until=1.5h` are read by Go's `time.ParseDuration`, and a history row shows a
//! command list the way Go's `%q` prints a `[]string`. To get the same bytes, capas does the
//! same thing, here and nowhere else:
//!
//! | Go | here | used by |
//! | --- | --- | --- |
//! | `json.Marshal` (compact, HTML-safe escapes) | [`json_bytes`] | configs made by commit, build and the samples |
//! | `time.ParseDuration` | [`parse_duration`] | `HEALTHCHECK` options, `prune --filter until=` |
//! | `time.Duration.String` | [`format_duration`] | `HEALTHCHECK` in history rows |
//! | `fmt.Sprintf("%q", []string{…})` | [`quote_list`] | `CMD ["sh" "-c" "…"]` in history rows |
//! | the daemon's default `PATH` and shell | [`DEFAULT_PATH`], [`DEFAULT_SHELL`] | the container shell, build, commit |
//!
//! ```
//! use capas_core::go;
//! assert_eq!(go::parse_duration("1m30s"), Ok(90_000_000_000));
//! assert_eq!(go::format_duration(90_000_000_000), "1m30s");
//! assert_eq!(go::quote_list(&["sh".into(), "-c".into(), "echo hi".into()]), r#"["sh" "-c" "echo hi"]"#);
//! assert_eq!(go::json_bytes(&serde_json::json!({"a": "<b>"})), br#"{"a":"\u003cb\u003e"}"#);
//! ```

use serde_json::Value;

/// The `PATH` a container gets when its image's config sets none: the one Docker's daemon
/// uses (`oci.DefaultPathEnv` in moby, for Linux).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The shell that runs the shell form of `RUN`, `CMD` and `ENTRYPOINT` when the image's
/// config names no `Shell` (Docker's default on Linux).
pub const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];

/// Serialises JSON the way Go's `encoding/json` does, which is what Docker and BuildKit use
/// for an image config: compact, keys in the order they are in, and `<`, `>`, `&`, U+2028 and
/// U+2029 escaped (`\u003c`, …). So a label such as
/// `NGINX Docker Maintainers <docker-maint@nginx.com>` has the same bytes as in a real config,
/// and the image ID (the SHA-256 of those bytes) is the same.
pub fn json_bytes(value: &Value) -> Vec<u8> {
    let text = value.to_string();
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            // These characters can only occur inside strings in JSON text, so escaping them
            // everywhere is exactly Go's HTML-safe escaping.
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.into_bytes()
}

/// Why [`parse_duration`] refused a text; the message is Go's, word for word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Not a duration at all, or one too large for 64 bits of nanoseconds
    /// (`HEALTHCHECK --interval=soon`).
    #[error("time: invalid duration {}", quote(.0))]
    Invalid(String),
    /// A number without a unit (`--interval=30`).
    #[error("time: missing unit in duration {}", quote(.0))]
    MissingUnit(String),
    /// A unit Go does not know (`--interval=30sec`).
    #[error("time: unknown unit {} in duration {}", quote(.unit), quote(.text))]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole text.
        text: String,
    },
}

const LIMIT: u64 = 1 << 63;

/// Go's `time.ParseDuration`: an optional sign, then one or more decimal numbers, each with an
/// optional fraction and a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), such as `300ms`,
/// `-1.5h` or `2h45m`; `0` alone needs no unit. Returns nanoseconds, computed as Go computes
/// them (integers, the fraction scaled in floating point), so the result is Go's to the
/// nanosecond.
pub fn parse_duration(text: &str) -> Result<i64, DurationError> {
    let invalid = || DurationError::Invalid(text.to_string());
    let (negative, mut s) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        if !(s.starts_with('.') || s.as_bytes()[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // The integer part.
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let mut whole: u64 = 0;
        for b in s[..digits].bytes() {
            if whole > LIMIT / 10 {
                return Err(invalid());
            }
            whole = whole * 10 + u64::from(b - b'0');
            if whole > LIMIT {
                return Err(invalid());
            }
        }
        let had_whole = digits > 0;
        s = &s[digits..];
        // The fraction: digits past what 63 bits can hold are read and dropped, as in Go.
        let (mut fraction, mut scale, mut had_fraction) = (0u64, 1f64, false);
        if let Some(rest) = s.strip_prefix('.') {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let mut overflow = false;
            for b in rest[..digits].bytes() {
                if overflow {
                    continue;
                }
                if fraction > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let next = fraction * 10 + u64::from(b - b'0');
                if next > LIMIT {
                    overflow = true;
                    continue;
                }
                fraction = next;
                scale *= 10.0;
            }
            had_fraction = digits > 0;
            s = &rest[digits..];
        }
        if !had_whole && !had_fraction {
            return Err(invalid());
        }
        // The unit: everything up to the next number.
        let unit_len = s
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(DurationError::MissingUnit(text.to_string()));
        }
        let unit_text = &s[..unit_len];
        s = &s[unit_len..];
        let unit: u64 = match unit_text {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(DurationError::UnknownUnit {
                    unit: unit_text.to_string(),
                    text: text.to_string(),
                });
            }
        };
        if whole > LIMIT / unit {
            return Err(invalid());
        }
        let mut value = whole * unit;
        if fraction > 0 {
            // Go: v += uint64(float64(f) * (float64(unit) / scale)); the cast saturates.
            value = value.saturating_add((fraction as f64 * (unit as f64 / scale)) as u64);
            if value > LIMIT {
                return Err(invalid());
            }
        }
        total = total.saturating_add(value);
        if total > LIMIT {
            return Err(invalid());
        }
    }
    if negative {
        // 1<<63 itself is allowed when negative: it is i64::MIN.
        return Ok((total as i64).wrapping_neg());
    }
    i64::try_from(total).map_err(|_| invalid())
}

/// Go's `time.Duration.String`: `1h0m0s`, `1m30s`, `1.5s`, `300ms`, `1µs`, `0s`.
pub fn format_duration(nanos: i64) -> String {
    let negative = nanos < 0;
    let mut u = nanos.unsigned_abs();
    // Built back to front, as Go does.
    let mut out: Vec<char> = Vec::new();
    if u < 1_000_000_000 {
        out.push('s');
        let precision = match u {
            0 => return "0s".into(),
            u if u < 1_000 => {
                out.push('n');
                0
            }
            u if u < 1_000_000 => {
                out.push('µ');
                3
            }
            _ => {
                out.push('m');
                6
            }
        };
        u = push_fraction(&mut out, u, precision);
        push_int(&mut out, u);
    } else {
        out.push('s');
        u = push_fraction(&mut out, u, 9);
        push_int(&mut out, u % 60);
        u /= 60;
        if u > 0 {
            out.push('m');
            push_int(&mut out, u % 60);
            u /= 60;
            if u > 0 {
                out.push('h');
                push_int(&mut out, u);
            }
        }
    }
    if negative {
        out.push('-');
    }
    out.iter().rev().collect()
}

/// The fraction of `v / 10^precision`, trailing zeros (and a bare point) left out; returns
/// the integer part. Pushes in reverse.
fn push_fraction(out: &mut Vec<char>, mut v: u64, precision: u32) -> u64 {
    let mut printed = false;
    for _ in 0..precision {
        let digit = v % 10;
        printed = printed || digit != 0;
        if printed {
            out.push(char::from(b'0' + digit as u8));
        }
        v /= 10;
    }
    if printed {
        out.push('.');
    }
    v
}

/// Pushes the decimal digits of `v` in reverse.
fn push_int(out: &mut Vec<char>, mut v: u64) {
    if v == 0 {
        out.push('0');
        return;
    }
    while v > 0 {
        out.push(char::from(b'0' + (v % 10) as u8));
        v /= 10;
    }
}

/// Go's `strconv.Quote`: the text in double quotes, with `"` and `\` escaped, the usual
/// `\n`, `\t`, … escapes, and other control characters as `\x..` or `\u....`.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `%q` of a `[]string`: `["sh" "-c" "echo hi"]`, items quoted and separated by one space,
/// no commas. That is how Docker writes `CMD`, `ENTRYPOINT`, `SHELL` and `HEALTHCHECK` lists
/// into history rows.
pub fn quote_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_duration_matches_go_time_tests() {
        // From Go's time/time_test.go parseDurationTests.
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("5s", 5_000_000_000),
            ("30s", 30_000_000_000),
            ("1478s", 1_478_000_000_000),
            ("-5s", -5_000_000_000),
            ("+5s", 5_000_000_000),
            ("-0", 0),
            ("+0", 0),
            ("5.0s", 5_000_000_000),
            ("5.6s", 5_600_000_000),
            ("5.s", 5_000_000_000),
            (".5s", 500_000_000),
            ("1.0s", 1_000_000_000),
            ("1.00s", 1_000_000_000),
            ("1.004s", 1_004_000_000),
            ("1.0040s", 1_004_000_000),
            ("100.00100s", 100_001_000_000),
            ("10ns", 10),
            ("11us", 11_000),
            ("12µs", 12_000),
            ("12μs", 12_000),
            ("13ms", 13_000_000),
            ("14s", 14_000_000_000),
            ("15m", 900_000_000_000),
            ("16h", 57_600_000_000_000),
            ("3h30m", 12_600_000_000_000),
            ("10.5s4m", 250_500_000_000),
            ("-2m3.4s", -123_400_000_000),
            ("1h2m3s4ms5us6ns", 3_723_004_005_006),
            ("39h9m14.425s", 140_954_425_000_000),
            ("52763797000ns", 52_763_797_000),
            ("0.3333333333333333333h", 1_200_000_000_000),
            ("9007199254740993ns", 9_007_199_254_740_993),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("9223372036s854ms775us807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("-9223372036854775.808us", i64::MIN),
            ("-9223372036s854ms775us808ns", i64::MIN),
            ("-2562047h47m16.854775808s", i64::MIN),
            ("0.100000000000000000000h", 360_000_000_000),
            ("0.830103483285477580700h", 2_988_372_539_827),
            ("1.5h", 5_400_000_000_000),
            ("1.5s", 1_500_000_000),
        ];
        for (text, want) in ok {
            assert_eq!(parse_duration(text), Ok(*want), "{text}");
        }
        for bad in [
            "",
            "3",
            "-",
            "s",
            ".",
            "-.",
            ".s",
            "+.s",
            "1d",
            "\u{FFFD}",
            "9223372036854775808ns",
            "9223372036854775.808us",
            "-9223372036854775809ns",
            "-2562047h47m16.854775809s",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn parse_duration_errors_read_as_go() {
        assert_eq!(
            parse_duration("30").unwrap_err().to_string(),
            r#"time: missing unit in duration "30""#
        );
        assert_eq!(
            parse_duration("30sec").unwrap_err().to_string(),
            r#"time: unknown unit "sec" in duration "30sec""#
        );
        assert_eq!(
            parse_duration("soon").unwrap_err().to_string(),
            r#"time: invalid duration "soon""#
        );
    }

    #[test]
    fn format_duration_matches_go_time_tests() {
        // From Go's time/time_test.go durationTests.
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (3_300_000_000, "3.3s"),
            (4 * 60_000_000_000 + 5_000_000_000, "4m5s"),
            (4 * 60_000_000_000 + 5_001_000_000, "4m5.001s"),
            (
                5 * 3_600_000_000_000 + 6 * 60_000_000_000 + 7_001_000_000,
                "5h6m7.001s",
            ),
            (8 * 60_000_000_000 + 1, "8m0.000000001s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
            (3_600_000_000_000, "1h0m0s"),
            (30_000_000_000, "30s"),
        ];
        for (nanos, want) in cases {
            assert_eq!(format_duration(*nanos), *want, "{nanos}");
        }
    }

    #[test]
    fn every_parsed_duration_prints_back() {
        for text in ["1h0m0s", "1m30s", "1.5s", "300ms", "1µs", "2h45m0s", "10ns"] {
            assert_eq!(format_duration(parse_duration(text).expect(text)), text);
        }
    }

    #[test]
    fn quote_escapes_like_strconv() {
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote("tab\there\n"), r#""tab\there\n""#);
        assert_eq!(quote("\u{1}\u{7f}"), r#""\x01\x7f""#);
        assert_eq!(quote("ñandú <x>"), "\"ñandú <x>\"");
        assert_eq!(quote_list(&[]), "[]");
    }

    #[test]
    fn json_bytes_escapes_like_docker() {
        let v = serde_json::json!({"b": 1, "a": "x <y> & z\u{2028}"});
        assert_eq!(
            json_bytes(&v),
            br#"{"b":1,"a":"x \u003cy\u003e \u0026 z\u2028"}"#.to_vec()
        );
    }
}
