//! What each command's template sees: Docker's formatter contexts, and inspect's data.
//!
//! In the docker CLI, `images`, `ps` and `history` hand each row to the template as a
//! *context*: a Go struct whose "fields" are methods returning the strings the table prints
//! (`imageContext.Size()` is `units.HumanSizeWithPrecision(size, 3)`). The commands here
//! fill the same strings, computed as they already compute their table cells, into a plain
//! struct ([`ImageRow`], [`ContainerRow`], [`HistoryRow`]); [`Row::value`] turns it into
//! the [`Value`] the engine walks, with Docker's Go type name, so that an unknown field
//! fails as in Docker (`can't evaluate field Nope in type *formatter.imageContext`).
//!
//! Why plain structs of strings and not a trait of methods or raw JSON: the template only
//! ever sees strings from these contexts, the commands already compute each string for their
//! tables, and a struct literal lets the compiler check that every field Docker has is
//! filled. Each field's doc says how Docker computes it.
//!
//! `docker inspect -f` is different: the template sees the whole inspect object. The
//! command passes the same JSON it prints to [`inspect_value`], which gives JSON's objects,
//! arrays and nulls the Go types Docker's structs have (see there).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::template::value::{List, Map, Struct, StructKind, Value};

/// A row of a listing command, as its `--format` template sees it.
pub trait Row {
    /// The Go type of Docker's context, as Go's errors name it.
    const TYPE_NAME: &'static str;
    /// The column headers of `table` formats: field name → header (Docker's
    /// `SubHeaderContext`).
    const HEADERS: &'static [(&'static str, &'static str)];
    /// The format `--format table` (and no `--format`) stands for.
    const TABLE: &'static str;
    /// The fields, in the order Docker declares them.
    fn fields(&self) -> Vec<(&'static str, Value)>;
    /// The context as the engine's value.
    fn value(&self) -> Value {
        let mut s = Struct::new(Self::TYPE_NAME, StructKind::Context);
        for (name, value) in self.fields() {
            s = s.field(name, value);
        }
        s.into_value()
    }
}

/// The header row's data: Docker's `SubHeaderContext` for `R`, a map of field names to
/// column names with a `Label` method (`{{.Label "com.example.team"}}` is headed `team`).
pub fn header<R: Row>() -> Value {
    let mut s = Struct::new("formatter.SubHeaderContext", StructKind::Header);
    for (name, title) in R::HEADERS {
        s = s.field(name, Value::from(*title));
    }
    s.method("Label", 1, |args| {
        // SubHeaderContext.Label: the last dotted part, `-` and `_` as spaces.
        let name = args.first().map(String::as_str).unwrap_or("");
        let last = name.rsplit('.').next().unwrap_or(name);
        Value::String(last.replace(['-', '_'], " "))
    })
    .into_value()
}

/// A row of `docker images`: Docker's `imageContext` (one per repository and tag).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageRow {
    /// `.ID`: the image ID, 12 hex digits unless `--no-trunc` (then `sha256:…`).
    pub id: String,
    /// `.Repository`: the familiar name (`alpine`, `127.0.0.1:5000/demo`), `<none>` for a
    /// dangling image.
    pub repository: String,
    /// `.Tag`: the tag, `<none>` for a dangling or digest-only row.
    pub tag: String,
    /// `.Digest`: the repo digest (`sha256:…`), `<none>` when the image has none.
    pub digest: String,
    /// `.CreatedSince`: `units.HumanDuration(now - created) + " ago"` ("2 weeks ago").
    pub created_since: String,
    /// `.CreatedAt`: Go's `time.Unix(created, 0).String()`,
    /// `2024-02-10 12:00:00 +0000 UTC` in the client's zone.
    pub created_at: String,
    /// `.Size`: `units.HumanSizeWithPrecision(size, 3)` (`7.38MB`).
    pub size: String,
    /// `.Containers`: how many containers use the image, `N/A` when not counted (always,
    /// in `docker images`).
    pub containers: String,
    /// `.VirtualSize`: deprecated, the same size at precision 4 (`units.HumanSize`:
    /// `198.9MB` where SIZE says `199MB`).
    pub virtual_size: String,
    /// `.SharedSize`: `units.HumanSize` of the bytes shared with other images, `N/A` when
    /// not computed (always, in `docker images`).
    pub shared_size: String,
    /// `.UniqueSize`: `units.HumanSize(size - shared)`, `N/A` when shared is not computed.
    pub unique_size: String,
}

impl Row for ImageRow {
    const TYPE_NAME: &'static str = "*formatter.imageContext";
    const HEADERS: &'static [(&'static str, &'static str)] = &[
        ("ID", "IMAGE ID"),
        ("Repository", "REPOSITORY"),
        ("Tag", "TAG"),
        ("Digest", "DIGEST"),
        ("CreatedSince", "CREATED"),
        ("CreatedAt", "CREATED AT"),
        ("Size", "SIZE"),
        ("Containers", "CONTAINERS"),
        ("VirtualSize", "SIZE"),
        ("SharedSize", "SHARED SIZE"),
        ("UniqueSize", "UNIQUE SIZE"),
    ];
    const TABLE: &'static str = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";

    fn fields(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("ID", self.id.clone().into()),
            ("Repository", self.repository.clone().into()),
            ("Tag", self.tag.clone().into()),
            ("Digest", self.digest.clone().into()),
            ("CreatedSince", self.created_since.clone().into()),
            ("CreatedAt", self.created_at.clone().into()),
            ("Size", self.size.clone().into()),
            ("Containers", self.containers.clone().into()),
            ("VirtualSize", self.virtual_size.clone().into()),
            ("SharedSize", self.shared_size.clone().into()),
            ("UniqueSize", self.unique_size.clone().into()),
        ]
    }
}

impl ImageRow {
    /// `docker images --digests`: the table with a DIGEST column.
    pub const TABLE_WITH_DIGEST: &'static str = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";
    /// `docker images --format raw`.
    pub const RAW: &'static str = "repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n";
}

/// A row of `docker ps`: Docker's `ContainerContext`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerRow {
    /// `.ID`: the container ID, 12 hex digits unless `--no-trunc`.
    pub id: String,
    /// `.Image`: the image as the container was created from it (`alpine:3.19`), or its
    /// short ID.
    pub image: String,
    /// `.Command`: Go's `strconv.Quote` of the command, cut to 20 columns with `…` unless
    /// `--no-trunc` (`"/bin/sh -c 'echo hi'"`).
    pub command: String,
    /// `.CreatedAt`: Go's `time.Unix(created, 0).String()`.
    pub created_at: String,
    /// `.RunningFor`: `units.HumanDuration(now - created) + " ago"`.
    pub running_for: String,
    /// `.Ports`: the published and exposed ports, `""` when none.
    pub ports: String,
    /// `.State`: `created`, `running`, `exited`, …
    pub state: String,
    /// `.Status`: `Created`, `Up 2 minutes`, `Exited (0) 3 seconds ago`.
    pub status: String,
    /// `.Size`: the read/write layer's size, `units.HumanSizeWithPrecision(rw, 3)`, and
    /// ` (virtual 7.38MB)` when the image's size is known.
    pub size: String,
    /// `.Names`: the name, without Docker's leading `/`.
    pub names: String,
    /// The labels: `.Labels` prints them sorted as `k=v,k=v`, and `{{.Label "k"}}` reads
    /// one.
    pub labels: BTreeMap<String, String>,
    /// `.Mounts`: the mounts' names, `,`-separated (`""` when none).
    pub mounts: String,
    /// `.LocalVolumes`: how many volumes of the `local` driver (`0`).
    pub local_volumes: String,
    /// `.Networks`: the networks, `,`-separated (`bridge`).
    pub networks: String,
}

impl ContainerRow {
    /// Docker's `Labels()`: every label as `k=v`, sorted, joined by `,`.
    pub fn labels_text(&self) -> String {
        let pairs: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        pairs.join(",")
    }

    /// `docker ps --format raw`.
    pub const RAW: &'static str = "container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n";
}

impl Row for ContainerRow {
    const TYPE_NAME: &'static str = "*formatter.ContainerContext";
    const HEADERS: &'static [(&'static str, &'static str)] = &[
        ("ID", "CONTAINER ID"),
        ("Names", "NAMES"),
        ("Image", "IMAGE"),
        ("Command", "COMMAND"),
        ("CreatedAt", "CREATED AT"),
        ("RunningFor", "CREATED"),
        ("Ports", "PORTS"),
        ("State", "STATE"),
        ("Status", "STATUS"),
        ("Size", "SIZE"),
        ("Labels", "LABELS"),
        ("Mounts", "MOUNTS"),
        ("LocalVolumes", "LOCAL VOLUMES"),
        ("Networks", "NETWORKS"),
        ("Platform", "PLATFORM"),
    ];
    const TABLE: &'static str = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

    fn fields(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("ID", self.id.clone().into()),
            ("Names", self.names.clone().into()),
            ("Image", self.image.clone().into()),
            ("Command", self.command.clone().into()),
            ("CreatedAt", self.created_at.clone().into()),
            ("RunningFor", self.running_for.clone().into()),
            ("Ports", self.ports.clone().into()),
            ("State", self.state.clone().into()),
            ("Status", self.status.clone().into()),
            ("Size", self.size.clone().into()),
            ("Labels", self.labels_text().into()),
            ("Mounts", self.mounts.clone().into()),
            ("LocalVolumes", self.local_volumes.clone().into()),
            ("Networks", self.networks.clone().into()),
            // Docker 28 asks the daemon for the image's platform (API 1.46+); capas, like a
            // Docker 20.10 daemon, has none, and Docker prints `<nil>` (JSON `null`).
            ("Platform", Value::Nil),
        ]
    }

    fn value(&self) -> Value {
        let mut s = Struct::new(Self::TYPE_NAME, StructKind::Context);
        for (name, value) in self.fields() {
            s = s.field(name, value);
        }
        let labels = self.labels.clone();
        s.method("Label", 1, move |args| {
            let name = args.first().map(String::as_str).unwrap_or("");
            Value::String(labels.get(name).cloned().unwrap_or_default())
        })
        .into_value()
    }
}

/// A row of `docker history`: Docker's `historyContext`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryRow {
    /// `.ID`: the image ID of the step, 12 hex digits unless `--no-trunc`, or `<missing>`.
    pub id: String,
    /// `.CreatedSince`: `"2 weeks ago"`, `N/A` for a step created before 2000; with
    /// `-H=false` it is `.CreatedAt`.
    pub created_since: String,
    /// `.CreatedAt`: `time.Unix(created, 0).Format(time.RFC3339)` in the client's zone.
    pub created_at: String,
    /// `.CreatedBy`: the step's command, tabs as spaces, cut to 45 columns with `…` unless
    /// `--no-trunc`.
    pub created_by: String,
    /// `.Size`: `units.HumanSizeWithPrecision(size, 3)`, or the plain byte count with
    /// `-H=false`.
    pub size: String,
    /// `.Comment`: the step's comment.
    pub comment: String,
}

impl Row for HistoryRow {
    const TYPE_NAME: &'static str = "*image.historyContext";
    const HEADERS: &'static [(&'static str, &'static str)] = &[
        ("ID", "IMAGE"),
        ("CreatedSince", "CREATED"),
        ("CreatedAt", "CREATED AT"),
        ("CreatedBy", "CREATED BY"),
        ("Size", "SIZE"),
        ("Comment", "COMMENT"),
    ];
    const TABLE: &'static str =
        "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";

    fn fields(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("ID", self.id.clone().into()),
            ("CreatedSince", self.created_since.clone().into()),
            ("CreatedAt", self.created_at.clone().into()),
            ("CreatedBy", self.created_by.clone().into()),
            ("Size", self.size.clone().into()),
            ("Comment", self.comment.clone().into()),
        ]
    }
}

impl HistoryRow {
    /// `docker history -H=false`: CREATED AT instead of CREATED.
    pub const TABLE_NOT_HUMAN: &'static str =
        "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
}

/// Keys whose values are Go maps in Docker's inspect types (`map[string]string` and the
/// like): a JSON object under one of them prints as `map[k:v]` and ranges by key, an absent
/// key in it is `<no value>`, and `null` under it prints `map[]`.
const MAP_KEYS: &[&str] = &[
    "Labels",
    "Volumes",
    "ExposedPorts",
    "Data",
    "Options",
    "DriverOpts",
    "Networks",
    "Ports",
    "PortBindings",
    "Sysctls",
    "StorageOpt",
    "Tmpfs",
    "Annotations",
];

/// Keys whose values are Go pointers to structs: `null` under one of them prints `<nil>`.
const POINTER_KEYS: &[&str] = &["Healthcheck", "StopTimeout", "Health", "Platform"];

/// The zero value of a field Docker's JSON leaves out.
#[derive(Clone, Copy)]
enum Zero {
    Map,
    List,
    Nil,
    False,
    Empty,
}

/// Fields of Docker's inspect types that its JSON leaves out when they are empty
/// (`omitempty`): (the object's key, `""` for the top, the field, its zero). The typed
/// struct has them, so `{{.Config.ExposedPorts}}` prints `map[]` and
/// `{{.Config.Healthcheck}}` `<nil>`.
const ABSENT: &[(&str, &str, Zero)] = &[
    ("", "Variant", Zero::Empty),
    ("", "OsVersion", Zero::Empty),
    ("RootFS", "Layers", Zero::List),
    ("RootFS", "BaseLayer", Zero::Empty),
    ("Config", "ExposedPorts", Zero::Map),
    ("Config", "Healthcheck", Zero::Nil),
    ("Config", "ArgsEscaped", Zero::False),
    ("Config", "NetworkDisabled", Zero::False),
    ("Config", "MacAddress", Zero::Empty),
    ("Config", "StopSignal", Zero::Empty),
    ("Config", "StopTimeout", Zero::Nil),
    ("Config", "Shell", Zero::List),
    ("ContainerConfig", "ExposedPorts", Zero::Map),
    ("ContainerConfig", "Healthcheck", Zero::Nil),
    ("ContainerConfig", "ArgsEscaped", Zero::False),
    ("ContainerConfig", "NetworkDisabled", Zero::False),
    ("ContainerConfig", "MacAddress", Zero::Empty),
    ("ContainerConfig", "StopSignal", Zero::Empty),
    ("ContainerConfig", "StopTimeout", Zero::Nil),
    ("ContainerConfig", "Shell", Zero::List),
];

impl Zero {
    fn value(self) -> Value {
        match self {
            Zero::Map => Value::Map(Map {
                entries: BTreeMap::new(),
                nil: true,
            }),
            Zero::List => Value::List(List {
                items: Vec::new(),
                nil: true,
            }),
            Zero::Nil => Value::Nil,
            Zero::False => Value::Bool(false),
            Zero::Empty => Value::String(String::new()),
        }
    }
}

/// `docker inspect`'s JSON as its `-f` template sees it.
///
/// Docker decodes the daemon's JSON into typed Go structs (`types.ImageInspect`) and runs
/// the template on those; when that fails, it runs it again on the raw JSON (maps, with
/// `missingkey=error`) and reports that second error. So:
/// * an object is a Go struct: it prints as `{v1 v2}` and its `json` keeps the field order,
///   except under the keys Docker's types declare as maps (`Labels`, `GraphDriver.Data`, …,
///   `MAP_KEYS` in this file), which print as `map[k:v]`, sorted;
/// * an unknown field of a struct fails as in the raw run, `map has no entry for key
///   "Nope"`; an unknown key of a map is `<no value>`, as in the typed run;
/// * `null` is a nil slice (`[]`, `len` 0, `json` `null`: `Config.Entrypoint`, `Env`,
///   `Cmd`…), a nil map under a map key (`map[]`), or a nil pointer under the keys of
///   `POINTER_KEYS` (`<nil>`);
/// * the fields Docker's JSON leaves out when empty are there with their zero values
///   (`ABSENT`: `{{.Config.ExposedPorts}}` is `map[]`);
/// * integers are `int` (`{{gt .Size 1000}}` compares), other numbers `float64`.
///
/// The top-level struct is named for Docker's type only in messages; capas passes
/// `types.ImageInspect` for an image and `types.ContainerJSON` for a container.
pub fn inspect_value(json: &Json, type_name: &str) -> Value {
    // The top object is under the key "" (array elements are under none).
    match convert(json, Some("")) {
        Value::Struct(s) => {
            let mut s = (*s).clone();
            s.type_name = type_name.to_string();
            s.into_value()
        }
        other => other,
    }
}

fn convert(json: &Json, key: Option<&str>) -> Value {
    let is_map = key.is_some_and(|k| MAP_KEYS.contains(&k));
    match json {
        Json::Null if is_map => Value::Map(Map {
            entries: BTreeMap::new(),
            nil: true,
        }),
        Json::Null if key.is_some_and(|k| POINTER_KEYS.contains(&k)) => Value::Nil,
        Json::Null => Value::List(List {
            items: Vec::new(),
            nil: true,
        }),
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => match n.as_u64() {
                Some(u) => Value::Uint(u),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
        },
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => Value::List(List {
            items: items.iter().map(|v| convert(v, None)).collect(),
            nil: false,
        }),
        Json::Object(fields) if is_map => Value::Map(Map {
            entries: fields
                .iter()
                .map(|(k, v)| (k.clone(), convert(v, None)))
                .collect(),
            nil: false,
        }),
        Json::Object(fields) => {
            let mut s = Struct::new(key.unwrap_or("struct"), StructKind::Inspect);
            for (k, v) in fields {
                s = s.field(k, convert(v, Some(k)));
            }
            for (parent, name, zero) in ABSENT {
                if key == Some(*parent) && !fields.contains_key(*name) {
                    s.absent.push((name.to_string(), zero.value()));
                }
            }
            s.into_value()
        }
    }
}
