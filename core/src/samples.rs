//! The sample registry: the images `capas pull` gets without a network.
//!
//! `capas pull alpine:3.19` works offline. The images the course uses are not stored anywhere
//! (not in git, not in a download): this module **generates** them when they are pulled, byte
//! for byte the same on every machine, so every student, every test and the Docker daemon next
//! to them see the same image IDs, diff IDs and chain IDs. Docker gets the same images from
//! Docker Hub; capas gets them from here.
//!
//! | name | layers | SIZE | created | like the real image in |
//! | --- | --- | --- | --- | --- |
//! | `alpine:3.19` | 1 | 7.38MB | 2024-01-27 | `/bin/busybox` and its links, musl, apk, `/etc/os-release` |
//! | `nginx:stable-alpine3.19` | 8 | 43.3MB | 2024-01-27 | alpine's layer, byte-identical, then nginx's RUN and COPY layers |
//! | `debian:bookworm-slim` | 1 | 74.8MB | 2024-01-11 | merged `/usr`, bash, coreutils, apt, dpkg, perl-base |
//! | `nginx:stable` | 7 | 187MB | 2024-01-11 | debian's layer, byte-identical, then nginx's layers |
//! | `busybox:latest`, `busybox:1.36` | 1 | 4.26MB | 2023-07-18 | one binary hard-linked ~300 times, glibc |
//! | `hello-world:latest` | 1 | 13.3kB | 2023-05-02 | `/hello`, 13256 bytes |
//!
//! Each image mirrors the real one's *shape*: the number of layers, the history rows (the same
//! `created_by` texts: `/bin/sh -c #(nop) ADD file:… in / `, `RUN /bin/sh -c set -x … # buildkit`,
//! `EXPOSE map[80/tcp:{}]`, with `empty_layer` for metadata steps), the config (`Env`, `Cmd`,
//! `Entrypoint`, `ExposedPorts`, `Labels`, `StopSignal`), file trees that look like the real
//! ones, sizes of the same order and the real creation dates. The two nginx images are built on
//! the *same* base layers as alpine and debian, so pulling `nginx:stable-alpine3.19` after
//! `alpine:3.19` reports that layer `Already exists` and stores it once: section 4 of the course.
//!
//! # How the bytes are made
//!
//! * The file trees are described in code, below: one function per layer (`alpine_rootfs`,
//!   `nginx_alpine_run`, …).
//! * Text files get realistic text (`os-release`, `passwd`, `nginx.conf`, the index page
//!   "Welcome to nginx!"). Binaries get pseudo-random bytes (behind a real ELF magic number)
//!   from a ChaCha8 generator seeded with the SHA-256 of the layer's name and the file's path,
//!   so a file's bytes never depend on what was generated before it.
//! * Entries are written in the order Docker's own tar writer walks a tree, owned by root, with
//!   the time of the recipe step that made the layer as their mtime.
//! * Only integers and fixed dates: no clock, no `HashMap` iteration order, no floating point.
//!
//! # Layers are stored uncompressed
//!
//! The manifests list layers as `application/vnd.oci.image.layer.v1.tar`, so each layer's blob
//! digest *is* its diff ID. A gzip blob's digest depends on the gzip implementation and its
//! version (zlib, zlib-ng, zlib-rs and Go's `compress/gzip` write different bytes for the same
//! tar), so a compressed sample would change digests with a library upgrade; the uncompressed
//! tar is fixed here byte for byte. Docker 25+ `docker save` writes uncompressed OCI layers for
//! the same reason, and registries accept them. (Real images on Docker Hub are gzip, so there the
//! short ID in a pull line is the blob digest and differs from the diff ID; here they coincide.)
//!
//! # Pins
//!
//! A registry answers with the manifest before any layer is sent, and a pull must know every
//! chain ID up front to say `Already exists`. So each layer's diff ID and tar length is
//! **pinned** in this file (`ALPINE_PINS`, …): the manifest and the config are built from the
//! pins without generating any layer, and [`Sample::write_layer`] checks that what it generated
//! matches its pin ([`SampleError::PinMismatch`] means the generator changed: a bug). The tests
//! regenerate every layer and check every pin and every image ID.
//!
//! ```
//! use capas_core::reference::Reference;
//! use capas_core::samples;
//!
//! let wanted = Reference::parse_tagged("alpine:3.19")?;
//! let alpine = samples::find(&wanted).expect("alpine:3.19 is in the catalog");
//! assert_eq!(alpine.diff_ids().len(), 1);
//! // The image ID is the digest of the config bytes, which are built from the pins alone.
//! assert_eq!(alpine.image_id(), capas_core::digest::Digest::of_bytes(&alpine.config_bytes()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use crate::digest::{ChainId, DiffId, Digest, HashingWriter};
use crate::image::{self, ImageError, OCI_LAYER_TAR};
use crate::layer::{LayerError, LayerStats, TarBuilder};
use crate::reference::Reference;
use crate::store::StoreError;

/// Media type of the manifests the sample registry serves (an OCI image manifest).
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of the configs the sample registry serves.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";

// =============================================================================================
// Public API
// =============================================================================================

/// Errors of the sample registry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SampleError {
    /// A generated layer does not hash to the diff ID pinned for it. Nobody meets this unless
    /// capas itself is broken (someone changed a file tree, or the random generator changed):
    /// the pins are what make the samples the same on every machine.
    #[error(
        "sample {image} layer {layer} was generated as {found}, but its pin is {expected}: the sample generator changed (a bug in capas)"
    )]
    PinMismatch {
        /// The sample image (`alpine:3.19`).
        image: String,
        /// Index of the layer, bottom first.
        layer: usize,
        /// The pinned diff ID.
        expected: DiffId,
        /// The diff ID of the generated tar.
        found: DiffId,
    },
    /// A generated layer has the pinned digest but not the pinned length (the manifest would
    /// announce a wrong size). Also a bug in capas.
    #[error("sample {image} layer {layer} is {found} bytes long, but its pin says {expected}")]
    LengthMismatch {
        /// The sample image.
        image: String,
        /// Index of the layer, bottom first.
        layer: usize,
        /// The pinned length.
        expected: u64,
        /// The generated length.
        found: u64,
    },
    /// A layer index past the image's last layer was asked for.
    #[error("sample {image} has {count} layers: there is no layer {layer}")]
    NoSuchLayer {
        /// The sample image.
        image: String,
        /// The index asked for.
        layer: usize,
        /// How many layers it has.
        count: usize,
    },
    /// Writing the generated tar failed (a full disk, a closed pipe).
    #[error(transparent)]
    Layer(#[from] LayerError),
    /// The store refused a blob or a layer.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The image could not be recorded in the store's index.
    #[error(transparent)]
    Image(#[from] ImageError),
}

/// One image of the sample catalog, under one of its names.
///
/// Everything about it (manifest, config, image ID, diff IDs) is computed from constants in
/// this module; only [`Sample::write_layer`] does real work.
#[derive(Debug)]
pub struct Sample {
    /// The name as a user types it: `alpine:3.19`.
    name: &'static str,
    /// The image (two names may share one: `busybox:latest` and `busybox:1.36`).
    image: &'static SampleImage,
}

/// Every image of the catalog, in the order the course meets them. An image with two tags
/// appears once per tag.
pub fn catalog() -> &'static [Sample] {
    &CATALOG
}

/// The sample a reference names, if the catalog has it: `alpine:3.19` (that is,
/// `docker.io/library/alpine:3.19`), or the same repository pinned to the sample's manifest
/// digest (`alpine@sha256:…`, what `docker pull` accepts too). Names with another registry
/// host are never samples.
pub fn find(reference: &Reference) -> Option<&'static Sample> {
    catalog().iter().find(|sample| {
        let own = sample.reference();
        if own.domain() != reference.domain()
            || own.repository_path() != reference.repository_path()
        {
            return false;
        }
        match (reference.digest(), reference.tag()) {
            // A digest names exact bytes: it wins over any tag written next to it, as in Docker.
            (Some(digest), _) => digest == &sample.manifest_digest(),
            (None, Some(tag)) => own.tag() == Some(tag),
            (None, None) => own.tag() == Some(crate::reference::DEFAULT_TAG),
        }
    })
}

impl Sample {
    /// The name as a user types it (`alpine:3.19`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The name as a reference: `docker.io/library/alpine:3.19`.
    pub fn reference(&self) -> Reference {
        // The catalog's names are constants, parsed by the test `catalog_names_are_references`.
        Reference::parse_tagged(self.name).expect("every sample name is a valid reference")
    }

    /// When the image was made (the config's `created`, RFC 3339), the time `docker images`
    /// shows as CREATED.
    pub fn created(&self) -> &'static str {
        self.image.created()
    }

    /// The config exactly as served: compact JSON in the key order Docker writes, with the
    /// history rows and the pinned diff IDs. Its SHA-256 is the image ID.
    pub fn config_bytes(&self) -> Vec<u8> {
        self.image.config_bytes()
    }

    /// The image ID: `sha256` of [`Sample::config_bytes`].
    pub fn image_id(&self) -> Digest {
        Digest::of_bytes(&self.config_bytes())
    }

    /// The layers' diff IDs, bottom first, from the pins (nothing is generated).
    pub fn diff_ids(&self) -> Vec<DiffId> {
        self.image.layers().iter().map(|l| l.diff_id()).collect()
    }

    /// The chain ID of every layer, bottom first: what decides `Already exists`.
    pub fn chain_ids(&self) -> Vec<ChainId> {
        ChainId::all(&self.diff_ids())
    }

    /// The length in bytes of each layer's tar, bottom first, from the pins.
    pub fn layer_sizes(&self) -> Vec<u64> {
        self.image.layers().iter().map(|l| l.pin.tar_len).collect()
    }

    /// The OCI manifest exactly as served: the config descriptor and one uncompressed
    /// (`application/vnd.oci.image.layer.v1.tar`) layer descriptor per layer, whose digest is
    /// the diff ID and whose size is the pinned tar length.
    pub fn manifest_bytes(&self) -> Vec<u8> {
        let config = self.config_bytes();
        let layers: Vec<Value> = self
            .image
            .layers()
            .iter()
            .map(|l| {
                json!({
                    "mediaType": OCI_LAYER_TAR,
                    "digest": l.diff_id().to_string(),
                    "size": l.pin.tar_len,
                })
            })
            .collect();
        crate::go::json_bytes(&json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": {
                "mediaType": CONFIG_MEDIA_TYPE,
                "digest": Digest::of_bytes(&config).to_string(),
                "size": config.len(),
            },
            "layers": layers,
        }))
    }

    /// The digest of [`Sample::manifest_bytes`]: what `docker pull` prints as `Digest:` and
    /// records as the repo digest (`alpine@sha256:…`).
    pub fn manifest_digest(&self) -> Digest {
        Digest::of_bytes(&self.manifest_bytes())
    }

    /// Generates layer `index` (bottom first) and streams its tar to `out`, checking it
    /// against its pin. The tar is never held in memory.
    ///
    /// When the check fails, `out` has already received the wrong bytes: a store that writes
    /// them through a blob writer with the pinned digest discards them.
    pub fn write_layer(&self, index: usize, out: impl Write) -> Result<LayerStats, SampleError> {
        let layer = self.layer(index)?;
        let hashing = HashingWriter::new(out);
        let (hashing, stats) = layer.generate(hashing)?;
        let (digest, _out, _len) = hashing
            .finish()
            .map_err(|source| LayerError::Write { source })?;
        layer.check(self.image.name, index, &DiffId(digest), stats.tar_bytes)?;
        Ok(stats)
    }

    fn layer(&self, index: usize) -> Result<LayerRef, SampleError> {
        let mut layers = self.image.layers();
        let count = layers.len();
        if index >= count {
            return Err(SampleError::NoSuchLayer {
                image: self.image.name.to_string(),
                layer: index,
                count,
            });
        }
        Ok(layers.swap_remove(index))
    }
}

// =============================================================================================
// The catalog's building blocks
// =============================================================================================

/// A layer's pinned identity: what the manifest announces before the layer is generated.
#[derive(Debug, Clone, Copy)]
struct Pin {
    /// The diff ID's 64 hex characters (= the blob digest: layers are uncompressed).
    diff_id: &'static str,
    /// Length of the tar in bytes (the manifest's `size`).
    tar_len: u64,
}

/// One step of an image's recipe, as the config's `history` records it.
#[derive(Debug)]
struct Step {
    /// When it ran (RFC 3339, as Docker writes it, nanoseconds included).
    created: &'static str,
    /// The instruction. `{diff_id}` is replaced by the hex of the layer the step made: the
    /// classic builder names an `ADD`ed file by its digest (`ADD file:<hex> in / `), and a
    /// root file system is added as the very tar that becomes the layer.
    created_by: &'static str,
    /// `buildkit.dockerfile.v0` for steps BuildKit ran; none for the classic builder.
    comment: Option<&'static str>,
    /// The file tree of the layer this step made; `None` for a metadata step (`ENV`, `CMD`),
    /// which Docker records with `empty_layer: true`.
    layer: Option<fn(&mut Tree)>,
}

/// The runtime settings of an image (the config's `config` object).
#[derive(Debug)]
struct RunConfig {
    exposed_ports: &'static [&'static str],
    env: &'static [&'static str],
    entrypoint: &'static [&'static str],
    cmd: &'static [&'static str],
    working_dir: &'static str,
    labels: &'static [(&'static str, &'static str)],
    stop_signal: &'static str,
}

/// An image of the catalog: a base (whose steps and layers come first) and its own steps.
#[derive(Debug)]
struct SampleImage {
    /// Its canonical name; with the layer index, it seeds the layer's random bytes.
    name: &'static str,
    /// The image it is built `FROM`, if any: its layers are shared byte for byte.
    base: Option<&'static SampleImage>,
    /// Its own steps, after the base's.
    steps: &'static [Step],
    /// One pin per own step that makes a layer, in order.
    pins: &'static [Pin],
    /// Its settings (not inherited: written out whole, as in a real config).
    config: RunConfig,
}

/// One layer of an image, with where it comes from.
struct LayerRef {
    /// The image whose recipe made it (the base, for a shared layer).
    owner: &'static SampleImage,
    /// Its index among the owner's own layers.
    own_index: usize,
    step: &'static Step,
    build: fn(&mut Tree),
    pin: Pin,
}

impl SampleImage {
    /// Every step, the base's first.
    fn steps(&'static self) -> Vec<&'static Step> {
        let mut out = self.base.map(|b| b.steps()).unwrap_or_default();
        out.extend(self.steps.iter());
        out
    }

    /// Every layer, bottom first.
    fn layers(&'static self) -> Vec<LayerRef> {
        let mut out = self.base.map(|b| b.layers()).unwrap_or_default();
        let own = self
            .steps
            .iter()
            .filter_map(|s| s.layer.map(|build| (s, build)));
        for (own_index, (step, build)) in own.enumerate() {
            out.push(LayerRef {
                owner: self,
                own_index,
                step,
                build,
                // A missing pin is caught by the test `every_layer_has_a_pin`.
                pin: self.pins.get(own_index).copied().unwrap_or(Pin {
                    diff_id: "",
                    tar_len: 0,
                }),
            });
        }
        out
    }

    /// The config's `created`: the time of the last step.
    fn created(&'static self) -> &'static str {
        self.steps()
            .last()
            .map_or("1970-01-01T00:00:00Z", |s| s.created)
    }

    fn config_bytes(&'static self) -> Vec<u8> {
        let layers = self.layers();
        let mut diff_ids = layers.iter().map(|l| l.diff_id().to_string());
        let mut history = Vec::new();
        for step in self.steps() {
            let mut row = Map::new();
            row.insert("created".into(), step.created.into());
            let created_by = match step.layer {
                Some(_) => {
                    let diff_id = diff_ids.next().unwrap_or_default();
                    let hex = diff_id.strip_prefix("sha256:").unwrap_or(&diff_id);
                    step.created_by.replace("{diff_id}", hex)
                }
                None => step.created_by.to_string(),
            };
            row.insert("created_by".into(), created_by.into());
            if let Some(comment) = step.comment {
                row.insert("comment".into(), comment.into());
            }
            if step.layer.is_none() {
                row.insert("empty_layer".into(), true.into());
            }
            history.push(Value::Object(row));
        }

        // The `config` object, keys in the order of the OCI/Docker Go struct, empty ones left
        // out (`omitempty`).
        let c = &self.config;
        let mut run = Map::new();
        if !c.exposed_ports.is_empty() {
            let ports: Map<String, Value> = c
                .exposed_ports
                .iter()
                .map(|p| (p.to_string(), json!({})))
                .collect();
            run.insert("ExposedPorts".into(), ports.into());
        }
        run.insert("Env".into(), json!(c.env));
        if !c.entrypoint.is_empty() {
            run.insert("Entrypoint".into(), json!(c.entrypoint));
        }
        run.insert("Cmd".into(), json!(c.cmd));
        if !c.working_dir.is_empty() {
            run.insert("WorkingDir".into(), c.working_dir.into());
        }
        if !c.labels.is_empty() {
            let labels: Map<String, Value> = c
                .labels
                .iter()
                .map(|(k, v)| (k.to_string(), (*v).into()))
                .collect();
            run.insert("Labels".into(), labels.into());
        }
        if !c.stop_signal.is_empty() {
            run.insert("StopSignal".into(), c.stop_signal.into());
        }

        let all_diff_ids: Vec<String> = layers.iter().map(|l| l.diff_id().to_string()).collect();
        crate::go::json_bytes(&json!({
            "architecture": "amd64",
            "config": run,
            "created": self.created(),
            "history": history,
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": all_diff_ids},
        }))
    }
}

impl LayerRef {
    fn diff_id(&self) -> DiffId {
        // Pins are constants, parsed by the test `every_layer_has_a_pin`.
        DiffId(Digest::parse(self.pin.diff_id).expect("every pin is 64 hex characters"))
    }

    /// The seed of every random byte in this layer: its owner and its place there, so the
    /// layer is the same whichever image is pulled first.
    fn seed(&self) -> String {
        format!("{}#{}", self.owner.name, self.own_index)
    }

    /// Builds the layer's tree and writes it as a tar to `out`.
    fn generate<W: Write>(&self, out: W) -> Result<(W, LayerStats), LayerError> {
        let mut tree = Tree::new(self.seed());
        (self.build)(&mut tree);
        // Every entry carries the time of the step that made the layer; a step time that
        // does not parse is caught by the test `step_times_parse`.
        let mtime = image::parse_time(self.step.created).unwrap_or(0);
        tree.write(u64::try_from(mtime).unwrap_or(0), out)
    }

    fn check(
        &self,
        image: &str,
        index: usize,
        found: &DiffId,
        len: u64,
    ) -> Result<(), SampleError> {
        let expected = self.diff_id();
        if &expected != found {
            return Err(SampleError::PinMismatch {
                image: image.to_string(),
                layer: index,
                expected,
                found: found.clone(),
            });
        }
        if self.pin.tar_len != len {
            return Err(SampleError::LengthMismatch {
                image: image.to_string(),
                layer: index,
                expected: self.pin.tar_len,
                found: len,
            });
        }
        Ok(())
    }
}

// =============================================================================================
// File trees and their bytes
// =============================================================================================

/// The ELF header of an x86-64 shared object: what `file` and the kernel look at first.
const ELF: &[u8] = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x3e\x00";
/// The magic of a compiled time zone file.
const TZIF: &[u8] = b"TZif2";
/// The magic of an xz stream.
const XZ: &[u8] = b"\xfd7zXZ\x00";
/// The magic of a PNG picture.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
/// The magic of a TrueType font.
const TTF: &[u8] = b"\x00\x01\x00\x00\x00\x13\x01\x00\x00\x04";
/// No magic: plain pseudo-random bytes (databases, archives).
const RAW: &[u8] = b"";

/// A layer's file tree under construction, kept in the order the tar is written.
///
/// The key of each entry is its path with `/` replaced by a NUL byte: NUL sorts before every
/// other byte, so sorting the keys gives the order of a depth-first walk with each directory's
/// names sorted bytewise, which is how Docker's tar writer (Go's `filepath.WalkDir`) and
/// [`crate::layer::write_tar`] order a layer: `a/`, `a/b`, then `a-b`.
struct Tree {
    seed: String,
    nodes: BTreeMap<Vec<u8>, Node>,
}

struct Node {
    path: String,
    mode: u32,
    kind: Kind,
}

enum Kind {
    Dir,
    File(Content),
    Symlink(String),
    Hardlink(String),
    /// Deletes the node's path from the layers below (written as `dir/.wh.name`, where Docker
    /// writes it: at the hidden name's place in the walk).
    Whiteout,
}

enum Content {
    /// Text (or bytes) known up front.
    Bytes(Vec<u8>),
    /// `len` pseudo-random bytes after a magic number, generated while streaming.
    Noise { magic: &'static [u8], len: u64 },
}

fn key(path: &str) -> Vec<u8> {
    path.bytes()
        .map(|b| if b == b'/' { 0 } else { b })
        .collect()
}

impl Tree {
    fn new(seed: String) -> Tree {
        Tree {
            seed,
            nodes: BTreeMap::new(),
        }
    }

    /// A generator for one file's bytes: seeded by the layer and the path only, so no file's
    /// bytes depend on the order in which the tree was described or generated.
    fn rng(&self, path: &str) -> ChaCha8Rng {
        let mut h = Sha256::new();
        h.update(b"capas sample\0");
        h.update(self.seed.as_bytes());
        h.update(b"\0");
        h.update(path.as_bytes());
        ChaCha8Rng::from_seed(h.finalize().into())
    }

    /// Adds (or replaces) an entry, creating its missing parent directories (mode 0755): a
    /// layer tar lists every directory on the way to each of its files.
    fn put(&mut self, path: &str, mode: u32, kind: Kind) {
        let mut end = 0;
        while let Some(i) = path[end..].find('/') {
            end += i;
            self.nodes.entry(key(&path[..end])).or_insert_with(|| Node {
                path: path[..end].to_string(),
                mode: 0o755,
                kind: Kind::Dir,
            });
            end += 1;
        }
        self.nodes.insert(
            key(path),
            Node {
                path: path.to_string(),
                mode,
                kind,
            },
        );
    }

    fn dir(&mut self, path: &str, mode: u32) {
        self.put(path, mode, Kind::Dir);
    }

    fn dirs(&mut self, paths: &[&str]) {
        for p in paths {
            self.dir(p, 0o755);
        }
    }

    fn text(&mut self, path: &str, mode: u32, text: &str) {
        self.put(
            path,
            mode,
            Kind::File(Content::Bytes(text.as_bytes().to_vec())),
        );
    }

    fn bytes(&mut self, path: &str, mode: u32, bytes: Vec<u8>) {
        self.put(path, mode, Kind::File(Content::Bytes(bytes)));
    }

    /// An executable or shared library: an ELF header, then pseudo-random bytes.
    fn elf(&mut self, path: &str, len: u64) {
        self.noise(path, 0o755, ELF, len);
    }

    fn noise(&mut self, path: &str, mode: u32, magic: &'static [u8], len: u64) {
        self.put(path, mode, Kind::File(Content::Noise { magic, len }));
    }

    /// A text file of `len` bytes of pseudo-random words (documentation, scripts, databases).
    fn words(&mut self, path: &str, mode: u32, len: usize) {
        let text = words(&mut self.rng(path), len);
        self.bytes(path, mode, text);
    }

    /// A PEM file of `len` bytes (certificates, public keys) with pseudo-random base64.
    fn pem(&mut self, path: &str, label: &str, len: usize) {
        let text = pem(&mut self.rng(path), label, len);
        self.bytes(path, 0o644, text);
    }

    fn symlink(&mut self, path: &str, target: &str) {
        self.put(path, 0o777, Kind::Symlink(target.to_string()));
    }

    fn hardlink(&mut self, path: &str, target: &str) {
        self.put(path, 0o755, Kind::Hardlink(target.to_string()));
    }

    fn whiteout(&mut self, hidden: &str) {
        self.put(hidden, 0o600, Kind::Whiteout);
    }

    /// A shared library the way packages install it: the file `lib.so.X.Y.Z` and the link
    /// `lib.so.X` (the soname the dynamic linker looks for) pointing at it.
    fn lib(&mut self, dir: &str, soname: &str, version: &str, len: u64) {
        let file = format!("{soname}{version}");
        self.elf(&format!("{dir}/{file}"), len);
        if !version.is_empty() {
            self.symlink(&format!("{dir}/{soname}"), &file);
        }
    }

    /// Docker stores a file with several names once, under the first name its walk meets;
    /// every other name becomes a hard link to that one. The trees here say "these paths are
    /// links to that file"; this moves the data to whichever of them comes first.
    fn settle_hardlinks(&mut self) {
        let mut groups: BTreeMap<Vec<u8>, Vec<Vec<u8>>> = BTreeMap::new();
        for (k, node) in &self.nodes {
            if let Kind::Hardlink(target) = &node.kind {
                groups.entry(key(target)).or_default().push(k.clone());
            }
        }
        for (target, links) in groups {
            let Some(first) = links.iter().min().filter(|first| **first < target).cloned() else {
                continue;
            };
            let Some(data) = self.nodes.remove(&target) else {
                continue;
            };
            let first_path = match self.nodes.get(&first) {
                Some(node) => node.path.clone(),
                None => continue,
            };
            for k in links.iter().chain(std::iter::once(&target)) {
                if *k == first {
                    continue;
                }
                let path = self
                    .nodes
                    .get(k)
                    .map_or_else(|| data.path.clone(), |n| n.path.clone());
                self.nodes.insert(
                    k.clone(),
                    Node {
                        path,
                        mode: data.mode,
                        kind: Kind::Hardlink(first_path.clone()),
                    },
                );
            }
            self.nodes.insert(
                first,
                Node {
                    path: first_path,
                    mode: data.mode,
                    kind: data.kind,
                },
            );
        }
    }

    /// Writes the tree as a layer tar, every entry with modification time `mtime`.
    fn write<W: Write>(mut self, mtime: u64, out: W) -> Result<(W, LayerStats), LayerError> {
        self.settle_hardlinks();
        let mut tar = TarBuilder::new(out);
        let nodes = std::mem::take(&mut self.nodes);
        for node in nodes.into_values() {
            let path = node.path.as_str();
            match node.kind {
                Kind::Dir => tar.dir(path, node.mode, mtime)?,
                Kind::File(Content::Bytes(bytes)) => {
                    tar.file(path, node.mode, mtime, bytes.len() as u64, &bytes[..])?
                }
                Kind::File(Content::Noise { magic, len }) => {
                    let noise = Noise::new(self.rng(path), magic, len);
                    tar.file(path, node.mode, mtime, len, noise)?
                }
                Kind::Symlink(target) => tar.symlink(path, &target, mtime)?,
                Kind::Hardlink(target) => tar.hardlink(path, &target, mtime)?,
                Kind::Whiteout => tar.whiteout(path, mtime)?,
            }
        }
        tar.finish()
    }
}

/// A reader of `len` pseudo-random bytes, the first ones replaced by a magic number.
///
/// The generator fills whole blocks whose size depends only on `len`, so the bytes are the
/// same however the tar writer sizes its reads.
struct Noise {
    rng: ChaCha8Rng,
    magic: &'static [u8],
    block: Vec<u8>,
    /// Next unread byte of `block`.
    at: usize,
    /// Bytes handed out so far.
    sent: u64,
    len: u64,
}

/// Block size of [`Noise`]: large enough that copying is cheap, small enough for small files.
const NOISE_BLOCK: u64 = 64 * 1024;

impl Noise {
    fn new(rng: ChaCha8Rng, magic: &'static [u8], len: u64) -> Noise {
        let block = vec![0; len.min(NOISE_BLOCK) as usize];
        Noise {
            rng,
            magic,
            at: block.len(),
            block,
            sent: 0,
            len,
        }
    }
}

impl Read for Noise {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len - self.sent;
        if left == 0 || buf.is_empty() {
            return Ok(0);
        }
        if self.at == self.block.len() {
            self.rng.fill_bytes(&mut self.block);
            self.at = 0;
        }
        let n = buf
            .len()
            .min(self.block.len() - self.at)
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        buf[..n].copy_from_slice(&self.block[self.at..self.at + n]);
        // The magic number overwrites the start of the file.
        let start = usize::try_from(self.sent).unwrap_or(usize::MAX);
        if start < self.magic.len() {
            let m = (self.magic.len() - start).min(n);
            buf[..m].copy_from_slice(&self.magic[start..start + m]);
        }
        self.at += n;
        self.sent += n as u64;
        Ok(n)
    }
}

/// Words for generated text: the vocabulary of the documentation and scripts it stands for.
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "the", "of", "a", "to", "and", "is", "in", "file", "for", "be", "this", "it", "that", "by",
    "with", "as", "or", "on", "not", "are", "if", "any", "use", "may", "from", "at", "an",
    "license", "software", "program", "copy", "source", "system", "package", "version", "directory",
    "default", "option", "value", "set", "user", "config", "data", "library", "shall", "under",
    "terms", "without", "warranty", "free", "distribute", "modify", "which", "path", "return",
    "name", "string", "list", "each", "when", "will", "must", "only", "new", "all", "can", "code",
    "see", "other", "such", "used", "local", "debian", "linux", "GNU", "public", "copyright",
    "under", "provided", "rights", "permission", "notice", "conditions", "following", "binary",
    "form", "documentation", "$1", "fi", "then", "else", "done", "echo", "exit", "case", "esac",
    "sub", "my", "return;", "=>", "{", "}", "#",
];

/// `len` bytes of lines of pseudo-random words, ending with a newline.
fn words(rng: &mut ChaCha8Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 16);
    let mut line = 0;
    while out.len() < len {
        let word = WORDS[rng.next_u32() as usize % WORDS.len()];
        if line > 0 && line + 1 + word.len() > 72 {
            out.push(b'\n');
            line = 0;
        } else if line > 0 {
            out.push(b' ');
            line += 1;
        }
        out.extend_from_slice(word.as_bytes());
        line += word.len();
    }
    out.truncate(len);
    if let Some(last) = out.last_mut() {
        *last = b'\n';
    }
    out
}

const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `len` bytes of PEM blocks (`-----BEGIN <label>-----`, 64-column base64, `-----END …`).
fn pem(rng: &mut ChaCha8Rng, label: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 128);
    while out.len() < len {
        out.extend_from_slice(format!("-----BEGIN {label}-----\n").as_bytes());
        let lines = 10 + rng.next_u32() as usize % 20;
        for _ in 0..lines {
            for _ in 0..64 {
                out.push(BASE64[rng.next_u32() as usize % 64]);
            }
            out.push(b'\n');
        }
        out.extend_from_slice(format!("-----END {label}-----\n").as_bytes());
    }
    out.truncate(len);
    if let Some(last) = out.last_mut() {
        *last = b'\n';
    }
    out
}

/// A size between `min` and `max` that depends only on `name` (FNV-1a): for the long lists
/// of small programs whose exact sizes do not matter, but must not change between runs.
fn size_of(name: &str, min: u64, max: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // Round to 8 bytes, as linkers pad sections.
    (min + h % (max - min + 1)) & !7
}

// =============================================================================================
// The catalog
// =============================================================================================

static CATALOG: [Sample; 7] = [
    Sample {
        name: "alpine:3.19",
        image: &ALPINE,
    },
    Sample {
        name: "nginx:stable-alpine3.19",
        image: &NGINX_ALPINE,
    },
    Sample {
        name: "debian:bookworm-slim",
        image: &DEBIAN,
    },
    Sample {
        name: "nginx:stable",
        image: &NGINX_DEBIAN,
    },
    Sample {
        name: "busybox:latest",
        image: &BUSYBOX,
    },
    Sample {
        name: "busybox:1.36",
        image: &BUSYBOX,
    },
    Sample {
        name: "hello-world:latest",
        image: &HELLO_WORLD,
    },
];

/// Comment BuildKit writes on every history row.
const BUILDKIT: Option<&str> = Some("buildkit.dockerfile.v0");
/// The `PATH` every official image sets.
const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// The label of the nginx images; `<` and `>` are written `\u003c`, `\u003e`, as Go does.
const NGINX_MAINTAINER: (&str, &str) = (
    "maintainer",
    "NGINX Docker Maintainers <docker-maint@nginx.com>",
);

const fn layer(
    created: &'static str,
    created_by: &'static str,
    comment: Option<&'static str>,
    tree: fn(&mut Tree),
) -> Step {
    Step {
        created,
        created_by,
        comment,
        layer: Some(tree),
    }
}

const fn meta(
    created: &'static str,
    created_by: &'static str,
    comment: Option<&'static str>,
) -> Step {
    Step {
        created,
        created_by,
        comment,
        layer: None,
    }
}

const NO_CONFIG: RunConfig = RunConfig {
    exposed_ports: &[],
    env: &[PATH],
    entrypoint: &[],
    cmd: &[],
    working_dir: "",
    labels: &[],
    stop_signal: "",
};

// ---- pins: diff ID and tar length of each layer, as generated (see the module docs) --------

const ALPINE_PINS: &[Pin] = &[Pin {
    diff_id: "3ad8e7515831e60da0e19c2426fe8477ef30dc247e8cab2ed12118de881d3f4e",
    tar_len: 7_646_208,
}];
const NGINX_ALPINE_PINS: &[Pin] = &[
    Pin {
        diff_id: "eb8b6db31b1c565e249001eafc4ec0331da23b37bcc84291de7dce9a950f91f1",
        tar_len: 3_832_832,
    },
    Pin {
        diff_id: "c1e5fc2d7a6988d63fa49c0aac81c7e5de02c1ee18b441a5b48c0a07540a9b4e",
        tar_len: 3_584,
    },
    Pin {
        diff_id: "37f6a1119bc733a4ea4ae8bb485ee199ee034c9984e37d38591fdd94f5541f4e",
        tar_len: 4_608,
    },
    Pin {
        diff_id: "cefe320345d8caea9b54dac523011e458bc4d5144f8cde9fdbb0a13e0d0f9bc2",
        tar_len: 2_560,
    },
    Pin {
        diff_id: "aeda6702df59936a0346ee3d36e44e11e7c3e85fd61d9df672728cdb67fcc188",
        tar_len: 5_632,
    },
    Pin {
        diff_id: "31506ff7e3024e5ec04d3017786a344dcb0b4ecdb6687d1cf828a26b52f0fe21",
        tar_len: 4_608,
    },
    Pin {
        diff_id: "6bc80a5a4234e7c2d6216f7a39020428b2810ac2495c2a878cf3782bc7c79809",
        tar_len: 32_301_056,
    },
];
const DEBIAN_PINS: &[Pin] = &[Pin {
    diff_id: "ae35e781406cda00821ac8c840784fb745a685acc4fa06f2d910b6f7966ed37b",
    tar_len: 76_036_608,
}];
const NGINX_DEBIAN_PINS: &[Pin] = &[
    Pin {
        diff_id: "40a248e56620dcca61663b0dde5bea50e71caf1c0eb2c8431ab7874082fb6ee2",
        tar_len: 112_627_712,
    },
    Pin {
        diff_id: "a79265470fa747bee2284e1418129c2c66e39e52074785f045e8bc6b7d87eac6",
        tar_len: 3_584,
    },
    Pin {
        diff_id: "ed8e6097a7c76d03b117c38300a9fc26b063e8aabd0380f28add76d709239a6d",
        tar_len: 4_608,
    },
    Pin {
        diff_id: "052070f2fe9d4da7f6766404f7f24e7edd29d97103381032e866f56f5705eafd",
        tar_len: 2_560,
    },
    Pin {
        diff_id: "1f4cabffe6ba826bc6b3e8f737d6699d6848f79f0a91f750ba72898560f45c9b",
        tar_len: 5_632,
    },
    Pin {
        diff_id: "71a62ddfa07913e9bb1ab78321eb988bd39dfb5cb750832a6ce0c4a6bb221fa8",
        tar_len: 4_608,
    },
];
const BUSYBOX_PINS: &[Pin] = &[Pin {
    diff_id: "8d73fa8c1761e14fb3b8ecd9d430bbccf3175d611e8f535bcbb7d72e6ea1d1ce",
    tar_len: 4_436_992,
}];
const HELLO_WORLD_PINS: &[Pin] = &[Pin {
    diff_id: "3d7e6320a81db1de7e0ddd104715f6aedffb0c2d3f6d3e467d6d3922d62aff4b",
    tar_len: 14_848,
}];

// ---- alpine:3.19 (Alpine 3.19.1, built by the classic builder from the minirootfs tarball) ---

#[rustfmt::skip]
static ALPINE: SampleImage = SampleImage {
    name: "alpine:3.19",
    base: None,
    steps: &[
        layer("2024-01-27T00:30:48.624602109Z", "/bin/sh -c #(nop) ADD file:{diff_id} in / ", None, alpine_rootfs),
        meta("2024-01-27T00:30:48.743965523Z", r#"/bin/sh -c #(nop)  CMD ["/bin/sh"]"#, None),
    ],
    pins: ALPINE_PINS,
    config: RunConfig {
        cmd: &["/bin/sh"],
        ..NO_CONFIG
    },
};

// ---- nginx:stable-alpine3.19 (nginx 1.24.0: the alpine-slim recipe, then the full one) -----

const NGINX_ALPINE_SLIM_AT: &str = "2024-01-27T03:53:43.871637409Z";
const NGINX_ALPINE_AT: &str = "2024-01-27T04:39:09.303497225Z";

#[rustfmt::skip]
static NGINX_ALPINE: SampleImage = SampleImage {
    name: "nginx:stable-alpine3.19",
    base: Some(&ALPINE),
    steps: &[
        meta(NGINX_ALPINE_SLIM_AT, "LABEL maintainer=NGINX Docker Maintainers <docker-maint@nginx.com>", BUILDKIT),
        meta(NGINX_ALPINE_SLIM_AT, "ENV NGINX_VERSION=1.24.0", BUILDKIT),
        meta(NGINX_ALPINE_SLIM_AT, "ENV PKG_RELEASE=1", BUILDKIT),
        layer(NGINX_ALPINE_SLIM_AT, NGINX_ALPINE_SLIM_RUN, BUILDKIT, nginx_alpine_slim_run),
        layer(NGINX_ALPINE_SLIM_AT, "COPY docker-entrypoint.sh / # buildkit", BUILDKIT, copy_entrypoint),
        layer(NGINX_ALPINE_SLIM_AT, "COPY 10-listen-on-ipv6-by-default.sh /docker-entrypoint.d # buildkit", BUILDKIT, copy_ipv6_script),
        layer(NGINX_ALPINE_SLIM_AT, "COPY 15-local-resolvers.envsh /docker-entrypoint.d # buildkit", BUILDKIT, copy_resolvers_script),
        layer(NGINX_ALPINE_SLIM_AT, "COPY 20-envsubst-on-templates.sh /docker-entrypoint.d # buildkit", BUILDKIT, copy_envsubst_script),
        layer(NGINX_ALPINE_SLIM_AT, "COPY 30-tune-worker-processes.sh /docker-entrypoint.d # buildkit", BUILDKIT, copy_tune_script),
        meta(NGINX_ALPINE_SLIM_AT, r#"ENTRYPOINT ["/docker-entrypoint.sh"]"#, BUILDKIT),
        meta(NGINX_ALPINE_SLIM_AT, "EXPOSE map[80/tcp:{}]", BUILDKIT),
        meta(NGINX_ALPINE_SLIM_AT, "STOPSIGNAL SIGQUIT", BUILDKIT),
        meta(NGINX_ALPINE_SLIM_AT, r#"CMD ["nginx" "-g" "daemon off;"]"#, BUILDKIT),
        meta(NGINX_ALPINE_AT, "ENV NJS_VERSION=0.8.2", BUILDKIT),
        layer(NGINX_ALPINE_AT, NGINX_ALPINE_RUN, BUILDKIT, nginx_alpine_run),
    ],
    pins: NGINX_ALPINE_PINS,
    config: RunConfig {
        exposed_ports: &["80/tcp"],
        env: &[
            PATH,
            "NGINX_VERSION=1.24.0",
            "PKG_RELEASE=1",
            "NJS_VERSION=0.8.2",
        ],
        entrypoint: &["/docker-entrypoint.sh"],
        cmd: &["nginx", "-g", "daemon off;"],
        working_dir: "",
        labels: &[NGINX_MAINTAINER],
        stop_signal: "SIGQUIT",
    },
};

/// The `RUN` of nginx's alpine-slim Dockerfile as BuildKit records it: the shell form becomes
/// `/bin/sh -c …`, and each `\`-continued line is joined keeping its indentation (hence the
/// runs of spaces). Shortened from the real one, which also builds from source on other
/// architectures.
const NGINX_ALPINE_SLIM_RUN: &str = r#"RUN /bin/sh -c set -x     && addgroup -g 101 -S nginx     && adduser -S -D -H -u 101 -h /var/cache/nginx -s /sbin/nologin -G nginx -g nginx nginx     && apkArch="$(cat /etc/apk/arch)"     && nginxPackages="         nginx=${NGINX_VERSION}-r${PKG_RELEASE}     "     && apk add --no-cache --virtual .checksum-deps         openssl     && wget -O /tmp/nginx_signing.rsa.pub https://nginx.org/keys/nginx_signing.rsa.pub     && mv /tmp/nginx_signing.rsa.pub /etc/apk/keys/     && apk add -X "https://nginx.org/packages/alpine/v$(egrep -o '^[0-9]+\.[0-9]+' /etc/alpine-release)/main" --no-cache $nginxPackages     && apk del --no-network .checksum-deps     && apk add --no-cache --virtual .gettext gettext     && mv /usr/bin/envsubst /tmp/     && apk add --no-cache libintl     && apk del --no-network .gettext     && mv /tmp/envsubst /usr/local/bin/     && apk add --no-cache tzdata     && ln -sf /dev/stdout /var/log/nginx/access.log     && ln -sf /dev/stderr /var/log/nginx/error.log     && mkdir /docker-entrypoint.d # buildkit"#;

/// The `RUN` of nginx's full alpine Dockerfile (shortened like the one above).
const NGINX_ALPINE_RUN: &str = r#"RUN /bin/sh -c set -x     && apkArch="$(cat /etc/apk/arch)"     && nginxPackages="         nginx=${NGINX_VERSION}-r${PKG_RELEASE}         nginx-module-xslt=${NGINX_VERSION}-r${PKG_RELEASE}         nginx-module-geoip=${NGINX_VERSION}-r${PKG_RELEASE}         nginx-module-image-filter=${NGINX_VERSION}-r${PKG_RELEASE}         nginx-module-njs=${NGINX_VERSION}.${NJS_VERSION}-r${PKG_RELEASE}     "     && apk add --no-cache --virtual .checksum-deps         openssl     && apk add -X "https://nginx.org/packages/alpine/v$(egrep -o '^[0-9]+\.[0-9]+' /etc/alpine-release)/main" --no-cache $nginxPackages     && apk del --no-network .checksum-deps     && apk add --no-cache curl ca-certificates # buildkit"#;

// ---- debian:bookworm-slim (Debian 12.4, built by debuerreotype and the classic builder) -----

#[rustfmt::skip]
static DEBIAN: SampleImage = SampleImage {
    name: "debian:bookworm-slim",
    base: None,
    steps: &[
        layer("2024-01-11T02:47:41.364101437Z", "/bin/sh -c #(nop) ADD file:{diff_id} in / ", None, debian_rootfs),
        meta("2024-01-11T02:47:41.783296185Z", r#"/bin/sh -c #(nop)  CMD ["bash"]"#, None),
    ],
    pins: DEBIAN_PINS,
    config: RunConfig {
        cmd: &["bash"],
        ..NO_CONFIG
    },
};

// ---- nginx:stable (nginx 1.24.0 on debian:bookworm-slim) -----------------------------------

const NGINX_DEBIAN_AT: &str = "2024-01-11T21:34:16.418271559Z";

#[rustfmt::skip]
static NGINX_DEBIAN: SampleImage = SampleImage {
    name: "nginx:stable",
    base: Some(&DEBIAN),
    steps: &[
        meta(NGINX_DEBIAN_AT, "LABEL maintainer=NGINX Docker Maintainers <docker-maint@nginx.com>", BUILDKIT),
        meta(NGINX_DEBIAN_AT, "ENV NGINX_VERSION=1.24.0", BUILDKIT),
        meta(NGINX_DEBIAN_AT, "ENV NJS_VERSION=0.8.0", BUILDKIT),
        meta(NGINX_DEBIAN_AT, "ENV PKG_RELEASE=1~bookworm", BUILDKIT),
        layer(NGINX_DEBIAN_AT, NGINX_DEBIAN_RUN, BUILDKIT, nginx_debian_run),
        layer(NGINX_DEBIAN_AT, "COPY docker-entrypoint.sh / # buildkit", BUILDKIT, copy_entrypoint),
        layer(NGINX_DEBIAN_AT, "COPY 10-listen-on-ipv6-by-default.sh /docker-entrypoint.d # buildkit", BUILDKIT, copy_ipv6_script),
        layer(NGINX_DEBIAN_AT, "COPY 15-local-resolvers.envsh /docker-entrypoint.d # buildkit", BUILDKIT, copy_resolvers_script),
        layer(NGINX_DEBIAN_AT, "COPY 20-envsubst-on-templates.sh /docker-entrypoint.d # buildkit", BUILDKIT, copy_envsubst_script),
        layer(NGINX_DEBIAN_AT, "COPY 30-tune-worker-processes.sh /docker-entrypoint.d # buildkit", BUILDKIT, copy_tune_script),
        meta(NGINX_DEBIAN_AT, r#"ENTRYPOINT ["/docker-entrypoint.sh"]"#, BUILDKIT),
        meta(NGINX_DEBIAN_AT, "EXPOSE map[80/tcp:{}]", BUILDKIT),
        meta(NGINX_DEBIAN_AT, "STOPSIGNAL SIGQUIT", BUILDKIT),
        meta(NGINX_DEBIAN_AT, r#"CMD ["nginx" "-g" "daemon off;"]"#, BUILDKIT),
    ],
    pins: NGINX_DEBIAN_PINS,
    config: RunConfig {
        exposed_ports: &["80/tcp"],
        env: &[
            PATH,
            "NGINX_VERSION=1.24.0",
            "NJS_VERSION=0.8.0",
            "PKG_RELEASE=1~bookworm",
        ],
        entrypoint: &["/docker-entrypoint.sh"],
        cmd: &["nginx", "-g", "daemon off;"],
        working_dir: "",
        labels: &[NGINX_MAINTAINER],
        stop_signal: "SIGQUIT",
    },
};

/// The `RUN` of nginx's Debian Dockerfile (shortened: the real one also builds from source on
/// other architectures and tries several key servers).
const NGINX_DEBIAN_RUN: &str = r#"RUN /bin/sh -c set -x     && groupadd --system --gid 101 nginx     && useradd --system --gid nginx --no-create-home --home /nonexistent --comment "nginx user" --shell /bin/false --uid 101 nginx     && apt-get update     && apt-get install --no-install-recommends --no-install-suggests -y gnupg1 ca-certificates     &&     NGINX_GPGKEY=573BFD6B3D8FBC641079A6ABABF5BD827BD9BF62;     NGINX_GPGKEY_PATH=/usr/share/keyrings/nginx-archive-keyring.gpg;     export GNUPGHOME="$(mktemp -d)";     gpg1 --keyserver hkp://keyserver.ubuntu.com:80 --keyserver-options timeout=10 --recv-keys "$NGINX_GPGKEY";     gpg1 --export "$NGINX_GPGKEY" > "$NGINX_GPGKEY_PATH" ;     rm -rf "$GNUPGHOME";     apt-get remove --purge --auto-remove -y gnupg1 && rm -rf /var/lib/apt/lists/*     && dpkgArch="$(dpkg --print-architecture)"     && nginxPackages="         nginx=${NGINX_VERSION}-${PKG_RELEASE}         nginx-module-xslt=${NGINX_VERSION}-${PKG_RELEASE}         nginx-module-geoip=${NGINX_VERSION}-${PKG_RELEASE}         nginx-module-image-filter=${NGINX_VERSION}-${PKG_RELEASE}         nginx-module-njs=${NGINX_VERSION}+${NJS_VERSION}-${PKG_RELEASE}     "     && echo "deb [signed-by=$NGINX_GPGKEY_PATH] https://nginx.org/packages/debian/ bookworm nginx" >> /etc/apt/sources.list.d/nginx.list     && apt-get update     && apt-get install --no-install-recommends --no-install-suggests -y                         $nginxPackages                         gettext-base                         curl     && apt-get remove --purge --auto-remove -y && rm -rf /var/lib/apt/lists/* /etc/apt/sources.list.d/nginx.list     && ln -sf /dev/stdout /var/log/nginx/access.log     && ln -sf /dev/stderr /var/log/nginx/error.log     && mkdir /docker-entrypoint.d # buildkit"#;

// ---- busybox:latest = busybox:1.36 (BusyBox 1.36.1, glibc variant) --------------------------

#[rustfmt::skip]
static BUSYBOX: SampleImage = SampleImage {
    name: "busybox:1.36",
    base: None,
    steps: &[
        layer("2023-07-18T23:19:33.538571854Z", "/bin/sh -c #(nop) ADD file:{diff_id} in / ", None, busybox_rootfs),
        meta("2023-07-18T23:19:33.655005962Z", r#"/bin/sh -c #(nop)  CMD ["sh"]"#, None),
    ],
    pins: BUSYBOX_PINS,
    config: RunConfig {
        cmd: &["sh"],
        ..NO_CONFIG
    },
};

// ---- hello-world:latest (built by BuildKit FROM scratch) ------------------------------------

#[rustfmt::skip]
static HELLO_WORLD: SampleImage = SampleImage {
    name: "hello-world:latest",
    base: None,
    steps: &[
        layer("2023-05-02T16:49:27.743969209Z", "COPY hello / # buildkit", BUILDKIT, hello_world_rootfs),
        meta("2023-05-02T16:49:27.743969209Z", r#"CMD ["/hello"]"#, BUILDKIT),
    ],
    pins: HELLO_WORLD_PINS,
    config: RunConfig {
        cmd: &["/hello"],
        working_dir: "/",
        ..NO_CONFIG
    },
};

// =============================================================================================
// File trees: alpine:3.19
// =============================================================================================

/// BusyBox applets Alpine links from `/bin` (each a symlink to `/bin/busybox`).
#[rustfmt::skip]
const ALPINE_BIN_APPLETS: &[&str] = &[
    "arch", "ash", "base64", "bbconfig", "cat", "chattr", "chgrp", "chmod", "chown", "cp", "date",
    "dd", "df", "dmesg", "dnsdomainname", "dumpkmap", "echo", "egrep", "false", "fatattr",
    "fdflush", "fgrep", "fsync", "getopt", "grep", "gunzip", "gzip", "hostname", "ionice", "iostat",
    "ipcalc", "kbd_mode", "kill", "link", "linux32", "linux64", "ln", "login", "ls", "lsattr",
    "lzop", "makemime", "mkdir", "mknod", "mktemp", "more", "mount", "mountpoint", "mpstat", "mv",
    "netstat", "nice", "pidof", "ping", "ping6", "pipe_progress", "printenv", "ps", "pwd",
    "reformime", "rev", "rm", "rmdir", "run-parts", "sed", "setpriv", "setserial", "sh", "sleep",
    "stat", "stty", "su", "sync", "tar", "touch", "true", "umount", "uname", "usleep", "watch",
    "zcat",
];

/// BusyBox applets in `/sbin`.
#[rustfmt::skip]
const ALPINE_SBIN_APPLETS: &[&str] = &[
    "acpid", "adjtimex", "arp", "blkid", "blockdev", "depmod", "fbsplash", "fdisk", "findfs",
    "fsck", "fstrim", "getty", "halt", "hwclock", "ifconfig", "ifdown", "ifenslave", "ifup", "init",
    "inotifyd", "insmod", "ip", "ipaddr", "iplink", "ipneigh", "iproute", "iprule", "iptunnel",
    "klogd", "loadkmap", "logread", "losetup", "lsmod", "mdev", "mkdosfs", "mkfs.vfat", "mkswap",
    "modinfo", "modprobe", "nameif", "nologin", "pivot_root", "poweroff", "raidautorun", "reboot",
    "rmmod", "route", "setconsole", "slattach", "swapoff", "swapon", "switch_root", "sysctl",
    "syslogd", "tunctl", "udhcpc", "vconfig", "watchdog",
];

/// BusyBox applets in `/usr/bin`.
#[rustfmt::skip]
const ALPINE_USR_BIN_APPLETS: &[&str] = &[
    "[", "[[", "awk", "basename", "bc", "beep", "blkdiscard", "bunzip2", "bzcat", "bzip2", "cal",
    "chvt", "cksum", "clear", "cmp", "comm", "cpio", "crontab", "cryptpw", "cut", "dc", "deallocvt",
    "diff", "dirname", "dos2unix", "du", "dumpleases", "eject", "env", "expand", "expr", "factor",
    "fallocate", "find", "flock", "fold", "free", "fuser", "groups", "hd", "head", "hexdump",
    "hostid", "id", "install", "ipcrm", "ipcs", "killall", "less", "logger", "lsof", "lsusb",
    "lzcat", "lzma", "lzopcat", "md5sum", "mesg", "microcom", "mkfifo", "mkpasswd", "nc", "nl",
    "nmeter", "nohup", "nproc", "nsenter", "nslookup", "od", "openvt", "passwd", "paste", "pgrep",
    "pkill", "pmap", "printf", "pscan", "pstree", "pwdx", "readlink", "realpath", "renice", "reset",
    "resize", "seq", "setkeycodes", "setsid", "sha1sum", "sha256sum", "sha3sum", "sha512sum",
    "showkey", "shred", "shuf", "sort", "split", "strings", "sum", "tac", "tail", "tee", "test",
    "time", "timeout", "top", "tr", "traceroute", "traceroute6", "tree", "truncate", "tty",
    "ttysize", "udhcpc6", "unexpand", "uniq", "unix2dos", "unlink", "unlzma", "unlzop", "unshare",
    "unxz", "unzip", "uptime", "uudecode", "uuencode", "vi", "vlock", "volname", "wc", "wget",
    "which", "whoami", "whois", "xargs", "xxd", "xzcat", "yes",
];

/// BusyBox applets in `/usr/sbin`.
#[rustfmt::skip]
const ALPINE_USR_SBIN_APPLETS: &[&str] = &[
    "add-shell", "addgroup", "adduser", "arping", "brctl", "chpasswd", "chroot", "crond",
    "delgroup", "deluser", "ether-wake", "fbset", "killall5", "loadfont", "nanddump", "nandwrite",
    "nbd-client", "ntpd", "partprobe", "rdate", "rdev", "readahead", "remove-shell", "rfkill",
    "sendmail", "setfont", "setlogcons",
];

/// The packages of the alpine:3.19 image: name, version, installed size, description.
const ALPINE_PACKAGES: &[(&str, &str, u64, &str)] = &[
    (
        "alpine-baselayout",
        "3.4.3-r2",
        12_288,
        "Alpine base dir structure and init scripts",
    ),
    (
        "alpine-baselayout-data",
        "3.4.3-r2",
        77_824,
        "Alpine base dir structure and init scripts",
    ),
    (
        "alpine-keys",
        "2.4-r1",
        159_744,
        "Public keys for Alpine Linux packages",
    ),
    (
        "apk-tools",
        "2.14.0-r5",
        307_200,
        "Alpine Package Keeper - package manager for alpine",
    ),
    (
        "busybox",
        "1.36.1-r15",
        950_272,
        "Size optimized toolbox of many common UNIX utilities",
    ),
    ("busybox-binsh", "1.36.1-r15", 4_096, "busybox ash /bin/sh"),
    (
        "ca-certificates-bundle",
        "20230506-r0",
        229_376,
        "Pre generated bundle of Mozilla certificates",
    ),
    (
        "libc-utils",
        "0.7.2-r5",
        4_096,
        "Meta package to pull in correct libc",
    ),
    (
        "libcrypto3",
        "3.1.4-r5",
        5_054_464,
        "Crypto library from openssl",
    ),
    ("libssl3", "3.1.4-r5", 651_264, "SSL shared libraries"),
    (
        "musl",
        "1.2.4_git20230717-r4",
        663_552,
        "the musl c library (libc) implementation",
    ),
    (
        "musl-utils",
        "1.2.4_git20230717-r4",
        135_168,
        "the musl c library (libc) implementation",
    ),
    ("scanelf", "1.3.7-r2", 86_016, "Scan ELF binaries for stuff"),
    (
        "ssl_client",
        "1.36.1-r15",
        28_672,
        "EXternal ssl_client for busybox wget",
    ),
    (
        "zlib",
        "1.3.1-r0",
        110_592,
        "A compression/decompression Library",
    ),
];

/// Alpine's package database (`/lib/apk/db/installed`): one paragraph per package.
fn apk_installed(packages: &[&[(&str, &str, u64, &str)]]) -> String {
    let mut out = String::new();
    for (name, version, size, description) in packages.iter().flat_map(|p| p.iter()) {
        let sum = Sha256::digest(format!("{name}-{version}").as_bytes());
        let checksum: String = sum
            .iter()
            .take(20)
            .map(|b| BASE64[usize::from(*b) % 64] as char)
            .collect();
        out.push_str(&format!(
            "C:Q1{checksum}=\nP:{name}\nV:{version}\nA:x86_64\nS:{}\nI:{size}\nT:{description}\nU:https://alpinelinux.org\nL:MIT\no:{name}\nm:Natanael Copa <ncopa@alpinelinux.org>\nt:1705941573\n\n",
            size / 3
        ));
    }
    out
}

#[rustfmt::skip]
const ALPINE_KEYS: &[&str] = &[
    "alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub",
    "alpine-devel@lists.alpinelinux.org-5243ef4b.rsa.pub",
    "alpine-devel@lists.alpinelinux.org-5261cecb.rsa.pub",
    "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub",
    "alpine-devel@lists.alpinelinux.org-61666e3f.rsa.pub",
];

/// The Alpine 3.19.1 minirootfs: busybox and its links, musl, apk, OpenSSL, zlib.
fn alpine_rootfs(t: &mut Tree) {
    t.dirs(&[
        "bin",
        "dev",
        "etc",
        "home",
        "lib",
        "media/cdrom",
        "media/floppy",
        "media/usb",
        "mnt",
        "opt",
        "proc",
        "run",
        "sbin",
        "srv",
        "sys",
        "usr/bin",
        "usr/lib",
        "usr/local/bin",
        "usr/local/lib",
        "usr/local/share",
        "usr/sbin",
        "usr/share/man",
        "usr/share/misc",
        "var/cache/apk",
        "var/cache/misc",
        "var/lib/misc",
        "var/lib/udhcpd",
        "var/local",
        "var/log",
        "var/mail",
        "var/opt",
        "var/spool/cron",
    ]);
    t.dir("root", 0o700);
    t.dir("tmp", 0o1777);
    t.dir("var/tmp", 0o1777);
    t.dir("var/empty", 0o555);

    // busybox: one binary, hundreds of commands (symlinks: `ls -l /bin/sh`).
    t.elf("bin/busybox", 808_712);
    for (dir, applets) in [
        ("bin", ALPINE_BIN_APPLETS),
        ("sbin", ALPINE_SBIN_APPLETS),
        ("usr/bin", ALPINE_USR_BIN_APPLETS),
        ("usr/sbin", ALPINE_USR_SBIN_APPLETS),
    ] {
        for applet in applets {
            t.symlink(&format!("{dir}/{applet}"), "/bin/busybox");
        }
    }

    // etc
    t.text("etc/alpine-release", 0o644, "3.19.1\n");
    t.text("etc/apk/arch", 0o644, "x86_64\n");
    for k in ALPINE_KEYS {
        let len = if k.contains("-6") { 800 } else { 451 };
        t.pem(&format!("etc/apk/keys/{k}"), "PUBLIC KEY", len);
        t.pem(&format!("usr/share/apk/keys/{k}"), "PUBLIC KEY", len);
        t.symlink(
            &format!("usr/share/apk/keys/x86_64/{k}"),
            &format!("../{k}"),
        );
    }
    t.text(
        "etc/apk/protected_paths.d/alpine-baselayout.list",
        0o644,
        "-etc/crontabs/\n-etc/motd\n",
    );
    t.text("etc/apk/repositories", 0o644, ALPINE_REPOSITORIES);
    t.text("etc/apk/world", 0o644, ALPINE_WORLD);
    t.dirs(&[
        "etc/conf.d",
        "etc/init.d",
        "etc/opt",
        "etc/ssl/misc",
        "etc/ssl/certs",
    ]);
    t.text("etc/crontabs/root", 0o600, ALPINE_CRONTAB);
    t.text("etc/fstab", 0o644, ALPINE_FSTAB);
    t.text("etc/group", 0o644, ALPINE_GROUP);
    t.text("etc/hostname", 0o644, "localhost\n");
    t.text("etc/hosts", 0o644, ALPINE_HOSTS);
    t.text("etc/inittab", 0o644, ALPINE_INITTAB);
    t.text(
        "etc/issue",
        0o644,
        "Welcome to Alpine Linux 3.19\nKernel \\r on an \\m (\\l)\n\n",
    );
    t.words("etc/logrotate.d/acpid", 0o644, 140);
    t.text(
        "etc/modprobe.d/aliases.conf",
        0o644,
        "alias net-pf-10 ipv6\nalias char-major-10-135 rtc\n",
    );
    t.words("etc/modprobe.d/blacklist.conf", 0o644, 1_885);
    t.words("etc/modprobe.d/i386.conf", 0o644, 122);
    t.words("etc/modprobe.d/kms.conf", 0o644, 91);
    t.text("etc/modules", 0o644, "af_packet\nipv6\n");
    t.dirs(&[
        "etc/modules-load.d",
        "etc/network/if-down.d",
        "etc/network/if-post-down.d",
        "etc/network/if-pre-up.d",
    ]);
    t.words("etc/network/if-up.d/dad", 0o775, 293);
    t.text("etc/motd", 0o644, ALPINE_MOTD);
    t.symlink("etc/mtab", "../proc/mounts");
    t.text("etc/nsswitch.conf", 0o644, ALPINE_NSSWITCH);
    t.symlink("etc/os-release", "../usr/lib/os-release");
    t.text("etc/passwd", 0o644, ALPINE_PASSWD);
    t.dirs(&[
        "etc/periodic/15min",
        "etc/periodic/daily",
        "etc/periodic/hourly",
        "etc/periodic/monthly",
        "etc/periodic/weekly",
    ]);
    t.text("etc/profile", 0o644, ALPINE_PROFILE);
    t.words("etc/profile.d/README", 0o644, 295);
    t.words("etc/profile.d/color_prompt.sh.disabled", 0o644, 610);
    t.text("etc/profile.d/locale.sh", 0o644, "export CHARSET=${CHARSET:-UTF-8}\nexport LANG=${LANG:-C.UTF-8}\nexport LC_COLLATE=${LC_COLLATE:-C}\n");
    t.words("etc/protocols", 0o644, 3_164);
    t.words("etc/secfixes.d/alpine", 0o644, 26);
    t.words("etc/securetty", 0o644, 65);
    t.words("etc/services", 0o644, 12_813);
    t.text("etc/shadow", 0o640, &alpine_shadow(ALPINE_PASSWD));
    t.text(
        "etc/shells",
        0o644,
        "# valid login shells\n/bin/sh\n/bin/ash\n",
    );
    t.symlink("etc/ssl/cert.pem", "certs/ca-certificates.crt");
    t.pem("etc/ssl/certs/ca-certificates.crt", "CERTIFICATE", 221_486);
    t.words("etc/ssl/ct_log_list.cnf", 0o644, 412);
    t.words("etc/ssl/ct_log_list.cnf.dist", 0o644, 412);
    t.words("etc/ssl/misc/CA.pl", 0o755, 7_940);
    t.symlink("etc/ssl/misc/tsget", "tsget.pl");
    t.words("etc/ssl/misc/tsget.pl", 0o755, 6_743);
    t.words("etc/ssl/openssl.cnf", 0o644, 12_324);
    t.words("etc/ssl/openssl.cnf.dist", 0o644, 12_324);
    t.dir("etc/ssl/private", 0o700);
    t.words("etc/sysctl.conf", 0o644, 53);
    t.dir("etc/sysctl.d", 0o755);
    t.words("etc/udhcpd.conf", 0o644, 5_636);

    // lib: the C library (musl), apk's database and the shared libraries
    t.text(
        "lib/apk/db/installed",
        0o644,
        &apk_installed(&[ALPINE_PACKAGES]),
    );
    t.noise("lib/apk/db/lock", 0o600, RAW, 0);
    t.noise("lib/apk/db/scripts.tar", 0o644, RAW, 10_240);
    t.words("lib/apk/db/triggers", 0o644, 77);
    t.dirs(&[
        "lib/apk/exec",
        "lib/firmware",
        "lib/mdev",
        "lib/modules-load.d",
    ]);
    t.elf("lib/ld-musl-x86_64.so.1", 653_232);
    t.symlink("lib/libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1");
    t.elf("lib/libapk.so.2.14.0", 236_160);
    t.elf("lib/libcrypto.so.3", 4_151_944);
    t.elf("lib/libssl.so.3", 609_864);
    t.lib("lib", "libz.so.1", ".3.1", 100_128);
    t.words("lib/sysctl.d/00-alpine.conf", 0o644, 1_278);

    // sbin, usr
    t.elf("sbin/apk", 66_624);
    t.text("sbin/ldconfig", 0o755, ALPINE_LDCONFIG);
    t.elf("sbin/mkmntdirs", 14_240);
    t.elf("usr/bin/getconf", 34_680);
    t.elf("usr/bin/getent", 51_224);
    t.elf("usr/bin/iconv", 22_936);
    t.symlink("usr/bin/ldd", "/lib/ld-musl-x86_64.so.1");
    t.elf("usr/bin/scanelf", 80_416);
    t.elf("usr/bin/ssl_client", 14_232);
    for engine in ["afalg.so", "capi.so", "loader_attic.so", "padlock.so"] {
        t.elf(
            &format!("usr/lib/engines-3/{engine}"),
            size_of(engine, 14_000, 22_400),
        );
    }
    t.symlink("usr/lib/libcrypto.so.3", "../../lib/libcrypto.so.3");
    t.symlink("usr/lib/libssl.so.3", "../../lib/libssl.so.3");
    t.text("usr/lib/os-release", 0o644, ALPINE_OS_RELEASE);
    t.elf("usr/lib/ossl-modules/legacy.so", 137_952);
    t.words("usr/share/udhcpc/default.script", 0o755, 3_470);

    // var: the usual links into /run
    t.symlink("var/lock", "../run/lock");
    t.symlink("var/run", "../run");
    t.symlink("var/spool/cron/crontabs", "../../../etc/crontabs");
    t.symlink("var/spool/mail", "../mail");
}

fn alpine_shadow(passwd: &str) -> String {
    passwd
        .lines()
        .filter_map(|l| l.split(':').next())
        .map(|user| {
            let pw = if user == "root" { "*" } else { "!" };
            format!("{user}:{pw}::0:::::\n")
        })
        .collect()
}

// =============================================================================================
// File trees: nginx:stable-alpine3.19 (on alpine:3.19's layer)
// =============================================================================================

/// The packages nginx's alpine-slim `RUN` adds.
const NGINX_ALPINE_SLIM_PACKAGES: &[(&str, &str, u64, &str)] = &[
    (
        "libintl",
        "0.22.3-r0",
        57_344,
        "GNU gettext runtime library",
    ),
    (
        "nginx",
        "1.24.0-r1",
        3_174_400,
        "High performance web server",
    ),
    (
        "pcre2",
        "10.42-r2",
        667_648,
        "Perl-compatible regular expression library",
    ),
    ("tzdata", "2023d-r0", 1_585_152, "Timezone data"),
];

/// The packages nginx's full `RUN` adds on top of alpine-slim.
const NGINX_ALPINE_PACKAGES: &[(&str, &str, u64, &str)] = &[
    (
        "brotli-libs",
        "1.1.0-r1",
        921_600,
        "Generic lossless compressor (libraries)",
    ),
    (
        "c-ares",
        "1.24.0-r1",
        155_648,
        "Asynchronous DNS/names resolver library",
    ),
    (
        "ca-certificates",
        "20230506-r0",
        684_032,
        "Common CA certificates PEM files from Mozilla",
    ),
    (
        "curl",
        "8.5.0-r0",
        266_240,
        "URL retrival utility and library",
    ),
    (
        "fontconfig",
        "2.14.2-r4",
        708_608,
        "Library for configuring and customizing font access",
    ),
    (
        "freetype",
        "2.13.2-r0",
        753_664,
        "TrueType font rendering library",
    ),
    (
        "gd",
        "2.3.3-r7",
        462_848,
        "Library for the dynamic creation of images by programmers",
    ),
    (
        "geoip",
        "1.6.12-r4",
        3_776_512,
        "Lookup countries by IP addresses",
    ),
    (
        "libavif",
        "1.0.3-r0",
        167_936,
        "Library for encoding and decoding .avif files",
    ),
    (
        "libaom-libs",
        "3.7.1-r0",
        5_439_488,
        "Alliance for Open Media (AOM) AV1 codec SDK (libraries)",
    ),
    (
        "libdav1d",
        "1.3.0-r1",
        1_810_432,
        "small and fast AV1 Decoder (libraries)",
    ),
    (
        "libjpeg-turbo",
        "3.0.1-r0",
        1_003_520,
        "Accelerated baseline JPEG compression and decompression library",
    ),
    (
        "libpng",
        "1.6.40-r0",
        229_376,
        "Portable Network Graphics library",
    ),
    (
        "libwebp",
        "1.3.2-r0",
        405_504,
        "Libraries for working with WebP images",
    ),
    ("libx11", "1.8.7-r0", 3_211_264, "X11 client-side library"),
    (
        "libxml2",
        "2.11.6-r0",
        1_290_240,
        "XML parsing library, version 2",
    ),
    (
        "libxslt",
        "1.1.39-r0",
        294_912,
        "XML stylesheet transformation library",
    ),
    (
        "nghttp2-libs",
        "1.58.0-r0",
        167_936,
        "Experimental HTTP/2 client, server and proxy (libraries)",
    ),
    (
        "nginx-module-geoip",
        "1.24.0-r1",
        196_608,
        "nginx GeoIP dynamic modules",
    ),
    (
        "nginx-module-image-filter",
        "1.24.0-r1",
        110_592,
        "nginx image filter dynamic module",
    ),
    (
        "nginx-module-njs",
        "1.24.0.0.8.2-r1",
        6_205_440,
        "nginx njs dynamic modules",
    ),
    (
        "nginx-module-xslt",
        "1.24.0-r1",
        102_400,
        "nginx xslt dynamic module",
    ),
    (
        "tiff",
        "4.6.0t-r0",
        458_752,
        "Provides support for the Tag Image File Format or TIFF",
    ),
    (
        "xz-libs",
        "5.4.5-r0",
        188_416,
        "Library and CLI tools for XZ and LZMA compressed files (libraries)",
    ),
    (
        "zstd-libs",
        "1.5.5-r8",
        700_416,
        "Zstandard - Fast real-time compression algorithm (libraries)",
    ),
];

/// Time zones shipped as compiled files (a selection of tzdata's).
#[rustfmt::skip]
const ZONES: &[&str] = &[
    "Africa/Abidjan", "Africa/Cairo", "Africa/Casablanca", "Africa/Johannesburg", "Africa/Lagos",
    "Africa/Nairobi", "America/Argentina/Buenos_Aires", "America/Bogota", "America/Caracas",
    "America/Chicago", "America/Denver", "America/Guatemala", "America/Havana", "America/La_Paz",
    "America/Lima", "America/Los_Angeles", "America/Mexico_City", "America/Montevideo",
    "America/New_York", "America/Panama", "America/Santiago", "America/Sao_Paulo",
    "America/Toronto", "Asia/Bangkok", "Asia/Dubai", "Asia/Hong_Kong", "Asia/Jakarta",
    "Asia/Jerusalem", "Asia/Kolkata", "Asia/Manila", "Asia/Seoul", "Asia/Shanghai",
    "Asia/Singapore", "Asia/Tokyo", "Atlantic/Azores", "Atlantic/Canary", "Atlantic/Reykjavik",
    "Australia/Adelaide", "Australia/Brisbane", "Australia/Perth", "Australia/Sydney",
    "Europe/Amsterdam", "Europe/Athens", "Europe/Berlin", "Europe/Brussels", "Europe/Bucharest",
    "Europe/Dublin", "Europe/Helsinki", "Europe/Istanbul", "Europe/Kyiv", "Europe/Lisbon",
    "Europe/London", "Europe/Madrid", "Europe/Moscow", "Europe/Oslo", "Europe/Paris",
    "Europe/Prague", "Europe/Rome", "Europe/Stockholm", "Europe/Vienna", "Europe/Warsaw",
    "Europe/Zurich", "Pacific/Auckland", "Pacific/Honolulu", "UTC",
];

/// What `apk add nginx tzdata libintl` and the user creation change: new files, and new
/// versions of files the alpine layer already has (`/etc/passwd`, the apk database), which
/// hide the old ones in the union view.
fn nginx_alpine_slim_run(t: &mut Tree) {
    t.dir("docker-entrypoint.d", 0o755);
    // The nginx user and group: a changed copy of alpine's files (copy-on-write).
    t.text(
        "etc/group",
        0o644,
        &format!("{ALPINE_GROUP}nginx:x:101:nginx\n"),
    );
    let passwd = format!("{ALPINE_PASSWD}nginx:x:101:101:nginx:/var/cache/nginx:/sbin/nologin\n");
    t.text("etc/shadow", 0o640, &alpine_shadow(&passwd));
    t.text("etc/passwd", 0o644, &passwd);
    t.pem("etc/apk/keys/nginx_signing.rsa.pub", "PUBLIC KEY", 800);
    t.text(
        "etc/apk/world",
        0o644,
        &format!("{ALPINE_WORLD}nginx=1.24.0-r1\ntzdata\nlibintl\n"),
    );
    t.text(
        "lib/apk/db/installed",
        0o644,
        &apk_installed(&[ALPINE_PACKAGES, NGINX_ALPINE_SLIM_PACKAGES]),
    );
    t.noise("lib/apk/db/scripts.tar", 0o644, RAW, 17_920);
    t.words("lib/apk/db/triggers", 0o644, 77);
    t.words("etc/init.d/nginx", 0o755, 1_820);
    t.words("etc/logrotate.d/nginx", 0o644, 352);
    t.text("etc/nginx/conf.d/default.conf", 0o644, NGINX_DEFAULT_CONF);
    t.text("etc/nginx/fastcgi.conf", 0o644, &format!("fastcgi_param  SCRIPT_FILENAME    $document_root$fastcgi_script_name;\n{FASTCGI_PARAMS}"));
    t.text("etc/nginx/fastcgi_params", 0o644, FASTCGI_PARAMS);
    t.text("etc/nginx/mime.types", 0o644, NGINX_MIME_TYPES);
    t.symlink("etc/nginx/modules", "/usr/lib/nginx/modules");
    t.text("etc/nginx/nginx.conf", 0o644, NGINX_CONF);
    t.text("etc/nginx/scgi_params", 0o644, SCGI_PARAMS);
    t.text("etc/nginx/uwsgi_params", 0o644, UWSGI_PARAMS);
    t.lib("usr/lib", "libintl.so.8", ".4.0", 55_544);
    t.lib("usr/lib", "libpcre2-8.so.0", ".11.2", 616_248);
    t.dir("usr/lib/nginx/modules", 0o755);
    t.elf("usr/local/bin/envsubst", 47_496);
    t.elf("usr/sbin/nginx", 1_327_848);
    t.elf("usr/sbin/nginx-debug", 1_410_656);
    t.text("usr/share/nginx/html/50x.html", 0o644, NGINX_50X_HTML);
    t.text("usr/share/nginx/html/index.html", 0o644, NGINX_INDEX_HTML);
    for zone in ZONES {
        t.noise(
            &format!("usr/share/zoneinfo/{zone}"),
            0o644,
            TZIF,
            size_of(zone, 114, 3_600),
        );
    }
    t.words("usr/share/zoneinfo/iso3166.tab", 0o644, 4_791);
    t.words("usr/share/zoneinfo/tzdata.zi", 0o644, 109_390);
    t.words("usr/share/zoneinfo/zone1970.tab", 0o644, 17_573);
    t.dir("var/cache/nginx", 0o755);
    t.symlink("var/log/nginx/access.log", "/dev/stdout");
    t.symlink("var/log/nginx/error.log", "/dev/stderr");
}

fn copy_entrypoint(t: &mut Tree) {
    t.text("docker-entrypoint.sh", 0o775, DOCKER_ENTRYPOINT_SH);
}

fn copy_ipv6_script(t: &mut Tree) {
    t.text(
        "docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
        0o775,
        LISTEN_ON_IPV6_SH,
    );
}

fn copy_resolvers_script(t: &mut Tree) {
    t.text(
        "docker-entrypoint.d/15-local-resolvers.envsh",
        0o775,
        LOCAL_RESOLVERS_ENVSH,
    );
}

fn copy_envsubst_script(t: &mut Tree) {
    t.text(
        "docker-entrypoint.d/20-envsubst-on-templates.sh",
        0o775,
        ENVSUBST_ON_TEMPLATES_SH,
    );
}

fn copy_tune_script(t: &mut Tree) {
    t.text(
        "docker-entrypoint.d/30-tune-worker-processes.sh",
        0o775,
        TUNE_WORKER_PROCESSES_SH,
    );
}

/// Mozilla's root certificates as `ca-certificates` installs them (a selection).
#[rustfmt::skip]
const CA_NAMES: &[&str] = &[
    "AC_RAIZ_FNMT-RCM", "Actalis_Authentication_Root_CA", "AffirmTrust_Commercial",
    "AffirmTrust_Networking", "AffirmTrust_Premium", "Amazon_Root_CA_1", "Amazon_Root_CA_2",
    "Amazon_Root_CA_3", "Amazon_Root_CA_4", "Atos_TrustedRoot_2011", "Baltimore_CyberTrust_Root",
    "Buypass_Class_2_Root_CA", "Buypass_Class_3_Root_CA", "Certigna", "Certum_Trusted_Network_CA",
    "Comodo_AAA_Services_root", "DigiCert_Assured_ID_Root_CA", "DigiCert_Global_Root_CA",
    "DigiCert_Global_Root_G2", "DigiCert_Global_Root_G3", "DigiCert_High_Assurance_EV_Root_CA",
    "Entrust_Root_Certification_Authority", "GlobalSign_Root_CA", "GlobalSign_Root_CA_-_R3",
    "GlobalSign_Root_CA_-_R6", "Go_Daddy_Class_2_CA", "Go_Daddy_Root_Certificate_Authority_-_G2",
    "HARICA_TLS_ECC_Root_CA_2021", "HARICA_TLS_RSA_Root_CA_2021", "ISRG_Root_X1", "ISRG_Root_X2",
    "IdenTrust_Commercial_Root_CA_1", "Microsoft_ECC_Root_Certificate_Authority_2017",
    "Microsoft_RSA_Root_Certificate_Authority_2017", "QuoVadis_Root_CA_2", "QuoVadis_Root_CA_3",
    "SSL.com_Root_Certification_Authority_ECC", "SSL.com_Root_Certification_Authority_RSA",
    "SecureTrust_CA", "Security_Communication_RootCA2", "Starfield_Class_2_CA",
    "Starfield_Root_Certificate_Authority_-_G2", "SwissSign_Gold_CA_-_G2",
    "T-TeleSec_GlobalRoot_Class_2", "T-TeleSec_GlobalRoot_Class_3", "Telia_Root_CA_v2",
    "USERTrust_ECC_Certification_Authority", "USERTrust_RSA_Certification_Authority",
    "XRamp_Global_CA_Root", "emSign_Root_CA_-_G1",
];

/// Installs the CA certificates: one PEM file each under `share`, a link to each from
/// `/etc/ssl/certs`, and the regenerated bundle.
fn ca_certificates(t: &mut Tree, share: &str) {
    for name in CA_NAMES {
        t.pem(
            &format!("{share}/{name}.crt"),
            "CERTIFICATE",
            size_of(name, 1_200, 2_100) as usize,
        );
        t.symlink(
            &format!("etc/ssl/certs/{name}.pem"),
            &format!("/{share}/{name}.crt"),
        );
    }
    t.pem("etc/ssl/certs/ca-certificates.crt", "CERTIFICATE", 219_742);
}

/// What `apk add nginx-module-* curl ca-certificates` adds: the dynamic modules and the
/// libraries they need (image formats, XML, fonts, GeoIP), plus curl.
fn nginx_alpine_run(t: &mut Tree) {
    t.text("etc/apk/world", 0o644, &format!("{ALPINE_WORLD}ca-certificates\ncurl\nnginx-module-geoip=1.24.0-r1\nnginx-module-image-filter=1.24.0-r1\nnginx-module-njs=1.24.0.0.8.2-r1\nnginx-module-xslt=1.24.0-r1\nnginx=1.24.0-r1\ntzdata\nlibintl\n"));
    t.text(
        "lib/apk/db/installed",
        0o644,
        &apk_installed(&[
            ALPINE_PACKAGES,
            NGINX_ALPINE_SLIM_PACKAGES,
            NGINX_ALPINE_PACKAGES,
        ]),
    );
    t.noise("lib/apk/db/scripts.tar", 0o644, RAW, 23_040);
    t.words("lib/apk/db/triggers", 0o644, 181);
    ca_certificates(t, "usr/share/ca-certificates/mozilla");
    t.words("etc/ca-certificates.conf", 0o644, 5_340);
    t.words("etc/fonts/fonts.conf", 0o644, 2_734);
    t.elf("usr/bin/curl", 255_472);
    t.elf("usr/bin/njs", 1_123_328);
    t.elf("usr/bin/update-ca-certificates", 34_568);
    for (soname, version, len) in [
        ("libGeoIP.so.1", ".6.12", 133_456),
        ("libX11.so.6", ".4.0", 1_329_640),
        ("libXau.so.6", ".0.0", 14_392),
        ("libXdmcp.so.6", ".0.0", 26_664),
        ("libXpm.so.4", ".11.0", 71_800),
        ("libaom.so.3", ".7.1", 5_912_088),
        ("libavif.so.16", ".0.3", 182_208),
        ("libbrotlicommon.so.1", ".1.0", 137_496),
        ("libbrotlidec.so.1", ".1.0", 55_008),
        ("libbrotlienc.so.1", ".1.0", 702_352),
        ("libbsd.so.0", ".11.7", 92_744),
        ("libcares.so.2", ".7.1", 121_952),
        ("libcurl.so.4", ".8.0", 684_176),
        ("libdav1d.so.7", ".0.0", 1_899_744),
        ("libexpat.so.1", ".8.10", 190_208),
        ("libexslt.so.0", ".8.21", 90_176),
        ("libfontconfig.so.1", ".12.1", 305_936),
        ("libfreetype.so.6", ".20.1", 788_928),
        ("libgd.so.3", ".0.11", 433_568),
        ("libjpeg.so.8", ".3.2", 425_320),
        ("liblzma.so.5", ".4.5", 163_736),
        ("libmd.so.0", ".1.0", 39_240),
        ("libnghttp2.so.14", ".25.1", 166_208),
        ("libpng16.so.16", ".40.0", 219_384),
        ("libsharpyuv.so.0", ".0.1", 22_720),
        ("libtiff.so.6", ".0.2", 482_512),
        ("libwebp.so.7", ".1.8", 447_104),
        ("libxcb.so.1", ".1.0", 178_928),
        ("libxml2.so.2", ".11.6", 1_419_560),
        ("libxslt.so.1", ".1.39", 239_872),
        ("libzstd.so.1", ".5.5", 679_216),
    ] {
        t.lib("usr/lib", soname, version, len);
    }
    for module in [
        "ngx_http_geoip_module",
        "ngx_http_image_filter_module",
        "ngx_http_js_module",
        "ngx_http_xslt_filter_module",
        "ngx_stream_geoip_module",
        "ngx_stream_js_module",
    ] {
        let (small, large) = if module.contains("js") {
            (1_421_424, 2_812_904)
        } else {
            (27_632, 96_456)
        };
        t.elf(&format!("usr/lib/nginx/modules/{module}.so"), small);
        t.elf(&format!("usr/lib/nginx/modules/{module}-debug.so"), large);
    }
    t.noise("usr/share/GeoIP/GeoIP.dat", 0o644, RAW, 1_242_574);
    t.noise("usr/share/GeoIP/GeoIPv6.dat", 0o644, RAW, 2_322_773);
    t.words("usr/share/X11/XErrorDB", 0o644, 40_658);
    t.words("usr/share/X11/locale/locale.alias", 0o644, 81_062);
    t.words("usr/share/X11/locale/locale.dir", 0o644, 46_936);
    t.words("usr/share/X11/locale/compose.dir", 0o644, 41_428);
    t.dir("usr/share/fonts", 0o755);
    t.words(
        "usr/share/fontconfig/conf.avail/10-hinting-slight.conf",
        0o644,
        909,
    );
    t.words(
        "usr/share/fontconfig/conf.avail/45-latin.conf",
        0o644,
        7_314,
    );
    t.words(
        "usr/share/fontconfig/conf.avail/60-latin.conf",
        0o644,
        2_094,
    );
}

// =============================================================================================
// File trees: busybox and hello-world
// =============================================================================================

/// The busybox image: one binary with ~300 names. Unlike Alpine, which uses symlinks, the
/// official busybox image links every applet to it with *hard* links, so the binary is stored
/// once in the tar (under `bin/[`, the first name in the walk) and counted once in the size.
fn busybox_rootfs(t: &mut Tree) {
    t.dirs(&[
        "bin",
        "dev",
        "etc/network/if-down.d",
        "etc/network/if-post-down.d",
        "etc/network/if-pre-up.d",
        "etc/network/if-up.d",
        "home",
        "lib",
        "usr/sbin",
        "var/spool/mail",
        "var/www",
    ]);
    t.dir("root", 0o700);
    t.dir("tmp", 0o1777);
    t.elf("bin/busybox", 1_029_800);
    for applet in ALPINE_BIN_APPLETS
        .iter()
        .chain(ALPINE_SBIN_APPLETS)
        .chain(ALPINE_USR_BIN_APPLETS)
        .chain(ALPINE_USR_SBIN_APPLETS)
    {
        t.hardlink(&format!("bin/{applet}"), "bin/busybox");
    }
    t.text("etc/group", 0o644, BUSYBOX_GROUP);
    t.text(
        "etc/nsswitch.conf",
        0o644,
        "hosts:\t\tfiles dns\nnetworks:\tfiles\n",
    );
    t.text("etc/passwd", 0o644, BUSYBOX_PASSWD);
    t.text("etc/shadow", 0o600, &alpine_shadow(BUSYBOX_PASSWD));
    t.elf("lib/ld-linux-x86-64.so.2", 210_968);
    t.elf("lib/libc.so.6", 1_922_136);
    t.elf("lib/libm.so.6", 907_784);
    t.elf("lib/libnss_compat.so.2", 43_904);
    t.elf("lib/libnss_dns.so.2", 14_184);
    t.elf("lib/libnss_files.so.2", 14_184);
    t.elf("lib/libnss_hesiod.so.2", 26_872);
    t.elf("lib/libpthread.so.0", 21_224);
    t.elf("lib/libresolv.so.2", 68_104);
    t.symlink("lib64", "lib");
}

/// hello-world: a single static program that prints its greeting.
fn hello_world_rootfs(t: &mut Tree) {
    t.elf("hello", 13_256);
}

// =============================================================================================
// File trees: debian:bookworm-slim
// =============================================================================================

/// The packages of debian:bookworm-slim: name, version, description.
const DEBIAN_PACKAGES: &[(&str, &str, &str)] = &[
    ("adduser", "3.134", "add and remove users and groups"),
    ("apt", "2.6.1", "commandline package manager"),
    (
        "base-files",
        "12.4+deb12u4",
        "Debian base system miscellaneous files",
    ),
    (
        "base-passwd",
        "3.6.1",
        "Debian base system master password and group files",
    ),
    ("bash", "5.2.15-2+b2", "GNU Bourne Again SHell"),
    (
        "bsdutils",
        "1:2.38.1-5+b1",
        "basic utilities from 4.4BSD-Lite",
    ),
    ("coreutils", "9.1-1", "GNU core utilities"),
    ("dash", "0.5.12-2", "POSIX-compliant shell"),
    (
        "debconf",
        "1.5.82",
        "Debian configuration management system",
    ),
    (
        "debian-archive-keyring",
        "2023.3+deb12u1",
        "GnuPG archive keys of the Debian archive",
    ),
    (
        "debianutils",
        "5.7-0.5~deb12u1",
        "Miscellaneous utilities specific to Debian",
    ),
    ("diffutils", "1:3.8-4", "File comparison utilities"),
    ("dpkg", "1.21.22", "Debian package management system"),
    (
        "e2fsprogs",
        "1.47.0-2",
        "ext2/ext3/ext4 file system utilities",
    ),
    (
        "findutils",
        "4.9.0-4",
        "utilities for finding files--find, xargs",
    ),
    (
        "gcc-12-base",
        "12.2.0-14",
        "GCC, the GNU Compiler Collection (base package)",
    ),
    (
        "gpgv",
        "2.2.40-1.1",
        "GNU privacy guard - signature verification tool",
    ),
    ("grep", "3.8-5", "GNU grep, egrep and fgrep"),
    ("gzip", "1.12-1", "GNU compression utilities"),
    (
        "hostname",
        "3.23+nmu1",
        "utility to set/show the host name or domain name",
    ),
    (
        "init-system-helpers",
        "1.65.2",
        "helper tools for all init systems",
    ),
    ("libacl1", "2.3.1-3", "access control list - shared library"),
    (
        "libapt-pkg6.0",
        "2.6.1",
        "package management runtime library",
    ),
    (
        "libattr1",
        "1:2.5.1-4",
        "extended attribute handling - shared library",
    ),
    (
        "libaudit-common",
        "1:3.0.9-1",
        "Dynamic library for security auditing - common files",
    ),
    (
        "libaudit1",
        "1:3.0.9-1",
        "Dynamic library for security auditing",
    ),
    ("libblkid1", "2.38.1-5+b1", "block device ID library"),
    (
        "libbz2-1.0",
        "1.0.8-5+b1",
        "high-quality block-sorting file compressor library - runtime",
    ),
    ("libc-bin", "2.36-9+deb12u3", "GNU C Library: Binaries"),
    ("libc6", "2.36-9+deb12u3", "GNU C Library: Shared libraries"),
    (
        "libcap-ng0",
        "0.8.3-1+b3",
        "alternate POSIX capabilities library",
    ),
    (
        "libcap2",
        "1:2.66-4",
        "POSIX 1003.1e capabilities (library)",
    ),
    (
        "libcom-err2",
        "1.47.0-2",
        "common error description library",
    ),
    ("libcrypt1", "1:4.4.33-2", "libcrypt shared library"),
    (
        "libdb5.3",
        "5.3.28+dfsg2-1",
        "Berkeley v5.3 Database Libraries [runtime]",
    ),
    (
        "libdebconfclient0",
        "0.270",
        "Debian Configuration Management System (C-implementation library)",
    ),
    (
        "libext2fs2",
        "1.47.0-2",
        "ext2/ext3/ext4 file system libraries",
    ),
    (
        "libffi8",
        "3.4.4-1",
        "Foreign Function Interface library runtime",
    ),
    ("libgcc-s1", "12.2.0-14", "GCC support library"),
    (
        "libgcrypt20",
        "1.10.1-3",
        "LGPL Crypto library - runtime library",
    ),
    (
        "libgmp10",
        "2:6.2.1+dfsg1-1.1",
        "Multiprecision arithmetic library",
    ),
    (
        "libgnutls30",
        "3.7.9-2+deb12u1",
        "GNU TLS library - main runtime library",
    ),
    (
        "libgpg-error0",
        "1.46-1",
        "GnuPG development runtime library",
    ),
    (
        "libhogweed6",
        "3.8.1-2",
        "low level cryptographic library (public-key cryptos)",
    ),
    (
        "libidn2-0",
        "2.3.3-1+b1",
        "Internationalized domain names (IDNA2008/TR46) library",
    ),
    (
        "liblz4-1",
        "1.9.4-1",
        "Fast LZ compression algorithm library - runtime",
    ),
    ("liblzma5", "5.4.1-0.2", "XZ-format compression library"),
    (
        "libmd0",
        "1.0.4-2",
        "message digest functions from BSD systems - shared library",
    ),
    ("libmount1", "2.38.1-5+b1", "device mounting library"),
    (
        "libnettle8",
        "3.8.1-2",
        "low level cryptographic library (symmetric and one-way cryptos)",
    ),
    (
        "libp11-kit0",
        "0.24.1-2",
        "library for loading and coordinating access to PKCS#11 modules - runtime",
    ),
    (
        "libpam-modules",
        "1.5.2-6+deb12u1",
        "Pluggable Authentication Modules for PAM",
    ),
    (
        "libpam-modules-bin",
        "1.5.2-6+deb12u1",
        "Pluggable Authentication Modules for PAM - helper binaries",
    ),
    (
        "libpam-runtime",
        "1.5.2-6+deb12u1",
        "Runtime support for the PAM library",
    ),
    (
        "libpam0g",
        "1.5.2-6+deb12u1",
        "Pluggable Authentication Modules library",
    ),
    (
        "libpcre2-8-0",
        "10.42-1",
        "New Perl Compatible Regular Expression Library- 8 bit runtime files",
    ),
    (
        "libseccomp2",
        "2.5.4-1+b3",
        "high level interface to Linux seccomp filter",
    ),
    (
        "libselinux1",
        "3.4-1+b6",
        "SELinux runtime shared libraries",
    ),
    (
        "libsemanage-common",
        "3.4-1",
        "Common files for SELinux policy management libraries",
    ),
    (
        "libsemanage2",
        "3.4-1+b5",
        "SELinux policy management library",
    ),
    (
        "libsepol2",
        "3.4-2.1",
        "SELinux library for manipulating binary security policies",
    ),
    (
        "libsmartcols1",
        "2.38.1-5+b1",
        "smart column output alignment library",
    ),
    (
        "libss2",
        "1.47.0-2",
        "command-line interface parsing library",
    ),
    ("libstdc++6", "12.2.0-14", "GNU Standard C++ Library v3"),
    ("libsystemd0", "252.19-1~deb12u1", "systemd utility library"),
    (
        "libtasn1-6",
        "4.19.0-2",
        "Manage ASN.1 structures (runtime)",
    ),
    (
        "libtinfo6",
        "6.4-4",
        "shared low-level terminfo library for terminal handling",
    ),
    ("libudev1", "252.19-1~deb12u1", "libudev shared library"),
    ("libunistring2", "1.0-2", "Unicode string library for C"),
    ("libuuid1", "2.38.1-5+b1", "Universally Unique ID library"),
    ("libxxhash0", "0.8.1-1", "shared library for xxhash"),
    (
        "libzstd1",
        "1.5.4+dfsg2-5",
        "fast lossless compression algorithm",
    ),
    ("login", "1:4.13+dfsg1-1+b1", "system login tools"),
    (
        "logsave",
        "1.47.0-2",
        "save the output of a command in a log file",
    ),
    (
        "mawk",
        "1.3.4.20200120-3.1",
        "Pattern scanning and text processing language",
    ),
    (
        "mount",
        "2.38.1-5+b1",
        "tools for mounting and manipulating filesystems",
    ),
    ("ncurses-base", "6.4-4", "basic terminal type definitions"),
    (
        "ncurses-bin",
        "6.4-4",
        "terminal-related programs and man pages",
    ),
    (
        "passwd",
        "1:4.13+dfsg1-1+b1",
        "change and administer password and group data",
    ),
    ("perl-base", "5.36.0-7+deb12u1", "minimal Perl system"),
    (
        "sed",
        "4.9-1",
        "GNU stream editor for filtering/transforming text",
    ),
    ("sysvinit-utils", "3.06-4", "System-V-like utilities"),
    (
        "tar",
        "1.34+dfsg-1.2",
        "GNU version of the tar archiving utility",
    ),
    (
        "usr-is-merged",
        "37~deb12u1",
        "Transitional package to assert a merged-/usr system",
    ),
    (
        "util-linux",
        "2.38.1-5+b1",
        "miscellaneous system utilities",
    ),
    ("util-linux-extra", "2.38.1-5+b1", "interactive login tools"),
    ("zlib1g", "1:1.2.13.dfsg-1", "compression library - runtime"),
];

/// dpkg's database of installed packages (`/var/lib/dpkg/status`).
fn dpkg_status(packages: &[&[(&str, &str, &str)]]) -> String {
    let mut out = String::new();
    for (name, version, description) in packages.iter().flat_map(|p| p.iter()) {
        let arch = if name.ends_with("-common") || *name == "adduser" || *name == "debconf" {
            "all"
        } else {
            "amd64"
        };
        out.push_str(&format!(
            "Package: {name}\nStatus: install ok installed\nPriority: required\nSection: misc\nInstalled-Size: {}\nMaintainer: Debian maintainers <debian-devel@lists.debian.org>\nArchitecture: {arch}\nVersion: {version}\nDescription: {description}\n\n",
            size_of(name, 40, 4_000) / 8 * 8
        ));
    }
    out
}

/// Programs in `/usr/bin` (ELF unless named in [`DEBIAN_SCRIPTS`]).
#[rustfmt::skip]
const DEBIAN_USR_BIN: &[&str] = &[
    "[", "apt", "apt-cache", "apt-cdrom", "apt-config", "apt-get", "apt-key", "apt-mark", "arch",
    "b2sum", "base32", "base64", "basename", "basenc", "bashbug", "cat", "chage", "chattr", "chcon",
    "chfn", "chgrp", "chmod", "choom", "chown", "chrt", "chsh", "cksum", "clear", "clear_console",
    "cmp", "comm", "cp", "csplit", "cut", "dash", "date", "dd", "debconf", "debconf-apt-progress",
    "debconf-communicate", "debconf-copydb", "debconf-escape", "debconf-set-selections",
    "debconf-show", "deb-systemd-helper", "deb-systemd-invoke", "df", "diff", "diff3", "dir",
    "dircolors", "dirname", "dmesg", "dpkg", "dpkg-deb", "dpkg-divert", "dpkg-maintscript-helper",
    "dpkg-query", "dpkg-realpath", "dpkg-split", "dpkg-statoverride", "dpkg-trigger", "du", "echo",
    "egrep", "env", "expand", "expiry", "expr", "factor", "fallocate", "false", "fgrep", "find",
    "findmnt", "flock", "fmt", "fold", "getconf", "getent", "getopt", "gpasswd", "gpgv", "grep",
    "groups", "gunzip", "gzexe", "gzip", "hardlink", "head", "hostid", "hostname", "iconv", "id",
    "infocmp", "install", "ionice", "ipcmk", "ipcrm", "ipcs", "join", "last", "lastlog", "ldd",
    "link", "ln", "locale", "localedef", "logger", "login", "logname", "ls", "lsattr", "lsblk",
    "lscpu", "lsipc", "lslocks", "lslogins", "lsmem", "lsns", "mawk", "mcookie", "md5sum", "mesg",
    "mkdir", "mkfifo", "mknod", "mktemp", "more", "mount", "mountpoint", "mv", "namei", "newgrp",
    "nice", "nl", "nohup", "nproc", "numfmt", "od", "partx", "passwd", "paste", "pathchk", "pinky",
    "pldd", "pr", "printenv", "printf", "prlimit", "ptx", "pwd", "readlink", "realpath",
    "rename.ul", "renice", "rev", "rgrep", "rm", "rmdir", "run-parts", "runcon", "savelog",
    "script", "scriptlive", "scriptreplay", "sdiff", "sed", "sensible-browser", "sensible-editor",
    "sensible-pager", "seq", "setarch", "setpriv", "setsid", "setterm", "sha1sum", "sha224sum",
    "sha256sum", "sha384sum", "sha512sum", "shred", "shuf", "sleep", "sort", "split", "stat",
    "stdbuf", "stty", "su", "sum", "sync", "tabs", "tac", "tail", "tar", "taskset", "tee",
    "tempfile", "test", "tic", "timeout", "toe", "touch", "tput", "tr", "true", "truncate", "tset",
    "tsort", "tty", "tzselect", "umount", "uname", "uncompress", "unexpand", "uniq", "unlink",
    "unshare", "update-alternatives", "users", "utmpdump", "vdir", "wall", "wc", "wdctl", "whereis",
    "which.debianutils", "who", "whoami", "xargs", "yes", "zcat", "zcmp", "zdiff", "zegrep",
    "zfgrep", "zforce", "zgrep", "zless", "zmore", "znew",
];

/// Programs in `/usr/sbin`.
#[rustfmt::skip]
const DEBIAN_USR_SBIN: &[&str] = &[
    "add-shell", "adduser", "agetty", "badblocks", "blkdiscard", "blkid", "blkzone", "blockdev",
    "chcpu", "chgpasswd", "chmem", "chpasswd", "chroot", "cppw", "ctrlaltdel", "debugfs", "deluser",
    "dpkg-preconfigure", "dpkg-reconfigure", "dumpe2fs", "e2freefrag", "e2fsck", "e2image",
    "e2scrub", "e2scrub_all", "e2undo", "e4crypt", "e4defrag", "faillock", "filefrag", "findfs",
    "fsck", "fsck.minix", "fsfreeze", "fstab-decode", "fstrim", "getty", "groupadd", "groupdel",
    "groupmems", "groupmod", "grpck", "grpconv", "grpunconv", "hwclock", "iconvconfig",
    "installkernel", "invoke-rc.d", "isosize", "killall5", "ldattach", "ldconfig", "logsave",
    "losetup", "mke2fs", "mkfs", "mkfs.bfs", "mkfs.minix", "mkhomedir_helper", "mklost+found",
    "mkswap", "newusers", "nologin", "pam-auth-update", "pam_getenv", "pam_namespace_helper",
    "pam_timestamp_check", "pivot_root", "policy-rc.d", "pwck", "pwconv", "pwunconv", "readprofile",
    "remove-shell", "resize2fs", "rmt-tar", "rtcwake", "runuser", "service", "shadowconfig",
    "start-stop-daemon", "sulogin", "swaplabel", "swapoff", "swapon", "switch_root", "tarcat",
    "tune2fs", "unix_chkpwd", "unix_update", "update-passwd", "update-rc.d", "useradd", "userdel",
    "usermod", "validlocale", "vipw", "wipefs", "zic", "zramctl",
];

/// Programs of the lists above that are shell or Perl scripts, not ELF binaries.
#[rustfmt::skip]
const DEBIAN_SCRIPTS: &[&str] = &[
    "add-shell", "adduser", "apt-key", "bashbug", "debconf", "debconf-apt-progress",
    "debconf-communicate", "debconf-copydb", "debconf-escape", "debconf-set-selections",
    "debconf-show", "deb-systemd-helper", "deb-systemd-invoke", "deluser",
    "dpkg-maintscript-helper", "dpkg-preconfigure", "dpkg-reconfigure", "e2scrub", "e2scrub_all",
    "egrep", "fgrep", "gunzip", "gzexe", "installkernel", "invoke-rc.d", "ldconfig",
    "pam-auth-update", "pam_getenv", "policy-rc.d", "remove-shell", "rgrep", "savelog",
    "sensible-browser", "sensible-editor", "sensible-pager", "service", "shadowconfig", "tzselect",
    "uncompress", "update-rc.d", "validlocale", "which.debianutils", "zcat", "zcmp", "zdiff",
    "zegrep", "zfgrep", "zforce", "zgrep", "zless", "zmore", "znew",
];

/// Set-user-ID programs (mode 4755): they run as root whoever starts them.
const DEBIAN_SETUID: &[&str] = &[
    "chfn", "chsh", "gpasswd", "mount", "newgrp", "passwd", "su", "umount",
];

/// Shared libraries in `/usr/lib/x86_64-linux-gnu`: soname, version suffix of the file, size.
const DEBIAN_LIBS: &[(&str, &str, u64)] = &[
    ("libBrokenLocale.so.1", "", 14_464),
    ("libacl.so.1", ".1.2301", 39_112),
    ("libanl.so.1", "", 14_368),
    ("libapt-pkg.so.6.0", ".0", 2_299_128),
    ("libapt-private.so.0.0", ".0", 461_352),
    ("libattr.so.1", ".1.2501", 26_760),
    ("libaudit.so.1", ".0.0", 137_824),
    ("libblkid.so.1", ".1.0", 334_016),
    ("libbz2.so.1.0", ".4", 74_688),
    ("libc.so.6", "", 1_922_136),
    ("libc_malloc_debug.so.0", "", 51_184),
    ("libcap-ng.so.0", ".0.0", 30_960),
    ("libcap.so.2", ".66", 43_432),
    ("libcom_err.so.2", ".1", 18_504),
    ("libcrypt.so.1", ".1.0", 206_776),
    ("libdb-5.3.so", "", 1_831_192),
    ("libdebconfclient.so.0", ".0.0", 18_528),
    ("libdl.so.2", "", 14_480),
    ("libe2p.so.2", ".3", 39_200),
    ("libext2fs.so.2", ".4", 432_184),
    ("libffi.so.8", ".1.2", 38_968),
    ("libformw.so.6", ".4", 76_560),
    ("libgcc_s.so.1", "", 125_312),
    ("libgcrypt.so.20", ".4.1", 1_319_496),
    ("libgmp.so.10", ".4.1", 706_656),
    ("libgnutls.so.30", ".34.3", 2_109_136),
    ("libgpg-error.so.0", ".33.1", 149_760),
    ("libhogweed.so.6", ".6", 309_096),
    ("libidn2.so.0", ".3.8", 141_032),
    ("liblz4.so.1", ".9.4", 133_592),
    ("liblzma.so.5", ".4.1", 170_456),
    ("libm.so.6", "", 907_784),
    ("libmd.so.0", ".0.5", 59_192),
    ("libmemusage.so", "", 18_632),
    ("libmenuw.so.6", ".4", 39_200),
    ("libmount.so.1", ".1.0", 371_856),
    ("libmvec.so.1", "", 871_816),
    ("libncursesw.so.6", ".4", 417_392),
    ("libnettle.so.8", ".6", 304_064),
    ("libnsl.so.2", ".0.1", 104_496),
    ("libnss_compat.so.2", "", 43_904),
    ("libnss_dns.so.2", "", 14_184),
    ("libnss_files.so.2", "", 14_184),
    ("libnss_hesiod.so.2", "", 26_872),
    ("libp11-kit.so.0", ".3.0", 1_325_128),
    ("libpam.so.0", ".85.1", 68_736),
    ("libpam_misc.so.0", ".82.1", 18_504),
    ("libpamc.so.0", ".82.1", 18_496),
    ("libpanelw.so.6", ".4", 14_384),
    ("libpcprofile.so", "", 14_472),
    ("libpcre2-8.so.0", ".11.2", 629_560),
    ("libpthread.so.0", "", 21_224),
    ("libresolv.so.2", "", 68_104),
    ("librt.so.1", "", 14_664),
    ("libseccomp.so.2", ".5.4", 140_680),
    ("libselinux.so.1", "", 174_720),
    ("libsemanage.so.2", "", 302_120),
    ("libsepol.so.2", "", 760_320),
    ("libsmartcols.so.1", ".1.0", 235_896),
    ("libss.so.2", ".0", 38_992),
    ("libstdc++.so.6", ".0.30", 2_190_440),
    ("libsystemd.so.0", ".35.0", 924_856),
    ("libtasn1.so.6", ".6.3", 89_640),
    ("libthread_db.so.1", "", 39_272),
    ("libtic.so.6", ".4", 67_200),
    ("libtinfo.so.6", ".4", 200_136),
    ("libtirpc.so.3", ".0.0", 199_544),
    ("libudev.so.1", ".7.5", 224_904),
    ("libunistring.so.2", ".2.0", 1_725_896),
    ("libutil.so.1", "", 14_464),
    ("libuuid.so.1", ".3.0", 34_888),
    ("libxxhash.so.0", ".8.1", 72_784),
    ("libz.so.1", ".2.13", 121_280),
    ("libzstd.so.1", ".5.4", 820_312),
];

/// Perl modules of `perl-base` (in `/usr/lib/x86_64-linux-gnu/perl-base`).
#[rustfmt::skip]
const PERL_MODULES: &[&str] = &[
    "AutoLoader.pm", "Carp.pm", "Carp/Heavy.pm", "Config.pm", "Config_git.pl", "Config_heavy.pl",
    "Cwd.pm", "DynaLoader.pm", "Errno.pm", "Exporter.pm", "Exporter/Heavy.pm", "Fcntl.pm",
    "File/Basename.pm", "File/Glob.pm", "File/Path.pm", "File/Spec.pm", "File/Spec/Unix.pm",
    "File/Temp.pm", "FileHandle.pm", "Getopt/Long.pm", "Hash/Util.pm", "IO.pm", "IO/File.pm",
    "IO/Handle.pm", "IO/Pipe.pm", "IO/Seekable.pm", "IO/Select.pm", "IO/Socket.pm",
    "IO/Socket/INET.pm", "IO/Socket/UNIX.pm", "IPC/Open2.pm", "IPC/Open3.pm", "List/Util.pm",
    "POSIX.pm", "Scalar/Util.pm", "SelectSaver.pm", "Socket.pm", "Symbol.pm", "Sys/Hostname.pm",
    "Text/ParseWords.pm", "Text/Tabs.pm", "Text/Wrap.pm", "Tie/Hash.pm", "XSLoader.pm",
    "attributes.pm", "bytes.pm", "bytes_heavy.pl", "constant.pm", "feature.pm", "fields.pm",
    "integer.pm", "lib.pm", "locale.pm", "overload.pm", "overloading.pm", "parent.pm", "re.pm",
    "strict.pm", "unicore/Heavy.pl", "unicore/To/Age.pl", "unicore/To/Gc.pl", "unicore/To/Lower.pl",
    "unicore/To/Upper.pl", "unicore/UCD.pl", "utf8.pm", "vars.pm", "warnings.pm",
    "warnings/register.pm",
];

/// Character set converters of glibc (`/usr/lib/x86_64-linux-gnu/gconv`).
fn gconv_modules() -> Vec<String> {
    let mut out: Vec<String> = [
        "ANSI_X3.110",
        "ARMSCII-8",
        "ASMO_449",
        "BIG5",
        "BIG5HKSCS",
        "BRF",
        "CP10007",
        "CP1125",
        "CP737",
        "CP770",
        "CP771",
        "CP772",
        "CP773",
        "CP774",
        "CP775",
        "CP932",
        "CSN_369103",
        "CWI",
        "DEC-MCS",
        "EUC-CN",
        "EUC-JISX0213",
        "EUC-JP",
        "EUC-JP-MS",
        "EUC-KR",
        "EUC-TW",
        "GB18030",
        "GBBIG5",
        "GBGBK",
        "GBK",
        "GEORGIAN-ACADEMY",
        "GEORGIAN-PS",
        "GOST_19768-74",
        "GREEK-CCITT",
        "GREEK7",
        "GREEK7-OLD",
        "HP-GREEK8",
        "HP-ROMAN8",
        "HP-ROMAN9",
        "HP-THAI8",
        "HP-TURKISH8",
        "ISO-2022-CN",
        "ISO-2022-CN-EXT",
        "ISO-2022-JP",
        "ISO-2022-JP-3",
        "ISO-2022-KR",
        "JOHAB",
        "KOI-8",
        "KOI8-R",
        "KOI8-RU",
        "KOI8-T",
        "KOI8-U",
        "LATIN-GREEK",
        "LATIN-GREEK-1",
        "MAC-CENTRALEUROPE",
        "MAC-IS",
        "MAC-SAMI",
        "MAC-UK",
        "MACINTOSH",
        "MIK",
        "NATS-DANO",
        "NATS-SEFI",
        "PT154",
        "RK1048",
        "SAMI-WS2",
        "SHIFT_JISX0213",
        "SJIS",
        "T.61",
        "TCVN5712-1",
        "TIS-620",
        "TSCII",
        "UHC",
        "UNICODE",
        "UTF-16",
        "UTF-32",
        "UTF-7",
        "VISCII",
        "libCNS",
        "libGB",
        "libISOIR165",
        "libJIS",
        "libJISX0213",
        "libKSC",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    out.extend((1250..=1258).map(|n| format!("CP{n}")));
    out.extend(
        (1..=16)
            .filter(|n| *n != 12)
            .map(|n| format!("ISO8859-{n}")),
    );
    out.extend(
        [
            37, 38, 256, 273, 274, 275, 277, 278, 280, 281, 284, 285, 290, 297, 420, 423, 424, 437,
            500, 850, 851, 852, 855, 856, 857, 858, 860, 861, 862, 863, 864, 865, 866, 868, 869,
            870, 871, 874, 875, 880, 891, 901, 902, 903, 904, 905, 918, 921, 922, 930, 932, 933,
            935, 937, 939, 943, 1004, 1008, 1025, 1026, 1046, 1047, 1097, 1112, 1122, 1123, 1124,
            1129, 1130, 1132, 1133, 1137, 1140, 1141, 1142, 1143, 1144, 1145, 1146, 1147, 1148,
            1149, 1153, 1154, 1155, 1156, 1157, 1158, 1160, 1161, 1162, 1163, 1164, 1166, 1167,
            4517, 4899, 4909, 4971, 5347, 9030, 9066, 9448, 12712, 16804,
        ]
        .iter()
        .map(|n| format!("IBM{n:03}")),
    );
    out
}

/// A shell or Perl script of `len` bytes (a `#!` line, then words).
fn script(t: &mut Tree, path: &str, len: usize) {
    let perl = [
        "adduser", "deluser", "debconf", "dpkg-", "pam-auth", "debconf-",
    ]
    .iter()
    .any(|p| path.rsplit('/').next().unwrap_or("").starts_with(p));
    let shebang = if perl {
        "#!/usr/bin/perl\n"
    } else {
        "#!/bin/sh\n"
    };
    let mut text = shebang.as_bytes().to_vec();
    text.extend(words(&mut t.rng(path), len.saturating_sub(text.len())));
    t.bytes(path, 0o755, text);
}

/// debian:bookworm-slim: a merged-`/usr` Debian 12.4 (`/bin` is a link to `/usr/bin`) with
/// the ~90 packages of a minimal system, documentation removed except copyright files.
fn debian_rootfs(t: &mut Tree) {
    // The top level: merged /usr means /bin, /lib, /sbin are links into /usr.
    t.symlink("bin", "usr/bin");
    t.symlink("lib", "usr/lib");
    t.symlink("lib64", "usr/lib64");
    t.symlink("sbin", "usr/sbin");
    t.dirs(&[
        "boot",
        "dev",
        "etc",
        "home",
        "media",
        "mnt",
        "opt",
        "proc",
        "run",
        "srv",
        "sys",
        "usr/games",
        "usr/include",
        "usr/local/bin",
        "usr/local/etc",
        "usr/local/games",
        "usr/local/include",
        "usr/local/lib",
        "usr/local/sbin",
        "usr/local/share",
        "usr/local/src",
        "usr/share/info",
        "usr/share/man",
        "usr/src",
        "var/backups",
        "var/cache/apt/archives",
        "var/lib/apt/lists/auxfiles",
        "var/lib/apt/mirrors",
        "var/lib/apt/periodic",
        "var/lib/misc",
        "var/local",
        "var/log/apt",
        "var/mail",
        "var/opt",
        "var/spool",
    ]);
    t.dir("root", 0o700);
    t.dir("tmp", 0o1777);
    t.dir("run/lock", 0o1777);
    t.dir("var/tmp", 0o1777);
    t.dir("var/cache/apt/archives/partial", 0o700);
    t.dir("var/lib/apt/lists/partial", 0o700);
    t.noise("var/lib/apt/lists/lock", 0o640, RAW, 0);
    t.symlink("usr/local/man", "share/man");
    t.symlink("var/lock", "/run/lock");
    t.symlink("var/run", "/run");
    t.symlink("var/spool/mail", "../mail");

    debian_usr_bin(t);
    debian_usr_lib(t);
    debian_usr_share(t);
    debian_etc(t);
    // /var: the package databases, caches and logs of the installation
    debian_var(t, DEBIAN_PACKAGES, DEBIAN_PACKAGES, 1_000);
    debian_var_base(t);
}

/// Programs in `/usr/bin` and `/usr/sbin` (`/bin` and `/sbin` are links to them).
fn debian_usr_bin(t: &mut Tree) {
    for (dir, names) in [("usr/bin", DEBIAN_USR_BIN), ("usr/sbin", DEBIAN_USR_SBIN)] {
        for name in names {
            let path = format!("{dir}/{name}");
            if DEBIAN_SCRIPTS.contains(name) {
                script(t, &path, size_of(name, 300, 9_000) as usize);
            } else {
                let mode = if DEBIAN_SETUID.contains(name) {
                    0o4755
                } else {
                    0o755
                };
                t.noise(&path, mode, ELF, size_of(name, 14_400, 118_000));
            }
        }
    }
    t.elf("usr/bin/bash", 1_265_648);
    t.elf("usr/bin/perl", 3_752_232);
    t.hardlink("usr/bin/perl5.36.0", "usr/bin/perl");
    t.elf("usr/bin/tar", 535_784);
    t.elf("usr/bin/dpkg", 318_064);
    t.elf("usr/bin/grep", 195_528);
    t.elf("usr/bin/sed", 121_288);
    t.elf("usr/bin/ls", 151_344);
    for (link, target) in [
        ("awk", "/etc/alternatives/awk"),
        ("captoinfo", "tic"),
        ("i386", "setarch"),
        ("infotocap", "tic"),
        ("lastb", "last"),
        ("linux32", "setarch"),
        ("linux64", "setarch"),
        ("nawk", "/etc/alternatives/nawk"),
        ("pager", "/etc/alternatives/pager"),
        ("rbash", "bash"),
        ("reset", "tset"),
        ("sg", "newgrp"),
        ("sh", "dash"),
        ("which", "/etc/alternatives/which"),
        ("x86_64", "setarch"),
        ("dnsdomainname", "hostname"),
        ("domainname", "hostname"),
        ("nisdomainname", "hostname"),
        ("ypdomainname", "hostname"),
    ] {
        t.symlink(&format!("usr/bin/{link}"), target);
    }
    for (link, target) in [
        ("addgroup", "adduser"),
        ("delgroup", "deluser"),
        ("cpgr", "cppw"),
        ("vigr", "vipw"),
        ("fsck.ext2", "e2fsck"),
        ("fsck.ext3", "e2fsck"),
        ("fsck.ext4", "e2fsck"),
        ("mkfs.ext2", "mke2fs"),
        ("mkfs.ext3", "mke2fs"),
        ("mkfs.ext4", "mke2fs"),
        ("e2label", "tune2fs"),
        ("e2mmpstatus", "dumpe2fs"),
        ("rmt", "/etc/alternatives/rmt"),
    ] {
        t.symlink(&format!("usr/sbin/{link}"), target);
    }
}

/// The C library and everything linked against it, in `/usr/lib/x86_64-linux-gnu`.
fn debian_usr_lib(t: &mut Tree) {
    let arch = "usr/lib/x86_64-linux-gnu";
    t.elf(&format!("{arch}/ld-linux-x86-64.so.2"), 210_968);
    t.symlink(
        "usr/lib64/ld-linux-x86-64.so.2",
        "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
    );
    for (soname, version, len) in DEBIAN_LIBS {
        t.lib(arch, soname, version, *len);
    }
    for module in gconv_modules() {
        let len = if module.starts_with("lib")
            || module.contains("BIG5")
            || module.contains("GB")
            || module.contains("JIS")
            || module.contains("EUC")
        {
            size_of(&module, 60_000, 300_000)
        } else {
            size_of(&module, 14_400, 42_000)
        };
        t.elf(&format!("{arch}/gconv/{module}.so"), len);
    }
    t.words(&format!("{arch}/gconv/gconv-modules"), 0o644, 3_040);
    t.noise(
        &format!("{arch}/gconv/gconv-modules.cache"),
        0o644,
        RAW,
        27_010,
    );
    t.words(
        &format!("{arch}/gconv/gconv-modules.d/gconv-modules-extra.conf"),
        0o644,
        57_724,
    );
    for module in PERL_MODULES {
        t.words(
            &format!("{arch}/perl-base/{module}"),
            0o644,
            size_of(module, 1_200, 96_000) as usize,
        );
    }
    for ext in [
        "Cwd",
        "Fcntl",
        "File/Glob",
        "Hash/Util",
        "IO",
        "List/Util",
        "POSIX",
        "Socket",
        "Sys/Hostname",
        "attributes",
        "mro",
        "re",
    ] {
        let base = ext.rsplit('/').next().unwrap_or(ext);
        t.elf(
            &format!("{arch}/perl-base/auto/{ext}/{base}.so"),
            size_of(ext, 14_400, 140_000),
        );
    }
    t.symlink(&format!("{arch}/perl/5.36"), "../perl-base");
    for pam in [
        "pam_access",
        "pam_debug",
        "pam_deny",
        "pam_echo",
        "pam_env",
        "pam_exec",
        "pam_faildelay",
        "pam_faillock",
        "pam_filter",
        "pam_ftp",
        "pam_group",
        "pam_issue",
        "pam_keyinit",
        "pam_lastlog",
        "pam_limits",
        "pam_listfile",
        "pam_localuser",
        "pam_loginuid",
        "pam_mail",
        "pam_mkhomedir",
        "pam_motd",
        "pam_namespace",
        "pam_nologin",
        "pam_permit",
        "pam_pwhistory",
        "pam_rhosts",
        "pam_rootok",
        "pam_securetty",
        "pam_selinux",
        "pam_sepermit",
        "pam_setquota",
        "pam_shells",
        "pam_stress",
        "pam_succeed_if",
        "pam_time",
        "pam_timestamp",
        "pam_tty_audit",
        "pam_umask",
        "pam_unix",
        "pam_userdb",
        "pam_usertype",
        "pam_warn",
        "pam_wheel",
        "pam_xauth",
    ] {
        t.elf(
            &format!("{arch}/security/{pam}.so"),
            size_of(pam, 14_400, 60_000),
        );
    }
    t.dir(&format!("{arch}/engines-3"), 0o755);
    t.elf("usr/lib/apt/apt-helper", 39_152);
    for method in [
        "cdrom", "copy", "file", "ftp", "gpgv", "http", "mirror", "rred", "rsh", "store",
    ] {
        t.elf(
            &format!("usr/lib/apt/methods/{method}"),
            size_of(method, 30_000, 120_000),
        );
    }
    t.symlink("usr/lib/apt/methods/https", "http");
    t.symlink("usr/lib/apt/methods/ssh", "rsh");
    t.elf("usr/lib/apt/planners/dump", 22_672);
    t.elf("usr/lib/apt/solvers/dump", 22_672);
    t.elf("usr/lib/apt/apt.systemd.daily", 14_808);
    t.dirs(&["usr/lib/dpkg/methods/apt"]);
    t.words("usr/lib/dpkg/methods/apt/desc.apt", 0o644, 567);
    t.words("usr/lib/dpkg/methods/apt/install", 0o755, 2_861);
    t.words("usr/lib/dpkg/methods/apt/names", 0o644, 39);
    t.words("usr/lib/dpkg/methods/apt/setup", 0o755, 7_697);
    t.words("usr/lib/dpkg/methods/apt/update", 0o755, 1_242);
    for (name, len) in [
        ("LC_ADDRESS", 127),
        ("LC_COLLATE", 1_406),
        ("LC_CTYPE", 346_132),
        ("LC_IDENTIFICATION", 258),
        ("LC_MEASUREMENT", 23),
        ("LC_MONETARY", 270),
        ("LC_NAME", 62),
        ("LC_NUMERIC", 50),
        ("LC_PAPER", 34),
        ("LC_TELEPHONE", 47),
        ("LC_TIME", 3_360),
    ] {
        t.noise(&format!("usr/lib/locale/C.utf8/{name}"), 0o644, RAW, len);
    }
    t.noise(
        "usr/lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES",
        0o644,
        RAW,
        48,
    );
    t.text("usr/lib/os-release", 0o644, DEBIAN_OS_RELEASE);
    t.words("usr/lib/mime/packages/tar", 0o644, 77);
    t.elf("usr/libexec/coreutils/libstdbuf.so", 14_720);
    t.words("usr/libexec/dpkg/dpkg-db-backup", 0o755, 2_618);
    for term in [
        "a/ansi",
        "c/cons25",
        "c/cygwin",
        "d/dumb",
        "h/hurd",
        "l/linux",
        "m/mach",
        "m/mach-bold",
        "m/mach-color",
        "p/pcansi",
        "r/rxvt",
        "r/rxvt-basic",
        "s/screen",
        "s/screen-256color",
        "s/screen-bce",
        "s/screen-s",
        "s/screen-w",
        "s/sun",
        "t/tmux",
        "t/tmux-256color",
        "v/vt100",
        "v/vt102",
        "v/vt220",
        "v/vt52",
        "w/wsvt25",
        "w/wsvt25m",
        "x/xterm",
        "x/xterm-256color",
        "x/xterm-color",
        "x/xterm-mono",
        "x/xterm-r6",
        "x/xterm-vt220",
        "x/xterm-xfree86",
    ] {
        t.noise(
            &format!("usr/lib/terminfo/{term}"),
            0o644,
            RAW,
            size_of(term, 1_100, 3_900),
        );
    }
}

/// Licences, keyrings, debconf, and the copyright file of every package.
fn debian_usr_share(t: &mut Tree) {
    for (name, _, _) in DEBIAN_PACKAGES {
        t.words(
            &format!("usr/share/doc/{name}/copyright"),
            0o644,
            size_of(name, 900, 24_000) as usize,
        );
    }
    for licence in [
        "Apache-2.0",
        "Artistic",
        "BSD",
        "CC0-1.0",
        "GFDL-1.2",
        "GFDL-1.3",
        "GPL-1",
        "GPL-2",
        "GPL-3",
        "LGPL-2",
        "LGPL-2.1",
        "LGPL-3",
        "MPL-1.1",
        "MPL-2.0",
    ] {
        t.words(
            &format!("usr/share/common-licenses/{licence}"),
            0o644,
            size_of(licence, 6_000, 35_000) as usize,
        );
    }
    t.symlink("usr/share/common-licenses/GPL", "GPL-3");
    t.symlink("usr/share/common-licenses/LGPL", "LGPL-3");
    for file in [
        "dot.bashrc",
        "dot.profile",
        "dot.profile.md5sum",
        "info.dir",
        "motd",
        "profile",
        "profile.md5sum",
        "staff-group-for-usr-local",
    ] {
        t.words(
            &format!("usr/share/base-files/{file}"),
            0o644,
            size_of(file, 32, 3_500) as usize,
        );
    }
    for key in [
        "debian-archive-bookworm-automatic.gpg",
        "debian-archive-bookworm-security-automatic.gpg",
        "debian-archive-bookworm-stable.gpg",
        "debian-archive-keyring.gpg",
        "debian-archive-removed-keys.gpg",
    ] {
        t.noise(
            &format!("usr/share/keyrings/{key}"),
            0o644,
            RAW,
            size_of(key, 461, 91_000),
        );
    }
    for file in ["confmodule", "confmodule.sh", "fix_db.pl", "frontend"] {
        script(
            t,
            &format!("usr/share/debconf/{file}"),
            size_of(file, 300, 3_000) as usize,
        );
    }
    for module in [
        "Base.pm",
        "Client/ConfModule.pm",
        "Config.pm",
        "ConfModule.pm",
        "Db.pm",
        "DbDriver.pm",
        "DbDriver/File.pm",
        "Element.pm",
        "Encoding.pm",
        "Format.pm",
        "FrontEnd.pm",
        "FrontEnd/Noninteractive.pm",
        "FrontEnd/Readline.pm",
        "FrontEnd/Teletype.pm",
        "Gettext.pm",
        "Log.pm",
        "Path.pm",
        "Priority.pm",
        "Question.pm",
        "Template.pm",
        "Template/Transient.pm",
        "TmpFile.pm",
    ] {
        t.words(
            &format!("usr/share/perl5/Debconf/{module}"),
            0o644,
            size_of(module, 400, 20_000) as usize,
        );
    }
    t.noise("usr/share/pixmaps/debian-logo.png", 0o644, PNG, 1_718);
    for tab in ["std", "stdcrt", "vt100", "vt300"] {
        t.words(&format!("usr/share/tabset/{tab}"), 0o644, 160);
    }
    t.words(
        "usr/share/gcc/python/libstdcxx/v6/printers.py",
        0o644,
        112_304,
    );
    t.words(
        "usr/share/gcc/python/libstdcxx/v6/xmethods.py",
        0o644,
        29_811,
    );
    for pkg in [
        "bash",
        "coreutils",
        "dpkg",
        "libc-bin",
        "login",
        "mount",
        "passwd",
        "tar",
        "util-linux",
    ] {
        t.words(
            &format!("usr/share/lintian/overrides/{pkg}"),
            0o644,
            size_of(pkg, 60, 900) as usize,
        );
    }
    for menu in ["bash", "dash"] {
        t.words(&format!("usr/share/menu/{menu}"), 0o644, 194);
    }
    for f in [
        "common-account",
        "common-auth",
        "common-password",
        "common-session",
        "common-session-noninteractive",
    ] {
        t.words(
            &format!("usr/share/pam/{f}"),
            0o644,
            size_of(f, 500, 1_500) as usize,
        );
    }
    for f in ["mkhomedir", "unix"] {
        t.words(
            &format!("usr/share/pam-configs/{f}"),
            0o644,
            size_of(f, 200, 1_000) as usize,
        );
    }
}

/// The configuration in `/etc`.
fn debian_etc(t: &mut Tree) {
    t.text("etc/adduser.conf", 0o644, "# /etc/adduser.conf: `adduser' configuration.\nDSHELL=/bin/bash\nDHOME=/home\nGROUPHOMES=no\nLETTERHOMES=no\nSKEL=/etc/skel\nFIRST_SYSTEM_UID=100\nLAST_SYSTEM_UID=999\nFIRST_UID=1000\nLAST_UID=59999\n");
    for (name, target) in [
        ("awk", "/usr/bin/mawk"),
        ("nawk", "/usr/bin/mawk"),
        ("pager", "/bin/more"),
        ("rmt", "/usr/sbin/rmt-tar"),
        ("which", "/usr/bin/which.debianutils"),
    ] {
        t.symlink(&format!("etc/alternatives/{name}"), target);
    }
    t.words("etc/alternatives/README", 0o644, 100);
    for (name, len) in [
        ("01autoremove", 399),
        ("70debconf", 182),
        ("docker-autoremove-suggests", 754),
        ("docker-clean", 1_175),
        ("docker-gzip-indexes", 481),
        ("docker-no-languages", 269),
    ] {
        t.words(&format!("etc/apt/apt.conf.d/{name}"), 0o644, len);
    }
    t.dirs(&[
        "etc/apt/auth.conf.d",
        "etc/apt/keyrings",
        "etc/apt/preferences.d",
        "etc/apt/trusted.gpg.d",
    ]);
    t.text(
        "etc/apt/sources.list.d/debian.sources",
        0o644,
        DEBIAN_SOURCES,
    );
    for key in [
        "debian-archive-bookworm-automatic.asc",
        "debian-archive-bookworm-security-automatic.asc",
        "debian-archive-bookworm-stable.asc",
        "debian-archive-bullseye-automatic.asc",
        "debian-archive-bullseye-security-automatic.asc",
        "debian-archive-bullseye-stable.asc",
        "debian-archive-buster-automatic.asc",
        "debian-archive-buster-security-automatic.asc",
        "debian-archive-buster-stable.asc",
    ] {
        t.pem(
            &format!("etc/apt/trusted.gpg.d/{key}"),
            "PGP PUBLIC KEY BLOCK",
            size_of(key, 1_700, 12_000) as usize,
        );
    }
    t.text("etc/bash.bashrc", 0o644, DEBIAN_BASH_BASHRC);
    t.words("etc/bindresvport.blacklist", 0o644, 367);
    t.words("etc/cron.d/e2scrub_all", 0o644, 201);
    t.words("etc/cron.daily/apt-compat", 0o755, 1_478);
    t.words("etc/cron.daily/dpkg", 0o755, 123);
    t.words("etc/debconf.conf", 0o644, 2_969);
    t.text("etc/debian_version", 0o644, "12.4\n");
    t.words("etc/default/hwclock", 0o644, 1_118);
    t.words("etc/default/nss", 0o644, 1_756);
    t.words("etc/default/useradd", 0o644, 1_117);
    t.words("etc/deluser.conf", 0o644, 604);
    t.words("etc/dpkg/dpkg.cfg", 0o644, 446);
    t.text("etc/dpkg/dpkg.cfg.d/docker", 0o644, DEBIAN_DPKG_DOCKER);
    t.words("etc/e2scrub.conf", 0o644, 685);
    t.text("etc/environment", 0o644, "");
    t.text("etc/fstab", 0o644, "# UNCONFIGURED FSTAB FOR BASE SYSTEM\n");
    t.words("etc/gai.conf", 0o644, 2_584);
    t.text("etc/group", 0o644, DEBIAN_GROUP);
    t.text("etc/group-", 0o644, DEBIAN_GROUP);
    t.text("etc/gshadow", 0o640, &debian_gshadow(DEBIAN_GROUP));
    t.text("etc/host.conf", 0o644, "multi on\n");
    t.text("etc/hostname", 0o644, "buildkitsandbox\n");
    t.text("etc/issue", 0o644, "Debian GNU/Linux 12 \\n \\l\n\n");
    t.text("etc/issue.net", 0o644, "Debian GNU/Linux 12\n");
    t.dirs(&["etc/kernel/postinst.d", "etc/ld.so.conf.d"]);
    t.noise("etc/ld.so.cache", 0o644, RAW, 7_208);
    t.text(
        "etc/ld.so.conf",
        0o644,
        "include /etc/ld.so.conf.d/*.conf\n\n",
    );
    t.text(
        "etc/ld.so.conf.d/libc.conf",
        0o644,
        "# libc default configuration\n/usr/local/lib\n",
    );
    t.text("etc/ld.so.conf.d/x86_64-linux-gnu.conf", 0o644, "# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n");
    t.words("etc/libaudit.conf", 0o644, 191);
    t.words("etc/login.defs", 0o644, 12_569);
    t.words("etc/logrotate.d/alternatives", 0o644, 120);
    t.words("etc/logrotate.d/apt", 0o644, 173);
    t.words("etc/logrotate.d/dpkg", 0o644, 112);
    t.words("etc/mke2fs.conf", 0o644, 744);
    t.text("etc/motd", 0o644, DEBIAN_MOTD);
    t.text("etc/nsswitch.conf", 0o644, DEBIAN_NSSWITCH);
    t.symlink("etc/os-release", "../usr/lib/os-release");
    t.words("etc/pam.conf", 0o644, 552);
    for f in [
        "chfn",
        "chpasswd",
        "chsh",
        "common-account",
        "common-auth",
        "common-password",
        "common-session",
        "common-session-noninteractive",
        "login",
        "newusers",
        "other",
        "passwd",
        "runuser",
        "runuser-l",
        "su",
        "su-l",
    ] {
        t.words(
            &format!("etc/pam.d/{f}"),
            0o644,
            size_of(f, 92, 4_200) as usize,
        );
    }
    t.text("etc/passwd", 0o644, DEBIAN_PASSWD);
    t.text("etc/passwd-", 0o644, DEBIAN_PASSWD);
    t.text("etc/profile", 0o644, DEBIAN_PROFILE);
    t.dirs(&[
        "etc/profile.d",
        "etc/rc0.d",
        "etc/rc1.d",
        "etc/rc2.d",
        "etc/rc3.d",
        "etc/rc4.d",
        "etc/rc5.d",
        "etc/rc6.d",
        "etc/rcS.d",
        "etc/init.d",
    ]);
    t.text("etc/resolv.conf", 0o644, "");
    t.symlink("etc/rmt", "/usr/sbin/rmt");
    for f in [
        "access.conf",
        "faillock.conf",
        "group.conf",
        "limits.conf",
        "namespace.conf",
        "namespace.init",
        "pam_env.conf",
        "pwhistory.conf",
        "sepermit.conf",
        "time.conf",
    ] {
        t.words(
            &format!("etc/security/{f}"),
            0o644,
            size_of(f, 400, 4_600) as usize,
        );
    }
    t.dirs(&["etc/security/limits.d", "etc/security/namespace.d"]);
    t.words("etc/selinux/semanage.conf", 0o644, 2_065);
    t.text("etc/shadow", 0o640, &debian_shadow(DEBIAN_PASSWD));
    t.text("etc/shells", 0o644, "# /etc/shells: valid login shells\n/bin/sh\n/usr/bin/sh\n/bin/bash\n/usr/bin/bash\n/bin/rbash\n/usr/bin/rbash\n/bin/dash\n/usr/bin/dash\n");
    t.text("etc/skel/.bash_logout", 0o644, "# ~/.bash_logout: executed by bash(1) when login shell exits.\n\n# when leaving the console clear the screen to increase privacy\n\nif [ \"$SHLVL\" = 1 ]; then\n    [ -x /usr/bin/clear_console ] && /usr/bin/clear_console -q\nfi\n");
    t.words("etc/skel/.bashrc", 0o644, 3_526);
    t.words("etc/skel/.profile", 0o644, 807);
    t.text("etc/subgid", 0o644, "");
    t.text("etc/subuid", 0o644, "");
    t.words(
        "etc/systemd/system/timers.target.wants/apt-daily.timer",
        0o644,
        156,
    );
    t.text("etc/timezone", 0o644, "Etc/UTC\n");
    t.symlink("etc/localtime", "/usr/share/zoneinfo/Etc/UTC");
    t.words("etc/update-motd.d/10-uname", 0o755, 23);
    t.words("etc/xattr.conf", 0o644, 681);
    t.text("root/.bashrc", 0o644, "# ~/.bashrc: executed by bash(1) for non-login shells.\n\n# Note: PS1 and umask are already set in /etc/profile. You should not\n# need this unless you want different defaults for root.\n# PS1='${debian_chroot:+($debian_chroot)}\\h:\\w\\$ '\n# umask 022\n");
    t.text("root/.profile", 0o644, "# ~/.profile: executed by Bourne-compatible login shells.\n\nif [ \"$BASH\" ]; then\n  if [ -f ~/.bashrc ]; then\n    . ~/.bashrc\n  fi\nfi\n\nmesg n 2> /dev/null || true\n");
}

/// The files of `/var` that every `apt-get install` rewrites: dpkg's status, the file lists
/// of the `new` packages, debconf's caches, the logs. `scale` (per mille) sets how large the
/// caches and logs have grown.
fn debian_var(
    t: &mut Tree,
    installed: &[(&str, &str, &str)],
    new: &[(&str, &str, &str)],
    scale: usize,
) {
    t.text("var/lib/dpkg/status", 0o644, &dpkg_status(&[installed]));
    t.text("var/lib/dpkg/status-old", 0o644, &dpkg_status(&[installed]));
    for (name, _, _) in new {
        t.words(
            &format!("var/lib/dpkg/info/{name}.list"),
            0o644,
            size_of(name, 60, 24_000) as usize,
        );
        t.words(
            &format!("var/lib/dpkg/info/{name}.md5sums"),
            0o644,
            size_of(&format!("{name}.md5sums"), 60, 30_000) as usize,
        );
        if size_of(name, 0, 15) < 8 {
            t.words(
                &format!("var/lib/dpkg/info/{name}.postinst"),
                0o755,
                size_of(&format!("{name}.postinst"), 200, 3_000) as usize,
            );
        }
    }
    t.words("var/lib/apt/extended_states", 0o644, 60 * scale / 100);
    t.words("var/cache/debconf/config.dat", 0o644, 24 * scale);
    t.words("var/cache/debconf/config.dat-old", 0o644, 23 * scale);
    t.words("var/cache/debconf/templates.dat", 0o644, 540 * scale);
    t.words("var/cache/debconf/templates.dat-old", 0o644, 538 * scale);
    t.noise("var/cache/ldconfig/aux-cache", 0o600, RAW, 9 * scale as u64);
    t.dir("var/cache/ldconfig", 0o700);
    t.words("var/log/alternatives.log", 0o644, 4 * scale);
    t.noise("var/log/apt/eipp.log.xz", 0o644, XZ, 16 * scale as u64);
    t.words("var/log/dpkg.log", 0o644, 190 * scale);
}

/// The rest of `/var` of a fresh Debian system: locks, alternatives, PAM state, empty logs.
fn debian_var_base(t: &mut Tree) {
    t.text("var/lib/dpkg/available", 0o644, "");
    t.text("var/lib/dpkg/cmethopt", 0o644, "apt apt\n");
    t.words("var/lib/dpkg/diversions", 0o644, 94);
    t.text("var/lib/dpkg/lock", 0o640, "");
    t.text("var/lib/dpkg/lock-frontend", 0o640, "");
    t.text("var/lib/dpkg/statoverride", 0o644, "");
    t.text(
        "var/lib/dpkg/triggers/File",
        0o644,
        "/usr/lib/x86_64-linux-gnu/gconv libc-bin\n",
    );
    t.text("var/lib/dpkg/triggers/Lock", 0o640, "");
    t.text("var/lib/dpkg/triggers/Unincorp", 0o644, "");
    for name in ["awk", "pager", "rmt", "which"] {
        t.words(&format!("var/lib/dpkg/alternatives/{name}"), 0o644, 48);
    }
    for f in [
        "account",
        "auth",
        "password",
        "seen",
        "session",
        "session-noninteractive",
    ] {
        t.words(&format!("var/lib/pam/{f}"), 0o600, 280);
    }
    t.text("var/cache/debconf/passwords.dat", 0o600, "");
    t.text("var/log/faillog", 0o644, "");
    t.text("var/log/lastlog", 0o664, "");
    t.text("var/log/btmp", 0o660, "");
    t.text("var/log/wtmp", 0o664, "");
}

fn debian_shadow(passwd: &str) -> String {
    passwd
        .lines()
        .filter_map(|l| l.split(':').next())
        .map(|user| {
            // no password for anyone: `*` never matches
            format!("{user}:*:19733:0:99999:7:::\n")
        })
        .collect()
}

fn debian_gshadow(group: &str) -> String {
    group
        .lines()
        .filter_map(|l| l.split(':').next())
        .map(|g| format!("{g}:*::\n"))
        .collect()
}

// =============================================================================================
// File trees: nginx:stable (on debian:bookworm-slim's layer)
// =============================================================================================

/// The packages nginx's Debian `RUN` installs (and that stay installed).
const NGINX_DEBIAN_PACKAGES: &[(&str, &str, &str)] = &[
    ("ca-certificates", "20230311", "Common CA certificates"),
    (
        "curl",
        "7.88.1-10+deb12u5",
        "command line tool for transferring data with URL syntax",
    ),
    (
        "fontconfig-config",
        "2.14.1-4",
        "generic font configuration library - configuration",
    ),
    (
        "fonts-dejavu-core",
        "2.37-6",
        "Vera font family derivate with additional characters",
    ),
    (
        "gettext-base",
        "0.21-12",
        "GNU Internationalization utilities for the base system",
    ),
    (
        "libbrotli1",
        "1.0.9-2+b6",
        "library implementing brotli encoder and decoder (shared libraries)",
    ),
    (
        "libbsd0",
        "0.11.7-2",
        "utility functions from BSD systems - shared library",
    ),
    (
        "libcurl4",
        "7.88.1-10+deb12u5",
        "easy-to-use client-side URL transfer library (OpenSSL flavour)",
    ),
    (
        "libdeflate0",
        "1.14-1",
        "fast, whole-buffer DEFLATE-based compression and decompression",
    ),
    (
        "libexpat1",
        "2.5.0-1",
        "XML parsing C library - runtime library",
    ),
    (
        "libfontconfig1",
        "2.14.1-4",
        "generic font configuration library - runtime",
    ),
    (
        "libfreetype6",
        "2.12.1+dfsg-5",
        "FreeType 2 font engine, shared library files",
    ),
    ("libgd3", "2.3.3-9", "GD Graphics Library"),
    (
        "libgeoip1",
        "1.6.12-10",
        "non-DNS IP-to-country resolver library",
    ),
    (
        "libgssapi-krb5-2",
        "1.20.1-2+deb12u1",
        "MIT Kerberos runtime libraries - krb5 GSS-API Mechanism",
    ),
    ("libicu72", "72.1-3", "International Components for Unicode"),
    ("libjbig0", "2.1-6.1", "JBIGkit libraries"),
    (
        "libabsl20220623",
        "20220623.1-1",
        "extensions to the C++ standard library",
    ),
    ("libaom3", "3.6.0-1", "AV1 Video Codec Library"),
    ("libavif15", "0.11.1-1", "Library for handling .avif files"),
    (
        "libdav1d6",
        "1.0.0-2",
        "fast and small AV1 video stream decoder (shared library)",
    ),
    (
        "libde265-0",
        "1.0.11-1",
        "Open H.265 video codec implementation",
    ),
    (
        "libgav1-1",
        "0.18.0-1+b1",
        "AV1 decoder developed by Google -- runtime library",
    ),
    (
        "libheif1",
        "1.15.1-1",
        "ISO/IEC 23008-12:2017 HEIF file format decoder - shared library",
    ),
    (
        "libnuma1",
        "2.0.16-1",
        "Libraries for controlling NUMA policy",
    ),
    (
        "librav1e0",
        "0.5.1-6",
        "Fastest and safest AV1 encoder - shared library",
    ),
    (
        "libsvtav1enc1",
        "1.4.1+dfsg-1",
        "Scalable Video Technology for AV1 (libsvtav1enc shared library)",
    ),
    (
        "libx265-199",
        "3.5-2+b1",
        "H.265/HEVC video stream encoder (shared library)",
    ),
    (
        "libyuv0",
        "0.0~git20230123.b2528b0-1",
        "Library for YUV scaling (shared library)",
    ),
    (
        "libjpeg62-turbo",
        "1:2.1.5-2",
        "libjpeg-turbo JPEG runtime library",
    ),
    (
        "libk5crypto3",
        "1.20.1-2+deb12u1",
        "MIT Kerberos runtime libraries - Crypto Library",
    ),
    (
        "libkeyutils1",
        "1.6.3-2",
        "Linux Key Management Utilities (library)",
    ),
    (
        "libkrb5-3",
        "1.20.1-2+deb12u1",
        "MIT Kerberos runtime libraries",
    ),
    (
        "libkrb5support0",
        "1.20.1-2+deb12u1",
        "MIT Kerberos runtime libraries - Support library",
    ),
    ("libldap-2.5-0", "2.5.13+dfsg-5", "OpenLDAP libraries"),
    (
        "liblerc4",
        "4.0.0+ds-2",
        "Limited Error Raster Compression library",
    ),
    (
        "libnghttp2-14",
        "1.52.0-1+deb12u1",
        "library implementing HTTP/2 protocol (shared library)",
    ),
    (
        "libpng16-16",
        "1.6.39-2",
        "PNG library - runtime (version 1.6)",
    ),
    (
        "libpsl5",
        "0.21.2-1",
        "Library for Public Suffix List (shared libraries)",
    ),
    (
        "librtmp1",
        "2.4+20151223.gitfa8646d.1-2+b2",
        "toolkit for RTMP streams (shared library)",
    ),
    (
        "libsasl2-2",
        "2.1.28+dfsg-10",
        "Cyrus SASL - authentication abstraction library",
    ),
    ("libssh2-1", "1.10.0-3+b1", "SSH2 client-side library"),
    (
        "libssl3",
        "3.0.11-1~deb12u2",
        "Secure Sockets Layer toolkit - shared libraries",
    ),
    (
        "libtiff6",
        "4.5.0-6+deb12u1",
        "Tag Image File Format (TIFF) library",
    ),
    (
        "libwebp7",
        "1.2.4-0.2+deb12u1",
        "Lossy compression of digital photographic images",
    ),
    ("libx11-6", "2:1.8.4-2+deb12u2", "X11 client-side library"),
    ("libxau6", "1:1.0.9-1", "X11 authorisation library"),
    ("libxcb1", "1.15-1", "X C Binding"),
    (
        "libxdmcp6",
        "1:1.1.2-3",
        "X11 Display Manager Control Protocol library",
    ),
    ("libxml2", "2.9.14+dfsg-1.3~deb12u1", "GNOME XML library"),
    ("libxpm4", "1:3.5.12-1.1+deb12u1", "X11 pixmap library"),
    (
        "libxslt1.1",
        "1.1.35-1",
        "XSLT 1.0 processing library - runtime library",
    ),
    ("nginx", "1.24.0-1~bookworm", "high performance web server"),
    (
        "nginx-module-geoip",
        "1.24.0-1~bookworm",
        "nginx GeoIP dynamic modules",
    ),
    (
        "nginx-module-image-filter",
        "1.24.0-1~bookworm",
        "nginx image filter dynamic module",
    ),
    (
        "nginx-module-njs",
        "1.24.0+0.8.0-1~bookworm",
        "nginx njs dynamic modules",
    ),
    (
        "nginx-module-xslt",
        "1.24.0-1~bookworm",
        "nginx xslt dynamic module",
    ),
    (
        "openssl",
        "3.0.11-1~deb12u2",
        "Secure Sockets Layer toolkit - cryptographic utility",
    ),
    (
        "x11-common",
        "1:7.7+23",
        "X Window System (X.Org) infrastructure",
    ),
];

/// What nginx's Debian `RUN` leaves behind: nginx and its modules, the libraries they need
/// (libxml2 brings ICU, whose data file alone is 30 MB), curl, OpenSSL, CA certificates, fonts,
/// the nginx user (new versions of `/etc/passwd` and friends), the grown package databases,
/// and three **whiteouts**: `rm -rf /var/lib/apt/lists/*` deleted entries that the debian
/// layer has, so this layer records their deletion.
fn nginx_debian_run(t: &mut Tree) {
    let arch = "usr/lib/x86_64-linux-gnu";
    t.dir("docker-entrypoint.d", 0o755);
    // the nginx user: changed copies of the debian layer's files
    let passwd = format!("{DEBIAN_PASSWD}nginx:x:101:101:nginx user:/nonexistent:/bin/false\n");
    let group = format!("{DEBIAN_GROUP}nginx:x:101:\n");
    t.text("etc/passwd", 0o644, &passwd);
    t.text("etc/passwd-", 0o644, DEBIAN_PASSWD);
    t.text("etc/shadow", 0o640, &debian_shadow(&passwd));
    t.text("etc/group", 0o644, &group);
    t.text("etc/group-", 0o644, DEBIAN_GROUP);
    t.text("etc/gshadow", 0o640, &debian_gshadow(&group));
    t.noise("etc/ld.so.cache", 0o644, RAW, 16_964);
    // nginx itself
    t.text("etc/nginx/conf.d/default.conf", 0o644, NGINX_DEFAULT_CONF);
    t.text("etc/nginx/fastcgi_params", 0o644, FASTCGI_PARAMS);
    t.text("etc/nginx/mime.types", 0o644, NGINX_MIME_TYPES);
    t.symlink("etc/nginx/modules", "/usr/lib/nginx/modules");
    t.text("etc/nginx/nginx.conf", 0o644, NGINX_CONF);
    t.text("etc/nginx/scgi_params", 0o644, SCGI_PARAMS);
    t.text("etc/nginx/uwsgi_params", 0o644, UWSGI_PARAMS);
    t.words("etc/default/nginx", 0o644, 150);
    t.words("etc/default/nginx-debug", 0o644, 152);
    t.words("etc/init.d/nginx", 0o755, 4_579);
    t.words("etc/init.d/nginx-debug", 0o755, 4_599);
    t.words("etc/logrotate.d/nginx", 0o644, 351);
    t.words("usr/lib/systemd/system/nginx.service", 0o644, 394);
    t.words("usr/lib/systemd/system/nginx-debug.service", 0o644, 403);
    t.elf("usr/sbin/nginx", 1_496_536);
    t.elf("usr/sbin/nginx-debug", 1_568_432);
    t.elf("usr/bin/njs", 1_294_632);
    for module in [
        "ngx_http_geoip_module",
        "ngx_http_image_filter_module",
        "ngx_http_js_module",
        "ngx_http_xslt_filter_module",
        "ngx_stream_geoip_module",
        "ngx_stream_js_module",
    ] {
        let (small, large) = if module.contains("js") {
            (1_322_928, 2_750_392)
        } else {
            (23_272, 101_928)
        };
        t.elf(&format!("usr/lib/nginx/modules/{module}.so"), small);
        t.elf(&format!("usr/lib/nginx/modules/{module}-debug.so"), large);
    }
    t.text("usr/share/nginx/html/50x.html", 0o644, NGINX_50X_HTML);
    t.text("usr/share/nginx/html/index.html", 0o644, NGINX_INDEX_HTML);
    t.noise(
        "usr/share/keyrings/nginx-archive-keyring.gpg",
        0o644,
        RAW,
        1_561,
    );
    t.dir("var/cache/nginx", 0o755);
    t.symlink("var/log/nginx/access.log", "/dev/stdout");
    t.symlink("var/log/nginx/error.log", "/dev/stderr");
    // the programs and libraries the packages bring
    t.elf("usr/bin/curl", 281_000);
    t.elf("usr/bin/envsubst", 35_400);
    t.elf("usr/bin/gettext", 39_496);
    t.elf("usr/bin/ngettext", 39_496);
    t.words("usr/bin/gettext.sh", 0o755, 5_188);
    t.elf("usr/bin/openssl", 1_004_232);
    t.words("usr/sbin/update-ca-certificates", 0o755, 6_305);
    for (soname, version, len) in [
        ("libGeoIP.so.1", ".6.12", 141_600),
        ("libLerc.so.4", "", 575_248),
        ("libSvtAv1Enc.so.1", ".4.1", 5_513_072),
        ("libabsl_base.so.20220623", ".0.0", 43_248),
        ("libabsl_hash.so.20220623", ".0.0", 30_960),
        ("libabsl_raw_hash_set.so.20220623", ".0.0", 14_496),
        ("libabsl_strings.so.20220623", ".0.0", 201_464),
        ("libabsl_synchronization.so.20220623", ".0.0", 84_592),
        ("libabsl_time.so.20220623", ".0.0", 75_832),
        ("libaom.so.3", ".6.0", 5_237_416),
        ("libavif.so.15", ".0.1", 174_648),
        ("libdav1d.so.6", ".6.0", 1_851_384),
        ("libde265.so.0", ".1.1", 604_416),
        ("libgav1.so.1", "", 1_213_648),
        ("libheif.so.1", ".15.1", 752_032),
        ("libnuma.so.1", ".0.0", 51_208),
        ("librav1e.so.0", ".5.1", 2_511_096),
        ("libx265.so.199", "", 11_824_808),
        ("libyuv.so.0", "", 1_027_512),
        ("libX11.so.6", ".4.0", 1_343_752),
        ("libXau.so.6", ".0.0", 14_512),
        ("libXdmcp.so.6", ".0.0", 26_728),
        ("libXpm.so.4", ".11.0", 68_952),
        ("libbrotlicommon.so.1", ".0.9", 137_096),
        ("libbrotlidec.so.1", ".0.9", 51_040),
        ("libbrotlienc.so.1", ".0.9", 710_424),
        ("libbsd.so.0", ".11.7", 92_672),
        ("libcrypto.so.3", "", 4_709_656),
        ("libcurl.so.4", ".8.0", 725_680),
        ("libdeflate.so.0", "", 88_224),
        ("libexpat.so.1", ".8.10", 194_824),
        ("libexslt.so.0", ".8.20", 84_216),
        ("libfontconfig.so.1", ".12.0", 301_920),
        ("libfreetype.so.6", ".18.3", 798_088),
        ("libgd.so.3", ".0.10", 418_816),
        ("libgssapi_krb5.so.2", ".2", 338_384),
        ("libicudata.so.72", ".1", 30_770_512),
        ("libicui18n.so.72", ".1", 3_466_432),
        ("libicuuc.so.72", ".1", 2_132_576),
        ("libjbig.so.0", "", 60_320),
        ("libjpeg.so.62", ".3.0", 432_272),
        ("libk5crypto.so.3", ".1", 182_352),
        ("libkeyutils.so.1", ".10", 22_448),
        ("libkrb5.so.3", ".3", 831_512),
        ("libkrb5support.so.0", ".1", 51_024),
        ("liblber-2.5.so.0", ".1.11", 59_560),
        ("libldap-2.5.so.0", ".1.11", 363_616),
        ("libnghttp2.so.14", ".24.1", 166_312),
        ("libpng16.so.16", ".39.0", 219_928),
        ("libpsl.so.5", ".3.4", 71_808),
        ("librtmp.so.1", "", 120_472),
        ("libsasl2.so.2", ".0.25", 109_936),
        ("libssh2.so.1", ".0.1", 264_760),
        ("libssl.so.3", "", 692_000),
        ("libtiff.so.6", ".0.0", 553_448),
        ("libwebp.so.7", ".1.5", 452_024),
        ("libxcb.so.1", ".1.0", 166_352),
        ("libxml2.so.2", ".9.14", 1_833_744),
        ("libxslt.so.1", ".1.35", 252_632),
    ] {
        t.lib(arch, soname, version, len);
    }
    t.elf(&format!("{arch}/ossl-modules/legacy.so"), 133_760);
    for engine in ["afalg.so", "loader_attic.so", "padlock.so"] {
        t.elf(
            &format!("{arch}/engines-3/{engine}"),
            size_of(engine, 14_400, 60_000),
        );
    }
    for lib in [
        "libsasl2/libanonymous.so.2.0.25",
        "libsasl2/libcrammd5.so.2.0.25",
        "libsasl2/libdigestmd5.so.2.0.25",
        "libsasl2/libntlm.so.2.0.25",
        "libsasl2/libotp.so.2.0.25",
        "libsasl2/libplain.so.2.0.25",
        "libsasl2/libscram.so.2.0.25",
    ] {
        t.elf(&format!("{arch}/{lib}"), size_of(lib, 22_000, 70_000));
    }
    t.symlink("usr/lib/ssl/certs", "/etc/ssl/certs");
    t.symlink("usr/lib/ssl/openssl.cnf", "/etc/ssl/openssl.cnf");
    t.symlink("usr/lib/ssl/private", "/etc/ssl/private");
    t.words("etc/ssl/openssl.cnf", 0o644, 12_332);
    t.dir("etc/ssl/private", 0o700);
    ca_certificates(t, "usr/share/ca-certificates/mozilla");
    t.words("etc/ca-certificates.conf", 0o644, 6_147);
    // fonts (fontconfig needs one)
    for (font, len) in [
        ("DejaVuSans-Bold.ttf", 705_684),
        ("DejaVuSans.ttf", 757_076),
        ("DejaVuSansMono-Bold.ttf", 331_992),
        ("DejaVuSansMono.ttf", 340_712),
        ("DejaVuSerif-Bold.ttf", 355_692),
        ("DejaVuSerif.ttf", 379_740),
    ] {
        t.noise(
            &format!("usr/share/fonts/truetype/dejavu/{font}"),
            0o644,
            TTF,
            len,
        );
    }
    for conf in [
        "10-hinting-slight.conf",
        "10-scale-bitmap-fonts.conf",
        "20-unhint-small-vera.conf",
        "30-metric-aliases.conf",
        "40-nonlatin.conf",
        "45-latin.conf",
        "49-sansserif.conf",
        "50-user.conf",
        "51-local.conf",
        "60-latin.conf",
        "65-fonts-persian.conf",
        "65-nonlatin.conf",
        "69-unifont.conf",
        "80-delicious.conf",
        "90-synthetic.conf",
    ] {
        t.words(
            &format!("usr/share/fontconfig/conf.avail/{conf}"),
            0o644,
            size_of(conf, 600, 12_000) as usize,
        );
        t.symlink(
            &format!("etc/fonts/conf.d/{conf}"),
            &format!("../../../usr/share/fontconfig/conf.avail/{conf}"),
        );
    }
    t.words("etc/fonts/fonts.conf", 0o644, 2_734);
    t.noise("usr/share/GeoIP/GeoIP.dat", 0o644, RAW, 1_401_008);
    t.noise("usr/share/GeoIP/GeoIPv6.dat", 0o644, RAW, 2_646_462);
    t.words("usr/share/X11/XErrorDB", 0o644, 40_658);
    t.words("usr/share/X11/locale/locale.alias", 0o644, 81_062);
    t.words("usr/share/X11/locale/locale.dir", 0o644, 46_936);
    t.words("usr/share/X11/locale/compose.dir", 0o644, 41_428);
    t.words(
        "usr/share/publicsuffix/public_suffix_list.dat",
        0o644,
        234_519,
    );
    t.noise(
        "usr/share/publicsuffix/public_suffix_list.dafsa",
        0o644,
        RAW,
        41_327,
    );
    for (name, _, _) in NGINX_DEBIAN_PACKAGES {
        t.words(
            &format!("usr/share/doc/{name}/copyright"),
            0o644,
            size_of(name, 900, 24_000) as usize,
        );
    }
    // the package databases, now listing the new packages too
    let installed: Vec<(&str, &str, &str)> = DEBIAN_PACKAGES
        .iter()
        .chain(NGINX_DEBIAN_PACKAGES)
        .copied()
        .collect();
    debian_var(t, &installed, NGINX_DEBIAN_PACKAGES, 1_150);
    t.words("var/log/apt/history.log", 0o644, 8_310);
    t.words("var/log/apt/term.log", 0o640, 33_104);
    // `rm -rf /var/lib/apt/lists/*`: these were in the debian layer, so deleting them leaves
    // whiteouts here; the debian layer itself is never touched.
    t.whiteout("var/lib/apt/lists/auxfiles");
    t.whiteout("var/lib/apt/lists/lock");
    t.whiteout("var/lib/apt/lists/partial");
}

// =============================================================================================
// Texts
// =============================================================================================

const ALPINE_OS_RELEASE: &str = r#"NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.1
PRETTY_NAME="Alpine Linux v3.19"
HOME_URL="https://alpinelinux.org/"
BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"
"#;

const ALPINE_REPOSITORIES: &str = "https://dl-cdn.alpinelinux.org/alpine/v3.19/main
https://dl-cdn.alpinelinux.org/alpine/v3.19/community
";

const ALPINE_WORLD: &str = "alpine-baselayout
alpine-keys
apk-tools
busybox
libc-utils
";

const ALPINE_MOTD: &str = "Welcome to Alpine!

The Alpine Wiki contains a large amount of how-to guides and general
information about administrating Alpine systems.
See <https://wiki.alpinelinux.org/>.

You can setup the system with the command: setup-alpine

You may change this message by editing /etc/motd.

";

const ALPINE_PASSWD: &str = "root:x:0:0:root:/root:/bin/sh
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
lp:x:4:7:lp:/var/spool/lpd:/sbin/nologin
sync:x:5:0:sync:/sbin:/bin/sync
shutdown:x:6:0:shutdown:/sbin:/sbin/shutdown
halt:x:7:0:halt:/sbin:/sbin/halt
mail:x:8:12:mail:/var/mail:/sbin/nologin
news:x:9:13:news:/usr/lib/news:/sbin/nologin
uucp:x:10:14:uucp:/var/spool/uucppublic:/sbin/nologin
cron:x:16:16:cron:/var/spool/cron:/sbin/nologin
ftp:x:21:21::/var/lib/ftp:/sbin/nologin
sshd:x:22:22:sshd:/dev/null:/sbin/nologin
games:x:35:35:games:/usr/games:/sbin/nologin
ntp:x:123:123:NTP:/var/empty:/sbin/nologin
guest:x:405:100:guest:/dev/null:/sbin/nologin
nobody:x:65534:65534:nobody:/:/sbin/nologin
";

const ALPINE_GROUP: &str = "root:x:0:root
bin:x:1:root,bin,daemon
daemon:x:2:root,bin,daemon
sys:x:3:root,bin
adm:x:4:root,daemon
tty:x:5:
disk:x:6:root
lp:x:7:lp
kmem:x:9:
wheel:x:10:root
floppy:x:11:root
mail:x:12:mail
news:x:13:news
uucp:x:14:uucp
cron:x:16:cron
audio:x:18:
cdrom:x:19:
dialout:x:20:root
ftp:x:21:
sshd:x:22:
input:x:23:
tape:x:26:root
video:x:27:root
netdev:x:28:
kvm:x:34:kvm
games:x:35:
shadow:x:42:
www-data:x:82:
users:x:100:games
ntp:x:123:
abuild:x:300:
utmp:x:406:
ping:x:999:
nogroup:x:65533:
nobody:x:65534:
";

const ALPINE_HOSTS: &str = "127.0.0.1\tlocalhost localhost.localdomain
::1\t\tlocalhost localhost.localdomain
";

const ALPINE_FSTAB: &str = "/dev/cdrom\t/media/cdrom\tiso9660\tnoauto,ro 0 0
/dev/usbdisk\t/media/usb\tvfat\tnoauto,ro 0 0
";

const ALPINE_CRONTAB: &str = "# do daily/weekly/monthly maintenance
# min\thour\tday\tmonth\tweekday\tcommand
*/15\t*\t*\t*\t*\trun-parts /etc/periodic/15min
0\t*\t*\t*\t*\trun-parts /etc/periodic/hourly
0\t2\t*\t*\t*\trun-parts /etc/periodic/daily
0\t3\t*\t*\t6\trun-parts /etc/periodic/weekly
0\t5\t1\t*\t*\trun-parts /etc/periodic/monthly

";

const ALPINE_INITTAB: &str = "# /etc/inittab

::sysinit:/sbin/openrc sysinit
::sysinit:/sbin/openrc boot
::wait:/sbin/openrc default

# Set up a couple of getty's
tty1::respawn:/sbin/getty 38400 tty1
tty2::respawn:/sbin/getty 38400 tty2

# Stuff to do for the 3-finger salute
::ctrlaltdel:/sbin/reboot

# Stuff to do before rebooting
::shutdown:/sbin/openrc shutdown
";

const ALPINE_NSSWITCH: &str = "# musl itself does not support NSS, however some third-party DNS
# implementations use the nsswitch.conf file to determine what
# policy to follow.
hosts:     files dns
";

const ALPINE_PROFILE: &str = r#"export CHARSET=UTF-8
export LANG=C.UTF-8
export LC_COLLATE=C
export PAGER=less
export PS1='\h:\w\$ '
umask 022

appendpath () {
	case ":$PATH:" in
		*:"$1":*)
			;;
		*)
			PATH="${PATH:+$PATH:}$1"
	esac
}

appendpath '/usr/local/sbin'
appendpath '/usr/local/bin'
appendpath '/usr/sbin'
appendpath '/usr/bin'
appendpath '/sbin'
appendpath '/bin'
unset -f appendpath

export PATH

for script in /etc/profile.d/*.sh ; do
	if [ -r "$script" ] ; then
		. "$script"
	fi
done
unset script
"#;

const ALPINE_LDCONFIG: &str = "#!/bin/sh
scan_dirs() {
\tscanelf -qS \"$@\" | while read SONAME FILE; do
\t\tTARGET=\"${FILE##*/}\"
\t\tLINK=\"${FILE%/*}/$SONAME\"
\t\tcase \"$SONAME\" in
\t\t\t*[0-9]) ln -sf \"$TARGET\" \"$LINK\" ;;
\t\tesac
\tdone
}
# eat ldconfig options
while getopts \"nNvXvf:C:r:\" opt; do
\t:
done
shift $(( $OPTIND - 1 ))
[ $# -gt 0 ] && scan_dirs \"$@\"
";

const BUSYBOX_PASSWD: &str = "root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
";

const BUSYBOX_GROUP: &str = "root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nobody:x:65534:
";

const DEBIAN_OS_RELEASE: &str = r#"PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"#;

const DEBIAN_SOURCES: &str = "Types: deb
# http://snapshot.debian.org/archive/debian/20240110T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.debian.org/archive/debian-security/20240110T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
";

const DEBIAN_DPKG_DOCKER: &str = "# This is the \"slim\" variant of the Debian base image.
# Many files which are normally unnecessary in containers are excluded,
# and this configuration file keeps them that way.

path-exclude /usr/share/doc/*
# we need to keep copyright files for legal reasons
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
";

const DEBIAN_PASSWD: &str = "root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
games:x:5:60:games:/usr/games:/usr/sbin/nologin
man:x:6:12:man:/var/cache/man:/usr/sbin/nologin
lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin
mail:x:8:8:mail:/var/mail:/usr/sbin/nologin
news:x:9:9:news:/var/spool/news:/usr/sbin/nologin
uucp:x:10:10:uucp:/var/spool/uucp:/usr/sbin/nologin
proxy:x:13:13:proxy:/bin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
backup:x:34:34:backup:/var/backups:/usr/sbin/nologin
list:x:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin
irc:x:39:39:ircd:/run/ircd:/usr/sbin/nologin
_apt:x:42:65534::/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
";

const DEBIAN_GROUP: &str = "root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
news:x:9:
uucp:x:10:
man:x:12:
proxy:x:13:
kmem:x:15:
dialout:x:20:
fax:x:21:
voice:x:22:
cdrom:x:24:
floppy:x:25:
tape:x:26:
sudo:x:27:
audio:x:29:
dip:x:30:
www-data:x:33:
backup:x:34:
operator:x:37:
list:x:38:
irc:x:39:
src:x:40:
shadow:x:42:
utmp:x:43:
video:x:44:
sasl:x:45:
plugdev:x:46:
staff:x:50:
games:x:60:
users:x:100:
nogroup:x:65534:
";

const DEBIAN_MOTD: &str = "
The programs included with the Debian GNU/Linux system are free software;
the exact distribution terms for each program are described in the
individual files in /usr/share/doc/*/copyright.

Debian GNU/Linux comes with ABSOLUTELY NO WARRANTY, to the extent
permitted by applicable law.
";

const DEBIAN_NSSWITCH: &str = "# /etc/nsswitch.conf
#
# Example configuration of GNU Name Service Switch functionality.
# If you have the `glibc-doc-reference' and `info' packages installed, try:
# `info libc \"Name Service Switch\"' for information about this file.

passwd:         files
group:          files
shadow:         files
gshadow:        files

hosts:          files dns
networks:       files

protocols:      db files
services:       db files
ethers:         db files
rpc:            db files

netgroup:       nis
";

const DEBIAN_PROFILE: &str = r#"# /etc/profile: system-wide .profile file for the Bourne shell (sh(1))
# and Bourne compatible shells (bash(1), ksh(1), ash(1), ...).

if [ "$(id -u)" -eq 0 ]; then
  PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
else
  PATH="/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"
fi
export PATH

if [ "${PS1-}" ]; then
  if [ "${BASH-}" ] && [ "$BASH" != "/bin/sh" ]; then
    # The file bash.bashrc already sets the default PS1.
    # PS1='\h:\w\$ '
    if [ -f /etc/bash.bashrc ]; then
      . /etc/bash.bashrc
    fi
  else
    if [ "$(id -u)" -eq 0 ]; then
      PS1='# '
    else
      PS1='$ '
    fi
  fi
fi

if [ -d /etc/profile.d ]; then
  for i in /etc/profile.d/*.sh; do
    if [ -r $i ]; then
      . $i
    fi
  done
  unset i
fi
"#;

const DEBIAN_BASH_BASHRC: &str = r#"# System-wide .bashrc file for interactive bash(1) shells.

# To enable the settings / commands in this file for login shells as well,
# this file has to be sourced in /etc/profile.

# If not running interactively, don't do anything
[ -z "${PS1-}" ] && return

# check the window size after each command and, if necessary,
# update the values of LINES and COLUMNS.
shopt -s checkwinsize

# set variable identifying the chroot you work in (used in the prompt below)
if [ -z "${debian_chroot:-}" ] && [ -r /etc/debian_chroot ]; then
    debian_chroot=$(cat /etc/debian_chroot)
fi

# set a fancy prompt (non-color, overwrite the one in /etc/profile)
# but only if not SUDOing and have SUDO_PS1 set; then assume smart user.
if ! [ -n "${SUDO_USER-}" -a -n "${SUDO_PS1-}" ]; then
  PS1='${debian_chroot:+($debian_chroot)}\u@\h:\w\$ '
fi
"#;

const NGINX_CONF: &str = r#"
user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /var/run/nginx.pid;


events {
    worker_connections  1024;
}


http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    #tcp_nopush     on;

    keepalive_timeout  65;

    #gzip  on;

    include /etc/nginx/conf.d/*.conf;
}
"#;

const NGINX_DEFAULT_CONF: &str = r#"server {
    listen       80;
    listen  [::]:80;
    server_name  localhost;

    #access_log  /var/log/nginx/host.access.log  main;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    #error_page  404              /404.html;

    # redirect server error pages to the static page /50x.html
    #
    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}

"#;

const NGINX_INDEX_HTML: &str = r#"<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"#;

const NGINX_50X_HTML: &str = r#"<!DOCTYPE html>
<html>
<head>
<title>Error</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
<p>If you are the system administrator of this resource then you should check
the error log for details.</p>
<p><em>Faithfully yours, nginx.</em></p>
</body>
</html>
"#;

const NGINX_MIME_TYPES: &str = "
types {
    text/html                                        html htm shtml;
    text/css                                         css;
    text/xml                                         xml;
    image/gif                                        gif;
    image/jpeg                                       jpeg jpg;
    application/javascript                           js;
    application/atom+xml                             atom;
    application/rss+xml                              rss;

    text/mathml                                      mml;
    text/plain                                       txt;
    text/vnd.wap.wml                                 wml;
    text/x-component                                 htc;

    image/avif                                       avif;
    image/png                                        png;
    image/svg+xml                                    svg svgz;
    image/tiff                                       tif tiff;
    image/webp                                       webp;
    image/x-icon                                     ico;

    font/woff                                        woff;
    font/woff2                                       woff2;

    application/json                                 json;
    application/pdf                                  pdf;
    application/wasm                                 wasm;
    application/zip                                  zip;
    application/gzip                                 gz;
    application/x-tar                                tar;
    application/octet-stream                         bin exe dll;
    application/octet-stream                         deb;
    application/octet-stream                         dmg;
    application/octet-stream                         iso img;

    audio/mpeg                                       mp3;
    audio/ogg                                        ogg;

    video/mp4                                        mp4;
    video/mpeg                                       mpeg mpg;
    video/webm                                       webm;
}
";

const FASTCGI_PARAMS: &str = "
fastcgi_param  QUERY_STRING       $query_string;
fastcgi_param  REQUEST_METHOD     $request_method;
fastcgi_param  CONTENT_TYPE       $content_type;
fastcgi_param  CONTENT_LENGTH     $content_length;

fastcgi_param  SCRIPT_NAME        $fastcgi_script_name;
fastcgi_param  REQUEST_URI        $request_uri;
fastcgi_param  DOCUMENT_URI       $document_uri;
fastcgi_param  DOCUMENT_ROOT      $document_root;
fastcgi_param  SERVER_PROTOCOL    $server_protocol;
fastcgi_param  REQUEST_SCHEME     $scheme;
fastcgi_param  HTTPS              $https if_not_empty;

fastcgi_param  GATEWAY_INTERFACE  CGI/1.1;
fastcgi_param  SERVER_SOFTWARE    nginx/$nginx_version;

fastcgi_param  REMOTE_ADDR        $remote_addr;
fastcgi_param  REMOTE_PORT        $remote_port;
fastcgi_param  SERVER_ADDR        $server_addr;
fastcgi_param  SERVER_PORT        $server_port;
fastcgi_param  SERVER_NAME        $server_name;
";

const SCGI_PARAMS: &str = "
scgi_param  REQUEST_METHOD     $request_method;
scgi_param  REQUEST_URI        $request_uri;
scgi_param  QUERY_STRING       $query_string;
scgi_param  CONTENT_TYPE       $content_type;

scgi_param  DOCUMENT_URI       $document_uri;
scgi_param  DOCUMENT_ROOT      $document_root;
scgi_param  SCGI               1;
scgi_param  SERVER_PROTOCOL    $server_protocol;
scgi_param  REQUEST_SCHEME     $scheme;
scgi_param  HTTPS              $https if_not_empty;

scgi_param  REMOTE_ADDR        $remote_addr;
scgi_param  REMOTE_PORT        $remote_port;
scgi_param  SERVER_PORT        $server_port;
scgi_param  SERVER_NAME        $server_name;
";

const UWSGI_PARAMS: &str = "
uwsgi_param  QUERY_STRING       $query_string;
uwsgi_param  REQUEST_METHOD     $request_method;
uwsgi_param  CONTENT_TYPE       $content_type;
uwsgi_param  CONTENT_LENGTH     $content_length;

uwsgi_param  REQUEST_URI        $request_uri;
uwsgi_param  PATH_INFO          $document_uri;
uwsgi_param  DOCUMENT_ROOT      $document_root;
uwsgi_param  SERVER_PROTOCOL    $server_protocol;
uwsgi_param  REQUEST_SCHEME     $scheme;
uwsgi_param  HTTPS              $https if_not_empty;

uwsgi_param  REMOTE_ADDR        $remote_addr;
uwsgi_param  REMOTE_PORT        $remote_port;
uwsgi_param  SERVER_PORT        $server_port;
uwsgi_param  SERVER_NAME        $server_name;
";

/// The image's entrypoint: runs the configuration scripts of `/docker-entrypoint.d`, then
/// replaces itself with the command (`nginx -g 'daemon off;'`).
const DOCKER_ENTRYPOINT_SH: &str = r#"#!/bin/sh
# vim:sw=4:ts=4:et

set -e

entrypoint_log() {
    if [ -z "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then
        echo "$@"
    fi
}

if [ "$1" = "nginx" ] || [ "$1" = "nginx-debug" ]; then
    if /usr/bin/find "/docker-entrypoint.d/" -mindepth 1 -maxdepth 1 -type f -print -quit 2>/dev/null | read v; then
        entrypoint_log "$0: /docker-entrypoint.d/ is not empty, will attempt to perform configuration"

        entrypoint_log "$0: Looking for shell scripts in /docker-entrypoint.d/"
        find "/docker-entrypoint.d/" -follow -type f -print | sort -V | while read -r f; do
            case "$f" in
                *.envsh)
                    if [ -x "$f" ]; then
                        entrypoint_log "$0: Sourcing $f";
                        . "$f"
                    else
                        # warn on shell scripts without exec bit
                        entrypoint_log "$0: Ignoring $f, not executable";
                    fi
                    ;;
                *.sh)
                    if [ -x "$f" ]; then
                        entrypoint_log "$0: Launching $f";
                        "$f"
                    else
                        # warn on shell scripts without exec bit
                        entrypoint_log "$0: Ignoring $f, not executable";
                    fi
                    ;;
                *) entrypoint_log "$0: Ignoring $f";;
            esac
        done

        entrypoint_log "$0: Configuration complete; ready for start up"
    else
        entrypoint_log "$0: No files found in /docker-entrypoint.d/, skipping configuration"
    fi
fi

exec "$@"
"#;

const LISTEN_ON_IPV6_SH: &str = r#"#!/bin/sh
# vim:sw=4:ts=4:et

set -e

entrypoint_log() {
    if [ -z "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then
        echo "$@"
    fi
}

ME=$(basename "$0")
DEFAULT_CONF_FILE="etc/nginx/conf.d/default.conf"

# check if we have ipv6 available
if [ ! -f "/proc/net/if_inet6" ]; then
    entrypoint_log "$ME: info: ipv6 not available"
    exit 0
fi

if [ ! -f "/$DEFAULT_CONF_FILE" ]; then
    entrypoint_log "$ME: info: /$DEFAULT_CONF_FILE is not a file or does not exist"
    exit 0
fi

# check if the file can be modified, e.g. not on a r/o filesystem
touch /$DEFAULT_CONF_FILE 2>/dev/null || { entrypoint_log "$ME: info: can not modify /$DEFAULT_CONF_FILE (read-only file system?)"; exit 0; }

# check if the file is already modified, e.g. on a container restart
grep -q "listen  \[::]\:80;" /$DEFAULT_CONF_FILE && { entrypoint_log "$ME: info: IPv6 listen already enabled"; exit 0; }

if [ -f "/etc/os-release" ]; then
    . /etc/os-release
else
    entrypoint_log "$ME: info: can not guess the operating system"
    exit 0
fi

entrypoint_log "$ME: info: Getting the checksum of /$DEFAULT_CONF_FILE"

case "$ID" in
    "debian")
        CHECKSUM=$(dpkg-query --show --showformat='${Conffiles}\n' nginx | grep $DEFAULT_CONF_FILE | cut -d' ' -f 3)
        echo "$CHECKSUM  /$DEFAULT_CONF_FILE" | md5sum -c - >/dev/null 2>&1 || {
            entrypoint_log "$ME: info: /$DEFAULT_CONF_FILE differs from the packaged version"
            exit 0
        }
        ;;
    "alpine")
        CHECKSUM=$(apk manifest nginx 2>/dev/null| grep $DEFAULT_CONF_FILE | cut -d' ' -f 1 | cut -d ':' -f 2)
        echo "$CHECKSUM  /$DEFAULT_CONF_FILE" | sha1sum -c - >/dev/null 2>&1 || {
            entrypoint_log "$ME: info: /$DEFAULT_CONF_FILE differs from the packaged version"
            exit 0
        }
        ;;
    *)
        entrypoint_log "$ME: info: Unsupported distribution"
        exit 0
        ;;
esac

# enable ipv6 on default.conf listen sockets
sed -i -E 's,listen       80;,listen       80;\n    listen  [::]:80;,' /$DEFAULT_CONF_FILE

entrypoint_log "$ME: info: Enabled listen on IPv6 in /$DEFAULT_CONF_FILE"

exit 0
"#;

const LOCAL_RESOLVERS_ENVSH: &str = r#"#!/bin/sh
# vim:sw=2:ts=2:sts=2:et

set -eu

LC_ALL=C
PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

[ "${NGINX_ENTRYPOINT_LOCAL_RESOLVERS:-}" ] || return 0

NGINX_LOCAL_RESOLVERS=$(awk 'BEGIN{ORS=" "} $1=="nameserver" {print $2}' /etc/resolv.conf)
export NGINX_LOCAL_RESOLVERS
"#;

const ENVSUBST_ON_TEMPLATES_SH: &str = r#"#!/bin/sh

set -e

ME=$(basename "$0")

entrypoint_log() {
    if [ -z "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then
        echo "$@"
    fi
}

add_stream_block() {
    local conffile="/etc/nginx/nginx.conf"

    if grep -q -E "\s*stream\s*\{" "$conffile"; then
        entrypoint_log "$ME: $conffile contains a stream block; include $stream_output_dir/*.conf to enable stream templates"
    else
        # check if the file can be modified, e.g. not on a r/o filesystem
        touch "$conffile" 2>/dev/null || { entrypoint_log "$ME: info: can not modify $conffile (read-only file system?)"; exit 0; }
        entrypoint_log "$ME: Appending stream block to $conffile to include $stream_output_dir/*.conf"
        cat << END >> "$conffile"
# added by "$ME" on "$(date)"
stream {
  include $stream_output_dir/*.conf;
}
END
    fi
}

auto_envsubst() {
    local template_dir="${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}"
    local suffix="${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}"
    local output_dir="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}"
    local stream_suffix="${NGINX_ENVSUBST_STREAM_TEMPLATE_SUFFIX:-.stream-template}"
    local stream_output_dir="${NGINX_ENVSUBST_STREAM_OUTPUT_DIR:-/etc/nginx/stream-conf.d}"
    local filter="${NGINX_ENVSUBST_FILTER:-}"

    local template defined_envs relative_path output_path subdir
    defined_envs=$(printf '${%s} ' $(awk "END { for (name in ENVIRON) { print ( name ~ /${filter}/ ) ? name : \"\" } }" < /dev/null ))
    [ -d "$template_dir" ] || return 0
    if [ ! -w "$output_dir" ]; then
        entrypoint_log "$ME: ERROR: $template_dir exists, but $output_dir is not writable"
        return 0
    fi
    find "$template_dir" -follow -type f -name "*$suffix" -print | while read -r template; do
        relative_path="${template#"$template_dir/"}"
        output_path="$output_dir/${relative_path%"$suffix"}"
        subdir=$(dirname "$relative_path")
        # create a subdirectory where the template file exists
        mkdir -p "$output_dir/$subdir"
        entrypoint_log "$ME: Running envsubst on $template to $output_path"
        envsubst "$defined_envs" < "$template" > "$output_path"
    done

    # Print the first file with the stream suffix, this will be false if there are none
    if test -n "$(find "$template_dir" -name "*$stream_suffix" -print -quit)"; then
        mkdir -p "$stream_output_dir"
        if [ ! -w "$stream_output_dir" ]; then
            entrypoint_log "$ME: ERROR: $template_dir exists, but $stream_output_dir is not writable"
            return 0
        fi
        add_stream_block
        find "$template_dir" -follow -type f -name "*$stream_suffix" -print | while read -r template; do
            relative_path="${template#"$template_dir/"}"
            output_path="$stream_output_dir/${relative_path%"$stream_suffix"}"
            subdir=$(dirname "$relative_path")
            # create a subdirectory where the template file exists
            mkdir -p "$stream_output_dir/$subdir"
            entrypoint_log "$ME: Running envsubst on $template to $output_path"
            envsubst "$defined_envs" < "$template" > "$output_path"
        done
    fi
}

auto_envsubst

exit 0
"#;

const TUNE_WORKER_PROCESSES_SH: &str = r#"#!/bin/sh
# vim:sw=2:ts=2:sts=2:et

set -eu

LC_ALL=C
ME=$(basename "$0")
PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

[ "${NGINX_ENTRYPOINT_WORKER_PROCESSES_AUTOTUNE:-}" ] || exit 0

touch /etc/nginx/nginx.conf 2>/dev/null || { echo >&2 "$ME: error: can not modify /etc/nginx/nginx.conf (read-only file system?)"; exit 0; }

ceildiv() {
  num=$1
  div=$2
  echo $(( (num + div - 1) / div ))
}

get_cpuset() {
  cpusetroot=$1
  cpusetfile=$2
  ncpu=0
  [ -f "$cpusetroot/$cpusetfile" ] || return 1
  for token in $( tr ',' ' ' < "$cpusetroot/$cpusetfile" ); do
    case "$token" in
      *-*)
        count=$( seq $(echo "$token" | tr '-' ' ') | wc -l )
        ncpu=$(( ncpu+count ))
        ;;
      *)
        ncpu=$(( ncpu+1 ))
        ;;
    esac
  done
  echo "$ncpu"
}

get_quota() {
  cpuroot=$1
  ncpu=0
  [ -f "$cpuroot/cpu.cfs_quota_us" ] || return 1
  [ -f "$cpuroot/cpu.cfs_period_us" ] || return 1
  cfs_quota=$( cat "$cpuroot/cpu.cfs_quota_us" )
  cfs_period=$( cat "$cpuroot/cpu.cfs_period_us" )
  [ "$cfs_quota" = "-1" ] && return 1
  [ "$cfs_period" = "0" ] && return 1
  ncpu=$( ceildiv "$cfs_quota" "$cfs_period" )
  [ "$ncpu" -gt 0 ] || return 1
  echo "$ncpu"
}

get_quota_v2() {
  cpuroot=$1
  ncpu=0
  [ -f "$cpuroot/cpu.max" ] || return 1
  cfs_quota=$( cut -d' ' -f 1 < "$cpuroot/cpu.max" )
  cfs_period=$( cut -d' ' -f 2 < "$cpuroot/cpu.max" )
  [ "$cfs_quota" = "max" ] && return 1
  [ "$cfs_period" = "0" ] && return 1
  ncpu=$( ceildiv "$cfs_quota" "$cfs_period" )
  [ "$ncpu" -gt 0 ] || return 1
  echo "$ncpu"
}

ncpu_online=$( getconf _NPROCESSORS_ONLN )
ncpu_cpuset=
ncpu_quota=
ncpu_cpuset_v2=
ncpu_quota_v2=

cpuset=$( get_cpuset /sys/fs/cgroup/cpuset cpuset.effective_cpus ) && ncpu_cpuset=$cpuset || ncpu_cpuset=$ncpu_online
quota=$( get_quota /sys/fs/cgroup/cpu ) && ncpu_quota=$quota || ncpu_quota=$ncpu_online
cpuset_v2=$( get_cpuset /sys/fs/cgroup cpuset.cpus.effective ) && ncpu_cpuset_v2=$cpuset_v2 || ncpu_cpuset_v2=$ncpu_online
quota_v2=$( get_quota_v2 /sys/fs/cgroup ) && ncpu_quota_v2=$quota_v2 || ncpu_quota_v2=$ncpu_online

ncpu=$( printf "%s\n%s\n%s\n%s\n%s\n" \
               "$ncpu_online" \
               "$ncpu_cpuset" \
               "$ncpu_quota" \
               "$ncpu_cpuset_v2" \
               "$ncpu_quota_v2" \
               | sort -n \
               | head -n 1 )

sed -i.bak -r 's/^(worker_processes)(.*)$/# Commented out by '"$ME"' on '"$(date)"'\n#\1\2\n\1 '"$ncpu"';/' /etc/nginx/nginx.conf
"#;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::distribution::{LayerStatus, PullEvent};
    use crate::image::Image;
    use crate::layer::{self, EntryKind};
    use crate::store::{ImageRecord, Locked, Store};

    fn sample(name: &str) -> &'static Sample {
        let reference = Reference::parse_tagged(name).expect("test names are references");
        find(&reference).expect("the catalog has it")
    }

    /// `docker images` SIZE: `units.HumanSizeWithPrecision(size, 3)`, decimal units.
    fn human(size: u64) -> String {
        let units = ["B", "kB", "MB", "GB"];
        let mut value = size as f64;
        let mut unit = 0;
        while value >= 1000.0 && unit < units.len() - 1 {
            value /= 1000.0;
            unit += 1;
        }
        let text = format!(
            "{value:.*}",
            2usize.saturating_sub(value.log10().floor().max(0.0) as usize)
        );
        let text = if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        };
        format!("{text}{}", units[unit])
    }

    /// Regenerates every layer and prints the pins to paste into `*_PINS` after a file tree
    /// changed: `cargo test -p capas-core --lib samples::tests::print_pins -- --ignored --nocapture`.
    #[test]
    #[ignore = "a tool for maintainers, not a check"]
    fn print_pins() {
        for image in [
            &ALPINE,
            &NGINX_ALPINE,
            &DEBIAN,
            &NGINX_DEBIAN,
            &BUSYBOX,
            &HELLO_WORLD,
        ] {
            println!("{}:", image.name);
            for layer in image
                .layers()
                .iter()
                .filter(|l| std::ptr::eq(l.owner, image))
            {
                let started = std::time::Instant::now();
                let hashing = HashingWriter::new(io::sink());
                let (hashing, stats) = layer.generate(hashing).expect("generate");
                let (digest, _, _) = hashing.finish().expect("hash");
                println!(
                    "    Pin {{ diff_id: \"{}\", tar_len: {} }}, // size {} ({}), {} entries, {:?}",
                    digest.hex(),
                    stats.tar_bytes,
                    stats.size,
                    human(stats.size),
                    stats.entries,
                    started.elapsed()
                );
            }
        }
    }

    #[test]
    fn catalog_names_are_references() {
        for s in catalog() {
            let r = Reference::parse_tagged(s.name()).expect("valid name");
            assert_eq!(r.domain(), "docker.io", "{}", s.name());
            assert_eq!(s.reference().to_string(), s.name());
        }
    }

    #[test]
    fn every_layer_has_a_pin() {
        for image in [
            &ALPINE,
            &NGINX_ALPINE,
            &DEBIAN,
            &NGINX_DEBIAN,
            &BUSYBOX,
            &HELLO_WORLD,
        ] {
            let own = image.steps.iter().filter(|s| s.layer.is_some()).count();
            assert_eq!(image.pins.len(), own, "{}: one pin per layer", image.name);
            for pin in image.pins {
                assert!(
                    Digest::parse(pin.diff_id).is_ok(),
                    "{}: {}",
                    image.name,
                    pin.diff_id
                );
                assert!(
                    pin.tar_len >= 1024 && pin.tar_len % 512 == 0,
                    "{}",
                    image.name
                );
            }
        }
    }

    #[test]
    fn step_times_parse() {
        for s in catalog() {
            for step in s.image.steps() {
                assert!(
                    image::parse_time(step.created).is_some(),
                    "{}",
                    step.created
                );
            }
        }
    }

    #[test]
    fn every_sample_generates_its_pinned_digests() {
        // Each distinct layer once: the shared base layers are checked with their first image.
        let mut seen = BTreeSet::new();
        for s in catalog() {
            for (i, diff_id) in s.diff_ids().into_iter().enumerate() {
                if !seen.insert(diff_id) {
                    continue;
                }
                let stats = s.write_layer(i, io::sink()).expect("generates its pin");
                assert_eq!(stats.tar_bytes, s.layer_sizes()[i]);
            }
        }
        assert_eq!(seen.len(), 1 + 7 + 1 + 6 + 1 + 1);
    }

    #[test]
    fn a_wrong_pin_is_a_named_error() {
        let broken = LayerRef {
            pin: Pin {
                diff_id: "0000000000000000000000000000000000000000000000000000000000000000",
                tar_len: 1024,
            },
            ..HELLO_WORLD.layers().remove(0)
        };
        let (hashing, stats) = broken
            .generate(HashingWriter::new(io::sink()))
            .expect("generate");
        let (digest, _, _) = hashing.finish().expect("hash");
        let err = broken
            .check("hello-world:latest", 0, &DiffId(digest), stats.tar_bytes)
            .expect_err("must fail");
        assert!(
            matches!(err, SampleError::PinMismatch { layer: 0, .. }),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with("sample hello-world:latest layer 0 was generated as sha256:"),
            "{err}"
        );
        let err = sample("hello-world")
            .write_layer(1, io::sink())
            .expect_err("must fail");
        assert_eq!(
            err.to_string(),
            "sample hello-world:latest has 1 layers: there is no layer 1"
        );
    }

    #[test]
    fn sample_image_ids_are_pinned() {
        let pinned = [
            (
                "alpine:3.19",
                "sha256:4f4a2b2d161b4a4f562359f1cbe2719b8a1d0b27c9e9d3b3436a61aad3a72c09",
            ),
            (
                "nginx:stable-alpine3.19",
                "sha256:38f8a29e029b27fa353b8af99b0aa2449472d4e4aec4773b9dccdbf1c4b1af03",
            ),
            (
                "debian:bookworm-slim",
                "sha256:52b1f77d80fb8d6a75b53cd905c98c8edbf5664dd8d8b9b972d40b0b7153426e",
            ),
            (
                "nginx:stable",
                "sha256:66b8c46e099ed92f400b67d8484aa1de91571023e9f80c24eb12f7ebb0d3afe1",
            ),
            (
                "busybox:latest",
                "sha256:95d8c319ba626692fd56e59ed33c45132a9b82e3284cfd3b8e7b52a916e41bd5",
            ),
            (
                "busybox:1.36",
                "sha256:95d8c319ba626692fd56e59ed33c45132a9b82e3284cfd3b8e7b52a916e41bd5",
            ),
            (
                "hello-world:latest",
                "sha256:e5881486501a6d828e7a16c001ae25f4586b673a2b78dc4e44d363235ebb9fd9",
            ),
        ];
        let found: Vec<(&str, String)> = catalog()
            .iter()
            .map(|s| (s.name(), s.image_id().to_string()))
            .collect();
        let expected: Vec<(&str, String)> =
            pinned.iter().map(|(n, id)| (*n, id.to_string())).collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn nginx_alpine_shares_alpines_first_layer() {
        let alpine = sample("alpine:3.19");
        let nginx = sample("nginx:stable-alpine3.19");
        assert_eq!(nginx.diff_ids().len(), 8);
        assert_eq!(nginx.diff_ids()[0], alpine.diff_ids()[0]);
        assert_eq!(nginx.chain_ids()[0], alpine.chain_ids()[0]);
        // byte-identical: the same generator, whichever image asks
        let mut a = Vec::new();
        let mut n = Vec::new();
        alpine.write_layer(0, &mut a).expect("alpine layer");
        nginx.write_layer(0, &mut n).expect("nginx layer 0");
        assert!(a == n);
    }

    #[test]
    fn debian_and_nginx_share_the_base_layer() {
        let debian = sample("debian:bookworm-slim");
        let nginx = sample("nginx:stable");
        assert_eq!(nginx.diff_ids().len(), 7);
        assert_eq!(nginx.diff_ids()[0], debian.diff_ids()[0]);
        assert_eq!(nginx.layer_sizes()[0], debian.layer_sizes()[0]);
        assert_ne!(nginx.image_id(), debian.image_id());
    }

    #[test]
    fn busybox_has_two_tags_and_one_image() {
        assert_eq!(
            sample("busybox").image_id(),
            sample("busybox:1.36").image_id()
        );
        assert_eq!(sample("busybox").name(), "busybox:latest");
    }

    #[test]
    fn find_matches_docker_names_only() {
        assert_eq!(
            sample("docker.io/library/alpine:3.19").name(),
            "alpine:3.19"
        );
        let missing = [
            "alpine",
            "alpine:3.18",
            "127.0.0.1:5000/alpine:3.19",
            "library/nginx:latest",
        ];
        for name in missing {
            let r = Reference::parse_tagged(name).expect("reference");
            assert!(find(&r).is_none(), "{name}");
        }
        let nginx = sample("nginx:stable");
        let by_digest =
            Reference::parse(&format!("nginx@{}", nginx.manifest_digest())).expect("reference");
        assert_eq!(find(&by_digest).map(Sample::name), Some("nginx:stable"));
    }

    #[test]
    fn config_and_manifest_are_what_docker_reads() {
        for s in catalog() {
            let config = s.config_bytes();
            let parsed = image::parse_config(&s.image_id(), &config).expect("valid config");
            let diff_ids: Vec<String> = s.diff_ids().iter().map(|d| d.to_string()).collect();
            assert_eq!(parsed.rootfs().diff_ids(), &diff_ids);
            let history = parsed.history().as_deref().unwrap_or(&[]);
            assert_eq!(history.len(), s.image.steps().len());
            assert_eq!(
                history
                    .iter()
                    .filter(|h| !h.empty_layer().unwrap_or(false))
                    .count(),
                diff_ids.len()
            );
            assert_eq!(parsed.created().as_deref(), Some(s.created()));
            let text = String::from_utf8(config).expect("utf-8");
            assert!(
                text.starts_with(r#"{"architecture":"amd64","config":{"#),
                "{text}"
            );
            assert!(
                !text.contains('\n') && !text.contains('<'),
                "compact, Go-escaped: {text}"
            );

            let manifest: oci_spec::image::ImageManifest =
                serde_json::from_slice(&s.manifest_bytes()).expect("valid manifest");
            assert_eq!(Digest::from(manifest.config().digest()), s.image_id());
            for (layer, (diff_id, size)) in manifest
                .layers()
                .iter()
                .zip(s.diff_ids().iter().zip(s.layer_sizes()))
            {
                assert_eq!(layer.media_type().to_string(), OCI_LAYER_TAR);
                assert_eq!(&Digest::from(layer.digest()), diff_id.digest());
                assert_eq!(layer.size(), size);
            }
        }
        let alpine = String::from_utf8(sample("alpine:3.19").config_bytes()).expect("utf-8");
        assert!(
            alpine.contains(r#""created_by":"/bin/sh -c #(nop) ADD file:"#),
            "{alpine}"
        );
        assert!(alpine.contains(r#"in / "},{"created":"2024-01-27T00:30:48.743965523Z","created_by":"/bin/sh -c #(nop)  CMD [\"/bin/sh\"]","empty_layer":true}"#), "{alpine}");
        let nginx = String::from_utf8(sample("nginx:stable").config_bytes()).expect("utf-8");
        assert!(nginx.contains(r#""Labels":{"maintainer":"NGINX Docker Maintainers \u003cdocker-maint@nginx.com\u003e"}"#), "{nginx}");
        assert!(nginx.contains(r#""ExposedPorts":{"80/tcp":{}}"#), "{nginx}");
    }

    #[test]
    fn noise_does_not_depend_on_read_sizes() {
        let tree = Tree::new("test".into());
        let read_all = |chunk: usize| {
            let mut noise = Noise::new(tree.rng("x"), ELF, 200_000);
            let mut out = Vec::new();
            let mut buf = vec![0; chunk];
            loop {
                let n = noise.read(&mut buf).expect("read");
                if n == 0 {
                    break out;
                }
                out.extend_from_slice(&buf[..n]);
            }
        };
        let whole = read_all(1 << 20);
        assert_eq!(whole.len(), 200_000);
        assert!(whole.starts_with(ELF));
        assert_eq!(read_all(7), whole);
        assert_eq!(read_all(4096), whole);
    }

    #[test]
    fn entries_follow_dockers_walk_order_and_hard_links_settle_on_the_first_name() {
        let mut t = Tree::new("test".into());
        t.text("a.txt", 0o644, "x\n");
        t.text("a-b", 0o644, "y\n");
        t.text("a/b", 0o644, "z\n");
        t.elf("bin/busybox", 100);
        t.hardlink("bin/[", "bin/busybox");
        t.hardlink("bin/sh", "bin/busybox");
        t.whiteout("etc/motd");
        let (tar, stats) = t.write(1_700_000_000, Vec::new()).expect("write");
        let entries = layer::list(&tar[..]).expect("list");
        let names: Vec<(&str, EntryKind, Option<&str>)> = entries
            .iter()
            .map(|e| (e.path.as_str(), e.kind, e.link.as_deref()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("a", EntryKind::Dir, None),
                ("a/b", EntryKind::File, None),
                ("a-b", EntryKind::File, None),
                ("a.txt", EntryKind::File, None),
                ("bin", EntryKind::Dir, None),
                ("bin/[", EntryKind::File, None),
                ("bin/busybox", EntryKind::Hardlink, Some("bin/[")),
                ("bin/sh", EntryKind::Hardlink, Some("bin/[")),
                ("etc", EntryKind::Dir, None),
                ("etc/.wh.motd", EntryKind::File, None),
            ]
        );
        assert_eq!(
            stats.size,
            2 + 2 + 2 + 100,
            "hard links count once, whiteouts 0"
        );
    }

    #[test]
    fn the_trees_look_like_the_real_images() {
        let listing = |name: &str, index: usize| {
            let mut tar = Vec::new();
            sample(name).write_layer(index, &mut tar).expect("generate");
            layer::list(&tar[..]).expect("list")
        };
        let alpine = listing("alpine:3.19", 0);
        let get = |entries: &[layer::TarEntry], path: &str| {
            entries
                .iter()
                .find(|e| e.path == path)
                .cloned()
                .unwrap_or_else(|| panic!("{path} is missing"))
        };
        assert_eq!(get(&alpine, "bin/sh").link.as_deref(), Some("/bin/busybox"));
        assert_eq!(get(&alpine, "tmp").mode, 0o1777);
        assert_eq!(get(&alpine, "root").mode, 0o700);
        assert_eq!(
            get(&alpine, "etc/os-release").link.as_deref(),
            Some("../usr/lib/os-release")
        );
        assert!(
            alpine
                .iter()
                .all(|e| e.uid == 0 && e.gid == 0 && e.mtime == 1_706_315_448)
        );
        let hello = listing("hello-world", 0);
        assert_eq!(hello.len(), 1);
        assert_eq!((hello[0].path.as_str(), hello[0].size), ("hello", 13_256));
        let busybox = listing("busybox", 0);
        assert_eq!(get(&busybox, "bin/[").kind, EntryKind::File);
        assert_eq!(get(&busybox, "bin/sh").link.as_deref(), Some("bin/["));
    }

    /// Pulls a sample, returning the image and the layer statuses in order.
    fn pull(locked: &Locked<'_>, name: &str) -> (ImageRecord, Vec<LayerStatus>) {
        let mut events = Vec::new();
        let reference = Reference::parse_tagged(name).expect("reference");
        let report = crate::distribution::pull(locked, &reference, &mut |e| {
            if let PullEvent::Layer { status, .. } = e {
                events.push(status);
            }
        })
        .expect("pull");
        (report.image, events)
    }

    #[test]
    fn pulling_nginx_after_alpine_shares_the_alpine_layer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path().join("store")).expect("store");
        let locked = store.lock().expect("lock");
        let (alpine, events) = pull(&locked, "alpine:3.19");
        assert_eq!(
            events,
            vec![
                LayerStatus::PullingFsLayer,
                LayerStatus::DownloadComplete,
                LayerStatus::PullComplete
            ]
        );
        let blobs_after_alpine = store.blobs().expect("blobs").len();

        let (nginx, events) = pull(&locked, "nginx:stable-alpine3.19");
        assert_eq!(events[0], LayerStatus::AlreadyExists);
        // then 7 x (Pulling fs layer or Waiting), 7 x (Download complete, Pull complete)
        assert_eq!(events.len(), 1 + 7 + 2 * 7);
        // alpine: layer + config + manifest; nginx adds 7 layers + config + manifest, not layer 0.
        assert_eq!(blobs_after_alpine, 3);
        assert_eq!(store.blobs().expect("blobs").len(), 3 + 7 + 2);

        let index = store.index().expect("index");
        for (record, name, expected_size, rows) in [
            (&alpine, "alpine:3.19", "7.38MB", 2),
            (&nginx, "nginx:stable-alpine3.19", "43.3MB", 17),
        ] {
            let s = sample(name);
            assert_eq!(record.id, s.image_id());
            assert!(record.references.contains(&s.reference()));
            assert!(
                record
                    .references
                    .contains(&s.reference().with_digest(s.manifest_digest()))
            );
            let img = Image::load(&store, record).expect("load");
            assert_eq!(img.diff_ids(), s.diff_ids());
            assert_eq!(human(img.size(&store).expect("size")), expected_size);
            let history = img.history(&store, &index).expect("history");
            assert_eq!(history.len(), rows);
            let steps = s.image.steps();
            for (row, step) in history.iter().rev().zip(&steps) {
                assert_eq!(row.empty_layer, step.layer.is_none());
                assert_eq!(row.created, image::parse_time(step.created));
                if step.layer.is_none() {
                    assert_eq!(row.created_by, step.created_by);
                    assert_eq!(row.size, 0);
                }
            }
            assert_eq!(history[0].id.as_ref(), Some(&s.image_id()));
        }
        // Pulling again changes nothing and generates nothing.
        let (_, events) = pull(&locked, "alpine:3.19");
        assert!(events.is_empty(), "{events:?}");
    }
}
