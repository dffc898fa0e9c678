//! `capas images`: one row per name of each image, as `docker images` prints them.
//!
//! The rules (docker-reference §3): one row per (repository, tag); a repository known only by
//! digest shows `<none>` as its tag; an image with no name at all is `<none> <none>`
//! (dangling). Untagged images that other images were built on (intermediates) are hidden
//! unless `-a`. Newest first. SIZE counts every layer of the image, shared or not.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use anyhow::{Context as _, bail};
use capas_core::digest::Digest;
use capas_core::image::{self, Image};
use capas_core::reference::Reference;
use capas_core::store::ImageRecord;
use serde_json::json;

use super::{Context, OutputFormat};
use crate::format::{self, Table};

/// Options of `capas images`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show all images (default hides intermediate images).
    #[arg(short, long)]
    pub all: bool,
    /// Only show image IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Show digests.
    #[arg(long)]
    pub digests: bool,
    /// Don't truncate output.
    #[arg(long)]
    pub no_trunc: bool,
    /// Filter output: dangling=true|false, label=KEY[=VALUE], reference=PATTERN, before=IMAGE, since=IMAGE.
    #[arg(short, long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    /// Only images of this repository (and tag).
    pub reference: Option<String>,
}

/// An image with what listing needs: its record, loaded parts and size.
pub(crate) struct Listed {
    pub record: ImageRecord,
    pub image: Image,
    pub size: u64,
}

/// Loads every image of the store with its size.
pub(crate) fn load_all(ctx: &Context) -> anyhow::Result<Vec<Listed>> {
    let index = ctx.store.index().context("reading the image index")?;
    let mut out = Vec::new();
    for record in index.images.values() {
        let image = Image::load(&ctx.store, record)?;
        let size = image.size(&ctx.store)?;
        out.push(Listed {
            record: record.clone(),
            image,
            size,
        });
    }
    Ok(out)
}

/// One printed row.
struct Row<'a> {
    listed: &'a Listed,
    repository: String,
    tag: String,
    digest: String,
}

enum Filter {
    Dangling(bool),
    Label(String, Option<String>),
    Reference(String),
    Before(i64),
    Since(i64),
}

fn parse_filters(ctx: &Context, raw: &[String], listed: &[Listed]) -> anyhow::Result<Vec<Filter>> {
    let index = ctx.store.index()?;
    let created_of = |name: &str| -> anyhow::Result<i64> {
        let record = image::resolve(&index, name)?;
        Ok(listed
            .iter()
            .find(|l| l.record.id == record.id)
            .and_then(|l| l.image.created())
            .unwrap_or(0))
    };
    raw.iter()
        .map(|f| {
            let (key, value) = f
                .split_once('=')
                .with_context(|| format!("bad format of filter (expected name=value): {f}"))?;
            Ok(match key {
                "dangling" => match value.to_ascii_lowercase().as_str() {
                    "true" | "1" => Filter::Dangling(true),
                    "false" | "0" => Filter::Dangling(false),
                    _ => bail!("Invalid filter 'dangling={value}'"),
                },
                "label" => match value.split_once('=') {
                    Some((k, v)) => Filter::Label(k.to_string(), Some(v.to_string())),
                    None => Filter::Label(value.to_string(), None),
                },
                "reference" => Filter::Reference(value.to_string()),
                "before" => Filter::Before(created_of(value)?),
                "since" => Filter::Since(created_of(value)?),
                _ => bail!("invalid filter '{key}'"),
            })
        })
        .collect()
}

/// Whether `name` matches a glob `pattern` where `*` matches any run of characters but `/`
/// (Docker matches `reference=` filters with path globbing).
fn glob_match(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => (0..=n.len())
                .take_while(|&i| i == 0 || n[i - 1] != b'/')
                .any(|i| go(rest, &n[i..])),
            Some((b'?', rest)) => n.first().is_some_and(|&c| c != b'/') && go(rest, &n[1..]),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

fn reference_matches(pattern: &str, r: &Reference) -> bool {
    let repo = r.familiar_repository();
    let with_tag = r.to_string();
    glob_match(pattern, &repo) || glob_match(pattern, &with_tag)
}

/// Runs `capas images`.
pub fn run(ctx: &Context, args: Args, out: &mut dyn Write) -> anyhow::Result<i32> {
    let mut listed = load_all(ctx)?;
    let filters = parse_filters(ctx, &args.filter, &listed)?;
    let parents: BTreeSet<Digest> = listed
        .iter()
        .filter_map(|l| l.record.parent.clone())
        .collect();

    // Newest first; equal times by ID so that the output is the same on every run.
    listed.sort_by(|a, b| {
        b.image
            .created()
            .cmp(&a.image.created())
            .then_with(|| a.record.id.cmp(&b.record.id))
    });

    let positional = match &args.reference {
        Some(text) => Some(
            Reference::parse(text).with_context(|| format!("invalid reference format: {text}"))?,
        ),
        None => None,
    };

    let mut rows = Vec::new();
    for l in &listed {
        let has_children = parents.contains(&l.record.id);
        let untagged = l.record.tags().next().is_none();
        if untagged && l.record.references.is_empty() && has_children && !args.all {
            continue; // an intermediate image
        }
        let mut keep = true;
        for f in &filters {
            keep &= match f {
                Filter::Dangling(want) => (untagged && !has_children) == *want,
                Filter::Label(k, v) => {
                    let labels = l
                        .image
                        .config()
                        .config()
                        .as_ref()
                        .and_then(|c| c.labels().clone())
                        .unwrap_or_default();
                    match v {
                        Some(v) => labels.get(k) == Some(v),
                        None => labels.contains_key(k),
                    }
                }
                Filter::Reference(p) => l.record.references.iter().any(|r| reference_matches(p, r)),
                Filter::Before(t) => l.image.created().unwrap_or(0) < *t,
                Filter::Since(t) => l.image.created().unwrap_or(0) > *t,
            };
        }
        if !keep {
            continue;
        }
        // Group the names by repository: tags give one row each, a repository known only by
        // digest gives one `<none>` row.
        let mut by_repo: BTreeMap<String, (Vec<&Reference>, Vec<&Reference>)> = BTreeMap::new();
        for r in &l.record.references {
            if let Some(p) = &positional {
                if r.familiar_repository() != p.familiar_repository() {
                    continue;
                }
                if p.tag().is_some() && r.tag() != p.tag() {
                    continue;
                }
            }
            let entry = by_repo.entry(r.familiar_repository()).or_default();
            if r.tag().is_some() {
                entry.0.push(r);
            } else {
                entry.1.push(r);
            }
        }
        if by_repo.is_empty() {
            if positional.is_none() {
                rows.push(Row {
                    listed: l,
                    repository: "<none>".into(),
                    tag: "<none>".into(),
                    digest: "<none>".into(),
                });
            }
            continue;
        }
        for (repo, (tags, digests)) in by_repo {
            let digest = digests
                .first()
                .and_then(|r| r.digest())
                .map_or("<none>".to_string(), |d| d.to_string());
            if tags.is_empty() {
                rows.push(Row {
                    listed: l,
                    repository: repo.clone(),
                    tag: "<none>".into(),
                    digest: digest.clone(),
                });
            }
            for t in tags {
                rows.push(Row {
                    listed: l,
                    repository: repo.clone(),
                    tag: t.tag().unwrap_or("<none>").to_string(),
                    digest: digest.clone(),
                });
            }
        }
    }

    let now = ctx.clock.now();
    let id_of = |l: &Listed| {
        if args.no_trunc {
            l.record.id.to_string()
        } else {
            l.record.id.short().to_string()
        }
    };
    let created_since = |l: &Listed| match l.image.created() {
        Some(t) => format::created_since(t, now),
        None => "N/A".to_string(),
    };

    if args.quiet {
        for row in &rows {
            writeln!(out, "{}", id_of(row.listed))?;
        }
        return Ok(0);
    }
    match args.format {
        OutputFormat::Json => {
            for row in &rows {
                let size = format::size3(row.listed.size);
                let line = json!({
                    "Containers": "N/A",
                    "CreatedAt": row.listed.image.created().map(format::go_time_utc).unwrap_or_default(),
                    "CreatedSince": created_since(row.listed),
                    "Digest": row.digest,
                    "ID": id_of(row.listed),
                    "Repository": row.repository,
                    "SharedSize": "N/A",
                    "Size": size,
                    "Tag": row.tag,
                    "UniqueSize": "N/A",
                    "VirtualSize": size,
                });
                writeln!(out, "{line}")?;
            }
        }
        OutputFormat::Table => {
            let mut headers = vec!["REPOSITORY", "TAG"];
            if args.digests {
                headers.push("DIGEST");
            }
            headers.extend(["IMAGE ID", "CREATED", "SIZE"]);
            let mut table = Table::new(&headers);
            for row in &rows {
                let mut cells = vec![row.repository.clone(), row.tag.clone()];
                if args.digests {
                    cells.push(row.digest.clone());
                }
                cells.extend([
                    id_of(row.listed),
                    created_since(row.listed),
                    format::size3(row.listed.size),
                ]);
                table.row(cells);
            }
            write!(out, "{}", table.render())?;
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_stars_stop_at_slashes() {
        assert!(glob_match("alp*", "alpine"));
        assert!(glob_match("*/web", "demo/web"));
        assert!(!glob_match("*", "demo/web"));
        assert!(glob_match("nginx:stable*", "nginx:stable-alpine3.19"));
        assert!(!glob_match("jav", "java"));
    }
}
