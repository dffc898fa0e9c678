//! `capas pull`: bring an image into the store, layer by layer, with Docker's progress lines.
//!
//! Layers whose chain is already in the store print `Already exists` and are not fetched:
//! that is how two images share a layer on disk.

use std::io::Write;

use anyhow::Context as _;
use capas_core::distribution::{self, PullEvent};
use capas_core::reference::Reference;

use super::Context;

/// Options of `capas pull`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Suppress verbose output.
    #[arg(short, long)]
    pub quiet: bool,
    /// The image, `NAME[:TAG|@DIGEST]`.
    pub name: String,
}

/// Runs `capas pull`.
pub fn run(ctx: &Context, args: Args, out: &mut dyn Write) -> anyhow::Result<i32> {
    let typed = Reference::parse(&args.name)?;
    let reference = Reference::parse_tagged(&args.name)?;
    if typed.tag().is_none() && typed.digest().is_none() && !args.quiet {
        writeln!(out, "Using default tag: latest")?;
    }
    let locked = ctx.store.lock().context("locking the store")?;
    let mut write_error = None;
    let mut on_event = |event: PullEvent| {
        if args.quiet {
            return;
        }
        let line = match event {
            PullEvent::Start {
                tag_or_digest,
                repository,
            } => format!("{tag_or_digest}: Pulling from {repository}"),
            PullEvent::Layer { id, status } => format!("{id}: {}", status.docker_text()),
        };
        if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
            write_error.get_or_insert(e);
        }
    };
    let report = distribution::pull(&locked, &reference, &mut on_event)?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    if !args.quiet {
        writeln!(out, "Digest: {}", report.manifest_digest)?;
        if report.up_to_date {
            writeln!(out, "Status: Image is up to date for {reference}")?;
        } else {
            writeln!(out, "Status: Downloaded newer image for {reference}")?;
        }
    }
    writeln!(out, "{}", reference.full())?;
    Ok(0)
}
