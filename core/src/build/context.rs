//! Where `COPY` and `ADD` take files from: the build context (a directory on the host,
//! filtered by `.dockerignore`) or an earlier stage's image (`COPY --from=build`).
//!
//! Docker never lets a build read outside its context: a source is a path *inside* the
//! context, `..` may not climb out of it, and a source that is a symlink may only point to
//! somewhere inside it (symlinks deeper in a copied directory are copied as symlinks, never
//! followed). Each source is turned into a list of [`Item`]s, relative to the source, with
//! their metadata and where to read them, so that the copy and the cache key see the same
//! files.

use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use glob::{MatchOptions, Pattern};
use sha2::{Digest as _, Sha256};

use crate::union::UnionView;

/// What a source entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    /// A directory.
    Dir,
    /// A regular file, read from `host`.
    File {
        /// Where its bytes are on the host (in the context, or in a layer directory).
        host: PathBuf,
    },
    /// A symbolic link with this target.
    Symlink(String),
}

/// One entry to copy, relative to its source (`""` is the source itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Path below the source, `/`-separated, `""` for the source itself.
    pub rel: String,
    /// Kind and content.
    pub kind: ItemKind,
    /// Permission bits.
    pub mode: u32,
    /// Modification time, Unix seconds (Docker's COPY keeps it).
    pub mtime: i64,
}

/// A source of a `COPY`/`ADD`, resolved: its name (for the destination's basename) and the
/// entries below it.
#[derive(Debug, Clone)]
pub struct Source {
    /// The source's path as matched, relative to its root (`src/index.html`).
    pub name: String,
    /// Its entries, the source itself first, then its contents depth first, names sorted.
    pub items: Vec<Item>,
}

impl Source {
    /// Whether the source is a directory (its *contents* are copied).
    pub fn is_dir(&self) -> bool {
        self.items.first().is_some_and(|i| i.kind == ItemKind::Dir)
    }
}

/// Why a source could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceError {
    /// Nothing matched (or all of it is excluded by `.dockerignore`).
    NotFound(String),
    /// The path, or a symlink it names, leads out of the context.
    Outside(String),
    /// The host refused to read it.
    Io(String),
}

/// `.dockerignore`: patterns, last match wins, `!` re-includes; a pattern that matches a
/// directory excludes everything in it (Docker's `patternmatcher`).
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    patterns: Vec<(Pattern, bool)>,
}

impl DockerIgnore {
    /// Parses the text of a `.dockerignore` (comments `#`, blank lines skipped).
    pub fn parse(text: &str) -> DockerIgnore {
        let mut patterns = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exclude, p) = match line.strip_prefix('!') {
                Some(rest) => (false, rest.trim()),
                None => (true, line),
            };
            let p = clean(p).unwrap_or_default();
            if p.is_empty() {
                continue;
            }
            if let Ok(pattern) = Pattern::new(&p) {
                patterns.push((pattern, exclude));
            }
        }
        DockerIgnore { patterns }
    }

    /// Whether `rel` (relative to the context, `/`-separated) is excluded.
    pub fn excluded(&self, rel: &str) -> bool {
        let opts = MatchOptions {
            require_literal_separator: true,
            ..MatchOptions::new()
        };
        let mut excluded = false;
        for (pattern, exclude) in &self.patterns {
            // The path or one of its parents.
            let mut candidate = rel;
            let matched = loop {
                if pattern.matches_with(candidate, opts) {
                    break true;
                }
                match candidate.rfind('/') {
                    Some(i) => candidate = &candidate[..i],
                    None => break false,
                }
            };
            if matched {
                excluded = *exclude;
            }
        }
        excluded
    }
}

/// Cleans a path lexically ([`layer::normalize_path`](crate::layer::normalize_path)): no leading
/// `/`, no `.`, `..` resolved; `None` if `..` climbs above the root.
pub use crate::layer::normalize_path as clean;

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// The build context: a directory and its `.dockerignore`.
#[derive(Debug, Clone)]
pub struct BuildContext {
    root: PathBuf,
    ignore: DockerIgnore,
}

impl BuildContext {
    /// Opens a context directory (reads its `.dockerignore`, if any).
    pub fn open(dir: &Path) -> io::Result<BuildContext> {
        let root = fs::canonicalize(dir)?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a directory", dir.display()),
            ));
        }
        let ignore = match fs::read_to_string(root.join(".dockerignore")) {
            Ok(text) => DockerIgnore::parse(&text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => DockerIgnore::default(),
            Err(e) => return Err(e),
        };
        Ok(BuildContext { root, ignore })
    }

    /// The sources a `COPY` argument names: one path, or every match of a glob.
    pub fn sources(&self, src: &str) -> Result<Vec<Source>, SourceError> {
        // `..` may not climb out; a leading `/` means the context's root.
        let above = src
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .fold(0i64, |depth, p| {
                if depth < 0 {
                    depth
                } else if p == ".." {
                    depth - 1
                } else {
                    depth + 1
                }
            });
        let rel = match clean(src) {
            Some(r) if above >= 0 => r,
            _ => return Err(SourceError::Outside(src.to_string())),
        };
        let names: Vec<String> = if has_glob(&rel) {
            let pattern = format!("{}/{rel}", Pattern::escape(&self.root.to_string_lossy()));
            let mut found = Vec::new();
            let paths = glob::glob(&pattern).map_err(|e| SourceError::Io(e.to_string()))?;
            for p in paths.flatten() {
                if let Ok(r) = p.strip_prefix(&self.root) {
                    let r = r.to_string_lossy().into_owned();
                    if !self.ignore.excluded(&r) {
                        found.push(r);
                    }
                }
            }
            found.sort();
            found
        } else {
            vec![rel.clone()]
        };
        if names.is_empty() {
            return Err(SourceError::NotFound(src.to_string()));
        }
        let mut out = Vec::new();
        for name in names {
            if !name.is_empty() && self.ignore.excluded(&name) {
                return Err(SourceError::NotFound(src.to_string()));
            }
            let mut host = self.root.join(&name);
            let meta =
                fs::symlink_metadata(&host).map_err(|_| SourceError::NotFound(src.to_string()))?;
            if meta.file_type().is_symlink() {
                // The source itself is followed, but only inside the context.
                let target =
                    fs::canonicalize(&host).map_err(|_| SourceError::NotFound(src.to_string()))?;
                if !target.starts_with(&self.root) {
                    return Err(SourceError::Outside(src.to_string()));
                }
                host = target;
            }
            let mut items = Vec::new();
            self.walk(&host, &name, String::new(), &mut items)?;
            out.push(Source { name, items });
        }
        Ok(out)
    }

    fn walk(
        &self,
        host: &Path,
        context_rel: &str,
        rel: String,
        items: &mut Vec<Item>,
    ) -> Result<(), SourceError> {
        let io_err = |e: io::Error| SourceError::Io(format!("{}: {e}", host.display()));
        let meta = fs::symlink_metadata(host).map_err(io_err)?;
        let mode = meta.permissions().mode() & 0o7777;
        let mtime = meta.mtime();
        let kind = if meta.is_dir() {
            ItemKind::Dir
        } else if meta.file_type().is_symlink() {
            let target = fs::read_link(host).map_err(io_err)?;
            ItemKind::Symlink(target.to_string_lossy().into_owned())
        } else if meta.is_file() {
            ItemKind::File {
                host: host.to_path_buf(),
            }
        } else {
            return Ok(()); // sockets, devices: not copied
        };
        let is_dir = kind == ItemKind::Dir;
        items.push(Item {
            rel: rel.clone(),
            kind,
            mode,
            mtime,
        });
        if is_dir {
            let mut names: Vec<String> = fs::read_dir(host)
                .map_err(io_err)?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for n in names {
                let child_ctx = if context_rel.is_empty() {
                    n.clone()
                } else {
                    format!("{context_rel}/{n}")
                };
                if self.ignore.excluded(&child_ctx) {
                    continue;
                }
                let child_rel = if rel.is_empty() {
                    n.clone()
                } else {
                    format!("{rel}/{n}")
                };
                self.walk(&host.join(&n), &child_ctx, child_rel, items)?;
            }
        }
        Ok(())
    }
}

/// The sources a `COPY --from=stage` argument names in that stage's image (no globs in
/// capas; symlinks are followed only as the source itself, inside the image).
pub fn image_sources(view: &UnionView, src: &str) -> Result<Vec<Source>, SourceError> {
    let rel = clean(src).unwrap_or_default();
    let path = format!("/{rel}");
    let mut items = Vec::new();
    walk_view(view, &path, String::new(), &mut items, true)?;
    if items.is_empty() {
        return Err(SourceError::NotFound(src.to_string()));
    }
    Ok(vec![Source { name: rel, items }])
}

fn walk_view(
    view: &UnionView,
    path: &str,
    rel: String,
    items: &mut Vec<Item>,
    follow: bool,
) -> Result<(), SourceError> {
    let found = view
        .try_lookup(path)
        .map_err(|e| SourceError::Io(e.to_string()))?;
    let Some(found) = found else {
        return Err(SourceError::NotFound(path.to_string()));
    };
    let meta = &found.metadata;
    if meta.file_type().is_symlink() && follow {
        let target = fs::read_link(&found.host_path)
            .map_err(|e| SourceError::Io(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        let resolved = if target.starts_with('/') {
            target
        } else {
            let parent = path.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
            format!("{parent}/{target}")
        };
        let cleaned = format!("/{}", clean(&resolved).unwrap_or_default());
        return walk_view(view, &cleaned, rel, items, false);
    }
    let mode = meta.permissions().mode() & 0o7777;
    let kind = if meta.is_dir() {
        ItemKind::Dir
    } else if meta.file_type().is_symlink() {
        let target = fs::read_link(&found.host_path).map_err(|e| SourceError::Io(e.to_string()))?;
        ItemKind::Symlink(target.to_string_lossy().into_owned())
    } else if meta.is_file() {
        ItemKind::File {
            host: found.host_path.clone(),
        }
    } else {
        return Ok(());
    };
    let is_dir = kind == ItemKind::Dir;
    items.push(Item {
        rel: rel.clone(),
        kind,
        mode,
        mtime: meta.mtime(),
    });
    if is_dir {
        let entries = view
            .read_dir(path)
            .map_err(|e| SourceError::Io(e.to_string()))?;
        for e in entries {
            let child = if path == "/" {
                format!("/{}", e.name)
            } else {
                format!("{path}/{}", e.name)
            };
            let child_rel = if rel.is_empty() {
                e.name.clone()
            } else {
                format!("{rel}/{}", e.name)
            };
            walk_view(view, &child, child_rel, items, false)?;
        }
    }
    Ok(())
}

/// A digest of what sources hold (names, kinds, modes, contents, link targets): the part of a
/// `COPY` cache key that changes when a file does. Times are left out, as BuildKit does.
pub fn content_digest(sources: &[Source]) -> io::Result<String> {
    let mut h = Sha256::new();
    for s in sources {
        h.update(format!("source {}\n", s.name));
        for item in &s.items {
            match &item.kind {
                ItemKind::Dir => h.update(format!("dir {} {:o}\n", item.rel, item.mode)),
                ItemKind::Symlink(t) => h.update(format!("link {} {t}\n", item.rel)),
                ItemKind::File { host } => {
                    let mut f = fs::File::open(host)?;
                    let mut fh = Sha256::new();
                    let mut buf = vec![0u8; 1 << 16];
                    loop {
                        let n = f.read(&mut buf)?;
                        if n == 0 {
                            break;
                        }
                        fh.update(&buf[..n]);
                    }
                    h.update(format!(
                        "file {} {:o} {}\n",
                        item.rel,
                        item.mode,
                        hex::encode(fh.finalize())
                    ));
                }
            }
        }
    }
    Ok(hex::encode(h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerignore_last_match_wins_and_parents_count() {
        let ig = DockerIgnore::parse("# comment\n*.log\nsecret/\n!keep.log\n/tmp/**\n");
        assert!(ig.excluded("a.log"));
        assert!(!ig.excluded("keep.log"));
        assert!(
            !ig.excluded("sub/a.log"),
            "a pattern without / matches at the root only"
        );
        assert!(ig.excluded("secret/x"));
        assert!(ig.excluded("tmp/a/b"));
        assert!(!ig.excluded("index.html"));
    }

    #[test]
    fn sources_never_leave_the_context() {
        let dir = tempfile::tempdir().expect("tmp");
        let ctx_dir = dir.path().join("ctx");
        fs::create_dir(&ctx_dir).expect("mkdir");
        fs::write(dir.path().join("outside.txt"), "x").expect("write");
        fs::write(ctx_dir.join("in.txt"), "in").expect("write");
        std::os::unix::fs::symlink("../outside.txt", ctx_dir.join("escape")).expect("link");
        std::os::unix::fs::symlink("in.txt", ctx_dir.join("inside")).expect("link");
        fs::write(ctx_dir.join(".dockerignore"), "ignored.txt\n").expect("write");
        fs::write(ctx_dir.join("ignored.txt"), "no").expect("write");
        let ctx = BuildContext::open(&ctx_dir).expect("open");
        assert_eq!(
            ctx.sources("../outside.txt").unwrap_err(),
            SourceError::Outside("../outside.txt".into())
        );
        assert_eq!(
            ctx.sources("a/../../x").unwrap_err(),
            SourceError::Outside("a/../../x".into())
        );
        assert_eq!(
            ctx.sources("escape").unwrap_err(),
            SourceError::Outside("escape".into())
        );
        assert_eq!(
            ctx.sources("ignored.txt").unwrap_err(),
            SourceError::NotFound("ignored.txt".into())
        );
        assert_eq!(
            ctx.sources("nope").unwrap_err(),
            SourceError::NotFound("nope".into())
        );
        // A symlink that stays inside is followed; `/x` means the context's `x`.
        let s = ctx.sources("inside").expect("inside");
        assert!(matches!(s[0].items[0].kind, ItemKind::File { .. }));
        assert_eq!(ctx.sources("/in.txt").expect("abs").len(), 1);
        // A glob; the ignored file is not among the matches.
        let names: Vec<String> = ctx
            .sources("*.txt")
            .expect("glob")
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["in.txt"]);
        // The whole context skips ignored files, and keeps inner symlinks as symlinks.
        let all = ctx.sources(".").expect("all");
        let rels: Vec<&str> = all[0].items.iter().map(|i| i.rel.as_str()).collect();
        assert_eq!(rels, ["", ".dockerignore", "escape", "in.txt", "inside"]);
        assert_eq!(
            all[0].items[2].kind,
            ItemKind::Symlink("../outside.txt".into())
        );
    }

    #[test]
    fn content_digest_changes_with_content_only() {
        let dir = tempfile::tempdir().expect("tmp");
        fs::write(dir.path().join("a"), "one").expect("write");
        let ctx = BuildContext::open(dir.path()).expect("open");
        let d1 = content_digest(&ctx.sources("a").expect("a")).expect("digest");
        let d2 = content_digest(&ctx.sources("a").expect("a")).expect("digest");
        assert_eq!(d1, d2);
        fs::write(dir.path().join("a"), "two").expect("write");
        let d3 = content_digest(&ctx.sources("a").expect("a")).expect("digest");
        assert_ne!(d1, d3);
    }
}
