//! The labs: one per course section (`lab01` … ), each a walk through its section on a real
//! store, then exercises the student does with `capas`, checked from the store's real state.
//!
//! A lab is data plus checks: its steps (narration keys and `capas` command lines) and its
//! exercises (text, graded hints and a solution in the translation files, and a check
//! function). The checks are a library: the checker grades a class with them.
//!
//! ```text
//! lab01                 the walk-through (Enter between steps on a terminal)
//! lab01 check           verify the exercises; progress is kept in the store
//! lab01 hint [N]        the next hint for exercise N (default: the first one not passed)
//! lab01 solution N      an answer, once the exercise has been attempted
//! lab01 reset           remove what the exercises made, and the lab's progress
//! ```

pub mod checks;
pub mod i18n;
mod lab01;
mod lab02;
mod lab03;
mod lab04;
mod lab05;
mod lab06;
mod lab07;
mod lab08;
mod lab09;
mod progress;
mod student;

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use capas_core::store::Store;
use clap::{Parser, Subcommand};

pub use i18n::{Lang, Texts};
pub use progress::Progress;
pub use student::Student;

use crate::cli;

/// One step of a walk-through.
pub enum Step {
    /// A paragraph of narration (a message ID).
    Say(&'static str),
    /// A `capas` command line, shown as `$ capas …` and run for real, its output shown.
    Run(&'static [&'static str]),
    /// Removes a container of an earlier reading, if there is one, without a word (so that
    /// the walk-through can be read again).
    Forget(&'static str),
    /// A fact measured on the store the walk-through uses (sizes, times), as a sentence.
    Fact(fn(&std::path::Path, &Texts) -> anyhow::Result<String>),
    /// A pause: Enter on a terminal.
    Pause,
}

impl Exercise {
    /// Exercise `number`, with `hints` graded hints and its check.
    pub fn new(
        number: u8,
        hints: u8,
        check: fn(&Store, &Student) -> anyhow::Result<Outcome>,
    ) -> Exercise {
        Exercise {
            number,
            hints,
            check,
        }
    }
}

/// The result of checking one exercise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done.
    Passed,
    /// Not yet: a message ID and its arguments, saying what is wrong and where to look.
    Failed(&'static str, Vec<(&'static str, String)>),
}

/// One exercise: its number and its check.
pub struct Exercise {
    /// 1, 2, …
    pub number: u8,
    /// How many graded hints it has (`labNN-exN-hint1` …).
    pub hints: u8,
    /// Looks at the store and says whether the exercise is done.
    pub check: fn(&Store, &Student) -> anyhow::Result<Outcome>,
}

/// A lab.
pub struct Lab {
    /// 1 … 9.
    pub number: u8,
    /// The walk-through runs in a fresh store of its own (`labs/labNN-demo` inside the
    /// student's), to show what happens on a first download.
    pub fresh_store: bool,
    /// The walk-through.
    pub steps: fn(&Student) -> Vec<Step>,
    /// The exercises.
    pub exercises: Vec<Exercise>,
    /// The containers and tags its exercises make for this student (removed by `reset`).
    pub made: fn(&Student) -> (Vec<String>, Vec<String>),
}

impl Lab {
    /// `lab01`.
    pub fn name(&self) -> String {
        format!("lab{:02}", self.number)
    }
}

/// Every lab written so far, in the course's order.
pub fn all() -> Vec<Lab> {
    vec![
        lab01::lab(),
        lab02::lab(),
        lab03::lab(),
        lab04::lab(),
        lab05::lab(),
        lab06::lab(),
        lab07::lab(),
        lab08::lab(),
        lab09::lab(),
    ]
}

/// One lab by number.
pub fn by_number(n: u8) -> Option<Lab> {
    all().into_iter().find(|l| l.number == n)
}

/// Checks every exercise of a lab against a store: what the checker grades with.
pub fn check(lab: &Lab, store: &Store, student: &Student) -> anyhow::Result<Vec<(u8, Outcome)>> {
    lab.exercises
        .iter()
        .map(|e| Ok((e.number, (e.check)(store, student)?)))
        .collect()
}

/// The command line of a lab binary.
#[derive(Debug, Parser)]
#[command(version, max_term_width = 100)]
pub struct Args {
    /// Language: es (default, or from LANG) or en.
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Lang>,
    /// Your student ID: your exercises get names and contents of your own.
    #[arg(long, global = true, default_value = "")]
    pub student: String,
    /// Go straight through, without waiting for Enter.
    #[arg(long, global = true)]
    pub no_pause: bool,
    /// The store (default: $CAPAS_HOME, else ~/.local/share/capas).
    #[arg(long, global = true, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// What to do (default: the walk-through).
    #[command(subcommand)]
    pub action: Option<Action>,
}

/// What a lab binary does besides the walk-through.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// Check your exercises.
    Check,
    /// A hint for exercise N (the next one each time).
    Hint {
        /// The exercise (default: the first one not passed).
        n: Option<u8>,
    },
    /// The answer to exercise N, once you have tried it.
    Solution {
        /// The exercise.
        n: u8,
    },
    /// Remove what the exercises made, and this lab's progress.
    Reset,
}

/// The `main` of `labNN`: parses its arguments, runs, prints errors as one line.
pub fn main(number: u8) -> std::process::ExitCode {
    let args = Args::parse_from(
        std::iter::once(format!("lab{number:02}")).chain(std::env::args().skip(1)),
    );
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let result = run(number, args, &mut out);
    let _ = out.flush();
    match result {
        Ok(code) => std::process::ExitCode::from(code),
        // A closed pipe (`lab01 check | head -3`) is not an error worth a message.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<io::Error>()
                    .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            }) =>
        {
            std::process::ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("Error: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}

/// Runs a lab with parsed arguments. Returns the exit code (1 when a check fails).
pub fn run(number: u8, args: Args, out: &mut dyn Write) -> anyhow::Result<u8> {
    let lab = by_number(number).with_context(|| format!("no lab {number}"))?;
    let texts = Texts::new(Lang::detect(args.lang));
    let root = match args.store.clone() {
        Some(dir) => dir,
        None => Store::default_root()
            .context("no store directory: set CAPAS_HOME or HOME, or pass --store DIR")?,
    };
    let store =
        Store::open(&root).with_context(|| format!("opening store at {}", root.display()))?;
    let student = Student::new(&args.student);
    let mut progress = Progress::load(&store)?;
    let name = lab.name();
    match args.action {
        None => {
            let pause = !args.no_pause && io::stdin().is_terminal() && io::stdout().is_terminal();
            let walk_root = if lab.fresh_store {
                let demo = store.layout().labs().join(format!("{name}-demo"));
                if demo.exists() {
                    std::fs::remove_dir_all(&demo)
                        .with_context(|| format!("removing {}", demo.display()))?;
                }
                demo
            } else {
                root.clone()
            };
            walk(&lab, &texts, &walk_root, &student, pause, out)?;
            progress.lab(&name).walked = true;
            progress.save(&store)?;
            Ok(0)
        }
        Some(Action::Check) => {
            let results = check(&lab, &store, &student)?;
            let mut all_passed = true;
            writeln!(
                out,
                "{}",
                texts.t_args("check-title", &[("lab", name.clone())])
            )?;
            // A check is an attempt at the exercises the student has reached: the first, and
            // each one whose predecessor passes.
            let mut reached = true;
            for (n, outcome) in &results {
                let entry = progress.lab(&name);
                if reached {
                    *entry.attempts.entry(n.to_string()).or_default() += 1;
                }
                reached = *outcome == Outcome::Passed;
                match outcome {
                    Outcome::Passed => {
                        entry.passed.insert(n.to_string());
                        writeln!(
                            out,
                            "  ✔ {}",
                            texts.t_args("check-passed", &[("n", n.to_string())])
                        )?;
                    }
                    Outcome::Failed(id, fargs) => {
                        all_passed = false;
                        let mut args: Vec<(&str, String)> = fargs.clone();
                        args.extend(student.args());
                        writeln!(
                            out,
                            "  ✘ {}\n    {}",
                            texts.t_args("check-failed", &[("n", n.to_string())]),
                            texts.t_args(id, &args)
                        )?;
                    }
                }
            }
            progress.save(&store)?;
            if all_passed {
                writeln!(
                    out,
                    "{}",
                    texts.t_args("check-all-passed", &[("lab", name)])
                )?;
                Ok(0)
            } else {
                writeln!(out, "{}", texts.t_args("check-hint", &[("lab", name)]))?;
                Ok(1)
            }
        }
        Some(Action::Hint { n }) => {
            let entry = progress.lab(&name).clone();
            let n = match n {
                Some(n) => n,
                None => lab
                    .exercises
                    .iter()
                    .map(|e| e.number)
                    .find(|n| !entry.passed.contains(&n.to_string()))
                    .unwrap_or(1),
            };
            let exercise = lab
                .exercises
                .iter()
                .find(|e| e.number == n)
                .with_context(|| texts.t_args("no-such-exercise", &[("n", n.to_string())]))?;
            let given = progress.lab(&name).hints.entry(n.to_string()).or_default();
            let level = (*given + 1).min(exercise.hints);
            *given = level;
            let id = format!("{name}-ex{n}-hint{level}");
            writeln!(
                out,
                "{} ({level}/{})\n{}",
                texts.t_args("hint-title", &[("n", n.to_string())]),
                exercise.hints,
                texts.t_args(&id, &student.args())
            )?;
            progress.save(&store)?;
            Ok(0)
        }
        Some(Action::Solution { n }) => {
            if !lab.exercises.iter().any(|e| e.number == n) {
                anyhow::bail!(texts.t_args("no-such-exercise", &[("n", n.to_string())]));
            }
            let attempts = progress
                .lab(&name)
                .attempts
                .get(&n.to_string())
                .copied()
                .unwrap_or(0);
            if attempts == 0 {
                writeln!(
                    out,
                    "{}",
                    texts.t_args("solution-locked", &[("lab", name), ("n", n.to_string())])
                )?;
                return Ok(1);
            }
            let id = format!("{name}-ex{n}-solution");
            writeln!(out, "{}", texts.t_args(&id, &student.args()))?;
            Ok(0)
        }
        Some(Action::Reset) => {
            let (containers, tags) = (lab.made)(&student);
            reset(&store, &containers, &tags)?;
            progress.labs.remove(&name);
            progress.save(&store)?;
            writeln!(out, "{}", texts.t_args("reset-done", &[("lab", name)]))?;
            Ok(0)
        }
    }
}

/// Removes a lab's containers and untags its images (they become dangling: `capas image
/// prune` takes them).
fn reset(store: &Store, containers: &[String], tags: &[String]) -> anyhow::Result<()> {
    let locked = store.lock()?;
    for name in containers {
        if capas_core::container::Container::open(&locked, name).is_ok() {
            capas_core::container::remove(&locked, name)?;
        }
    }
    let mut index = locked.index()?;
    let mut changed = false;
    for tag in tags {
        let reference = capas_core::reference::Reference::parse_tagged(tag)?;
        for record in index.images.values_mut() {
            changed |= record.references.remove(&reference);
        }
    }
    if changed {
        locked.write_index(&index)?;
    }
    Ok(())
}

/// The walk-through: narration, commands and their real output.
fn walk(
    lab: &Lab,
    texts: &Texts,
    root: &std::path::Path,
    student: &Student,
    pause: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let name = lab.name();
    writeln!(out, "{}\n", texts.t(&format!("{name}-title")))?;
    for step in (lab.steps)(student) {
        match step {
            Step::Say(id) => writeln!(out, "{}\n", texts.t_args(id, &student.args()))?,
            Step::Run(argv) => {
                writeln!(out, "$ capas {}", shown(argv))?;
                let mut full = vec!["capas".to_string(), "--store".into()];
                full.push(root.display().to_string());
                full.extend(argv.iter().map(|a| a.to_string()));
                let parsed = cli::Cli::try_parse_from(&full)?;
                let mut buf = Vec::new();
                if let Err(e) = cli::run(parsed, &mut buf) {
                    writeln!(out, "Error: {e:#}")?;
                }
                out.write_all(&buf)?;
                writeln!(out)?;
            }
            Step::Forget(name) => {
                let store = Store::open(root)?;
                let locked = store.lock()?;
                if capas_core::container::Container::open(&locked, name).is_ok() {
                    capas_core::container::remove(&locked, name)?;
                }
            }
            Step::Fact(measure) => writeln!(out, "{}\n", measure(root, texts)?)?,
            Step::Pause => {
                if pause {
                    write!(out, "{}", texts.t("press-enter"))?;
                    out.flush()?;
                    let mut line = String::new();
                    io::stdin().lock().read_line(&mut line)?;
                }
            }
        }
    }
    writeln!(out, "{}\n", texts.t(&format!("{name}-exercises")))?;
    for e in &lab.exercises {
        let text = texts.t_args(&format!("{name}-ex{}", e.number), &student.args());
        writeln!(out, "  {}. {}\n", e.number, text.replace('\n', "\n     "))?;
    }
    writeln!(out, "{}", texts.t_args("walk-end", &[("lab", name)]))?;
    Ok(())
}

/// A command line as a student would type it (arguments with spaces quoted).
fn shown(argv: &[&str]) -> String {
    argv.iter()
        .map(|a| {
            if a.contains('\'') {
                format!("\"{a}\"")
            } else if a
                .chars()
                .any(|c| c.is_whitespace() || "\"$;&|<>".contains(c))
            {
                format!("'{a}'")
            } else {
                a.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
