//! Docker's human formats: sizes, durations, truncated text and tables.
//!
//! `capas` output has to match the docker CLI byte for byte, and most of the
//! ways to get it subtly wrong live here. Each function names the Go code it
//! re-implements:
//!
//! | function | Docker | used by |
//! | --- | --- | --- |
//! | [`human_size`], [`size3`], [`size4`] | go-units `HumanSizeWithPrecision` (`size.go`) | SIZE columns, prune totals, `system df` |
//! | [`human_duration`], [`created_since`], [`history_created_since`] | go-units `HumanDuration` (`duration.go`) | CREATED columns |
//! | [`ellipsis`], [`created_by_cell`] | cli `formatter.Ellipsis` (`displayutils.go`) | CREATED BY column |
//! | [`short_id`] | `stringid.TruncateID` | IMAGE ID columns |
//! | [`Table`], [`tabwrite`] | Go `text/tabwriter` as set up by cli `formatter.go` | every table |
//! | [`rfc3339_local`] | `time.Unix(t, 0).Format(time.RFC3339)` | `history -H=false` |
//!
//! Everything here is a pure function of its arguments — "now" is passed in
//! (see [`crate::clock`]), and the one environment lookup (`TZ`) has a pure
//! twin, [`rfc3339_in`] — so the unit tests below pin Docker's behaviour down
//! exactly, quirks included (`1e+03kB`, `1 years`, trailing spaces).
//!
//! ```
//! use capas_labs::format::{Table, created_since, size3};
//!
//! let mut table = Table::new(&["REPOSITORY", "TAG", "SIZE"]);
//! table.row(vec!["demo/p".into(), "2".into(), size3(1_986_000)]);
//! assert_eq!(
//!     table.render(),
//!     "REPOSITORY   TAG       SIZE\n\
//!      demo/p       2         1.99MB\n"
//! );
//! assert_eq!(created_since(1_700_000_000, 1_700_000_000 + 3 * 86_400), "3 days ago");
//! ```

use jiff::Timestamp;
use jiff::tz::TimeZone;

// ---------------------------------------------------------------------------
// Sizes
// ---------------------------------------------------------------------------

/// Decimal units, as go-units `decimapAbbrs` spells them (lowercase `k`).
const DECIMAL_UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/// go-units `HumanSizeWithPrecision`: `bytes` in decimal units with
/// `precision` significant digits and no space (`1.98MB`).
///
/// Docker divides by 1000 (not 1024) while the value is at least 1000, then
/// prints it with Go's `fmt.Sprintf("%.*g%s", precision, size, unit)`. `%g`
/// is why a value that rounds up to 1000 prints in exponent form —
/// `999999` bytes at precision 3 is `1e+03kB`, a known Docker quirk
/// (docker/cli#3091) that capas reproduces rather than fixes.
///
/// ```
/// use capas_labs::format::human_size;
/// assert_eq!(human_size(1_982_544, 3), "1.98MB");
/// assert_eq!(human_size(999_999, 3), "1e+03kB");
/// ```
pub fn human_size(bytes: u64, precision: usize) -> String {
    // getSizeAndUnit: the float division (not integer division) matters, the
    // remainder is what %g rounds.
    // float64(size) in Go too: above 2^53 bytes this rounds, identically.
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < DECIMAL_UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    format!("{}{}", go_format_g(size, precision), DECIMAL_UNITS[unit])
}

/// Precision 3: `docker images` and `docker history` SIZE, `system df -v` SIZE.
pub fn size3(bytes: u64) -> String {
    human_size(bytes, 3)
}

/// Precision 4 (go-units `HumanSize`): `Total reclaimed space`, the
/// `system df` summary, SHARED SIZE and UNIQUE SIZE.
pub fn size4(bytes: u64) -> String {
    human_size(bytes, 4)
}

/// Go's `fmt.Sprintf("%.*g", precision, x)` for a finite `x >= 0`
/// (`strconv.FormatFloat(x, 'g', precision, 64)`).
///
/// Go's rule, step by step:
/// 1. round `x` to `precision` significant decimal digits (round half to
///    even on exact ties) and drop trailing zeros, leaving `nd` digits with
///    the decimal point after digit `dp` (`999.999` at 3 → digits `1`, `dp` 4);
/// 2. the decimal exponent is `dp - 1`; use exponent form when it is `< -4`
///    or `>= precision` (or `>= nd` when the digits are all fractional);
/// 3. exponent form prints the digits as `d.ddd` followed by `e`, a sign and
///    at least two exponent digits (`1e+03`); plain form prints as few
///    fraction digits as the rounded value needs.
fn go_format_g(x: f64, precision: usize) -> String {
    // `%.0g` means one significant digit in Go.
    let prec = precision.max(1);
    let (digits, dp) = round_significant(x, prec);
    let nd = digits.len();

    // i64 from here on: `dp` can be negative and the comparisons mix signs.
    let (prec, nd_i, dp_i) = (to_i64(prec), to_i64(nd), dp);
    let mut eprec = prec;
    if eprec > nd_i && nd_i >= dp_i {
        eprec = nd_i;
    }
    let exp = dp_i - 1;
    if exp < -4 || exp >= eprec {
        // %e with min(prec, nd) significant digits.
        let frac = prec.min(nd_i) - 1;
        return format_e(&digits, dp_i, frac);
    }
    let shown = if prec > dp_i { nd_i } else { prec };
    format_f(&digits, dp_i, (shown - dp_i).max(0))
}

/// The shortest decimal digits of `x` rounded to `prec` significant digits:
/// `(digits without trailing zeros, position of the decimal point)`, meaning
/// `0.d1d2d3… × 10^dp`. Zero is `([], 0)`, as in Go's `decimal` type.
fn round_significant(x: f64, prec: usize) -> (Vec<u8>, i64) {
    // Rust's `{:e}` with a precision is correctly rounded from the exact
    // binary value, half to even on exact ties — the same digits as Go's
    // strconv (`1.125` at 3 digits is `1.12` in both).
    let text = format!("{:.*e}", prec - 1, x);
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text.as_str(), "0"));
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits.is_empty() {
        return (digits, 0);
    }
    let exponent: i64 = exponent.parse().unwrap_or(0);
    (digits, exponent + 1)
}

/// Go's `fmtE`: `d.ddde±XX` with `frac` digits after the point.
fn format_e(digits: &[u8], dp: i64, frac: i64) -> String {
    let mut out = String::new();
    out.push(digits.first().map_or('0', |&d| char::from(d)));
    if frac > 0 {
        out.push('.');
        for i in 1..=frac {
            let d = usize::try_from(i).ok().and_then(|i| digits.get(i));
            out.push(d.map_or('0', |&d| char::from(d)));
        }
    }
    let exp = if digits.is_empty() { 0 } else { dp - 1 };
    let sign = if exp < 0 { '-' } else { '+' };
    // At least two exponent digits: `e+03`, never `e+3`.
    out.push_str(&format!("e{sign}{:02}", exp.abs()));
    out
}

/// Go's `fmtF`: the integer part (zero-padded past the digits we have), then
/// `frac` fraction digits.
fn format_f(digits: &[u8], dp: i64, frac: i64) -> String {
    let digit = |i: i64| -> char {
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.get(i))
            .map_or('0', |&d| char::from(d))
    };
    let mut out = String::new();
    if dp > 0 {
        for i in 0..dp {
            out.push(digit(i));
        }
    } else {
        out.push('0');
    }
    if frac > 0 {
        out.push('.');
        for i in 1..=frac {
            out.push(digit(dp + i - 1));
        }
    }
    out
}

/// `usize` → `i64` for the small digit counts above (saturating, never panics).
fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------
// Durations and CREATED
// ---------------------------------------------------------------------------

/// The longest span Go's `time.Duration` holds, in whole seconds (~292
/// years); `time.Now().Sub(t)` saturates there, so older times all say
/// `292 years`.
const MAX_GO_DURATION_SECONDS: i64 = i64::MAX / 1_000_000_000;

/// 2000-01-01T00:00:00Z: `docker history` prints `N/A` for anything created
/// at or before it (its `epoch` guard, for images with a zero or bogus date).
pub const HISTORY_EPOCH: i64 = 946_684_800;

/// go-units `HumanDuration` for a span of whole seconds.
///
/// The steps, exactly as Go has them (note the rounding changes on the way):
///
/// | span | text |
/// | --- | --- |
/// | < 1 s (and negative: clock skew) | `Less than a second` |
/// | 1 s | `1 second` |
/// | < 60 s | `N seconds` |
/// | minutes (truncated) = 1 | `About a minute` |
/// | < 60 min | `N minutes` |
/// | hours *rounded* = 1 | `About an hour` |
/// | < 48 h | `N hours` |
/// | < 14 days | `N days` (rounded hours / 24) |
/// | < 60 days | `N weeks` (rounded hours / 24 / 7) |
/// | < 2 years of 365 days | `N months` (rounded hours / 24 / 30) |
/// | otherwise | `N years` (*truncated* hours / 24 / 365) |
///
/// The mismatch in the last row is Go's, and it shows: the half hour before
/// exactly 2 years prints `1 years`.
pub fn human_duration(seconds: i64) -> String {
    // Go's durations are nanoseconds in an i64; longer spans saturate.
    let seconds = seconds.min(MAX_GO_DURATION_SECONDS);
    if seconds < 1 {
        return "Less than a second".to_owned();
    }
    if seconds == 1 {
        return "1 second".to_owned();
    }
    if seconds < 60 {
        return format!("{seconds} seconds");
    }
    // int(d.Minutes()): truncated.
    let minutes = seconds / 60;
    if minutes == 1 {
        return "About a minute".to_owned();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    // int(d.Hours() + 0.5): rounded, half an hour rounds up. With whole
    // seconds this is exact integer arithmetic.
    let hours = (seconds + 1800) / 3600;
    if hours == 1 {
        return "About an hour".to_owned();
    }
    if hours < 48 {
        return format!("{hours} hours");
    }
    if hours < 24 * 7 * 2 {
        return format!("{} days", hours / 24);
    }
    if hours < 24 * 30 * 2 {
        return format!("{} weeks", hours / 24 / 7);
    }
    if hours < 24 * 365 * 2 {
        return format!("{} months", hours / 24 / 30);
    }
    // int(d.Hours()) / 24 / 365: truncated this time.
    format!("{} years", seconds / 3600 / 24 / 365)
}

/// CREATED of `docker images`: `human_duration(now - created) + " ago"`.
///
/// Both arguments are unix seconds; `now` comes from a
/// [`Clock`](crate::clock::Clock). There is no date guard here: an image
/// created at 0 (1970) says `56 years ago` in Docker too.
pub fn created_since(created: i64, now: i64) -> String {
    format!("{} ago", human_duration(now.saturating_sub(created)))
}

/// CREATED of `docker history`: like [`created_since`], but `N/A` for
/// anything created at or before [`HISTORY_EPOCH`] (2000-01-01).
pub fn history_created_since(created: i64, now: i64) -> String {
    if created <= HISTORY_EPOCH {
        return "N/A".to_owned();
    }
    created_since(created, now)
}

// ---------------------------------------------------------------------------
// Truncation
// ---------------------------------------------------------------------------

/// Width of the CREATED BY column when truncating.
pub const CREATED_BY_WIDTH: usize = 45;

/// Characters that take two terminal columns: East Asian Wide and Fullwidth.
///
/// Docker asks `golang.org/x/text/width`; this is the usual compact
/// approximation of that table (the CJK, Hangul and fullwidth blocks and the
/// common emoji), not the full Unicode list — enough for the text a course
/// image carries, and capas has no Unicode-width dependency.
const WIDE_RANGES: [(u32, u32); 17] = [
    (0x1100, 0x115F),   // Hangul Jamo
    (0x2E80, 0x303E),   // CJK radicals … CJK symbols and punctuation
    (0x3041, 0x3247),   // Hiragana … enclosed CJK
    (0x3250, 0x4DBF),   // … CJK compatibility, CJK extension A
    (0x4E00, 0x9FFF),   // CJK unified ideographs
    (0xA000, 0xA4CF),   // Yi
    (0xA960, 0xA97F),   // Hangul Jamo extended-A
    (0xAC00, 0xD7A3),   // Hangul syllables
    (0xF900, 0xFAFF),   // CJK compatibility ideographs
    (0xFE10, 0xFE19),   // vertical forms
    (0xFE30, 0xFE6F),   // CJK compatibility forms, small forms
    (0xFF00, 0xFF60),   // fullwidth forms
    (0xFFE0, 0xFFE6),   // fullwidth signs
    (0x1F300, 0x1F64F), // pictographs, emoticons
    (0x1F900, 0x1F9FF), // supplemental symbols and pictographs
    (0x20000, 0x2FFFD), // CJK extension B …
    (0x30000, 0x3FFFD), // CJK extension G …
];

/// Docker's `charWidth`: 2 columns for East Asian Wide/Fullwidth, else 1.
fn char_width(c: char) -> usize {
    let c = u32::from(c);
    if WIDE_RANGES.iter().any(|&(lo, hi)| (lo..=hi).contains(&c)) {
        2
    } else {
        1
    }
}

/// Docker's `formatter.Ellipsis`: `s` cut to `max_width` display columns,
/// ending in `…` (U+2026) when it was cut.
///
/// If `s` is wider than `max_width`, it keeps the longest prefix that fits in
/// `max_width - 1` columns and appends `…` — for ASCII that is the first
/// `max_width - 1` characters. Wide CJK characters count two columns.
/// Docker's edge cases are kept: width 0 gives `""`, width 1 gives the first
/// character alone, and a string whose first character is already too wide
/// comes back uncut.
///
/// ```
/// use capas_labs::format::ellipsis;
/// assert_eq!(ellipsis("abcdef", 4), "abc…");
/// assert_eq!(ellipsis("abcd", 4), "abcd");
/// ```
pub fn ellipsis(s: &str, max_width: usize) -> String {
    if max_width == 0 {
        return String::new();
    }
    if max_width == 1 {
        // Go indexes rs[0] here (and panics on ""); we return "" instead.
        return s.chars().next().map(String::from).unwrap_or_default();
    }
    let total: usize = s.chars().map(char_width).sum();
    if total <= max_width {
        return s.to_owned();
    }
    // Keep characters while they fit in max_width - 1 columns, leaving one
    // column for the ellipsis.
    let mut kept = String::new();
    let mut width = 0;
    for c in s.chars() {
        width += char_width(c);
        if width > max_width - 1 {
            break;
        }
        kept.push(c);
    }
    if kept.is_empty() {
        // Go's loop finds no cut point and returns the string whole.
        return s.to_owned();
    }
    kept.push('…');
    kept
}

/// The CREATED BY cell of `docker history`: tabs become spaces (a tab would
/// split the table cell), then [`ellipsis`] to 45 columns unless `no_trunc`.
///
/// Newlines are left alone, as Docker leaves them: a multi-line `RUN` breaks
/// the table in `docker history --no-trunc` too.
pub fn created_by_cell(s: &str, no_trunc: bool) -> String {
    let s = s.replace('\t', " ");
    if no_trunc {
        s
    } else {
        ellipsis(&s, CREATED_BY_WIDTH)
    }
}

/// `stringid.TruncateID`: drop everything up to the first `:`, keep 12
/// characters. `sha256:73aca8af73d266f0…` → `73aca8af73d2`.
///
/// Anything shorter comes back unchanged after the prefix cut, so
/// `<missing>` stays `<missing>`.
pub fn short_id(digest_text: &str) -> String {
    let hex = digest_text
        .split_once(':')
        .map_or(digest_text, |(_, hex)| hex);
    hex.chars().take(12).collect()
}

// ---------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------

/// Minimum column width of Docker's tables, padding included.
pub const TABLE_MIN_WIDTH: usize = 10;

/// Spaces after the widest cell of a column.
pub const TABLE_PADDING: usize = 3;

/// A docker CLI table: a header line and rows, aligned the way
/// `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)` aligns them.
///
/// Each column is `max(10, widest cell + 3)` characters wide; the last column
/// is not padded. Cells before the last are always padded, even when what
/// follows is empty, so a `docker history` row with no COMMENT ends in spaces
/// (`1.98MB    `) — real Docker output does too.
///
/// Why not the `tabwriter` crate: it computes `max(minwidth, widest) +
/// padding`, which makes a short column like TAG 13 wide instead of Docker's
/// 10, and it measures display width where Go counts characters. See
/// [`tabwrite`] for the exact rules.
#[derive(Clone, Debug)]
pub struct Table {
    /// One tab-separated line per header and row, as Docker's template
    /// engine would have written them into its tabwriter.
    lines: Vec<String>,
}

impl Table {
    /// A table whose first line is `headers`.
    pub fn new(headers: &[&str]) -> Table {
        Table {
            lines: vec![headers.join("\t")],
        }
    }

    /// Appends a row; normally one cell per header.
    ///
    /// Cells are written as Docker writes them, so a tab or newline inside a
    /// cell splits it just as it would in `docker` output.
    pub fn row(&mut self, cells: Vec<String>) {
        self.lines.push(cells.join("\t"));
    }

    /// The aligned table, every line ending in `\n`.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for line in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        tabwrite(&text)
    }
}

/// One line of [`tabwrite`] input, split into cells.
struct TabLine<'a> {
    /// Cells; all but the last were terminated by a tab and belong to a column.
    cells: Vec<&'a str>,
    /// Whether the line ended with `\n` (only the very last may not).
    newline: bool,
}

impl TabLine<'_> {
    /// How many of this line's cells belong to columns.
    fn columns(&self) -> usize {
        self.cells.len().saturating_sub(1)
    }
}

/// Go's `text/tabwriter` with Docker's settings (minwidth 10, padding 3,
/// pad with spaces, no flags) applied to tab-separated `text`.
///
/// The rules, from Go's `tabwriter.go`:
/// * A cell is text terminated by a tab (`\t` or `\v`). The text after the
///   last tab of a line is not a column cell: it is printed as is, unpadded.
/// * A *column block* is a run of consecutive lines that all have a
///   terminated cell in that column; a line with fewer cells ends the block.
///   Within a block the column is `max(minwidth, widest cell + padding)` wide.
/// * Width is counted in characters (`utf8.RuneCount`), not display columns.
/// * Every terminated cell, even an empty one, is padded to its column width
///   with spaces.
///
/// `\f` (which also flushes blocks in Go) is not treated specially; Docker
/// never writes one.
pub fn tabwrite(text: &str) -> String {
    let lines = split_lines(text);

    // widths[line][column], filled one column block at a time.
    let mut widths: Vec<Vec<usize>> = lines.iter().map(|l| vec![0; l.columns()]).collect();
    let max_columns = lines.iter().map(TabLine::columns).max().unwrap_or(0);
    for column in 0..max_columns {
        let mut start = 0;
        while start < lines.len() {
            if lines[start].columns() <= column {
                start += 1;
                continue;
            }
            // The block: every following line that still has this column.
            let end = (start..lines.len())
                .find(|&i| lines[i].columns() <= column)
                .unwrap_or(lines.len());
            let width = lines[start..end]
                .iter()
                .map(|line| line.cells[column].chars().count() + TABLE_PADDING)
                .fold(TABLE_MIN_WIDTH, usize::max);
            for line_widths in &mut widths[start..end] {
                line_widths[column] = width;
            }
            start = end;
        }
    }

    let mut out = String::with_capacity(text.len() * 2);
    for (line, line_widths) in lines.iter().zip(&widths) {
        for (j, cell) in line.cells.iter().enumerate() {
            out.push_str(cell);
            if let Some(&width) = line_widths.get(j) {
                let pad = width.saturating_sub(cell.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        if line.newline {
            out.push('\n');
        }
    }
    out
}

/// Splits `text` into lines of cells; a final piece without `\n` is kept as
/// a line without newline, an empty one is dropped (as Go's `Flush` does).
fn split_lines(text: &str) -> Vec<TabLine<'_>> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(end) = rest.find('\n') {
        lines.push(TabLine {
            cells: rest[..end].split(['\t', '\x0b']).collect(),
            newline: true,
        });
        rest = &rest[end + 1..];
    }
    if !rest.is_empty() {
        lines.push(TabLine {
            cells: rest.split(['\t', '\x0b']).collect(),
            newline: false,
        });
    }
    lines
}

// ---------------------------------------------------------------------------
// Absolute times
// ---------------------------------------------------------------------------

/// The zone `-H=false` times are printed in: the one `TZ` names, or UTC when
/// `TZ` is unset or empty.
///
/// Docker uses the machine's local zone (`/etc/localtime` when `TZ` is unset).
/// capas deliberately falls back to UTC instead, so output does not depend on
/// how the machine was installed; set `TZ` to see local times. An invalid `TZ`
/// also gives UTC (jiff's fallback, which is what Go does too).
pub fn local_time_zone() -> TimeZone {
    match std::env::var_os("TZ") {
        Some(tz) if !tz.is_empty() => TimeZone::system(),
        _ => TimeZone::UTC,
    }
}

/// CREATED AT of `docker history -H=false`: Go's
/// `time.Unix(unix, 0).Format(time.RFC3339)` in [`local_time_zone`].
pub fn rfc3339_local(unix: i64) -> String {
    rfc3339_in(unix, &local_time_zone())
}

/// Go's `time.RFC3339` layout (`2006-01-02T15:04:05Z07:00`) for `unix` in `tz`.
///
/// A zero offset prints `Z` — in any zone, not only UTC — and other offsets
/// print `±hh:mm` (seconds of an offset are dropped, as Go drops them).
/// Times outside jiff's range (years beyond ±9999) print as the bare number.
pub fn rfc3339_in(unix: i64, tz: &TimeZone) -> String {
    let Ok(timestamp) = Timestamp::from_second(unix) else {
        return unix.to_string();
    };
    let zoned = timestamp.to_zoned(tz.clone());
    let dt = zoned.datetime();
    let year = i32::from(dt.year());
    // Go's appendInt(year, 4) puts the sign before four digits: -0001.
    let year = if year < 0 {
        format!("-{:04}", -year)
    } else {
        format!("{year:04}")
    };
    let mut out = format!(
        "{year}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    let offset = zoned.offset().seconds();
    if offset == 0 {
        out.push('Z');
    } else {
        let minutes = offset / 60;
        let sign = if minutes < 0 { '-' } else { '+' };
        let minutes = minutes.abs();
        out.push_str(&format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60));
    }
    out
}

/// A time as Go's `time.Time.String()` prints it in UTC, which is what Docker's
/// `--format json` shows as `CreatedAt`: `2024-01-27 00:30:48 +0000 UTC`.
pub fn go_time_utc(unix: i64) -> String {
    match jiff::Timestamp::from_second(unix) {
        Ok(t) => format!("{} +0000 UTC", t.strftime("%Y-%m-%d %H:%M:%S")),
        Err(_) => unix.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // --- sizes -------------------------------------------------------------

    /// Every example of docker-reference §5.3, at precision 3 and 4.
    #[test]
    fn sizes_match_the_reference_examples() {
        let cases: [(u64, &str, &str); 9] = [
            (0, "0B", "0B"),
            (37, "37B", "37B"),
            (1000, "1kB", "1kB"),
            (1023, "1.02kB", "1.023kB"),
            (999_499, "999kB", "999.5kB"),
            (999_999, "1e+03kB", "1000kB"),
            (1_982_544, "1.98MB", "1.983MB"),
            (999_674_558, "1e+03MB", "999.7MB"),
            (1_073_741_824, "1.07GB", "1.074GB"),
        ];
        for (bytes, p3, p4) in cases {
            assert_eq!(size3(bytes), p3, "size3({bytes})");
            assert_eq!(size4(bytes), p4, "size4({bytes})");
        }
    }

    #[test]
    fn sizes_round_to_significant_digits() {
        assert_eq!(size3(7_376_000), "7.38MB");
        assert_eq!(size3(7_384_999), "7.38MB");
        assert_eq!(size3(43_210_000), "43.2MB");
        assert_eq!(size4(43_210_000), "43.21MB");
        assert_eq!(size3(1_986_000), "1.99MB");
        assert_eq!(size4(1_986_000), "1.986MB");
        assert_eq!(size4(1_998_000), "1.998MB");
        assert_eq!(size4(5_000), "5kB");
        assert_eq!(size4(10_000), "10kB");
    }

    #[test]
    fn sizes_drop_trailing_zeros() {
        assert_eq!(size3(100_000), "100kB");
        assert_eq!(size3(120_000), "120kB");
        assert_eq!(size3(1_500_000), "1.5MB");
        assert_eq!(size4(2_000_000_000), "2GB");
    }

    #[test]
    fn sizes_below_1000_are_whole_bytes() {
        assert_eq!(size3(1), "1B");
        assert_eq!(size3(999), "999B");
        assert_eq!(size4(999), "999B");
        // Four digits would fit at precision 4 but 1000 already switches unit.
        assert_eq!(size4(1000), "1kB");
    }

    #[test]
    fn exact_ties_round_half_to_even_like_go() {
        // 1125 / 1000 = 1.125 exactly; Go's %.3g gives 1.12, not 1.13.
        assert_eq!(size3(1125), "1.12kB");
        assert_eq!(size3(1375), "1.38kB");
        // 999.5 rounds to even (1000), so it takes the exponent form.
        assert_eq!(size3(999_500), "1e+03kB");
    }

    #[test]
    fn values_rounding_to_1000_use_exponent_form_only_below_precision_4() {
        assert_eq!(size3(999_999_999), "1e+03MB");
        assert_eq!(size4(999_999_999), "1000MB");
        assert_eq!(human_size(999_999, 2), "1e+03kB");
        assert_eq!(human_size(99_999, 2), "1e+02kB");
    }

    #[test]
    fn huge_sizes_stop_at_exabytes_for_u64() {
        assert_eq!(size3(u64::MAX), "18.4EB");
        assert_eq!(size4(1_000_000_000_000_000_000), "1EB");
    }

    #[test]
    fn precision_zero_means_one_digit_like_go() {
        assert_eq!(human_size(1_982_544, 0), "2MB");
        assert_eq!(human_size(1_982_544, 1), "2MB");
        assert_eq!(human_size(1_982_544, 2), "2MB");
        assert_eq!(human_size(1_982_544, 5), "1.9825MB");
    }

    #[test]
    fn go_g_formats_small_and_large_exponents() {
        // Values no size produces, to pin down the whole %g rule.
        assert_eq!(go_format_g(0.0001234, 3), "0.000123");
        assert_eq!(go_format_g(0.00001234, 3), "1.23e-05");
        assert_eq!(go_format_g(123_456.0, 3), "1.23e+05");
        assert_eq!(go_format_g(1e100, 3), "1e+100");
        assert_eq!(go_format_g(0.5, 3), "0.5");
        assert_eq!(go_format_g(100.0, 3), "100");
        assert_eq!(go_format_g(1.0, 3), "1");
        assert_eq!(go_format_g(0.0, 4), "0");
    }

    // --- durations ---------------------------------------------------------

    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    const WEEK: i64 = 7 * DAY;
    const MONTH: i64 = 30 * DAY;
    const YEAR: i64 = 365 * DAY;

    /// go-units' own `TestHumanDuration`, minus its sub-second case.
    #[test]
    fn durations_match_go_units_tests() {
        let cases = [
            (0, "Less than a second"),
            (1, "1 second"),
            (45, "45 seconds"),
            (46, "46 seconds"),
            (59, "59 seconds"),
            (60, "About a minute"),
            (3 * MINUTE, "3 minutes"),
            (35 * MINUTE, "35 minutes"),
            (35 * MINUTE + 40, "35 minutes"),
            (45 * MINUTE, "45 minutes"),
            (45 * MINUTE + 40, "45 minutes"),
            (46 * MINUTE, "46 minutes"),
            (59 * MINUTE, "59 minutes"),
            (HOUR, "About an hour"),
            (HOUR + 29 * MINUTE, "About an hour"),
            (HOUR + 31 * MINUTE, "2 hours"),
            (HOUR + 59 * MINUTE, "2 hours"),
            (3 * HOUR, "3 hours"),
            (3 * HOUR + 29 * MINUTE, "3 hours"),
            (3 * HOUR + 31 * MINUTE, "4 hours"),
            (3 * HOUR + 59 * MINUTE, "4 hours"),
            (3 * HOUR + 60 * MINUTE, "4 hours"),
            (24 * HOUR, "24 hours"),
            (DAY + 12 * HOUR, "36 hours"),
            (2 * DAY, "2 days"),
            (7 * DAY, "7 days"),
            (13 * DAY + 5 * HOUR, "13 days"),
            (2 * WEEK, "2 weeks"),
            (2 * WEEK + 4 * DAY, "2 weeks"),
            (3 * WEEK, "3 weeks"),
            (4 * WEEK, "4 weeks"),
            (4 * WEEK + 3 * DAY, "4 weeks"),
            (MONTH, "4 weeks"),
            (MONTH + 2 * WEEK, "6 weeks"),
            (2 * MONTH, "2 months"),
            (2 * MONTH + 2 * WEEK, "2 months"),
            (3 * MONTH, "3 months"),
            (3 * MONTH + WEEK, "3 months"),
            (5 * MONTH + 2 * WEEK, "5 months"),
            (13 * MONTH, "13 months"),
            (23 * MONTH, "23 months"),
            (24 * MONTH, "24 months"),
            (24 * MONTH + 2 * WEEK, "2 years"),
            (3 * YEAR + 2 * MONTH, "3 years"),
        ];
        for (seconds, text) in cases {
            assert_eq!(human_duration(seconds), text, "{seconds}s");
        }
    }

    #[test]
    fn future_times_are_less_than_a_second() {
        assert_eq!(human_duration(-1), "Less than a second");
        assert_eq!(human_duration(i64::MIN), "Less than a second");
    }

    #[test]
    fn minutes_are_truncated() {
        assert_eq!(human_duration(2 * MINUTE - 1), "About a minute");
        assert_eq!(human_duration(2 * MINUTE), "2 minutes");
        assert_eq!(human_duration(HOUR - 1), "59 minutes");
    }

    #[test]
    fn hours_round_half_up() {
        assert_eq!(human_duration(HOUR + 30 * MINUTE - 1), "About an hour");
        assert_eq!(human_duration(HOUR + 30 * MINUTE), "2 hours");
        // 47.5 hours rounds to 48: already days.
        assert_eq!(human_duration(47 * HOUR + 30 * MINUTE - 1), "47 hours");
        assert_eq!(human_duration(47 * HOUR + 30 * MINUTE), "2 days");
    }

    #[test]
    fn unit_boundaries_use_rounded_hours() {
        assert_eq!(human_duration(2 * WEEK - 30 * MINUTE - 1), "13 days");
        assert_eq!(human_duration(2 * WEEK - 30 * MINUTE), "2 weeks");
        assert_eq!(human_duration(60 * DAY - 30 * MINUTE - 1), "8 weeks");
        assert_eq!(human_duration(60 * DAY - 30 * MINUTE), "2 months");
    }

    /// Go rounds hours to pick the unit but truncates them to count years, so
    /// the last half hour before two years says `1 years`.
    #[test]
    fn years_use_truncated_hours_so_just_under_two_years_is_1_years() {
        assert_eq!(human_duration(2 * YEAR - 30 * MINUTE - 1), "24 months");
        assert_eq!(human_duration(2 * YEAR - 30 * MINUTE), "1 years");
        assert_eq!(human_duration(2 * YEAR - 1), "1 years");
        assert_eq!(human_duration(2 * YEAR), "2 years");
    }

    #[test]
    fn durations_saturate_at_292_years_like_go() {
        assert_eq!(human_duration(i64::MAX), "292 years");
        assert_eq!(human_duration(300 * YEAR), "292 years");
    }

    #[test]
    fn created_since_appends_ago() {
        let now = 1_707_566_400;
        assert_eq!(created_since(now, now), "Less than a second ago");
        assert_eq!(created_since(now - 2, now), "2 seconds ago");
        assert_eq!(
            created_since(1_700_000_000, 1_700_000_000 + 3 * YEAR),
            "3 years ago"
        );
        assert_eq!(created_since(now + 100, now), "Less than a second ago");
    }

    #[test]
    fn images_created_since_has_no_date_guard() {
        assert_eq!(created_since(0, 1_707_566_400), "54 years ago");
    }

    #[test]
    fn history_prints_na_up_to_year_2000() {
        let now = 1_707_566_400;
        assert_eq!(history_created_since(0, now), "N/A");
        assert_eq!(history_created_since(-5, now), "N/A");
        assert_eq!(history_created_since(HISTORY_EPOCH, now), "N/A");
        assert_eq!(
            history_created_since(HISTORY_EPOCH + 1, now),
            "24 years ago"
        );
        assert_eq!(history_created_since(now - 60, now), "About a minute ago");
    }

    // --- truncation --------------------------------------------------------

    /// The examples in this file's docs, run as unit tests too.
    #[test]
    fn doc_examples_hold() {
        let mut table = Table::new(&["REPOSITORY", "TAG", "SIZE"]);
        table.row(vec!["demo/p".into(), "2".into(), size3(1_986_000)]);
        assert_eq!(
            table.render(),
            "REPOSITORY   TAG       SIZE\n\
             demo/p       2         1.99MB\n"
        );
        assert_eq!(
            created_since(1_700_000_000, 1_700_000_000 + 3 * 86_400),
            "3 days ago"
        );
        assert_eq!(human_size(1_982_544, 3), "1.98MB");
        assert_eq!(human_size(999_999, 3), "1e+03kB");
        assert_eq!(ellipsis("abcdef", 4), "abc…");
        assert_eq!(ellipsis("abcd", 4), "abcd");
    }

    #[test]
    fn ellipsis_keeps_strings_that_fit() {
        assert_eq!(ellipsis("", 45), "");
        assert_eq!(ellipsis("abc", 3), "abc");
        let exactly_45 = "a".repeat(45);
        assert_eq!(ellipsis(&exactly_45, 45), exactly_45);
    }

    #[test]
    fn ellipsis_cuts_to_width_minus_one_plus_ellipsis() {
        let long = "a".repeat(46);
        let cut = ellipsis(&long, 45);
        assert_eq!(cut.chars().count(), 45);
        assert_eq!(cut, format!("{}…", "a".repeat(44)));
    }

    #[test]
    fn ellipsis_edge_widths_follow_docker() {
        assert_eq!(ellipsis("abc", 0), "");
        assert_eq!(ellipsis("abc", 1), "a");
        assert_eq!(ellipsis("", 1), "");
        assert_eq!(ellipsis("abc", 2), "a…");
    }

    #[test]
    fn ellipsis_counts_wide_characters_as_two_columns() {
        // 世界 is 4 columns: fits in 4, not in 3.
        assert_eq!(ellipsis("世界", 4), "世界");
        assert_eq!(ellipsis("世界", 3), "世…");
        assert_eq!(ellipsis("a世界", 4), "a世…");
        // Non-ASCII but narrow: é is one column.
        assert_eq!(ellipsis("café au lait", 6), "café …");
    }

    #[test]
    fn ellipsis_returns_whole_string_when_first_char_is_too_wide() {
        // Docker's loop finds no cut point and gives the string back uncut.
        assert_eq!(ellipsis("世界世", 2), "世界世");
    }

    #[test]
    fn created_by_is_truncated_at_45_columns() {
        let commit = "sh -c echo changed >> /data/modify-me.txt; rm /data/delete-me.txt; \
                      mkdir -p /newdir/sub; echo a > /newdir/sub/f;";
        assert_eq!(
            created_by_cell(commit, false),
            "sh -c echo changed >> /data/modify-me.txt; r…"
        );
        assert_eq!(created_by_cell(commit, true), commit);
        assert_eq!(
            created_by_cell(
                r#"/bin/sh -c #(nop)  CMD ["sh" "-c" "cat /hello.txt"]"#,
                false
            ),
            r#"/bin/sh -c #(nop)  CMD ["sh" "-c" "cat /hell…"#
        );
        // Short ones, including a COPY's trailing space, are untouched.
        assert_eq!(
            created_by_cell("/bin/sh -c #(nop) WORKDIR /app", false),
            "/bin/sh -c #(nop) WORKDIR /app"
        );
        assert_eq!(created_by_cell("COPY a /a ", true), "COPY a /a ");
    }

    #[test]
    fn created_by_tabs_become_spaces_even_untruncated() {
        assert_eq!(created_by_cell("RUN\ta\tb", true), "RUN a b");
        assert_eq!(created_by_cell("RUN\ta\tb", false), "RUN a b");
    }

    #[test]
    fn short_id_drops_algorithm_and_keeps_12() {
        assert_eq!(
            short_id("sha256:73aca8af73d266f0ba5021c0f84207cfa40e11c691c7fa63017dcf9cb252c3fc"),
            "73aca8af73d2"
        );
        assert_eq!(
            short_id("73aca8af73d266f0ba5021c0f84207cfa40e11c691c7fa63017dcf9cb252c3fc"),
            "73aca8af73d2"
        );
        assert_eq!(short_id("<missing>"), "<missing>");
        assert_eq!(short_id("sha256:abc"), "abc");
        assert_eq!(short_id(""), "");
    }

    // --- tables ------------------------------------------------------------

    #[test]
    fn narrow_columns_are_ten_wide_wide_ones_cell_plus_three() {
        let mut table = Table::new(&["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]);
        table.row(vec![
            "demo/p".into(),
            "2".into(),
            "e79cccb018a4".into(),
            "Less than a second ago".into(),
            "1.99MB".into(),
        ]);
        table.row(vec![
            "<none>".into(),
            "<none>".into(),
            "92a4bf52132f".into(),
            "2 seconds ago".into(),
            "1.99MB".into(),
        ]);
        assert_eq!(
            table.render(),
            "REPOSITORY   TAG       IMAGE ID       CREATED                  SIZE\n\
             demo/p       2         e79cccb018a4   Less than a second ago   1.99MB\n\
             <none>       <none>    92a4bf52132f   2 seconds ago            1.99MB\n"
        );
    }

    /// The `docker history demo/commit:1` output of docker-reference
    /// Appendix A.2, rebuilt from the raw history items.
    #[test]
    fn history_table_matches_docker_output() {
        let now = 1_707_566_400;
        let mut table = Table::new(&["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]);
        table.row(vec![
            short_id("sha256:73aca8af73d266f0ba5021c0f84207cfa40e11c691c7fa63017dcf9cb252c3fc"),
            history_created_since(now, now),
            created_by_cell(
                "sh -c echo changed >> /data/modify-me.txt; rm /data/delete-me.txt",
                false,
            ),
            size3(37),
            "my commit msg".into(),
        ]);
        table.row(vec![
            short_id("sha256:4b8d56b9f659"),
            history_created_since(now - 3 * YEAR - 10 * DAY, now),
            created_by_cell("mkimage.py: ADD busybox + rootfs files", false),
            size3(1_982_544),
            "hand-made layer 1".into(),
        ]);
        assert_eq!(
            table.render(),
            "IMAGE          CREATED                  CREATED BY                                      SIZE      COMMENT\n\
             73aca8af73d2   Less than a second ago   sh -c echo changed >> /data/modify-me.txt; r…   37B       my commit msg\n\
             4b8d56b9f659   3 years ago              mkimage.py: ADD busybox + rootfs files          1.98MB    hand-made layer 1\n"
        );
    }

    /// SIZE is a tab-terminated cell, so Go pads it even when the COMMENT
    /// after it is empty: real `docker history` lines end in spaces
    /// (Appendix A.5, whose transcript had them stripped).
    #[test]
    fn empty_last_cell_leaves_trailing_spaces_like_go() {
        let now = 1_707_566_400;
        let mut table = Table::new(&["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]);
        let rows = [
            (
                "1ff536d324ed",
                2,
                r#"/bin/sh -c #(nop)  CMD ["sh" "-c" "cat /hello.txt"]"#,
                0,
                "",
            ),
            ("f0324ef780c8", 2, "/bin/sh -c #(nop) WORKDIR /app", 0, ""),
            (
                "4b8d56b9f659",
                3 * YEAR,
                "mkimage.py: ADD busybox + rootfs files",
                1_982_544,
                "hand-made layer 1",
            ),
        ];
        for (id, age, created_by, size, comment) in rows {
            table.row(vec![
                id.into(),
                history_created_since(now - age, now),
                created_by_cell(created_by, false),
                size3(size),
                comment.into(),
            ]);
        }
        let expected = [
            "IMAGE          CREATED         CREATED BY                                      SIZE      COMMENT",
            r#"1ff536d324ed   2 seconds ago   /bin/sh -c #(nop)  CMD ["sh" "-c" "cat /hell…   0B        "#,
            "f0324ef780c8   2 seconds ago   /bin/sh -c #(nop) WORKDIR /app                  0B        ",
            "4b8d56b9f659   3 years ago     mkimage.py: ADD busybox + rootfs files          1.98MB    hand-made layer 1",
        ];
        let rendered = table.render();
        assert_eq!(rendered, format!("{}\n", expected.join("\n")));
        assert!(
            rendered
                .lines()
                .nth(1)
                .is_some_and(|l| l.ends_with("0B        "))
        );
    }

    #[test]
    fn header_only_table_is_one_line() {
        let table = Table::new(&["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]);
        assert_eq!(
            table.render(),
            "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n"
        );
    }

    #[test]
    fn last_column_is_never_padded() {
        let mut table = Table::new(&["A", "B"]);
        table.row(vec!["x".into(), "a much longer last cell".into()]);
        assert_eq!(
            table.render(),
            "A         B\nx         a much longer last cell\n"
        );
    }

    #[test]
    fn width_counts_characters_not_bytes_or_columns() {
        // Go's tabwriter counts runes: … is one, 世 is one (Docker misaligns
        // wide text in tables, and so do we). The column is 11 + 3 = 14.
        let mut table = Table::new(&["X", "Y"]);
        table.row(vec!["ab…".into(), "1".into()]);
        table.row(vec!["世世世世世世世世世世世".into(), "2".into()]);
        assert_eq!(
            table.render(),
            "X             Y\nab…           1\n世世世世世世世世世世世   2\n"
        );
    }

    #[test]
    fn tab_inside_a_cell_splits_it_like_docker() {
        let mut table = Table::new(&["A", "B"]);
        table.row(vec!["x\ty".into(), "z".into()]);
        assert_eq!(table.render(), "A         B\nx         y         z\n");
    }

    #[test]
    fn a_line_without_tabs_ends_the_column_block() {
        // Go aligns each block of consecutive lines separately.
        let text = "aaaaaaaaaaaaaaa\tx\nnote\nb\ty\n";
        assert_eq!(tabwrite(text), "aaaaaaaaaaaaaaa   x\nnote\nb         y\n");
    }

    #[test]
    fn blocks_of_inner_columns_nest_in_outer_ones() {
        // Column 1 exists only on the first two lines; the third line's
        // column 0 is still aligned with them.
        let text = "a\tbbbbbbbbbbbbbbbb\tc\nd\te\tf\ngggg\th\n";
        assert_eq!(
            tabwrite(text),
            "a         bbbbbbbbbbbbbbbb   c\n\
             d         e                  f\n\
             gggg      h\n"
        );
    }

    #[test]
    fn tabwrite_keeps_a_final_line_without_newline() {
        assert_eq!(tabwrite("a\tb\nc\td"), "a         b\nc         d");
        assert_eq!(tabwrite(""), "");
    }

    #[test]
    fn vertical_tab_terminates_cells_too() {
        assert_eq!(tabwrite("a\x0bb\n"), "a         b\n");
    }

    // --- absolute times ----------------------------------------------------

    #[test]
    fn rfc3339_in_utc_ends_in_z() {
        assert_eq!(
            rfc3339_in(1_707_566_400, &TimeZone::UTC),
            "2024-02-10T12:00:00Z"
        );
        assert_eq!(rfc3339_in(0, &TimeZone::UTC), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_in(-1, &TimeZone::UTC), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn rfc3339_prints_nonzero_offsets_with_colon() {
        let plus_two = TimeZone::fixed(jiff::tz::offset(2));
        assert_eq!(
            rfc3339_in(1_707_566_400, &plus_two),
            "2024-02-10T14:00:00+02:00"
        );
        let minus_330 = TimeZone::fixed(
            jiff::tz::Offset::from_seconds(-(3 * 3600 + 30 * 60)).unwrap_or(jiff::tz::Offset::UTC),
        );
        assert_eq!(
            rfc3339_in(1_707_566_400, &minus_330),
            "2024-02-10T08:30:00-03:30"
        );
    }

    #[test]
    fn rfc3339_follows_daylight_saving_rules() {
        let Ok(madrid) = TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3") else {
            panic!("valid POSIX TZ string");
        };
        assert_eq!(
            rfc3339_in(1_707_566_400, &madrid),
            "2024-02-10T13:00:00+01:00"
        );
        assert_eq!(
            rfc3339_in(1_720_612_800, &madrid),
            "2024-07-10T14:00:00+02:00"
        );
    }

    #[test]
    fn rfc3339_zero_offset_in_any_zone_is_z() {
        let Ok(london) = TimeZone::posix("GMT0BST,M3.5.0/1,M10.5.0") else {
            panic!("valid POSIX TZ string");
        };
        assert_eq!(rfc3339_in(1_707_566_400, &london), "2024-02-10T12:00:00Z");
    }

    #[test]
    fn rfc3339_out_of_range_prints_the_number() {
        assert_eq!(rfc3339_in(i64::MAX, &TimeZone::UTC), i64::MAX.to_string());
    }
}
