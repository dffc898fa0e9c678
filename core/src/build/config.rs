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

/// The same instruction through both paths — a build's config step (`FROM base` then the
/// instruction) and `commit --change` on a container of `base` — compared with what Docker
/// 20.10 gave for it on its daemon (`DOCKER_BUILDKIT=1 docker build` and `docker commit
/// -c`, from an image whose config is [`base_config`]'s), the refusals word for word.
#[cfg(test)]
mod same_as_commit {
    use std::collections::BTreeMap;

    use serde_json::{Map, Value, json};

    use crate::build::{BuildOptions, build};
    use crate::container::{self, CommitOptions, Container};
    use crate::image::{self, Image};
    use crate::layer::TarBuilder;
    use crate::reference::Reference;
    use crate::store::{Locked, Store};

    /// What Docker gave for one instruction.
    #[derive(Debug, Clone)]
    enum Gave {
        /// The base's run config with these fields changed (`null`: absent).
        Config(Value),
        /// A refusal: Docker's message (capas's error quotes it).
        Refused(&'static str),
    }
    use Gave::{Config, Refused};

    /// `(instruction, Docker's build, Docker's commit: None when the same as its build)`.
    fn cases() -> Vec<(&'static str, Gave, Option<Gave>)> {
        let not_a_change = |c: &'static str| Some(Refused(c));
        vec![
            // The disagreements capas's two copies had.
            (
                "EXPOSE 80/TCP",
                Config(json!({"ExposedPorts": {"80/tcp": {}}})),
                None,
            ),
            (
                "HEALTHCHECK --start-interval=1s CMD true",
                Refused("Unknown flag: start-interval"),
                None,
            ),
            (
                "HEALTHCHECK --interval=1.5s CMD true",
                Config(
                    json!({"Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 1_500_000_000_i64}}),
                ),
                None,
            ),
            (
                "ENV A x  y \"z\"",
                Config(json!({"Env": [PATH, "X=/xdir", "A=x  y z"]})),
                None,
            ),
            (
                "ENV B=$X/b",
                Config(json!({"Env": [PATH, "X=/xdir", "B=/xdir/b"]})),
                None,
            ),
            (
                "LABEL a=$X",
                Config(json!({"Labels": {"a": "/xdir"}})),
                None,
            ),
            ("USER $X", Config(json!({"User": "/xdir"})), None),
            (
                "WORKDIR $X/w",
                Config(json!({"WorkingDir": "/xdir/w"})),
                None,
            ),
            (
                "WORKDIR /a/../b/",
                Config(json!({"WorkingDir": "/a/../b/"})),
                None,
            ),
            ("WORKDIR sub/", Config(json!({"WorkingDir": "/sub"})), None),
            (
                "STOPSIGNAL SIGTERM",
                Config(json!({"StopSignal": "SIGTERM"})),
                not_a_change("stopsignal is not a valid change command"),
            ),
            (
                "HEALTHCHECK --interval=1s --timeout=2s --start-period=3s --retries=4 CMD [\"a\",\"b\"]",
                Config(json!({"Healthcheck": {
                    "Test": ["CMD", "a", "b"],
                    "Interval": 1_000_000_000_i64,
                    "Timeout": 2_000_000_000_i64,
                    "StartPeriod": 3_000_000_000_i64,
                    "Retries": 4
                }})),
                None,
            ),
            // What each instruction sets.
            (
                "ENV A=\"x y\" B=z\\ w",
                Config(json!({"Env": [PATH, "X=/xdir", "A=x y", "B=z w"]})),
                None,
            ),
            (
                "ENV A=1 B=$A",
                Config(json!({"Env": [PATH, "X=/xdir", "A=1", "B="]})),
                None,
            ),
            (
                "EXPOSE 8000-8002",
                Config(json!({"ExposedPorts": {"8000/tcp": {}, "8001/tcp": {}, "8002/tcp": {}}})),
                None,
            ),
            (
                "EXPOSE 80/UDP 53/Sctp",
                Config(json!({"ExposedPorts": {"80/udp": {}, "53/sctp": {}}})),
                None,
            ),
            (
                "EXPOSE 0",
                Config(json!({"ExposedPorts": {"0/tcp": {}}})),
                None,
            ),
            (
                "VOLUME $X [\"/v\"]",
                Config(json!({"Volumes": {"/xdir": {}, "[/v]": {}}})),
                None,
            ),
            (
                "VOLUME [\"/a\", \"$X\"]",
                Config(json!({"Volumes": {"/a": {}, "/xdir": {}}})),
                None,
            ),
            (
                "CMD echo $X",
                Config(json!({"Cmd": ["/bin/sh", "-c", "echo $X"]})),
                None,
            ),
            ("cmd [\"lower\"]", Config(json!({"Cmd": ["lower"]})), None),
            (
                "CMD []",
                Config(json!({"Cmd": null})),
                Some(Config(json!({}))),
            ),
            (
                "ENTRYPOINT [\"e\"]",
                Config(json!({"Entrypoint": ["e"], "Cmd": null})),
                None,
            ),
            (
                "ENTRYPOINT []",
                Config(json!({"Cmd": null})),
                Some(Config(json!({}))),
            ),
            ("USER a b", Config(json!({"User": "a b"})), None),
            (
                "ONBUILD run echo $X",
                Config(json!({"OnBuild": ["run echo $X"]})),
                None,
            ),
            (
                "ONBUILD [\"a\"]",
                Config(json!({"OnBuild": ["[\"a\"]"]})),
                None,
            ),
            (
                "HEALTHCHECK --interval=1s NONE",
                Config(json!({"Healthcheck": {"Test": ["NONE"]}})),
                None,
            ),
            (
                "HEALTHCHECK --interval= CMD true",
                Config(json!({"Healthcheck": {"Test": ["CMD-SHELL", "true"]}})),
                None,
            ),
            (
                "SHELL [\"/bin/bash\",\"-c\"]",
                Config(json!({"Shell": ["/bin/bash", "-c"]})),
                not_a_change("shell is not a valid change command"),
            ),
            (
                "MAINTAINER me",
                Config(json!({})),
                not_a_change("maintainer is not a valid change command"),
            ),
            (
                "ARG A=1",
                Config(json!({})),
                not_a_change("arg is not a valid change command"),
            ),
            // Refusals.
            ("ENV A", Refused("ENV must have two arguments"), None),
            (
                "LABEL novalue",
                Refused("LABEL must have two arguments"),
                None,
            ),
            (
                "STOPSIGNAL FOO",
                Refused("Invalid signal: FOO"),
                not_a_change("stopsignal is not a valid change command"),
            ),
            (
                "STOPSIGNAL $X",
                Refused("Invalid signal: /xdir"),
                not_a_change("stopsignal is not a valid change command"),
            ),
            (
                "FOO bar",
                Refused("unknown instruction: FOO"),
                not_a_change("foo is not a valid change command"),
            ),
            ("EXPOSE 80/foo", Refused("Invalid proto: foo"), None),
            (
                "EXPOSE $X",
                Refused("No port specified: /xdir<empty>"),
                None,
            ),
            ("EXPOSE abc", Refused("Invalid containerPort: abc"), None),
            (
                "EXPOSE 9000-8000",
                Refused("Invalid containerPort: 9000-8000"),
                None,
            ),
            (
                "EXPOSE 70000",
                Refused("Invalid containerPort: 70000"),
                None,
            ),
            (
                "VOLUME \"\"",
                Refused("VOLUME specified can not be an empty string"),
                None,
            ),
            (
                "ONBUILD ONBUILD RUN x",
                Refused("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
                None,
            ),
            (
                "ONBUILD FROM x",
                Refused("FROM isn't allowed as an ONBUILD trigger"),
                None,
            ),
            (
                "ONBUILD MAINTAINER x",
                Refused("MAINTAINER isn't allowed as an ONBUILD trigger"),
                None,
            ),
            (
                "HEALTHCHECK --interval=0s CMD true",
                Refused("Interval \"interval\" cannot be less than 1ms"),
                None,
            ),
            (
                "HEALTHCHECK --interval=500us CMD true",
                Refused("Interval \"interval\" cannot be less than 1ms"),
                None,
            ),
            (
                "HEALTHCHECK --interval=abc CMD true",
                Refused("time: invalid duration \"abc\""),
                None,
            ),
            (
                "HEALTHCHECK --retries=-1 CMD true",
                Refused("--retries must be at least 1 (not -1)"),
                None,
            ),
            (
                "HEALTHCHECK --retries=0 CMD true",
                Refused("--retries must be at least 1 (not 0)"),
                None,
            ),
            (
                "HEALTHCHECK --retries=x CMD true",
                Refused("strconv.ParseInt: parsing \"x\": invalid syntax"),
                None,
            ),
            (
                "HEALTHCHECK --foo=1 CMD true",
                Refused("Unknown flag: foo"),
                None,
            ),
            (
                "HEALTHCHECK CMD",
                Refused("Missing command after HEALTHCHECK CMD"),
                None,
            ),
            (
                "HEALTHCHECK FOO x",
                Refused("Unknown type \"FOO\" in HEALTHCHECK (try CMD)"),
                None,
            ),
            (
                "HEALTHCHECK NONE x",
                Refused("HEALTHCHECK NONE takes no arguments"),
                None,
            ),
        ]
    }

    const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// The run config of the base image, as Docker's was.
    fn base_config() -> Value {
        json!({"Env": [PATH, "X=/xdir"], "Cmd": ["x"], "WorkingDir": "/"})
    }

    /// The base's run config with `fields` changed, as `docker image inspect` shows it.
    fn expected(fields: &Value) -> Map<String, Value> {
        let mut config = match base_config() {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        for (k, v) in fields.as_object().into_iter().flatten() {
            config.insert(k.clone(), v.clone());
        }
        shown(config)
    }

    /// A run config as `docker image inspect` shows it, which is how Docker's configs were
    /// observed: a `null` or an empty list (`Cmd` after `CMD []`) is not shown.
    fn shown(config: Map<String, Value>) -> Map<String, Value> {
        config
            .into_iter()
            .filter(|(_, v)| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()))
            .collect()
    }

    fn run_config(locked: &Locked<'_>, record: &crate::store::ImageRecord) -> Map<String, Value> {
        let img = Image::load(locked, record).expect("image");
        let config: Value = serde_json::from_slice(img.config_bytes()).expect("config");
        match config.get("config") {
            Some(Value::Object(m)) => shown(m.clone()),
            _ => Map::new(),
        }
    }

    fn through_build(
        locked: &Locked<'_>,
        context: &std::path::Path,
        instruction: &str,
    ) -> Result<Map<String, Value>, String> {
        let opts = BuildOptions {
            dockerfile: format!("FROM base:1\n{instruction}\n"),
            dockerfile_name: "Dockerfile".into(),
            context: context.to_path_buf(),
            build_args: BTreeMap::new(),
            now: 1_700_000_100,
            ..BuildOptions::default()
        };
        let built = build(locked, &opts, &mut |_| {}).map_err(|e| e.to_string())?;
        Ok(run_config(locked, &built.record))
    }

    fn through_commit(
        locked: &Locked<'_>,
        base: &Image,
        instruction: &str,
    ) -> Result<Map<String, Value>, String> {
        let c = Container::create(locked, base, None, &[], 1_700_000_100).expect("container");
        let committed = container::commit(
            locked,
            &c,
            &CommitOptions {
                changes: vec![instruction.to_string()],
                created: 1_700_000_200,
                ..CommitOptions::default()
            },
        );
        container::remove(locked, c.id()).expect("rm");
        Ok(run_config(locked, &committed.map_err(|e| e.to_string())?))
    }

    fn check(path: &str, instruction: &str, got: &Result<Map<String, Value>, String>, gave: &Gave) {
        match (got, gave) {
            (Ok(config), Config(fields)) => assert_eq!(
                config,
                &expected(fields),
                "{path} of {instruction:?}: not Docker's config"
            ),
            (Err(e), Refused(message)) => assert!(
                e.contains(message),
                "{path} of {instruction:?}: {e:?} does not say Docker's {message:?}"
            ),
            (got, gave) => panic!("{path} of {instruction:?}: got {got:?}, Docker gave {gave:?}"),
        }
    }

    #[test]
    fn build_and_commit_read_each_instruction_as_docker_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        let context = tempfile::tempdir().expect("context");
        let store = Store::open(dir.path()).expect("store");
        let locked = store.lock().expect("lock");
        let mut tar = TarBuilder::new(Vec::new());
        tar.dir("bin", 0o755, 1_700_000_000).expect("dir");
        let (tar, _) = tar.finish().expect("tar");
        let config = json!({
            "architecture": "amd64",
            "os": "linux",
            "config": base_config(),
            "history": [{"created_by": "base"}],
        });
        let tag = Reference::parse_tagged("base:1").expect("tag");
        let record = image::commit_layers(&locked, [&tar[..]], config, &[tag]).expect("base image");
        let base = Image::load(&locked, &record).expect("base");

        for (instruction, build_gave, commit_gave) in cases() {
            let commit_gave = commit_gave.unwrap_or_else(|| build_gave.clone());
            let built = through_build(&locked, context.path(), instruction);
            let committed = through_commit(&locked, &base, instruction);
            check("build", instruction, &built, &build_gave);
            check("commit", instruction, &committed, &commit_gave);
            // Where Docker gives both the same config, so does capas: one interpreter.
            if let (Config(a), Config(b)) = (&build_gave, &commit_gave)
                && a == b
            {
                assert_eq!(built, committed, "{instruction:?}: build and commit differ");
            }
        }
    }
}
