//! Scenarios: data files (TOML) of steps run on both engines and facts compared after them.
//! An instructor adds one by writing a file, no Rust:
//!
//! ```toml
//! description = "A container's changes"
//! [[step]]
//! do = "busybox"            # a runnable base image made by capas from Debian's busybox-static
//! tag = "checker/bb:1"
//! [[step]]
//! do = "run"
//! name = "c1"
//! image = "checker/bb:1"
//! cmd = ["sh", "-c", "echo hola > /tmp/a"]
//! [[fact]]
//! of = "diff"
//! container = "c1"
//! ```
//!
//! Steps: `pull` (a sample image: capas pulls it; Docker loads capas's archive of it),
//! `busybox`, `run`, `commit`, `tag`. Facts: `image` (ID, diff IDs, size, layer count),
//! `history`, `images`, `diff`, `tree` (the container's merged file system), and every `run`
//! adds its exit status.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// One line: what it shows.
    pub description: String,
    /// What to do, in order, on both engines.
    #[serde(default, rename = "step")]
    pub steps: Vec<Step>,
    /// What to compare afterwards.
    #[serde(default, rename = "fact")]
    pub facts: Vec<FactSpec>,
}

/// One step.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Step {
    /// Bring a sample image into both engines.
    Pull {
        /// `alpine:3.19`, …
        image: String,
    },
    /// Make a runnable busybox image from the host's busybox-static, in both engines.
    Busybox {
        /// Its name.
        tag: String,
    },
    /// Create a container and run its command.
    Run {
        /// The container's name.
        name: String,
        /// The image.
        image: String,
        /// The command.
        cmd: Vec<String>,
    },
    /// Commit a container to a new image.
    Commit {
        /// The container.
        container: String,
        /// The new image's name.
        tag: String,
    },
    /// Give an image another name.
    Tag {
        /// The image.
        source: String,
        /// The new name.
        target: String,
    },
}

/// One fact to compare.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "of", rename_all = "kebab-case", deny_unknown_fields)]
pub enum FactSpec {
    /// An image's identity: `what` among `id`, `diff-ids`, `size`, `layer-count` (all but
    /// `layer-count` by default).
    Image {
        /// The image.
        image: String,
        /// Which parts.
        #[serde(default)]
        what: Vec<String>,
    },
    /// An image's history rows (created by, size).
    History {
        /// The image.
        image: String,
    },
    /// The `images` list of the scenario's own names: name, ID, size.
    Images,
    /// A container's `diff` set.
    Diff {
        /// The container.
        container: String,
    },
    /// A container's merged file system (Docker's init-layer files left out).
    Tree {
        /// The container.
        container: String,
    },
}

/// The scenarios that come with the checker, by name.
pub fn builtin() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("identity", include_str!("../scenarios/identity.toml")),
        ("images", include_str!("../scenarios/images.toml")),
        ("containers", include_str!("../scenarios/containers.toml")),
        ("commit", include_str!("../scenarios/commit.toml")),
    ])
}

/// Parses a scenario file.
pub fn parse(name: &str, text: &str) -> anyhow::Result<Scenario> {
    toml::from_str(text).map_err(|e| anyhow::anyhow!("scenario {name}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_scenarios_parse() {
        for (name, text) in builtin() {
            let s = parse(name, text).expect("parses");
            assert!(!s.facts.is_empty(), "{name} compares nothing");
        }
    }

    #[test]
    fn unknown_steps_are_refused_with_the_file_name() {
        let err = parse("bad", "description = \"x\"\n[[step]]\ndo = \"fly\"\n")
            .expect_err("refused")
            .to_string();
        assert!(err.starts_with("scenario bad:"), "{err}");
    }
}
