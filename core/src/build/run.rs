//! `RUN`: the command runs in the container shell, in a temporary container on the state so
//! far, with the image's environment and the build arguments in scope; its read/write layer
//! becomes the step's layer.

use std::collections::BTreeSet;

use super::parser::Instruction;
use super::state::State;
use super::steps::{Builder, Owners};
use super::{BuildError, DEFAULT_PATH, Progress};
use crate::image::instructions;
use crate::shell::Shell;

impl<'l, 's, 'p> Builder<'l, 's, 'p> {
    pub(super) fn run(
        &mut self,
        state: &mut State,
        inst: &Instruction,
        label: &str,
    ) -> Result<(), BuildError> {
        let argv = instructions::command_form(&state.runtime, &inst.args);
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
}
