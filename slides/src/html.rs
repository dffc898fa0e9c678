//! A deck as one self-contained HTML page, for a room whose projector shows a browser and no
//! terminal: the styles, the script and the pictures (the SVG drawings, inline) are all in the
//! file, so it opens without a network, from a USB stick too.
//!
//! It reads presenterm's Markdown as presenterm does: the front matter makes the title slide,
//! `<!-- end_slide -->` ends a slide, `<!-- column_layout: [1, 1] -->`, `<!-- column: N -->`
//! and `<!-- reset_layout -->` lay out columns, `<!-- speaker_note: … -->` is a note for the
//! instructor. Keys: → / Space / PageDown next, ← / PageUp back, Home / End, `n` shows or
//! hides the speaker notes, `f` full screen. The page's title says which slide of how many.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use base64::Engine as _;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// A deck read for the page: its title slide and its slides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outline {
    /// From the front matter.
    pub title: String,
    /// `sub_title` of the front matter.
    pub subtitle: String,
    /// `author` of the front matter.
    pub author: String,
    /// The slides after the title slide.
    pub slides: Vec<Slide>,
}

/// One slide.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Slide {
    /// Its content: Markdown, and columns of Markdown.
    pub blocks: Vec<Block>,
    /// Its speaker notes.
    pub notes: Vec<String>,
}

/// A run of a slide's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Markdown across the slide.
    Markdown(String),
    /// Side-by-side columns: their relative widths and their Markdown.
    Columns(Vec<u32>, Vec<String>),
}

impl Outline {
    /// How many slides presenterm shows: the title slide (when there is a title) and the rest.
    pub fn slide_count(&self) -> usize {
        usize::from(!self.title.is_empty()) + self.slides.len()
    }
}

/// Reads a deck's Markdown into slides.
pub fn outline(text: &str) -> Outline {
    let (front, body) = front_matter(text);
    let field = |key: &str| {
        front
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}:")))
            .map(|v| v.trim().trim_matches('"').to_string())
            .unwrap_or_default()
    };
    let mut slides = Vec::new();
    let mut current = SlideBuilder::default();
    let mut fence: Option<String> = None;
    let mut lines = body.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if let Some(f) = &fence {
            current.push(line);
            if trimmed.starts_with(f.as_str()) && trimmed.chars().all(|c| c == '`' || c == '~') {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            let c = trimmed.chars().next().unwrap_or('`');
            fence = Some(trimmed.chars().take_while(|x| *x == c).collect());
            current.push(line);
            continue;
        }
        if !trimmed.starts_with("<!--") {
            current.push(line);
            continue;
        }
        // A comment command, perhaps over several lines (a YAML speaker note).
        let mut comment = trimmed.to_string();
        while !comment.ends_with("-->") {
            match lines.next() {
                Some(next) => {
                    comment.push('\n');
                    comment.push_str(next);
                }
                None => break,
            }
        }
        let inner = comment
            .trim_start_matches("<!--")
            .trim_end_matches("-->")
            .trim();
        if inner == "end_slide" {
            slides.push(std::mem::take(&mut current).finish());
        } else if let Some(note) = inner.strip_prefix("speaker_note:") {
            current.notes.push(yaml_text(note));
        } else if let Some(widths) = inner.strip_prefix("column_layout:") {
            current.columns(widths);
        } else if let Some(n) = inner.strip_prefix("column:") {
            current.column(n.trim().parse().unwrap_or(0));
        } else if inner == "reset_layout" {
            current.reset();
        }
        // Every other comment (pause, user comments `// …`, …) shows nothing.
    }
    slides.push(current.finish());
    slides.retain(|s: &Slide| {
        s.blocks.iter().any(|b| match b {
            Block::Markdown(m) => !m.trim().is_empty(),
            Block::Columns(..) => true,
        })
    });
    Outline {
        title: field("title"),
        subtitle: field("sub_title"),
        author: field("author"),
        slides,
    }
}

/// A slide being read.
#[derive(Default)]
struct SlideBuilder {
    blocks: Vec<Block>,
    text: String,
    notes: Vec<String>,
    /// Inside a column layout: the widths, the columns' text, the column being written.
    layout: Option<(Vec<u32>, Vec<String>, usize)>,
}

impl SlideBuilder {
    fn push(&mut self, line: &str) {
        let target = match &mut self.layout {
            Some((_, cols, n)) => &mut cols[*n],
            None => &mut self.text,
        };
        target.push_str(line);
        target.push('\n');
    }

    fn flush_text(&mut self) {
        if !self.text.trim().is_empty() {
            self.blocks
                .push(Block::Markdown(std::mem::take(&mut self.text)));
        }
        self.text.clear();
    }

    fn columns(&mut self, widths: &str) {
        self.reset();
        self.flush_text();
        let widths: Vec<u32> = widths
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(',')
            .filter_map(|w| w.trim().parse().ok())
            .collect();
        let n = widths.len().max(1);
        self.layout = Some((widths, vec![String::new(); n], 0));
    }

    fn column(&mut self, n: usize) {
        if let Some((_, cols, current)) = &mut self.layout {
            *current = n.min(cols.len() - 1);
        }
    }

    fn reset(&mut self) {
        if let Some((widths, cols, _)) = self.layout.take() {
            self.blocks.push(Block::Columns(widths, cols));
        }
    }

    fn finish(mut self) -> Slide {
        self.reset();
        self.flush_text();
        Slide {
            blocks: self.blocks,
            notes: self.notes,
        }
    }
}

/// The value of a YAML scalar as a speaker note has it: plain, or a `|` block.
fn yaml_text(value: &str) -> String {
    let value = value.trim_start_matches([' ', '\t']);
    if let Some(block) = value.strip_prefix('|') {
        let lines: Vec<&str> = block.lines().skip(1).collect();
        let indent = lines
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start().len())
            .min()
            .unwrap_or(0);
        lines
            .iter()
            .map(|l| l.get(indent..).unwrap_or("").trim_end())
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string()
    } else {
        value.trim().to_string()
    }
}

/// Splits `---` front matter from the body.
fn front_matter(text: &str) -> (&str, &str) {
    if let Some(rest) = text.strip_prefix("---\n")
        && let Some(end) = rest.find("\n---\n")
    {
        return (&rest[..end], &rest[end + 5..]);
    }
    ("", text)
}

/// Markdown to HTML: console blocks get their prompts marked, images are embedded (an SVG
/// drawing beside a PNG is put inline, crisp at any size; otherwise the image as data).
fn markdown(md: &str, deck_dir: &Path) -> anyhow::Result<String> {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut events = Vec::new();
    let mut console: Option<String> = None;
    let mut image: Option<(String, String)> = None;
    for event in Parser::new_ext(md, options) {
        if let Some((_, alt)) = &mut image {
            match event {
                Event::End(TagEnd::Image) => {
                    let (dest, alt) = image.take().unwrap_or_default();
                    events.push(Event::Html(embed_image(&dest, &alt, deck_dir)?.into()));
                }
                Event::Text(t) | Event::Code(t) => alt.push_str(&t),
                _ => {}
            }
            continue;
        }
        if let Some(text) = &mut console {
            match event {
                Event::Text(t) => text.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let text = console.take().unwrap_or_default();
                    events.push(Event::Html(console_html(&text).into()));
                }
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                if info.split_whitespace().next() == Some("console") =>
            {
                console = Some(String::new());
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                image = Some((dest_url.to_string(), String::new()));
            }
            other => events.push(other),
        }
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Ok(html)
}

/// A console block: `$ ` lines marked as commands, the rest as their output.
fn console_html(text: &str) -> String {
    let mut out = String::from("<pre class=\"console\"><code>");
    for line in text.lines() {
        match line.strip_prefix("$ ") {
            Some(command) => {
                let _ = writeln!(
                    out,
                    "<span class=\"prompt\">$ </span><span class=\"command\">{}</span>",
                    escape(command)
                );
            }
            None => {
                let _ = writeln!(out, "{}", escape(line));
            }
        }
    }
    out.push_str("</code></pre>\n");
    out
}

/// An image of the deck, embedded in the page.
fn embed_image(dest: &str, alt: &str, deck_dir: &Path) -> anyhow::Result<String> {
    let path = deck_dir.join(dest);
    let svg = path.with_extension("svg");
    if svg.is_file() {
        let text = std::fs::read_to_string(&svg)?;
        return Ok(format!(
            "<figure class=\"picture\" aria-label=\"{}\">{}</figure>",
            escape(alt),
            text.trim()
        ));
    }
    let bytes =
        std::fs::read(&path).with_context(|| format!("reading the image {}", path.display()))?;
    let mime = match path.extension().and_then(|e| e.to_str()) {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        _ => "image/png",
    };
    Ok(format!(
        "<figure class=\"picture\"><img alt=\"{}\" src=\"data:{mime};base64,{}\"></figure>",
        escape(alt),
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page of the deck at `path`.
pub fn page(path: &Path) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let deck = outline(&text);
    let lang = dir.file_name().and_then(|n| n.to_str()).unwrap_or("en");
    let mut sections = String::new();
    if !deck.title.is_empty() {
        let _ = writeln!(
            sections,
            "<section class=\"slide title-slide\"><h1>{}</h1><p class=\"subtitle\">{}</p><p class=\"author\">{}</p></section>",
            inline(&deck.title),
            inline(&deck.subtitle),
            inline(&deck.author)
        );
    }
    for slide in &deck.slides {
        sections.push_str("<section class=\"slide\">\n");
        for block in &slide.blocks {
            match block {
                Block::Markdown(md) => sections.push_str(&markdown(md, dir)?),
                Block::Columns(widths, cols) => {
                    let template: Vec<String> = widths.iter().map(|w| format!("{w}fr")).collect();
                    let _ = writeln!(
                        sections,
                        "<div class=\"columns\" style=\"grid-template-columns:{}\">",
                        template.join(" ")
                    );
                    for col in cols {
                        let _ = writeln!(
                            sections,
                            "<div class=\"column\">{}</div>",
                            markdown(col, dir)?
                        );
                    }
                    sections.push_str("</div>\n");
                }
            }
        }
        for note in &slide.notes {
            let _ = writeln!(
                sections,
                "<aside class=\"notes\">{}</aside>",
                markdown(note, dir)?
            );
        }
        sections.push_str("</section>\n");
    }
    let title = strip_markdown(&deck.title);
    Ok(TEMPLATE
        .replace("{{lang}}", lang)
        .replace("{{title}}", &escape(&title))
        .replace("{{count}}", &deck.slide_count().to_string())
        .replace("{{style}}", STYLE)
        .replace("{{script}}", SCRIPT)
        .replace("{{slides}}", &sections))
}

/// Inline Markdown (a title with `code` or *emphasis*) as HTML without a paragraph.
fn inline(md: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, Parser::new(md));
    html.trim()
        .trim_start_matches("<p>")
        .trim_end_matches("</p>")
        .to_string()
}

/// A title as plain text, for the window's title.
fn strip_markdown(md: &str) -> String {
    md.replace(['`', '*', '_'], "")
}

/// Writes the page of each deck into `out/<lang>/<deck>.html`; returns the files written.
pub fn export(decks: &[PathBuf], out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for deck in decks {
        let lang = deck
            .parent()
            .and_then(|p| p.file_name())
            .map(PathBuf::from)
            .unwrap_or_default();
        let dir = out.join(lang);
        std::fs::create_dir_all(&dir)?;
        let stem = deck.file_stem().context("a deck without a name")?;
        let target = dir.join(stem).with_extension("html");
        std::fs::write(&target, page(deck)?)
            .with_context(|| format!("writing {}", target.display()))?;
        written.push(target);
    }
    Ok(written)
}

const TEMPLATE: &str = r#"<!DOCTYPE html>
<html lang="{{lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="capas-slides">
<title>{{title}}</title>
<style>
{{style}}
</style>
</head>
<body data-slide-count="{{count}}">
<main id="deck">
{{slides}}</main>
<div id="counter" aria-live="polite"></div>
<script>
{{script}}
</script>
</body>
</html>
"#;

const STYLE: &str = r#"*{box-sizing:border-box}
html,body{margin:0;height:100%;background:#f6f7f9;color:#1d2733;font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif}
#deck{height:100%}
.slide{position:relative;min-height:100vh;padding:4vh 6vw 6vh;font-size:clamp(15px,2.1vw,34px);line-height:1.35;background:#fff;border-bottom:1px solid #d5dbe1;overflow:auto}
.js .slide{display:none;height:100vh;border:0}
.js .slide.current{display:block}
.title-slide{display:flex;flex-direction:column;justify-content:center;text-align:center}
.js .title-slide.current{display:flex}
.title-slide h1{font-size:2.2em;margin:0 0 .4em}
.subtitle{font-size:1.2em;color:#4a6f94;margin:.2em}
.author{color:#5c6b7a}
h1,h2,h3{color:#24425f;margin:.2em 0 .5em}
h1{font-size:1.6em;border-bottom:3px solid #c47a00;padding-bottom:.2em}
code{font-family:"DejaVu Sans Mono","Liberation Mono",monospace;font-size:.9em;background:#eef2f6;padding:0 .2em;border-radius:3px}
pre{background:#1d2733;color:#e8edf2;padding:.8em 1em;border-radius:6px;overflow:auto;font-size:.6em;line-height:1.3}
pre code{background:none;padding:0;font-size:1em;color:inherit}
pre.console .prompt{color:#f0b44c;font-weight:bold}
pre.console .command{color:#ffffff;font-weight:bold}
blockquote{border-left:4px solid #4a6f94;margin:.5em 0;padding:.1em 1em;color:#3b4b5c;background:#f1f5f9}
table{border-collapse:collapse;font-size:.8em}
th,td{border:1px solid #c9d2db;padding:.2em .6em;text-align:left}
.columns{display:grid;gap:2vw;align-items:start}
.picture{margin:.4em 0;text-align:center}
.picture svg,.picture img{max-width:100%;height:auto;max-height:62vh}
.notes{display:none;margin-top:1em;padding:.6em 1em;background:#fff6d6;border:1px dashed #c47a00;font-size:.7em}
.notes-on .notes{display:block}
#counter{position:fixed;right:1.2vw;bottom:1vh;color:#8594a3;font-size:14px}
@media print{.js .slide,.js .title-slide{display:block;height:auto;page-break-after:always}#counter{display:none}}"#;

const SCRIPT: &str = r#"(function(){
  var slides = Array.prototype.slice.call(document.querySelectorAll('section.slide'));
  var title = document.title, i = 0, counter = document.getElementById('counter');
  document.documentElement.className = 'js';
  function show(n){
    i = Math.max(0, Math.min(slides.length - 1, n));
    slides.forEach(function(s, k){ s.classList.toggle('current', k === i); });
    document.title = title + ' (' + (i + 1) + '/' + slides.length + ')';
    counter.textContent = (i + 1) + ' / ' + slides.length;
    if (location.hash !== '#' + (i + 1)) history.replaceState(null, '', '#' + (i + 1));
  }
  document.addEventListener('keydown', function(e){
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    switch (e.key) {
      case 'ArrowRight': case 'ArrowDown': case 'PageDown': case ' ': case 'Enter': case 'l': case 'j': show(i + 1); break;
      case 'ArrowLeft': case 'ArrowUp': case 'PageUp': case 'Backspace': case 'h': case 'k': show(i - 1); break;
      case 'Home': case 'g': show(0); break;
      case 'End': case 'G': show(slides.length - 1); break;
      case 'n': document.body.classList.toggle('notes-on'); break;
      case 'f': if (document.fullscreenElement) document.exitFullscreen(); else document.documentElement.requestFullscreen(); break;
      default: return;
    }
    e.preventDefault();
  });
  document.addEventListener('click', function(e){
    if (e.target.closest('a, pre, .notes')) return;
    show(e.clientX > window.innerWidth / 3 ? i + 1 : i - 1);
  });
  window.addEventListener('hashchange', function(){ show(parseInt(location.hash.slice(1), 10) - 1 || 0); });
  document.body.setAttribute('data-shown', String(slides.length));
  show(parseInt(location.hash.slice(1), 10) - 1 || 0);
})();"#;

#[cfg(test)]
mod tests {
    use super::*;

    const DECK: &str = "---\ntitle: \"Lab 3\"\nsub_title: Copy-on-write\nauthor: capas\n---\n\nIdea\n===\n\ntext\n\n<!-- speaker_note: say it -->\n\n<!-- end_slide -->\n\n<!-- column_layout: [1, 2] -->\n<!-- column: 0 -->\nleft\n<!-- column: 1 -->\n```console\n$ capas images\n<none>\n<!-- end_slide -->\n```\n<!-- reset_layout -->\n\n<!--\nspeaker_note: |\n  one\n  two\n-->\n\n<!-- end_slide -->\n";

    #[test]
    fn slides_are_cut_at_end_slide_outside_code() {
        let o = outline(DECK);
        assert_eq!(o.title, "Lab 3");
        assert_eq!(o.subtitle, "Copy-on-write");
        assert_eq!(o.slides.len(), 2, "{o:?}");
        assert_eq!(o.slide_count(), 3);
        assert_eq!(o.slides[0].notes, ["say it"]);
        assert_eq!(o.slides[1].notes, ["one\ntwo"]);
        match &o.slides[1].blocks[0] {
            Block::Columns(widths, cols) => {
                assert_eq!(widths, &[1, 2]);
                assert!(cols[1].contains("<!-- end_slide -->"), "{cols:?}");
            }
            other => panic!("columns expected, got {other:?}"),
        }
    }

    #[test]
    fn console_output_is_escaped_and_prompts_marked() {
        let html = console_html("$ capas images\n<none>   <none>\n");
        assert!(html.contains(
            "<span class=\"prompt\">$ </span><span class=\"command\">capas images</span>"
        ));
        assert!(html.contains("&lt;none&gt;   &lt;none&gt;"));
    }

    #[test]
    fn a_page_needs_nothing_from_outside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let deck_dir = dir.path().join("en");
        std::fs::create_dir_all(deck_dir.join("img")).expect("mkdir");
        std::fs::write(
            deck_dir.join("img/x.svg"),
            "<svg width=\"1\" height=\"1\"></svg>\n",
        )
        .expect("svg");
        let deck = deck_dir.join("d.md");
        std::fs::write(&deck, format!("{DECK}\n![A picture](img/x.png)\n")).expect("deck");
        let page = page(&deck).expect("a page");
        assert!(
            page.contains("<figure class=\"picture\" aria-label=\"A picture\"><svg"),
            "the drawing is inline"
        );
        for outside in ["src=\"http", "href=\"http", "<link", "<script src"] {
            assert!(!page.contains(outside), "{outside}");
        }
        assert!(page.contains("data-slide-count=\"4\""));
        assert!(page.contains("<html lang=\"en\">"));
    }
}
