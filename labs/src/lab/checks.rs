//! What the exercise checks look at: containers, images and files in the store, read
//! through the engine as `capas` would.

use std::io::Read;

use capas_core::container::Container;
use capas_core::digest::Digest;
use capas_core::image::{self, Image};
use capas_core::reference::Reference;
use capas_core::samples;
use capas_core::shell::Fs;
use capas_core::store::Store;
use capas_core::union::UnionView;

/// A file's content, if there is one.
pub enum Found {
    /// Not there (or not a readable file).
    Missing,
    /// Its text.
    Text(String),
}

impl Found {
    /// Whether there is no such file.
    pub fn is_missing(&self) -> bool {
        matches!(self, Found::Missing)
    }
}

/// A container by name, if it exists.
pub fn container(store: &Store, name: &str) -> anyhow::Result<Option<Container>> {
    Ok(Container::open(store, name).ok())
}

/// An image by tag, if it exists.
pub fn image(store: &Store, tag: &str) -> anyhow::Result<Option<Image>> {
    let reference = Reference::parse_tagged(tag)?;
    let index = store.index()?;
    match index.by_reference(&reference) {
        Some(record) => Ok(Some(Image::load(store, record)?)),
        None => Ok(None),
    }
}

/// The ID a sample image always has (its pinned ID), whatever the store holds.
pub fn sample_id(name: &str) -> anyhow::Result<Digest> {
    let reference = Reference::parse_tagged(name)?;
    let sample = samples::find(&reference).ok_or_else(|| anyhow::anyhow!("no sample {name}"))?;
    Ok(sample.image_id())
}

/// Whether `id` is the image of the sample `name`.
pub fn is_image(_store: &Store, id: &Digest, name: &str) -> anyhow::Result<bool> {
    Ok(*id == sample_id(name)?)
}

/// Whether `img` is the sample `base` with exactly one more layer on top.
pub fn one_layer_on(store: &Store, img: &Image, base: &str) -> anyhow::Result<bool> {
    let base_ids = match image(store, base)? {
        Some(b) => b.diff_ids(),
        None => return Ok(false),
    };
    let ids = img.diff_ids();
    Ok(ids.len() == base_ids.len() + 1 && ids.starts_with(&base_ids))
}

/// Whether `img` has the sample `base`'s layers at its bottom.
pub fn built_on(store: &Store, img: &Image, base: &str) -> anyhow::Result<bool> {
    let base_ids = match image(store, base)? {
        Some(b) => b.diff_ids(),
        None => return Ok(false),
    };
    let ids = img.diff_ids();
    Ok(ids.len() > base_ids.len() && ids.starts_with(&base_ids))
}

/// A file as a container sees it.
pub fn read(c: &Container, path: &str) -> Found {
    let Ok(mut reader) = c.open_read(path) else {
        return Found::Missing;
    };
    let mut bytes = Vec::new();
    match reader.read_to_end(&mut bytes) {
        Ok(_) => Found::Text(String::from_utf8_lossy(&bytes).into_owned()),
        Err(_) => Found::Missing,
    }
}

/// A file as a new container of `img` would see it.
pub fn read_in_image(store: &Store, img: &Image, path: &str) -> anyhow::Result<Found> {
    let view = UnionView::of_image(store, img)?;
    Ok(match view.read(path) {
        Ok(bytes) => Found::Text(String::from_utf8_lossy(&bytes).into_owned()),
        Err(_) => Found::Missing,
    })
}

/// Text for a message: quoted, on one line, cut at 40 characters.
pub fn quote(text: &str) -> String {
    let one_line = text.trim_end().replace('\n', "⏎");
    let cut: String = one_line.chars().take(40).collect();
    if cut.len() < one_line.len() {
        format!("\"{cut}…\"")
    } else {
        format!("\"{cut}\"")
    }
}

/// The `docker diff` lines of a container.
pub fn diff(c: &Container) -> anyhow::Result<Vec<String>> {
    Ok(c.diff()?.iter().map(ToString::to_string).collect())
}

/// Whether a sample image kept its pinned ID in the store (it always does, unless the
/// student re-tagged the name to another image).
pub fn sample_unchanged(store: &Store, name: &str) -> anyhow::Result<bool> {
    Ok(image::resolve(&store.index()?, name)
        .map(|r| r.id.clone())
        .ok()
        == Some(sample_id(name)?))
}
