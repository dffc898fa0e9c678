//! `capas tag`: another name for the same image.
//!
//! A tag is only a pointer: tagging copies nothing and changes no ID. Moving a tag that
//! another image had leaves that image without a name (`<none>`), as in Docker.

use std::io::Write;

use anyhow::Context as _;
use capas_core::image;
use capas_core::reference::Reference;

use super::Context;

/// Options of `capas tag`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The image to name (name, ID or ID prefix).
    pub source: String,
    /// The new name, `REPOSITORY[:TAG]`.
    pub target: String,
}

/// Runs `capas tag`.
pub fn run(ctx: &Context, args: Args, _out: &mut dyn Write) -> anyhow::Result<i32> {
    let target = Reference::parse_tagged(&args.target)?;
    if target.digest().is_some() {
        anyhow::bail!("refusing to create a tag with a digest reference");
    }
    let locked = ctx.store.lock().context("locking the store")?;
    let mut index = locked.index()?;
    let id = image::resolve(&index, &args.source)?.id.clone();
    index.set_reference(target, &id);
    locked.write_index(&index)?;
    Ok(0)
}
