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
mod build;
mod container;
mod explain;
mod fsck;
mod history;
mod images;
mod inspect;
mod labs;
mod progress;
mod prune;
mod pull;
mod push;
mod rmi;
mod system;
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
    /// Upload an image to a registry (only the layers it does not have).
    Push(push::Args),
    /// List images.
    Images(images::Args),
    /// Build an image from a Dockerfile: one layer per file-system step.
    Build(build::Args),
    /// Show the history of an image: one row per recipe step.
    History(history::Args),
    /// Show an image's details as JSON, shaped like `docker image inspect`.
    Inspect(inspect::Args),
    /// Give an image another name.
    Tag(tag::Args),
    /// Remove one or more images (untag, then delete what nothing else uses).
    Rmi(rmi::Args),
    /// Manage images: `image prune`, `image ls`, `image rm`.
    #[command(subcommand)]
    Image(prune::ImageCommand),
    /// Manage the store: `system df`.
    #[command(subcommand)]
    System(system::SystemCommand),
    /// Save images to a tar archive (docker-archive, which Docker loads, or OCI layout).
    Save(archive::SaveArgs),
    /// Load images from a tar archive made by `capas save` or `docker save`.
    Load(archive::LoadArgs),
    /// Check every blob against its digest, and every image against its parts.
    Fsck(fsck::Args),
    /// Create a container: the image's layers plus an empty read/write layer.
    Create(container::CreateArgs),
    /// Create a container and run a command in it (with the container shell).
    Run(container::RunArgs),
    /// Run a command in an existing container.
    Exec(container::ExecArgs),
    /// List containers.
    Ps(container::PsArgs),
    /// Show what a container changed: A (added), C (changed), D (deleted).
    Diff(container::DiffArgs),
    /// Create a new image from a container's changes (one more layer).
    Commit(container::CommitArgs),
    /// Remove containers (and their read/write layers).
    Rm(container::RmArgs),
    /// Copy files between a container and the host.
    Cp(container::CpArgs),
    /// Explain which layer provides a path, or what hides it.
    Why(explain::WhyArgs),
    /// List the course's labs with your progress, and what to run next.
    Labs(labs::Args),
    /// Show each layer of an image: what it adds, changes, removes and hides.
    Layers(explain::LayersArgs),
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
        Command::Push(args) => push::run(&ctx, args, out),
        Command::Images(args) => images::run(&ctx, args, out),
        Command::Build(args) => build::run(&ctx, args, out),
        Command::History(args) => history::run(&ctx, args, out),
        Command::Inspect(args) => inspect::run(&ctx, args, out),
        Command::Tag(args) => tag::run(&ctx, args, out),
        Command::Rmi(args) => rmi::run(&ctx, args, out),
        Command::Image(command) => prune::run_image(&ctx, command, out),
        Command::System(command) => system::run(&ctx, command, out),
        Command::Save(args) => archive::save(&ctx, args, out),
        Command::Load(args) => archive::load(&ctx, args, out),
        Command::Fsck(args) => fsck::run(&ctx, args, out),
        Command::Create(args) => container::create(&ctx, args, out),
        Command::Run(args) => container::run(&ctx, args, out),
        Command::Exec(args) => container::exec(&ctx, args, out),
        Command::Ps(args) => container::ps(&ctx, args, out),
        Command::Diff(args) => container::diff(&ctx, args, out),
        Command::Commit(args) => container::commit(&ctx, args, out),
        Command::Rm(args) => container::rm(&ctx, args, out),
        Command::Cp(args) => container::cp(&ctx, args, out),
        Command::Why(args) => explain::why(&ctx, args, out),
        Command::Labs(args) => labs::run(&ctx, args, out),
        Command::Layers(args) => explain::layers(&ctx, args, out),
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
