//! `capas fsck`: hash every blob again and follow every image to its parts.

use std::io::Write;

use capas_core::fsck;

use super::Context;
use crate::format;

/// Options of `capas fsck`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `capas fsck`: exit 0 when the store is sound, 1 (after listing each problem) when not.
pub fn run(ctx: &Context, _args: Args, out: &mut dyn Write) -> anyhow::Result<i32> {
    let report = fsck::fsck(&ctx.store)?;
    for problem in &report.problems {
        writeln!(out, "{}", problem.message)?;
    }
    let verdict = if report.is_clean() {
        "ok".to_string()
    } else {
        format!("{} problem(s)", report.problems.len())
    };
    writeln!(
        out,
        "checked {} blobs ({}), {} images, {} layers: {verdict}",
        report.blobs,
        format::size4(report.bytes),
        report.images,
        report.layers,
    )?;
    Ok(if report.is_clean() { 0 } else { 1 })
}
