//! `docker build`: from the recipe (a Dockerfile) to an image, one read-only layer per
//! file-system step (course section 1).
//!
//! Each instruction starts from the state the one before left — layers plus config — and:
//!
//! | instruction | what it does | history row (as BuildKit writes it) |
//! | --- | --- | --- |
//! | `FROM` | starts from an image's layers and config (or `scratch`: none) | — |
//! | `RUN` | runs the command with the container shell in a temporary container; the container's read/write layer becomes the new layer | `RUN /bin/sh -c … # buildkit` |
//! | `COPY`, `ADD` | copies files from the context (or `--from` a stage) into a temporary container; its read/write layer becomes the new layer | `COPY a b # buildkit` |
//! | `WORKDIR` | creates the directory (a real layer, `0B` as directories weigh nothing) and sets `WorkingDir` | `WORKDIR /app` |
//! | `ENV`, `ARG`, `LABEL`, `CMD`, `ENTRYPOINT`, `EXPOSE`, `USER`, `VOLUME`, `STOPSIGNAL`, `HEALTHCHECK`, `SHELL`, `ONBUILD` | change the config only | `ENV A=b`, … with `empty_layer: true` |
//!
//! Every row has the comment `buildkit.dockerfile.v0`. A file-system step that changes no file
//! (a `RUN true`, a `WORKDIR` that exists) still adds a layer, an empty tar, as Docker 20.10's
//! BuildKit does (observed; only `docker commit` of an unchanged container writes an
//! `empty_layer` row instead). Layers are stored uncompressed (their digest is their diff ID), each entry
//! owned by root (or `--chown`), and with `SOURCE_DATE_EPOCH` every entry's mtime and every
//! `created` is that time, so two builds of the same recipe give the same image ID.
//!
//! The [`cache`] remembers, per step, the layer it made: a step whose parent state and inputs
//! are unchanged is not run again (`CACHED`). Nothing is named until the last step succeeds:
//! a failing build leaves no tag moved and no image in the index.
//!
//! Like BuildKit, a built image has no local parent: `docker history` shows `<missing>`
//! below its top row.
//!
//! # Where each part lives
//!
//! | file | concept |
//! | --- | --- |
//! | `mod.rs` | [`build`]: the stages, which of them the target needs, the errors |
//! | `steps.rs` | a stage from `FROM` to its end, the file-system steps (a temporary container, or the cache), the export |
//! | `state.rs` | the state between two steps: config, run config, layers, cache key |
//! | `run.rs` | `RUN` in the container shell |
//! | `copy.rs` | `COPY` and `ADD` (`--from`, `--chown`, `--chmod`, local tars) |
//! | `config.rs` | `ARG`, `WORKDIR` and the config-only steps, which the instruction interpreter ([`crate::image::instructions`]) applies, the same one `commit --change` calls |
//! | [`context`] | the build context and `.dockerignore` |
//! | [`cache`] | the build cache |
//! | [`parser`] | the Dockerfile grammar (it lives beside the interpreter, so that `commit` reads changes with it too) |

pub mod cache;
mod config;
pub mod context;
mod copy;
mod run;
mod state;
mod steps;

/// The Dockerfile grammar, which `commit --change` reads too: it lives with the instructions'
/// interpreter, below both (see [`crate::image::instructions`]).
pub use crate::image::instructions::parser;

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::PathBuf;

use crate::digest::Digest;
use crate::reference::Reference;
use crate::store::{ImageRecord, Locked};

use self::context::BuildContext;
use self::parser::{Instruction, ParseError};
use self::steps::Builder;

/// The comment BuildKit gives every history row it writes.
pub const HISTORY_COMMENT: &str = "buildkit.dockerfile.v0";

/// The `PATH` BuildKit gives `scratch` images and `RUN` steps whose image has none.
pub use crate::go::DEFAULT_PATH;

/// Why a build failed. Each variant that comes from a step names the Dockerfile and line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The Dockerfile does not parse (unknown instruction, bad quoting, …).
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// A `RUN` command exited non-zero (the classic builder's words).
    #[error("{file}:{line}: The command '{command}' returned a non-zero code: {code}")]
    RunFailed {
        /// The Dockerfile's name.
        file: String,
        /// The instruction's line.
        line: usize,
        /// The command as run (`/bin/sh -c false`).
        command: String,
        /// Its exit code.
        code: i32,
    },
    /// A `COPY`/`ADD` source does not exist, or `.dockerignore` excludes it.
    #[error(
        "{file}:{line}: {keyword} failed: file not found in build context or excluded by .dockerignore: {path}"
    )]
    SourceNotFound {
        /// The Dockerfile's name.
        file: String,
        /// The instruction's line.
        line: usize,
        /// `COPY` or `ADD`.
        keyword: String,
        /// The source as written.
        path: String,
    },
    /// A `COPY`/`ADD` source leads outside the build context.
    #[error("{file}:{line}: {keyword} failed: forbidden path outside the build context: {path}")]
    OutsideContext {
        /// The Dockerfile's name.
        file: String,
        /// The instruction's line.
        line: usize,
        /// `COPY` or `ADD`.
        keyword: String,
        /// The source as written.
        path: String,
    },
    /// `FROM` names an image that is neither in the store nor in the sample registry.
    #[error(
        "{file}:{line}: {keyword}{name}: pull access denied for {}, repository does not exist: {reason}",
        familiar_repository(.name)
    )]
    UnknownImage {
        /// The Dockerfile's name.
        file: String,
        /// The instruction's line.
        line: usize,
        /// `FROM ` or `COPY --from=`: how the image was named.
        keyword: &'static str,
        /// The image as written.
        name: String,
        /// What the pull said.
        reason: String,
    },
    /// An instruction is well-formed but wrong (bad flag, unknown stage, …).
    #[error("{file}:{line}: {message}")]
    Invalid {
        /// The Dockerfile's name.
        file: String,
        /// The instruction's line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// `--target` names no stage.
    #[error("failed to reach build target {target} in Dockerfile")]
    UnknownTarget {
        /// The stage asked for.
        target: String,
    },
    /// The Dockerfile has no `FROM`.
    #[error("no build stage in current context")]
    NoStage,
    /// The context directory cannot be read.
    #[error("unable to prepare context: {path}: {source}")]
    Context {
        /// The directory.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The engine failed under a step (store, layer, container).
    #[error("{file}:{line}: {source}")]
    Engine {
        /// The Dockerfile's name.
        file: String,
        /// The instruction's line (0: while exporting the image).
        line: usize,
        /// The underlying error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// What to build, and how (`docker build`'s options).
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The Dockerfile's text.
    pub dockerfile: String,
    /// Its name, for messages (`Dockerfile`).
    pub dockerfile_name: String,
    /// The context directory.
    pub context: PathBuf,
    /// `--build-arg K=V`.
    pub build_args: BTreeMap<String, String>,
    /// `--target STAGE`: stop after that stage.
    pub target: Option<String>,
    /// `--label K=V`: labels added to the final image.
    pub labels: BTreeMap<String, String>,
    /// `--no-cache`: run every step.
    pub no_cache: bool,
    /// `-t NAME`: the names the image gets.
    pub tags: Vec<Reference>,
    /// "Now", Unix seconds: when steps that run get their time.
    pub now: i64,
    /// `SOURCE_DATE_EPOCH`: every `created` and every layer entry's mtime is this time.
    pub source_date_epoch: Option<i64>,
}

/// What happens during a build, for the caller to show as `docker build --progress=plain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// A step starts: `#4 [2/3] RUN …`.
    Start {
        /// The step's number (`#4`).
        vertex: usize,
        /// What it is (`[2/3] RUN mkdir -p /app`).
        name: String,
    },
    /// A line the step printed.
    Log {
        /// The step's number.
        vertex: usize,
        /// The line, without its newline.
        line: String,
    },
    /// The step was found in the cache.
    Cached {
        /// The step's number.
        vertex: usize,
    },
    /// The step ended.
    Done {
        /// The step's number.
        vertex: usize,
    },
}

/// The result of a build.
#[derive(Debug, Clone)]
pub struct Built {
    /// The new image.
    pub record: ImageRecord,
    /// Images that lost a name to it (now dangling if it was their last).
    pub untagged: Vec<Digest>,
    /// File-system steps run.
    pub steps_run: usize,
    /// File-system steps taken from the cache.
    pub steps_cached: usize,
}

/// Builds an image (`docker build`). The caller holds the store lock for the whole build.
pub fn build(
    locked: &Locked<'_>,
    opts: &BuildOptions,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<Built, BuildError> {
    let dockerfile = parser::parse(&opts.dockerfile)?;
    let ctx = BuildContext::open(&opts.context).map_err(|source| BuildError::Context {
        path: opts.context.clone(),
        source,
    })?;
    let mut b = Builder {
        locked,
        opts,
        ctx,
        escape: dockerfile.escape,
        vertex: 0,
        progress: on_progress,
        stages: Vec::new(),
        names: Vec::new(),
        steps_run: 0,
        steps_cached: 0,
    };
    b.vertex_start("[internal] load build definition from ".to_string() + &opts.dockerfile_name);
    b.vertex_done();

    // Split into stages; ARGs before the first FROM are global (usable in FROM lines).
    let mut globals: BTreeMap<String, String> = BTreeMap::new();
    let mut stages: Vec<StageSpec<'_>> = Vec::new();
    for inst in &dockerfile.instructions {
        if inst.keyword == "FROM" {
            stages.push(StageSpec {
                from: inst,
                body: Vec::new(),
            });
        } else if let Some(stage) = stages.last_mut() {
            stage.body.push(inst);
        } else if inst.keyword == "ARG" {
            for (k, v) in b.arg_pairs(inst, &|n| globals.get(n).cloned())? {
                let value = opts.build_args.get(&k).cloned().or(v);
                if let Some(v) = value {
                    globals.insert(k, v);
                } else {
                    globals.remove(&k);
                }
            }
        } else {
            return Err(b.invalid(inst, "no build stage in current context".into()));
        }
    }
    if stages.is_empty() {
        return Err(BuildError::NoStage);
    }
    let names: Vec<Option<String>> = stages.iter().map(|s| stage_name(s.from)).collect();
    b.names = names.clone();
    let last = match &opts.target {
        Some(t) => names
            .iter()
            .position(|n| n.as_deref() == Some(t.to_ascii_lowercase().as_str()))
            .ok_or_else(|| BuildError::UnknownTarget { target: t.clone() })?,
        None => stages.len() - 1,
    };
    // Only the stages the target needs, as BuildKit does.
    let needed = needed_stages(&stages, &names, last);
    let multi = needed.len() > 1;
    for i in 0..=last {
        if !needed.contains(&i) {
            b.stages.push(None);
            continue;
        }
        let label = if multi {
            Some(names[i].clone().unwrap_or_else(|| format!("stage-{i}")))
        } else {
            None
        };
        let state = b.run_stage(&stages[i], &names, &globals, label)?;
        b.stages.push(Some(state));
    }
    let Some(Some(final_state)) = b.stages.pop() else {
        return Err(BuildError::NoStage);
    };
    b.export(final_state)
}

struct StageSpec<'d> {
    from: &'d Instruction,
    body: Vec<&'d Instruction>,
}

/// `FROM image AS name` → `name` (lower case).
fn stage_name(from: &Instruction) -> Option<String> {
    let text = from.text();
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        [_, kw, name] if kw.eq_ignore_ascii_case("as") => Some(name.to_ascii_lowercase()),
        _ => None,
    }
}

/// The stages `last` depends on (through `FROM stage` and `COPY --from`), itself included.
fn needed_stages(
    stages: &[StageSpec<'_>],
    names: &[Option<String>],
    last: usize,
) -> BTreeSet<usize> {
    let find = |r: &str| -> Option<usize> {
        let r = r.to_ascii_lowercase();
        names
            .iter()
            .position(|n| n.as_deref() == Some(r.as_str()))
            .or_else(|| r.parse::<usize>().ok())
    };
    let mut needed = BTreeSet::new();
    let mut todo = vec![last];
    while let Some(i) = todo.pop() {
        if i >= stages.len() || !needed.insert(i) {
            continue;
        }
        let base = stages[i]
            .from
            .text()
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        if let Some(j) = find(&base).filter(|&j| j < i && names[j].is_some()) {
            todo.push(j);
        }
        for inst in &stages[i].body {
            if let Some(from) = inst.flag("from")
                && let Some(j) = find(from).filter(|&j| j < i)
            {
                todo.push(j);
            }
        }
    }
    needed
}

/// `nosuch:1` → `nosuch`, as Docker names a repository in its pull errors.
fn familiar_repository(name: &str) -> String {
    Reference::parse_tagged(name)
        .map(|r| r.familiar_repository())
        .unwrap_or_else(|_| name.to_string())
}
