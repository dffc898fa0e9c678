//! `docker cp`: copying between the host and a container, both ways.
//!
//! Into a container, every file goes through the container's [`shell::Fs`](crate::shell::Fs),
//! so copy-on-write applies as to any other write: a file of a lower layer is copied up
//! before it is replaced, the image's layers are never touched, and `diff` shows the copy.
//! Out of a container, what is copied is what the container sees: the union of its layers.
//!
//! As `docker cp`, a destination that is an existing directory receives the source under its
//! own name; otherwise the source is copied to the destination's name.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::Container;
use crate::shell::{FileKind, Fs};

/// Why a copy between the host and a container failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransferError {
    /// The container has nothing at the source path.
    #[error("Could not find the file {path} in container {container}: {source}")]
    NotFound {
        /// The path in the container.
        path: String,
        /// The container's name.
        container: String,
        /// What the lookup said.
        source: io::Error,
    },
    /// A file or directory of the host could not be read or written.
    #[error("{action} {path}: {source}")]
    Host {
        /// What capas was doing.
        action: &'static str,
        /// The host path.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The source is a device or a fifo: `cp` copies files, directories and symlinks.
    #[error("{path}: not a regular file, directory or symlink")]
    Unsupported {
        /// The path in the container.
        path: String,
    },
    /// The container refused a read or a write (the shell's words: `/x: not a directory`).
    #[error(transparent)]
    Container(#[from] io::Error),
}

fn host_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> TransferError + 'a {
    move |source| TransferError::Host {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// `docker cp CONTAINER:PATH DEST`: copies what the container sees at `path` (a file, a
/// symlink, or a directory and everything under it) to `dest` on the host, or into `dest`
/// if it is an existing directory.
pub fn copy_from_container(
    container: &Container,
    path: &str,
    dest: &Path,
) -> Result<(), TransferError> {
    let mut dest = dest.to_path_buf();
    if dest.is_dir() {
        dest.push(base_name(path));
    }
    copy_out(container, path, &dest)
}

/// `docker cp SRC CONTAINER:PATH`: copies the host's `src` (a file, a symlink, or a
/// directory and everything under it) to `path` in the container, or into `path` if it is
/// a directory there. Every write is the container's, through copy-on-write.
pub fn copy_into_container(
    container: &mut Container,
    src: &Path,
    path: &str,
) -> Result<(), TransferError> {
    let mut dest = path.to_string();
    if container.stat(&dest).is_ok_and(|s| s.kind == FileKind::Dir) {
        let file = src
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        dest = format!("{}/{file}", dest.trim_end_matches('/'));
    }
    copy_in(container, src, &dest)
}

/// The last name of a container path (`/etc/motd` → `motd`).
fn base_name(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

/// Copies a container path (file, symlink or directory tree) to the host path `dest`.
fn copy_out(c: &Container, path: &str, dest: &Path) -> Result<(), TransferError> {
    let stat = c.lstat(path).map_err(|source| TransferError::NotFound {
        path: path.to_string(),
        container: c.name().to_string(),
        source,
    })?;
    match stat.kind {
        FileKind::Dir => {
            fs::create_dir_all(dest).map_err(host_err("creating", dest))?;
            for entry in c.read_dir(path)? {
                let child = format!("{}/{}", path.trim_end_matches('/'), entry.name);
                copy_out(c, &child, &dest.join(&entry.name))?;
            }
        }
        FileKind::Symlink => {
            let target = stat.link_target.unwrap_or_default();
            std::os::unix::fs::symlink(&target, dest).map_err(host_err("creating", dest))?;
        }
        FileKind::File => {
            // Streamed from whichever layer holds the file: never all of it in memory.
            let mut reader = c.open_read(path)?;
            let mut file = File::create(dest).map_err(host_err("creating", dest))?;
            io::copy(&mut reader, &mut file).map_err(host_err("writing", dest))?;
        }
        FileKind::Other => {
            return Err(TransferError::Unsupported {
                path: path.to_string(),
            });
        }
    }
    Ok(())
}

/// Copies a host path (file, symlink or directory tree) to the container path `dest`;
/// a directory's entries go in name order, so the same tree gives the same layer.
fn copy_in(c: &mut Container, src: &Path, dest: &str) -> Result<(), TransferError> {
    let meta = fs::symlink_metadata(src).map_err(host_err("reading", src))?;
    if meta.is_dir() {
        if c.lstat(dest).is_err() {
            c.mkdir(dest, 0o755)?;
        }
        let mut children: Vec<_> = fs::read_dir(src)
            .and_then(|entries| entries.collect::<Result<_, _>>())
            .map_err(host_err("reading", src))?;
        children.sort_by_key(|e| e.file_name());
        for child in children {
            let name = child.file_name().to_string_lossy().into_owned();
            copy_in(
                c,
                &child.path(),
                &format!("{}/{name}", dest.trim_end_matches('/')),
            )?;
        }
    } else if meta.file_type().is_symlink() {
        let target = fs::read_link(src).map_err(host_err("reading", src))?;
        c.symlink(&target.to_string_lossy(), dest)?;
    } else {
        let mut file = File::open(src).map_err(host_err("reading", src))?;
        c.write_from(dest, &mut file, false)?;
        c.chmod(dest, meta.permissions().mode() & 0o7777)?;
    }
    Ok(())
}
