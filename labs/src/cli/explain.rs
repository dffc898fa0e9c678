//! The teaching commands no other tool has: `capas why` (which layer gives or hides a path)
//! and `capas layers` (each layer's own files, marked added / changed / removed, and the bytes
//! a layer hides below it: the space wasted by files that later layers replace or delete).

use std::io::Write;
use std::os::unix::fs::MetadataExt;

use anyhow::Context as _;
use capas_core::container::{Container, ContainerError};
use capas_core::image::{self, Image};
use capas_core::layer::{OPAQUE_MARKER, WHITEOUT_PREFIX};
use capas_core::shell::FileKind;
use capas_core::union::{Hider, LayerRef, UnionView, Why};

use super::Context;
use crate::format::{self, Table};

/// Options of `capas why`.
#[derive(Debug, clap::Args)]
pub struct WhyArgs {
    /// A container or an image.
    pub target: String,
    /// The path to explain, e.g. `/etc/issue`.
    pub path: String,
}

/// Options of `capas layers`.
#[derive(Debug, clap::Args)]
pub struct LayersArgs {
    /// Only the one-line summary of each layer.
    #[arg(long)]
    pub summary: bool,
    /// The image.
    pub image: String,
}

fn layer_name(r: &LayerRef) -> String {
    match r.label.strip_prefix("sha256:") {
        Some(hex) => format!("layer {} ({})", r.index, &hex[..hex.len().min(12)]),
        None => format!("layer {} ({})", r.index, r.label),
    }
}

fn kind_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::File => "file",
        FileKind::Dir => "directory",
        FileKind::Symlink => "symlink",
        FileKind::Other => "special file",
    }
}

/// Runs `capas why`.
pub fn why(ctx: &Context, args: WhyArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let answer = match Container::open(&ctx.store, &args.target) {
        Ok(c) => c.why(&args.path)?,
        Err(ContainerError::NotFound { .. }) => {
            let index = ctx.store.index()?;
            let img = Image::load(&ctx.store, image::resolve(&index, &args.target)?)?;
            UnionView::of_image(&ctx.store, &img)?.why(&args.path)?
        }
        Err(e) => return Err(e.into()),
    };
    let path = &args.path;
    match answer {
        Why::Visible {
            layer,
            kind,
            merged_with,
            shadows,
        } => {
            writeln!(
                out,
                "{path}: {} from {}",
                kind_name(kind),
                layer_name(&layer)
            )?;
            if !merged_with.is_empty() {
                let names: Vec<String> = merged_with.iter().map(layer_name).collect();
                writeln!(
                    out,
                    "  merged with the same directory in {}",
                    names.join(", ")
                )?;
            }
            for lower in &shadows {
                writeln!(out, "  it hides the copy in {}", layer_name(lower))?;
            }
        }
        Why::Hidden { in_layers, by } => {
            writeln!(out, "{path}: not visible")?;
            for lower in &in_layers {
                writeln!(out, "  {} has it", layer_name(lower))?;
            }
            match by {
                Hider::Whiteout { layer, marker } => writeln!(
                    out,
                    "  the whiteout {marker} in {} deletes it",
                    layer_name(&layer)
                )?,
                Hider::Opaque { layer, marker } => writeln!(
                    out,
                    "  the opaque marker {marker} in {} hides everything below in that directory",
                    layer_name(&layer)
                )?,
                Hider::Replaced { layer, path, kind } => writeln!(
                    out,
                    "  the {} {path} in {} replaces it",
                    kind_name(kind),
                    layer_name(&layer)
                )?,
            }
        }
        Why::Never => writeln!(out, "{path}: no layer has it")?,
    }
    Ok(0)
}

/// What one entry of a layer does to the view below it.
enum Mark {
    /// New: nothing below had it.
    Added,
    /// Replaces (or, for a directory, updates) what a lower layer had.
    Changed,
    /// A whiteout: deletes what is below.
    Removed,
}

/// Runs `capas layers`.
pub fn layers(ctx: &Context, args: LayersArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let index = ctx.store.index().context("reading the image index")?;
    let img = Image::load(&ctx.store, image::resolve(&index, &args.image)?)?;
    let view = UnionView::of_image(&ctx.store, &img)?;
    let all = view.layers().to_vec();
    let steps = img.history(&ctx.store, &index)?;
    // History rows that made a layer, bottom first, to name each layer by its step.
    let made_layer: Vec<String> = steps
        .iter()
        .rev()
        .filter(|r| !r.empty_layer)
        .map(|r| r.created_by.clone())
        .collect();

    let mut summary = Table::new(&[
        "LAYER",
        "CHAIN ID",
        "SIZE",
        "ADDED",
        "CHANGED",
        "REMOVED",
        "HIDES",
        "CREATED BY",
    ]);
    let mut details = String::new();
    let mut total_hidden = 0u64;
    for (i, layer) in all.iter().enumerate() {
        let below = UnionView::from_layers(all[..i].to_vec());
        let record = ctx.store.layer(&img.layers()[i].chain_id)?;
        let (mut added, mut changed, mut removed, mut hidden) = (0, 0, 0, 0u64);
        let mut lines = Vec::new();
        let mut walker: Vec<_> = walkdir::WalkDir::new(&layer.dir)
            .min_depth(1)
            .sort_by_file_name()
            .into_iter()
            .collect::<Result<_, _>>()?;
        walker.sort_by(|a, b| a.path().cmp(b.path()));
        for entry in walker {
            let rel = entry
                .path()
                .strip_prefix(&layer.dir)
                .unwrap_or(entry.path());
            let rel = format!("/{}", rel.to_string_lossy());
            let name = entry.file_name().to_string_lossy();
            let parent = rel.rsplit_once('/').map_or("", |(p, _)| p);
            let (mark, shown, hides) = if name == OPAQUE_MARKER {
                // Everything below in this directory is hidden.
                let dir = if parent.is_empty() { "/" } else { parent };
                let bytes = below_bytes(&below, dir);
                (Mark::Removed, format!("{dir}/* (opaque)"), bytes)
            } else if let Some(hidden_name) = name.strip_prefix(WHITEOUT_PREFIX) {
                let target = format!("{parent}/{hidden_name}");
                let bytes = below_bytes(&below, &target);
                (Mark::Removed, target, bytes)
            } else {
                match below.lookup(&rel) {
                    None => (Mark::Added, rel.clone(), 0),
                    Some(found) if found.metadata.is_dir() => {
                        if entry.file_type().is_dir() {
                            (Mark::Changed, rel.clone(), 0)
                        } else {
                            (Mark::Changed, rel.clone(), below_bytes(&below, &rel))
                        }
                    }
                    Some(found) => (Mark::Changed, rel.clone(), found.metadata.size()),
                }
            };
            let letter = match mark {
                Mark::Added => {
                    added += 1;
                    'A'
                }
                Mark::Changed => {
                    // A directory that is only a parent of changes is not itself a change.
                    if entry.file_type().is_dir() {
                        continue;
                    }
                    changed += 1;
                    'C'
                }
                Mark::Removed => {
                    removed += 1;
                    'D'
                }
            };
            hidden += hides;
            let size = if entry.file_type().is_file() && letter != 'D' {
                format!(
                    "  {}",
                    format::size3(entry.metadata().map(|m| m.len()).unwrap_or(0))
                )
            } else {
                String::new()
            };
            let hides_text = if hides > 0 {
                format!("  (hides {} below)", format::size3(hides))
            } else {
                String::new()
            };
            lines.push(format!("  {letter} {shown}{size}{hides_text}"));
        }
        total_hidden += hidden;
        let created_by = made_layer.get(i).cloned().unwrap_or_default();
        summary.row(vec![
            i.to_string(),
            record.chain_id.digest().short().to_string(),
            format::size3(record.size),
            added.to_string(),
            changed.to_string(),
            removed.to_string(),
            format::size3(hidden),
            format::created_by_cell(&created_by, false),
        ]);
        details.push_str(&format!(
            "layer {i} ({}) {}\n",
            record.chain_id.digest().short(),
            format::size3(record.size)
        ));
        for line in lines {
            details.push_str(&line);
            details.push('\n');
        }
    }
    write!(out, "{}", summary.render())?;
    writeln!(
        out,
        "\nbytes stored in lower layers but hidden by upper ones (wasted space): {}",
        format::size3(total_hidden)
    )?;
    if !args.summary {
        writeln!(out)?;
        write!(out, "{details}")?;
    }
    Ok(0)
}

/// Bytes of the regular files a lower view has at `path` (the whole tree for a directory).
fn below_bytes(below: &UnionView, path: &str) -> u64 {
    let Some(found) = below.lookup(path) else {
        return 0;
    };
    if !found.metadata.is_dir() {
        return if found.metadata.is_file() {
            found.metadata.size()
        } else {
            0
        };
    }
    let mut total = 0;
    let prefix = path.trim_end_matches('/').to_string();
    let _ = below.walk(&mut |p, e| {
        if p.starts_with(&format!("{prefix}/")) && e.kind() == FileKind::File {
            total += e.metadata.size();
        }
    });
    total
}
