//! Whole-operation benchmarks of containers and the union view (PERFORMANCE.md), run by
//! `benches/containers.sh`:
//!
//! * `copy-up DIR`: a container writes one byte to a 1 GiB file of its image (the whole file
//!   is copied up first) against `std::fs::copy` and GNU `cp` of the same file;
//! * `union DIR LAYERS FILES`: the union view of LAYERS layer directories (FILES files each,
//!   half of them shadowing the layer below) walked whole, against walking every layer
//!   directory separately and against walking a kernel overlay mount of the same layers
//!   (root only); then 100 000 lookups through the union against as many `lstat`s on the
//!   overlay mount.
//!
//! Each measurement is the median of five runs, printed with its ratio.

use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use capas_core::container::Container;
use capas_core::image::{self, Image};
use capas_core::layer::TarBuilder;
use capas_core::reference::Reference;
use capas_core::shell::Fs;
use capas_core::store::Store;
use capas_core::union::UnionView;

const RUNS: usize = 5;
const GIB: u64 = 1 << 30;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["copy-up", dir] => copy_up(Path::new(dir)),
        ["union", dir, layers, files] => union(Path::new(dir), layers.parse()?, files.parse()?),
        _ => {
            eprintln!("usage: cow_bench copy-up DIR | cow_bench union DIR LAYERS FILES");
            std::process::exit(2);
        }
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn time(
    mut f: impl FnMut() -> Result<(), Box<dyn std::error::Error>>,
) -> Result<Duration, Box<dyn std::error::Error>> {
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        f()?;
        times.push(start.elapsed());
    }
    Ok(median(times))
}

fn report(what: &str, t: Duration, base: Duration) {
    println!(
        "{what:<58} {:>9.1} ms   {:>5.2}x",
        t.as_secs_f64() * 1e3,
        t.as_secs_f64() / base.as_secs_f64()
    );
}

/// A reader of `len` pseudo-random bytes (xorshift), so nothing compresses or dedups.
struct Noise {
    left: u64,
    state: u64,
}

impl io::Read for Noise {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.left as usize) & !7;
        let n = if n == 0 {
            buf.len().min(self.left as usize)
        } else {
            n
        };
        for chunk in buf[..n].chunks_mut(8) {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            let bytes = self.state.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn copy_up(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let store = Store::open(dir.join("store"))?;
    let tar_path = dir.join("big.tar");
    {
        let mut b = TarBuilder::new(io::BufWriter::new(File::create(&tar_path)?));
        b.dir("data", 0o755, 1_700_000_000)?;
        b.file(
            "data/big.bin",
            0o644,
            1_700_000_000,
            GIB,
            Noise {
                left: GIB,
                state: 0x9e37_79b9_7f4a_7c15,
            },
        )?;
        b.finish()?.0.flush()?;
    }
    let locked = store.lock()?;
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["sh"]},
        "history": [{"created_by": "1 GiB"}],
    });
    let record = image::commit_layers(
        &locked,
        [File::open(&tar_path)?],
        config,
        &[Reference::parse_tagged("bench/big:1")?],
    )?;
    fs::remove_file(&tar_path)?;
    let img = Image::load(&store, &record)?;
    let top = img.top_chain().ok_or("no layer")?;
    let source = store.layer_diff_dir(top).join("data/big.bin");

    println!("copy-up of a 1 GiB file ({}):", dir.display());
    let copy_dest = dir.join("copy.bin");
    let std_copy = time(|| {
        fs::copy(&source, &copy_dest)?;
        fs::remove_file(&copy_dest)?;
        Ok(())
    })?;
    let gnu_cp = time(|| {
        let ok = Command::new("cp")
            .arg(&source)
            .arg(&copy_dest)
            .status()?
            .success();
        fs::remove_file(&copy_dest)?;
        if ok { Ok(()) } else { Err("cp failed".into()) }
    })?;
    let mut n = 0;
    let capas = time(|| {
        n += 1;
        let mut c = Container::create(&locked, &img, Some(&format!("bench{n}")), &[], 0)?;
        c.write("/data/big.bin", b"x", true)?;
        capas_core::container::remove(&locked, c.id())?;
        Ok(())
    })?;
    report("std::fs::copy (copy_file_range)", std_copy, std_copy);
    report("GNU cp", gnu_cp, std_copy);
    report(
        "capas: create + copy-up on first write + rm",
        capas,
        std_copy,
    );
    Ok(())
}

/// Makes `layers` layer directories of `files` files each (in 10 subdirectories); every
/// layer shadows half of the names of the one below.
fn make_layers(dir: &Path, layers: usize, files: usize) -> io::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for l in 0..layers {
        let root = dir.join(format!("l{l:02}"));
        for f in 0..files {
            let sub = root.join(format!("d{}", f % 10));
            fs::create_dir_all(&sub)?;
            // Even files are shared names (shadowed above), odd ones are the layer's own.
            let name = if f.is_multiple_of(2) {
                format!("shared{f}")
            } else {
                format!("own{l}-{f}")
            };
            fs::write(sub.join(name), [l as u8; 16])?;
        }
        dirs.push(root);
    }
    Ok(dirs)
}

fn walk_dirs(dirs: &[PathBuf]) -> usize {
    let mut n = 0;
    for d in dirs {
        for e in walkdir::WalkDir::new(d).into_iter().flatten() {
            if e.metadata().is_ok() {
                n += 1;
            }
        }
    }
    n
}

fn union(dir: &Path, layers: usize, files: usize) -> Result<(), Box<dyn std::error::Error>> {
    let dirs = make_layers(dir, layers, files)?;
    let view = UnionView::new(dirs.clone()).frozen();
    let mut entries = 0;
    view.walk(&mut |_, _| entries += 1)?;
    println!(
        "union of {layers} layers x {files} files ({entries} visible entries, {}):",
        dir.display()
    );
    let separately = time(|| {
        walk_dirs(&dirs);
        Ok(())
    })?;
    let capas_walk = time(|| {
        let mut n = 0;
        view.walk(&mut |_, _| n += 1)?;
        Ok(())
    })?;

    // The kernel's overlay of the same layers (lowerdir lists the top first).
    let merged = dir.join("merged");
    fs::create_dir_all(&merged)?;
    let lower: Vec<String> = dirs.iter().rev().map(|d| d.display().to_string()).collect();
    let mounted = Command::new("mount")
        .args(["-t", "overlay", "overlay", "-o"])
        .arg(format!("lowerdir={}", lower.join(":")))
        .arg(&merged)
        .status()
        .is_ok_and(|s| s.success());
    let overlay_walk = if mounted {
        Some(time(|| {
            walk_dirs(std::slice::from_ref(&merged));
            Ok(())
        })?)
    } else {
        None
    };

    // 100k lookups of existing paths, spread over every layer.
    let paths: Vec<String> = (0..100_000)
        .map(|i| {
            let l = (i * 7) % layers;
            let f = (i * 13) % files;
            let name = if f.is_multiple_of(2) {
                format!("shared{f}")
            } else {
                format!("own{l}-{f}")
            };
            format!("/d{}/{name}", f % 10)
        })
        .collect();
    let capas_lookups = time(|| {
        for p in &paths {
            if view.lookup(p).is_none() {
                return Err(format!("{p} not found").into());
            }
        }
        Ok(())
    })?;
    let overlay_lookups = if mounted {
        Some(time(|| {
            for p in &paths {
                fs::symlink_metadata(merged.join(&p[1..]))?;
            }
            Ok(())
        })?)
    } else {
        None
    };
    if mounted {
        let _ = Command::new("umount").arg(&merged).status();
    }

    report(
        "walk every layer directory separately (lstat each)",
        separately,
        separately,
    );
    report("capas union view walk", capas_walk, separately);
    match overlay_walk {
        Some(t) => report("kernel overlay mount walk", t, separately),
        None => println!("kernel overlay mount walk: not measured (mount needs root)"),
    }
    match overlay_lookups {
        Some(t) => {
            report("kernel overlay: 100k lstat", t, t);
            report("capas: 100k lookups through the union", capas_lookups, t);
        }
        None => report(
            "capas: 100k lookups through the union",
            capas_lookups,
            capas_lookups,
        ),
    }
    Ok(())
}
