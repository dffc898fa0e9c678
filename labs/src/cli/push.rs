//! `capas push`: send an image to a registry, skipping what the registry already has.
//!
//! For each layer, bottom first: `Layer already exists` when the registry has the blob,
//! `Mounted from other/repo` when the registry could link it from another repository this
//! store pushed or pulled it from, `Pushed` otherwise. Then the manifest, whose digest the
//! registry gives back: `3.19: digest: sha256:… size: 528`, Docker's last line.

use std::io::Write;

use anyhow::Context as _;
use capas_core::distribution::{self, PushEvent, PushOptions, PushStatus};
use capas_core::reference::Reference;

use super::Context;
use super::progress::{self, Progress};

/// Options of `capas push`.
#[derive(Debug, clap::Args)]
#[command(after_help = progress::CREDENTIALS_HELP)]
pub struct Args {
    /// Suppress verbose output.
    #[arg(short, long)]
    pub quiet: bool,
    /// The image, `REGISTRY/NAME[:TAG]` (tag it first with `capas tag`).
    pub name: String,
}

/// Runs `capas push`.
pub fn run(ctx: &Context, args: Args, out: &mut dyn Write) -> anyhow::Result<i32> {
    let typed = Reference::parse(&args.name)?;
    let reference = Reference::parse_tagged(&args.name)?;
    let options = PushOptions {
        credentials: progress::credentials_from_env(),
    };
    let mut shown = Progress::new(out, args.quiet);
    if typed.tag().is_none() && typed.digest().is_none() {
        shown.line("Using default tag: latest");
    }
    let locked = ctx.store.lock().context("locking the store")?;
    let mut on_event = |event: PushEvent| match event {
        PushEvent::Start { repository } => {
            shown.line(&format!("The push refers to repository [{repository}]"))
        }
        // Docker's non-terminal output leaves out `Pushing`, which carries a byte counter.
        PushEvent::Layer { id, status } => {
            if status != PushStatus::Pushing || shown.is_terminal() {
                shown.status(&id, &status.docker_text());
            }
        }
    };
    let report = match distribution::push(&locked, &reference, &options, &mut on_event) {
        Ok(report) => report,
        Err(e) => {
            let _ = shown.finish();
            return Err(progress::explain(e.into()));
        }
    };
    shown.line(&format!(
        "{}: digest: {} size: {}",
        report.tag, report.digest, report.size
    ));
    shown.finish()?;
    if args.quiet {
        writeln!(out, "{}", reference.full())?;
    }
    Ok(0)
}
