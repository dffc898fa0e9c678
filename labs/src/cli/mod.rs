//! The `capas` command: Docker's image commands over a capas store.
//!
//! Each subcommand is one file, and prints what the docker CLI prints for the same command
//! (columns, short IDs, sizes, relative times, error texts, exit codes), so that a student can
//! hold the two side by side. Commands write to a `&mut dyn Write` so tests see exactly what
//! the student sees.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use capas_core::store::Store;
use clap::{Parser, Subcommand};

use crate::clock::Clock;

mod archive;
mod fsck;
mod history;
mod images;
mod inspect;
mod pull;
mod tag;

/// capas: container images, layer by layer, on a real engine.
#[derive(Debug, Parser)]
#[command(name = "capas", version, about, max_term_width = 100)]
pub struct Cli {
    /// The store directory (default: $CAPAS_HOME, else ~/.local/share/capas).
    #[arg(long, global = true, value_name = "DIR")]
    pub store: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands, named as Docker names them.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Download an image (from the built-in sample registry, or a registry host).
    Pull(pull::Args),
    /// List images.
    Images(images::Args),
    /// Show the history of an image: one row per recipe step.
    History(history::Args),
    /// Show an image's details as JSON, shaped like `docker image inspect`.
    Inspect(inspect::Args),
    /// Give an image another name.
    Tag(tag::Args),
    /// Save images to a tar archive (docker-archive, which Docker loads, or OCI layout).
    Save(archive::SaveArgs),
    /// Load images from a tar archive made by `capas save` or `docker save`.
    Load(archive::LoadArgs),
    /// Check every blob against its digest, and every image against its parts.
    Fsck(fsck::Args),
}

/// What a command needs: the store and the clock.
pub struct Context {
    /// The store the command works on.
    pub store: Store,
    /// Where "now" comes from (for "2 weeks ago").
    pub clock: Clock,
}

/// Runs a parsed command line, writing its normal output to `out`. Returns the process exit
/// code; errors are returned for the caller to print as one line.
pub fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<i32> {
    let root = match cli.store {
        Some(dir) => dir,
        None => Store::default_root()
            .context("no store directory: set CAPAS_HOME or HOME, or pass --store DIR")?,
    };
    let store =
        Store::open(&root).with_context(|| format!("opening store at {}", root.display()))?;
    let ctx = Context {
        store,
        clock: Clock::from_env()?,
    };
    match cli.command {
        Command::Pull(args) => pull::run(&ctx, args, out),
        Command::Images(args) => images::run(&ctx, args, out),
        Command::History(args) => history::run(&ctx, args, out),
        Command::Inspect(args) => inspect::run(&ctx, args, out),
        Command::Tag(args) => tag::run(&ctx, args, out),
        Command::Save(args) => archive::save(&ctx, args, out),
        Command::Load(args) => archive::load(&ctx, args, out),
        Command::Fsck(args) => fsck::run(&ctx, args, out),
    }
}

/// The `--format` values the listing commands accept besides Docker's Go templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum OutputFormat {
    /// Docker's table (the default).
    #[default]
    Table,
    /// One JSON object per line, with the fields Docker's `--format json` prints.
    Json,
}
