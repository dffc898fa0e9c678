//! Copy-on-write: the image's layers are never written. A file of a lower layer is copied
//! whole into the read/write layer before its first change (**copy-up**); deleting
//! something a lower layer has leaves a **whiteout** `.wh.<name>`; a directory made again
//! where a lower one was deleted gets an **opaque marker** `.wh..wh..opq`, so the old
//! contents stay hidden.
//!
//! This is what Docker's overlay2 driver makes the kernel's overlayfs do (mounted without
//! `redirect_dir` and `metacopy`), written in the OCI image spec's spelling, so the upper
//! directory is a layer already.

use std::fs::{self, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::{
    Container, container_path, copy_owner, fs_err, mtime_of, parent_of, refs, remove_tree,
    set_mtime_on, with_write_access, write_record,
};
use crate::layer::{OPAQUE_MARKER, WHITEOUT_PREFIX};
use crate::shell::FileKind;
use crate::union;

/// One copy-up: a file of a lower layer copied whole into the read/write layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyUp {
    /// The path in the container (`/etc/motd`).
    pub path: String,
    /// The layer the file came from (its chain ID).
    pub layer: String,
    /// Bytes copied.
    pub bytes: u64,
}

impl Container {
    /// [`with_write_access`] on a directory (or file) the container is changing, then the
    /// container's clock on it.
    pub(super) fn changing<T>(
        &self,
        path: &Path,
        f: impl FnOnce() -> io::Result<T>,
    ) -> io::Result<T> {
        let result = with_write_access(path, f)?;
        if let Some(now) = self.now {
            set_mtime_on(path, now)?;
        }
        Ok(result)
    }

    // -----------------------------------------------------------------------------------------
    // Copy-up: lower layers are never written
    // -----------------------------------------------------------------------------------------

    /// Makes every parent of `names` a real directory in the upper layer, copying each lower
    /// directory's mode, owner and mtime (not its contents: directories merge).
    pub(super) fn copy_up_parents(&mut self, names: &[String]) -> io::Result<()> {
        for k in 1..names.len() {
            self.copy_up_dir(&names[..k])?;
        }
        Ok(())
    }

    pub(super) fn copy_up_dir(&mut self, names: &[String]) -> io::Result<()> {
        let up = self.upper_path(names);
        if fs::symlink_metadata(&up).is_ok_and(|m| m.is_dir()) {
            return Ok(());
        }
        let path = container_path(names);
        let found = self.lookup_existing(names, &path)?;
        if !found.metadata.is_dir() {
            return Err(fs_err(
                io::ErrorKind::NotADirectory,
                &path,
                "not a directory",
            ));
        }
        self.changing(parent_of(&up), || fs::create_dir(&up))?;
        fs::set_permissions(
            &up,
            fs::Permissions::from_mode(found.metadata.mode() & 0o7777),
        )?;
        copy_owner(&up, &found.metadata)?;
        set_mtime_on(&up, mtime_of(&found.metadata))
    }

    /// Copies `names` up from the lower layer that provides it, unless the upper layer has it
    /// already. A file is copied whole (overlayfs does the same, whatever its size, and Docker
    /// does not enable `metacopy`), keeping its mode, owner and mtime, and the copy is logged.
    pub(super) fn copy_up(&mut self, names: &[String]) -> io::Result<()> {
        let path = container_path(names);
        let found = self.lookup_existing(names, &path)?;
        if found.layer_index == self.upper_index() {
            return Ok(());
        }
        // copy-up: parents first, then the entry itself; the lower layer is only read.
        self.copy_up_parents(names)?;
        let up = self.upper_path(names);
        let meta = &found.metadata;
        let kind = union::kind_of(meta);
        match kind {
            FileKind::Dir => return self.copy_up_dir(names),
            FileKind::File => {
                // std::fs::copy uses copy_file_range (a reflink where the file system has
                // them): no byte goes through user space.
                let bytes = self.changing(parent_of(&up), || fs::copy(&found.host_path, &up))?;
                copy_owner(&up, meta)?;
                set_mtime_on(&up, mtime_of(meta))?;
                let layer = self.view.layers()[found.layer_index].label.clone();
                self.log_copy_up(CopyUp { path, layer, bytes })?;
            }
            FileKind::Symlink => {
                let target = fs::read_link(&found.host_path)?;
                self.changing(parent_of(&up), || std::os::unix::fs::symlink(&target, &up))?;
                copy_owner(&up, meta)?;
            }
            FileKind::Other => {
                return Err(fs_err(
                    io::ErrorKind::Unsupported,
                    &path,
                    "device nodes and fifos cannot be copied up",
                ));
            }
        }
        Ok(())
    }

    pub(super) fn log_copy_up(&mut self, entry: CopyUp) -> io::Result<()> {
        self.copy_ups.push(entry);
        write_record(&self.dir, "copy-ups.json", &self.copy_ups).map_err(io::Error::other)
    }

    // -----------------------------------------------------------------------------------------
    // Creating and deleting in the upper layer
    // -----------------------------------------------------------------------------------------

    /// Creates a new entry at `names` (which the view does not show) with `make`. If the
    /// upper layer has a whiteout for that name, it goes: the new entry hides the lower one
    /// by itself. Returns whether there was a whiteout (a new directory then must be opaque).
    pub(super) fn create_entry(
        &mut self,
        names: &[String],
        path: &str,
        make: impl FnOnce(&Path) -> io::Result<()>,
    ) -> io::Result<bool> {
        let Some(name) = names.last() else {
            return Err(fs_err(io::ErrorKind::AlreadyExists, path, "file exists"));
        };
        if name.starts_with(WHITEOUT_PREFIX) {
            // The name would read as a whiteout once committed: overlayfs-based Docker would
            // silently turn it into a deletion. capas says no.
            return Err(fs_err(
                io::ErrorKind::InvalidInput,
                path,
                "names starting with .wh. are reserved for whiteouts",
            ));
        }
        self.copy_up_parents(names)?;
        let up = self.upper_path(names);
        let parent = parent_of(&up).to_path_buf();
        let whiteout = parent.join(format!("{WHITEOUT_PREFIX}{name}"));
        self.changing(&parent, || {
            let had_whiteout = match fs::remove_file(&whiteout) {
                Ok(()) => true,
                Err(e) if e.kind() == io::ErrorKind::NotFound => false,
                Err(e) => return Err(e),
            };
            make(&up)?;
            Ok(had_whiteout)
        })
        .and_then(|had_whiteout| {
            // A new entry is born "now"; a new hard link is an old file under a new name,
            // and link(2) leaves its time alone.
            let meta = fs::symlink_metadata(&up)?;
            if let Some(now) = self.now.filter(|_| meta.is_dir() || meta.nlink() == 1) {
                if meta.file_type().is_symlink() {
                    let t = filetime::FileTime::from_system_time(now);
                    filetime::set_symlink_file_times(&up, t, t)?;
                } else {
                    set_mtime_on(&up, now)?;
                }
            }
            Ok(had_whiteout)
        })
    }

    /// Puts the opaque marker in upper directory `names`: an empty file with the directory's
    /// permission bits and mtime 0, as Docker writes it in a layer.
    pub(super) fn make_opaque(&self, names: &[String]) -> io::Result<()> {
        let dir = self.upper_path(names);
        let mode = fs::symlink_metadata(&dir)?.mode() & 0o777;
        let marker = dir.join(OPAQUE_MARKER);
        self.changing(&dir, || {
            let file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(mode)
                .open(&marker)?;
            file.set_permissions(fs::Permissions::from_mode(mode))?;
            file.set_modified(SystemTime::UNIX_EPOCH)
        })
    }

    /// Deletes whatever the view shows at `names`: the upper layer's copy goes, and if a
    /// lower layer still shows through, a whiteout hides it.
    pub(super) fn delete_entry(&mut self, names: &[String]) -> io::Result<()> {
        let up = self.upper_path(names);
        if let Ok(meta) = fs::symlink_metadata(&up) {
            self.changing(parent_of(&up), || {
                if meta.is_dir() {
                    // Only markers can be left inside: the directory is empty in the view.
                    remove_tree(&up)
                } else {
                    fs::remove_file(&up)
                }
            })?;
        }
        if self.lookup(names)?.is_some() {
            // whiteout: the lower layer keeps its file, the container stops seeing it.
            self.copy_up_parents(names)?;
            let Some(name) = names.last() else {
                return Ok(());
            };
            let parent = parent_of(&up).to_path_buf();
            let marker = parent.join(format!("{WHITEOUT_PREFIX}{name}"));
            let now = self.now;
            self.changing(&parent, || {
                let file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&marker)?;
                file.set_permissions(fs::Permissions::from_mode(0o600))?;
                // The deletion's time, as the whiteout device's would be.
                match now {
                    Some(t) => file.set_modified(t),
                    None => Ok(()),
                }
            })?;
        }
        Ok(())
    }

    /// Deletes `names` and everything below it, children first, as `rm -r` does.
    pub(super) fn delete_tree(&mut self, names: &mut Vec<String>) -> io::Result<()> {
        let found = self.lookup_existing(names, &container_path(names))?;
        if found.metadata.is_dir() {
            let children = self.view.list(&refs(names), &found.merged)?.0;
            for child in children {
                names.push(child.name);
                self.delete_tree(names)?;
                names.pop();
            }
        }
        self.delete_entry(names)
    }

    /// `rm -r PATH`: removes a file, a symlink (not what it points to) or a whole directory.
    pub fn remove_all(&mut self, path: &str) -> io::Result<()> {
        let mut names = self.resolve(path, false)?;
        if names.is_empty() {
            return Err(fs_err(
                io::ErrorKind::ResourceBusy,
                path,
                "cannot remove the root",
            ));
        }
        self.lookup_existing(&names, path)?;
        self.delete_tree(&mut names)
    }

    /// Copies the tree at `from` (as the view shows it) to the new name `to`, keeping modes,
    /// owners and mtimes, as `mv` does when `rename(2)` answers `EXDEV`.
    pub(super) fn copy_tree(
        &mut self,
        from: &mut Vec<String>,
        to: &mut Vec<String>,
    ) -> io::Result<()> {
        let from_path = container_path(from);
        let to_path = container_path(to);
        let found = self.lookup_existing(from, &from_path)?;
        let meta = found.metadata.clone();
        match union::kind_of(&meta) {
            FileKind::Dir => {
                let mode = meta.mode() & 0o7777;
                let had_whiteout = self.create_entry(to, &to_path, |p: &Path| fs::create_dir(p))?;
                let up = self.upper_path(to);
                fs::set_permissions(&up, fs::Permissions::from_mode(mode))?;
                copy_owner(&up, &meta)?;
                if had_whiteout {
                    self.make_opaque(to)?;
                }
                let children = self.view.list(&refs(from), &found.merged)?.0;
                for child in children {
                    from.push(child.name.clone());
                    to.push(child.name);
                    let copied = self.copy_tree(from, to);
                    from.pop();
                    to.pop();
                    copied?;
                }
                set_mtime_on(&self.upper_path(to), mtime_of(&meta))?;
            }
            FileKind::File => {
                let source = found.host_path.clone();
                let mut bytes = 0;
                self.create_entry(to, &to_path, |p| {
                    bytes = fs::copy(&source, p)?;
                    Ok(())
                })?;
                let up = self.upper_path(to);
                copy_owner(&up, &meta)?;
                set_mtime_on(&up, mtime_of(&meta))?;
                if found.layer_index != self.upper_index() {
                    let layer = self.view.layers()[found.layer_index].label.clone();
                    self.log_copy_up(CopyUp {
                        path: to_path,
                        layer,
                        bytes,
                    })?;
                }
            }
            FileKind::Symlink => {
                let target = fs::read_link(&found.host_path)?;
                self.create_entry(to, &to_path, |p| std::os::unix::fs::symlink(&target, p))?;
                copy_owner(&self.upper_path(to), &meta)?;
            }
            FileKind::Other => {
                return Err(fs_err(
                    io::ErrorKind::Unsupported,
                    &from_path,
                    "cannot copy a device or fifo",
                ));
            }
        }
        Ok(())
    }
}
