//! The small SVG writer the pictures use: boxes, text, lines and arrows on a white page, in
//! whole pixels and one embedded style sheet, so that the same drawing gives the same bytes.

use std::fmt::Write as _;

/// The style sheet every picture carries (no fonts or files from outside).
const STYLE: &str = "\
text{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:14px;fill:#1d2733}
.small{font-size:12px}.big{font-size:18px;font-weight:bold}.muted{fill:#5c6b7a}
.bold{font-weight:bold}.mid{text-anchor:middle}.end{text-anchor:end}
.page{fill:#ffffff}
.ro{fill:#dbe7f3;stroke:#4a6f94;stroke-width:1.5}
.rw{fill:#fde7c4;stroke:#c47a00;stroke-width:2}
.shared{fill:#e4dcf5;stroke:#6a4fa3;stroke-width:2}
.bar{fill:#4a6f94}.bar2{fill:#6a4fa3}.bar3{fill:#c47a00}
.cow{stroke:#2f8a3a;stroke-width:2;fill:none}
.wh{stroke:#c0392b;stroke-width:2;fill:none}
.guide{stroke:#9aa8b6;stroke-width:1;fill:none;stroke-dasharray:4 3}
.cowt{fill:#2f8a3a}.wht{fill:#c0392b}.sharedt{fill:#6a4fa3}";

/// A picture being drawn.
pub struct Svg {
    width: i32,
    height: i32,
    body: String,
}

impl Svg {
    /// An empty white page.
    pub fn new(width: i32, height: i32) -> Svg {
        Svg {
            width,
            height,
            body: String::new(),
        }
    }

    /// The page's width.
    pub fn width(&self) -> i32 {
        self.width
    }

    /// A box; `class` is one of the style sheet's (`ro`, `rw`, `shared`, `bar`…).
    pub fn rect(&mut self, x: i32, y: i32, w: i32, h: i32, class: &str) {
        let _ = writeln!(
            self.body,
            r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="4" class="{class}"/>"#
        );
    }

    /// A line of text whose baseline starts at (x, y); `class` may add `small`, `big`,
    /// `mid`, `end`, `muted`, `bold`.
    pub fn text(&mut self, x: i32, y: i32, text: &str, class: &str) {
        let _ = writeln!(
            self.body,
            r#"<text x="{x}" y="{y}" class="{class}">{}</text>"#,
            escape(text)
        );
    }

    /// A straight line.
    pub fn line(&mut self, x1: i32, y1: i32, x2: i32, y2: i32, class: &str) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" class="{class}"/>"#
        );
    }

    /// A line ending in an arrowhead at (x2, y2), in the colour of `class` (`cow`, `wh`).
    pub fn arrow(&mut self, x1: i32, y1: i32, x2: i32, y2: i32, class: &str) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" class="{class}" marker-end="url(#head-{class})"/>"#
        );
    }

    /// The whole SVG document; `title` is what a screen reader says of it.
    pub fn finish(self, title: &str) -> String {
        let (w, h) = (self.width, self.height);
        let mut out = String::new();
        let _ = writeln!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img">"#
        );
        let _ = writeln!(out, "<title>{}</title>", escape(title));
        let _ = writeln!(out, "<style>\n{STYLE}\n</style>");
        out.push_str("<defs>\n");
        for (class, colour) in [("cow", "#2f8a3a"), ("wh", "#c0392b"), ("guide", "#9aa8b6")] {
            let _ = writeln!(
                out,
                r#"<marker id="head-{class}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>"#
            );
        }
        out.push_str("</defs>\n");
        let _ = writeln!(
            out,
            r#"<rect x="0" y="0" width="{w}" height="{h}" class="page"/>"#
        );
        out.push_str(&self.body);
        out.push_str("</svg>\n");
        out
    }
}

/// The width in pixels of `text` in the monospace font at `size` px (0.6 em a character).
pub fn text_width(text: &str, size: i32) -> i32 {
    (text.chars().count() as i32 * size * 3 + 4) / 5
}

/// Shortens `text` to `max` characters, with `…` at the end when cut.
pub fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// XML's five escapes.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_drawing_gives_the_same_bytes() {
        let draw = || {
            let mut s = Svg::new(100, 50);
            s.rect(1, 2, 3, 4, "ro");
            s.text(5, 6, "<missing> & co", "small");
            s.finish("t")
        };
        assert_eq!(draw(), draw());
        assert!(draw().contains("&lt;missing&gt; &amp; co"));
    }

    #[test]
    fn fit_cuts_with_an_ellipsis() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
    }
}
