//! A drawing as a PNG, for presenterm (which shows PNG, not SVG, in the terminal) and for
//! any viewer. The SVG is the picture; the PNG is made from it by the browser and records
//! which SVG it was made from (`sha256:…` of its bytes, in a `tEXt` chunk named `Source`), so
//! the deck test can tell a stale PNG without drawing pixels, which differ with fonts.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;

use anyhow::Context as _;

use crate::browser;

/// The keyword of the `tEXt` chunk that names the source.
const KEYWORD: &str = "Source";

/// The source a PNG records, if it is a PNG that records one.
pub fn source_stamp(path: &Path) -> anyhow::Result<Option<String>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let reader = png::Decoder::new(BufReader::new(file)).read_info()?;
    Ok(reader
        .info()
        .uncompressed_latin1_text
        .iter()
        .find(|t| t.keyword == KEYWORD)
        .map(|t| t.text.clone()))
}

/// Rasterizes the SVG at `svg` into `out` (at twice its size, sharp on a large screen) with
/// the browser, and stamps it with `stamp`.
pub fn rasterize(svg: &Path, out: &Path, stamp: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(svg)?;
    let (width, height) =
        svg_size(&text).with_context(|| format!("{} has no width and height", svg.display()))?;
    let shot = tempfile::Builder::new().prefix("capas-png-").tempdir()?;
    let raw = shot.path().join("shot.png");
    browser::screenshot(&browser::file_url(svg)?, width, height, 2, &raw)?;

    // Decoded and written again, with the stamp.
    let mut reader = png::Decoder::new(BufReader::new(File::open(&raw)?)).read_info()?;
    let mut pixels = vec![
        0;
        reader
            .output_buffer_size()
            .context("a screenshot too large")?
    ];
    let frame = reader.next_frame(&mut pixels)?;
    let mut encoder = png::Encoder::new(
        BufWriter::new(File::create(out)?),
        frame.width,
        frame.height,
    );
    encoder.set_color(frame.color_type);
    encoder.set_depth(frame.bit_depth);
    encoder.set_compression(png::Compression::High);
    encoder.add_text_chunk(KEYWORD.to_string(), stamp.to_string())?;
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels[..frame.buffer_size()])?;
    writer.finish()?;
    Ok(())
}

/// The `width` and `height` of an SVG's root element, in pixels.
pub fn svg_size(svg: &str) -> Option<(i32, i32)> {
    let root = &svg[svg.find("<svg")?..];
    let root = &root[..root.find('>')?];
    let attr = |name: &str| -> Option<i32> {
        let start = root.find(&format!(" {name}=\""))? + name.len() + 3;
        root[start..].split('"').next()?.parse().ok()
    };
    Some((attr("width")?, attr("height")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_of_an_svg_is_read_from_its_root() {
        assert_eq!(
            svg_size("<svg xmlns=\"x\" width=\"900\" height=\"420\" viewBox=\"0 0 900 420\">"),
            Some((900, 420))
        );
        assert_eq!(svg_size("<svg>"), None);
    }

    #[test]
    fn a_stamp_written_is_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.png");
        let mut encoder = png::Encoder::new(File::create(&path).expect("create"), 1, 1);
        encoder.set_color(png::ColorType::Rgb);
        encoder
            .add_text_chunk(KEYWORD.into(), "sha256:ab".into())
            .expect("text");
        let mut w = encoder.write_header().expect("header");
        w.write_image_data(&[0, 0, 0]).expect("data");
        w.finish().expect("finish");
        assert_eq!(
            source_stamp(&path).expect("reads").as_deref(),
            Some("sha256:ab")
        );
    }
}
