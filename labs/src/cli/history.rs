//! `capas history`: one row per recipe step, newest first, as `docker history` prints them.
//!
//! Steps that only changed metadata (`ENV`, `CMD`) made no layer and show `0B`. Only the top
//! row, and rows of local parent images, have an ID; the rest show `<missing>`: a pulled
//! image carries its layers, not the images they were built as.

use std::io::Write;

use anyhow::Context as _;
use capas_core::image::{self, Image};
use serde_json::json;

use super::{Context, OutputFormat};
use crate::format::{self, Table};

/// Options of `capas history`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Don't truncate output.
    #[arg(long)]
    pub no_trunc: bool,
    /// Print sizes and dates in human readable format.
    #[arg(short = 'H', long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub human: bool,
    /// Only show image IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    /// The image (name, ID or ID prefix).
    pub image: String,
}

/// Runs `capas history`.
pub fn run(ctx: &Context, args: Args, out: &mut dyn Write) -> anyhow::Result<i32> {
    let index = ctx.store.index().context("reading the image index")?;
    let record = image::resolve(&index, &args.image)?;
    let img = Image::load(&ctx.store, record)?;
    let rows = img.history(&ctx.store, &index)?;
    let now = ctx.clock.now();

    let id_cell = |row: &image::HistoryRow| match &row.id {
        Some(id) if args.no_trunc => id.to_string(),
        Some(id) => id.short().to_string(),
        None => "<missing>".to_string(),
    };
    let size_cell = |size: u64| {
        if args.human {
            format::size3(size)
        } else {
            size.to_string()
        }
    };
    let created_cell = |row: &image::HistoryRow| match (row.created, args.human) {
        (Some(t), true) => format::history_created_since(t, now),
        (Some(t), false) => format::rfc3339_local(t),
        (None, _) => "N/A".to_string(),
    };

    if args.quiet {
        for row in &rows {
            writeln!(out, "{}", id_cell(row))?;
        }
        return Ok(0);
    }
    match args.format {
        OutputFormat::Json => {
            for row in &rows {
                let line = json!({
                    "Comment": row.comment,
                    "CreatedAt": row.created.map(format::rfc3339_local).unwrap_or_default(),
                    "CreatedBy": format::created_by_cell(&row.created_by, args.no_trunc),
                    "CreatedSince": row.created.map(|t| format::history_created_since(t, now)).unwrap_or_default(),
                    "ID": id_cell(row),
                    "Size": size_cell(row.size),
                });
                writeln!(out, "{line}")?;
            }
        }
        OutputFormat::Table => {
            let created_header = if args.human { "CREATED" } else { "CREATED AT" };
            let mut table = Table::new(&["IMAGE", created_header, "CREATED BY", "SIZE", "COMMENT"]);
            for row in &rows {
                table.row(vec![
                    id_cell(row),
                    created_cell(row),
                    format::created_by_cell(&row.created_by, args.no_trunc),
                    size_cell(row.size),
                    row.comment.clone(),
                ]);
            }
            write!(out, "{}", table.render())?;
        }
    }
    Ok(0)
}
