//! `capas pull`: bring an image into the store, layer by layer, with Docker's progress lines.
//!
//! Layers whose chain is already in the store print `Already exists` and are not fetched:
//! that is how two images share a layer on disk. Names without a registry host come from
//! the built-in sample registry; `127.0.0.1:5000/demo/alpine:3.19` comes from that registry.

use std::io::Write;

use anyhow::Context as _;
use capas_core::distribution::{self, PullEvent, PullOptions};
use capas_core::reference::Reference;
use capas_core::registry::Platform;

use super::Context;
use super::progress::{self, Progress};

/// Options of `capas pull`.
#[derive(Debug, clap::Args)]
#[command(after_help = progress::CREDENTIALS_HELP)]
pub struct Args {
    /// Suppress verbose output.
    #[arg(short, long)]
    pub quiet: bool,
    /// Set platform if server is multi-platform capable (`linux/amd64`, `linux/arm64/v8`).
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// The image, `NAME[:TAG|@DIGEST]`.
    pub name: String,
}

/// Runs `capas pull`.
pub fn run(ctx: &Context, args: Args, out: &mut dyn Write) -> anyhow::Result<i32> {
    let typed = Reference::parse(&args.name)?;
    let reference = Reference::parse_tagged(&args.name)?;
    let options = PullOptions {
        platform: args.platform.as_deref().map(Platform::parse).transpose()?,
        credentials: progress::credentials_from_env(),
    };
    let mut shown = Progress::new(out, args.quiet);
    if typed.tag().is_none() && typed.digest().is_none() {
        shown.line("Using default tag: latest");
    }
    let locked = ctx.store.lock().context("locking the store")?;
    let mut on_event = |event: PullEvent| match event {
        PullEvent::Start {
            tag_or_digest,
            repository,
        } => shown.line(&format!("{tag_or_digest}: Pulling from {repository}")),
        PullEvent::Layer { id, status } => shown.status(&id, status.docker_text()),
        PullEvent::Progress {
            id,
            phase,
            current,
            total,
        } => shown.bytes(&id, phase, current, total),
    };
    let report = distribution::pull_with(&locked, &reference, &options, &mut on_event);
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            let _ = shown.finish();
            return Err(progress::explain(e.into()));
        }
    };
    shown.line(&format!("Digest: {}", report.manifest_digest));
    if report.up_to_date {
        shown.line(&format!("Status: Image is up to date for {reference}"));
    } else {
        shown.line(&format!("Status: Downloaded newer image for {reference}"));
    }
    shown.finish()?;
    writeln!(out, "{}", reference.full())?;
    Ok(0)
}
