//! `COPY` and `ADD`: files from the build context (or `--from` a stage or an image) into a
//! temporary container, keeping their modes and times (`--chmod`, `--chown` if given); `ADD`
//! also extracts a local tar. The container's read/write layer becomes the step's layer.

use std::fs;
use std::io::{self, Read};

use super::BuildError;
use super::context::{self, Item, ItemKind, Source, SourceError};
use super::parser::{self, Args, Instruction};
use super::state::State;
use super::steps::{Builder, Owners};
use crate::container::Container;
use crate::shell::{FileKind, Fs};
use crate::union::UnionView;

impl<'l, 's, 'p> Builder<'l, 's, 'p> {
    pub(super) fn copy(
        &mut self,
        state: &mut State,
        inst: &Instruction,
        label: &str,
    ) -> Result<(), BuildError> {
        let kw = inst.keyword.clone();
        for (flag, _) in &inst.flags {
            if !["from", "chown", "chmod"].contains(&flag.as_str())
                || (flag == "from" && kw == "ADD")
            {
                return Err(self.invalid(
                    inst,
                    format!("{kw}: the --{flag} flag is not supported by capas"),
                ));
            }
        }
        let vars_state = state.clone();
        let vars = |n: &str| vars_state.var(n);
        let mut words = match &inst.args {
            Args::Json(l) => l.clone(),
            Args::Text(t) => parser::words(t, self.escape, &vars)
                .map_err(|m| self.invalid(inst, format!("{kw}: {m}")))?,
        };
        if words.len() < 2 {
            return Err(self.invalid(inst, format!("{kw} requires at least two arguments")));
        }
        let dest_word = words.pop().unwrap_or_default();
        let chmod = match inst.flag("chmod") {
            Some(m) => Some(
                u32::from_str_radix(m, 8)
                    .ok()
                    .filter(|m| *m <= 0o7777)
                    .ok_or_else(|| {
                        self.invalid(inst, format!("{kw}: invalid --chmod value {m:?}"))
                    })?,
            ),
            None => None,
        };
        let chown = inst.flag("chown").map(str::to_string);

        // The sources, and what they hold.
        let mut from_key = String::new();
        let mut sources: Vec<Source> = Vec::new();
        let from_view = match inst.flag("from") {
            Some(from) => {
                let (view, key) = self.view_of_from(inst, from)?;
                from_key = key;
                Some(view)
            }
            None => None,
        };
        for src in &words {
            if kw == "ADD" && (src.starts_with("http://") || src.starts_with("https://")) {
                return Err(self.invalid(
                    inst,
                    format!("ADD: remote URLs are not supported by capas: {src}"),
                ));
            }
            let found = match &from_view {
                Some(view) => context::image_sources(view, src),
                None => self.ctx.sources(src),
            };
            let found = found.map_err(|e| match e {
                SourceError::NotFound(p) => BuildError::SourceNotFound {
                    file: self.file(),
                    line: inst.line,
                    keyword: kw.clone(),
                    path: p,
                },
                SourceError::Outside(p) => BuildError::OutsideContext {
                    file: self.file(),
                    line: inst.line,
                    keyword: kw.clone(),
                    path: p,
                },
                SourceError::Io(m) => self.invalid(inst, format!("{kw}: {m}")),
            })?;
            sources.extend(found);
        }
        let digest = context::content_digest(&sources).map_err(|e| self.engine(inst.line, e))?;

        let mut flags = String::new();
        if let Some(c) = &chown {
            flags.push_str(&format!("--chown={c} "));
        }
        if let Some(m) = inst.flag("chmod") {
            flags.push_str(&format!("--chmod={m} "));
        }
        let args_text = {
            let mut all = words.clone();
            all.push(dest_word.clone());
            all.join(" ")
        };
        // Docker 20.10's BuildKit does not echo `--chown`/`--chmod` in the history (observed;
        // newer BuildKit does): the machine's daemon is the one the labs compare with.
        let created_by = format!("{kw} {args_text} # buildkit");
        let shown = match inst.flag("from") {
            Some(f) => format!("{kw} --from={f} {flags}{args_text}"),
            None => format!("{kw} {flags}{args_text}"),
        };
        // The destination: relative to WORKDIR; a directory if it ends in `/` or there are
        // several sources.
        let workdir = state.string("WorkingDir").unwrap_or_else(|| "/".into());
        let dest_abs = if dest_word.starts_with('/') {
            dest_word.clone()
        } else {
            format!("{}/{dest_word}", workdir.trim_end_matches('/'))
        };
        let dest = format!("/{}", context::clean(&dest_abs).unwrap_or_default());
        let dest_is_dir = dest_word.ends_with('/') || dest_word == "." || sources.len() > 1;
        let line = inst.line;
        let add = kw == "ADD";
        self.fs_step(
            state,
            inst,
            label,
            &shown,
            &created_by,
            &[&digest, &from_key],
            &mut |b, c| {
                let owner = match &chown {
                    Some(spec) => Some(
                        resolve_owner(c, spec)
                            .map_err(|m| b.invalid(inst, format!("{kw}: {m}")))?,
                    ),
                    None => None,
                };
                let mut owners = Owners::new();
                for source in &sources {
                    let into_dir = dest_is_dir
                        || source.is_dir()
                        || c.stat(&dest).is_ok_and(|s| s.kind == FileKind::Dir);
                    if add
                        && !source.is_dir()
                        && let Some(ItemKind::File { host }) = source.items.first().map(|i| &i.kind)
                        && let Some(tar) = read_tar(host).map_err(|e| b.engine(line, e))?
                    {
                        mkdir_p(c, &dest, &mut owners, owner).map_err(|e| b.engine(line, e))?;
                        extract_tar(c, &dest, &tar, chmod, owner, &mut owners)
                            .map_err(|e| b.invalid(inst, format!("ADD: {e}")))?;
                        continue;
                    }
                    let base = if source.is_dir() {
                        dest.clone()
                    } else if into_dir {
                        let name = source.name.rsplit('/').next().unwrap_or_default();
                        format!("{}/{name}", dest.trim_end_matches('/'))
                    } else {
                        dest.clone()
                    };
                    let parent = base.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
                    if !parent.is_empty() {
                        mkdir_p(c, parent, &mut owners, owner).map_err(|e| b.engine(line, e))?;
                    }
                    for item in &source.items {
                        let target = if item.rel.is_empty() {
                            base.clone()
                        } else {
                            format!("{}/{}", base.trim_end_matches('/'), item.rel)
                        };
                        // A destination directory that exists keeps its owner.
                        let existed = item.rel.is_empty() && c.lstat(&target).is_ok();
                        put_item(c, &target, item, chmod)
                            .map_err(|e| b.invalid(inst, format!("{kw}: {target}: {e}")))?;
                        if let Some(o) = owner.filter(|_| !existed) {
                            owners.insert(target.trim_start_matches('/').to_string(), o);
                        }
                    }
                }
                Ok(owners)
            },
        )
    }

    /// The image view of `--from=stage` (a stage name or index, or an image), and a key for
    /// the cache (the image ID).
    pub(super) fn view_of_from(
        &mut self,
        inst: &Instruction,
        from: &str,
    ) -> Result<(UnionView, String), BuildError> {
        let lower = from.to_ascii_lowercase();
        let index = self
            .names
            .iter()
            .position(|n| n.as_deref() == Some(lower.as_str()))
            .or_else(|| lower.parse::<usize>().ok());
        let img = match index {
            Some(i) if i < self.stages.len() => {
                let Some(Some(mut stage)) = self.stages.get(i).cloned() else {
                    return Err(self.invalid(inst, format!("stage {from} was not built")));
                };
                let img = self.image_of(&mut stage, inst.line)?;
                self.stages[i] = Some(stage);
                img
            }
            Some(_) if lower.parse::<usize>().is_ok() => {
                return Err(self.invalid(
                    inst,
                    format!(
                        "invalid from flag value {from}: refers to current or a later build stage"
                    ),
                ));
            }
            _ => self.base_image(inst, from)?.0,
        };
        let view = UnionView::of_image(self.locked, &img).map_err(|e| self.engine(inst.line, e))?;
        Ok((view, img.id().to_string()))
    }
}

/// `mkdir -p` in the container; directories it creates get `owner` in the layer.
pub(super) fn mkdir_p(
    c: &mut Container,
    dir: &str,
    owners: &mut Owners,
    owner: Option<(u64, u64)>,
) -> io::Result<()> {
    let mut path = String::new();
    for part in dir.split('/').filter(|p| !p.is_empty()) {
        path.push('/');
        path.push_str(part);
        match c.stat(&path) {
            Ok(s) if s.kind == FileKind::Dir => {}
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    format!("{path} is not a directory"),
                ));
            }
            Err(_) => {
                c.mkdir(&path, 0o755)?;
                if let Some(o) = owner {
                    owners.insert(path.trim_start_matches('/').to_string(), o);
                }
            }
        }
    }
    Ok(())
}

/// Copies one source entry to `target` in the container, keeping its mode (or `--chmod`) and
/// its modification time, as Docker's COPY does.
fn put_item(c: &mut Container, target: &str, item: &Item, chmod: Option<u32>) -> io::Result<()> {
    let mode = chmod.unwrap_or(item.mode);
    match &item.kind {
        ItemKind::Dir => {
            match c.lstat(target) {
                Ok(s) if s.kind == FileKind::Dir => {
                    if item.rel.is_empty() {
                        return Ok(()); // the destination itself keeps its metadata
                    }
                    if s.mode != mode {
                        c.chmod(target, mode)?;
                    }
                }
                Ok(_) => {
                    c.remove_file(target)?;
                    c.mkdir(target, mode)?;
                }
                Err(_) => c.mkdir(target, mode)?,
            }
            if !item.rel.is_empty() {
                c.set_mtime(target, item.mtime)?;
            }
        }
        ItemKind::File { host } => {
            if let Ok(s) = c.lstat(target)
                && s.kind == FileKind::Symlink
            {
                c.remove_file(target)?;
            }
            let data = fs::read(host)?;
            c.write(target, &data, false)?;
            c.chmod(target, mode)?;
            c.set_mtime(target, item.mtime)?;
        }
        ItemKind::Symlink(link) => {
            if c.lstat(target).is_ok() {
                c.remove_file(target)?;
            }
            c.symlink(link, target)?;
        }
    }
    Ok(())
}

/// `--chown=user[:group]`: numbers, or names looked up in the image's `/etc/passwd` and
/// `/etc/group`.
fn resolve_owner(c: &Container, spec: &str) -> Result<(u64, u64), String> {
    let (user, group) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let read = |path: &str| -> String {
        let mut text = String::new();
        if let Ok(mut r) = c.open_read(path) {
            let _ = r.read_to_string(&mut text);
        }
        text
    };
    let lookup = |file: &str, name: &str| -> Option<(u64, u64)> {
        read(file).lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.first() == Some(&name)).then(|| {
                (
                    f.get(2).and_then(|v| v.parse().ok()).unwrap_or(0),
                    f.get(3).and_then(|v| v.parse().ok()).unwrap_or(0),
                )
            })
        })
    };
    let (uid, primary_gid) = match user.parse::<u64>() {
        Ok(n) => (n, n),
        Err(_) => lookup("/etc/passwd", user).ok_or_else(|| {
            format!("unable to find user {user}: no matching entries in passwd file")
        })?,
    };
    let gid = match group {
        None => primary_gid,
        Some(g) => match g.parse::<u64>() {
            Ok(n) => n,
            Err(_) => lookup("/etc/group", g).map(|(gid, _)| gid).ok_or_else(|| {
                format!("unable to find group {g}: no matching entries in group file")
            })?,
        },
    };
    Ok((uid, gid))
}

/// The bytes of a local file `ADD` should extract: a tar, maybe gzipped. `None` if it is not one.
fn read_tar(host: &std::path::Path) -> io::Result<Option<Vec<u8>>> {
    let bytes = fs::read(host)?;
    let plain = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        if flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .is_err()
        {
            return Ok(None);
        }
        out
    } else {
        bytes
    };
    let is_tar = plain.len() >= 512 && (&plain[257..262] == b"ustar");
    Ok(is_tar.then_some(plain))
}

/// Extracts a tar into `dest` in the container (`ADD archive.tar /dest/`).
fn extract_tar(
    c: &mut Container,
    dest: &str,
    tar: &[u8],
    chmod: Option<u32>,
    owner: Option<(u64, u64)>,
    owners: &mut Owners,
) -> io::Result<()> {
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let raw = entry.path()?.to_string_lossy().into_owned();
        let Some(rel) = context::clean(&raw).filter(|r| !r.is_empty()) else {
            continue;
        };
        if raw.split('/').any(|p| p == "..") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("archive entry {raw} leads outside the destination"),
            ));
        }
        let target = format!("{}/{rel}", dest.trim_end_matches('/'));
        if let Some((parent, _)) = target.rsplit_once('/')
            && !parent.is_empty()
        {
            mkdir_p(c, parent, owners, owner)?;
        }
        let mode = chmod.unwrap_or(entry.header().mode()? & 0o7777);
        let mtime = i64::try_from(entry.header().mtime()?).unwrap_or(0);
        let kind = entry.header().entry_type();
        let item_kind = if kind.is_dir() {
            ItemKind::Dir
        } else if kind.is_symlink() {
            let link = entry
                .link_name()?
                .map(|l| l.to_string_lossy().into_owned())
                .unwrap_or_default();
            ItemKind::Symlink(link)
        } else if kind.is_file() {
            let mut data = Vec::new();
            entry.read_to_end(&mut data)?;
            if let Ok(s) = c.lstat(&target)
                && s.kind != FileKind::Dir
            {
                c.remove_file(&target)?;
            }
            c.write(&target, &data, false)?;
            c.chmod(&target, mode)?;
            c.set_mtime(&target, mtime)?;
            if let Some(o) = owner {
                owners.insert(target.trim_start_matches('/').to_string(), o);
            }
            continue;
        } else if kind.is_hard_link() {
            let link = entry
                .link_name()?
                .map(|l| l.to_string_lossy().into_owned())
                .unwrap_or_default();
            let existing = format!(
                "{}/{}",
                dest.trim_end_matches('/'),
                context::clean(&link).unwrap_or_default()
            );
            c.hard_link(&existing, &target)?;
            continue;
        } else {
            continue;
        };
        let item = Item {
            rel: rel.clone(),
            kind: item_kind,
            mode,
            mtime,
        };
        put_item(c, &target, &item, chmod)?;
        if let Some(o) = owner {
            owners.insert(target.trim_start_matches('/').to_string(), o);
        }
    }
    Ok(())
}
