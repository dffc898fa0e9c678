//! `capas inspect`: an image's details as JSON, shaped like `docker image inspect`.
//!
//! The values come straight from the config bytes (whose digest is the `Id`) and from the
//! store's records: names, parent, and the size computed from the layers.

use std::io::Write;

use anyhow::Context as _;
use capas_core::image::{self, Image};
use serde_json::{Map, Value, json};

use super::Context;

/// Options of `capas inspect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One or more images (name, ID or ID prefix).
    #[arg(required = true)]
    pub images: Vec<String>,
}

/// The JSON object `docker image inspect` prints for one image (API 1.41 field order).
pub(crate) fn inspect_json(ctx: &Context, img: &Image) -> anyhow::Result<Value> {
    let config: Map<String, Value> = serde_json::from_slice(img.config_bytes())
        .with_context(|| format!("reading config of image {}", img.id()))?;
    let field = |name: &str| config.get(name).cloned();
    let text = |name: &str| field(name).unwrap_or_else(|| json!(""));
    let size = img.size(&ctx.store)?;
    let record = img.record();
    let mut out = Map::new();
    out.insert("Id".into(), json!(record.id.to_string()));
    out.insert(
        "RepoTags".into(),
        json!(record.tags().map(|r| r.to_string()).collect::<Vec<_>>()),
    );
    out.insert(
        "RepoDigests".into(),
        json!(
            record
                .repo_digests()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
        ),
    );
    out.insert(
        "Parent".into(),
        json!(
            record
                .parent
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default()
        ),
    );
    out.insert("Comment".into(), text("comment"));
    out.insert("Created".into(), text("created"));
    out.insert("DockerVersion".into(), text("docker_version"));
    out.insert("Author".into(), text("author"));
    out.insert("Config".into(), field("config").unwrap_or(Value::Null));
    out.insert("Architecture".into(), text("architecture"));
    if let Some(variant) = field("variant") {
        out.insert("Variant".into(), variant);
    }
    out.insert("Os".into(), text("os"));
    out.insert("Size".into(), json!(size));
    out.insert("VirtualSize".into(), json!(size));
    out.insert(
        "RootFS".into(),
        json!({
            "Type": "layers",
            "Layers": img.diff_ids().iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        }),
    );
    out.insert(
        "Metadata".into(),
        json!({ "LastTagTime": "0001-01-01T00:00:00Z" }),
    );
    Ok(Value::Object(out))
}

/// Runs `capas inspect`.
pub fn run(ctx: &Context, args: Args, out: &mut dyn Write) -> anyhow::Result<i32> {
    let index = ctx.store.index().context("reading the image index")?;
    let mut items = Vec::new();
    let mut missing = Vec::new();
    for name in &args.images {
        match image::resolve(&index, name) {
            Ok(record) => {
                let img = Image::load(&ctx.store, record)?;
                items.push(inspect_json(ctx, &img)?);
            }
            Err(e @ image::ImageError::NotFound { .. }) => missing.push(e),
            Err(e) => return Err(e.into()),
        }
    }
    // Docker prints the array (possibly empty) with four-space indentation, then the errors.
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    serde::Serialize::serialize(&Value::Array(items), &mut ser)?;
    out.write_all(&buf)?;
    writeln!(out)?;
    // Like Docker: the array of what was found, then the first name that was not.
    if let Some(first) = missing.into_iter().next() {
        return Err(first.into());
    }
    Ok(0)
}
