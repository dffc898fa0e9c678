//! Docker's pull and push progress: lines when the output is a file or a pipe, progress bars
//! (indicatif) on a terminal.
//!
//! Docker's non-terminal output leaves out every message that carries a byte counter
//! (`Downloading`, `Extracting`, `Pushing`): only the status changes remain, one line each.
//! On a terminal each layer gets one line that is redrawn in place, with a bar while bytes move.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};

use capas_core::distribution::{Phase, PullError, PushError};
use capas_core::registry::{Credentials, RegistryError};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Where progress goes.
pub enum Progress<'o> {
    /// One line per status change (Docker's non-terminal output).
    Lines {
        /// The command's output.
        out: &'o mut dyn Write,
        /// The first write error, kept to report after the command.
        error: Option<std::io::Error>,
    },
    /// One redrawn line per layer, with bars.
    Bars {
        /// The set of bars.
        multi: MultiProgress,
        /// Bars by layer ID, in the order first seen.
        bars: HashMap<String, ProgressBar>,
        /// The bars are done: lines now go below them.
        trailer: bool,
    },
    /// Nothing (`--quiet`).
    Quiet,
}

impl<'o> Progress<'o> {
    /// Bars when standard output is a terminal, lines otherwise, nothing when `quiet`.
    pub fn new(out: &'o mut dyn Write, quiet: bool) -> Progress<'o> {
        if quiet {
            Progress::Quiet
        } else if std::io::stdout().is_terminal() {
            Progress::Bars {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::stdout()),
                bars: HashMap::new(),
                trailer: false,
            }
        } else {
            Progress::Lines { out, error: None }
        }
    }

    /// Whether progress is drawn as bars (standard output is a terminal).
    pub fn is_terminal(&self) -> bool {
        matches!(self, Progress::Bars { .. })
    }

    /// A line that is not about one layer (a header).
    pub fn line(&mut self, text: &str) {
        match self {
            Progress::Lines { out, error } => {
                if let Err(e) = writeln!(out, "{text}").and_then(|()| out.flush()) {
                    error.get_or_insert(e);
                }
            }
            Progress::Bars {
                multi,
                bars,
                trailer,
            } => {
                if !bars.is_empty() {
                    // the bars stop where they are; what follows goes below them
                    for bar in bars.values() {
                        bar.abandon();
                    }
                    bars.clear();
                    *trailer = true;
                }
                if *trailer {
                    println!("{text}");
                } else {
                    // a header: above the bars to come
                    let _ = multi.println(text);
                }
            }
            Progress::Quiet => {}
        }
    }

    /// Layer `id` is now in state `text`.
    pub fn status(&mut self, id: &str, text: &str) {
        match self {
            Progress::Lines { .. } => self.line(&format!("{id}: {text}")),
            Progress::Bars { multi, bars, .. } => {
                let bar = bars
                    .entry(id.to_string())
                    .or_insert_with(|| new_bar(multi, id));
                bar.set_style(plain_style());
                bar.set_message(text.to_string());
                bar.tick();
            }
            Progress::Quiet => {}
        }
    }

    /// Bytes moved for layer `id` (shown only on a terminal).
    pub fn bytes(&mut self, id: &str, phase: Phase, current: u64, total: u64) {
        if let Progress::Bars { multi, bars, .. } = self {
            let bar = bars
                .entry(id.to_string())
                .or_insert_with(|| new_bar(multi, id));
            if bar.length() != Some(total) || bar.message() != phase.docker_text() {
                bar.set_style(bar_style());
                bar.set_length(total);
                bar.set_message(phase.docker_text());
            }
            bar.set_position(current.min(total));
        }
    }

    /// Stops drawing (bars stay on the screen) and returns the first write error, if any.
    pub fn finish(self) -> std::io::Result<()> {
        match self {
            Progress::Lines { error: Some(e), .. } => Err(e),
            Progress::Bars { bars, .. } => {
                for bar in bars.values() {
                    bar.abandon();
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

fn new_bar(multi: &MultiProgress, id: &str) -> ProgressBar {
    let bar = multi.add(ProgressBar::new(0));
    bar.set_style(plain_style());
    bar.set_prefix(id.to_string());
    bar
}

fn plain_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix}: {msg}").unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// Docker's bar: `Downloading [=====>      ]  1.2MB/3.4MB`.
fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix}: {msg} [{bar:50}] {bytes}/{total_bytes}")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// What `pull --help` and `push --help` say of credentials.
pub const CREDENTIALS_HELP: &str = "A registry that asks for credentials gets \
                                    CAPAS_REGISTRY_USER and CAPAS_REGISTRY_PASSWORD from the \
                                    environment.";

/// Registry credentials from `CAPAS_REGISTRY_USER` and `CAPAS_REGISTRY_PASSWORD` (what
/// `docker login` would have stored), if both are set.
pub fn credentials_from_env() -> Option<Credentials> {
    let username = std::env::var("CAPAS_REGISTRY_USER").ok()?;
    let password = std::env::var("CAPAS_REGISTRY_PASSWORD").ok()?;
    Some(Credentials { username, password })
}

/// Adds what to do to an "unauthorized" error when no credentials were given.
pub fn explain(error: anyhow::Error) -> anyhow::Error {
    let unauthorized = error.chain().any(|c| {
        matches!(
            c.downcast_ref::<PullError>(),
            Some(PullError::Registry(RegistryError::Unauthorized { .. }))
        ) || matches!(
            c.downcast_ref::<PushError>(),
            Some(PushError::Registry(RegistryError::Unauthorized { .. }))
        )
    });
    if unauthorized && credentials_from_env().is_none() {
        anyhow::anyhow!("{error}: set CAPAS_REGISTRY_USER and CAPAS_REGISTRY_PASSWORD to log in")
    } else {
        error
    }
}
