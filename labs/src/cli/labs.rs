//! `capas labs`: every lab with its progress (kept in the store), and what to run next.

use std::io::Write;

use crate::lab::{self, Lang, Progress, Texts};

use super::Context;

/// Options of `capas labs`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Language: es (default, or from LANG) or en.
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

/// Runs `capas labs`.
pub fn run(ctx: &Context, args: Args, out: &mut dyn Write) -> anyhow::Result<i32> {
    let texts = Texts::new(Lang::detect(args.lang));
    let progress = Progress::load(&ctx.store)?;
    writeln!(out, "{}", texts.t("labs-title"))?;
    let mut next = None;
    for l in lab::all() {
        let name = l.name();
        let entry = progress.labs.get(&name).cloned().unwrap_or_default();
        let passed = l
            .exercises
            .iter()
            .filter(|e| entry.passed.contains(&e.number.to_string()))
            .count();
        let done = entry.walked && passed == l.exercises.len();
        let state = if done {
            texts.t("labs-done")
        } else {
            texts.t("labs-pending")
        };
        let title = texts.t(&format!("{name}-title"));
        let title = title.trim_matches(|c| c == '═' || c == ' ');
        writeln!(
            out,
            "  {name}  {state:<10} {passed}/{}  {title}",
            l.exercises.len()
        )?;
        if !done && next.is_none() {
            next = Some(if entry.walked {
                format!("{name} check")
            } else {
                name.clone()
            });
        }
    }
    match next {
        Some(command) => writeln!(
            out,
            "{}",
            texts.t_args("labs-next", &[("command", command)])
        )?,
        None => writeln!(out, "{}", texts.t("labs-all-done"))?,
    }
    Ok(0)
}
