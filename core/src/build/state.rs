//! The state between two build steps: what the image would be if the build stopped there
//! (its config, run config, layers and cache key), and the two ways a stage starts: `FROM
//! scratch` and `FROM image`.

use std::collections::BTreeMap;

use oci_spec::image::{Descriptor, MediaType};
use serde_json::{Map, Value, json};

use super::{DEFAULT_PATH, HISTORY_COMMENT, cache};
use crate::digest::{ChainId, DiffId, Digest};
use crate::image::{self, Image, OCI_LAYER_TAR, instructions};

/// The state between two steps: what the image would be if the build stopped here.
#[derive(Clone)]
pub(super) struct State {
    /// The whole image config, as JSON (history and rootfs included); its `config` key keeps
    /// its place, its value is [`State::runtime`]'s.
    pub(super) config: Map<String, Value>,
    /// The runtime config (`config.config`: `Env`, `Cmd`, `WorkingDir`, …).
    pub(super) runtime: Map<String, Value>,
    /// The manifest's layer descriptors.
    pub(super) layers: Vec<Descriptor>,
    /// The chain ID of the top layer.
    pub(super) chain: Option<ChainId>,
    /// The cache key so far.
    pub(super) key: Digest,
    /// Build arguments in scope (declared by `ARG` in this stage), with their values.
    pub(super) args: BTreeMap<String, String>,
    /// When the last layer step of this stage ran.
    pub(super) last_layer_time: Option<i64>,
    /// The image saved for this state, once a step needed one.
    pub(super) image: Option<Image>,
}

impl State {
    /// The run config, to change: the image saved for the state so far no longer is its.
    pub(super) fn runtime(&mut self) -> &mut Map<String, Value> {
        self.image = None;
        &mut self.runtime
    }

    /// The object under `key` in the run configuration (`Labels`, `ExposedPorts`,
    /// `Volumes`), made empty first if missing or not an object.
    pub(super) fn runtime_object(&mut self, key: &str) -> &mut Map<String, Value> {
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

    /// The run config's `Env`, as pairs.
    pub(super) fn env(&self) -> Vec<(String, String)> {
        instructions::env_of(&self.runtime)
    }

    /// A variable for substitution: `ENV` wins over `ARG`.
    pub(super) fn var(&self, name: &str) -> Option<String> {
        self.env()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .or_else(|| self.args.get(name).cloned())
    }

    /// A string of the run config (`WorkingDir`).
    pub(super) fn string(&self, key: &str) -> Option<String> {
        self.runtime
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    pub(super) fn push_history(&mut self, created: i64, created_by: &str, empty: bool) {
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

    pub(super) fn push_layer(&mut self, diff_id: &DiffId, size: u64) {
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
    pub(super) fn config_bytes(&self) -> Vec<u8> {
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

/// The state of `FROM scratch`: no layers, BuildKit's default config.
pub(super) fn scratch_state() -> State {
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
        last_layer_time: None,
        image: None,
    }
}

/// The state of `FROM image`: its layers and its config (without the fields that describe
/// the container that built it, which BuildKit does not carry over).
pub(super) fn state_of(img: &Image) -> Result<State, serde_json::Error> {
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
        last_layer_time: None,
        image: Some(img.clone()),
    })
}
