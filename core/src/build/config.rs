//! The config steps of a build: `ARG`, and the instructions that change only the image's
//! config (`ENV`, `LABEL`, `CMD`, `EXPOSE`, `HEALTHCHECK`…), each an `empty_layer` history
//! row. What each instruction does to the config is the interpreter's
//! ([`crate::image::instructions`]), the same one `commit --change` calls; `WORKDIR` takes
//! its config part from there too, and makes its directory as a file-system step.

use std::collections::BTreeMap;

use super::BuildError;
use super::context;
use super::copy::mkdir_p;
use super::parser::Instruction;
use super::state::State;
use super::steps::{Builder, Owners};
use crate::image::instructions::{InstructionError, Interpreter};

impl<'l, 's, 'p> Builder<'l, 's, 'p> {
    /// A config step: the interpreter changes the config, an `empty_layer` row is added.
    pub(super) fn config_step(
        &mut self,
        state: &mut State,
        config_steps: &mut Interpreter,
        inst: &Instruction,
    ) -> Result<(), BuildError> {
        let created_by = self.interpret(state, config_steps, inst)?;
        self.metadata_step(state, &created_by);
        Ok(())
    }

    /// Applies `inst` to the state's config; returns its history text.
    fn interpret(
        &self,
        state: &mut State,
        config_steps: &mut Interpreter,
        inst: &Instruction,
    ) -> Result<String, BuildError> {
        let args = state.args.clone();
        let applied = config_steps
            .apply(state.runtime(), inst, &|name| args.get(name).cloned())
            .map_err(|e| match e {
                InstructionError::NotConfig { keyword } => {
                    self.invalid(inst, format!("unknown instruction: {keyword}"))
                }
                other => self.invalid(inst, format!("{}: {other}", inst.keyword)),
            })?;
        if let Some(author) = applied.author {
            state.config.insert("author".into(), author.into());
        }
        Ok(applied.created_by)
    }

    /// `ARG name[=default] …`: build arguments in scope for the rest of the stage, valued by
    /// `--build-arg`, else the default, else the global `ARG` of the same name.
    pub(super) fn arg(
        &mut self,
        state: &mut State,
        inst: &Instruction,
        globals: &BTreeMap<String, String>,
    ) -> Result<(), BuildError> {
        let vars_state = state.clone();
        let vars = move |n: &str| vars_state.var(n);
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
        self.metadata_step(state, &format!("ARG {}", shown.join(" ")));
        Ok(())
    }

    /// `WORKDIR`: the config part is the interpreter's; then the directory is made, a
    /// file-system step of its own (BuildKit makes a layer for every `WORKDIR` but `/`).
    pub(super) fn workdir(
        &mut self,
        state: &mut State,
        config_steps: &mut Interpreter,
        inst: &Instruction,
        label: &str,
    ) -> Result<(), BuildError> {
        let created_by = self.interpret(state, config_steps, inst)?;
        let dir = state.string("WorkingDir").unwrap_or_else(|| "/".into());
        if dir == "/" {
            self.metadata_step(state, &created_by);
            return Ok(());
        }
        // The config keeps the path as written (`/a/../b/`); the directory made is its
        // clean form, as BuildKit's mkdir does.
        let made = format!("/{}", context::clean(&dir).unwrap_or_default());
        let line = inst.line;
        self.fs_step(
            state,
            inst,
            label,
            &created_by.clone(),
            &created_by,
            &[],
            &mut |b, c| {
                mkdir_p(c, &made, &mut Owners::new(), None).map_err(|e| b.engine(line, e))?;
                Ok(Owners::new())
            },
        )
    }
}
