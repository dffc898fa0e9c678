//! Dockerfile instructions that change an image's config, interpreted once: `docker build`
//! calls this for its config-only steps (and for `WORKDIR`'s config part), `docker commit
//! --change` for each change (course section 1: the recipe; section 2.5: commit).
//!
//! | instruction | what it sets in the config (`config.config` unless said) |
//! | --- | --- |
//! | `ENV k=v …`, `ENV k v` | `Env`: a key already there is replaced in place, a new one appended |
//! | `LABEL k=v …` | `Labels` |
//! | `CMD`, `ENTRYPOINT` | `Cmd`, `Entrypoint`: exec form as written, shell form run by `Shell` (`/bin/sh -c`); a new `ENTRYPOINT` drops a `Cmd` not set by the same build stage or change list |
//! | `EXPOSE 80 53/udp 8000-8002` | `ExposedPorts`: one key a port, protocol in lower case (`tcp` unless said) |
//! | `VOLUME` | `Volumes` |
//! | `USER`, `STOPSIGNAL` | `User`, `StopSignal` (a signal Linux knows) |
//! | `WORKDIR` | `WorkingDir`: an absolute path as written, a relative one joined onto the current one |
//! | `HEALTHCHECK [--interval …] CMD …`, `HEALTHCHECK NONE` | `Healthcheck` |
//! | `ONBUILD …` | `OnBuild`: the instruction's text, for a later build to run |
//! | `SHELL ["…"]` | `Shell`: what runs the shell forms after it |
//! | `MAINTAINER` | the image's `author` (not the run config) |
//!
//! Arguments are split into words and their `$VARIABLES` replaced ([`words`]) for `ENV`,
//! `LABEL`, `EXPOSE`, `VOLUME`, `USER`, `STOPSIGNAL`, `WORKDIR` and `MAINTAINER`, from the
//! config's `Env` (and, in a build, the `ARG`s in scope); never for `CMD`, `ENTRYPOINT`,
//! `HEALTHCHECK` or `ONBUILD`, whose text is kept for the shell that runs it later.
//!
//! Docker 20.10 reads instructions the same way in both commands (observed on its daemon: the
//! same configs, the same refusals, word for word), with one difference, the parameter
//! [`Caller`]: `commit --change` accepts only `CMD ENTRYPOINT ENV EXPOSE HEALTHCHECK LABEL
//! ONBUILD USER VOLUME WORKDIR`, and answers anything else (`RUN`, `STOPSIGNAL`, `SHELL`, a
//! typo) with `<instruction> is not a valid change command`.
//!
//! How a Dockerfile's text becomes [`parser::Instruction`]s is [`parser`]'s part.

pub mod parser;
pub mod words;

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use self::parser::{Args, Instruction};

/// The instructions that change only the config, so the interpreter's (`WORKDIR` also makes
/// its directory in a build: that part is the build's).
pub const CONFIG_INSTRUCTIONS: &[&str] = &[
    "CMD",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// The instructions `docker commit --change` accepts (Docker 20.10's `validCommitCommands`:
/// no `STOPSIGNAL`, `SHELL` or `MAINTAINER`, whatever its documentation of later versions says).
pub const COMMIT_INSTRUCTIONS: &[&str] = &[
    "CMD",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "HEALTHCHECK",
    "LABEL",
    "ONBUILD",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Which command reads the instructions: where Docker's rules differ, this says which apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// `docker build`: every config instruction ([`CONFIG_INSTRUCTIONS`]).
    Build,
    /// `docker commit --change`: only [`COMMIT_INSTRUCTIONS`].
    Commit,
}

impl Caller {
    /// Whether this command accepts `keyword` (upper case) as a config change.
    pub fn accepts(self, keyword: &str) -> bool {
        match self {
            Caller::Build => CONFIG_INSTRUCTIONS.contains(&keyword),
            Caller::Commit => COMMIT_INSTRUCTIONS.contains(&keyword),
        }
    }
}

/// Why an instruction could not change the config.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InstructionError {
    /// `commit --change` with an instruction commit does not accept (Docker's words, the
    /// instruction in lower case as its parser reads it): `run is not a valid change command`.
    #[error("{command} is not a valid change command")]
    NotAChange {
        /// The instruction, lower case.
        command: String,
    },
    /// A build step that is not a config change (`RUN`, `COPY`…): the build runs those.
    #[error("{keyword} is not a config instruction")]
    NotConfig {
        /// The instruction.
        keyword: String,
    },
    /// The instruction's arguments are wrong; the message is Docker's where it has one
    /// (`ENV must have two arguments`, `Unknown flag: start-interval`, `Invalid proto: foo`).
    #[error("{message}")]
    Invalid {
        /// The instruction, upper case.
        keyword: String,
        /// What is wrong.
        message: String,
    },
}

/// What applying one instruction gave, besides the changed config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The history row's `created_by`, as BuildKit writes it (`ENV A=b`,
    /// `EXPOSE map[80/tcp:{}]`, `CMD ["sh"]`).
    pub created_by: String,
    /// `MAINTAINER`'s name: it goes into the image config's `author`, outside the run config.
    pub author: Option<String>,
}

/// Applies Dockerfile instructions to a run config (`config.config` of an image config), in
/// order, as Docker's builder does.
///
/// One interpreter lives as long as one build stage or one `commit`'s change list: it
/// remembers whether a `CMD` was set, which a later `ENTRYPOINT` then keeps.
///
/// ```
/// use capas_core::image::instructions::{Caller, Interpreter};
/// use serde_json::{Map, json};
/// let mut config = Map::new();
/// let mut changes = Interpreter::new(Caller::Commit, '\\');
/// changes.apply_change(&mut config, "EXPOSE 80/TCP 53/udp")?;
/// changes.apply_change(&mut config, r#"CMD ["nginx", "-g", "daemon off;"]"#)?;
/// assert_eq!(config["ExposedPorts"], json!({"80/tcp": {}, "53/udp": {}}));
/// assert_eq!(config["Cmd"], json!(["nginx", "-g", "daemon off;"]));
/// assert_eq!(
///     changes.apply_change(&mut config, "RUN echo").unwrap_err().to_string(),
///     "run is not a valid change command"
/// );
/// # Ok::<(), capas_core::image::instructions::InstructionError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Interpreter {
    caller: Caller,
    escape: char,
    cmd_set: bool,
}

impl Interpreter {
    /// An interpreter for `caller`, with the Dockerfile's escape character (`\` unless a
    /// `# escape=` directive says otherwise).
    pub fn new(caller: Caller, escape: char) -> Interpreter {
        Interpreter {
            caller,
            escape,
            cmd_set: false,
        }
    }

    /// `docker commit --change TEXT`: parses the change as a Dockerfile line (as Docker does)
    /// and applies it. An instruction commit does not accept is refused before anything else.
    pub fn apply_change(
        &mut self,
        config: &mut Map<String, Value>,
        change: &str,
    ) -> Result<Applied, InstructionError> {
        let text = change.trim();
        let first = text.split(char::is_whitespace).next().unwrap_or_default();
        let keyword = first.to_ascii_uppercase();
        if !self.caller.accepts(&keyword) {
            return Err(self.refusal(&keyword));
        }
        let dockerfile = parser::parse(text).map_err(|e| InstructionError::Invalid {
            keyword: keyword.clone(),
            message: e.message,
        })?;
        let mut applied = None;
        for inst in &dockerfile.instructions {
            applied = Some(self.apply(config, inst, &|_| None)?);
        }
        applied.ok_or_else(|| InstructionError::Invalid {
            keyword: keyword.clone(),
            message: format!("{keyword} requires at least one argument"),
        })
    }

    /// Applies one parsed instruction to `config`. `args` gives the values of the build
    /// arguments in scope (none for commit); the config's `Env` wins over them.
    pub fn apply(
        &mut self,
        config: &mut Map<String, Value>,
        inst: &Instruction,
        args: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Applied, InstructionError> {
        let kw = inst.keyword.as_str();
        if !self.caller.accepts(kw) {
            return Err(self.refusal(kw));
        }
        let bad = |message: String| InstructionError::Invalid {
            keyword: kw.to_string(),
            message,
        };
        // Variables: the config's environment as it was before this instruction (so
        // `ENV A=1 B=$A` reads the old A, as in Docker), then the build arguments.
        let env = env_of(config);
        let vars = |name: &str| {
            env.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .or_else(|| args(name))
        };
        let esc = self.escape;
        let text = inst.text();
        let mut author = None;
        let created_by = match kw {
            "ENV" => {
                let pairs = words::pairs(&text, esc, &vars, kw).map_err(bad)?;
                let mut list: Vec<Value> = config
                    .get("Env")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for (key, value) in &pairs {
                    let entry = Value::from(format!("{key}={value}"));
                    let same_key = |e: &Value| {
                        e.as_str()
                            .is_some_and(|e| e.split('=').next() == Some(key.as_str()))
                    };
                    match list.iter_mut().find(|e| same_key(e)) {
                        Some(existing) => *existing = entry,
                        None => list.push(entry),
                    }
                }
                config.insert("Env".into(), Value::Array(list));
                format!("ENV {}", shown_pairs(&pairs))
            }
            "LABEL" => {
                let pairs = words::pairs(&text, esc, &vars, kw).map_err(bad)?;
                let labels = object(config, "Labels");
                for (key, value) in &pairs {
                    labels.insert(key.clone(), value.clone().into());
                }
                format!("LABEL {}", shown_pairs(&pairs))
            }
            "MAINTAINER" => {
                let who = words::word(&text, esc, &vars).map_err(bad)?;
                author = Some(who.clone());
                format!("MAINTAINER {who}")
            }
            "CMD" | "ENTRYPOINT" => {
                let list = command_form(config, &inst.args);
                if kw == "CMD" {
                    config.insert("Cmd".into(), json!(list));
                    self.cmd_set = true;
                } else {
                    config.insert("Entrypoint".into(), json!(list));
                    // A new entrypoint drops the old CMD, unless this stage (or this change
                    // list) set one.
                    if !self.cmd_set {
                        config.insert("Cmd".into(), Value::Null);
                    }
                }
                format!("{kw} {}", crate::go::quote_list(&list))
            }
            "EXPOSE" => {
                let mut ports = BTreeSet::new();
                for spec in words::words(&text, esc, &vars).map_err(bad)? {
                    ports.extend(exposed_ports(&spec).map_err(bad)?);
                }
                let exposed = object(config, "ExposedPorts");
                for port in &ports {
                    exposed.insert(port.clone(), json!({}));
                }
                // BuildKit prints the Go map of this instruction's ports (keys sorted).
                let shown: Vec<String> = ports.iter().map(|p| format!("{p}:{{}}")).collect();
                format!("EXPOSE map[{}]", shown.join(" "))
            }
            "USER" => {
                let user = words::word(&text, esc, &vars).map_err(bad)?;
                config.insert("User".into(), user.clone().into());
                format!("USER {user}")
            }
            "STOPSIGNAL" => {
                let signal = words::word(&text, esc, &vars).map_err(bad)?;
                if !is_signal(&signal) {
                    return Err(bad(format!("Invalid signal: {signal}")));
                }
                config.insert("StopSignal".into(), signal.clone().into());
                format!("STOPSIGNAL {signal}")
            }
            "VOLUME" => {
                // Docker replaces variables in both forms, the JSON one included.
                let list = match &inst.args {
                    Args::Json(list) => list
                        .iter()
                        .map(|v| words::word(v, esc, &vars))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(bad)?,
                    Args::Text(t) => words::words(t, esc, &vars).map_err(bad)?,
                };
                if list.iter().any(|v| v.trim().is_empty()) {
                    return Err(bad("VOLUME specified can not be an empty string".into()));
                }
                let volumes = object(config, "Volumes");
                for v in &list {
                    volumes.insert(v.clone(), json!({}));
                }
                format!("VOLUME [{}]", list.join(" "))
            }
            "SHELL" => {
                let Args::Json(list) = &inst.args else {
                    return Err(bad("SHELL requires the arguments to be in JSON form".into()));
                };
                config.insert("Shell".into(), json!(list));
                format!("SHELL [{}]", list.join(" "))
            }
            "ONBUILD" => {
                let trigger = text
                    .split(char::is_whitespace)
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                match trigger.as_str() {
                    "ONBUILD" => {
                        return Err(bad(
                            "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed".into()
                        ));
                    }
                    "FROM" | "MAINTAINER" => {
                        return Err(bad(format!(
                            "{trigger} isn't allowed as an ONBUILD trigger"
                        )));
                    }
                    _ => {}
                }
                let list = config
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
                let check = healthcheck(inst).map_err(bad)?;
                let shown = healthcheck_text(&check);
                config.insert("Healthcheck".into(), check);
                format!("HEALTHCHECK {shown}")
            }
            "WORKDIR" => {
                let requested = words::word(&text, esc, &vars).map_err(bad)?;
                let current = config
                    .get("WorkingDir")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let dir = workdir(current, &requested);
                config.insert("WorkingDir".into(), dir.clone().into());
                format!("WORKDIR {dir}")
            }
            other => {
                return Err(InstructionError::NotConfig {
                    keyword: other.to_string(),
                });
            }
        };
        Ok(Applied { created_by, author })
    }

    fn refusal(&self, keyword: &str) -> InstructionError {
        match self.caller {
            Caller::Commit => InstructionError::NotAChange {
                command: keyword.to_ascii_lowercase(),
            },
            Caller::Build => InstructionError::NotConfig {
                keyword: keyword.to_string(),
            },
        }
    }
}

/// The `KEY=value` entries of a run config's `Env`, in order.
pub fn env_of(config: &Map<String, Value>) -> Vec<(String, String)> {
    config
        .get("Env")
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

/// The run config's `Shell`, or Docker's default `/bin/sh -c`.
pub fn shell_of(config: &Map<String, Value>) -> Vec<String> {
    config
        .get("Shell")
        .and_then(|s| serde_json::from_value(s.clone()).ok())
        .unwrap_or_else(|| crate::go::DEFAULT_SHELL.map(String::from).to_vec())
}

/// The command of `CMD`, `ENTRYPOINT` or `RUN`: the exec form as written, or the shell form
/// run by the config's shell (`["/bin/sh", "-c", "echo hi"]`).
pub fn command_form(config: &Map<String, Value>, args: &Args) -> Vec<String> {
    match args {
        Args::Json(list) => list.clone(),
        Args::Text(text) => {
            let mut argv = shell_of(config);
            argv.push(text.clone());
            argv
        }
    }
}

/// `WORKDIR`'s rule (BuildKit's `dispatchWorkdir`): an absolute path is taken as written
/// (`/a/../b/` stays so in the config), a relative one is joined onto the current directory
/// and cleaned, as Go's `path.Join("/", current, requested)`.
pub fn workdir(current: &str, requested: &str) -> String {
    if requested.starts_with('/') {
        return requested.to_string();
    }
    let joined = format!("{current}/{requested}");
    format!(
        "/{}",
        crate::layer::normalize_path(&joined).unwrap_or_default()
    )
}

/// `k=v k2=v2`, as BuildKit shows `ENV` and `LABEL` in the history.
fn shown_pairs(pairs: &[(String, String)]) -> String {
    let shown: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    shown.join(" ")
}

/// The object under `key` in the run config (`Labels`, `ExposedPorts`, `Volumes`), made
/// empty first if missing or not an object.
fn object<'c>(config: &'c mut Map<String, Value>, key: &str) -> &'c mut Map<String, Value> {
    let value = config
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

/// The ports one `EXPOSE` word names, as Docker's `nat.ParsePortSpecs` reads it: `80`,
/// `80/udp`, a range `8000-8002/tcp`; the protocol (`tcp`, `udp` or `sctp`, any case) is
/// stored in lower case, the number as a number (`080` is `80`). In `ip:host:container`
/// only the container's port is exposed.
fn exposed_ports(spec: &str) -> Result<Vec<String>, String> {
    let container = spec.rsplit(':').next().unwrap_or_default();
    // Go's SplitProtoPort: no protocol is tcp; an empty port before the slash is no port.
    let (port, proto) = match container.split('/').collect::<Vec<_>>().as_slice() {
        [""] | ["", ..] => return Err(format!("No port specified: {spec}<empty>")),
        [port] => (*port, "tcp"),
        [port, "", ..] => (*port, "tcp"),
        [port, proto, ..] => (*port, *proto),
        [] => return Err(format!("No port specified: {spec}<empty>")),
    };
    let invalid = || format!("Invalid containerPort: {port}");
    let number = |s: &str| s.parse::<u16>().map_err(|_| invalid());
    let (start, end) = match port.split_once('-') {
        None => (number(port)?, number(port)?),
        Some((a, b)) => {
            let b = b.split('-').next().unwrap_or_default();
            let (start, end) = (number(a)?, number(b)?);
            if end < start {
                return Err(invalid());
            }
            (start, end)
        }
    };
    let lower = proto.to_ascii_lowercase();
    if !["tcp", "udp", "sctp"].contains(&lower.as_str()) {
        return Err(format!("Invalid proto: {proto}"));
    }
    Ok((start..=end).map(|p| format!("{p}/{lower}")).collect())
}

/// Whether `text` names a signal, as Docker's `signal.ParseSignal` reads it on Linux: a
/// number other than 0, or a name with or without `SIG`, in any case (`SIGTERM`, `term`,
/// `RTMIN+3`).
fn is_signal(text: &str) -> bool {
    const NAMES: &[&str] = &[
        "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT",
        "KILL", "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM",
        "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",
        "RTMIN", "RTMAX",
    ];
    if let Ok(n) = text.parse::<i64>() {
        return n != 0;
    }
    let upper = text.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if NAMES.contains(&name) {
        return true;
    }
    // RTMIN+1 … RTMIN+15 and RTMAX-14 … RTMAX-1.
    let within = |rest: Option<&str>, max: u8| {
        rest.and_then(|n| n.parse::<u8>().ok())
            .is_some_and(|n| (1..=max).contains(&n))
    };
    within(name.strip_prefix("RTMIN+"), 15) || within(name.strip_prefix("RTMAX-"), 14)
}

/// `HEALTHCHECK [--interval=…] CMD …` or `HEALTHCHECK NONE` → the config's `Healthcheck`,
/// checked as Docker checks it, its keys in the order of Docker's `HealthConfig` (the config
/// bytes, and so the image ID, depend on it).
fn healthcheck(inst: &Instruction) -> Result<Value, String> {
    let text = inst.text();
    let (kind, rest) = text.split_once(char::is_whitespace).unwrap_or((&text, ""));
    let rest = rest.trim();
    let kind = kind.to_ascii_uppercase();
    for (name, _) in &inst.flags {
        if !["interval", "timeout", "start-period", "retries"].contains(&name.as_str()) {
            return Err(format!("Unknown flag: {name}"));
        }
    }
    let test = match kind.as_str() {
        "NONE" => {
            if !rest.is_empty() {
                return Err("HEALTHCHECK NONE takes no arguments".into());
            }
            // NONE turns the image's check off: options are ignored, as Docker does.
            return Ok(json!({"Test": ["NONE"]}));
        }
        "CMD" => {
            if rest.is_empty() {
                return Err("Missing command after HEALTHCHECK CMD".into());
            }
            match serde_json::from_str::<Vec<String>>(rest) {
                Ok(list) if rest.starts_with('[') => {
                    let mut test = vec!["CMD".to_string()];
                    test.extend(list);
                    test
                }
                _ => vec!["CMD-SHELL".to_string(), rest.to_string()],
            }
        }
        other => return Err(format!("Unknown type {other:?} in HEALTHCHECK (try CMD)")),
    };
    let mut check = Map::new();
    check.insert("Test".into(), json!(test));
    // Each duration, if given, is Go's ParseDuration of it and at least 1ms.
    for (flag, field) in [
        ("interval", "Interval"),
        ("timeout", "Timeout"),
        ("start-period", "StartPeriod"),
    ] {
        let Some(value) = inst.flag(flag).filter(|v| !v.is_empty()) else {
            continue;
        };
        let nanos = crate::go::parse_duration(value).map_err(|e| e.to_string())?;
        if nanos < 1_000_000 {
            return Err(format!("Interval {flag:?} cannot be less than 1ms"));
        }
        check.insert(field.into(), nanos.into());
    }
    if let Some(value) = inst.flag("retries").filter(|v| !v.is_empty()) {
        let retries = parse_int32(value)?;
        if retries < 1 {
            return Err(format!("--retries must be at least 1 (not {retries})"));
        }
        check.insert("Retries".into(), retries.into());
    }
    Ok(Value::Object(check))
}

/// Go's `strconv.ParseInt(text, 10, 32)`, with Go's error texts.
fn parse_int32(text: &str) -> Result<i64, String> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.ParseInt: parsing {text:?}: invalid syntax"
        ));
    }
    text.parse::<i32>()
        .map(i64::from)
        .map_err(|_| format!("strconv.ParseInt: parsing {text:?}: value out of range"))
}

/// BuildKit's `%q` of the health config struct in the history row:
/// `&{["CMD-SHELL" "x"] "30s" "0s" "0s" '\x00'}`.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(config: &mut Map<String, Value>, changes: &[&str]) -> Result<(), InstructionError> {
        let mut interpreter = Interpreter::new(Caller::Commit, '\\');
        for change in changes {
            interpreter.apply_change(config, change)?;
        }
        Ok(())
    }

    #[test]
    fn changes_apply_like_dockers_builder() {
        let mut config = Map::new();
        config.insert("Env".into(), json!(["PATH=/bin", "A=1"]));
        config.insert("Cmd".into(), json!(["/bin/sh"]));
        commit(
            &mut config,
            &[
                "ENV A=2 B=\"two words\"",
                "LABEL demo=1",
                "CMD [\"sh\",\"-c\",\"echo hi\"]",
                "EXPOSE 80 53/udp",
                "WORKDIR /app",
                "WORKDIR sub",
                "USER nobody",
                "VOLUME /data",
                "HEALTHCHECK --interval=30s CMD true",
            ],
        )
        .expect("changes");
        assert_eq!(config["Env"], json!(["PATH=/bin", "A=2", "B=two words"]));
        assert_eq!(config["Labels"], json!({"demo": "1"}));
        assert_eq!(config["Cmd"], json!(["sh", "-c", "echo hi"]));
        assert_eq!(config["ExposedPorts"], json!({"80/tcp": {}, "53/udp": {}}));
        assert_eq!(config["WorkingDir"], json!("/app/sub"));
        assert_eq!(config["User"], json!("nobody"));
        assert_eq!(config["Volumes"], json!({"/data": {}}));
        assert_eq!(
            config["Healthcheck"],
            json!({"Test": ["CMD-SHELL", "true"], "Interval": 30_000_000_000_i64})
        );

        commit(&mut config, &["ENTRYPOINT top -b"]).expect("entrypoint");
        assert_eq!(config["Entrypoint"], json!(["/bin/sh", "-c", "top -b"]));
        assert_eq!(config["Cmd"], Value::Null);

        let err = commit(&mut config, &["RUN echo"]).unwrap_err();
        assert_eq!(err.to_string(), "run is not a valid change command");
        assert!(commit(&mut config, &["LABEL novalue"]).is_err());
    }

    #[test]
    fn ports_are_read_as_docker_reads_them() {
        let ports = |s: &str| exposed_ports(s);
        assert_eq!(ports("80/TCP"), Ok(vec!["80/tcp".to_string()]));
        assert_eq!(ports("080"), Ok(vec!["80/tcp".to_string()]));
        assert_eq!(
            ports("8000-8002/udp"),
            Ok(vec![
                "8000/udp".into(),
                "8001/udp".into(),
                "8002/udp".into()
            ])
        );
        assert_eq!(ports("53/Sctp"), Ok(vec!["53/sctp".to_string()]));
        assert_eq!(ports("80/foo"), Err("Invalid proto: foo".to_string()));
        assert_eq!(ports("abc"), Err("Invalid containerPort: abc".to_string()));
        assert_eq!(
            ports("70000"),
            Err("Invalid containerPort: 70000".to_string())
        );
        assert_eq!(
            ports("9000-8000"),
            Err("Invalid containerPort: 9000-8000".to_string())
        );
        assert_eq!(
            ports("/xdir"),
            Err("No port specified: /xdir<empty>".to_string())
        );
    }

    #[test]
    fn signals_are_the_ones_linux_knows() {
        for ok in [
            "SIGTERM",
            "term",
            "SigQuit",
            "9",
            "RTMIN+3",
            "SIGRTMAX-14",
            "RTMAX",
        ] {
            assert!(is_signal(ok), "{ok}");
        }
        for bad in ["FOO", "0", "SIGTREM", "RTMIN+16", "RTMAX-15", ""] {
            assert!(!is_signal(bad), "{bad}");
        }
    }

    #[test]
    fn workdir_keeps_an_absolute_path_and_joins_a_relative_one() {
        assert_eq!(workdir("/", "/a/../b/"), "/a/../b/");
        assert_eq!(workdir("/", "sub/"), "/sub");
        assert_eq!(workdir("/app", "../x"), "/x");
        assert_eq!(workdir("", "x"), "/x");
    }

    #[test]
    fn healthcheck_keys_keep_dockers_order() {
        let mut config = Map::new();
        commit(
            &mut config,
            &["HEALTHCHECK --retries=2 --timeout=1s --interval=1.5s CMD true"],
        )
        .expect("healthcheck");
        let keys: Vec<&String> = config["Healthcheck"]
            .as_object()
            .expect("object")
            .keys()
            .collect();
        assert_eq!(keys, ["Test", "Interval", "Timeout", "Retries"]);
        assert_eq!(config["Healthcheck"]["Interval"], json!(1_500_000_000_i64));
    }
}
