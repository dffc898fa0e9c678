//! `capas system df`: where the store's space goes, as `docker system df` shows it.
//!
//! The summary counts every layer once (SIZE) and says how much `image prune -a` and
//! `rm` could give back (RECLAIMABLE). With `-v`, one row per image: SIZE counts shared
//! layers in every image that has them, SHARED SIZE is the part other images also have,
//! UNIQUE SIZE what deleting this image alone would free.

use std::io::Write;

use capas_core::container::{ContainerConfig, Status};
use capas_core::lifecycle::{self, DiskUsage};

use super::Context;
use crate::format::{self, Table};

/// `capas system …`.
#[derive(Debug, clap::Subcommand)]
pub enum SystemCommand {
    /// Show disk usage: images, containers, what could be reclaimed.
    Df(DfArgs),
}

/// Options of `capas system df`.
#[derive(Debug, clap::Args)]
pub struct DfArgs {
    /// Show detailed information on space usage.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Runs a `capas system …` command.
pub fn run(ctx: &Context, command: SystemCommand, out: &mut dyn Write) -> anyhow::Result<i32> {
    match command {
        SystemCommand::Df(args) => df(ctx, args, out),
    }
}

/// `<size> (<percent>%)` as the docker CLI prints RECLAIMABLE (no percent of nothing).
fn reclaimable(reclaimable: u64, total: u64) -> String {
    if total > 0 {
        format!(
            "{} ({}%)",
            format::size4(reclaimable),
            u128::from(reclaimable) * 100 / u128::from(total)
        )
    } else {
        format::size4(reclaimable)
    }
}

fn df(ctx: &Context, args: DfArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let usage = lifecycle::disk_usage(&ctx.store)?;
    if args.verbose {
        write!(out, "{}", verbose(ctx, &usage))?;
        return Ok(0);
    }
    let mut table = Table::new(&["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]);
    table.row(vec![
        "Images".into(),
        usage.images.len().to_string(),
        usage.active_images().to_string(),
        format::size4(usage.layers_size),
        reclaimable(usage.images_reclaimable(), usage.layers_size),
    ]);
    table.row(vec![
        "Containers".into(),
        usage.containers.len().to_string(),
        usage.active_containers().to_string(),
        format::size4(usage.containers_size()),
        reclaimable(usage.containers_reclaimable(), usage.containers_size()),
    ]);
    // capas has no volumes and no build cache yet: Docker's rows, empty.
    for kind in ["Local Volumes", "Build Cache"] {
        table.row(vec![
            kind.into(),
            "0".into(),
            "0".into(),
            "0B".into(),
            "0B".into(),
        ]);
    }
    write!(out, "{}", table.render())?;
    Ok(0)
}

/// The image name a container row shows: the image's first tag, else its short ID (as
/// `docker ps` does once the name has moved).
fn image_of(usage: &DiskUsage, c: &ContainerConfig) -> String {
    usage
        .images
        .iter()
        .find(|i| i.record.id == c.image)
        .and_then(|i| i.record.tags().next().map(ToString::to_string))
        .unwrap_or_else(|| c.image.short().to_string())
}

fn verbose(ctx: &Context, usage: &DiskUsage) -> String {
    let now = ctx.clock.now();
    let mut text = String::from("Images space usage:\n\n");
    let mut images = Table::new(&[
        "REPOSITORY",
        "TAG",
        "IMAGE ID",
        "CREATED",
        "SIZE",
        "SHARED SIZE",
        "UNIQUE SIZE",
        "CONTAINERS",
    ]);
    for i in &usage.images {
        // Only the first tag is shown, as Docker does.
        let mut tags: Vec<_> = i.record.tags().collect();
        tags.sort_by_key(|r| r.full());
        let (repo, tag) = match tags.first() {
            Some(r) => (
                r.familiar_repository(),
                r.tag().unwrap_or("<none>").to_string(),
            ),
            None => ("<none>".to_string(), "<none>".to_string()),
        };
        images.row(vec![
            repo,
            tag,
            i.record.id.short().to_string(),
            i.created
                .map_or("N/A".to_string(), |t| format::created_since(t, now)),
            format::size3(i.size),
            format::size4(i.shared_size),
            format::size4(i.unique_size()),
            i.containers.to_string(),
        ]);
    }
    text.push_str(&images.render());

    text.push_str("\nContainers space usage:\n\n");
    let mut containers = Table::new(&[
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "LOCAL VOLUMES",
        "SIZE",
        "CREATED",
        "STATUS",
        "NAMES",
    ]);
    for c in &usage.containers {
        let cfg = &c.config;
        let since = format::created_since(cfg.created, now);
        let status = match cfg.state.status {
            Status::Created => "Created".to_string(),
            Status::Exited => format!("Exited ({}) {since}", cfg.state.exit_code),
        };
        containers.row(vec![
            cfg.short_id().to_string(),
            image_of(usage, cfg),
            format!("\"{}\"", format::ellipsis(&cfg.argv().join(" "), 20)),
            "0".into(),
            format::size3(c.size_rw),
            since,
            status,
            cfg.name.clone(),
        ]);
    }
    text.push_str(&containers.render());

    text.push_str("\nLocal Volumes space usage:\n\n");
    text.push_str(&Table::new(&["VOLUME NAME", "LINKS", "SIZE"]).render());
    text.push_str("\nBuild cache usage: 0B\n\n");
    text.push_str(
        &Table::new(&[
            "CACHE ID",
            "CACHE TYPE",
            "SIZE",
            "CREATED",
            "LAST USED",
            "USAGE",
            "SHARED",
        ])
        .render(),
    );
    text
}
