//! The container commands: `create`, `run`, `exec`, `ps`, `diff`, `commit`, `rm`, `cp`.
//!
//! A container is its image's read-only layers plus one read/write layer of its own. capas
//! does not start processes: a container's command is run by the small shell in
//! `capas_core::shell` against the container's merged file system, so every write goes
//! through copy-on-write exactly as it would under overlayfs. A command runs to its end, so a
//! capas container is either `Created` or `Exited`, never running.

use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context as _, bail};
use capas_core::container::{self, CommitOptions, Container, ContainerConfig, Status, transfer};
use capas_core::image::{self, Image};
use capas_core::reference::Reference;
use capas_core::shell::Shell;
use clap::Parser as _;

use super::Context;
use crate::clock;
use crate::format::{self, Table};

/// Options of `capas create`.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Assign a name to the container.
    #[arg(long)]
    pub name: Option<String>,
    /// The image.
    pub image: String,
    /// The command (default: the image's Entrypoint and Cmd).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// Options of `capas run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Assign a name to the container.
    #[arg(long)]
    pub name: Option<String>,
    /// Automatically remove the container (and its read/write layer) when it exits.
    #[arg(long)]
    pub rm: bool,
    /// The image.
    pub image: String,
    /// The command (default: the image's Entrypoint and Cmd).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// Options of `capas exec`.
#[derive(Debug, clap::Args)]
pub struct ExecArgs {
    /// The container (name, ID or ID prefix).
    pub container: String,
    /// The command.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// Options of `capas ps`.
#[derive(Debug, clap::Args)]
pub struct PsArgs {
    /// Show all containers (default shows just running: capas has none running).
    #[arg(short, long)]
    pub all: bool,
    /// Only display container IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Don't truncate output.
    #[arg(long)]
    pub no_trunc: bool,
}

/// Options of `capas diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The container.
    pub container: String,
}

/// Options of `capas commit`.
#[derive(Debug, clap::Args)]
pub struct CommitArgs {
    /// Commit message.
    #[arg(short, long)]
    pub message: Option<String>,
    /// Author (e.g., "Ana García <ana@example.com>").
    #[arg(short, long)]
    pub author: Option<String>,
    /// Apply Dockerfile instruction to the created image (CMD, ENV, LABEL, …).
    #[arg(short, long = "change")]
    pub change: Vec<String>,
    /// The container.
    pub container: String,
    /// The new image's name, `REPOSITORY[:TAG]`.
    pub reference: Option<String>,
}

/// Options of `capas rm`.
#[derive(Debug, clap::Args)]
pub struct RmArgs {
    /// Accepted for Docker compatibility (capas containers are never running).
    #[arg(short, long)]
    pub force: bool,
    /// The containers.
    #[arg(required = true)]
    pub containers: Vec<String>,
}

/// Options of `capas cp`.
#[derive(Debug, clap::Args)]
pub struct CpArgs {
    /// `CONTAINER:SRC_PATH` or a host path.
    pub source: String,
    /// `CONTAINER:DEST_PATH` or a host path.
    pub destination: String,
}

/// Runs `capas create`: prints the new container's ID.
pub fn create(ctx: &Context, args: CreateArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    pull_if_missing(ctx, &args.image)?;
    let locked = ctx.store.lock().context("locking the store")?;
    let index = locked.index()?;
    let img = Image::load(&locked, image::resolve(&index, &args.image)?)?;
    let created = clock::creation_time(&ctx.clock)?;
    let c = Container::create(&locked, &img, args.name.as_deref(), &args.command, created)?;
    writeln!(out, "{}", c.id())?;
    Ok(0)
}

/// Runs `capas run`: create, then run the command; the exit code is the command's.
pub fn run(ctx: &Context, args: RunArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    pull_if_missing(ctx, &args.image)?;
    let locked = ctx.store.lock().context("locking the store")?;
    let index = locked.index()?;
    let img = Image::load(&locked, image::resolve(&index, &args.image)?)?;
    let created = clock::creation_time(&ctx.clock)?;
    let mut c = Container::create(&locked, &img, args.name.as_deref(), &args.command, created)?;
    let argv = c.config().argv();
    let code = run_in(&mut c, Some(&img), &argv, created, out)?;
    c.set_exited(code)?;
    if args.rm {
        // The read/write layer goes with the container: the image is untouched.
        container::remove(&locked, c.id())?;
    }
    Ok(code)
}

/// As `docker run` and `docker create` do: an image that is not in the store is pulled
/// first, its progress on stderr after `Unable to find image 'alpine:3.19' locally`.
fn pull_if_missing(ctx: &Context, name: &str) -> anyhow::Result<()> {
    let index = ctx.store.index()?;
    match image::resolve(&index, name) {
        Err(capas_core::image::ImageError::NotFound { .. }) => {}
        _ => return Ok(()),
    }
    // Only a name can be pulled (an ID prefix that matches nothing stays "No such image").
    let Ok(reference) = Reference::parse_tagged(name) else {
        return Ok(());
    };
    let mut err = io::stderr().lock();
    writeln!(err, "Unable to find image '{reference}' locally")?;
    let tagged = reference.to_string();
    let cli = super::Cli::try_parse_from(["capas", "pull", tagged.as_str()])?;
    if let super::Command::Pull(pull_args) = cli.command {
        super::pull::run(ctx, pull_args, &mut err)?;
    }
    Ok(())
}

/// Runs `capas exec`: runs another command in an existing container.
pub fn exec(ctx: &Context, args: ExecArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let locked = ctx.store.lock().context("locking the store")?;
    let mut c = Container::open(&locked, &args.container)?;
    let index = locked.index()?;
    // After `rmi -f` the image is gone but its layers stay with the container, as in
    // Docker: the command then runs with the default environment.
    let img = match index.images.get(&c.config().image) {
        Some(record) => Some(Image::load(&locked, record)?),
        None => None,
    };
    let now = clock::creation_time(&ctx.clock)?;
    run_in(&mut c, img.as_ref(), &args.command, now, out)
}

/// Runs `argv` with the container shell, in the image's environment and working directory.
fn run_in(
    c: &mut Container,
    img: Option<&Image>,
    argv: &[String],
    now: i64,
    out: &mut dyn Write,
) -> anyhow::Result<i32> {
    if argv.is_empty() {
        bail!("no command specified");
    }
    let run_config = img
        .and_then(|i| i.config().config().clone())
        .unwrap_or_default();
    let env: Vec<(String, String)> = run_config
        .env()
        .clone()
        .unwrap_or_default()
        .iter()
        .filter_map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect();
    let workdir = run_config
        .working_dir()
        .clone()
        .filter(|w| !w.is_empty())
        .unwrap_or_else(|| "/".to_string());
    c.set_clock(now);
    let mut shell = Shell::new(env, &workdir).with_now(now);
    let stderr = io::stderr();
    let mut err = stderr.lock();
    let code = shell.run_argv(c, argv, out, &mut err);
    out.flush()?;
    Ok(code)
}

/// The image name `ps` shows: its first tag, else its short ID.
fn image_name(ctx: &Context, cfg: &ContainerConfig) -> String {
    ctx.store
        .index()
        .ok()
        .and_then(|index| index.images.get(&cfg.image).cloned())
        .and_then(|record| record.tags().next().map(|r| r.to_string()))
        .unwrap_or_else(|| cfg.image.short().to_string())
}

/// Runs `capas ps`.
pub fn ps(ctx: &Context, args: PsArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    // Nothing runs in the background in capas: without -a the list is empty, as in Docker
    // after a `docker run` whose command has ended.
    let containers = if args.all {
        container::list(&ctx.store)?
    } else {
        Vec::new()
    };
    if args.quiet {
        for c in &containers {
            let id = if args.no_trunc {
                c.id.as_str()
            } else {
                c.short_id()
            };
            writeln!(out, "{id}")?;
        }
        return Ok(0);
    }
    let now = ctx.clock.now();
    let mut table = Table::new(&[
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ]);
    for c in &containers {
        let command = c.argv().join(" ");
        let command = if args.no_trunc {
            format!("\"{command}\"")
        } else {
            format!("\"{}\"", format::ellipsis(&command, 20))
        };
        let since = format::created_since(c.created, now);
        let status = match c.state.status {
            Status::Created => "Created".to_string(),
            Status::Exited => format!("Exited ({}) {since}", c.state.exit_code),
        };
        table.row(vec![
            if args.no_trunc {
                c.id.clone()
            } else {
                c.short_id().to_string()
            },
            image_name(ctx, c),
            command,
            since,
            status,
            String::new(),
            c.name.clone(),
        ]);
    }
    write!(out, "{}", table.render())?;
    Ok(0)
}

/// Runs `capas diff`: `A`, `C` and `D` lines, as `docker diff` prints them (sorted).
pub fn diff(ctx: &Context, args: DiffArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let c = Container::open(&ctx.store, &args.container)?;
    for change in c.diff()? {
        writeln!(out, "{change}")?;
    }
    Ok(0)
}

/// Runs `capas commit`: prints the new image's full ID.
pub fn commit(ctx: &Context, args: CommitArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let tags = match &args.reference {
        Some(r) => vec![Reference::parse_tagged(r)?],
        None => Vec::new(),
    };
    let locked = ctx.store.lock().context("locking the store")?;
    let c = Container::open(&locked, &args.container)?;
    let record = container::commit(
        &locked,
        &c,
        &CommitOptions {
            message: args.message,
            author: args.author,
            changes: args.change,
            created: clock::creation_time(&ctx.clock)?,
            tags,
        },
    )?;
    writeln!(out, "{}", record.id)?;
    Ok(0)
}

/// Runs `capas rm`: the container and its read/write layer are deleted.
pub fn rm(ctx: &Context, args: RmArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let locked = ctx.store.lock().context("locking the store")?;
    let mut failed = None;
    for name in &args.containers {
        match container::remove(&locked, name) {
            Ok(_) => writeln!(out, "{name}")?,
            Err(e) => {
                eprintln!("Error: {e}");
                failed = Some(1);
            }
        }
    }
    Ok(failed.unwrap_or(0))
}

/// Splits `CONTAINER:PATH`; a plain path (or one starting with `/` or `.`) is on the host.
fn split_container_path(arg: &str) -> Option<(&str, &str)> {
    if arg.starts_with('/') || arg.starts_with('.') {
        return None;
    }
    arg.split_once(':').filter(|(c, _)| !c.is_empty())
}

/// Runs `capas cp`, in either direction: the copy itself is the engine's
/// ([`capas_core::container::transfer`]).
pub fn cp(ctx: &Context, args: CpArgs, _out: &mut dyn Write) -> anyhow::Result<i32> {
    match (
        split_container_path(&args.source),
        split_container_path(&args.destination),
    ) {
        (Some((name, path)), None) => {
            let c = Container::open(&ctx.store, name)?;
            transfer::copy_from_container(&c, path, Path::new(&args.destination))?;
        }
        (None, Some((name, path))) => {
            let locked = ctx.store.lock().context("locking the store")?;
            let mut c = Container::open(&locked, name)?;
            transfer::copy_into_container(&mut c, Path::new(&args.source), path)?;
        }
        (Some(_), Some(_)) => bail!("copying between containers is not supported"),
        (None, None) => bail!("must specify at least one container source"),
    }
    Ok(0)
}
