//! `capas save` and `capas load`: images to and from a tar archive.
//!
//! `save` writes a docker-archive (what Docker 20.10 and later load) or an OCI image layout;
//! `load` reads either, and also what `docker save` writes. The image ID survives the trip
//! because the config bytes travel unchanged: the ID is their digest.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use capas_core::archive::{self, Format};
use capas_core::image;
use capas_core::reference::Reference;
use capas_core::store::ImageRecord;

use super::Context;

/// The archive layouts `capas save` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum SaveFormat {
    /// docker-archive: `manifest.json` plus an OCI layout (Docker 20.10+ loads it).
    #[default]
    Docker,
    /// A pure OCI image layout (Docker 20.10 cannot load it; skopeo, umoci can).
    Oci,
}

/// Options of `capas save`.
#[derive(Debug, clap::Args)]
pub struct SaveArgs {
    /// Write to a file, instead of STDOUT.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Archive layout.
    #[arg(long, value_enum, default_value_t)]
    pub format: SaveFormat,
    /// The images (names, IDs or ID prefixes).
    #[arg(required = true)]
    pub images: Vec<String>,
}

/// Options of `capas load`.
#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// Read from tar archive file, instead of STDIN.
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Suppress the load output.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Which images to save, with the names to write for each, as `docker save` chooses them: a
/// tag saves that tag; a bare repository name saves every tag of that repository; an ID saves
/// the image with no name.
fn select(ctx: &Context, names: &[String]) -> anyhow::Result<Vec<(ImageRecord, Vec<Reference>)>> {
    let index = ctx.store.index().context("reading the image index")?;
    let mut out: Vec<(ImageRecord, Vec<Reference>)> = Vec::new();
    let mut add = |record: &ImageRecord, name: Option<Reference>| match out
        .iter_mut()
        .find(|(r, _)| r.id == record.id)
    {
        Some((_, names)) => names.extend(name),
        None => out.push((record.clone(), name.into_iter().collect())),
    };
    for text in names {
        let typed = Reference::parse(text).ok();
        if let Some(typed) = typed
            .as_ref()
            .filter(|r| r.tag().is_none() && r.digest().is_none())
        {
            let repo = typed.familiar_repository();
            let mut found = false;
            for record in index.images.values() {
                for tag in record.tags().filter(|t| t.familiar_repository() == repo) {
                    add(record, Some(tag.clone()));
                    found = true;
                }
            }
            if found {
                continue;
            }
        }
        let record = image::resolve(&index, text)?;
        let by_name = Reference::parse_tagged(text)
            .ok()
            .filter(|r| r.tag().is_some() && record.references.contains(r));
        add(record, by_name);
    }
    Ok(out)
}

/// Runs `capas save`.
pub fn save(ctx: &Context, args: SaveArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let images = select(ctx, &args.images)?;
    let format = match args.format {
        SaveFormat::Docker => Format::DockerArchive,
        SaveFormat::Oci => Format::Oci,
    };
    match &args.output {
        Some(path) => {
            // Write beside the target and rename at the end: a failed save leaves no half archive.
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("creating {}", path.display()))?;
            archive::save(
                &ctx.store,
                &images,
                format,
                io::BufWriter::new(tmp.as_file_mut()),
            )?;
            tmp.persist(path)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        None => {
            if io::stdout().is_terminal() {
                bail!("cowardly refusing to save to a terminal. Use the -o flag or redirect");
            }
            archive::save(&ctx.store, &images, format, out)?;
        }
    }
    Ok(0)
}

/// Runs `capas load`.
pub fn load(ctx: &Context, args: LoadArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let input: Box<dyn Read> = match &args.input {
        Some(path) => {
            Box::new(File::open(path).with_context(|| format!("opening {}", path.display()))?)
        }
        None => {
            if io::stdin().is_terminal() {
                bail!("requested load from stdin, but stdin is empty");
            }
            Box::new(io::stdin().lock())
        }
    };
    let locked = ctx.store.lock().context("locking the store")?;
    let report = archive::load(&locked, io::BufReader::with_capacity(1 << 20, input))?;
    if args.quiet {
        return Ok(0);
    }
    for img in &report.images {
        for moved in &img.moved {
            writeln!(
                out,
                "The image {} already exists, renaming the old one with ID {} to empty string",
                moved.reference, moved.previous
            )?;
        }
        if img.tags.is_empty() {
            writeln!(out, "Loaded image ID: {}", img.id)?;
        }
        for tag in &img.tags {
            writeln!(out, "Loaded image: {tag}")?;
        }
    }
    Ok(0)
}
