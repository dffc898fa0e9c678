//! The lexer: Go's `text/template/parse/lex.go`, item for item.
//!
//! A template is text with actions between `{{` and `}}`. The lexer cuts it into items
//! (text, delimiters, fields such as `.Repository`, identifiers such as `json`, strings,
//! numbers, `|`, `(`, `)`, …) and does the whitespace trimming of `{{- ` and ` -}}` itself,
//! so the parser never sees it. Its error texts are Go's (`bad character U+007D '}'`,
//! `unclosed action`), because Docker prints them as they are.

use crate::template::printf::go_quote_rune_hash_u;

/// The kinds of item, as Go names them (`itemField`, `itemIdentifier`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A lexing error; the value is its message.
    Error,
    /// `true` or `false`.
    Bool,
    /// A printable ASCII character inside an action (`,`, `=`…).
    Char,
    /// A character constant such as `'a'`.
    CharConstant,
    /// A complex constant such as `1+2i`.
    Complex,
    /// `=`.
    Assign,
    /// `:=`.
    Declare,
    /// The end of the input.
    Eof,
    /// `.Field`.
    Field,
    /// A name that is not a keyword: a function.
    Identifier,
    /// `{{`.
    LeftDelim,
    /// `(`.
    LeftParen,
    /// A number.
    Number,
    /// `|`.
    Pipe,
    /// A raw string, with its back quotes.
    RawString,
    /// `}}`.
    RightDelim,
    /// `)`.
    RightParen,
    /// A run of spaces inside an action.
    Space,
    /// A quoted string, with its quotes.
    String,
    /// Text outside actions.
    Text,
    /// `$` or `$name`.
    Variable,
    // The keywords, after this point (Go prints them as `<if>`).
    /// `block`.
    Block,
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// `.`.
    Dot,
    /// `define`.
    Define,
    /// `else`.
    Else,
    /// `end`.
    End,
    /// `if`.
    If,
    /// `nil`.
    Nil,
    /// `range`.
    Range,
    /// `template`.
    Template,
    /// `with`.
    With,
}

impl Kind {
    fn is_keyword(self) -> bool {
        matches!(
            self,
            Kind::Block
                | Kind::Break
                | Kind::Continue
                | Kind::Dot
                | Kind::Define
                | Kind::Else
                | Kind::End
                | Kind::If
                | Kind::Nil
                | Kind::Range
                | Kind::Template
                | Kind::With
        )
    }
}

fn keyword(word: &str) -> Option<Kind> {
    Some(match word {
        "." => Kind::Dot,
        "block" => Kind::Block,
        "break" => Kind::Break,
        "continue" => Kind::Continue,
        "define" => Kind::Define,
        "else" => Kind::Else,
        "end" => Kind::End,
        "if" => Kind::If,
        "range" => Kind::Range,
        "nil" => Kind::Nil,
        "template" => Kind::Template,
        "with" => Kind::With,
        _ => return None,
    })
}

/// One item: its kind, where it starts (a byte offset), its text, and its line.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub kind: Kind,
    pub pos: usize,
    pub val: String,
    pub line: usize,
}

impl std::fmt::Display for Item {
    /// Go's `item.String()`, which parse errors quote: `EOF`, `<end>`, `"}"`, and the first
    /// ten characters of a long value followed by `...`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            Kind::Eof => write!(f, "EOF"),
            Kind::Error => write!(f, "{}", self.val),
            k if k.is_keyword() => write!(f, "<{}>", self.val),
            _ if self.val.chars().count() > 10 => {
                let head: String = self.val.chars().take(10).collect();
                write!(f, "{}...", capas_core::go::quote(&head))
            }
            _ => write!(f, "{}", capas_core::go::quote(&self.val)),
        }
    }
}

const LEFT_DELIM: &str = "{{";
const RIGHT_DELIM: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";
/// `{{- ` and ` -}}`: a minus and one space character.
const TRIM_MARKER_LEN: usize = 2;

/// Go's `isSpace`: newlines are spaces inside an action since Go 1.16.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

fn has_left_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(char::from(b[1]))
}

fn has_right_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(char::from(b[0])) && b[1] == b'-'
}

/// Where the lexer is: scanning text, or inside an action.
enum State {
    Text,
    LeftDelim,
    Comment,
    InsideAction,
    RightDelim,
    Space,
    Identifier,
    Field,
    Variable,
    Char,
    Number,
    Quote,
    RawQuote,
}

/// The lexer; [`Lexer::next_item`] returns the items one by one, as Go's `nextItem` does.
pub(crate) struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    paren_depth: i32,
    inside_action: bool,
    /// Set once an error or EOF has been returned: every later call returns EOF.
    finished: bool,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(input: &'a str) -> Lexer<'a> {
        Lexer {
            input,
            pos: 0,
            start: 0,
            paren_depth: 0,
            inside_action: false,
            finished: false,
        }
    }

    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    /// The next character, consumed (`None` at the end).
    fn next(&mut self) -> Option<char> {
        let c = self.rest().chars().next()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// Steps back over `c`, the character `next` returned.
    fn backup(&mut self, c: Option<char>) {
        if let Some(c) = c {
            self.pos -= c.len_utf8();
        }
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn line_at(&self, pos: usize) -> usize {
        1 + self.input[..pos].matches('\n').count()
    }

    fn item(&mut self, kind: Kind) -> Item {
        let item = Item {
            kind,
            pos: self.start,
            val: self.input[self.start..self.pos].to_string(),
            line: self.line_at(self.start),
        };
        self.start = self.pos;
        item
    }

    fn ignore(&mut self) {
        self.start = self.pos;
    }

    fn error(&mut self, message: String) -> Item {
        self.finished = true;
        Item {
            kind: Kind::Error,
            pos: self.start,
            val: message,
            line: self.line_at(self.start),
        }
    }

    /// Go's `atTerminator`: what may follow an identifier or field.
    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.rest().starts_with(RIGHT_DELIM),
        }
    }

    /// Go's `atRightDelim`: at `}}`, possibly after a ` -` trim marker.
    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim_marker(rest) && rest[TRIM_MARKER_LEN..].starts_with(RIGHT_DELIM) {
            return (true, true);
        }
        (rest.starts_with(RIGHT_DELIM), false)
    }

    /// The next item of the template.
    pub(crate) fn next_item(&mut self) -> Item {
        if self.finished {
            return Item {
                kind: Kind::Eof,
                pos: self.pos,
                val: "EOF".into(),
                line: self.line_at(self.pos.min(self.input.len())),
            };
        }
        let mut state = if self.inside_action {
            State::InsideAction
        } else {
            State::Text
        };
        loop {
            state = match state {
                State::Text => match self.lex_text() {
                    Ok(item) => return item,
                    Err(next) => next,
                },
                State::LeftDelim => {
                    self.pos += LEFT_DELIM.len();
                    let trim = has_left_trim_marker(self.rest());
                    let after_marker = if trim { TRIM_MARKER_LEN } else { 0 };
                    if self.rest()[after_marker..].starts_with(LEFT_COMMENT) {
                        self.pos += after_marker;
                        self.ignore();
                        State::Comment
                    } else {
                        let item = self.item(Kind::LeftDelim);
                        self.inside_action = true;
                        self.pos += after_marker;
                        self.ignore();
                        self.paren_depth = 0;
                        return item;
                    }
                }
                State::Comment => {
                    self.pos += LEFT_COMMENT.len();
                    let Some(end) = self.rest().find(RIGHT_COMMENT) else {
                        return self.error("unclosed comment".into());
                    };
                    self.pos += end + RIGHT_COMMENT.len();
                    let (delim, trim) = self.at_right_delim();
                    if !delim {
                        return self.error("comment ends before closing delimiter".into());
                    }
                    if trim {
                        self.pos += TRIM_MARKER_LEN;
                    }
                    self.pos += RIGHT_DELIM.len();
                    if trim {
                        self.pos += left_trim_length(self.rest());
                    }
                    self.ignore();
                    State::Text
                }
                State::RightDelim => {
                    let (_, trim) = self.at_right_delim();
                    if trim {
                        self.pos += TRIM_MARKER_LEN;
                        self.ignore();
                    }
                    self.pos += RIGHT_DELIM.len();
                    let item = self.item(Kind::RightDelim);
                    if trim {
                        self.pos += left_trim_length(self.rest());
                        self.ignore();
                    }
                    self.inside_action = false;
                    return item;
                }
                State::InsideAction => match self.lex_inside_action() {
                    Ok(item) => return item,
                    Err(next) => next,
                },
                State::Space => {
                    let mut spaces = 0;
                    while self.peek().is_some_and(is_space) {
                        self.next();
                        spaces += 1;
                    }
                    // A space followed by `-}}` is the trim marker, not a space item.
                    let before = &self.input[self.pos - 1..];
                    if has_right_trim_marker(before)
                        && before[TRIM_MARKER_LEN..].starts_with(RIGHT_DELIM)
                    {
                        self.pos -= 1;
                        if spaces == 1 {
                            State::InsideAction
                        } else {
                            return self.item(Kind::Space);
                        }
                    } else {
                        return self.item(Kind::Space);
                    }
                }
                State::Identifier => {
                    let mut c = self.next();
                    while c.is_some_and(is_alphanumeric) {
                        c = self.next();
                    }
                    self.backup(c);
                    if !self.at_terminator() {
                        return self.bad_character(c);
                    }
                    let word = &self.input[self.start..self.pos];
                    let kind = match keyword(word) {
                        Some(k) => k,
                        None if word.starts_with('.') => Kind::Field,
                        None if word == "true" || word == "false" => Kind::Bool,
                        None => Kind::Identifier,
                    };
                    return self.item(kind);
                }
                State::Field => return self.lex_field_or_variable(Kind::Field),
                State::Variable => {
                    if self.at_terminator() {
                        return self.item(Kind::Variable);
                    }
                    return self.lex_field_or_variable(Kind::Variable);
                }
                State::Char => loop {
                    match self.next() {
                        Some('\\') => match self.next() {
                            None | Some('\n') => {
                                return self.error("unterminated character constant".into());
                            }
                            Some(_) => {}
                        },
                        None | Some('\n') => {
                            return self.error("unterminated character constant".into());
                        }
                        Some('\'') => return self.item(Kind::CharConstant),
                        Some(_) => {}
                    }
                },
                State::Number => {
                    if !self.scan_number() {
                        let text = self.input[self.start..self.pos].to_string();
                        return self.error(format!(
                            "bad number syntax: {}",
                            capas_core::go::quote(&text)
                        ));
                    }
                    if matches!(self.peek(), Some('+' | '-')) {
                        // A complex constant: 1+2i, no spaces, ending in i.
                        if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                            let text = self.input[self.start..self.pos].to_string();
                            return self.error(format!(
                                "bad number syntax: {}",
                                capas_core::go::quote(&text)
                            ));
                        }
                        return self.item(Kind::Complex);
                    }
                    return self.item(Kind::Number);
                }
                State::Quote => loop {
                    match self.next() {
                        Some('\\') => match self.next() {
                            None | Some('\n') => {
                                return self.error("unterminated quoted string".into());
                            }
                            Some(_) => {}
                        },
                        None | Some('\n') => {
                            return self.error("unterminated quoted string".into());
                        }
                        Some('"') => return self.item(Kind::String),
                        Some(_) => {}
                    }
                },
                State::RawQuote => loop {
                    match self.next() {
                        None => return self.error("unterminated raw quoted string".into()),
                        Some('`') => return self.item(Kind::RawString),
                        Some(_) => {}
                    }
                },
            };
        }
    }

    /// Text up to the next `{{` (trimmed before a `{{- `), or to the end.
    fn lex_text(&mut self) -> Result<Item, State> {
        if let Some(x) = self.rest().find(LEFT_DELIM) {
            if x > 0 {
                self.pos += x;
                let delim_end = self.pos + LEFT_DELIM.len();
                let trim = if has_left_trim_marker(&self.input[delim_end..]) {
                    right_trim_length(&self.input[self.start..self.pos])
                } else {
                    0
                };
                self.pos -= trim;
                let item = self.item(Kind::Text);
                self.pos += trim;
                self.ignore();
                if !item.val.is_empty() {
                    return Ok(item);
                }
            }
            return Err(State::LeftDelim);
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            return Ok(self.item(Kind::Text));
        }
        self.finished = true;
        Ok(self.item(Kind::Eof))
    }

    fn lex_inside_action(&mut self) -> Result<Item, State> {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return Err(State::RightDelim);
            }
            return Ok(self.error("unclosed left paren".into()));
        }
        let c = self.next();
        let Some(c) = c else {
            return Ok(self.error("unclosed action".into()));
        };
        match c {
            c if is_space(c) => {
                self.backup(Some(c));
                Err(State::Space)
            }
            '=' => Ok(self.item(Kind::Assign)),
            ':' => {
                if self.next() != Some('=') {
                    return Ok(self.error("expected :=".into()));
                }
                Ok(self.item(Kind::Declare))
            }
            '|' => Ok(self.item(Kind::Pipe)),
            '"' => Err(State::Quote),
            '`' => Err(State::RawQuote),
            '$' => Err(State::Variable),
            '\'' => Err(State::Char),
            // `.Field`, unless a digit follows (`.5`) or nothing does: then a number, which
            // the parser refuses (`illegal number syntax: "."`), as Go's does.
            '.' if self.peek().is_some_and(|n| !n.is_ascii_digit()) => Err(State::Field),
            '.' | '+' | '-' | '0'..='9' => {
                self.backup(Some(c));
                Err(State::Number)
            }
            c if is_alphanumeric(c) => {
                self.backup(Some(c));
                Err(State::Identifier)
            }
            '(' => {
                self.paren_depth += 1;
                Ok(self.item(Kind::LeftParen))
            }
            ')' => {
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return Ok(self.error("unexpected right paren".into()));
                }
                Ok(self.item(Kind::RightParen))
            }
            c if c.is_ascii() && !c.is_ascii_control() => Ok(self.item(Kind::Char)),
            c => Ok(self.error(format!(
                "unrecognized character in action: {}",
                go_quote_rune_hash_u(c)
            ))),
        }
    }

    /// `.Field` or `$name`, the `.` or `$` already read.
    fn lex_field_or_variable(&mut self, kind: Kind) -> Item {
        if self.at_terminator() {
            // Nothing follows: "." alone is the dot, "$" alone the root variable.
            let kind = if kind == Kind::Variable {
                Kind::Variable
            } else {
                Kind::Dot
            };
            return self.item(kind);
        }
        let mut c = self.next();
        while c.is_some_and(is_alphanumeric) {
            c = self.next();
        }
        self.backup(c);
        if !self.at_terminator() {
            return self.bad_character(c);
        }
        self.item(kind)
    }

    fn bad_character(&mut self, c: Option<char>) -> Item {
        let text = c.map(go_quote_rune_hash_u).unwrap_or_default();
        self.error(format!("bad character {text}"))
    }

    /// Go's `scanNumber`: accepts more than is valid (the parser checks), rejects a number
    /// followed by a letter.
    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alphanumeric) {
            self.next();
            return false;
        }
        true
    }
}

fn right_trim_length(s: &str) -> usize {
    s.len() - s.trim_end_matches(is_space).len()
}

fn left_trim_length(s: &str) -> usize {
    s.len() - s.trim_start_matches(is_space).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, String)> {
        let mut lexer = Lexer::new(text);
        let mut out = Vec::new();
        loop {
            let item = lexer.next_item();
            let kind = item.kind;
            out.push((kind, item.val));
            if matches!(kind, Kind::Eof | Kind::Error) {
                return out;
            }
        }
    }

    #[test]
    fn fields_chain_and_trim_markers_trim() {
        let items = kinds("a  {{- .A.B -}}  b");
        let want = [
            (Kind::Text, "a"),
            (Kind::LeftDelim, "{{"),
            (Kind::Field, ".A"),
            (Kind::Field, ".B"),
            (Kind::RightDelim, "}}"),
            (Kind::Text, "b"),
            (Kind::Eof, ""),
        ];
        assert_eq!(items.len(), want.len(), "{items:?}");
        for ((k, v), (wk, wv)) in items.iter().zip(want) {
            assert_eq!(*k, wk);
            if wk != Kind::Eof {
                assert_eq!(v, wv);
            }
        }
    }

    #[test]
    fn a_single_brace_after_a_field_is_a_bad_character() {
        let items = kinds("{{.Repository}");
        assert_eq!(
            items.last().map(|i| i.1.as_str()),
            Some("bad character U+007D '}'")
        );
    }

    #[test]
    fn minus_without_space_is_a_number() {
        let items = kinds("{{-3}}");
        assert_eq!(items[1], (Kind::Number, "-3".to_string()));
    }

    #[test]
    fn comments_vanish() {
        let items = kinds("{{/* c */}}ok");
        assert_eq!(items[0], (Kind::Text, "ok".to_string()));
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let item = Item {
            kind: Kind::Text,
            pos: 0,
            val: "abcdefghijklm".into(),
            line: 1,
        };
        assert_eq!(item.to_string(), r#""abcdefghij"..."#);
    }
}
