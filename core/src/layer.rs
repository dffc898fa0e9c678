//! Layer tars: how one filesystem change travels inside an image.
//!
//! # What a layer is
//!
//! A layer is a **tar archive of a filesystem changeset**: every file or directory that a step
//! added or changed, in full, with its metadata (mode, owner, modification time). Stacking the
//! layers of an image, bottom first, gives the container's root filesystem (see the `union`
//! module). A tar has no "delete" record, so deletions are written as marker files, the
//! **whiteouts** of the OCI image spec (`layer.md`):
//!
//! | entry in the tar | meaning for the layers *below* |
//! | --- | --- |
//! | `etc/.wh.motd` (empty file, [`WHITEOUT_PREFIX`] + name) | `etc/motd` is deleted |
//! | `var/cache/.wh..wh..opq` ([`OPAQUE_MARKER`]) | everything inside `var/cache` is hidden; the directory stays |
//!
//! Whiteouts never hide entries of their own layer. The store keeps layers unpacked in this
//! same **OCI form** (markers as plain `.wh.` files) and the union view interprets them; this
//! module only writes and reads them as the ordinary files they are.
//!
//! # Identity: the diff ID
//!
//! The **diff ID** of a layer is the SHA-256 of its uncompressed tar, every byte of it,
//! including the two zero blocks that end a tar ([`DiffId`]). Change one mtime, one owner, or
//! the order of two entries, and it is a different layer. That is why [`write_tar`] is
//! deterministic, and why it writes the exact bytes Docker's `go-archive` (through Go's
//! `archive/tar`) writes for the same tree:
//!
//! * entries in the order of a depth-first walk with each directory's names sorted bytewise
//!   (Go's `filepath.WalkDir`), so `a/` and its contents come before `a-b` and `a.txt`;
//! * names relative to the layer root, without `./`, directories ending in `/`;
//! * USTAR headers (`ustar\0` `00`), with a PAX extended header (`PaxHeaders.0/name`) only for
//!   what USTAR cannot hold (long or non-ASCII names, huge sizes or ids); mode = permission bits,
//!   mtime in whole seconds, empty user and group names, checksum written `%06o\0 `;
//! * a file with several hard links inside the tree is stored once, as a regular file under the
//!   first path the walk meets; the other paths are type `1` links to it;
//! * the archive ends with exactly two zero blocks (no 10 KiB record padding as GNU tar adds).
//!
//! [`unpack`] and [`inspect`] compute the diff ID *while* reading, on a second thread, so a
//! layer is read once whatever its size.
//!
//! # Size, as Docker counts it
//!
//! `docker images` and `docker history` show a layer's *DiffSize* (overlay2 walks the unpacked
//! layer): the sum of the apparent sizes of its non-directory entries, where a hard link counts
//! once, an empty file (every whiteout) counts 0, and a symlink counts the length of its
//! target. It is neither the tar's size nor the compressed size. [`LayerStats::size`] is that
//! number, computed from the tar headers by every function here.
//!
//! # Unpacking safely
//!
//! A layer comes from outside (a registry, an archive a student made), so [`unpack`] checks
//! every name before touching the disk and refuses, naming the entry: absolute paths, `..`,
//! paths that go through a symlink (one from this tar or one already in the destination),
//! hard links that leave the layer or point at something that is not an earlier entry, NUL in
//! names, and device nodes. Symlinks may point anywhere (`bin/sh -> /bin/busybox` is normal):
//! they are stored as links and never followed.
//!
//! ```
//! use capas_core::digest::Digest;
//! use capas_core::layer::{self, TarBuilder};
//!
//! let mut b = TarBuilder::new(Vec::new());
//! b.dir("etc", 0o755, 1_700_000_000)?;
//! b.file("etc/hostname", 0o644, 1_700_000_000, 6, &b"capas\n"[..])?;
//! b.symlink("etc/localtime", "/usr/share/zoneinfo/UTC", 1_700_000_000)?;
//! b.whiteout("etc/motd", 1_700_000_000)?;
//! let (tar, stats) = b.finish()?;
//! assert_eq!(stats.size, 6 + 23); // the file, plus the symlink's target length
//!
//! let (diff_id, seen) = layer::inspect(&tar[..])?;
//! assert_eq!(diff_id.0, Digest::of_bytes(&tar)); // diff ID = sha256 of the tar bytes
//! assert_eq!(seen, stats);
//! # Ok::<(), capas_core::layer::LayerError>(())
//! ```

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::digest::{DiffId, Digest, HashingWriter};

/// The prefix of a whiteout: `dir/.wh.name` deletes `dir/name` of the layers below.
pub const WHITEOUT_PREFIX: &str = ".wh.";

/// The opaque marker: `dir/.wh..wh..opq` hides every lower entry inside `dir`.
pub const OPAQUE_MARKER: &str = ".wh..wh..opq";

/// A tar is a sequence of 512-byte blocks.
const BLOCK: usize = 512;
/// Two zero blocks end an archive; also the source of padding.
const ZEROS: [u8; 2 * BLOCK] = [0; 2 * BLOCK];
/// Output buffer of the writers (PERFORMANCE.md: stream through a large buffer).
const OUT_BUFFER: usize = 1 << 20;
/// Input buffer of the readers, and the chunk in which file data is copied while unpacking.
const IN_BUFFER: usize = 256 << 10;

/// Errors met while writing, reading or unpacking a layer tar.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayerError {
    /// A file or directory of the tree being tarred could not be read (permissions, or it
    /// vanished while `capas commit` was walking the container's layer).
    #[error("reading {path} to put it in a layer: {source}")]
    ReadTree {
        /// The file or directory.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The tar could not be written to its destination (disk full, a closed pipe).
    #[error("writing the layer tar: {source}")]
    Write {
        /// The system's error.
        source: io::Error,
    },
    /// The data given for a generated file could not be read.
    #[error("reading the data of layer entry {entry:?}: {source}")]
    EntryData {
        /// The entry being written.
        entry: String,
        /// The reader's error.
        source: io::Error,
    },
    /// A file holds more or fewer bytes than its header says: a generated file whose data
    /// does not match its declared length, or a file that changed while it was being tarred.
    #[error("layer entry {entry:?} declares {expected} bytes but its data has {found}")]
    DataLength {
        /// The entry.
        entry: String,
        /// The length in the header.
        expected: u64,
        /// The length of the data (a lower bound when there was more).
        found: u64,
    },
    /// The stream the tar is read from failed (a disk error, a gzip stream that is corrupt).
    #[error("reading the layer tar: {source}")]
    Read {
        /// The reader's error.
        source: io::Error,
    },
    /// The tar stops early: cut in the middle of an entry, or missing the zero blocks that
    /// end every tar (a download that was interrupted).
    #[error("layer tar is truncated: it ends at byte {offset}, before its end-of-archive blocks")]
    Truncated {
        /// How many bytes the stream had.
        offset: u64,
    },
    /// The bytes are not a valid tar: a header whose checksum is wrong, a number that is not
    /// octal (a corrupted blob, or a file that is not a tar at all).
    #[error("layer tar is malformed (read up to byte {offset}): {reason}")]
    Malformed {
        /// How far the reader got.
        offset: u64,
        /// What the tar reader found wrong.
        reason: String,
    },
    /// An entry's name starts with `/`. Docker strips the slash; capas refuses the layer, as a
    /// layer built by a correct tool never contains one.
    #[error("layer entry {entry:?} is an absolute path")]
    AbsolutePath {
        /// The entry's name as written in the tar.
        entry: String,
    },
    /// An entry's name has a `..` component: unpacked, it would land outside the layer (the
    /// classic "zip slip" attack).
    #[error("layer entry {entry:?} escapes the layer root")]
    Escapes {
        /// The entry's name as written in the tar.
        entry: String,
    },
    /// An entry has no name (or only `.` for something that is not a directory).
    #[error("layer entry {entry:?} has no usable name")]
    EmptyName {
        /// The entry's name as written in the tar.
        entry: String,
    },
    /// An entry's name or link target contains a NUL byte, which no file name may hold.
    #[error("layer entry {entry:?} contains a NUL byte")]
    NulInName {
        /// The entry's name, NUL included.
        entry: String,
    },
    /// An entry lies below a symlink (`link/evil` after `link -> /etc`): writing it would
    /// follow the link, possibly outside the layer.
    #[error("layer entry {entry:?} would be written through the symlink {symlink:?}")]
    ThroughSymlink {
        /// The entry's name.
        entry: String,
        /// The symlink on its path.
        symlink: String,
    },
    /// An entry lies below something that is a file, not a directory.
    #[error("layer entry {entry:?} is inside {parent:?}, which is not a directory")]
    NotADirectory {
        /// The entry's name.
        entry: String,
        /// The non-directory on its path.
        parent: String,
    },
    /// A hard link points outside the layer (an absolute path or `..`).
    #[error("hard link {entry:?} points to {target:?}, outside the layer")]
    HardlinkEscapes {
        /// The link's name.
        entry: String,
        /// Its target as written in the tar.
        target: String,
    },
    /// A hard link points to something that is not an earlier file of the same tar (the OCI
    /// spec allows only those).
    #[error("hard link {entry:?} points to {target:?}, which is not an earlier file of this layer")]
    HardlinkTarget {
        /// The link's name.
        entry: String,
        /// Its target as written in the tar.
        target: String,
    },
    /// An entry of a kind capas does not create: device nodes and fifos (container images do
    /// not ship them; Docker creates them only as root), or an unknown tar entry type.
    #[error("layer entry {entry:?} is a {kind}, which capas does not unpack")]
    Unsupported {
        /// The entry's name.
        entry: String,
        /// What it is.
        kind: String,
    },
    /// A [`TarBuilder`] was asked for the same path twice (a layer holds each path once).
    #[error("layer entry {entry:?} is written twice")]
    Duplicate {
        /// The path.
        entry: String,
    },
    /// Creating an entry on disk failed (permissions, space).
    #[error("unpacking layer entry {entry:?} to {path}: {source}")]
    Unpack {
        /// The entry's name.
        entry: String,
        /// The file being created.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
}

/// How a tree is turned into a deterministic tar by [`write_tar`].
///
/// The default keeps every file's own metadata, as `docker commit` does. Builds that must give
/// the same digest on every machine force the time and the owner ([`TarOptions::reproducible`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TarOptions {
    /// `None`: keep each file's mtime (truncated to whole seconds, as Docker does);
    /// `Some(t)`: every entry gets `t` (seconds since 1970, e.g. `SOURCE_DATE_EPOCH`).
    pub mtime: Option<u64>,
    /// `None`: keep each file's owner; `Some(uid)`: every entry gets `uid` (usually 0, root).
    pub uid: Option<u64>,
    /// `None`: keep each file's group; `Some(gid)`: every entry gets `gid`.
    pub gid: Option<u64>,
    /// Owners (uid, gid) for particular entries, by path relative to the tree without a
    /// leading `/` (`app/x`), overriding `uid`/`gid`: how a build's `COPY --chown` gives its
    /// files an owner that the unprivileged host process could not set on disk.
    pub owners: std::collections::BTreeMap<String, (u64, u64)>,
}

impl TarOptions {
    /// Every entry gets mtime `epoch` and owner root: the same tree gives the same diff ID on
    /// every machine, whoever created the files and when.
    pub fn reproducible(epoch: u64) -> TarOptions {
        TarOptions {
            mtime: Some(epoch),
            uid: Some(0),
            gid: Some(0),
            owners: std::collections::BTreeMap::new(),
        }
    }
}

/// What writing or reading a layer learnt about it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerStats {
    /// Docker's DiffSize: apparent sizes of non-directory entries, hard links once, symlinks
    /// as the length of their target (see the module documentation).
    pub size: u64,
    /// Number of entries (files, directories, links, markers), not counting PAX headers.
    pub entries: u64,
    /// Length of the tar stream in bytes, end blocks and any trailing padding included.
    pub tar_bytes: u64,
}

/// The kind of a tar entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A regular file (type `0`); whiteouts and opaque markers are regular files too.
    File,
    /// A directory (type `5`).
    Dir,
    /// A symbolic link (type `2`); its target is any text.
    Symlink,
    /// A hard link (type `1`) to an earlier entry of the same tar.
    Hardlink,
    /// A character device (type `3`); a 0/0 one is an overlayfs whiteout.
    Char,
    /// A block device (type `4`).
    Block,
    /// A named pipe (type `6`).
    Fifo,
}

impl EntryKind {
    fn typeflag(self) -> u8 {
        match self {
            EntryKind::File => b'0',
            EntryKind::Hardlink => b'1',
            EntryKind::Symlink => b'2',
            EntryKind::Char => b'3',
            EntryKind::Block => b'4',
            EntryKind::Dir => b'5',
            EntryKind::Fifo => b'6',
        }
    }

    fn describe(self) -> &'static str {
        match self {
            EntryKind::File => "regular file",
            EntryKind::Dir => "directory",
            EntryKind::Symlink => "symlink",
            EntryKind::Hardlink => "hard link",
            EntryKind::Char => "character device",
            EntryKind::Block => "block device",
            EntryKind::Fifo => "named pipe",
        }
    }
}

/// One entry of a layer tar, as [`list`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarEntry {
    /// The name as written in the tar, without its trailing `/` (lossy UTF-8).
    pub path: String,
    /// What it is.
    pub kind: EntryKind,
    /// Permission bits, with set-uid, set-gid and sticky (`0o7777` at most).
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Data length in the tar (0 for anything but a regular file).
    pub size: u64,
    /// Target of a symlink or hard link.
    pub link: Option<String>,
    /// Modification time, seconds since 1970.
    pub mtime: u64,
}

// ---------------------------------------------------------------------------------------------
// Writing: headers exactly as Go's archive/tar writes them for Docker
// ---------------------------------------------------------------------------------------------

/// The fields of one header, before encoding.
struct Header<'a> {
    /// Full name, with the trailing `/` of a directory.
    name: &'a [u8],
    kind: EntryKind,
    link: &'a [u8],
    mode: u32,
    uid: u64,
    gid: u64,
    size: u64,
    mtime: i64,
    dev_major: u64,
    dev_minor: u64,
}

/// Go's `formatString`: copy, NUL-terminate when there is room; a name cut at the field's end
/// loses its trailing slashes so that no reader mistakes a file for a directory.
fn put_str(field: &mut [u8], s: &[u8]) {
    let n = s.len().min(field.len());
    field[..n].copy_from_slice(&s[..n]);
    if s.len() > field.len() && field[field.len() - 1] == b'/' {
        let mut end = field.len();
        while end > 0 && field[end - 1] == b'/' {
            end -= 1;
        }
        field[end] = 0;
    }
}

/// Whether `v` fits the octal digits of a field of `width` bytes (one byte is the NUL).
fn fits_octal(width: usize, v: u64) -> bool {
    v < 1u64 << (3 * (width - 1))
}

/// Go's `formatOctal`: zero-padded octal and a NUL; a value that does not fit is written as 0
/// (a PAX record then carries it).
fn put_octal(field: &mut [u8], v: u64) {
    let mut v = if fits_octal(field.len(), v) { v } else { 0 };
    let digits = field.len() - 1;
    for slot in field[..digits].iter_mut().rev() {
        *slot = b'0' + (v & 7) as u8;
        v >>= 3;
    }
    field[digits] = 0;
}

fn is_ascii(s: &[u8]) -> bool {
    s.iter().all(|&b| b != 0 && b < 0x80)
}

/// Go's `toASCII`: what is left of a name in the USTAR fields when PAX carries the real one.
fn to_ascii(s: &[u8]) -> Vec<u8> {
    s.iter().copied().filter(|&b| b != 0 && b < 0x80).collect()
}

/// Go's `splitUSTARPath`: a long ASCII name may be split at a `/` into prefix (155 bytes) and
/// name (100 bytes).
fn split_ustar(name: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut length = name.len();
    if length <= 100 || !is_ascii(name) {
        return None;
    } else if length > 156 {
        length = 156;
    } else if name[length - 1] == b'/' {
        length -= 1;
    }
    let i = name[..length].iter().rposition(|&b| b == b'/')?;
    let suffix = name.len() - i - 1;
    if i == 0 || suffix > 100 || suffix == 0 || i > 155 {
        return None;
    }
    Some((&name[..i], &name[i + 1..]))
}

/// Writes the checksum Go writes: six octal digits, NUL, space.
fn seal(block: &mut [u8; BLOCK]) {
    block[257..263].copy_from_slice(b"ustar\0");
    block[263..265].copy_from_slice(b"00");
    let sum: u64 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(b)
            }
        })
        .sum();
    put_octal(&mut block[148..155], sum);
    block[155] = b' ';
}

/// One PAX record, `"<len> <key>=<value>\n"`, where `<len>` counts the whole record
/// (Go's `formatPAXRecord`, including its second try when the count gains a digit).
fn pax_record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    let rest = key.len() + value.len() + 3; // ' ', '=' and '\n'
    let mut size = rest + rest.to_string().len();
    if size.to_string().len() + rest != size {
        size = size.to_string().len() + rest;
    }
    out.extend_from_slice(size.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(key.as_bytes());
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// The name of the PAX header of `name`: `dir/PaxHeaders.0/base`, cut to 100 bytes.
fn pax_header_name(name: &[u8]) -> Vec<u8> {
    let split = name.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let (dir, base) = name.split_at(split);
    let mut out = dir.to_vec();
    out.extend_from_slice(b"PaxHeaders.0");
    if !base.is_empty() {
        out.push(b'/');
        out.extend_from_slice(base);
    }
    let mut out = to_ascii(&out);
    out.truncate(100);
    while out.last() == Some(&b'/') {
        out.pop();
    }
    out
}

/// The header block (and the PAX header in front of it when USTAR cannot hold a field), the way
/// Go's `tar.Writer` writes a `Header{Format: FormatPAX}`: USTAR whenever possible.
fn encode_header(h: &Header<'_>, out: &mut Vec<u8>) -> io::Result<()> {
    if !fits_octal(8, h.dev_major) || !fits_octal(8, h.dev_minor) {
        return Err(io::Error::other(
            "device numbers too large for a tar header",
        ));
    }
    let mtime_fits = h.mtime >= 0 && fits_octal(12, h.mtime as u64);
    let name_long = h.name.len() > 100 || !is_ascii(h.name);
    let link_long = h.link.len() > 100 || !is_ascii(h.link);
    let ustar_split = if name_long { split_ustar(h.name) } else { None };
    // USTAR holds the entry unless a field does not fit it (a long name may still fit, split
    // into prefix and name).
    let ustar = (!name_long || ustar_split.is_some())
        && !link_long
        && mtime_fits
        && fits_octal(12, h.size)
        && fits_octal(8, h.uid)
        && fits_octal(8, h.gid);
    // Otherwise PAX records, keys sorted as Go sorts them.
    let mut records = Vec::new();
    if !ustar {
        if !fits_octal(8, h.gid) {
            pax_record(&mut records, "gid", h.gid.to_string().as_bytes());
        }
        if link_long {
            pax_record(&mut records, "linkpath", h.link);
        }
        if !mtime_fits {
            pax_record(&mut records, "mtime", h.mtime.to_string().as_bytes());
        }
        if name_long {
            pax_record(&mut records, "path", h.name);
        }
        if !fits_octal(12, h.size) {
            pax_record(&mut records, "size", h.size.to_string().as_bytes());
        }
        if !fits_octal(8, h.uid) {
            pax_record(&mut records, "uid", h.uid.to_string().as_bytes());
        }
    }

    let mut block = [0u8; BLOCK];
    if ustar {
        let (prefix, name) = ustar_split.unwrap_or((&[], h.name));
        put_str(&mut block[0..100], name);
        put_str(&mut block[157..257], h.link);
        put_str(&mut block[345..500], prefix);
    } else {
        // The extended header first: a regular-looking entry of type 'x' holding the records.
        let mut pax = [0u8; BLOCK];
        put_str(&mut pax[0..100], &pax_header_name(h.name));
        put_octal(&mut pax[100..108], 0);
        put_octal(&mut pax[108..116], 0);
        put_octal(&mut pax[116..124], 0);
        put_octal(&mut pax[124..136], records.len() as u64);
        put_octal(&mut pax[136..148], 0);
        pax[156] = b'x';
        seal(&mut pax);
        out.extend_from_slice(&pax);
        out.extend_from_slice(&records);
        out.extend_from_slice(&ZEROS[..padding(records.len() as u64)]);
        put_str(&mut block[0..100], &to_ascii(h.name));
        put_str(&mut block[157..257], &to_ascii(h.link));
    }
    put_octal(&mut block[100..108], u64::from(h.mode));
    put_octal(&mut block[108..116], h.uid);
    put_octal(&mut block[116..124], h.gid);
    put_octal(&mut block[124..136], h.size);
    put_octal(
        &mut block[136..148],
        if mtime_fits { h.mtime as u64 } else { 0 },
    );
    block[156] = h.kind.typeflag();
    put_octal(&mut block[329..337], h.dev_major);
    put_octal(&mut block[337..345], h.dev_minor);
    seal(&mut block);
    out.extend_from_slice(&block);
    Ok(())
}

/// Bytes of zero padding after `len` bytes of data.
fn padding(len: u64) -> usize {
    ((BLOCK as u64 - len % BLOCK as u64) % BLOCK as u64) as usize
}

/// Why copying data into the tar stopped.
enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

/// The output side: a 1 MiB buffer in front of the writer, into which file data is read
/// directly (one copy fewer than `BufWriter` + `io::copy`).
struct BlockSink<W: Write> {
    out: W,
    buf: Box<[u8]>,
    len: usize,
    written: u64,
}

impl<W: Write> BlockSink<W> {
    fn new(out: W) -> Self {
        BlockSink {
            out,
            buf: vec![0u8; OUT_BUFFER].into_boxed_slice(),
            len: 0,
            written: 0,
        }
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        if self.len > 0 {
            self.out.write_all(&self.buf[..self.len])?;
            self.len = 0;
        }
        Ok(())
    }

    fn put(&mut self, data: &[u8]) -> io::Result<()> {
        if data.len() > self.buf.len() - self.len {
            self.flush_buf()?;
        }
        if data.len() >= self.buf.len() {
            self.out.write_all(data)?;
        } else {
            self.buf[self.len..self.len + data.len()].copy_from_slice(data);
            self.len += data.len();
        }
        self.written += data.len() as u64;
        Ok(())
    }

    /// Copies up to `len` bytes of `data` into the stream; returns how many there were.
    fn copy_from(&mut self, data: &mut dyn Read, len: u64) -> Result<u64, CopyError> {
        let mut left = len;
        while left > 0 {
            if self.len == self.buf.len() {
                self.flush_buf().map_err(CopyError::Write)?;
            }
            let room = (self.buf.len() - self.len).min(usize::try_from(left).unwrap_or(usize::MAX));
            match data.read(&mut self.buf[self.len..self.len + room]) {
                Ok(0) => break,
                Ok(n) => {
                    self.len += n;
                    self.written += n as u64;
                    left -= n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(CopyError::Read(e)),
            }
        }
        Ok(len - left)
    }

    fn finish(mut self) -> io::Result<(W, u64)> {
        self.flush_buf()?;
        self.out.flush()?;
        Ok((self.out, self.written))
    }
}

/// A tar being written: headers, data, padding, and the running [`LayerStats`].
struct TarStream<W: Write> {
    sink: BlockSink<W>,
    stats: LayerStats,
    scratch: Vec<u8>,
}

fn write_err(source: io::Error) -> LayerError {
    LayerError::Write { source }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl<W: Write> TarStream<W> {
    fn new(out: W) -> Self {
        TarStream {
            sink: BlockSink::new(out),
            stats: LayerStats::default(),
            scratch: Vec::with_capacity(3 * BLOCK),
        }
    }

    /// Writes a header; a regular file's data must follow through [`TarStream::data`].
    fn header(&mut self, h: &Header<'_>) -> Result<(), LayerError> {
        self.scratch.clear();
        encode_header(h, &mut self.scratch).map_err(|e| LayerError::Unsupported {
            entry: lossy(h.name),
            kind: format!("{} ({e})", h.kind.describe()),
        })?;
        self.sink.put(&self.scratch).map_err(write_err)?;
        self.stats.entries += 1;
        self.stats.size += match h.kind {
            EntryKind::File => h.size,
            EntryKind::Symlink => h.link.len() as u64,
            _ => 0,
        };
        Ok(())
    }

    /// Writes exactly `len` bytes of `data` and the padding after them.
    fn data(&mut self, entry: &[u8], data: &mut dyn Read, len: u64) -> Result<(), DataError> {
        let copied = self.sink.copy_from(data, len).map_err(|e| match e {
            CopyError::Read(e) => DataError::Read(e),
            CopyError::Write(source) => DataError::Layer(LayerError::Write { source }),
        })?;
        if copied < len {
            return Err(DataError::Layer(LayerError::DataLength {
                entry: lossy(entry),
                expected: len,
                found: copied,
            }));
        }
        self.sink
            .put(&ZEROS[..padding(len)])
            .map_err(|source| DataError::Layer(LayerError::Write { source }))
    }

    fn finish(mut self) -> Result<(W, LayerStats), LayerError> {
        self.sink.put(&ZEROS).map_err(write_err)?;
        let (out, written) = self.sink.finish().map_err(write_err)?;
        self.stats.tar_bytes = written;
        Ok((out, self.stats))
    }
}

/// A data copy fails either on the source (the caller says whose) or as a layer error.
enum DataError {
    Read(io::Error),
    Layer(LayerError),
}

/// Cleans a path lexically, as a path inside a tar or a build context is read: no leading
/// `/`, no empty or `.` names, each `..` removing the name before it (`/a/./b/../c` →
/// `a/c`). `None` when a `..` climbs above the root: such a path escapes.
pub fn normalize_path(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Writes the directory `dir` as a layer tar to `out`, the way Docker's `go-archive` tars a
/// container's upper directory, and returns its [`LayerStats`].
///
/// The walk is depth-first with each directory's names sorted bytewise (Go's
/// `filepath.WalkDir` order), names relative without `./`, directories with a trailing `/`,
/// headers as Go writes them (module documentation). Hard links within the tree are written
/// once as a regular file, then as type `1` links to the first path seen; symlinks stay
/// symlinks; `.wh.*` files are written as they are, which is how an upper directory in OCI
/// form becomes a layer. Sockets are skipped (Docker skips them too). File data is streamed
/// through a 1 MiB buffer, never read whole into memory. The same tree with the same options
/// gives byte-identical output.
///
/// Not carried over: extended attributes (Docker adds `security.capability` as a PAX record;
/// reading xattrs needs a system call std does not offer). A file that grows while it is
/// tarred keeps the length it had when it was listed; one that shrinks is an error.
pub fn write_tar(dir: &Path, opts: &TarOptions, out: impl Write) -> Result<LayerStats, LayerError> {
    // One thread walks and writes; hashing the output, when `out` is a HashingWriter, runs on
    // a second. (A third thread reading files ahead was measured: slower on two cores.)
    let mut walker = TreeWalker {
        root: dir,
        opts,
        seen_inodes: HashMap::new(),
        tar: TarStream::new(out),
    };
    walker.walk_dir(&mut Vec::new())?;
    let (_, stats) = walker.tar.finish()?;
    Ok(stats)
}

struct TreeWalker<'a, W: Write> {
    root: &'a Path,
    opts: &'a TarOptions,
    /// (device, inode) of files with several links → the first path written for them.
    seen_inodes: HashMap<(u64, u64), Vec<u8>>,
    tar: TarStream<W>,
}

/// Splits a Linux `dev_t` as glibc's `major()`/`minor()` do.
fn dev_numbers(dev: u64) -> (u64, u64) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major, minor)
}

impl<W: Write> TreeWalker<'_, W> {
    fn abs(&self, rel: &[u8]) -> PathBuf {
        self.root.join(OsStr::from_bytes(rel))
    }

    fn walk_dir(&mut self, rel: &mut Vec<u8>) -> Result<(), LayerError> {
        let dir = self.abs(rel);
        let tree_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| LayerError::ReadTree { path, source }
        };
        let mut children = Vec::new();
        for entry in fs::read_dir(&dir).map_err(tree_err(&dir))? {
            let entry = entry.map_err(tree_err(&dir))?;
            // DirEntry::metadata is an lstat relative to the open directory.
            let meta = entry.metadata().map_err(tree_err(&entry.path()))?;
            children.push((entry.file_name().into_vec(), meta));
        }
        // Go's os.ReadDir sorts names as byte strings; the walk is depth-first from there.
        children.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (name, meta) in children {
            let parent_len = rel.len();
            if !rel.is_empty() {
                rel.push(b'/');
            }
            rel.extend_from_slice(&name);
            self.add(rel, &meta)?;
            if meta.is_dir() {
                self.walk_dir(rel)?;
            }
            rel.truncate(parent_len);
        }
        Ok(())
    }

    fn add(&mut self, rel: &[u8], meta: &fs::Metadata) -> Result<(), LayerError> {
        use std::os::unix::fs::FileTypeExt;
        let kind = meta.file_type();
        if kind.is_socket() {
            return Ok(()); // Docker skips sockets too
        }
        let mut h = Header {
            name: rel,
            kind: EntryKind::File,
            link: &[],
            mode: meta.mode() & 0o7777,
            uid: self.opts.uid.unwrap_or(u64::from(meta.uid())),
            gid: self.opts.gid.unwrap_or(u64::from(meta.gid())),
            size: 0,
            mtime: match self.opts.mtime {
                Some(t) => i64::try_from(t).unwrap_or(i64::MAX),
                None => meta.mtime(),
            },
            dev_major: 0,
            dev_minor: 0,
        };
        if let Some(&(uid, gid)) = std::str::from_utf8(rel)
            .ok()
            .and_then(|r| self.opts.owners.get(r))
        {
            (h.uid, h.gid) = (uid, gid);
        }
        if kind.is_dir() {
            let mut name = rel.to_vec();
            name.push(b'/');
            h.name = &name;
            h.kind = EntryKind::Dir;
            return self.tar.header(&h);
        }
        // A second name of an inode already written becomes a hard link to the first name.
        if meta.nlink() > 1 {
            let key = (meta.dev(), meta.ino());
            if let Some(first) = self.seen_inodes.get(&key) {
                let first = first.clone();
                h.kind = EntryKind::Hardlink;
                h.link = &first;
                return self.tar.header(&h);
            }
            self.seen_inodes.insert(key, rel.to_vec());
        }
        let path = self.abs(rel);
        if kind.is_symlink() {
            let target = fs::read_link(&path)
                .map_err(|source| LayerError::ReadTree { path, source })?
                .into_os_string()
                .into_vec();
            h.kind = EntryKind::Symlink;
            h.link = &target;
            return self.tar.header(&h);
        }
        if kind.is_file() {
            let mut file = File::open(&path).map_err(|source| LayerError::ReadTree {
                path: path.clone(),
                source,
            })?;
            h.size = meta.len();
            self.tar.header(&h)?;
            return self.tar.data(rel, &mut file, h.size).map_err(|e| match e {
                DataError::Read(source) => LayerError::ReadTree { path, source },
                DataError::Layer(e) => e,
            });
        }
        if kind.is_fifo() {
            h.kind = EntryKind::Fifo;
        } else {
            h.kind = if kind.is_char_device() {
                EntryKind::Char
            } else {
                EntryKind::Block
            };
            (h.dev_major, h.dev_minor) = dev_numbers(meta.rdev());
        }
        self.tar.header(&h)
    }
}

/// A streaming writer of generated layers, for files that do not exist on disk (the sample
/// catalog's images, test fixtures).
///
/// Entries are written in the order they are added, with owner root and the headers
/// [`write_tar`] writes; names are checked like [`unpack`] checks them, and each path may
/// appear once. After an error the tar is incomplete: drop the builder.
pub struct TarBuilder<W: Write> {
    tar: TarStream<W>,
    /// Every path added; for non-directories, their mode (a hard link's header repeats it).
    seen: HashMap<Vec<u8>, Option<u32>>,
}

impl<W: Write> TarBuilder<W> {
    /// Starts a tar written to `out` (through a 1 MiB buffer).
    pub fn new(out: W) -> Self {
        TarBuilder {
            tar: TarStream::new(out),
            seen: HashMap::new(),
        }
    }

    fn claim(&mut self, path: &str, mode: Option<u32>) -> Result<Vec<u8>, LayerError> {
        let rel = clean_path(path.as_bytes())?;
        if rel.is_empty() {
            return Err(LayerError::EmptyName {
                entry: path.to_string(),
            });
        }
        if self.seen.insert(rel.clone(), mode).is_some() {
            return Err(LayerError::Duplicate {
                entry: path.to_string(),
            });
        }
        Ok(rel)
    }

    fn plain(name: &[u8], kind: EntryKind, mode: u32, mtime: u64) -> Header<'_> {
        Header {
            name,
            kind,
            link: &[],
            mode: mode & 0o7777,
            uid: 0,
            gid: 0,
            size: 0,
            mtime: i64::try_from(mtime).unwrap_or(i64::MAX),
            dev_major: 0,
            dev_minor: 0,
        }
    }

    /// Adds directory `path` (written `path/`) with permission bits `mode`.
    pub fn dir(&mut self, path: &str, mode: u32, mtime: u64) -> Result<(), LayerError> {
        let mut name = self.claim(path, None)?;
        name.push(b'/');
        self.tar
            .header(&Self::plain(&name, EntryKind::Dir, mode, mtime))
    }

    /// Adds regular file `path` whose `len` bytes come from `data` (streamed, never held in
    /// memory). `data` must yield exactly `len` bytes.
    pub fn file(
        &mut self,
        path: &str,
        mode: u32,
        mtime: u64,
        len: u64,
        mut data: impl Read,
    ) -> Result<(), LayerError> {
        let name = self.claim(path, Some(mode & 0o7777))?;
        let mut h = Self::plain(&name, EntryKind::File, mode, mtime);
        h.size = len;
        self.tar.header(&h)?;
        let data_err = |source| LayerError::EntryData {
            entry: path.to_string(),
            source,
        };
        self.tar.data(&name, &mut data, len).map_err(|e| match e {
            DataError::Read(source) => data_err(source),
            DataError::Layer(e) => e,
        })?;
        // More data than declared would silently be cut: refuse it.
        let mut extra = [0u8; 1];
        loop {
            match data.read(&mut extra) {
                Ok(0) => return Ok(()),
                Ok(_) => {
                    return Err(LayerError::DataLength {
                        entry: path.to_string(),
                        expected: len,
                        found: len + 1,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(data_err(e)),
            }
        }
    }

    /// Adds symlink `path` pointing to `target` (any text: absolute targets are normal).
    pub fn symlink(&mut self, path: &str, target: &str, mtime: u64) -> Result<(), LayerError> {
        if target.contains('\0') {
            return Err(LayerError::NulInName {
                entry: target.to_string(),
            });
        }
        let name = self.claim(path, Some(0o777))?;
        let mut h = Self::plain(&name, EntryKind::Symlink, 0o777, mtime);
        h.link = target.as_bytes();
        self.tar.header(&h)
    }

    /// Adds `path` as a hard link to `target`, a file added earlier to this builder. The
    /// header repeats the target's mode, as Docker's does.
    pub fn hardlink(&mut self, path: &str, target: &str, mtime: u64) -> Result<(), LayerError> {
        let link_err = |e: LayerError| match e {
            LayerError::AbsolutePath { .. } | LayerError::Escapes { .. } => {
                LayerError::HardlinkEscapes {
                    entry: path.to_string(),
                    target: target.to_string(),
                }
            }
            LayerError::EmptyName { .. } => LayerError::HardlinkTarget {
                entry: path.to_string(),
                target: target.to_string(),
            },
            e => e,
        };
        let target_rel = clean_path(target.as_bytes()).map_err(link_err)?;
        let Some(Some(mode)) = self.seen.get(&target_rel).copied() else {
            return Err(LayerError::HardlinkTarget {
                entry: path.to_string(),
                target: target.to_string(),
            });
        };
        let name = self.claim(path, Some(mode))?;
        let mut h = Self::plain(&name, EntryKind::Hardlink, mode, mtime);
        h.link = &target_rel;
        self.tar.header(&h)
    }

    /// Adds the whiteout that deletes `path_of_hidden` from the layers below: an empty file
    /// `dir/.wh.name`, mode 0600, as Docker converts an overlayfs whiteout.
    pub fn whiteout(&mut self, path_of_hidden: &str, mtime: u64) -> Result<(), LayerError> {
        let hidden = clean_path(path_of_hidden.as_bytes())?;
        if hidden.is_empty() {
            return Err(LayerError::EmptyName {
                entry: path_of_hidden.to_string(),
            });
        }
        let split = hidden.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
        let mut marker = hidden[..split].to_vec();
        marker.extend_from_slice(WHITEOUT_PREFIX.as_bytes());
        marker.extend_from_slice(&hidden[split..]);
        self.file(&lossy(&marker), 0o600, mtime, 0, io::empty())
    }

    /// Adds the opaque marker `dir/.wh..wh..opq`, which hides everything the layers below have
    /// in `dir`: an empty file with the directory's permission bits and mtime 0 (1970), as
    /// Docker writes it.
    pub fn opaque(&mut self, dir: &str, mode: u32) -> Result<(), LayerError> {
        let mut marker = clean_path(dir.as_bytes())?;
        if !marker.is_empty() {
            marker.push(b'/');
        }
        marker.extend_from_slice(OPAQUE_MARKER.as_bytes());
        self.file(&lossy(&marker), mode & 0o777, 0, 0, io::empty())
    }

    /// Writes the two zero blocks that end a tar, flushes, and returns the writer and stats.
    pub fn finish(self) -> Result<(W, LayerStats), LayerError> {
        self.tar.finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Reading: one pass, hashing on a second thread
// ---------------------------------------------------------------------------------------------

/// What the input side saw, shared with the code that interprets the tar reader's errors.
#[derive(Default)]
struct ReadState {
    /// Bytes handed to the tar reader.
    consumed: Cell<u64>,
    /// The input reported its end.
    eof: Cell<bool>,
    /// The input's own error, kept whole (the tar reader would only see a summary).
    failure: RefCell<Option<io::Error>>,
}

impl ReadState {
    /// Turns an error of the tar reader into what really happened.
    fn explain(&self, e: io::Error) -> LayerError {
        if let Some(source) = self.failure.borrow_mut().take() {
            LayerError::Read { source }
        } else if self.eof.get() {
            LayerError::Truncated {
                offset: self.consumed.get(),
            }
        } else {
            LayerError::Malformed {
                offset: self.consumed.get(),
                reason: e.to_string(),
            }
        }
    }
}

/// The input side: a buffer in front of the stream, every byte also handed to a
/// [`HashingWriter`] (whose thread does the SHA-256 while this one unpacks).
struct Tap<'s, R: Read> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    hasher: Option<HashingWriter<io::Sink>>,
    state: &'s ReadState,
    total: u64,
}

fn pull<R: Read>(
    inner: &mut R,
    dst: &mut [u8],
    hasher: &mut Option<HashingWriter<io::Sink>>,
    state: &ReadState,
) -> io::Result<usize> {
    loop {
        match inner.read(dst) {
            Ok(0) => {
                state.eof.set(true);
                return Ok(0);
            }
            Ok(n) => {
                if let Some(h) = hasher
                    && let Err(e) = h.write_all(&dst[..n])
                {
                    *state.failure.borrow_mut() = Some(e);
                    return Err(io::Error::other("hashing the layer stream failed"));
                }
                return Ok(n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                *state.failure.borrow_mut() = Some(e);
                return Err(io::Error::other("the layer stream could not be read"));
            }
        }
    }
}

impl<'s, R: Read> Tap<'s, R> {
    fn new(inner: R, hash: bool, state: &'s ReadState) -> Self {
        Tap {
            inner,
            buf: vec![0u8; IN_BUFFER].into_boxed_slice(),
            pos: 0,
            end: 0,
            hasher: hash.then(|| HashingWriter::new(io::sink())),
            state,
            total: 0,
        }
    }

    /// Reads what the tar reader left (padding after the end blocks counts in the diff ID),
    /// and returns the digest (when hashing) and the stream's length.
    fn finish(mut self) -> Result<(Option<Digest>, u64), LayerError> {
        let read_err = |state: &ReadState, e: io::Error| LayerError::Read {
            source: state.failure.borrow_mut().take().unwrap_or(e),
        };
        loop {
            match pull(&mut self.inner, &mut self.buf, &mut self.hasher, self.state) {
                Ok(0) => break,
                Ok(n) => self.total += n as u64,
                Err(e) => return Err(read_err(self.state, e)),
            }
        }
        let digest = match self.hasher.take() {
            Some(h) => Some(h.finish().map_err(|e| read_err(self.state, e))?.0),
            None => None,
        };
        Ok((digest, self.total))
    }
}

impl<R: Read> Read for Tap<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.pos == self.end {
            if out.len() >= self.buf.len() {
                let n = pull(&mut self.inner, out, &mut self.hasher, self.state)?;
                self.total += n as u64;
                self.state
                    .consumed
                    .set(self.state.consumed.get() + n as u64);
                return Ok(n);
            }
            let n = pull(&mut self.inner, &mut self.buf, &mut self.hasher, self.state)?;
            self.total += n as u64;
            self.pos = 0;
            self.end = n;
        }
        let n = out.len().min(self.end - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        self.state
            .consumed
            .set(self.state.consumed.get() + n as u64);
        Ok(n)
    }
}

/// Skipping forward (the padding after an entry, the data of an entry nobody reads) only moves
/// in the buffer: the bytes were hashed when they were read. The tar reader uses this instead of
/// reading the skipped bytes into a fresh, zeroed 32 KiB buffer every time.
impl<R: Read> Seek for Tap<'_, R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let backwards = || io::Error::other("a layer stream can only skip forward");
        let SeekFrom::Current(step) = to else {
            return Err(backwards());
        };
        let mut left = u64::try_from(step).map_err(|_| backwards())?;
        while left > 0 {
            if self.pos == self.end {
                let n = pull(&mut self.inner, &mut self.buf, &mut self.hasher, self.state)?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "unexpected end of the layer stream",
                    ));
                }
                self.total += n as u64;
                self.pos = 0;
                self.end = n;
            }
            let n = (self.end - self.pos).min(usize::try_from(left).unwrap_or(usize::MAX));
            self.pos += n;
            left -= n as u64;
            self.state
                .consumed
                .set(self.state.consumed.get() + n as u64);
        }
        Ok(self.state.consumed.get())
    }
}

/// One entry as the reader hands it to a visitor.
struct RawEntry<'a> {
    /// The name as written (PAX and GNU long names applied).
    path: &'a [u8],
    link: Option<&'a [u8]>,
    kind: EntryKind,
    mode: u32,
    uid: u64,
    gid: u64,
    size: u64,
    mtime: u64,
}

/// The data of the current entry, with read errors explained.
struct EntryData<'a, 'e> {
    data: &'a mut dyn Read,
    left: u64,
    state: &'e ReadState,
}

impl EntryData<'_, '_> {
    /// Reads the next chunk into `buf`; `Ok(0)` once the entry's data is complete.
    fn chunk(&mut self, buf: &mut [u8]) -> Result<usize, LayerError> {
        if self.left == 0 {
            return Ok(0);
        }
        loop {
            match self.data.read(buf) {
                Ok(0) => {
                    return Err(LayerError::Truncated {
                        offset: self.state.consumed.get(),
                    });
                }
                Ok(n) => {
                    self.left = self.left.saturating_sub(n as u64);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.state.explain(e)),
            }
        }
    }
}

/// The kind of an entry from its type flag; `None` for entries that carry no file (PAX global
/// headers, which Docker also ignores).
fn entry_kind(header: &tar::Header, path: &[u8]) -> Result<Option<EntryKind>, LayerError> {
    use tar::EntryType as T;
    let flag = header.as_bytes()[156];
    Ok(Some(match header.entry_type() {
        // An old-style regular entry ('\0') named with a trailing slash is a directory.
        T::Regular if flag == 0 && path.ends_with(b"/") => EntryKind::Dir,
        T::Regular | T::Continuous | T::GNUSparse => EntryKind::File,
        T::Directory => EntryKind::Dir,
        T::Symlink => EntryKind::Symlink,
        T::Link => EntryKind::Hardlink,
        T::Char => EntryKind::Char,
        T::Block => EntryKind::Block,
        T::Fifo => EntryKind::Fifo,
        T::XGlobalHeader => return Ok(None),
        _ => {
            return Err(LayerError::Unsupported {
                entry: lossy(path),
                kind: format!("tar entry of type {:?}", char::from(flag)),
            });
        }
    }))
}

/// A PAX `mtime` record wins over the header's field (it may be negative or fractional).
fn pax_mtime<R: Read>(entry: &mut tar::Entry<'_, R>) -> io::Result<Option<u64>> {
    let Some(records) = entry.pax_extensions()? else {
        return Ok(None);
    };
    for record in records {
        let record = record?;
        if record.key_bytes() == b"mtime" {
            let text = String::from_utf8_lossy(record.value_bytes());
            let secs = text.split('.').next().unwrap_or("0");
            return Ok(Some(secs.parse::<i64>().map_or(0, |s| s.max(0) as u64)));
        }
    }
    Ok(None)
}

/// Reads a whole layer stream, handing each entry to `visit`, and returns the digest of every
/// byte of the stream (when `hash`) and the stats.
fn read_layer<R: Read>(
    input: R,
    hash: bool,
    mut visit: impl FnMut(&RawEntry<'_>, &mut EntryData<'_, '_>) -> Result<(), LayerError>,
) -> Result<(Option<Digest>, LayerStats), LayerError> {
    let state = ReadState::default();
    let mut archive = tar::Archive::new(Tap::new(input, hash, &state));
    let mut stats = LayerStats::default();
    {
        let entries = archive.entries_with_seek().map_err(|e| state.explain(e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| state.explain(e))?;
            let header_mtime = pax_mtime(&mut entry).map_err(|e| state.explain(e))?;
            let path = entry.path_bytes().into_owned();
            let Some(kind) = entry_kind(entry.header(), &path)? else {
                continue;
            };
            let link = entry.link_name_bytes().map(|l| l.into_owned());
            let header = entry.header();
            let number = |r: io::Result<u64>| r.map_err(|e| state.explain(e));
            let raw = RawEntry {
                path: &path,
                link: link.as_deref(),
                kind,
                mode: header.mode().map_err(|e| state.explain(e))? & 0o7777,
                uid: number(header.uid())?,
                gid: number(header.gid())?,
                size: entry.size(),
                mtime: match header_mtime {
                    Some(t) => t,
                    None => number(header.mtime())?,
                },
            };
            // Size as Docker counts it, from the headers alone.
            stats.entries += 1;
            stats.size += match kind {
                EntryKind::File => raw.size,
                EntryKind::Symlink => link.as_ref().map_or(0, |l| l.len() as u64),
                _ => 0,
            };
            let size = raw.size;
            let mut data = EntryData {
                data: &mut entry,
                left: if kind == EntryKind::File { size } else { 0 },
                state: &state,
            };
            visit(&raw, &mut data)?;
        }
    }
    // The tar reader stops at a zero block, or at the end of the input; the latter means the
    // end-of-archive blocks are missing (a cut download), except for an empty stream, which
    // Docker takes as an empty layer.
    if state.eof.get() && state.consumed.get() > 0 {
        return Err(LayerError::Truncated {
            offset: state.consumed.get(),
        });
    }
    let (digest, total) = archive.into_inner().finish()?;
    stats.tar_bytes = total;
    Ok((digest, stats))
}

/// Normalises an entry name into a relative path (`./a//b/` → `a/b`), refusing anything that
/// could leave the layer root. The root itself (`.`, `./`) comes back empty.
fn clean_path(raw: &[u8]) -> Result<Vec<u8>, LayerError> {
    let entry = || lossy(raw);
    if raw.contains(&0) {
        return Err(LayerError::NulInName { entry: entry() });
    }
    if raw.is_empty() {
        return Err(LayerError::EmptyName { entry: entry() });
    }
    if raw[0] == b'/' {
        return Err(LayerError::AbsolutePath { entry: entry() });
    }
    let mut out = Vec::with_capacity(raw.len());
    for part in raw.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => return Err(LayerError::Escapes { entry: entry() }),
            part => {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(part);
            }
        }
    }
    Ok(out)
}

/// Reads a layer tar without writing anything: its diff ID (the SHA-256 of every byte of
/// the stream) and its [`LayerStats`]. Checks that it is a complete, well-formed tar; entry
/// names are not judged (that is [`unpack`]'s job).
pub fn inspect(input: impl Read) -> Result<(DiffId, LayerStats), LayerError> {
    let (digest, stats) = read_layer(input, true, |_, _| Ok(()))?;
    Ok((
        DiffId(digest.unwrap_or_else(|| Digest::of_bytes(b""))),
        stats,
    ))
}

/// Lists the entries of a layer tar, in their order, as written (for tests, `capas layers`,
/// and comparisons with `tar -tv` of a Docker layer).
pub fn list(input: impl Read) -> Result<Vec<TarEntry>, LayerError> {
    let mut out = Vec::new();
    read_layer(input, false, |raw, _| {
        let mut path = raw.path;
        while path.len() > 1 && path.ends_with(b"/") {
            path = &path[..path.len() - 1];
        }
        out.push(TarEntry {
            path: lossy(path),
            kind: raw.kind,
            mode: raw.mode,
            uid: raw.uid,
            gid: raw.gid,
            size: raw.size,
            link: raw.link.map(lossy),
            mtime: raw.mtime,
        });
        Ok(())
    })?;
    Ok(out)
}

/// Unpacks a layer tar read from `input` into `dest` (an empty or new directory), safely, and
/// returns its diff ID (computed while reading, over every byte of the stream, end padding
/// included) and its [`LayerStats`].
///
/// Whiteout markers stay plain `.wh.*` files: the store keeps layers in OCI form and the union
/// view interprets them. Entries are created as the tar says: files with their mode and mtime
/// (and owner when the process may set it), symlinks as symlinks (never followed; their mtime
/// is not set), hard links as links to an earlier entry, directories' mode and mtime applied
/// once their contents are written. A path that appears twice is replaced (a directory over a
/// directory is merged instead). A `./` entry gives its metadata to `dest`, as in Docker.
///
/// Refused, with an error naming the entry, before anything is written for it: absolute or
/// `..` names, a path through a symlink or a file, hard links leaving the layer or pointing at
/// anything but an earlier file of the tar, NUL in names, devices and fifos, and a truncated or
/// malformed tar. On error, `dest` holds a partial layer that the caller deletes (the store
/// unpacks into a temporary directory and renames it only on success).
pub fn unpack(input: impl Read, dest: &Path) -> Result<(DiffId, LayerStats), LayerError> {
    fs::create_dir_all(dest).map_err(|source| LayerError::Unpack {
        entry: ".".to_string(),
        path: dest.to_path_buf(),
        source,
    })?;
    let mut unpacker = Unpacker::new(dest);
    let (digest, stats) = read_layer(input, true, |raw, data| unpacker.entry(raw, data))?;
    unpacker.finish()?;
    Ok((
        DiffId(digest.unwrap_or_else(|| Digest::of_bytes(b""))),
        stats,
    ))
}

/// What a non-directory made by this archive is, as a parent path or a hard link target.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Leaf {
    File,
    Symlink,
}

/// Metadata of a directory entry, applied after its contents are written.
struct DirMeta {
    mode: u32,
    mtime: u64,
    uid: u64,
    gid: u64,
    /// The mode it got at creation, when capas created it (chmod is skipped if equal).
    created: Option<u32>,
}

/// The process umask, read once from `/proc/self/status` (reading it with `umask(2)` would
/// change it); `None` when unknown, and then every mode is set explicitly.
fn umask() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
    u32::from_str_radix(line.trim(), 8).ok()
}

fn seconds(t: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_secs(t))
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

struct Unpacker<'d> {
    dest: &'d Path,
    /// Directories known to exist as real directories, with every parent checked ("" = dest).
    dirs: HashSet<Vec<u8>>,
    /// Non-directories created from this archive.
    leaves: HashMap<Vec<u8>, Leaf>,
    /// Directory entries, applied deepest first at the end.
    dir_meta: BTreeMap<Vec<u8>, DirMeta>,
    /// The umask, while new entries get exactly the mode asked minus the umask and the
    /// process's owner; `None` when unknown, or when a set-gid directory makes new entries
    /// inherit its group and set-gid bit. Then modes and owners are always set explicitly.
    plain: Option<u32>,
    /// Cleared after the first refusal to change an owner (not root): no further attempts.
    may_chown: bool,
    buf: Vec<u8>,
}

impl<'d> Unpacker<'d> {
    fn new(dest: &'d Path) -> Self {
        let setgid = fs::metadata(dest).is_ok_and(|m| m.mode() & 0o2000 != 0);
        Unpacker {
            dest,
            dirs: HashSet::from([Vec::new()]),
            leaves: HashMap::new(),
            dir_meta: BTreeMap::new(),
            plain: if setgid { None } else { umask() },
            may_chown: true,
            buf: vec![0u8; IN_BUFFER],
        }
    }

    fn abs(&self, rel: &[u8]) -> PathBuf {
        if rel.is_empty() {
            self.dest.to_path_buf()
        } else {
            self.dest.join(OsStr::from_bytes(rel))
        }
    }

    /// The error of a failed disk operation, built only when there is one.
    fn disk_err(entry: &[u8], path: &Path, source: io::Error) -> LayerError {
        LayerError::Unpack {
            entry: lossy(entry),
            path: path.to_path_buf(),
            source,
        }
    }

    /// Notes an existing directory that new entries will be created in.
    fn existing_dir(&mut self, meta: &fs::Metadata) {
        if meta.mode() & 0o2000 != 0 {
            self.plain = None;
        }
    }

    /// Sets an owner, unless the process may not (then it stops trying). Root-owned entries
    /// need nothing when new files get the process's owner anyway.
    fn chown(
        &mut self,
        set: impl FnOnce(Option<u32>, Option<u32>) -> io::Result<()>,
        uid: u64,
        gid: u64,
    ) -> io::Result<()> {
        if !self.may_chown || (uid == 0 && gid == 0 && self.plain.is_some()) {
            return Ok(());
        }
        let (Ok(uid), Ok(gid)) = (u32::try_from(uid), u32::try_from(gid)) else {
            return Ok(());
        };
        match set(Some(uid), Some(gid)) {
            Err(e)
                if e.kind() == io::ErrorKind::PermissionDenied
                    || e.raw_os_error() == Some(libc::EINVAL) =>
            {
                self.may_chown = false;
                Ok(())
            }
            other => other,
        }
    }

    fn entry(
        &mut self,
        raw: &RawEntry<'_>,
        data: &mut EntryData<'_, '_>,
    ) -> Result<(), LayerError> {
        let rel = clean_path(raw.path)?;
        match raw.kind {
            EntryKind::Dir => self.directory(raw, rel),
            _ if rel.is_empty() => Err(LayerError::EmptyName {
                entry: lossy(raw.path),
            }),
            EntryKind::File => self.file(raw, rel, data),
            EntryKind::Symlink => self.symlink(raw, rel),
            EntryKind::Hardlink => self.hardlink(raw, rel),
            kind @ (EntryKind::Char | EntryKind::Block | EntryKind::Fifo) => {
                Err(LayerError::Unsupported {
                    entry: lossy(raw.path),
                    kind: kind.describe().to_string(),
                })
            }
        }
    }

    /// Makes sure every parent of `rel` is a real directory: created here, already checked, or
    /// found on disk. A symlink or a file on the way is refused.
    fn parents(&mut self, raw: &RawEntry<'_>, rel: &[u8]) -> Result<(), LayerError> {
        let Some(slash) = rel.iter().rposition(|&b| b == b'/') else {
            return Ok(());
        };
        if self.dirs.contains(&rel[..slash]) {
            return Ok(());
        }
        // Walk down from the top; once one level is missing, the rest are too.
        let mut missing = false;
        let mut end = 0;
        while end < slash {
            end = rel[end..slash]
                .iter()
                .position(|&b| b == b'/')
                .map_or(slash, |i| end + i);
            let prefix = &rel[..end];
            end += 1;
            if self.dirs.contains(prefix) {
                continue;
            }
            match self.leaves.get(prefix) {
                Some(Leaf::Symlink) => {
                    return Err(LayerError::ThroughSymlink {
                        entry: lossy(raw.path),
                        symlink: lossy(prefix),
                    });
                }
                Some(Leaf::File) => {
                    return Err(LayerError::NotADirectory {
                        entry: lossy(raw.path),
                        parent: lossy(prefix),
                    });
                }
                None => {}
            }
            let path = self.abs(prefix);
            if !missing {
                match fs::symlink_metadata(&path) {
                    Ok(m) if m.is_dir() => self.existing_dir(&m),
                    Ok(m) if m.file_type().is_symlink() => {
                        return Err(LayerError::ThroughSymlink {
                            entry: lossy(raw.path),
                            symlink: lossy(prefix),
                        });
                    }
                    Ok(_) => {
                        return Err(LayerError::NotADirectory {
                            entry: lossy(raw.path),
                            parent: lossy(prefix),
                        });
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotFound => missing = true,
                    Err(e) => return Err(Self::disk_err(raw.path, &path, e)),
                }
            }
            if missing {
                // A parent the tar does not list: 0755, as Docker's ImpliedDirectoryMode.
                fs::DirBuilder::new()
                    .mode(0o755)
                    .create(&path)
                    .map_err(|e| Self::disk_err(raw.path, &path, e))?;
            }
            self.dirs.insert(prefix.to_vec());
        }
        Ok(())
    }

    /// Removes what this archive put at `rel` before, unless it is a directory and a directory
    /// comes again (then the two merge: returns true).
    fn replace(&mut self, raw: &RawEntry<'_>, rel: &[u8], dir: bool) -> Result<bool, LayerError> {
        if self.dirs.contains(rel) {
            if dir {
                return Ok(true);
            }
            let path = self.abs(rel);
            fs::remove_dir_all(&path).map_err(|e| Self::disk_err(raw.path, &path, e))?;
            // Forget everything that was inside: those paths are free again, and no longer
            // safe parents (the next entry there may be a symlink).
            let inside =
                |p: &Vec<u8>| p.starts_with(rel) && p.get(rel.len()).is_none_or(|&b| b == b'/');
            self.dirs.retain(|p| !inside(p));
            self.leaves.retain(|p, _| !inside(p));
            self.dir_meta.retain(|p, _| !inside(p));
        } else if self.leaves.remove(rel).is_some() {
            let path = self.abs(rel);
            fs::remove_file(&path).map_err(|e| Self::disk_err(raw.path, &path, e))?;
        }
        Ok(false)
    }

    /// Creates something at `path` with `make`; if something not from this archive is
    /// already there (a non-empty destination), removes it and tries again. Returns false when
    /// an existing directory is kept for a directory entry.
    fn create(
        &mut self,
        raw: &RawEntry<'_>,
        rel: &[u8],
        dir: bool,
        mut make: impl FnMut(&Path) -> io::Result<()>,
    ) -> Result<bool, LayerError> {
        let path = self.abs(rel);
        match make(&path) {
            Ok(()) => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Self::disk_err(raw.path, &path, e)),
        }
        let meta = fs::symlink_metadata(&path).map_err(|e| Self::disk_err(raw.path, &path, e))?;
        if meta.is_dir() {
            if dir {
                self.existing_dir(&meta);
                self.dirs.insert(rel.to_vec());
                return Ok(false);
            }
            fs::remove_dir_all(&path).map_err(|e| Self::disk_err(raw.path, &path, e))?;
        } else {
            fs::remove_file(&path).map_err(|e| Self::disk_err(raw.path, &path, e))?;
        }
        make(&path).map_err(|e| Self::disk_err(raw.path, &path, e))?;
        Ok(true)
    }

    fn directory(&mut self, raw: &RawEntry<'_>, rel: Vec<u8>) -> Result<(), LayerError> {
        let mut created = None;
        if !rel.is_empty() {
            self.parents(raw, &rel)?;
            if !self.replace(raw, &rel, true)? {
                // Writable for the owner until the end, whatever the final mode.
                let mode = (raw.mode & 0o777) | 0o700;
                if self.create(raw, &rel, true, |p| {
                    fs::DirBuilder::new().mode(mode).create(p)
                })? {
                    created = self.plain.map(|u| mode & !u);
                }
                self.dirs.insert(rel.clone());
            }
        }
        let meta = DirMeta {
            mode: raw.mode,
            mtime: raw.mtime,
            uid: raw.uid,
            gid: raw.gid,
            created,
        };
        match self.dir_meta.get_mut(&rel) {
            // Merged: the later entry's metadata wins, the creation mode is still known.
            Some(old) => {
                let created = old.created;
                *old = DirMeta { created, ..meta };
            }
            None => {
                self.dir_meta.insert(rel, meta);
            }
        }
        Ok(())
    }

    fn file(
        &mut self,
        raw: &RawEntry<'_>,
        rel: Vec<u8>,
        data: &mut EntryData<'_, '_>,
    ) -> Result<(), LayerError> {
        self.parents(raw, &rel)?;
        self.replace(raw, &rel, false)?;
        // create_new: O_EXCL never follows a symlink planted at this name.
        let perm = raw.mode & 0o7777;
        let mut file = None;
        self.create(raw, &rel, false, |p| {
            file = Some(
                OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(perm & 0o777)
                    .open(p)?,
            );
            Ok(())
        })?;
        let path = self.abs(&rel);
        let Some(mut file) = file else {
            return Err(Self::disk_err(
                raw.path,
                &path,
                io::Error::other("file was not created"),
            ));
        };
        let mut buf = std::mem::take(&mut self.buf);
        let copied = (|| {
            loop {
                let n = data.chunk(&mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                file.write_all(&buf[..n])
                    .map_err(|e| Self::disk_err(raw.path, &path, e))?;
            }
        })();
        self.buf = buf;
        copied?;
        self.chown(
            |u, g| std::os::unix::fs::fchown(&file, u, g),
            raw.uid,
            raw.gid,
        )
        .map_err(|e| Self::disk_err(raw.path, &path, e))?;
        // The mode given to open(2) lost the bits in the umask, and cannot carry
        // set-uid/set-gid/sticky (chown would clear them anyway): set it when needed.
        let exact = perm & 0o7000 == 0 && self.plain.is_some_and(|u| perm & u == 0);
        if !exact {
            file.set_permissions(Permissions::from_mode(perm))
                .map_err(|e| Self::disk_err(raw.path, &path, e))?;
        }
        file.set_modified(seconds(raw.mtime))
            .map_err(|e| Self::disk_err(raw.path, &path, e))?;
        self.leaves.insert(rel, Leaf::File);
        Ok(())
    }

    fn symlink(&mut self, raw: &RawEntry<'_>, rel: Vec<u8>) -> Result<(), LayerError> {
        let target = raw.link.unwrap_or_default();
        if target.contains(&0) {
            return Err(LayerError::NulInName {
                entry: lossy(raw.path),
            });
        }
        self.parents(raw, &rel)?;
        self.replace(raw, &rel, false)?;
        let target = OsStr::from_bytes(target);
        self.create(raw, &rel, false, |p| std::os::unix::fs::symlink(target, p))?;
        let path = self.abs(&rel);
        self.chown(
            |u, g| std::os::unix::fs::lchown(&path, u, g),
            raw.uid,
            raw.gid,
        )
        .map_err(|e| Self::disk_err(raw.path, &path, e))?;
        self.leaves.insert(rel, Leaf::Symlink);
        Ok(())
    }

    fn hardlink(&mut self, raw: &RawEntry<'_>, rel: Vec<u8>) -> Result<(), LayerError> {
        let target_raw = raw.link.unwrap_or_default();
        let link_err = || (lossy(raw.path), lossy(target_raw));
        let target = match clean_path(target_raw) {
            Ok(t) => t,
            Err(LayerError::AbsolutePath { .. } | LayerError::Escapes { .. }) => {
                let (entry, target) = link_err();
                return Err(LayerError::HardlinkEscapes { entry, target });
            }
            Err(LayerError::NulInName { .. }) => {
                return Err(LayerError::NulInName {
                    entry: lossy(raw.path),
                });
            }
            Err(_) => {
                let (entry, target) = link_err();
                return Err(LayerError::HardlinkTarget { entry, target });
            }
        };
        // Only an earlier non-directory of this same archive, still in place.
        let Some(&leaf) = self.leaves.get(&target) else {
            let (entry, target) = link_err();
            return Err(LayerError::HardlinkTarget { entry, target });
        };
        if target == rel {
            return Ok(());
        }
        self.parents(raw, &rel)?;
        self.replace(raw, &rel, false)?;
        let original = self.abs(&target);
        // link(2) does not follow a symlink target: the new name is that symlink too.
        self.create(raw, &rel, false, |p| fs::hard_link(&original, p))?;
        self.leaves.insert(rel, leaf);
        Ok(())
    }

    /// Applies directories' owner, mode and mtime, deepest first, now that nothing more will
    /// be created inside them (which would change their mtime).
    fn finish(mut self) -> Result<(), LayerError> {
        let dirs = std::mem::take(&mut self.dir_meta);
        for (rel, meta) in dirs.iter().rev() {
            let path = self.abs(rel);
            let err = |e| Self::disk_err(rel, &path, e);
            let dir = OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
                .open(&path)
                .map_err(err)?;
            self.chown(
                |u, g| std::os::unix::fs::fchown(&dir, u, g),
                meta.uid,
                meta.gid,
            )
            .map_err(err)?;
            if meta.created != Some(meta.mode & 0o7777) {
                dir.set_permissions(Permissions::from_mode(meta.mode & 0o7777))
                    .map_err(err)?;
            }
            dir.set_modified(seconds(meta.mtime)).map_err(err)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;
    use std::process::Command;

    const T: u64 = 1_700_000_000;

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().expect("temporary directory")
    }

    fn put(root: &Path, rel: &str, data: &[u8], mode: u32) {
        let path = root.join(rel);
        fs::write(&path, data).expect("write file");
        fs::set_permissions(&path, Permissions::from_mode(mode)).expect("chmod");
    }

    fn mkdir(root: &Path, rel: &str, mode: u32) {
        let path = root.join(rel);
        fs::create_dir(&path).expect("mkdir");
        fs::set_permissions(&path, Permissions::from_mode(mode)).expect("chmod");
    }

    fn tar_of(dir: &Path, opts: &TarOptions) -> (Vec<u8>, LayerStats) {
        let mut out = Vec::new();
        let stats = write_tar(dir, opts, &mut out).expect("write_tar");
        (out, stats)
    }

    fn built(add: impl FnOnce(&mut TarBuilder<Vec<u8>>) -> Result<(), LayerError>) -> Vec<u8> {
        let mut b = TarBuilder::new(Vec::new());
        add(&mut b).expect("builder entries");
        b.finish().expect("finish").0
    }

    /// One entry of a hand-made tar: name, type flag, link target, data.
    type Spec<'a> = (&'a [u8], u8, &'a [u8], &'a [u8]);

    /// One step of building a test tree.
    type Step = Box<dyn Fn(&Path)>;

    /// A tar written field by field with the `tar` crate's raw header, so that a test holds
    /// exactly the names an attacker would write (no helper cleans them).
    fn raw_tar(entries: &[Spec<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        for &(name, flag, link, data) in entries {
            let mut h = tar::Header::new_ustar();
            let old = h.as_old_mut();
            old.name[..name.len()].copy_from_slice(name);
            old.linkname[..link.len()].copy_from_slice(link);
            h.set_mode(if flag == b'5' { 0o755 } else { 0o644 });
            h.set_uid(0);
            h.set_gid(0);
            h.set_mtime(T);
            h.set_size(data.len() as u64);
            h.set_entry_type(tar::EntryType::new(flag));
            h.set_cksum();
            out.extend_from_slice(h.as_bytes());
            out.extend_from_slice(data);
            out.resize(out.len().next_multiple_of(BLOCK), 0);
        }
        out.extend_from_slice(&ZEROS);
        out
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// The raw names in a tar, as the bytes of its headers say (trailing slash kept).
    fn raw_names(tar: &[u8]) -> Vec<String> {
        let mut archive = tar::Archive::new(tar);
        archive
            .entries()
            .expect("entries")
            .map(|e| lossy(&e.expect("entry").path_bytes()))
            .collect()
    }

    /// A small tree with every kind of entry capas writes.
    fn sample_tree(root: &Path, reversed: bool) {
        let mut steps: Vec<Step> = vec![
            Box::new(|r| mkdir(r, "etc", 0o755)),
            Box::new(|r| mkdir(r, "usr", 0o755)),
            Box::new(|r| mkdir(r, "usr/bin", 0o755)),
            Box::new(|r| put(r, "etc/hostname", b"capas\n", 0o644)),
            Box::new(|r| put(r, "etc/.wh.motd", b"", 0o600)),
            Box::new(|r| put(r, "usr/bin/tool", b"#!/bin/sh\necho hola\n", 0o755)),
            Box::new(|r| symlink("usr/bin", r.join("bin")).expect("symlink")),
            Box::new(|r| {
                fs::hard_link(r.join("usr/bin/tool"), r.join("usr/bin/tool2")).expect("link")
            }),
        ];
        // Parents first and the hard link last; everything between in either order.
        let link = steps.pop();
        let rest = steps.split_off(3);
        let rest: Vec<_> = if reversed {
            rest.into_iter().rev().collect()
        } else {
            rest
        };
        for step in steps.into_iter().chain(rest).chain(link) {
            step(root);
        }
    }

    #[test]
    fn same_tree_same_digest() {
        let a = tmp();
        sample_tree(a.path(), false);
        let keep = TarOptions {
            mtime: None,
            uid: Some(0),
            gid: Some(0),
            ..TarOptions::default()
        };
        let (first, _) = tar_of(a.path(), &keep);
        let (second, _) = tar_of(a.path(), &keep);
        assert_eq!(
            first, second,
            "writing the same tree twice gives the same bytes"
        );

        let b = tmp();
        sample_tree(b.path(), true);
        let opts = TarOptions::reproducible(T);
        assert_eq!(
            tar_of(a.path(), &opts).0,
            tar_of(b.path(), &opts).0,
            "creation order does not matter"
        );
        assert_eq!(
            inspect(&tar_of(a.path(), &opts).0[..]).expect("inspect").0,
            inspect(&tar_of(b.path(), &opts).0[..]).expect("inspect").0
        );
    }

    #[test]
    fn entries_are_sorted_and_dirs_end_with_slash() {
        let d = tmp();
        for dir in ["a", "z"] {
            mkdir(d.path(), dir, 0o755);
        }
        for file in ["B", "a/b", "a/.wh.x", "a-c", "a.txt", "é", "z/0"] {
            put(d.path(), file, b"x", 0o644);
        }
        let (tar, _) = tar_of(d.path(), &TarOptions::reproducible(T));
        // Go's filepath.WalkDir order: a directory's contents right after it, so "a/" comes
        // before "a-c" and "a.txt" although '-' and '.' sort before '/'.
        assert_eq!(
            raw_names(&tar),
            [
                "B", "a/", "a/.wh.x", "a/b", "a-c", "a.txt", "z/", "z/0", "é"
            ]
        );
        let listed = list(&tar[..]).expect("list");
        assert_eq!(listed[1].path, "a");
        assert_eq!(listed[1].kind, EntryKind::Dir);
        assert!(listed.iter().all(|e| !e.path.starts_with("./")));
    }

    #[test]
    fn headers_are_laid_out_as_go_writes_them() {
        let tar = built(|b| b.file("etc/hostname", 0o644, T, 6, &b"capas\n"[..]));
        assert_eq!(
            tar.len(),
            512 + 512 + 1024,
            "header, data block, two end blocks"
        );
        let h = &tar[..512];
        assert_eq!(&h[0..13], b"etc/hostname\0");
        assert_eq!(&h[100..108], b"0000644\0");
        assert_eq!(&h[108..116], b"0000000\0");
        assert_eq!(&h[116..124], b"0000000\0");
        assert_eq!(&h[124..136], b"00000000006\0");
        assert_eq!(&h[136..148], format!("{T:011o}\0").as_bytes());
        assert_eq!(h[156], b'0');
        assert_eq!(&h[257..265], b"ustar\x0000");
        assert!(h[265..329].iter().all(|&b| b == 0), "empty uname and gname");
        assert_eq!(
            &h[329..345],
            b"0000000\x000000000\0",
            "devmajor and devminor"
        );
        let sum: u32 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u32::from(b)
                }
            })
            .sum();
        assert_eq!(&h[148..156], format!("{sum:06o}\0 ").as_bytes());
        assert_eq!(&tar[512..518], b"capas\n");
    }

    #[test]
    fn long_and_non_ascii_names_use_ustar_prefix_or_pax() {
        let deep = format!("{}/{}", "d".repeat(120), "f".repeat(60));
        let huge = format!("{}/{}", "e".repeat(200), "g".repeat(150));
        let tar = built(|b| {
            b.file(&deep, 0o644, T, 1, &b"1"[..])?;
            b.file(&huge, 0o644, T, 1, &b"2"[..])?;
            b.file("café", 0o644, T, 1, &b"3"[..])?;
            b.symlink("long-link", &"t".repeat(150), T)
        });
        let names = raw_names(&tar);
        assert_eq!(names, [deep.as_str(), huge.as_str(), "café", "long-link"]);
        // The split name needs no extended header; the others get one each, named as Go does.
        let mut archive = tar::Archive::new(&tar[..]);
        let raw: Vec<(u8, Vec<u8>)> = archive
            .entries()
            .expect("entries")
            .raw(true)
            .map(|e| {
                let e = e.expect("entry");
                (
                    e.header().as_bytes()[156],
                    e.header().path_bytes().into_owned(),
                )
            })
            .collect();
        let flags: Vec<u8> = raw.iter().map(|(f, _)| *f).collect();
        assert_eq!(flags, b"0x0x0x2");
        assert_eq!(lossy(&raw[3].1), "PaxHeaders.0/caf");
        assert!(lossy(&raw[1].1).starts_with("eeee"));
        assert_eq!(raw[1].1.len(), 100);
        let d = tmp();
        unpack(&tar[..], d.path()).expect("unpack");
        assert_eq!(fs::read(d.path().join(&huge)).expect("read"), b"2");
        assert_eq!(fs::read(d.path().join("café")).expect("read"), b"3");
    }

    #[test]
    fn size_counts_hardlinks_once_and_symlink_targets() {
        let d = tmp();
        put(d.path(), "data", b"0123456789", 0o644);
        fs::hard_link(d.path().join("data"), d.path().join("link")).expect("link");
        symlink("abc", d.path().join("sym")).expect("symlink");
        put(d.path(), "empty", b"", 0o644);
        put(d.path(), ".wh.gone", b"", 0o600);
        mkdir(d.path(), "dir", 0o755);
        let (tar, stats) = tar_of(d.path(), &TarOptions::reproducible(T));
        assert_eq!(
            stats.size, 13,
            "10 bytes once, plus the 3 bytes of the symlink target"
        );
        assert_eq!(stats.entries, 6);
        assert_eq!(stats.tar_bytes, tar.len() as u64);
        let listed = list(&tar[..]).expect("list");
        let link = listed
            .iter()
            .find(|e| e.path == "link")
            .expect("link entry");
        assert_eq!(link.kind, EntryKind::Hardlink);
        assert_eq!(link.link.as_deref(), Some("data"));
        assert_eq!(inspect(&tar[..]).expect("inspect").1, stats);
        let out = tmp();
        assert_eq!(unpack(&tar[..], out.path()).expect("unpack").1, stats);

        let generated = built(|b| {
            b.file("data", 0o644, T, 10, &b"0123456789"[..])?;
            b.hardlink("link", "data", T)?;
            b.symlink("sym", "abc", T)?;
            b.whiteout("gone", T)
        });
        assert_eq!(inspect(&generated[..]).expect("inspect").1.size, 13);
    }

    #[test]
    fn whiteout_and_opaque_markers_round_trip() {
        let tar = built(|b| {
            b.dir("etc", 0o755, T)?;
            b.whiteout("etc/motd", T)?;
            b.dir("var", 0o755, T)?;
            b.dir("var/cache", 0o755, T)?;
            b.opaque("var/cache", 0o755)?;
            b.file("var/cache/new", 0o644, T, 2, &b"hi"[..])
        });
        let listed = list(&tar[..]).expect("list");
        let wh = &listed[1];
        assert_eq!(
            (wh.path.as_str(), wh.kind, wh.mode, wh.size),
            ("etc/.wh.motd", EntryKind::File, 0o600, 0)
        );
        let opq = &listed[4];
        assert_eq!(opq.path, format!("var/cache/{OPAQUE_MARKER}"));
        assert_eq!((opq.mode, opq.mtime, opq.size), (0o755, 0, 0));

        // Unpacked in OCI form: the markers are plain files.
        let d = tmp();
        let (diff_id, _) = unpack(&tar[..], d.path()).expect("unpack");
        let meta = fs::symlink_metadata(d.path().join("etc/.wh.motd")).expect("whiteout");
        assert!(meta.is_file());
        assert_eq!((meta.mode() & 0o7777, meta.len()), (0o600, 0));
        assert!(d.path().join("var/cache/.wh..wh..opq").is_file());

        // Tarred again as they are, they give the same layer.
        let keep = TarOptions {
            mtime: None,
            uid: Some(0),
            gid: Some(0),
            ..TarOptions::default()
        };
        let (again, _) = tar_of(d.path(), &keep);
        assert_eq!(again, tar);
        assert_eq!(diff_id.0, Digest::of_bytes(&again));
    }

    #[test]
    fn unpack_then_write_round_trips() {
        // Entries in walk order, every kind, mtime T everywhere (symlink mtimes are not
        // restored, so the comparison forces it).
        let tar = built(|b| {
            b.symlink("bin", "usr/bin", T)?;
            b.dir("etc", 0o755, T)?;
            b.file("etc/hostname", 0o644, T, 6, &b"capas\n"[..])?;
            b.file("etc/shadow", 0o640, T, 3, &b"pw\n"[..])?;
            b.dir("ro", 0o555, T)?;
            b.file("ro/inside", 0o444, T, 1, &b"r"[..])?;
            b.dir("tmp", 0o1777, T)?;
            b.dir("usr", 0o755, T)?;
            b.dir("usr/bin", 0o755, T)?;
            b.file("usr/bin/su", 0o4755, T, 2, &b"su"[..])?;
            b.file("usr/bin/tool", 0o755, T, 4, &b"tool"[..])?;
            b.hardlink("usr/bin/tool2", "usr/bin/tool", T)
        });
        let d = tmp();
        let (diff_id, _) = unpack(&tar[..], d.path()).expect("unpack");
        assert_eq!(diff_id.0, Digest::of_bytes(&tar));
        let (again, _) = tar_of(d.path(), &TarOptions::reproducible(T));
        assert_eq!(inspect(&again[..]).expect("inspect").0, diff_id);

        // Without symlinks, each entry's own mtime is restored too.
        let tar = built(|b| {
            b.dir("a", 0o750, 1_000)?;
            b.file("a/f", 0o600, 2_000, 1, &b"f"[..])?;
            b.dir("b", 0o755, 3_000)?;
            b.dir("b/c", 0o700, 4_000)?;
            b.file("b/c/g", 0o640, 5_000, 1, &b"g"[..])
        });
        let d = tmp();
        let (diff_id, _) = unpack(&tar[..], d.path()).expect("unpack");
        let keep = TarOptions {
            mtime: None,
            uid: Some(0),
            gid: Some(0),
            ..TarOptions::default()
        };
        assert_eq!(tar_of(d.path(), &keep).0, tar);
        assert_eq!(diff_id.0, Digest::of_bytes(&tar));
    }

    #[test]
    fn dotdot_entry_is_refused_and_nothing_written_outside() {
        for name in [
            &b"../escaped"[..],
            b"a/../../escaped",
            b"./x/../../../escaped",
            b"..",
        ] {
            let outer = tmp();
            let dest = outer.path().join("dest");
            let tar = raw_tar(&[(b"a/", b'5', b"", b""), (name, b'0', b"", b"pwned")]);
            let err = unpack(&tar[..], &dest).expect_err("a .. entry must be refused");
            assert!(matches!(err, LayerError::Escapes { .. }), "{err}");
            assert_eq!(names_in(outer.path()), ["dest"]);
        }
        let err = unpack(
            &raw_tar(&[(b"../etc/passwd", b'0', b"", b"x")])[..],
            &tmp().path().join("d"),
        )
        .expect_err("refused");
        assert_eq!(
            err.to_string(),
            r#"layer entry "../etc/passwd" escapes the layer root"#
        );
    }

    #[test]
    fn absolute_entry_is_refused() {
        let target = format!("/tmp/capas-absolute-entry-{}", std::process::id());
        let tar = raw_tar(&[(target.as_bytes(), b'0', b"", b"pwned")]);
        let err = unpack(&tar[..], tmp().path()).expect_err("refused");
        assert!(matches!(err, LayerError::AbsolutePath { .. }), "{err}");
        assert!(!Path::new(&target).exists());
        let tar = built(|b| b.file("ok", 0o644, T, 0, io::empty()));
        assert!(
            TarBuilder::new(Vec::new())
                .file("/etc/x", 0o644, T, 0, io::empty())
                .is_err()
        );
        assert!(unpack(&tar[..], tmp().path()).is_ok());
    }

    #[test]
    fn symlink_escape_is_refused() {
        let outside = tmp();
        let o = outside.path().as_os_str().as_bytes();
        let attacks: Vec<Vec<Spec<'_>>> = vec![
            // a symlink of this tar, then a file through it
            vec![(b"link", b'2', o, b""), (b"link/evil", b'0', b"", b"pwned")],
            vec![(b"up", b'2', b"..", b""), (b"up/evil", b'0', b"", b"pwned")],
            // a directory replaced by a symlink, then a file through the old name
            vec![
                (b"d/", b'5', b"", b""),
                (b"d", b'2', o, b""),
                (b"d/evil", b'0', b"", b"pwned"),
            ],
            // a directory through the symlink, and a hard link through it
            vec![(b"s", b'2', o, b""), (b"s/sub/", b'5', b"", b"")],
            vec![
                (b"f", b'0', b"", b"x"),
                (b"s", b'2', o, b""),
                (b"s/h", b'1', b"f", b""),
            ],
        ];
        for attack in &attacks {
            let dest = tmp();
            let err = unpack(&raw_tar(attack)[..], dest.path()).expect_err("refused");
            assert!(matches!(err, LayerError::ThroughSymlink { .. }), "{err}");
            assert!(names_in(outside.path()).is_empty(), "nothing lands outside");
        }
        // A symlink already in the destination is not followed either.
        let dest = tmp();
        symlink(outside.path(), dest.path().join("pre")).expect("symlink");
        let err = unpack(&raw_tar(&[(b"pre/evil", b'0', b"", b"x")])[..], dest.path())
            .expect_err("refused");
        assert!(matches!(err, LayerError::ThroughSymlink { .. }), "{err}");
        // ... and a file entry at its name replaces the symlink instead of writing through it.
        unpack(&raw_tar(&[(b"pre", b'0', b"", b"mine")])[..], dest.path()).expect("unpack");
        assert_eq!(fs::read(dest.path().join("pre")).expect("read"), b"mine");
        assert!(names_in(outside.path()).is_empty());

        // Symlinks themselves may point anywhere: they are stored, not followed.
        let dest = tmp();
        unpack(
            &raw_tar(&[
                (b"bin/sh", b'2', b"/bin/busybox", b""),
                (b"up", b'2', b"../..", b""),
            ])[..],
            dest.path(),
        )
        .expect("unpack");
        assert_eq!(
            fs::read_link(dest.path().join("bin/sh")).expect("link"),
            Path::new("/bin/busybox")
        );
        assert_eq!(
            fs::read_link(dest.path().join("up")).expect("link"),
            Path::new("../..")
        );
    }

    #[test]
    fn hardlink_escape_is_refused() {
        let outer = tmp();
        let dest = outer.path().join("dest");
        let cases: [(&[Spec<'_>], &str); 4] = [
            (&[(b"h", b'1', b"../x", b"")], "escapes"),
            (&[(b"h", b'1', b"/etc/passwd", b"")], "escapes"),
            (
                &[(b"h", b'1', b"later", b""), (b"later", b'0', b"", b"x")],
                "missing",
            ),
            (
                &[(b"d/", b'5', b"", b""), (b"h", b'1', b"d", b"")],
                "missing",
            ),
        ];
        for (entries, why) in cases {
            let err = unpack(&raw_tar(entries)[..], &dest).expect_err("refused");
            match why {
                "escapes" => assert!(matches!(err, LayerError::HardlinkEscapes { .. }), "{err}"),
                _ => assert!(matches!(err, LayerError::HardlinkTarget { .. }), "{err}"),
            }
            assert!(!dest.join("h").exists());
            assert_eq!(names_in(outer.path()), ["dest"]);
        }
        // A link to an earlier file of the same tar is one inode with two names.
        let d = tmp();
        unpack(
            &raw_tar(&[(b"f", b'0', b"", b"data"), (b"h", b'1', b"./f", b"")])[..],
            d.path(),
        )
        .expect("unpack");
        let (f, h) = (
            fs::metadata(d.path().join("f")).expect("f"),
            fs::metadata(d.path().join("h")).expect("h"),
        );
        assert_eq!((f.ino(), f.nlink()), (h.ino(), 2));
        let err = TarBuilder::new(Vec::new())
            .hardlink("h", "nothing", T)
            .expect_err("refused");
        assert!(matches!(err, LayerError::HardlinkTarget { .. }));
    }

    #[test]
    fn truncated_tar_is_an_error() {
        let data = vec![7u8; 2000];
        let tar = built(|b| {
            b.file("big", 0o644, T, 2000, &data[..])?;
            b.file("small", 0o644, T, 1, &b"s"[..])
        });
        let entries_end = tar.len() - 1024;
        for cut in [300, 1000, 2048, entries_end] {
            let part = &tar[..cut];
            let err = unpack(part, tmp().path()).expect_err("truncated");
            assert!(
                matches!(err, LayerError::Truncated { .. }),
                "cut at {cut}: {err}"
            );
            assert!(
                matches!(inspect(part), Err(LayerError::Truncated { .. })),
                "cut at {cut}"
            );
            assert!(list(part).is_err());
        }
        // One end block is enough to end a tar (readers stop at the first).
        assert!(inspect(&tar[..entries_end + 512]).is_ok());
    }

    #[test]
    fn corrupt_header_is_an_error() {
        let tar = built(|b| b.file("etc/hostname", 0o644, T, 6, &b"capas\n"[..]));
        let mut bad = tar.clone();
        bad[3] ^= 0x20;
        let err = inspect(&bad[..]).expect_err("bad checksum");
        assert!(matches!(err, LayerError::Malformed { .. }), "{err}");
        assert!(err.to_string().contains("checksum"), "{err}");
        assert!(matches!(
            unpack(&bad[..], tmp().path()),
            Err(LayerError::Malformed { .. })
        ));
        // Not a tar at all.
        let text = vec![b'x'; 4096];
        assert!(matches!(
            inspect(&text[..]),
            Err(LayerError::Malformed { .. })
        ));
    }

    #[test]
    fn diff_id_equals_sha256_of_the_stream() {
        let mut tar = built(|b| {
            b.dir("etc", 0o755, T)?;
            b.file("etc/hostname", 0o644, T, 6, &b"capas\n"[..])
        });
        // GNU tar pads archives to 10 KiB records: those bytes are part of the diff ID too.
        tar.resize(10240, 0);
        let whole = Digest::of_bytes(&tar);
        let (diff_id, stats) = inspect(&tar[..]).expect("inspect");
        assert_eq!(diff_id.0, whole);
        assert_eq!(stats.tar_bytes, 10240);
        let (diff_id, stats) = unpack(&tar[..], &tmp().path().join("new")).expect("unpack");
        assert_eq!((diff_id.0, stats.tar_bytes), (whole, 10240));
        // Docker takes an empty stream as an empty layer.
        let (empty, stats) = inspect(&b""[..]).expect("empty layer");
        assert_eq!((empty.0, stats.entries), (Digest::of_bytes(b""), 0));
    }

    #[test]
    fn later_entries_replace_earlier_ones_and_dirs_merge() {
        let d = tmp();
        let tar = raw_tar(&[
            (b"./", b'5', b"", b""),
            (b"./f", b'0', b"", b"old"),
            (b"./f", b'0', b"", b"new"),
            (b"dir/", b'5', b"", b""),
            (b"dir/a", b'0', b"", b"a"),
            (b"dir/", b'5', b"", b""),
            (b"gone/", b'5', b"", b""),
            (b"gone/x", b'0', b"", b"x"),
            (b"gone", b'0', b"", b"now a file"),
            (b"s", b'2', b"f", b""),
            (b"s/", b'5', b"", b""),
        ]);
        unpack(&tar[..], d.path()).expect("unpack");
        assert_eq!(fs::read(d.path().join("f")).expect("f"), b"new");
        assert_eq!(fs::read(d.path().join("dir/a")).expect("dir/a"), b"a");
        assert_eq!(
            fs::read(d.path().join("gone")).expect("gone"),
            b"now a file"
        );
        assert!(
            fs::symlink_metadata(d.path().join("s"))
                .expect("s")
                .is_dir()
        );
    }

    #[test]
    fn setgid_destination_does_not_leak_its_group() {
        let d = tmp();
        let dest = d.path().join("dest");
        fs::create_dir(&dest).expect("mkdir");
        // Only root may give a directory a group it is not in; elsewhere there is nothing to see.
        if std::os::unix::fs::chown(&dest, None, Some(4242)).is_err() {
            return;
        }
        fs::set_permissions(&dest, Permissions::from_mode(0o2755)).expect("chmod");
        let tar = built(|b| {
            b.dir("sub", 0o755, T)?;
            b.file("sub/f", 0o644, T, 1, &b"f"[..])
        });
        unpack(&tar[..], &dest).expect("unpack");
        for (rel, mode) in [("sub", 0o755), ("sub/f", 0o644)] {
            let meta = fs::metadata(dest.join(rel)).expect("metadata");
            assert_eq!((meta.gid(), meta.mode() & 0o7777), (0, mode), "{rel}");
        }
    }

    #[test]
    fn devices_and_unknown_entries_are_refused() {
        for (name, flag) in [
            (&b"dev/null"[..], b'3'),
            (b"dev/sda", b'4'),
            (b"fifo", b'6'),
            (b"vol", b'V'),
        ] {
            let err =
                unpack(&raw_tar(&[(name, flag, b"", b"")])[..], tmp().path()).expect_err("refused");
            assert!(matches!(err, LayerError::Unsupported { .. }), "{err}");
        }
        // Listing shows a device without creating it.
        let listed = list(&raw_tar(&[(b"dev/null", b'3', b"", b"")])[..]).expect("list");
        assert_eq!(listed[0].kind, EntryKind::Char);
    }

    #[test]
    fn builder_refuses_bad_names_duplicates_and_wrong_lengths() {
        let mut b = TarBuilder::new(Vec::new());
        assert!(matches!(
            b.dir("a/../..", 0o755, T),
            Err(LayerError::Escapes { .. })
        ));
        assert!(matches!(
            b.dir("./", 0o755, T),
            Err(LayerError::EmptyName { .. })
        ));
        b.dir("a", 0o755, T).expect("dir");
        assert!(matches!(
            b.dir("./a/", 0o755, T),
            Err(LayerError::Duplicate { .. })
        ));
        assert!(matches!(
            b.file("short", 0o644, T, 10, &b"abc"[..]),
            Err(LayerError::DataLength {
                expected: 10,
                found: 3,
                ..
            })
        ));
        let mut b = TarBuilder::new(Vec::new());
        assert!(matches!(
            b.file("long", 0o644, T, 2, &b"abc"[..]),
            Err(LayerError::DataLength { .. })
        ));
    }

    #[test]
    fn gnu_tar_reads_and_rewrites_our_tars() {
        let gnu = Path::new("/usr/bin/tar");
        if !gnu.exists() {
            eprintln!("skipped: no GNU tar at /usr/bin/tar");
            return;
        }
        let src = tmp();
        sample_tree(src.path(), false);
        let deep = format!("{}/{}", "d".repeat(120), "f".repeat(60));
        fs::create_dir(src.path().join("d".repeat(120))).expect("mkdir");
        put(src.path(), &deep, b"deep", 0o640);
        put(src.path(), "café", b"pax", 0o644);
        let opts = TarOptions {
            mtime: None,
            uid: Some(0),
            gid: Some(0),
            ..TarOptions::default()
        };
        let (tar, _) = tar_of(src.path(), &opts);
        let work = tmp();
        let file = work.path().join("layer.tar");
        fs::write(&file, &tar).expect("write tar");

        // `tar -tv` sees the same entries: type, mode, owner, size, name, link.
        let out = Command::new(gnu)
            .args(["--numeric-owner", "--quoting-style=literal", "-tvf"])
            .arg(&file)
            .env("TZ", "UTC")
            .output()
            .expect("run tar -tv");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listing = String::from_utf8_lossy(&out.stdout).into_owned();
        let ours = list(&tar[..]).expect("list");
        assert_eq!(listing.lines().count(), ours.len(), "{listing}");
        for (line, entry) in listing.lines().zip(&ours) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let letter = match entry.kind {
                EntryKind::Dir => 'd',
                EntryKind::Symlink => 'l',
                EntryKind::Hardlink => 'h',
                _ => '-',
            };
            let mut perms = String::from(letter);
            for (bit, c) in [
                (0o400, 'r'),
                (0o200, 'w'),
                (0o100, 'x'),
                (0o40, 'r'),
                (0o20, 'w'),
                (0o10, 'x'),
                (0o4, 'r'),
                (0o2, 'w'),
                (0o1, 'x'),
            ] {
                perms.push(if entry.mode & bit != 0 { c } else { '-' });
            }
            assert_eq!(cols[0], perms, "{line}");
            assert_eq!(cols[1], "0/0", "{line}");
            assert_eq!(cols[2], entry.size.to_string(), "{line}");
            let name = if entry.kind == EntryKind::Dir {
                format!("{}/", entry.path)
            } else {
                entry.path.clone()
            };
            assert_eq!(cols[5], name, "{line}");
            match entry.kind {
                EntryKind::Symlink => {
                    assert_eq!(&cols[6..], ["->", entry.link.as_deref().unwrap_or("")])
                }
                EntryKind::Hardlink => assert_eq!(
                    &cols[6..],
                    ["link", "to", entry.link.as_deref().unwrap_or("")]
                ),
                _ => assert_eq!(cols.len(), 6, "{line}"),
            }
        }

        // `tar -xf` then write_tar again gives the same bytes.
        let extracted = work.path().join("x");
        fs::create_dir(&extracted).expect("mkdir");
        let status = Command::new(gnu)
            .args(["-p", "-xf"])
            .arg(&file)
            .arg("-C")
            .arg(&extracted)
            .status()
            .expect("run tar -x");
        assert!(status.success());
        let (again, _) = tar_of(&extracted, &opts);
        assert_eq!(
            again, tar,
            "GNU tar extracted what we wrote, and we tar it back identically"
        );

        // And GNU tar's own archive of the tree unpacks here to the same tree.
        let gnu_tar = work.path().join("gnu.tar");
        let status = Command::new(gnu)
            .args(["--format=posix", "-cf"])
            .arg(&gnu_tar)
            .arg("-C")
            .arg(src.path())
            .arg(".")
            .status()
            .expect("run tar -c");
        assert!(status.success());
        let back = work.path().join("back");
        unpack(File::open(&gnu_tar).expect("open"), &back).expect("unpack GNU tar's archive");
        assert_eq!(
            tar_of(&back, &TarOptions::reproducible(T)).0,
            tar_of(src.path(), &TarOptions::reproducible(T)).0
        );
    }
}
