//! The host's static busybox (Debian's `busybox-static`): one file that is a whole userland,
//! so an image made of it alone runs in Docker. The comparisons with Docker build their
//! runnable base images from it.

use std::fs::File;
use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};

use crate::layer::{LayerError, TarBuilder};

/// The busybox binary of Debian's `busybox-static`, if it is installed and static.
pub fn find_static() -> Option<PathBuf> {
    ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| head(p).is_some_and(|elf| is_static_elf(&elf)))
}

/// The first 64 KiB of a file: an ELF file's headers and program headers are there.
fn head(path: &Path) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)
        .ok()?
        .take(64 * 1024)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(bytes)
}

/// Adds `bin/`, `bin/busybox` (streamed from `busybox`) and one symlink `bin/<applet>` →
/// `busybox` per applet to a layer being built: the runnable part of a busybox image.
pub fn add_to_layer<W: Write>(
    layer: &mut TarBuilder<W>,
    busybox: &Path,
    applets: &[&str],
    mtime: u64,
) -> Result<(), LayerError> {
    let io = |source| LayerError::ReadTree {
        path: busybox.to_path_buf(),
        source,
    };
    layer.dir("bin", 0o755, mtime)?;
    let len = std::fs::metadata(busybox).map_err(io)?.len();
    layer.file(
        "bin/busybox",
        0o755,
        mtime,
        len,
        File::open(busybox).map_err(io)?,
    )?;
    for applet in applets {
        layer.symlink(&format!("bin/{applet}"), "busybox", mtime)?;
    }
    Ok(())
}

/// Whether `elf` is an ELF64 little-endian file without a `PT_INTERP` program header: it
/// needs no dynamic loader, so it runs in an image that holds nothing else.
pub fn is_static_elf(elf: &[u8]) -> bool {
    let u16_at = |o: usize| {
        elf.get(o..o + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let u64_at = |o: usize| {
        elf.get(o..o + 8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
            .and_then(|v| usize::try_from(v).ok())
    };
    if !elf.starts_with(b"\x7fELF\x02\x01") {
        return false;
    }
    let (Some(phoff), Some(size), Some(count)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38)) else {
        return false;
    };
    (0..count).all(|i| {
        let at = phoff + i * size;
        elf.get(at..at + 4).is_some_and(|t| t != [3, 0, 0, 0])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_elf_is_not_static() {
        assert!(!is_static_elf(b"#!/bin/sh\n"));
        assert!(!is_static_elf(b"\x7fELF\x02\x01"));
    }

    #[test]
    fn a_dynamic_binary_is_not_static() {
        // The test binary itself is dynamically linked (it has PT_INTERP).
        let me = std::fs::read(std::env::current_exe().expect("exe")).expect("read");
        assert!(!is_static_elf(&me));
    }
}
