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
//! `busybox`, `run`, `commit`, `tag`, `rm`, `build`, `publish` and `pull-registry` (through a
//! `docker-registry` on loopback), `rmi`, `prune`. Facts: `image` (ID, diff IDs, chain IDs,
//! size, layer count, config), `history`, `images`, `diff`, `tree` (the container's merged
//! file system), `layers` (their entries), `round-trip` (Docker saves, capas loads), `df`.
//! Some steps bring facts of their own: every `run` its exit status and its output (stdout), `pull-registry` the
//! layers it skipped, `rmi` and `prune` what they deleted.
//!
//! Image IDs that differ between the engines for a good reason (a commit or a build made at
//! another moment) are named after the scenario image that has them (`@mia:1`), so that
//! what `rmi` deletes can be compared.

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
    /// Remove a (stopped) container.
    Rm {
        /// The container.
        container: String,
    },
    /// Build an image from a Dockerfile (Docker builds with BuildKit). Images the run made
    /// can be named in `FROM`.
    Build {
        /// The new image's name.
        tag: String,
        /// The Dockerfile's text.
        dockerfile: String,
        /// Other files of the build context: path → text.
        #[serde(default)]
        files: BTreeMap<String, String>,
    },
    /// Push an image to the run's registry on loopback (started on first use) from a store
    /// of its own: what a colleague published. The image is a sample (`alpine:3.19`), or
    /// with `busybox = true` a busybox image of the run's own, or with `from` and `cmd` the
    /// commit of a container of `from` (published before) that ran `cmd`. Images of the
    /// run's own share no layer with anything else in the daemon, so which layers Docker
    /// skips does not depend on what else it holds.
    Publish {
        /// Its name.
        image: String,
        /// Make it from the host's busybox.
        #[serde(default)]
        busybox: bool,
        /// Make it by committing a container of this (published) image…
        #[serde(default)]
        from: Option<String>,
        /// …that ran this command.
        #[serde(default)]
        cmd: Vec<String>,
    },
    /// Pull an image published to the run's registry, on both engines; which layers each
    /// skips (`Already exists`) and the final lines are compared. Afterwards `image` names
    /// the pulled image in other steps and facts.
    PullRegistry {
        /// The name it was published under.
        image: String,
    },
    /// `rmi`; what it untags and deletes, or the error, is compared.
    Rmi {
        /// The image (a name, as typed).
        image: String,
        /// `-f`.
        #[serde(default)]
        force: bool,
        /// `--no-prune`.
        #[serde(default)]
        no_prune: bool,
    },
    /// `system df -v` now: its rows for the run's images and containers are compared.
    Df,
    /// `image prune` of this run's images (a label filter on both engines: never anything
    /// else of the daemon); the images deleted and the space reclaimed are compared.
    Prune {
        /// `-a`: every image without a container, not only dangling ones.
        #[serde(default)]
        all: bool,
    },
}

/// One fact to compare.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "of", rename_all = "kebab-case", deny_unknown_fields)]
pub enum FactSpec {
    /// An image's identity: `what` among `id`, `diff-ids`, `chain-ids`, `size`,
    /// `layer-count`, `config` (default: `id`, `diff-ids`, `chain-ids`, `size`).
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
    /// The entries of an image's layers, as `docker save` writes them and as capas stores
    /// them (paths, types, modes, owners, sizes, contents, link targets; times left out).
    Layers {
        /// The image.
        image: String,
        /// Only the top N layers (default: all).
        #[serde(default)]
        top: Option<usize>,
    },
    /// Docker saves the image and capas loads that archive into an empty store: the ID,
    /// diff IDs and names capas gets, against Docker's.
    RoundTrip {
        /// The image.
        image: String,
    },
    /// `system df -v`: per image of the run, its size, shared size and containers; per
    /// container, its read/write layer's size.
    Df,
}

/// The scenarios that come with the checker, by name.
pub fn builtin() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("identity", include_str!("../scenarios/identity.toml")),
        ("images", include_str!("../scenarios/images.toml")),
        ("containers", include_str!("../scenarios/containers.toml")),
        ("commit", include_str!("../scenarios/commit.toml")),
        ("history", include_str!("../scenarios/history.toml")),
        ("build", include_str!("../scenarios/build.toml")),
        ("pull", include_str!("../scenarios/pull.toml")),
        ("rmi", include_str!("../scenarios/rmi.toml")),
        ("prune", include_str!("../scenarios/prune.toml")),
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
