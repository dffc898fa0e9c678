//! The shell's [`shell::Fs`] over a container: every path is resolved inside the
//! container (symlinks included, never outside its root), every read sees the union of the
//! layers, and every write goes through copy-up ([`super::copy_up`]). So
//! `echo hola > /etc/motd` in the container shell really copies `/etc/motd` up.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use super::{
    Container, fs_err, not_found, parent_of, refs, remove_tree, set_mtime_on, time_of,
    with_write_access,
};
use crate::layer::OPAQUE_MARKER;
use crate::shell::{self, FileKind, Stat};
use crate::union;

/// Symlinks followed in one lookup before giving up, as Linux's `MAXSYMLINKS`.
const MAX_SYMLINKS: usize = 40;

fn stat_of(found_meta: &fs::Metadata, host: &Path) -> Stat {
    let kind = union::kind_of(found_meta);
    Stat {
        kind,
        mode: found_meta.mode() & 0o7777,
        size: found_meta.len(),
        uid: found_meta.uid(),
        gid: found_meta.gid(),
        mtime: found_meta.mtime(),
        nlink: found_meta.nlink(),
        link_target: if kind == FileKind::Symlink {
            fs::read_link(host)
                .ok()
                .map(|t| t.to_string_lossy().into_owned())
        } else {
            None
        },
    }
}

impl Container {
    /// Resolves a container path to its names, following symlinks inside the container (an
    /// absolute target starts again at the container's root) and the last name too if
    /// `follow_last`. Every parent of the result is a directory; the last name may not exist.
    ///
    /// A path that would leave the root, through `..` or a symlink, is refused: unlike
    /// Linux, which stops `..` at `/`, capas tells the student that the path tried to escape.
    pub(super) fn resolve(&self, path: &str, follow_last: bool) -> io::Result<Vec<String>> {
        let mut todo: VecDeque<String> = path
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .map(str::to_string)
            .collect();
        let mut names: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(name) = todo.pop_front() {
            if name == ".." {
                if names.pop().is_none() {
                    return Err(fs_err(
                        io::ErrorKind::PermissionDenied,
                        path,
                        "path escapes the container's root",
                    ));
                }
                continue;
            }
            names.push(name);
            let last = todo.is_empty();
            let Some(found) = self.lookup(&names)? else {
                if last {
                    return Ok(names);
                }
                return Err(not_found(path));
            };
            let file_type = found.metadata.file_type();
            if file_type.is_symlink() && (!last || follow_last) {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(fs_err(
                        io::ErrorKind::InvalidInput,
                        path,
                        "too many levels of symbolic links",
                    ));
                }
                let target = fs::read_link(&found.host_path)?;
                let target = target.to_string_lossy();
                if target.is_empty() {
                    return Err(not_found(path));
                }
                names.pop();
                if target.starts_with('/') {
                    // An absolute target is relative to the container's root, never the host's.
                    names.clear();
                }
                for part in target.split('/').rev() {
                    if !part.is_empty() && part != "." {
                        todo.push_front(part.to_string());
                    }
                }
            } else if !last && !file_type.is_dir() {
                return Err(fs_err(
                    io::ErrorKind::NotADirectory,
                    path,
                    "not a directory",
                ));
            }
        }
        Ok(names)
    }

    /// Opens the file `path` for writing (copied up first if it lives in a lower layer;
    /// created `0o644` if missing; truncated unless `append`) and lets `fill` write it.
    pub(super) fn write_with(
        &mut self,
        path: &str,
        append: bool,
        fill: impl FnOnce(&mut File) -> io::Result<()>,
    ) -> io::Result<()> {
        let names = self.resolve(path, true)?;
        match self.lookup(&names)? {
            Some(found) => {
                match union::kind_of(&found.metadata) {
                    FileKind::Dir => {
                        return Err(fs_err(io::ErrorKind::IsADirectory, path, "is a directory"));
                    }
                    FileKind::File => {}
                    _ => {
                        return Err(fs_err(
                            io::ErrorKind::PermissionDenied,
                            path,
                            "not a regular file",
                        ));
                    }
                }
                // copy-up: the file moves to the read/write layer before its first change.
                self.copy_up(&names)?;
                let up = self.upper_path(&names);
                self.changing(&up, || {
                    let mut file = OpenOptions::new()
                        .write(true)
                        .append(append)
                        .truncate(!append)
                        .open(&up)?;
                    fill(&mut file)
                })
            }
            None => {
                self.create_entry(&names, path, |p| {
                    let mut file = OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .mode(0o644)
                        .open(p)?;
                    // Exactly 0644 whatever the umask, as in a container (umask 022).
                    file.set_permissions(fs::Permissions::from_mode(0o644))?;
                    fill(&mut file)
                })?;
                Ok(())
            }
        }
    }
}

impl shell::Fs for Container {
    fn stat(&self, path: &str) -> io::Result<Stat> {
        let names = self.resolve(path, true)?;
        let found = self.lookup_existing(&names, path)?;
        Ok(stat_of(&found.metadata, &found.host_path))
    }

    fn lstat(&self, path: &str) -> io::Result<Stat> {
        let names = self.resolve(path, false)?;
        let found = self.lookup_existing(&names, path)?;
        Ok(stat_of(&found.metadata, &found.host_path))
    }

    fn open_read(&self, path: &str) -> io::Result<Box<dyn io::Read + '_>> {
        let names = self.resolve(path, true)?;
        let found = self.lookup_existing(&names, path)?;
        match union::kind_of(&found.metadata) {
            FileKind::Dir => Err(fs_err(io::ErrorKind::IsADirectory, path, "is a directory")),
            _ => Ok(Box::new(File::open(&found.host_path)?)),
        }
    }

    fn write(&mut self, path: &str, data: &[u8], append: bool) -> io::Result<()> {
        self.write_with(path, append, |file| file.write_all(data))
    }

    fn write_from(&mut self, path: &str, data: &mut dyn io::Read, append: bool) -> io::Result<u64> {
        let mut written = 0;
        self.write_with(path, append, |file| {
            written = io::copy(data, file)?;
            Ok(())
        })?;
        Ok(written)
    }

    fn copy_file(&mut self, from: &str, to: &str) -> io::Result<u64> {
        let names = self.resolve(from, true)?;
        let found = self.lookup_existing(&names, from)?;
        if union::kind_of(&found.metadata) != FileKind::File {
            return Err(fs_err(
                io::ErrorKind::InvalidInput,
                from,
                "not a regular file",
            ));
        }
        // Onto itself (the same name, a symlink to it, a hard link of it), the write would
        // truncate the very file it reads: refused, as cp(1) does.
        let dest = self.resolve(to, true)?;
        if let Some(there) = self.lookup(&dest)?
            && (there.metadata.dev(), there.metadata.ino())
                == (found.metadata.dev(), found.metadata.ino())
        {
            return Err(fs_err(io::ErrorKind::InvalidInput, to, "are the same file"));
        }
        // The source's own file, in whichever layer it lives, streamed into the destination.
        let mut source = File::open(&found.host_path)?;
        self.write_from(to, &mut source, false)
    }

    fn read_dir(&self, path: &str) -> io::Result<Vec<shell::DirEntry>> {
        let names = self.resolve(path, true)?;
        let found = self.lookup_existing(&names, path)?;
        if !found.metadata.is_dir() {
            return Err(fs_err(
                io::ErrorKind::NotADirectory,
                path,
                "not a directory",
            ));
        }
        let entries = self.view.list(&refs(&names), &found.merged)?.0;
        Ok(entries
            .into_iter()
            .map(|e| {
                let mut host = self.view.layers()[e.layer_index].dir.clone();
                host.extend(&names);
                host.push(&e.name);
                let stat = stat_of(&e.metadata, &host);
                shell::DirEntry { name: e.name, stat }
            })
            .collect())
    }

    fn mkdir(&mut self, path: &str, mode: u32) -> io::Result<()> {
        let names = self.resolve(path, false)?;
        if names.is_empty() || self.lookup(&names)?.is_some() {
            return Err(fs_err(io::ErrorKind::AlreadyExists, path, "file exists"));
        }
        let had_whiteout = self.create_entry(&names, path, |p: &Path| fs::create_dir(p))?;
        fs::set_permissions(
            self.upper_path(&names),
            fs::Permissions::from_mode(mode & 0o7777),
        )?;
        if had_whiteout {
            // Made again where a lower entry was deleted: the old contents must stay hidden.
            self.make_opaque(&names)?;
        }
        Ok(())
    }

    fn remove_file(&mut self, path: &str) -> io::Result<()> {
        let names = self.resolve(path, false)?;
        let found = self.lookup_existing(&names, path)?;
        if found.metadata.is_dir() {
            return Err(fs_err(io::ErrorKind::IsADirectory, path, "is a directory"));
        }
        self.delete_entry(&names)
    }

    fn remove_dir(&mut self, path: &str) -> io::Result<()> {
        let names = self.resolve(path, false)?;
        if names.is_empty() {
            return Err(fs_err(
                io::ErrorKind::ResourceBusy,
                path,
                "cannot remove the root",
            ));
        }
        let found = self.lookup_existing(&names, path)?;
        if !found.metadata.is_dir() {
            return Err(fs_err(
                io::ErrorKind::NotADirectory,
                path,
                "not a directory",
            ));
        }
        if !self.view.list(&refs(&names), &found.merged)?.0.is_empty() {
            return Err(fs_err(
                io::ErrorKind::DirectoryNotEmpty,
                path,
                "directory not empty",
            ));
        }
        self.delete_entry(&names)
    }

    fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        let mut a = self.resolve(from, false)?;
        let mut b = self.resolve(to, false)?;
        if a.is_empty() || b.is_empty() {
            return Err(fs_err(
                io::ErrorKind::ResourceBusy,
                from,
                "cannot move the root",
            ));
        }
        let fa = self.lookup_existing(&a, from)?;
        if a == b {
            return Ok(());
        }
        let a_is_dir = fa.metadata.is_dir();
        if b.len() > a.len() && b.starts_with(&a) {
            return Err(fs_err(
                io::ErrorKind::InvalidInput,
                to,
                "cannot move a directory into itself",
            ));
        }
        let fb = self.lookup(&b)?;
        if let Some(fb) = &fb {
            match (a_is_dir, fb.metadata.is_dir()) {
                (true, false) => {
                    return Err(fs_err(io::ErrorKind::NotADirectory, to, "not a directory"));
                }
                (false, true) => {
                    return Err(fs_err(io::ErrorKind::IsADirectory, to, "is a directory"));
                }
                (true, true) => {
                    if !self.view.list(&refs(&b), &fb.merged)?.0.is_empty() {
                        return Err(fs_err(
                            io::ErrorKind::DirectoryNotEmpty,
                            to,
                            "directory not empty",
                        ));
                    }
                }
                (false, false) => {}
            }
        }
        let upper = self.upper_index();
        let pure_upper = fa.layer_index == upper && fa.merged.iter().all(|&i| i == upper);
        if a_is_dir && !pure_upper {
            // overlayfs (without redirect_dir) refuses to rename a directory that has lower
            // parts (EXDEV): `mv` copies the whole tree, then deletes the old one.
            if fb.is_some() {
                self.delete_entry(&b)?;
            }
            self.copy_tree(&mut a, &mut b)?;
            return self.delete_tree(&mut a);
        }
        // A file (copied up first if it is in a lower layer) or a directory that lives only
        // in the upper layer: one rename(2) inside the upper layer.
        self.copy_up(&a)?;
        let up_b = self.upper_path(&b);
        if let Ok(meta) = fs::symlink_metadata(&up_b) {
            self.changing(parent_of(&up_b), || {
                if meta.is_dir() {
                    remove_tree(&up_b)
                } else {
                    fs::remove_file(&up_b)
                }
            })?;
        }
        let up_a = self.upper_path(&a);
        let from_dir = parent_of(&up_a).to_path_buf();
        self.create_entry(&b, to, |p| {
            with_write_access(&from_dir, || fs::rename(&up_a, p))
        })?;
        if let Some(now) = self.now {
            set_mtime_on(&from_dir, now)?;
        }
        if a_is_dir && !up_b.join(OPAQUE_MARKER).exists() {
            // overlayfs marks a directory moved into a merged directory opaque, so that
            // nothing of the same name below can ever merge into it.
            let parent_merged = self
                .lookup(&b[..b.len() - 1])?
                .is_some_and(|p| p.merged.len() > 1);
            if parent_merged {
                self.make_opaque(&b)?;
            }
        }
        // The old name: if a lower layer still shows something there, hide it.
        if self.lookup(&a)?.is_some() {
            self.delete_entry(&a)?;
        }
        Ok(())
    }

    fn chmod(&mut self, path: &str, mode: u32) -> io::Result<()> {
        let names = self.resolve(path, true)?;
        self.lookup_existing(&names, path)?;
        self.copy_up(&names)?;
        let up = self.upper_path(&names);
        fs::set_permissions(&up, fs::Permissions::from_mode(mode & 0o7777))?;
        let marker = up.join(OPAQUE_MARKER);
        if fs::symlink_metadata(&marker).is_ok() {
            // The marker carries the directory's permission bits, as Docker writes it.
            fs::set_permissions(&marker, fs::Permissions::from_mode(mode & 0o777))?;
        }
        Ok(())
    }

    fn set_mtime(&mut self, path: &str, mtime: i64) -> io::Result<()> {
        let names = self.resolve(path, true)?;
        self.lookup_existing(&names, path)?;
        self.copy_up(&names)?;
        set_mtime_on(&self.upper_path(&names), time_of(mtime))
    }

    fn symlink(&mut self, target: &str, link: &str) -> io::Result<()> {
        let names = self.resolve(link, false)?;
        if names.is_empty() || self.lookup(&names)?.is_some() {
            return Err(fs_err(io::ErrorKind::AlreadyExists, link, "file exists"));
        }
        self.create_entry(&names, link, |p| std::os::unix::fs::symlink(target, p))?;
        Ok(())
    }

    fn hard_link(&mut self, existing: &str, new: &str) -> io::Result<()> {
        let e = self.resolve(existing, false)?;
        let found = self.lookup_existing(&e, existing)?;
        if found.metadata.is_dir() {
            return Err(fs_err(
                io::ErrorKind::PermissionDenied,
                existing,
                "hard link not allowed for directory",
            ));
        }
        let n = self.resolve(new, false)?;
        if n.is_empty() || self.lookup(&n)?.is_some() {
            return Err(fs_err(io::ErrorKind::AlreadyExists, new, "file exists"));
        }
        // link(2) needs both names in one file system: the target is copied up first.
        self.copy_up(&e)?;
        let up_e = self.upper_path(&e);
        self.create_entry(&n, new, |p| fs::hard_link(&up_e, p))?;
        Ok(())
    }
}
