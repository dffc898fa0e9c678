//! `capas build`: from a recipe (a Dockerfile) to an image, one layer per file-system step.
//!
//! The progress is printed as `docker build --progress=plain` prints it (BuildKit), on
//! stderr: one numbered block per step, `CACHED` when the step's layer comes from the build
//! cache, the step's output prefixed with its number, then `exporting to image`. With `-q`
//! only the image ID is printed, on stdout.
//!
//! Durations: BuildKit prints how long each step took (`DONE 0.3s`, output lines prefixed by
//! the seconds since the step started). capas measures them with the machine's monotonic clock,
//! except when `CAPAS_NOW` pins the clock: then every duration is `0.0s`, so that the same build
//! prints the same text (lab transcripts and snapshot tests rely on it).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, bail};
use capas_core::build::{self, BuildOptions, Progress};
use capas_core::reference::Reference;

use super::Context;
use crate::clock::{self, Clock};

/// Options of `capas build`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Name and optionally a tag in the 'name:tag' format (may be repeated).
    #[arg(short, long = "tag", value_name = "NAME")]
    pub tags: Vec<String>,
    /// Name of the Dockerfile (default: 'PATH/Dockerfile').
    #[arg(short, long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Set build-time variables (`KEY=VALUE`, or `KEY` to take it from the environment).
    #[arg(long = "build-arg", value_name = "KEY=VALUE")]
    pub build_args: Vec<String>,
    /// Set the target build stage to build.
    #[arg(long)]
    pub target: Option<String>,
    /// Set metadata for an image (`KEY=VALUE`).
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Do not use cache when building the image.
    #[arg(long)]
    pub no_cache: bool,
    /// Suppress the build output and print image ID on success.
    #[arg(short, long)]
    pub quiet: bool,
    /// The build context: the directory whose files COPY and ADD can see.
    pub context: PathBuf,
}

/// Runs `capas build`.
pub fn run(ctx: &Context, args: Args, out: &mut dyn Write) -> anyhow::Result<i32> {
    let tags = args
        .tags
        .iter()
        .map(|t| {
            Reference::parse_tagged(t)
                .with_context(|| format!("invalid argument {t:?} for \"-t, --tag\" flag"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let dockerfile_path = args
        .file
        .clone()
        .unwrap_or_else(|| args.context.join("Dockerfile"));
    let dockerfile = std::fs::read_to_string(&dockerfile_path).with_context(|| {
        format!(
            "failed to read dockerfile: open {}: no such file or directory",
            dockerfile_path.display()
        )
    })?;
    let dockerfile_name = dockerfile_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Dockerfile".into());
    let mut build_args = BTreeMap::new();
    for a in &args.build_args {
        match a.split_once('=') {
            Some((k, v)) => {
                build_args.insert(k.to_string(), v.to_string());
            }
            None => {
                if let Ok(v) = std::env::var(a) {
                    build_args.insert(a.clone(), v);
                }
            }
        }
    }
    let mut labels = BTreeMap::new();
    for l in &args.labels {
        let (k, v) = l.split_once('=').unwrap_or((l.as_str(), ""));
        if k.is_empty() {
            bail!("invalid label {l:?}: the key is empty");
        }
        labels.insert(k.to_string(), v.to_string());
    }
    let source_date_epoch = match std::env::var(clock::SOURCE_DATE_EPOCH) {
        Ok(v) if !v.is_empty() => Some(clock::creation_time(&ctx.clock)?),
        _ => None,
    };
    let opts = BuildOptions {
        dockerfile,
        dockerfile_name,
        context: args.context.clone(),
        build_args,
        target: args.target.clone(),
        labels,
        no_cache: args.no_cache,
        tags: tags.clone(),
        now: ctx.clock.now(),
        source_date_epoch,
    };

    let locked = ctx.store.lock().context("locking the store")?;
    let stderr = io::stderr();
    let mut err = stderr.lock();
    let mut printer = Printer::new(ctx.clock, args.quiet);
    let result = build::build(&locked, &opts, &mut |p| printer.event(&p, &mut err));
    let built = match result {
        Ok(built) => built,
        Err(e) => {
            // BuildKit marks the step that failed before the error itself is reported.
            if let Some(v) = printer.open {
                let _ = writeln!(err, "#{v} ERROR: {e}");
            }
            return Err(e.into());
        }
    };
    if args.quiet {
        writeln!(out, "{}", built.record.id)?;
        return Ok(0);
    }
    // The export step's details, then its end.
    let v = printer.export_vertex;
    writeln!(err, "#{v} writing image {} done", built.record.id)?;
    for t in &tags {
        writeln!(err, "#{v} naming to {} done", t.full())?;
    }
    writeln!(err, "#{v} DONE {}", printer.elapsed(v))?;
    Ok(0)
}

/// Prints progress events as BuildKit's plain progress.
struct Printer {
    clock: Clock,
    quiet: bool,
    started: BTreeMap<usize, Instant>,
    export_vertex: usize,
    /// The step started last and not ended yet.
    open: Option<usize>,
}

impl Printer {
    fn new(clock: Clock, quiet: bool) -> Printer {
        Printer {
            clock,
            quiet,
            started: BTreeMap::new(),
            export_vertex: 0,
            open: None,
        }
    }

    fn seconds(&self, vertex: usize) -> f64 {
        match self.clock {
            Clock::Fixed(_) => 0.0,
            Clock::System => self
                .started
                .get(&vertex)
                .map(|t| t.elapsed().as_secs_f64())
                .unwrap_or(0.0),
        }
    }

    fn elapsed(&self, vertex: usize) -> String {
        format!("{:.1}s", self.seconds(vertex))
    }

    fn event(&mut self, p: &Progress, err: &mut dyn Write) {
        match p {
            Progress::Start { vertex, .. } => self.open = Some(*vertex),
            Progress::Cached { .. } | Progress::Done { .. } => self.open = None,
            Progress::Log { .. } => {}
        }
        if self.quiet {
            return;
        }
        // Progress is best effort: a closed stderr must not fail the build.
        let _ = match p {
            Progress::Start { vertex, name } => {
                self.started.insert(*vertex, Instant::now());
                if name == "exporting to image" {
                    self.export_vertex = *vertex;
                }
                writeln!(err, "#{vertex} {name}")
            }
            Progress::Log { vertex, line } => {
                writeln!(err, "#{vertex} {:.3} {line}", self.seconds(*vertex))
            }
            Progress::Cached { vertex } => writeln!(err, "#{vertex} CACHED\n"),
            Progress::Done { vertex } if *vertex == self.export_vertex => Ok(()),
            Progress::Done { vertex } => {
                writeln!(err, "#{vertex} DONE {}\n", self.elapsed(*vertex))
            }
        };
    }
}
