//! Words and variable substitution in a Dockerfile's arguments (BuildKit's `shell/lex.go`,
//! the part Dockerfiles use): how `ENV`, `LABEL`, `COPY`, `WORKDIR`… split their arguments
//! into words and replace `$X`, `${X}`, `${X:-default}` and `${X:+alternative}`.

/// Splits `text` into words the way Docker reads the arguments of `ENV`, `LABEL`, `COPY`…:
/// blanks separate words, quotes group (and are removed), the escape character takes the next
/// character literally, and variables are replaced from `vars` (`$X`, `${X}`, `${X:-default}`,
/// `${X:+alternative}`; none inside single quotes). A variable's value is never split.
///
/// ```
/// use capas_core::image::instructions::words::words;
/// let vars = |n: &str| (n == "V").then(|| "1.0".to_string());
/// assert_eq!(
///     words(r#"app-$V "a b" ${NOPE:-x}"#, '\\', &vars).unwrap(),
///     ["app-1.0", "a b", "x"]
/// );
/// ```
pub fn words(
    text: &str,
    escape: char,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<String>, String> {
    lex(text, escape, vars, true)
}

/// Like [`words`], but the whole text is one word (blanks kept): how Docker reads `WORKDIR`,
/// `USER` and the value of an old-style `ENV key value`.
pub fn word(
    text: &str,
    escape: char,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    Ok(lex(text, escape, vars, false)?.join(""))
}

fn lex(
    text: &str,
    escape: char,
    vars: &dyn Fn(&str) -> Option<String>,
    split: bool,
) -> Result<Vec<String>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    // An unquoted expansion to nothing makes no word (as in sh); `""` makes an empty one.
    let mut quoted = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if split && c.is_whitespace() {
            if in_word && (quoted || !current.is_empty()) {
                out.push(std::mem::take(&mut current));
            }
            in_word = false;
            quoted = false;
            i += 1;
            continue;
        }
        in_word = true;
        match c {
            '\'' => {
                quoted = true;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(
                            "unexpected end of statement while looking for matching single-quote"
                                .into(),
                        ),
                        Some('\'') => break,
                        Some(&ch) => current.push(ch),
                    }
                    i += 1;
                }
                i += 1;
            }
            '"' => {
                quoted = true;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(
                            "unexpected end of statement while looking for matching double-quote"
                                .into(),
                        ),
                        Some('"') => break,
                        Some(&ch) if ch == escape => {
                            // Inside double quotes the escape only escapes `"`, `$` and itself.
                            match chars.get(i + 1) {
                                Some(&n) if n == '"' || n == '$' || n == escape => {
                                    current.push(n);
                                    i += 1;
                                }
                                _ => current.push(ch),
                            }
                        }
                        Some('$') => {
                            i = expand(&chars, i, vars, &mut current)?;
                            continue;
                        }
                        Some(&ch) => current.push(ch),
                    }
                    i += 1;
                }
                i += 1;
            }
            '$' => {
                i = expand(&chars, i, vars, &mut current)?;
            }
            ch if ch == escape => {
                if let Some(&n) = chars.get(i + 1) {
                    current.push(n);
                    i += 2;
                } else {
                    i += 1;
                }
            }
            ch => {
                current.push(ch);
                i += 1;
            }
        }
    }
    if (in_word && (quoted || !current.is_empty() || !split)) || (!split && out.is_empty()) {
        out.push(current);
    }
    Ok(out)
}

/// Expands the variable starting at `chars[i] == '$'`; returns the index after it.
fn expand(
    chars: &[char],
    i: usize,
    vars: &dyn Fn(&str) -> Option<String>,
    out: &mut String,
) -> Result<usize, String> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    match chars.get(i + 1) {
        Some('{') => {
            let mut j = i + 2;
            let start = j;
            while j < chars.len() && is_name(chars[j]) {
                j += 1;
            }
            let name: String = chars[start..j].iter().collect();
            if name.is_empty() {
                return Err("missing variable name in ${}".into());
            }
            match chars.get(j) {
                Some('}') => {
                    out.push_str(&vars(&name).unwrap_or_default());
                    Ok(j + 1)
                }
                Some(&op) if op == ':' || op == '-' || op == '+' || op == '?' => {
                    let (colon, op, mut k) = if op == ':' {
                        (true, chars.get(j + 1).copied().unwrap_or(' '), j + 2)
                    } else {
                        (false, op, j + 1)
                    };
                    let word_start = k;
                    let mut depth = 0;
                    while k < chars.len() && !(chars[k] == '}' && depth == 0) {
                        if chars[k] == '{' {
                            depth += 1;
                        } else if chars[k] == '}' {
                            depth -= 1;
                        }
                        k += 1;
                    }
                    if k >= chars.len() {
                        return Err(format!("missing '}}' in ${{{name}…"));
                    }
                    let raw: String = chars[word_start..k].iter().collect();
                    let alt = lex(&raw, '\\', vars, false)?.join("");
                    let value = vars(&name);
                    let set = match &value {
                        Some(v) => !(colon && v.is_empty()),
                        None => false,
                    };
                    let result = match op {
                        '-' => {
                            if set {
                                value.unwrap_or_default()
                            } else {
                                alt
                            }
                        }
                        '+' => {
                            if set {
                                alt
                            } else {
                                String::new()
                            }
                        }
                        '?' => {
                            if set {
                                value.unwrap_or_default()
                            } else {
                                return Err(format!("{name}: {alt}"));
                            }
                        }
                        other => {
                            return Err(format!("unsupported modifier ({other}) in substitution"));
                        }
                    };
                    out.push_str(&result);
                    Ok(k + 1)
                }
                _ => Err(format!("missing '}}' in ${{{name}")),
            }
        }
        Some(&c) if is_name(c) => {
            let mut j = i + 1;
            while j < chars.len() && is_name(chars[j]) {
                j += 1;
            }
            let name: String = chars[i + 1..j].iter().collect();
            out.push_str(&vars(&name).unwrap_or_default());
            Ok(j)
        }
        _ => {
            out.push('$');
            Ok(i + 1)
        }
    }
}

/// `key=value` pairs of `ENV`, `LABEL` (and `key value`, the old one-pair form).
pub fn pairs(
    text: &str,
    escape: char,
    vars: &dyn Fn(&str) -> Option<String>,
    keyword: &str,
) -> Result<Vec<(String, String)>, String> {
    let first = text.split_whitespace().next().unwrap_or_default();
    if !first.contains('=') {
        // Old form: `ENV key the rest is the value`.
        let value = text[first.len()..].trim_start();
        if value.is_empty() {
            return Err(format!("{keyword} must have two arguments"));
        }
        let key = word(first, escape, vars)?;
        return Ok(vec![(key, word(value, escape, vars)?)]);
    }
    words(text, escape, vars)?
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(format!("{keyword} names can not be blank")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn substitution_forms() {
        let vars = |n: &str| match n {
            "A" => Some("x".to_string()),
            "E" => Some(String::new()),
            _ => None,
        };
        let w = |t: &str| words(t, '\\', &vars).expect("words");
        assert_eq!(w("$A ${A} pre${A}post"), ["x", "x", "prexpost"]);
        assert_eq!(w("${B:-d} ${A:-d} ${E:-d} ${E-d}"), ["d", "x", "d"]);
        assert_eq!(w("${A:+alt} ${B:+alt}."), ["alt", "."]);
        assert_eq!(w("'$A' \"$A\" \\$A"), ["$A", "x", "$A"]);
        assert_eq!(w("a\\ b"), ["a b"]);
        assert_eq!(
            word("  two  words ", '\\', &none).expect("w"),
            "  two  words "
        );
        assert!(words("\"open", '\\', &none).is_err());
        assert!(words("${X", '\\', &none).is_err());
    }

    #[test]
    fn env_pairs_new_and_old_forms() {
        let p = |t: &str| pairs(t, '\\', &none, "ENV").expect("pairs");
        assert_eq!(
            p("A=b C=\"d e\""),
            [("A".into(), "b".into()), ("C".into(), "d e".into())]
        );
        assert_eq!(p("A b c"), [("A".to_string(), "b c".to_string())]);
        assert!(pairs("A", '\\', &none, "ENV").is_err());
        assert!(pairs("=x", '\\', &none, "ENV").is_err());
    }
}
