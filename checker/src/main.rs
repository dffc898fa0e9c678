//! `checker`: compares capas with a real Docker daemon, and grades students. See `checker --help`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use bollard::Docker;
use capas_checker::{daemon, facts, grade, mirror, report, runner, scenario};
use clap::{Parser, Subcommand};

/// capas side by side with a real Docker daemon, and grading.
#[derive(Debug, Parser)]
#[command(name = "checker", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Is the daemon reachable? Its version, API, image store; is docker-registry installed?
    Doctor,
    /// Run scenarios on capas and on Docker; exit 0 only when every fact matches, 1 when one
    /// differs, 2 when a scenario could not run (the others still run).
    Compare {
        /// Scenario names (built in: identity, history, images, containers, commit, build,
        /// pull, rmi, prune) or files (`*.toml`); default: every built-in one.
        scenarios: Vec<String>,
        /// Print JSON instead of the table.
        #[arg(long)]
        json: bool,
        /// Also write a JUnit report.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Grade the labs' exercises in a student's store, in every store of a class, or in the
    /// student's Docker.
    Grade {
        /// A student's store.
        #[arg(long, conflicts_with_all = ["class", "docker"], required_unless_present_any = ["class", "docker"])]
        store: Option<PathBuf>,
        /// Grade the exercises done on this machine's Docker (DOCKER_HOST or the local
        /// socket): its lab images and containers are copied into a temporary store first.
        #[arg(long, conflicts_with = "class")]
        docker: bool,
        /// The student's ID (as given to the labs with --student).
        #[arg(long, default_value = "")]
        student: String,
        /// A directory with one store per student, each named by the student's ID.
        #[arg(long)]
        class: Option<PathBuf>,
        /// Where to write the class's CSV (default: grades.csv in --class).
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Also write a JUnit report.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt.block_on(run(cli)),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn connect() -> anyhow::Result<Docker> {
    let docker = Docker::connect_with_local_defaults()
        .context("connecting to Docker (DOCKER_HOST or /var/run/docker.sock)")?;
    let docker = docker
        .negotiate_version()
        .await
        .context("the Docker daemon does not answer")?;
    Ok(docker)
}

async fn run(cli: Cli) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Doctor => {
            let docker = connect().await?;
            let version = docker.version().await?;
            let info = docker.info().await?;
            let status = facts::driver_status(&serde_json::to_value(&info)?);
            writeln!(out, "daemon:    reachable")?;
            writeln!(
                out,
                "version:   {} (API {})",
                version.version.unwrap_or_default(),
                version.api_version.unwrap_or_default()
            )?;
            writeln!(
                out,
                "store:     {:?} (storage driver {})",
                facts::image_store(&status),
                info.driver.unwrap_or_default()
            )?;
            let registry = which("docker-registry");
            writeln!(
                out,
                "registry:  {}",
                registry.map_or(
                    "docker-registry not installed (apt-get install docker-registry)".into(),
                    |p| p.display().to_string()
                )
            )?;
            writeln!(out, "build:     {}", runner::build_cli_status())?;
            writeln!(
                out,
                "busybox:   {}",
                capas_core::busybox::find_static()
                    .map_or("busybox-static not installed".into(), |p| p
                        .display()
                        .to_string())
            )?;
            Ok(0)
        }
        Command::Compare {
            scenarios,
            json,
            junit,
        } => {
            let builtin = scenario::builtin();
            let names: Vec<String> = if scenarios.is_empty() {
                builtin.keys().map(|k| k.to_string()).collect()
            } else {
                scenarios
            };
            let docker = connect().await?;
            let info = serde_json::to_value(docker.info().await?)?;
            let daemon = daemon::Daemon::from_info(&info);
            let mut all = Vec::new();
            let mut errors: Vec<(String, String)> = Vec::new();
            for (n, name) in names.iter().enumerate() {
                let (label, text) = match builtin.get(name.as_str()) {
                    Some(text) => (name.clone(), text.to_string()),
                    None => (
                        name.clone(),
                        std::fs::read_to_string(name).with_context(|| {
                            format!(
                                "no scenario {name} (built in: {})",
                                builtin.keys().copied().collect::<Vec<_>>().join(", ")
                            )
                        })?,
                    ),
                };
                let s = scenario::parse(&label, &text)?;
                let run = runner::Run::new(&docker, &label, n, &daemon)?;
                // A scenario that cannot run is reported, and the others still run.
                match run.run(&s).await {
                    Ok(facts) => all.extend(facts),
                    Err(e) => errors.push((label, format!("{e:#}"))),
                }
            }
            if json {
                serde_json::to_writer_pretty(&mut out, &all)?;
                writeln!(out)?;
            } else {
                report::table(&all, &mut out)?;
            }
            if let Some(path) = junit {
                let xml = report::junit("capas checker", &all, &errors).to_string()?;
                std::fs::write(&path, xml)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            for (_, why) in &errors {
                eprintln!("Error: {why}");
            }
            Ok(if !errors.is_empty() {
                2
            } else if all.iter().all(facts::Fact::same) {
                0
            } else {
                1
            })
        }
        Command::Grade {
            store,
            docker,
            student,
            class,
            csv,
            junit,
        } => {
            let mut grades = Vec::new();
            if let Some(dir) = &class {
                let mut entries: Vec<_> = std::fs::read_dir(dir)
                    .with_context(|| format!("reading {}", dir.display()))?
                    .collect::<Result<_, _>>()?;
                entries.sort_by_key(|e| e.file_name());
                for e in entries {
                    if runner::is_store(&e.path()) {
                        let id = e.file_name().to_string_lossy().into_owned();
                        grades.extend(grade::grade_store(&e.path(), &id)?);
                    }
                }
                let csv_path = csv.unwrap_or_else(|| dir.join("grades.csv"));
                std::fs::write(&csv_path, grade::csv(&grades))
                    .with_context(|| format!("writing {}", csv_path.display()))?;
            } else if let Some(store) = &store {
                grades = grade::grade_store(store, &student)?;
                if let Some(path) = csv {
                    std::fs::write(&path, grade::csv(&grades))?;
                }
            } else if docker {
                let daemon = connect().await?;
                let dir = tempfile::tempdir().context("creating a temporary store")?;
                let mirror_store = capas_core::store::Store::open(dir.path().join("store"))?;
                let read = mirror::mirror(&daemon, &mirror_store)
                    .await
                    .context("reading the student's Docker")?;
                eprintln!(
                    "read {} images and {} containers from Docker",
                    read.images, read.containers
                );
                grades = grade::grade_store(mirror_store.root(), &student)?;
                if let Some(path) = csv {
                    std::fs::write(&path, grade::csv(&grades))?;
                }
            }
            grade::print_scores(&grades, &mut out)?;
            if let Some(path) = junit {
                std::fs::write(&path, grade::junit(&grades).to_string()?)?;
            }
            Ok(if grades.iter().all(|g| g.passed) {
                0
            } else {
                1
            })
        }
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(program))
            .find(|p| p.is_file())
    })
}
