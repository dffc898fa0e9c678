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

/// Where a store made from a student's Docker daemon (`checker grade --docker`) records the
/// IDs that daemon has for the sample names: `{"alpine:3.19": "sha256:…"}`.
///
/// Docker gets `alpine:3.19` from Docker Hub, whose image is not byte for byte the sample
/// capas generates, so its ID differs from the pinned one. The checks accept the recorded ID
/// for a name in place of the pinned one. A capas store never has this file, so there the
/// pinned IDs alone count. (The alternative, comparing images by their layers' contents,
/// would need the real images' contents in capas.)
pub const DOCKER_SAMPLE_IDS: &str = "docker-sample-ids.json";

/// Writes [`DOCKER_SAMPLE_IDS`] into `store` (the checker does, for a store mirrored from Docker).
pub fn record_docker_sample_ids(
    store: &Store,
    ids: &std::collections::BTreeMap<String, Digest>,
) -> anyhow::Result<()> {
    let path = store.layout().labs().join(DOCKER_SAMPLE_IDS);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, serde_json::to_vec_pretty(ids)?)?;
    Ok(())
}

/// The ID the sample `name` has in this store's world: the one recorded from Docker (see
/// [`DOCKER_SAMPLE_IDS`]) when there is one, else its pinned ID.
pub fn sample_id(store: &Store, name: &str) -> anyhow::Result<Digest> {
    let reference = Reference::parse_tagged(name)?;
    let sample = samples::find(&reference).ok_or_else(|| anyhow::anyhow!("no sample {name}"))?;
    let path = store.layout().labs().join(DOCKER_SAMPLE_IDS);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let recorded: std::collections::BTreeMap<String, Digest> =
                serde_json::from_slice(&bytes)?;
            Ok(recorded
                .get(name)
                .cloned()
                .unwrap_or_else(|| sample.image_id()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(sample.image_id()),
        Err(e) => Err(e.into()),
    }
}

/// Whether `id` is the image of the sample `name`.
pub fn is_image(store: &Store, id: &Digest, name: &str) -> anyhow::Result<bool> {
    Ok(*id == sample_id(store, name)?)
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

/// Whether a sample image kept its ID in the store (its pinned ID, or the one recorded from
/// Docker: it always does, unless the student re-tagged the name to another image).
pub fn sample_unchanged(store: &Store, name: &str) -> anyhow::Result<bool> {
    Ok(image::resolve(&store.index()?, name)
        .map(|r| r.id.clone())
        .ok()
        == Some(sample_id(store, name)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_docker_id_replaces_the_pinned_one() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path().join("store")).expect("store");
        let pinned = sample_id(&store, "alpine:3.19").expect("pinned");
        let hub = Digest::of_bytes(b"the alpine:3.19 of Docker Hub");
        assert!(is_image(&store, &pinned, "alpine:3.19").expect("check"));

        let ids = std::collections::BTreeMap::from([("alpine:3.19".to_string(), hub.clone())]);
        record_docker_sample_ids(&store, &ids).expect("record");
        assert!(is_image(&store, &hub, "alpine:3.19").expect("check"));
        assert!(!is_image(&store, &pinned, "alpine:3.19").expect("check"));
        // A sample Docker did not have keeps its pinned ID.
        assert_eq!(
            sample_id(&store, "busybox:latest").expect("busybox"),
            samples::find(&Reference::parse_tagged("busybox:latest").expect("name"))
                .expect("sample")
                .image_id()
        );
    }
}
