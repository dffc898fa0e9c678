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

pub mod cache;
pub mod context;
pub mod parser;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Read};
use std::path::PathBuf;

use oci_spec::image::{Descriptor, ImageManifestBuilder, MediaType};
use serde_json::{Map, Value, json};

use crate::container::{self, Container};
use crate::digest::{ChainId, DiffId, Digest};
use crate::distribution;
use crate::image::{self, Image, OCI_LAYER_TAR};
use crate::layer::{self, TarOptions};
use crate::reference::Reference;
use crate::shell::{FileKind, Fs, Shell};
use crate::store::{ImageRecord, Locked};
use crate::union::UnionView;

use self::cache::{CacheRecord, CachedLayer};
use self::context::{BuildContext, Item, ItemKind, Source, SourceError};
use self::parser::{Args, Instruction, ParseError};

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

/// The state between two steps: what the image would be if the build stopped here.
#[derive(Clone)]
struct State {
    /// The whole image config, as JSON (history and rootfs included); its `config` key keeps
    /// its place, its value is [`State::runtime`]'s.
    config: Map<String, Value>,
    /// The runtime config (`config.config`: `Env`, `Cmd`, `WorkingDir`, …).
    runtime: Map<String, Value>,
    /// The manifest's layer descriptors.
    layers: Vec<Descriptor>,
    /// The chain ID of the top layer.
    chain: Option<ChainId>,
    /// The cache key so far.
    key: Digest,
    /// Build arguments in scope (declared by `ARG` in this stage), with their values.
    args: BTreeMap<String, String>,
    /// Whether this stage set `CMD` (a later `ENTRYPOINT` keeps it).
    cmd_set: bool,
    /// When the last layer step of this stage ran.
    last_layer_time: Option<i64>,
    /// The image saved for this state, once a step needed one.
    image: Option<Image>,
}

impl State {
    fn runtime(&mut self) -> &mut Map<String, Value> {
        self.image = None;
        &mut self.runtime
    }

    /// The object under `key` in the run configuration (`Labels`, `ExposedPorts`,
    /// `Volumes`), made empty first if missing or not an object.
    fn runtime_object(&mut self, key: &str) -> &mut Map<String, Value> {
        let value = self
            .runtime()
            .entry(key)
            .or_insert_with(|| Value::Object(Map::new()));
        if !value.is_object() {
            *value = Value::Object(Map::new());
        }
        match value {
            Value::Object(m) => m,
            _ => unreachable!("made an object just above"),
        }
    }

    fn runtime_ref(&self) -> Option<&Map<String, Value>> {
        Some(&self.runtime)
    }

    fn env(&self) -> Vec<(String, String)> {
        self.runtime_ref()
            .and_then(|c| c.get("Env"))
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A variable for substitution: `ENV` wins over `ARG`.
    fn var(&self, name: &str) -> Option<String> {
        self.env()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .or_else(|| self.args.get(name).cloned())
    }

    fn string(&self, key: &str) -> Option<String> {
        self.runtime_ref()
            .and_then(|c| c.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    fn shell(&self) -> Vec<String> {
        self.runtime_ref()
            .and_then(|c| c.get("Shell"))
            .and_then(|s| serde_json::from_value(s.clone()).ok())
            .unwrap_or_else(|| crate::go::DEFAULT_SHELL.map(String::from).to_vec())
    }

    fn push_history(&mut self, created: i64, created_by: &str, empty: bool) {
        let mut row = Map::new();
        row.insert("created".into(), image::format_time(created).into());
        row.insert("created_by".into(), created_by.into());
        row.insert("comment".into(), HISTORY_COMMENT.into());
        if empty {
            row.insert("empty_layer".into(), true.into());
        }
        let history = self
            .config
            .entry("history")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = history {
            list.push(Value::Object(row));
        }
        self.image = None;
    }

    fn push_layer(&mut self, diff_id: &DiffId, size: u64) {
        let rootfs = self
            .config
            .entry("rootfs")
            .or_insert_with(|| json!({"type": "layers", "diff_ids": []}));
        if let Some(ids) = rootfs
            .as_object_mut()
            .and_then(|r| r.get_mut("diff_ids"))
            .and_then(Value::as_array_mut)
        {
            ids.push(diff_id.to_string().into());
        }
        self.layers.push(Descriptor::new(
            MediaType::from(OCI_LAYER_TAR),
            size,
            oci_spec::image::Digest::from(diff_id.digest()),
        ));
        self.chain = Some(match &self.chain {
            Some(parent) => ChainId::child(parent, diff_id),
            None => ChainId(diff_id.digest().clone()),
        });
        self.image = None;
    }

    /// The config with the runtime config's keys in the order BuildKit writes them.
    fn config_bytes(&self) -> Vec<u8> {
        const ORDER: &[&str] = &[
            "User",
            "ExposedPorts",
            "Env",
            "Entrypoint",
            "Cmd",
            "Volumes",
            "WorkingDir",
            "Labels",
            "StopSignal",
            "ArgsEscaped",
            "Healthcheck",
            "OnBuild",
            "Shell",
        ];
        let mut config = self.config.clone();
        let mut rc = self.runtime.clone();
        let mut sorted = Map::new();
        for k in ORDER {
            if let Some(v) = rc.remove(*k) {
                sorted.insert((*k).to_string(), v);
            }
        }
        sorted.extend(rc);
        // Inserting an existing key keeps its place (serde_json's preserve_order).
        config.insert("config".into(), Value::Object(sorted));
        crate::go::json_bytes(&Value::Object(config))
    }
}

struct Builder<'l, 's, 'p> {
    locked: &'l Locked<'s>,
    opts: &'l BuildOptions,
    ctx: BuildContext,
    escape: char,
    vertex: usize,
    progress: &'p mut dyn FnMut(Progress),
    /// The final state of each stage built so far (`None`: skipped).
    stages: Vec<Option<State>>,
    /// Each stage's name (`FROM … AS name`), lower case.
    names: Vec<Option<String>>,
    steps_run: usize,
    steps_cached: usize,
}

/// Removes a temporary build container when dropped, whatever happened.
struct TempContainer<'l, 's> {
    locked: &'l Locked<'s>,
    id: String,
}

impl Drop for TempContainer<'_, '_> {
    fn drop(&mut self) {
        // Best effort: a leftover container is visible in `ps -a` and can be removed by hand.
        let _ = container::remove(self.locked, &self.id);
    }
}

impl<'l, 's, 'p> Builder<'l, 's, 'p> {
    fn file(&self) -> String {
        self.opts.dockerfile_name.clone()
    }

    fn invalid(&self, inst: &Instruction, message: String) -> BuildError {
        BuildError::Invalid {
            file: self.file(),
            line: inst.line,
            message,
        }
    }

    fn engine(&self, line: usize, e: impl std::error::Error + Send + Sync + 'static) -> BuildError {
        BuildError::Engine {
            file: self.file(),
            line,
            source: Box::new(e),
        }
    }

    fn vertex_start(&mut self, name: String) -> usize {
        self.vertex += 1;
        (self.progress)(Progress::Start {
            vertex: self.vertex,
            name,
        });
        self.vertex
    }

    fn vertex_done(&mut self) {
        (self.progress)(Progress::Done {
            vertex: self.vertex,
        });
    }

    /// The time a step that runs now gets.
    fn now(&self) -> i64 {
        self.opts.source_date_epoch.unwrap_or(self.opts.now)
    }

    /// `ARG a=1 b` → pairs with optional defaults (substituted).
    fn arg_pairs(
        &self,
        inst: &Instruction,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<(String, Option<String>)>, BuildError> {
        let words = parser::words(&inst.text(), self.escape, vars)
            .map_err(|m| self.invalid(inst, format!("ARG: {m}")))?;
        Ok(words
            .into_iter()
            .map(|w| match w.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (w, None),
            })
            .collect())
    }

    fn run_stage(
        &mut self,
        spec: &StageSpec<'_>,
        names: &[Option<String>],
        globals: &BTreeMap<String, String>,
        label: Option<String>,
    ) -> Result<State, BuildError> {
        let fs_steps = 1 + spec
            .body
            .iter()
            .filter(|i| ["RUN", "COPY", "ADD", "WORKDIR"].contains(&i.keyword.as_str()))
            .count();
        let mut step_no = 1;
        let step_label = |n: usize| match &label {
            Some(l) => format!("[{l} {n}/{fs_steps}]"),
            None => format!("[{n}/{fs_steps}]"),
        };

        // FROM
        let from = spec.from;
        let words = parser::words(&from.text(), self.escape, &|n| globals.get(n).cloned())
            .map_err(|m| self.invalid(from, format!("FROM: {m}")))?;
        let base = words
            .first()
            .cloned()
            .ok_or_else(|| self.invalid(from, "FROM requires at least one argument".into()))?;
        let mut state = if base.eq_ignore_ascii_case("scratch") {
            self.vertex_start(format!("{} FROM scratch", step_label(1)));
            self.vertex_done();
            scratch_state()
        } else if let Some(j) = names
            .iter()
            .position(|n| n.as_deref() == Some(base.to_ascii_lowercase().as_str()))
            .filter(|&j| j < self.stages.len())
        {
            let Some(Some(parent)) = self.stages.get(j) else {
                return Err(self.invalid(from, format!("stage {base} was not built")));
            };
            let mut s = parent.clone();
            s.args.clear();
            s.cmd_set = false;
            s.last_layer_time = None;
            self.vertex_start(format!("{} FROM {base}", step_label(1)));
            self.vertex_done();
            s
        } else {
            let (img, shown) = self.base_image(from, &base)?;
            self.vertex_start(format!("{} FROM {shown}", step_label(1)));
            self.vertex_done();
            state_of(&img).map_err(|e| self.engine(from.line, e))?
        };

        for inst in &spec.body {
            let kw = inst.keyword.as_str();
            if ["RUN", "COPY", "ADD", "WORKDIR"].contains(&kw) {
                step_no += 1;
            }
            let label = step_label(step_no);
            match kw {
                "RUN" => self.run(&mut state, inst, &label)?,
                "COPY" | "ADD" => self.copy(&mut state, inst, &label)?,
                "WORKDIR" => self.workdir(&mut state, inst, &label)?,
                _ => self.metadata(&mut state, inst, globals)?,
            }
        }
        Ok(state)
    }

    /// Finds the base image in the store, or pulls it from the sample registry.
    fn base_image(&self, from: &Instruction, name: &str) -> Result<(Image, String), BuildError> {
        let index = self.locked.index().map_err(|e| self.engine(from.line, e))?;
        let reference = Reference::parse_tagged(name).ok();
        let shown = reference
            .as_ref()
            .map(|r| r.full())
            .unwrap_or_else(|| name.to_string());
        if let Ok(record) = image::resolve(&index, name) {
            let img = Image::load(self.locked, record).map_err(|e| self.engine(from.line, e))?;
            return Ok((img, shown));
        }
        let unknown = |reason: String| BuildError::UnknownImage {
            file: self.file(),
            line: from.line,
            keyword: match from.keyword.as_str() {
                "FROM" => "FROM ",
                "ADD" => "ADD --from=",
                _ => "COPY --from=",
            },
            name: name.to_string(),
            reason,
        };
        let Some(reference) = reference.clone() else {
            return Err(unknown("invalid reference format".into()));
        };
        distribution::pull(self.locked, &reference, &mut |_| {})
            .map_err(|e| unknown(e.to_string()))?;
        let index = self.locked.index().map_err(|e| self.engine(from.line, e))?;
        let record = image::resolve(&index, name).map_err(|e| unknown(e.to_string()))?;
        let img = Image::load(self.locked, record).map_err(|e| self.engine(from.line, e))?;
        Ok((img, shown))
    }

    /// The image for a state, saved (config and manifest blobs, not in the index) the first
    /// time a step needs a container on it.
    fn image_of(&self, state: &mut State, line: usize) -> Result<Image, BuildError> {
        if let Some(img) = &state.image {
            return Ok(img.clone());
        }
        let bytes = state.config_bytes();
        let config = self
            .locked
            .put_blob(&bytes, None)
            .map_err(|e| self.engine(line, e))?;
        let manifest = ImageManifestBuilder::default()
            .schema_version(2u32)
            .media_type(MediaType::ImageManifest)
            .config(Descriptor::new(
                MediaType::ImageConfig,
                config.size,
                oci_spec::image::Digest::from(&config.digest),
            ))
            .layers(state.layers.clone())
            .build()
            .map_err(|e| self.engine(line, e))?;
        let manifest_bytes = serde_json::to_vec(&manifest).map_err(|e| self.engine(line, e))?;
        let written = self
            .locked
            .put_blob(&manifest_bytes, None)
            .map_err(|e| self.engine(line, e))?;
        let record = ImageRecord {
            id: config.digest,
            manifest: written.digest,
            manifest_size: written.size,
            manifest_media_type: MediaType::ImageManifest.to_string(),
            parent: None,
            references: BTreeSet::new(),
        };
        let img = Image::load(self.locked, &record).map_err(|e| self.engine(line, e))?;
        state.image = Some(img.clone());
        Ok(img)
    }

    /// A file-system step: from the cache, or by running `op` in a temporary container whose
    /// read/write layer becomes the step's layer.
    #[allow(clippy::too_many_arguments)]
    fn fs_step(
        &mut self,
        state: &mut State,
        inst: &Instruction,
        label: &str,
        shown: &str,
        created_by: &str,
        key_parts: &[&str],
        op: &mut dyn FnMut(&mut Builder<'l, 's, 'p>, &mut Container) -> Result<Owners, BuildError>,
    ) -> Result<(), BuildError> {
        let mut parts = vec![created_by];
        parts.extend_from_slice(key_parts);
        let key = cache::key(&state.key, &parts);
        self.vertex_start(format!("{label} {shown}"));
        let cached = if self.opts.no_cache {
            None
        } else {
            cache::lookup(self.locked, &key)
        };
        if let Some(record) = cached {
            if let Some(layer) = &record.layer {
                self.locked
                    .unpack_layer(
                        layer.diff_id.digest(),
                        false,
                        state.chain.as_ref(),
                        &layer.diff_id,
                    )
                    .map_err(|e| self.engine(inst.line, e))?;
                state.push_layer(&layer.diff_id, layer.size);
            }
            let created = self.opts.source_date_epoch.unwrap_or(record.created);
            state.push_history(created, created_by, record.layer.is_none());
            state.last_layer_time = Some(created);
            state.key = key;
            self.steps_cached += 1;
            (self.progress)(Progress::Cached {
                vertex: self.vertex,
            });
            return Ok(());
        }

        let img = self.image_of(state, inst.line)?;
        let now = self.now();
        let mut c = Container::create(self.locked, &img, None, &[], self.opts.now)
            .map_err(|e| self.engine(inst.line, e))?;
        let _guard = TempContainer {
            locked: self.locked,
            id: c.id().to_string(),
        };
        c.set_clock(now);
        let owners = op(self, &mut c)?;

        // The read/write layer, tarred: root-owned (or --chown), SOURCE_DATE_EPOCH times.
        // Even an unchanged read/write layer becomes a (empty) layer: Docker 20.10's BuildKit
        // keeps a layer for every RUN, COPY, ADD and WORKDIR (observed against the daemon).
        let upper = c.upper_dir();
        let layer = {
            let opts = TarOptions {
                mtime: self
                    .opts
                    .source_date_epoch
                    .map(|t| u64::try_from(t).unwrap_or(0)),
                uid: Some(0),
                gid: Some(0),
                owners,
            };
            let mut writer = self
                .locked
                .blob_writer()
                .map_err(|e| self.engine(inst.line, e))?;
            layer::write_tar(&upper, &opts, &mut writer).map_err(|e| self.engine(inst.line, e))?;
            let written = writer.finish(None).map_err(|e| self.engine(inst.line, e))?;
            let diff_id = DiffId(written.digest.clone());
            self.locked
                .unpack_layer(&written.digest, false, state.chain.as_ref(), &diff_id)
                .map_err(|e| self.engine(inst.line, e))?;
            Some(CachedLayer {
                diff_id,
                size: written.size,
            })
        };
        if let Some(l) = &layer {
            state.push_layer(&l.diff_id, l.size);
        }
        state.push_history(now, created_by, layer.is_none());
        state.last_layer_time = Some(now);
        state.key = key.clone();
        cache::save(
            self.locked,
            &key,
            &CacheRecord {
                layer,
                created: now,
            },
        )
        .map_err(|e| self.engine(inst.line, e))?;
        self.steps_run += 1;
        self.vertex_done();
        Ok(())
    }

    /// A metadata step: the config changes, an `empty_layer` row is added.
    fn metadata(
        &mut self,
        state: &mut State,
        inst: &Instruction,
        globals: &BTreeMap<String, String>,
    ) -> Result<(), BuildError> {
        let esc = self.escape;
        let kw = inst.keyword.as_str();
        let vars_state = state.clone();
        let vars = move |n: &str| vars_state.var(n);
        let bad = |m: String| self.invalid(inst, format!("{kw}: {m}"));
        let created_by: String = match kw {
            "ENV" => {
                let pairs = parser::pairs(&inst.text(), esc, &vars, kw).map_err(bad)?;
                let mut env = state.env();
                for (k, v) in &pairs {
                    match env.iter_mut().find(|(ek, _)| ek == k) {
                        Some(e) => e.1 = v.clone(),
                        None => env.push((k.clone(), v.clone())),
                    }
                }
                let list: Vec<Value> = env.iter().map(|(k, v)| format!("{k}={v}").into()).collect();
                state.runtime().insert("Env".into(), Value::Array(list));
                let shown: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("ENV {}", shown.join(" "))
            }
            "ARG" => {
                let mut shown = Vec::new();
                for (k, default) in self.arg_pairs(inst, &vars)? {
                    let value = self
                        .opts
                        .build_args
                        .get(&k)
                        .cloned()
                        .or(default.clone())
                        .or_else(|| globals.get(&k).cloned());
                    shown.push(match &default {
                        Some(d) => format!("{k}={d}"),
                        None => k.clone(),
                    });
                    match value {
                        Some(v) => {
                            state.args.insert(k, v);
                        }
                        None => {
                            state.args.remove(&k);
                        }
                    }
                }
                format!("ARG {}", shown.join(" "))
            }
            "LABEL" => {
                let pairs = parser::pairs(&inst.text(), esc, &vars, kw).map_err(bad)?;
                let labels = state.runtime_object("Labels");
                for (k, v) in &pairs {
                    labels.insert(k.clone(), v.clone().into());
                }
                let shown: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("LABEL {}", shown.join(" "))
            }
            "MAINTAINER" => {
                let who = parser::word(&inst.text(), esc, &vars).map_err(bad)?;
                state.config.insert("author".into(), who.clone().into());
                format!("MAINTAINER {who}")
            }
            "CMD" | "ENTRYPOINT" => {
                let list = match &inst.args {
                    Args::Json(l) => l.clone(),
                    Args::Text(t) => {
                        let mut s = state.shell();
                        s.push(t.clone());
                        s
                    }
                };
                let field = if kw == "CMD" { "Cmd" } else { "Entrypoint" };
                state.runtime().insert(field.into(), json!(list));
                if kw == "CMD" {
                    state.cmd_set = true;
                } else if !state.cmd_set {
                    state.runtime().insert("Cmd".into(), Value::Null);
                }
                format!("{kw} {}", crate::go::quote_list(&list))
            }
            "EXPOSE" => {
                let ports = parser::words(&inst.text(), esc, &vars).map_err(bad)?;
                let ports: BTreeSet<String> = ports
                    .iter()
                    .map(|p| {
                        if p.contains('/') {
                            p.to_ascii_lowercase()
                        } else {
                            format!("{p}/tcp")
                        }
                    })
                    .collect();
                let exposed = state.runtime_object("ExposedPorts");
                for p in &ports {
                    exposed.insert(p.clone(), json!({}));
                }
                // BuildKit prints the Go map of this instruction's ports (keys sorted).
                let shown: Vec<String> = ports.iter().map(|p| format!("{p}:{{}}")).collect();
                format!("EXPOSE map[{}]", shown.join(" "))
            }
            "USER" => {
                let user = parser::word(&inst.text(), esc, &vars).map_err(bad)?;
                state.runtime().insert("User".into(), user.clone().into());
                format!("USER {user}")
            }
            "STOPSIGNAL" => {
                let sig = parser::word(&inst.text(), esc, &vars).map_err(bad)?;
                state
                    .runtime()
                    .insert("StopSignal".into(), sig.clone().into());
                format!("STOPSIGNAL {sig}")
            }
            "VOLUME" => {
                let list = match &inst.args {
                    Args::Json(l) => l.clone(),
                    Args::Text(t) => parser::words(t, esc, &vars).map_err(bad)?,
                };
                let volumes = state.runtime_object("Volumes");
                for v in &list {
                    volumes.insert(v.clone(), json!({}));
                }
                format!("VOLUME [{}]", list.join(" "))
            }
            "SHELL" => {
                let Args::Json(list) = &inst.args else {
                    return Err(bad("SHELL requires the arguments to be in JSON form".into()));
                };
                state.runtime().insert("Shell".into(), json!(list));
                format!("SHELL [{}]", list.join(" "))
            }
            "ONBUILD" => {
                let text = inst.text();
                let list = state
                    .runtime()
                    .entry("OnBuild")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if !list.is_array() {
                    *list = Value::Array(Vec::new());
                }
                if let Value::Array(l) = list {
                    l.push(text.clone().into());
                }
                format!("ONBUILD {text}")
            }
            "HEALTHCHECK" => {
                let check = healthcheck(inst, state).map_err(bad)?;
                let shown = healthcheck_text(&check);
                state.runtime().insert("Healthcheck".into(), check);
                format!("HEALTHCHECK {shown}")
            }
            other => return Err(self.invalid(inst, format!("unknown instruction: {other}"))),
        };
        self.metadata_step(state, &created_by);
        Ok(())
    }

    /// Records a step that changes only the config: an `empty_layer` history row, dated like
    /// the last layer (or `SOURCE_DATE_EPOCH`), and the cache key it leads to.
    fn metadata_step(&self, state: &mut State, created_by: &str) {
        let created = self
            .opts
            .source_date_epoch
            .or(state.last_layer_time)
            .unwrap_or(self.opts.now);
        state.key = cache::key(&state.key, &[created_by]);
        state.push_history(created, created_by, true);
    }

    fn run(
        &mut self,
        state: &mut State,
        inst: &Instruction,
        label: &str,
    ) -> Result<(), BuildError> {
        let argv = match &inst.args {
            Args::Json(l) => l.clone(),
            Args::Text(t) => {
                let mut s = state.shell();
                s.push(t.clone());
                s
            }
        };
        if let Some((flag, _)) = inst.flags.first() {
            return Err(self.invalid(
                inst,
                format!("RUN: the --{flag} flag is not supported by capas"),
            ));
        }
        // Build args in scope join the environment and the history text (`|1 V=1 …`).
        let env_keys: BTreeSet<String> = state.env().into_iter().map(|(k, _)| k).collect();
        let args: Vec<(String, String)> = state
            .args
            .iter()
            .filter(|(k, _)| !env_keys.contains(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut created_by = String::from("RUN ");
        if !args.is_empty() {
            created_by.push_str(&format!("|{} ", args.len()));
            for (k, v) in &args {
                created_by.push_str(&format!("{k}={v} "));
            }
        }
        created_by.push_str(&argv.join(" "));
        created_by.push_str(" # buildkit");
        let shown = format!("RUN {}", inst.text());
        let mut env = state.env();
        env.extend(args.iter().cloned());
        if !env.iter().any(|(k, _)| k == "PATH") {
            env.push(("PATH".into(), DEFAULT_PATH.into()));
        }
        let workdir = state
            .string("WorkingDir")
            .filter(|w| !w.is_empty())
            .unwrap_or_else(|| "/".into());
        let line = inst.line;
        let file = self.file();
        let now = self.now();
        self.fs_step(state, inst, label, &shown, &created_by, &[], &mut |b, c| {
            let mut shell = Shell::new(env.clone(), &workdir).with_now(now);
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let code = shell.run_argv(c, &argv, &mut out, &mut err);
            for text in [&out, &err] {
                for l in String::from_utf8_lossy(text).lines() {
                    (b.progress)(Progress::Log {
                        vertex: b.vertex,
                        line: l.to_string(),
                    });
                }
            }
            if code != 0 {
                return Err(BuildError::RunFailed {
                    file: file.clone(),
                    line,
                    command: argv.join(" "),
                    code,
                });
            }
            Ok(Owners::new())
        })
    }

    fn workdir(
        &mut self,
        state: &mut State,
        inst: &Instruction,
        label: &str,
    ) -> Result<(), BuildError> {
        let vars_state = state.clone();
        let dir = parser::word(&inst.text(), self.escape, &|n| vars_state.var(n))
            .map_err(|m| self.invalid(inst, format!("WORKDIR: {m}")))?;
        let dir = if dir.starts_with('/') {
            dir
        } else {
            let current = state.string("WorkingDir").unwrap_or_else(|| "/".into());
            format!("{}/{dir}", current.trim_end_matches('/'))
        };
        let dir = format!("/{}", context::clean(&dir).unwrap_or_default());
        state
            .runtime()
            .insert("WorkingDir".into(), dir.clone().into());
        let created_by = format!("WORKDIR {dir}");
        if dir == "/" {
            self.metadata_step(state, &created_by);
            return Ok(());
        }
        let line = inst.line;
        self.fs_step(
            state,
            inst,
            label,
            &created_by.clone(),
            &created_by,
            &[],
            &mut |b, c| {
                mkdir_p(c, &dir, &mut Owners::new(), None).map_err(|e| b.engine(line, e))?;
                Ok(Owners::new())
            },
        )
    }

    fn copy(
        &mut self,
        state: &mut State,
        inst: &Instruction,
        label: &str,
    ) -> Result<(), BuildError> {
        let kw = inst.keyword.clone();
        for (flag, _) in &inst.flags {
            if !["from", "chown", "chmod"].contains(&flag.as_str())
                || (flag == "from" && kw == "ADD")
            {
                return Err(self.invalid(
                    inst,
                    format!("{kw}: the --{flag} flag is not supported by capas"),
                ));
            }
        }
        let vars_state = state.clone();
        let vars = |n: &str| vars_state.var(n);
        let mut words = match &inst.args {
            Args::Json(l) => l.clone(),
            Args::Text(t) => parser::words(t, self.escape, &vars)
                .map_err(|m| self.invalid(inst, format!("{kw}: {m}")))?,
        };
        if words.len() < 2 {
            return Err(self.invalid(inst, format!("{kw} requires at least two arguments")));
        }
        let dest_word = words.pop().unwrap_or_default();
        let chmod = match inst.flag("chmod") {
            Some(m) => Some(
                u32::from_str_radix(m, 8)
                    .ok()
                    .filter(|m| *m <= 0o7777)
                    .ok_or_else(|| {
                        self.invalid(inst, format!("{kw}: invalid --chmod value {m:?}"))
                    })?,
            ),
            None => None,
        };
        let chown = inst.flag("chown").map(str::to_string);

        // The sources, and what they hold.
        let mut from_key = String::new();
        let mut sources: Vec<Source> = Vec::new();
        let from_view = match inst.flag("from") {
            Some(from) => {
                let (view, key) = self.view_of_from(inst, from)?;
                from_key = key;
                Some(view)
            }
            None => None,
        };
        for src in &words {
            if kw == "ADD" && (src.starts_with("http://") || src.starts_with("https://")) {
                return Err(self.invalid(
                    inst,
                    format!("ADD: remote URLs are not supported by capas: {src}"),
                ));
            }
            let found = match &from_view {
                Some(view) => context::image_sources(view, src),
                None => self.ctx.sources(src),
            };
            let found = found.map_err(|e| match e {
                SourceError::NotFound(p) => BuildError::SourceNotFound {
                    file: self.file(),
                    line: inst.line,
                    keyword: kw.clone(),
                    path: p,
                },
                SourceError::Outside(p) => BuildError::OutsideContext {
                    file: self.file(),
                    line: inst.line,
                    keyword: kw.clone(),
                    path: p,
                },
                SourceError::Io(m) => self.invalid(inst, format!("{kw}: {m}")),
            })?;
            sources.extend(found);
        }
        let digest = context::content_digest(&sources).map_err(|e| self.engine(inst.line, e))?;

        let mut flags = String::new();
        if let Some(c) = &chown {
            flags.push_str(&format!("--chown={c} "));
        }
        if let Some(m) = inst.flag("chmod") {
            flags.push_str(&format!("--chmod={m} "));
        }
        let args_text = {
            let mut all = words.clone();
            all.push(dest_word.clone());
            all.join(" ")
        };
        // Docker 20.10's BuildKit does not echo `--chown`/`--chmod` in the history (observed;
        // newer BuildKit does): the machine's daemon is the one the labs compare with.
        let created_by = format!("{kw} {args_text} # buildkit");
        let shown = match inst.flag("from") {
            Some(f) => format!("{kw} --from={f} {flags}{args_text}"),
            None => format!("{kw} {flags}{args_text}"),
        };
        // The destination: relative to WORKDIR; a directory if it ends in `/` or there are
        // several sources.
        let workdir = state.string("WorkingDir").unwrap_or_else(|| "/".into());
        let dest_abs = if dest_word.starts_with('/') {
            dest_word.clone()
        } else {
            format!("{}/{dest_word}", workdir.trim_end_matches('/'))
        };
        let dest = format!("/{}", context::clean(&dest_abs).unwrap_or_default());
        let dest_is_dir = dest_word.ends_with('/') || dest_word == "." || sources.len() > 1;
        let line = inst.line;
        let add = kw == "ADD";
        self.fs_step(
            state,
            inst,
            label,
            &shown,
            &created_by,
            &[&digest, &from_key],
            &mut |b, c| {
                let owner = match &chown {
                    Some(spec) => Some(
                        resolve_owner(c, spec)
                            .map_err(|m| b.invalid(inst, format!("{kw}: {m}")))?,
                    ),
                    None => None,
                };
                let mut owners = Owners::new();
                for source in &sources {
                    let into_dir = dest_is_dir
                        || source.is_dir()
                        || c.stat(&dest).is_ok_and(|s| s.kind == FileKind::Dir);
                    if add
                        && !source.is_dir()
                        && let Some(ItemKind::File { host }) = source.items.first().map(|i| &i.kind)
                        && let Some(tar) = read_tar(host).map_err(|e| b.engine(line, e))?
                    {
                        mkdir_p(c, &dest, &mut owners, owner).map_err(|e| b.engine(line, e))?;
                        extract_tar(c, &dest, &tar, chmod, owner, &mut owners)
                            .map_err(|e| b.invalid(inst, format!("ADD: {e}")))?;
                        continue;
                    }
                    let base = if source.is_dir() {
                        dest.clone()
                    } else if into_dir {
                        let name = source.name.rsplit('/').next().unwrap_or_default();
                        format!("{}/{name}", dest.trim_end_matches('/'))
                    } else {
                        dest.clone()
                    };
                    let parent = base.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
                    if !parent.is_empty() {
                        mkdir_p(c, parent, &mut owners, owner).map_err(|e| b.engine(line, e))?;
                    }
                    for item in &source.items {
                        let target = if item.rel.is_empty() {
                            base.clone()
                        } else {
                            format!("{}/{}", base.trim_end_matches('/'), item.rel)
                        };
                        // A destination directory that exists keeps its owner.
                        let existed = item.rel.is_empty() && c.lstat(&target).is_ok();
                        put_item(c, &target, item, chmod)
                            .map_err(|e| b.invalid(inst, format!("{kw}: {target}: {e}")))?;
                        if let Some(o) = owner.filter(|_| !existed) {
                            owners.insert(target.trim_start_matches('/').to_string(), o);
                        }
                    }
                }
                Ok(owners)
            },
        )
    }

    /// The image view of `--from=stage` (a stage name or index, or an image), and a key for
    /// the cache (the image ID).
    fn view_of_from(
        &mut self,
        inst: &Instruction,
        from: &str,
    ) -> Result<(UnionView, String), BuildError> {
        let lower = from.to_ascii_lowercase();
        let index = self
            .names
            .iter()
            .position(|n| n.as_deref() == Some(lower.as_str()))
            .or_else(|| lower.parse::<usize>().ok());
        let img = match index {
            Some(i) if i < self.stages.len() => {
                let Some(Some(mut stage)) = self.stages.get(i).cloned() else {
                    return Err(self.invalid(inst, format!("stage {from} was not built")));
                };
                let img = self.image_of(&mut stage, inst.line)?;
                self.stages[i] = Some(stage);
                img
            }
            Some(_) if lower.parse::<usize>().is_ok() => {
                return Err(self.invalid(
                    inst,
                    format!(
                        "invalid from flag value {from}: refers to current or a later build stage"
                    ),
                ));
            }
            _ => self.base_image(inst, from)?.0,
        };
        let view = UnionView::of_image(self.locked, &img).map_err(|e| self.engine(inst.line, e))?;
        Ok((view, img.id().to_string()))
    }

    /// Writes the final image and names it.
    fn export(mut self, mut state: State) -> Result<Built, BuildError> {
        self.vertex_start("exporting to image".into());
        if !self.opts.labels.is_empty() {
            let labels = state.runtime_object("Labels");
            for (k, v) in &self.opts.labels {
                labels.insert(k.clone(), v.clone().into());
            }
        }
        // The image's time is its newest step's (so a fully cached rebuild is the same image).
        let created = state
            .config
            .get("history")
            .and_then(Value::as_array)
            .and_then(|h| h.last())
            .and_then(|r| r.get("created"))
            .cloned()
            .unwrap_or_else(|| image::format_time(self.now()).into());
        state.config.insert("created".into(), created);
        let bytes = state.config_bytes();
        let before = self.locked.index().map_err(|e| self.engine(0, e))?;
        let record = image::commit_image(
            self.locked,
            &bytes,
            state.layers.clone(),
            None,
            &self.opts.tags,
        )
        .map_err(|e| self.engine(0, e))?;
        let untagged = self
            .opts
            .tags
            .iter()
            .filter_map(|t| before.by_reference(t))
            .filter(|r| r.id != record.id)
            .map(|r| r.id.clone())
            .collect();
        self.vertex_done();
        Ok(Built {
            record,
            untagged,
            steps_run: self.steps_run,
            steps_cached: self.steps_cached,
        })
    }
}

/// `nosuch:1` → `nosuch`, as Docker names a repository in its pull errors.
fn familiar_repository(name: &str) -> String {
    Reference::parse_tagged(name)
        .map(|r| r.familiar_repository())
        .unwrap_or_else(|_| name.to_string())
}

/// Owners to write for some paths of a layer (`COPY --chown`), by path without leading `/`.
type Owners = BTreeMap<String, (u64, u64)>;

/// The state of `FROM scratch`: no layers, BuildKit's default config.
fn scratch_state() -> State {
    let mut config = Map::new();
    config.insert("architecture".into(), "amd64".into());
    config.insert("config".into(), json!({}));
    let mut runtime = Map::new();
    runtime.insert("Env".into(), json!([format!("PATH={DEFAULT_PATH}")]));
    runtime.insert("WorkingDir".into(), "/".into());
    config.insert("created".into(), Value::Null);
    config.insert("history".into(), json!([]));
    config.insert("os".into(), "linux".into());
    config.insert("rootfs".into(), json!({"type": "layers", "diff_ids": []}));
    State {
        config,
        runtime,
        layers: Vec::new(),
        chain: None,
        key: cache::key(&Digest::of_bytes(b"scratch"), &[]),
        args: BTreeMap::new(),
        cmd_set: false,
        last_layer_time: None,
        image: None,
    }
}

/// The state of `FROM image`: its layers and its config (without the fields that describe
/// the container that built it, which BuildKit does not carry over).
fn state_of(img: &Image) -> Result<State, serde_json::Error> {
    let value: Value = serde_json::from_slice(img.config_bytes())?;
    let mut config = match value {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for k in [
        "container",
        "container_config",
        "docker_version",
        "id",
        "parent",
    ] {
        config.remove(k);
    }
    let runtime = match config.get("config") {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    config.insert("config".into(), json!({}));
    Ok(State {
        config,
        runtime,
        layers: img.manifest().layers().clone(),
        chain: img.top_chain().cloned(),
        key: cache::key(img.id(), &[]),
        args: BTreeMap::new(),
        cmd_set: false,
        last_layer_time: None,
        image: Some(img.clone()),
    })
}

/// Go's `%q` of a `[]string`, as BuildKit prints `CMD`: `["cat" "/app/x"]`.
/// `HEALTHCHECK [--interval=…] CMD …` or `HEALTHCHECK NONE` → the config's `Healthcheck`.
fn healthcheck(inst: &Instruction, state: &State) -> Result<Value, String> {
    let mut check = Map::new();
    let text = inst.text();
    let (first, rest) = text.split_once(char::is_whitespace).unwrap_or((&text, ""));
    match first.to_ascii_uppercase().as_str() {
        "NONE" => {
            check.insert("Test".into(), json!(["NONE"]));
            return Ok(Value::Object(check));
        }
        "CMD" => {
            let rest = rest.trim();
            let test = if rest.starts_with('[') {
                let mut l: Vec<String> = serde_json::from_str(rest).map_err(|e| e.to_string())?;
                l.insert(0, "CMD".into());
                l
            } else {
                vec!["CMD-SHELL".to_string(), rest.to_string()]
            };
            check.insert("Test".into(), json!(test));
        }
        other => return Err(format!("Unknown type {other:?} in HEALTHCHECK (try CMD)")),
    }
    let _ = state;
    for (name, value) in &inst.flags {
        let field = match name.as_str() {
            "interval" => "Interval",
            "timeout" => "Timeout",
            "start-period" => "StartPeriod",
            "retries" => "Retries",
            other => return Err(format!("unknown flag: --{other}")),
        };
        let number = if name == "retries" {
            value.parse::<i64>().map_err(|e| e.to_string())?
        } else {
            crate::go::parse_duration(value).map_err(|e| e.to_string())?
        };
        check.insert(field.into(), number.into());
    }
    Ok(Value::Object(check))
}

/// BuildKit's `%q` of the health config struct: `&{["CMD-SHELL" "x"] "30s" "0s" "0s" '\x00'}`.
fn healthcheck_text(check: &Value) -> String {
    let test: Vec<String> = check
        .get("Test")
        .and_then(|t| serde_json::from_value(t.clone()).ok())
        .unwrap_or_default();
    let dur = |k: &str| {
        let ns = check.get(k).and_then(Value::as_i64).unwrap_or(0);
        format!("\"{}\"", crate::go::format_duration(ns))
    };
    let retries = check.get("Retries").and_then(Value::as_i64).unwrap_or(0);
    format!(
        "&{{{} {} {} {} '\\x{retries:02x}'}}",
        crate::go::quote_list(&test),
        dur("Interval"),
        dur("Timeout"),
        dur("StartPeriod")
    )
}

/// `mkdir -p` in the container; directories it creates get `owner` in the layer.
fn mkdir_p(
    c: &mut Container,
    dir: &str,
    owners: &mut Owners,
    owner: Option<(u64, u64)>,
) -> io::Result<()> {
    let mut path = String::new();
    for part in dir.split('/').filter(|p| !p.is_empty()) {
        path.push('/');
        path.push_str(part);
        match c.stat(&path) {
            Ok(s) if s.kind == FileKind::Dir => {}
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    format!("{path} is not a directory"),
                ));
            }
            Err(_) => {
                c.mkdir(&path, 0o755)?;
                if let Some(o) = owner {
                    owners.insert(path.trim_start_matches('/').to_string(), o);
                }
            }
        }
    }
    Ok(())
}

/// Copies one source entry to `target` in the container, keeping its mode (or `--chmod`) and
/// its modification time, as Docker's COPY does.
fn put_item(c: &mut Container, target: &str, item: &Item, chmod: Option<u32>) -> io::Result<()> {
    let mode = chmod.unwrap_or(item.mode);
    match &item.kind {
        ItemKind::Dir => {
            match c.lstat(target) {
                Ok(s) if s.kind == FileKind::Dir => {
                    if item.rel.is_empty() {
                        return Ok(()); // the destination itself keeps its metadata
                    }
                    if s.mode != mode {
                        c.chmod(target, mode)?;
                    }
                }
                Ok(_) => {
                    c.remove_file(target)?;
                    c.mkdir(target, mode)?;
                }
                Err(_) => c.mkdir(target, mode)?,
            }
            if !item.rel.is_empty() {
                c.set_mtime(target, item.mtime)?;
            }
        }
        ItemKind::File { host } => {
            if let Ok(s) = c.lstat(target)
                && s.kind == FileKind::Symlink
            {
                c.remove_file(target)?;
            }
            let data = fs::read(host)?;
            c.write(target, &data, false)?;
            c.chmod(target, mode)?;
            c.set_mtime(target, item.mtime)?;
        }
        ItemKind::Symlink(link) => {
            if c.lstat(target).is_ok() {
                c.remove_file(target)?;
            }
            c.symlink(link, target)?;
        }
    }
    Ok(())
}

/// `--chown=user[:group]`: numbers, or names looked up in the image's `/etc/passwd` and
/// `/etc/group`.
fn resolve_owner(c: &Container, spec: &str) -> Result<(u64, u64), String> {
    let (user, group) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let read = |path: &str| -> String {
        let mut text = String::new();
        if let Ok(mut r) = c.open_read(path) {
            let _ = r.read_to_string(&mut text);
        }
        text
    };
    let lookup = |file: &str, name: &str| -> Option<(u64, u64)> {
        read(file).lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.first() == Some(&name)).then(|| {
                (
                    f.get(2).and_then(|v| v.parse().ok()).unwrap_or(0),
                    f.get(3).and_then(|v| v.parse().ok()).unwrap_or(0),
                )
            })
        })
    };
    let (uid, primary_gid) = match user.parse::<u64>() {
        Ok(n) => (n, n),
        Err(_) => lookup("/etc/passwd", user).ok_or_else(|| {
            format!("unable to find user {user}: no matching entries in passwd file")
        })?,
    };
    let gid = match group {
        None => primary_gid,
        Some(g) => match g.parse::<u64>() {
            Ok(n) => n,
            Err(_) => lookup("/etc/group", g).map(|(gid, _)| gid).ok_or_else(|| {
                format!("unable to find group {g}: no matching entries in group file")
            })?,
        },
    };
    Ok((uid, gid))
}

/// The bytes of a local file `ADD` should extract: a tar, maybe gzipped. `None` if it is not one.
fn read_tar(host: &std::path::Path) -> io::Result<Option<Vec<u8>>> {
    let bytes = fs::read(host)?;
    let plain = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        if flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .is_err()
        {
            return Ok(None);
        }
        out
    } else {
        bytes
    };
    let is_tar = plain.len() >= 512 && (&plain[257..262] == b"ustar");
    Ok(is_tar.then_some(plain))
}

/// Extracts a tar into `dest` in the container (`ADD archive.tar /dest/`).
fn extract_tar(
    c: &mut Container,
    dest: &str,
    tar: &[u8],
    chmod: Option<u32>,
    owner: Option<(u64, u64)>,
    owners: &mut Owners,
) -> io::Result<()> {
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let raw = entry.path()?.to_string_lossy().into_owned();
        let Some(rel) = context::clean(&raw).filter(|r| !r.is_empty()) else {
            continue;
        };
        if raw.split('/').any(|p| p == "..") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("archive entry {raw} leads outside the destination"),
            ));
        }
        let target = format!("{}/{rel}", dest.trim_end_matches('/'));
        if let Some((parent, _)) = target.rsplit_once('/')
            && !parent.is_empty()
        {
            mkdir_p(c, parent, owners, owner)?;
        }
        let mode = chmod.unwrap_or(entry.header().mode()? & 0o7777);
        let mtime = i64::try_from(entry.header().mtime()?).unwrap_or(0);
        let kind = entry.header().entry_type();
        let item_kind = if kind.is_dir() {
            ItemKind::Dir
        } else if kind.is_symlink() {
            let link = entry
                .link_name()?
                .map(|l| l.to_string_lossy().into_owned())
                .unwrap_or_default();
            ItemKind::Symlink(link)
        } else if kind.is_file() {
            let mut data = Vec::new();
            entry.read_to_end(&mut data)?;
            if let Ok(s) = c.lstat(&target)
                && s.kind != FileKind::Dir
            {
                c.remove_file(&target)?;
            }
            c.write(&target, &data, false)?;
            c.chmod(&target, mode)?;
            c.set_mtime(&target, mtime)?;
            if let Some(o) = owner {
                owners.insert(target.trim_start_matches('/').to_string(), o);
            }
            continue;
        } else if kind.is_hard_link() {
            let link = entry
                .link_name()?
                .map(|l| l.to_string_lossy().into_owned())
                .unwrap_or_default();
            let existing = format!(
                "{}/{}",
                dest.trim_end_matches('/'),
                context::clean(&link).unwrap_or_default()
            );
            c.hard_link(&existing, &target)?;
            continue;
        } else {
            continue;
        };
        let item = Item {
            rel: rel.clone(),
            kind: item_kind,
            mode,
            mtime,
        };
        put_item(c, &target, &item, chmod)?;
        if let Some(o) = owner {
            owners.insert(target.trim_start_matches('/').to_string(), o);
        }
    }
    Ok(())
}
