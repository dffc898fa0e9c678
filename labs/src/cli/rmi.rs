//! `capas rmi`: remove images, as `docker rmi` does.
//!
//! A name is only a pointer: `rmi NAME` removes that pointer (`Untagged:`), and deletes the
//! image (`Deleted:`, then each layer no other image or container uses, top first) only when
//! no other name points at it. The rules and texts are Docker's; see
//! [`capas_core::lifecycle::rmi`].

use std::io::Write;

use anyhow::Context as _;
use capas_core::image::ImageError;
use capas_core::lifecycle::{self, LifecycleError, RmiOptions};

use super::Context;

/// Options of `capas rmi`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Force removal of the image (untag every name; delete although a stopped container uses it).
    #[arg(short, long)]
    pub force: bool,
    /// Do not delete untagged parents.
    #[arg(long)]
    pub no_prune: bool,
    /// The images: names, IDs or ID prefixes.
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
}

/// Runs `capas rmi`: each image in turn, as Docker sends one request per image. An error is
/// one `Error: …` line on stderr and the others go on; the exit code is 1 if any failed
/// (with `-f`, an image that does not exist is reported but does not fail, as in Docker).
pub fn run(ctx: &Context, args: Args, out: &mut dyn Write) -> anyhow::Result<i32> {
    let locked = ctx.store.lock().context("locking the store")?;
    let options = RmiOptions {
        force: args.force,
        no_prune: args.no_prune,
    };
    let mut code = 0;
    for name in &args.images {
        match lifecycle::rmi(&locked, name, &options) {
            Ok(report) => {
                for record in &report.records {
                    writeln!(out, "{record}")?;
                }
            }
            Err(e) => {
                out.flush()?;
                eprintln!("Error: {e}");
                let not_found = matches!(e, LifecycleError::Image(ImageError::NotFound { .. }));
                if !(args.force && not_found) {
                    code = 1;
                }
            }
        }
    }
    Ok(code)
}
