//! `capas image prune` (and the `capas image …` group): remove images nothing needs.
//!
//! By default only **dangling** images go: those without a tag (left behind when a tag moved
//! to a rebuilt image) that no other image was made from. With `-a`, every image no container
//! uses. Without `-f` Docker's question is asked first, and only `y` goes ahead; like the
//! docker CLI, capas asks whether or not stdin is a terminal (`echo y | capas image prune`
//! works, and an empty stdin means no).

use std::io::{BufRead, Write};

use anyhow::Context as _;
use capas_core::lifecycle::{self, DeleteRecord, PruneFilters, PruneOptions};

use super::{Context, images, rmi};
use crate::format;

/// `capas image …`: Docker's image management group.
#[derive(Debug, clap::Subcommand)]
pub enum ImageCommand {
    /// Remove unused images (dangling ones, or with -a all without a container).
    Prune(Args),
    /// List images (same as `capas images`).
    #[command(alias = "list")]
    Ls(images::Args),
    /// Remove one or more images (same as `capas rmi`).
    #[command(alias = "remove")]
    Rm(rmi::Args),
}

/// Runs a `capas image …` command.
pub fn run_image(ctx: &Context, command: ImageCommand, out: &mut dyn Write) -> anyhow::Result<i32> {
    match command {
        ImageCommand::Prune(args) => run(ctx, args, out),
        ImageCommand::Ls(args) => images::run(ctx, args, out),
        ImageCommand::Rm(args) => rmi::run(ctx, args, out),
    }
}

/// Options of `capas image prune`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Remove all unused images, not just dangling ones.
    #[arg(short, long)]
    pub all: bool,
    /// Do not prompt for confirmation.
    #[arg(short, long)]
    pub force: bool,
    /// Provide filter values (e.g. 'until=<timestamp>', 'label=KEY=VALUE', 'label!=KEY').
    #[arg(long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
}

/// Docker's warnings (`cli/command/image/prune.go`).
const DANGLING_WARNING: &str = "WARNING! This will remove all dangling images.";
const ALL_WARNING: &str =
    "WARNING! This will remove all images without at least one container associated to them.";

/// Runs `capas image prune`.
pub fn run(ctx: &Context, args: Args, out: &mut dyn Write) -> anyhow::Result<i32> {
    let filters = PruneFilters::parse(&args.filter, ctx.clock.now())?;
    if !args.force {
        let warning = if args.all {
            ALL_WARNING
        } else {
            DANGLING_WARNING
        };
        write!(out, "{warning}\nAre you sure you want to continue? [y/N] ")?;
        out.flush()?;
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .context("reading the answer")?;
        // Declined: the docker CLI (28) prints nothing more and exits 0.
        if !answer.trim().eq_ignore_ascii_case("y") {
            return Ok(0);
        }
    }
    let locked = ctx.store.lock().context("locking the store")?;
    let report = lifecycle::prune(
        &locked,
        &PruneOptions {
            all: args.all,
            filters,
        },
    )?;
    if !report.records.is_empty() {
        writeln!(out, "Deleted Images:")?;
        for record in &report.records {
            let kind = match record {
                DeleteRecord::Untagged(_) => "untagged",
                _ => "deleted",
            };
            writeln!(out, "{kind}: {}", record.value())?;
        }
        writeln!(out)?;
    }
    // What the store really lost on disk (blobs and unpacked layers), 4 digits as Docker.
    writeln!(
        out,
        "Total reclaimed space: {}",
        format::size4(report.freed)
    )?;
    Ok(0)
}
