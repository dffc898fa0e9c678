//! A small driver for whole-command benchmarks of the layer module (`benches/compare.sh`):
//!
//! ```text
//! layer_tool create DIR OUT.tar   # deterministic layer tar + diff ID, hashed while written
//! layer_tool unpack IN.tar DIR    # safe unpack + diff ID, hashed while read
//! ```
//!
//! Each prints the diff ID, so a run can be checked against `openssl dgst -sha256`.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::process::ExitCode;

use capas_core::digest::HashingWriter;
use capas_core::layer::{self, TarOptions};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [cmd, dir, out] if cmd == "create" => create(Path::new(dir), Path::new(out)),
        [cmd, tar, dir] if cmd == "unpack" => unpack(Path::new(tar), Path::new(dir)),
        _ => Err("usage: layer_tool create DIR OUT.tar | unpack IN.tar DIR".into()),
    };
    match result {
        Ok(diff_id) => {
            println!("{diff_id}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("layer_tool: {e}");
            ExitCode::FAILURE
        }
    }
}

fn create(dir: &Path, out: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let file = File::create(out)?;
    let mut writer = HashingWriter::new(file);
    layer::write_tar(dir, &TarOptions::reproducible(0), &mut writer)?;
    let (digest, _, _) = writer.finish()?;
    Ok(digest.to_string())
}

fn unpack(tar: &Path, dir: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let input = BufReader::with_capacity(1 << 20, File::open(tar)?);
    let (diff_id, _) = layer::unpack(input, dir)?;
    Ok(diff_id.to_string())
}
