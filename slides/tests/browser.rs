//! An exported deck, opened in a real headless browser (Debian's `chromium`): the page must
//! render — a screenshot that is not blank — and show as many slides as the deck has.
//!
//! Without Chromium the test is skipped, saying so; `CAPAS_REQUIRE_BROWSER=1` (CI) requires it.

use std::fs::File;
use std::io::BufReader;

use capas_slides::{browser, html};

/// Whether Chromium is there; its absence fails the test when CI requires a browser.
fn browser_available(test: &str) -> bool {
    if browser::chromium().is_some() {
        return true;
    }
    if std::env::var("CAPAS_REQUIRE_BROWSER").as_deref() == Ok("1") {
        panic!(
            "{test}: no Chromium, and CAPAS_REQUIRE_BROWSER=1 requires one (apt-get install chromium)"
        );
    }
    eprintln!(
        "skipping {test}: no Chromium (apt-get install chromium; CAPAS_REQUIRE_BROWSER=1 requires it)"
    );
    false
}

#[test]
fn an_exported_deck_renders_in_a_browser() {
    if !browser_available("an_exported_deck_renders_in_a_browser") {
        return;
    }
    let deck = capas_slides::slides_dir().join("en").join("lab03.md");
    let out = tempfile::tempdir().expect("a temporary directory");
    let pages = html::export(std::slice::from_ref(&deck), out.path()).expect("exported");
    let page = &pages[0];
    let text = std::fs::read_to_string(&deck).expect("the deck");
    let expected = html::outline(&text).slide_count();
    assert!(expected > 5, "lab03 has more slides than that: {expected}");

    // The script ran and counted the slides it shows one at a time.
    let url = browser::file_url(page).expect("a URL");
    let dom = browser::dump_dom(&url).expect("the rendered page");
    assert!(
        dom.contains(&format!("data-shown=\"{expected}\"")),
        "the page shows another number of slides than the deck's {expected}:\n{}",
        &dom[..dom.len().min(2000)]
    );
    assert!(
        dom.contains(&format!("(1/{expected})</title>")),
        "the title names slide 1 of {expected}"
    );

    // Slide 8 of lab03 is its picture: the stack drawn inline.
    let shot = out.path().join("slide.png");
    browser::screenshot(&format!("{url}#8"), 1280, 720, 1, &shot).expect("a screenshot");
    let (width, height, distinct, dark) = pixels(&shot);
    assert_eq!((width, height), (1280, 720));
    assert!(distinct > 20, "a blank page: {distinct} colours");
    assert!(dark > 500, "no text on the page: {dark} dark pixels");
}

/// A PNG's size, how many colours it has, and how many of its pixels are dark (text).
fn pixels(path: &std::path::Path) -> (u32, u32, usize, usize) {
    let decoder = png::Decoder::new(BufReader::new(File::open(path).expect("the screenshot")));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("pixels");
    let channels = info.color_type.samples();
    let mut colours = std::collections::BTreeSet::new();
    let mut dark = 0;
    for px in buf[..info.buffer_size()].chunks(channels) {
        colours.insert(px[..3.min(px.len())].to_vec());
        if px.iter().take(3).all(|&c| c < 90) {
            dark += 1;
        }
    }
    (info.width, info.height, colours.len(), dark)
}
