//! Digests: the names of content.
//!
//! Everything in an image is named by the SHA-256 of its bytes, written `sha256:<64 hex>`.
//! The same bytes always give the same name, and a name can be checked by hashing the bytes
//! again: that is what makes an image immutable and shareable. Docker shows the first 12 hex
//! characters as the short form (`stringid.TruncateID`), and accepts any unambiguous prefix.
//!
//! Three kinds of digest appear in an image, and the course keeps them apart:
//!
//! | name | digest of | where |
//! | --- | --- | --- |
//! | [`Digest`] of a blob | the bytes as stored (maybe gzip) | manifest `layers[].digest` |
//! | [`DiffId`] | the *uncompressed* layer tar | config `rootfs.diff_ids` |
//! | [`ChainId`] | a layer *and everything below it* | Docker's layer store, `rmi`'s `Deleted:` lines |
//!
//! ```
//! use capas_core::digest::{ChainId, DiffId, Digest};
//! let d = Digest::of_bytes(b"hola\n");
//! assert_eq!(d.short(), "133ee989293f");
//! let base = DiffId::from(Digest::of_bytes(b"base"));
//! let top = DiffId::from(Digest::of_bytes(b"top"));
//! let chain = ChainId::of(&[base.clone(), top]);
//! assert_ne!(chain.digest(), base.digest());
//! ```

use std::fmt;
use std::io::{self, Read, Write};
use std::str::FromStr;
use std::sync::mpsc;
use std::thread;

use sha2::{Digest as _, Sha256};

/// Errors met while reading digests or ID prefixes.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DigestError {
    /// The text is not `sha256:` followed by 64 lowercase hex characters.
    #[error("invalid digest {text:?}: expected sha256:<64 hex characters>")]
    Invalid {
        /// What was given.
        text: String,
    },
    /// An ID prefix matches more than one object (Docker: `ambiguous digest string`).
    #[error("ambiguous ID prefix {prefix:?}: it matches more than one image")]
    Ambiguous {
        /// The prefix the user typed.
        prefix: String,
    },
}

/// A SHA-256 content digest, `sha256:<64 hex>`.
///
/// Ordered and hashed by its text, so sorted listings are stable on every machine.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest {
    /// The 64 lowercase hex characters, without the `sha256:` prefix.
    hex: String,
}

/// Length of the short form Docker prints (`IMAGE ID`, pull and push lines).
pub const SHORT_LEN: usize = 12;

impl Digest {
    /// The digest of a byte slice.
    pub fn of_bytes(bytes: &[u8]) -> Digest {
        Digest::from_raw(Sha256::digest(bytes).into())
    }

    /// The digest of everything a reader yields, read in chunks (never all in memory).
    pub fn of_reader(mut reader: impl Read) -> io::Result<(Digest, u64)> {
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut total = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            hasher.update(&buf[..n]);
            total += n as u64;
        }
        Ok((Digest::from_raw(hasher.finalize().into()), total))
    }

    /// A digest from the 32 raw bytes of a SHA-256 sum.
    pub fn from_raw(raw: [u8; 32]) -> Digest {
        Digest {
            hex: hex::encode(raw),
        }
    }

    /// Parses `sha256:<64 hex>`; also accepts the bare 64 hex that Docker prints with `--no-trunc`
    /// in some places and uses for directory names.
    pub fn parse(text: &str) -> Result<Digest, DigestError> {
        let hex = text.strip_prefix("sha256:").unwrap_or(text);
        if hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Digest {
                hex: hex.to_string(),
            })
        } else {
            Err(DigestError::Invalid {
                text: text.to_string(),
            })
        }
    }

    /// The 64 hex characters (the file name of a blob in `blobs/sha256/`).
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The 12-character short form Docker prints: `TruncateID` drops `sha256:` and keeps 12.
    pub fn short(&self) -> &str {
        &self.hex[..SHORT_LEN]
    }

    /// The algorithm name; capas, like Docker's stores, only uses SHA-256.
    pub fn algorithm(&self) -> &'static str {
        "sha256"
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

impl FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Digest::parse(s)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Digest::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl From<&oci_spec::image::Digest> for Digest {
    fn from(d: &oci_spec::image::Digest) -> Digest {
        // oci-spec has already validated the form; a non-sha256 digest keeps its hex so that
        // the caller's comparison fails loudly instead of panicking here.
        Digest {
            hex: d.digest().to_string(),
        }
    }
}

impl From<&Digest> for oci_spec::image::Digest {
    fn from(d: &Digest) -> oci_spec::image::Digest {
        // The text was validated when the Digest was made; Sha256Digest accepts exactly 64 hex.
        let sha: oci_spec::image::Sha256Digest = d
            .hex
            .parse()
            .unwrap_or_else(|_| unreachable!("a Digest always holds 64 lowercase hex"));
        sha.into()
    }
}

/// The digest of one uncompressed layer tar, as listed in the config's `rootfs.diff_ids`.
///
/// Docker computes it while it extracts a layer, and it never changes when the same layer is
/// stored or sent gzip-compressed (the blob digest does).
#[derive(
    Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct DiffId(pub Digest);

impl DiffId {
    /// The underlying digest.
    pub fn digest(&self) -> &Digest {
        &self.0
    }
}

impl From<Digest> for DiffId {
    fn from(d: Digest) -> DiffId {
        DiffId(d)
    }
}

impl fmt::Display for DiffId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The identity of a layer *together with every layer below it*.
///
/// `ChainID(L0) = DiffID(L0)` and `ChainID(L0..Ln) = sha256("<ChainID(L0..Ln-1)> <DiffID(Ln)>")`,
/// both written with their `sha256:` prefix and one space between (image-spec `config.md`).
/// The same file changes on top of two different bases are two different chains: that is why
/// Docker's layer store, and capas's `layers/` directory, are keyed by chain ID.
#[derive(
    Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct ChainId(pub Digest);

impl ChainId {
    /// The chain ID of a stack of layers given bottom first. Panics on an empty stack is
    /// avoided: an empty stack has no chain, so the caller gets `None` from [`ChainId::all`].
    pub fn of(diff_ids: &[DiffId]) -> ChainId {
        ChainId::all(diff_ids)
            .pop()
            .unwrap_or_else(|| ChainId(Digest::of_bytes(b"")))
    }

    /// The chain ID of every prefix of the stack: element `i` names layers `0..=i`.
    pub fn all(diff_ids: &[DiffId]) -> Vec<ChainId> {
        let mut out: Vec<ChainId> = Vec::with_capacity(diff_ids.len());
        for diff_id in diff_ids {
            let next = match out.last() {
                None => ChainId(diff_id.0.clone()),
                Some(parent) => ChainId::child(parent, diff_id),
            };
            out.push(next);
        }
        out
    }

    /// The chain ID of `diff_id` on top of the chain `parent`.
    pub fn child(parent: &ChainId, diff_id: &DiffId) -> ChainId {
        ChainId(Digest::of_bytes(
            format!("{} {}", parent.0, diff_id.0).as_bytes(),
        ))
    }

    /// The underlying digest.
    pub fn digest(&self) -> &Digest {
        &self.0
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Finds the one digest that starts with `prefix` (hex, optionally written `sha256:<hex>`),
/// the way Docker's `digestset` resolves a short ID.
///
/// Returns `Ok(None)` when nothing matches, and [`DigestError::Ambiguous`] when two do.
pub fn resolve_prefix<'a>(
    candidates: impl IntoIterator<Item = &'a Digest>,
    prefix: &str,
) -> Result<Option<&'a Digest>, DigestError> {
    let hex = prefix.strip_prefix("sha256:").unwrap_or(prefix);
    if hex.is_empty() || hex.len() > 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let hex = hex.to_ascii_lowercase();
    let mut found: Option<&Digest> = None;
    for candidate in candidates {
        if candidate.hex.starts_with(&hex) {
            match found {
                Some(other) if other != candidate => {
                    return Err(DigestError::Ambiguous {
                        prefix: prefix.to_string(),
                    });
                }
                _ => found = Some(candidate),
            }
        }
    }
    Ok(found)
}

/// A writer that hashes everything written through it, on its own thread.
///
/// Hashing runs at about 1 GB/s a core, which is the bound of every layer operation; writing
/// a tar runs at about 2 GB/s. Moving the hash to a second thread lets both run at once
/// (`PERFORMANCE.md`). Bytes are copied once into a buffer that is handed over a bounded
/// channel, so memory stays at a few megabytes whatever the layer's size.
pub struct HashingWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
    sender: Option<mpsc::SyncSender<Vec<u8>>>,
    recycled: mpsc::Receiver<Vec<u8>>,
    worker: Option<thread::JoinHandle<[u8; 32]>>,
    written: u64,
}

const CHUNK: usize = 1 << 20;

impl<W: Write> HashingWriter<W> {
    /// Wraps `inner`: every byte written goes to `inner` and to the hasher.
    pub fn new(inner: W) -> HashingWriter<W> {
        let (sender, receiver) = mpsc::sync_channel::<Vec<u8>>(4);
        let (give_back, recycled) = mpsc::channel::<Vec<u8>>();
        let worker = thread::spawn(move || {
            let mut hasher = Sha256::new();
            for chunk in receiver {
                hasher.update(&chunk);
                // The buffer goes back to the writer to be reused; if the writer is gone, drop it.
                let _ = give_back.send(chunk);
            }
            hasher.finalize().into()
        });
        HashingWriter {
            inner,
            buf: Vec::with_capacity(CHUNK),
            sender: Some(sender),
            recycled,
            worker: Some(worker),
            written: 0,
        }
    }

    fn flush_chunk(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let fresh = self
            .recycled
            .try_recv()
            .map(|mut b| {
                b.clear();
                b
            })
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        let full = std::mem::replace(&mut self.buf, fresh);
        self.inner.write_all(&full)?;
        if let Some(sender) = &self.sender {
            sender
                .send(full)
                .map_err(|_| io::Error::other("the hashing thread stopped"))?;
        }
        Ok(())
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flushes, waits for the hash, and returns it with the inner writer and the byte count.
    pub fn finish(mut self) -> io::Result<(Digest, W, u64)> {
        self.flush_chunk()?;
        self.inner.flush()?;
        drop(self.sender.take());
        let raw = self
            .worker
            .take()
            .map(|w| w.join())
            .transpose()
            .map_err(|_| io::Error::other("the hashing thread panicked"))?
            .unwrap_or_else(|| Sha256::digest([]).into());
        // Move the inner writer out without running Drop's cleanup twice.
        let HashingWriter { inner, written, .. } = self;
        Ok((Digest::from_raw(raw), inner, written))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buf.len();
        let n = data.len().min(room);
        self.buf.extend_from_slice(&data[..n]);
        self.written += n as u64;
        if self.buf.len() == CHUNK {
            self.flush_chunk()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_chunk()?;
        self.inner.flush()
    }
}

/// A reader that hashes everything read through it (in the reading thread: readers are
/// usually bound by what they feed, such as unpacking files, not by the hash).
pub struct HashingReader<R: Read> {
    inner: R,
    hasher: Sha256,
    read: u64,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> HashingReader<R> {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            read: 0,
        }
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// The digest of the bytes read so far (the reader can go on).
    pub fn current_digest(&self) -> Digest {
        Digest::from_raw(self.hasher.clone().finalize().into())
    }

    /// Reads whatever is left (a tar reader stops at the end-of-archive blocks and may leave
    /// padding unread: the digest is of the whole stream), then returns the digest and count.
    pub fn finish(mut self) -> io::Result<(Digest, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((Digest::from_raw(self.hasher.finalize().into()), self.read))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_same_digest() {
        assert_eq!(Digest::of_bytes(b"capas"), Digest::of_bytes(b"capas"));
        assert_ne!(Digest::of_bytes(b"capas"), Digest::of_bytes(b"capaz"));
    }

    #[test]
    fn known_digest_of_empty_input() {
        assert_eq!(
            Digest::of_bytes(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn parse_round_trips_and_rejects_bad_text() {
        let d = Digest::of_bytes(b"x");
        assert_eq!(Digest::parse(&d.to_string()), Ok(d.clone()));
        assert_eq!(Digest::parse(d.hex()), Ok(d));
        assert!(Digest::parse("sha256:abc").is_err());
        assert!(Digest::parse(&format!("sha256:{}", "G".repeat(64))).is_err());
        assert!(Digest::parse(&format!("sha256:{}", "A".repeat(64))).is_err());
    }

    #[test]
    fn chain_id_matches_docker_observation() {
        // docker-reference.md §1.4: sha256 of "sha256:<parent> sha256:<diff id>", one space.
        let l0 = DiffId(Digest::of_bytes(b"l0"));
        let l1 = DiffId(Digest::of_bytes(b"l1"));
        let expected = Digest::of_bytes(format!("{} {}", l0.0, l1.0).as_bytes());
        assert_eq!(ChainId::of(&[l0.clone(), l1]).0, expected);
        assert_eq!(ChainId::of(std::slice::from_ref(&l0)).0, l0.0);
    }

    #[test]
    fn prefix_resolution_is_exact_or_ambiguous() {
        let a = Digest::parse(&format!("{}{}", "ab", "0".repeat(62))).expect("valid");
        let b = Digest::parse(&format!("{}{}", "ac", "0".repeat(62))).expect("valid");
        let all = [a.clone(), b];
        assert_eq!(resolve_prefix(&all, "ab"), Ok(Some(&a)));
        assert_eq!(resolve_prefix(&all, "sha256:ab"), Ok(Some(&a)));
        assert_eq!(resolve_prefix(&all, "ad"), Ok(None));
        assert_eq!(resolve_prefix(&all, "nothex"), Ok(None));
        assert!(matches!(
            resolve_prefix(&all, "a"),
            Err(DigestError::Ambiguous { .. })
        ));
    }

    #[test]
    fn hashing_writer_and_reader_agree_with_one_shot_hash() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut w = HashingWriter::new(Vec::new());
        for piece in data.chunks(70_001) {
            w.write_all(piece).expect("write to vec");
        }
        let (digest, out, n) = w.finish().expect("finish");
        assert_eq!(out, data);
        assert_eq!(n, data.len() as u64);
        assert_eq!(digest, Digest::of_bytes(&data));

        let mut r = HashingReader::new(&data[..]);
        let mut first = [0u8; 10];
        r.read_exact(&mut first).expect("read");
        let (digest2, n2) = r.finish().expect("finish");
        assert_eq!(digest2, Digest::of_bytes(&data));
        assert_eq!(n2, data.len() as u64);
    }
}
