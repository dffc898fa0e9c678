//! `slides`: the decks' tool. Run through cargo from the workspace:
//!
//! ```text
//! cargo run -p capas-slides -- check           play every deck, show where it differs (exit 1)
//! cargo run -p capas-slides -- update          write what capas prints now into the decks
//! cargo run -p capas-slides -- html [--out D]  each deck as one HTML file (default target/slides)
//! ```
//!
//! `check` and `update` first build the `capas` binary they run (as `cargo test` would), so
//! the outputs are those of the sources as they are.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};

use capas_slides::{decks, html, orphan_pictures, play_all, session};

/// The course's slide decks: every command shown is run, every picture drawn from the store.
#[derive(Debug, Parser)]
#[command(name = "slides", version, about, max_term_width = 100)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Play the decks on fresh stores and show every difference with what capas prints now.
    Check {
        /// Only these decks (default: every deck).
        decks: Vec<PathBuf>,
    },
    /// Write what capas prints now into the decks, and redraw their pictures.
    Update {
        /// Only these decks (default: every deck).
        decks: Vec<PathBuf>,
    },
    /// Write each deck as one self-contained HTML file.
    Html {
        /// Where (default: target/slides, or $CARGO_TARGET_DIR/slides).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Only these decks (default: every deck).
        decks: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// A path as the messages show it: from the workspace's root.
fn shown(path: &std::path::Path) -> String {
    let root = capas_slides::workspace_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn chosen(given: Vec<PathBuf>) -> anyhow::Result<Vec<PathBuf>> {
    if given.is_empty() { decks() } else { Ok(given) }
}

/// Builds the `capas` binary the decks run, when run through cargo (`CARGO` is set), with the
/// profile `cargo test` uses, so that both share what they compile.
fn build_capas() -> anyhow::Result<()> {
    let Some(cargo) = std::env::var_os("CARGO") else {
        return Ok(());
    };
    let status = std::process::Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--profile",
            "test",
            "-p",
            "capas-labs",
            "--bin",
            "capas",
        ])
        .current_dir(capas_slides::workspace_root())
        .status()
        .context("building capas")?;
    if !status.success() {
        bail!("building capas failed");
    }
    Ok(())
}

fn run(args: Args) -> anyhow::Result<u8> {
    match args.command {
        Command::Check { decks } => {
            // Pictures no deck shows can only be told when every deck is played.
            let all = decks.is_empty();
            let decks = chosen(decks)?;
            build_capas()?;
            let capas = session::capas_binary()?;
            let results = play_all(&decks, &capas);
            let mut played = Vec::new();
            let mut failed = 0;
            for result in results {
                let p = result?;
                for d in p.differences() {
                    println!("{d}");
                    failed += 1;
                }
                played.push(p);
            }
            if all {
                let refs: Vec<_> = played.iter().collect();
                for orphan in orphan_pictures(&refs)? {
                    println!("{}: no deck shows this picture", shown(&orphan));
                    failed += 1;
                }
            }
            println!("{} decks checked, {failed} differences", played.len());
            Ok(u8::from(failed > 0))
        }
        Command::Update { decks } => {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                bail!("CI is set: the decks are checked in CI, never regenerated");
            }
            let all = decks.is_empty();
            let decks = chosen(decks)?;
            build_capas()?;
            let capas = session::capas_binary()?;
            let mut played = Vec::new();
            for result in play_all(&decks, &capas) {
                let p = result?;
                for written in p.write()? {
                    println!("wrote {written}");
                }
                played.push(p);
            }
            if all {
                let refs: Vec<_> = played.iter().collect();
                for orphan in orphan_pictures(&refs)? {
                    std::fs::remove_file(&orphan)?;
                    println!("removed {} (no deck shows it)", shown(&orphan));
                }
            }
            println!("{} decks up to date", played.len());
            Ok(0)
        }
        Command::Html { out, decks } => {
            let decks = chosen(decks)?;
            let out = match out {
                Some(out) => out,
                None => std::env::var_os("CARGO_TARGET_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| capas_slides::workspace_root().join("target"))
                    .join("slides"),
            };
            for page in html::export(&decks, &out)? {
                println!("{}", page.display());
            }
            Ok(0)
        }
    }
}
