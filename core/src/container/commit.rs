//! `docker commit`: a container's read/write layer becomes a new image's top layer.

use std::fs;
use std::io;

use oci_spec::image::{Descriptor, MediaType};
use serde_json::{Map, Value, json};

use super::{Container, ContainerError, Result, io_err};
use crate::digest::DiffId;
use crate::image::instructions::{Caller, InstructionError, Interpreter};
use crate::image::{self, Image, ImageError, OCI_LAYER_TAR};
use crate::layer::{self, TarOptions};
use crate::reference::Reference;
use crate::store::{ImageRecord, Locked};

/// What `commit` is told (`docker commit -m … -a … -c … CONTAINER REPO:TAG`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitOptions {
    /// `-m`: the history row's comment.
    pub message: Option<String>,
    /// `-a`: the image's and the history row's author.
    pub author: Option<String>,
    /// `-c`: Dockerfile instructions applied to the config (`CMD ["sh"]`, `ENV A=b`, …).
    pub changes: Vec<String>,
    /// When, Unix seconds.
    pub created: i64,
    /// Names for the new image.
    pub tags: Vec<Reference>,
}

/// Makes a new image from a container (`docker commit`): the image's layers plus the
/// container's read/write layer, tarred as it is (it is already an OCI layer), and a new
/// config with one more history row.
///
/// The new config's `Cmd` is the container's command when it was given one (`docker run
/// IMAGE CMD…`), as Docker's is; `options.changes` apply after that.
///
/// If the read/write layer is empty, no layer is added: the history row says
/// `empty_layer: true` and `rootfs.diff_ids` stays as it was (Docker does the same). The new
/// image records the container's image as its parent; that image keeps its ID.
pub fn commit(
    locked: &Locked<'_>,
    container: &Container,
    options: &CommitOptions,
) -> Result<ImageRecord> {
    let index = locked.index()?;
    let record = index
        .images
        .get(&container.config.image)
        .ok_or_else(|| ImageError::NotFound {
            name: container.config.image.to_string(),
        })?;
    let parent = Image::load(locked, record)?;
    let mut config: Value =
        serde_json::from_slice(parent.config_bytes()).map_err(|source| ContainerError::Json {
            what: format!("config of image {}", parent.id()),
            source,
        })?;
    let Some(object) = config.as_object_mut() else {
        return Err(ContainerError::Json {
            what: format!("config of image {}", parent.id()),
            source: serde_json::Error::io(io::Error::other("it is not a JSON object")),
        });
    };
    // Changes first: a wrong one must leave nothing behind.
    let run_config = object.entry("config").or_insert_with(|| json!({}));
    if !run_config.is_object() {
        *run_config = json!({});
    }
    if let Some(run_config) = run_config.as_object_mut() {
        // Docker commits the container's own configuration: a container run with a command
        // of its own makes an image whose `Cmd` is that command. (A container made before
        // capas kept the entrypoint apart holds the whole default command in `cmd`.)
        let of = |keys: &[&str]| -> Vec<Value> {
            keys.iter()
                .filter_map(|k| run_config.get(*k).and_then(Value::as_array))
                .flatten()
                .cloned()
                .collect()
        };
        let (image_cmd, whole) = (of(&["Cmd"]), of(&["Entrypoint", "Cmd"]));
        let cmd: Vec<Value> = container.config.cmd.iter().map(|a| json!(a)).collect();
        if cmd != image_cmd && cmd != whole {
            run_config.insert("Cmd".into(), Value::Array(cmd));
        }
        let container_cmd = run_config.get("Cmd").cloned();
        // Each change as `docker build` would read it, with commit's own list of what it
        // accepts.
        let mut changes = Interpreter::new(Caller::Commit, '\\');
        for change in &options.changes {
            changes
                .apply_change(run_config, change)
                .map_err(|e| match e {
                    InstructionError::NotAChange { command } => {
                        ContainerError::InvalidChange { command }
                    }
                    other => ContainerError::BadChange {
                        change: change.clone(),
                        reason: other.to_string(),
                    },
                })?;
        }
        // Then Docker merges the container's config back in (`daemon/commit.go`, `merge`):
        // without an entrypoint, an emptied `Cmd` (`CMD []`, `ENTRYPOINT []`) is the
        // container's again; a build keeps it empty (both observed on Docker 20.10).
        let empty = |key: &str| {
            run_config
                .get(key)
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
        };
        if empty("Entrypoint")
            && empty("Cmd")
            && let Some(cmd) = container_cmd
        {
            run_config.insert("Cmd".into(), cmd);
        }
    }

    // The layer: the upper directory, tarred with each file's own metadata.
    let upper = container.upper_dir();
    let empty = fs::read_dir(&upper)
        .map_err(io_err("reading", &upper))?
        .next()
        .is_none();
    let mut layers = parent.manifest().layers().clone();
    let mut diff_id = None;
    if !empty {
        let mut writer = locked.blob_writer()?;
        layer::write_tar(&upper, &TarOptions::default(), &mut writer)?;
        let written = writer.finish(None)?;
        let new_diff_id = DiffId(written.digest.clone());
        locked.unpack_layer(&written.digest, false, parent.top_chain(), &new_diff_id)?;
        layers.push(Descriptor::new(
            MediaType::from(OCI_LAYER_TAR),
            written.size,
            oci_spec::image::Digest::from(&written.digest),
        ));
        diff_id = Some(new_diff_id);
    }

    // The config: the parent's, as it was, with Docker's changes.
    let created = image::format_time(options.created);
    let author = options.author.clone().filter(|a| !a.is_empty());
    object.insert("created".into(), created.clone().into());
    match &author {
        Some(a) => {
            object.insert("author".into(), a.clone().into());
        }
        None => {
            object.remove("author");
        }
    }
    // These describe the container that built the parent: not true of the new image.
    object.remove("container");
    object.remove("container_config");
    if let Some(diff_id) = &diff_id {
        let rootfs = object
            .entry("rootfs")
            .or_insert_with(|| json!({"type": "layers", "diff_ids": []}));
        if let Some(rootfs) = rootfs.as_object_mut() {
            let ids = rootfs.entry("diff_ids").or_insert_with(|| json!([]));
            if let Some(ids) = ids.as_array_mut() {
                ids.push(diff_id.to_string().into());
            }
        }
    }
    let mut row = Map::new();
    row.insert("created".into(), created.into());
    if let Some(a) = &author {
        row.insert("author".into(), a.clone().into());
    }
    row.insert("created_by".into(), container.config.cmd.join(" ").into());
    if let Some(m) = options.message.as_ref().filter(|m| !m.is_empty()) {
        row.insert("comment".into(), m.clone().into());
    }
    if diff_id.is_none() {
        row.insert("empty_layer".into(), true.into());
    }
    let history = object.entry("history").or_insert_with(|| json!([]));
    if let Some(history) = history.as_array_mut() {
        history.push(Value::Object(row));
    }
    let bytes = crate::go::json_bytes(&config);
    Ok(image::commit_image(
        locked,
        &bytes,
        layers,
        Some(parent.id().clone()),
        &options.tags,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_json_escapes_like_docker() {
        assert_eq!(
            crate::go::json_bytes(&json!({"a": "R <r@x> & co"})),
            br#"{"a":"R \u003cr@x\u003e \u0026 co"}"#
        );
    }
}
