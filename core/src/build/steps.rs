//! The build's steps: a stage from its `FROM` to its last instruction, the file-system steps
//! (a temporary container whose read/write layer becomes the step's layer, or the cache's
//! layer), and the export of the final image.

use std::collections::{BTreeMap, BTreeSet};

use oci_spec::image::{Descriptor, ImageManifestBuilder, MediaType};
use serde_json::Value;

use super::cache::{self, CacheRecord, CachedLayer};
use super::context::BuildContext;
use super::parser::{self, Instruction};
use super::state::{State, scratch_state, state_of};
use super::{BuildError, BuildOptions, Built, Progress, StageSpec};
use crate::container::{self, Container};
use crate::digest::DiffId;
use crate::distribution;
use crate::image::instructions::{Caller, Interpreter};
use crate::image::{self, Image};
use crate::layer::{self, TarOptions};
use crate::reference::Reference;
use crate::store::{ImageRecord, Locked};

/// Owners to write for some paths of a layer (`COPY --chown`), by path without leading `/`.
pub(super) type Owners = BTreeMap<String, (u64, u64)>;

/// One build: the store, the options, and what the stages built so far left.
pub(super) struct Builder<'l, 's, 'p> {
    pub(super) locked: &'l Locked<'s>,
    pub(super) opts: &'l BuildOptions,
    pub(super) ctx: BuildContext,
    pub(super) escape: char,
    pub(super) vertex: usize,
    pub(super) progress: &'p mut dyn FnMut(Progress),
    /// The final state of each stage built so far (`None`: skipped).
    pub(super) stages: Vec<Option<State>>,
    /// Each stage's name (`FROM … AS name`), lower case.
    pub(super) names: Vec<Option<String>>,
    pub(super) steps_run: usize,
    pub(super) steps_cached: usize,
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
    pub(super) fn file(&self) -> String {
        self.opts.dockerfile_name.clone()
    }

    pub(super) fn invalid(&self, inst: &Instruction, message: String) -> BuildError {
        BuildError::Invalid {
            file: self.file(),
            line: inst.line,
            message,
        }
    }

    pub(super) fn engine(
        &self,
        line: usize,
        e: impl std::error::Error + Send + Sync + 'static,
    ) -> BuildError {
        BuildError::Engine {
            file: self.file(),
            line,
            source: Box::new(e),
        }
    }

    pub(super) fn vertex_start(&mut self, name: String) -> usize {
        self.vertex += 1;
        (self.progress)(Progress::Start {
            vertex: self.vertex,
            name,
        });
        self.vertex
    }

    pub(super) fn vertex_done(&mut self) {
        (self.progress)(Progress::Done {
            vertex: self.vertex,
        });
    }

    /// The time a step that runs now gets.
    pub(super) fn now(&self) -> i64 {
        self.opts.source_date_epoch.unwrap_or(self.opts.now)
    }

    /// `ARG a=1 b` → pairs with optional defaults (substituted).
    pub(super) fn arg_pairs(
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

    pub(super) fn run_stage(
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

        // The config steps of one stage share an interpreter: a CMD of this stage survives a
        // later ENTRYPOINT, one of the base image does not.
        let mut config_steps = Interpreter::new(Caller::Build, self.escape);
        for inst in &spec.body {
            let kw = inst.keyword.as_str();
            if ["RUN", "COPY", "ADD", "WORKDIR"].contains(&kw) {
                step_no += 1;
            }
            let label = step_label(step_no);
            match kw {
                "RUN" => self.run(&mut state, inst, &label)?,
                "COPY" | "ADD" => self.copy(&mut state, inst, &label)?,
                "WORKDIR" => self.workdir(&mut state, &mut config_steps, inst, &label)?,
                "ARG" => self.arg(&mut state, inst, globals)?,
                _ => self.config_step(&mut state, &mut config_steps, inst)?,
            }
        }
        Ok(state)
    }

    /// Finds the base image in the store, or pulls it from the sample registry.
    pub(super) fn base_image(
        &self,
        from: &Instruction,
        name: &str,
    ) -> Result<(Image, String), BuildError> {
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
    pub(super) fn image_of(&self, state: &mut State, line: usize) -> Result<Image, BuildError> {
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
    pub(super) fn fs_step(
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

    /// Records a step that changes only the config: an `empty_layer` history row, dated like
    /// the last layer (or `SOURCE_DATE_EPOCH`), and the cache key it leads to.
    pub(super) fn metadata_step(&self, state: &mut State, created_by: &str) {
        let created = self
            .opts
            .source_date_epoch
            .or(state.last_layer_time)
            .unwrap_or(self.opts.now);
        state.key = cache::key(&state.key, &[created_by]);
        state.push_history(created, created_by, true);
    }

    /// Writes the final image and names it.
    pub(super) fn export(mut self, mut state: State) -> Result<Built, BuildError> {
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
