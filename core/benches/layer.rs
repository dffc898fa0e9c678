//! Benchmarks of the `layer` module: writing a layer tar while computing its diff ID, and
//! unpacking one.
//!
//! The data lives on tmpfs (`/dev/shm` when writable), as PERFORMANCE.md asks: the machine's
//! ext4 swings too much between runs to compare anything. Compare the figures with GNU tar on
//! the same trees (`tar -cf - DIR | tee F | openssl dgst -sha256`, `tar -xf F`): the whole-command
//! comparison is the lead's script, these are the library-level numbers.
//!
//! Run: `cargo bench -p capas-core --bench layer` (about a minute).

use std::fs;
use std::hint::black_box;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use capas_core::digest::HashingWriter;
use capas_core::layer::{self, TarOptions};
use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

/// Where the benchmark's files go: tmpfs if there is one we may write to.
fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    tempfile::Builder::new()
        .prefix("capas-bench-")
        .tempdir_in(shm)
        .or_else(|_| tempfile::tempdir())
        .expect("a temporary directory")
}

/// xorshift64*: "random-ish" bytes that neither compress nor repeat, without a dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// Three files of 64 MiB each. Returns their total size.
fn large_files(root: &Path) -> u64 {
    let mut noise = Noise(0x5eed);
    let mut chunk = vec![0u8; 1 << 20];
    for i in 0..3 {
        let mut f = fs::File::create(root.join(format!("blob{i}.bin"))).expect("create");
        for _ in 0..64 {
            noise.fill(&mut chunk);
            f.write_all(&chunk).expect("write");
        }
    }
    (3 * 64) << 20
}

/// 5,000 files of 1–8 KiB in 50 × 10 nested directories. Returns their total size.
fn small_files(root: &Path) -> u64 {
    let mut noise = Noise(0xca9a5);
    let mut data = vec![0u8; 8192];
    let mut total = 0;
    for d in 0..50 {
        for s in 0..10 {
            let dir: PathBuf = root.join(format!("d{d:02}")).join(format!("s{s}"));
            fs::create_dir_all(&dir).expect("mkdir");
            for f in 0..10 {
                let len = 1024 + (noise.next() % 7169) as usize;
                noise.fill(&mut data[..len]);
                fs::write(dir.join(format!("f{f}.dat")), &data[..len]).expect("write");
                total += len as u64;
            }
        }
    }
    total
}

fn write_with_diff_id(dir: &Path, opts: &TarOptions) -> u64 {
    let mut out = HashingWriter::new(io::sink());
    let stats = layer::write_tar(dir, opts, &mut out).expect("write_tar");
    let (digest, _, written) = out.finish().expect("hash");
    black_box(digest);
    assert_eq!(written, stats.tar_bytes);
    written
}

fn benches(c: &mut Criterion) {
    let data = scratch();
    let large = data.path().join("large");
    let small = data.path().join("small");
    fs::create_dir(&large).expect("mkdir");
    fs::create_dir(&small).expect("mkdir");
    large_files(&large);
    small_files(&small);
    let opts = TarOptions::reproducible(1_700_000_000);

    let mut group = c.benchmark_group("write_tar+diff_id");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for (name, dir) in [("3x64MiB", &large), ("5000 small files", &small)] {
        let tar_len = write_with_diff_id(dir, &opts);
        group.throughput(Throughput::Bytes(tar_len));
        group.bench_function(name, |b| b.iter(|| write_with_diff_id(dir, &opts)));
    }
    group.finish();

    let mut tar = Vec::new();
    layer::write_tar(&small, &opts, &mut tar).expect("write_tar");
    let mut group = c.benchmark_group("unpack");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Bytes(tar.len() as u64));
    group.bench_function("5000 small files", |b| {
        b.iter_batched(
            scratch,
            |dest| {
                let unpacked = layer::unpack(&tar[..], &dest.path().join("layer")).expect("unpack");
                black_box(unpacked);
                dest // removed after the timing
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(layer_benches, benches);
criterion_main!(layer_benches);
