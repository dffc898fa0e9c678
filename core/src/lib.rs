//! # capas-core: the engine behind the capas labs
//!
//! A container image is a stack of read-only layers plus a small JSON config, all stored by
//! the SHA-256 of their bytes. This crate is that engine, written to be read next to the
//! course: each module is one concept, named as Docker and the OCI image spec name it.
//!
//! # Layout
//!
//! | module | concept | lab | slide deck |
//! | --- | --- | --- | --- |
//! | [`digest`] | content addresses: `sha256:…`, short IDs, diff IDs, chain IDs | lab02 | `slides/lab02` |
//! | [`store`] | the content-addressed store on disk, its lock and atomic writes | lab02 | `slides/lab02` |
//! | [`fsck`] | checking that every blob still hashes to its name | lab02 | `slides/lab02` |
//! | [`layer`] | layer tars: deterministic creation, safe unpack, sizes as Docker counts | lab03 | `slides/lab03` |
//! | [`reference`](mod@reference) | image names: `alpine` means `docker.io/library/alpine:latest` | lab04 | `slides/lab04` |
//! | [`image`] | manifest + config, image ID, history, resolving what a user typed | lab01, lab04 | `slides/lab01` |
//! | [`samples`] | the built-in sample registry: alpine, nginx, debian, busybox, hello-world | lab04, lab05 | `slides/lab05` |
//! | [`distribution`] | pull and push: which layers to fetch, which already exist, which to skip or mount | lab04, lab05 | `slides/lab05` |
//! | [`registry`] | a client for real registries: the OCI distribution API, auth challenges | lab04 | `slides/lab04` |
//! | [`union`] | the union view: layers seen as one tree, whiteouts, opaque dirs, "why" | lab03 | `slides/lab03` |
//! | [`container`] | a container: its read/write layer, copy-on-write, diff, commit, rm | lab03 | `slides/lab03` |
//! | [`lifecycle`] | rmi, image prune, garbage collection, system df | lab07, lab08 | `slides/lab07` |
//! | [`archive`] | save / load: docker-archive and OCI layout tars | lab02 | `slides/lab02` |
//! | [`build`] | `docker build`: Dockerfile → image, one layer per file-system step, the build cache | lab01 | `slides/lab01` |
//!
//! Nothing here prints or reads the terminal: functions return values and typed errors, and the
//! `capas` command (crate `capas-labs`) turns them into Docker-shaped text.

pub mod archive;
pub mod build;
pub mod busybox;
pub mod container;
pub mod digest;
pub mod distribution;
pub mod fsck;
pub mod go;
pub mod image;
pub mod layer;
pub mod lifecycle;
pub mod reference;
pub mod registry;
pub mod samples;
pub mod shell;
pub mod store;
pub mod union;

pub use oci_spec;
