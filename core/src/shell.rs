//! The small shell that runs inside a container.
//!
//! capas does not start processes: a container's command is interpreted here, against the
//! container's merged file system (the [`Fs`] trait), so that every write goes through the
//! container's copy-on-write exactly as a real program's would under overlayfs. The shell
//! speaks a useful part of POSIX `sh` — simple commands, `;`, `&&`, `||`, `|`, `!`, `>`, `>>`,
//! `<`, `2>&1`, variables, `$?`, `$(…)`, quoting, globs, `if`, `for`, `while`, `{ …; }`,
//! `( … )` — and has the file utilities the course uses built in, with busybox's behaviour
//! and error texts: `echo`, `printf`, `cat`, `ls`, `touch`, `mkdir`, `rm`, `rmdir`, `mv`, `cp`,
//! `chmod`, `ln`, `test`, `true`, `false`, `sh -c`, `cd`, `pwd`, `env`, `export`, `exit`.
//!
//! Words are parsed by `brush-parser` (a POSIX/bash parser), never by splitting on spaces.
//! A utility runs only if its file exists in the container's `PATH` (as in a real container,
//! `ls` needs `/bin/ls`); shell built-ins such as `echo` and `cd` need nothing.

mod builtins;
mod interp;

pub use interp::Shell;

use std::io;

/// What kind of file a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// Anything else (device, fifo, socket).
    Other,
}

/// What `stat` says about a path, in the container's view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// The kind.
    pub kind: FileKind,
    /// Permission bits (and setuid/setgid/sticky), without the type bits: `0o755`.
    pub mode: u32,
    /// Apparent size in bytes (a symlink: the length of its target).
    pub size: u64,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Modification time, Unix seconds.
    pub mtime: i64,
    /// Number of hard links.
    pub nlink: u64,
    /// A symlink's target.
    pub link_target: Option<String>,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The name (no slashes).
    pub name: String,
    /// Its `lstat`.
    pub stat: Stat,
}

/// The file system a shell command sees: a container's merged view. Paths are absolute
/// container paths (`/etc/motd`); implementations resolve symlinks inside the container and
/// refuse paths that would leave it. Errors are `io::Error`s with the usual kinds
/// (`NotFound`, `AlreadyExists`, `IsADirectory`, `NotADirectory`, `DirectoryNotEmpty`,
/// `PermissionDenied`, `InvalidInput`) so the shell can word them as busybox does.
pub trait Fs {
    /// `stat(2)`: follows a final symlink.
    fn stat(&self, path: &str) -> io::Result<Stat>;
    /// `lstat(2)`: does not follow a final symlink.
    fn lstat(&self, path: &str) -> io::Result<Stat>;
    /// Opens a file for reading (follows symlinks).
    fn open_read(&self, path: &str) -> io::Result<Box<dyn io::Read + '_>>;
    /// Writes `data` to a file, creating it (mode `0o644`) if missing; `append` adds to the
    /// end. Writing a file that lives in a lower layer first copies it up.
    fn write(&mut self, path: &str, data: &[u8], append: bool) -> io::Result<()>;
    /// [`Fs::write`] from a reader, streamed: the data is never held whole in memory.
    /// Returns the bytes written.
    fn write_from(&mut self, path: &str, data: &mut dyn io::Read, append: bool) -> io::Result<u64>;
    /// Copies the regular file `from` (symlinks followed) over `to`, as [`Fs::write`] would
    /// write it, streamed. Returns the bytes copied.
    fn copy_file(&mut self, from: &str, to: &str) -> io::Result<u64>;
    /// Lists a directory (merged across layers, hidden entries left out), sorted by name.
    fn read_dir(&self, path: &str) -> io::Result<Vec<DirEntry>>;
    /// Creates a directory; its parent must exist.
    fn mkdir(&mut self, path: &str, mode: u32) -> io::Result<()>;
    /// Removes a file or symlink (a whiteout if it lives in a lower layer).
    fn remove_file(&mut self, path: &str) -> io::Result<()>;
    /// Removes an empty directory (a whiteout if it lives in a lower layer).
    fn remove_dir(&mut self, path: &str) -> io::Result<()>;
    /// Renames a file or directory (a lower directory is copied whole, then whited out, as
    /// overlayfs without `redirect_dir` makes tools do).
    fn rename(&mut self, from: &str, to: &str) -> io::Result<()>;
    /// Changes permission bits (copies the file up first).
    fn chmod(&mut self, path: &str, mode: u32) -> io::Result<()>;
    /// Sets the modification time, creating nothing (copies the file up first).
    fn set_mtime(&mut self, path: &str, mtime: i64) -> io::Result<()>;
    /// Creates a symlink at `link` pointing to `target` (any text).
    fn symlink(&mut self, target: &str, link: &str) -> io::Result<()>;
    /// Creates a hard link `new` to the file `existing` (copies `existing` up first).
    fn hard_link(&mut self, existing: &str, new: &str) -> io::Result<()>;
}
