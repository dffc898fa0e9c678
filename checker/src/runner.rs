//! Runs a scenario on both engines: capas in a fresh store of its own (through the `capas`
//! command, in-process, as a student runs it) and the Docker daemon through bollard. Every
//! Docker object it makes carries the run's name prefix and label, and is removed at the end,
//! also when a step fails; nothing else of the daemon is ever touched.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{Read, Seek as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use bollard::Docker;
use bollard::models::{ContainerConfig, ContainerCreateBody};
use bollard::query_parameters::{
    CommitContainerOptionsBuilder, CreateContainerOptionsBuilder, CreateImageOptionsBuilder,
    ImportImageOptionsBuilder, ListImagesOptionsBuilder, LogsOptionsBuilder,
    PruneImagesOptionsBuilder, RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder,
    TagImageOptionsBuilder,
};
use capas_core::archive;
use capas_core::container::Container;
use capas_core::digest::HashingWriter;
use capas_core::image::{self, Image};
use capas_core::layer::TarBuilder;
use capas_core::lifecycle::{self, PruneFilters, PruneOptions, RmiOptions};
use capas_core::reference::Reference;
use capas_core::shell::{FileKind, Fs};
use capas_core::store::Store;
use clap::Parser as _;
use futures_util::StreamExt as _;

use crate::daemon::{self, Daemon};
use crate::facts::{self, Fact, Names};
use crate::registry::LocalRegistry;
use crate::scenario::{FactSpec, Scenario, Step};

/// The label every Docker object the checker makes carries; its value is the run's ID.
pub const LABEL: &str = "io.capas.checker";

/// Set to `size` or `diff` to make capas report a wrong fact on purpose (to see that the
/// checker shows a difference, with both values).
pub const FAULT: &str = "CAPAS_CHECKER_FAULT";

/// One scenario's run on both engines.
pub struct Run<'d> {
    docker: &'d Docker,
    daemon: Daemon,
    scenario: String,
    /// `capas-checker-<pid>-<n>`: the run's ID, label value and name prefix.
    id: String,
    store_dir: tempfile::TempDir,
    /// Docker images and containers to remove at the end.
    images: Vec<String>,
    containers: Vec<String>,
    /// Facts the steps brought (exit statuses, what a pull skipped, what rmi deleted).
    outcomes: Vec<Fact>,
    registry: Option<LocalRegistry>,
    /// Scenario names of images pulled from the registry → their name there (the same on
    /// both engines).
    pulled: BTreeMap<String, String>,
    /// The scenario's image names so far.
    known: Vec<String>,
    capas_names: Names,
    docker_names: Names,
    steps_done: usize,
}

impl<'d> Run<'d> {
    /// A run of `scenario`; `n` makes its Docker names unique within this process.
    pub fn new(
        docker: &'d Docker,
        scenario: &str,
        n: usize,
        daemon: &Daemon,
    ) -> anyhow::Result<Run<'d>> {
        let id = format!("capas-checker-{}-{n}", std::process::id());
        Ok(Run {
            docker,
            daemon: daemon.clone(),
            scenario: scenario.to_string(),
            store_dir: tempfile::tempdir()?,
            images: Vec::new(),
            containers: Vec::new(),
            outcomes: Vec::new(),
            registry: None,
            pulled: BTreeMap::new(),
            known: Vec::new(),
            capas_names: Names::default(),
            docker_names: Names {
                mapped: Some(format!("{id}/")),
                ..Names::default()
            },
            steps_done: 0,
            id,
        })
    }

    fn prefix(&self) -> String {
        format!("{}/", self.id)
    }

    fn store_path(&self) -> PathBuf {
        self.store_dir.path().join("store")
    }

    fn store(&self) -> anyhow::Result<Store> {
        Ok(Store::open(self.store_path())?)
    }

    /// Runs `capas ARGS…` on the run's store; returns its output, or an error.
    fn capas(&self, args: &[&str]) -> anyhow::Result<String> {
        capas_in(&self.store_path(), args)
    }

    /// The scenario's image `name` as capas holds it.
    fn capas_name(&self, name: &str) -> String {
        self.pulled
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }

    /// The scenario's image `name` as Docker holds it.
    fn docker_name(&self, name: &str) -> String {
        self.pulled
            .get(name)
            .cloned()
            .unwrap_or_else(|| facts::map_name(&self.prefix(), name))
    }

    fn container_name(&self, name: &str) -> String {
        format!("{}-{name}", self.id)
    }

    fn labels(&self) -> HashMap<String, String> {
        HashMap::from([(LABEL.to_string(), self.id.clone())])
    }

    /// Runs the steps, then collects the facts. Docker objects are removed afterwards
    /// whatever happened.
    pub async fn run(mut self, scenario: &Scenario) -> anyhow::Result<Vec<Fact>> {
        let result = self.steps_and_facts(scenario).await;
        self.cleanup().await;
        result
    }

    async fn steps_and_facts(&mut self, scenario: &Scenario) -> anyhow::Result<Vec<Fact>> {
        for step in &scenario.steps {
            self.step(step)
                .await
                .with_context(|| format!("scenario {}: step {step:?}", self.scenario))?;
            self.steps_done += 1;
        }
        let mut out = std::mem::take(&mut self.outcomes);
        for spec in &scenario.facts {
            out.extend(
                self.facts(spec)
                    .await
                    .with_context(|| format!("scenario {}: fact {spec:?}", self.scenario))?,
            );
        }
        Ok(out)
    }

    fn fact(&self, name: String, capas: String, docker: String) -> Fact {
        Fact {
            scenario: self.scenario.clone(),
            name,
            capas,
            docker,
        }
    }

    /// A fact whose values are each engine's own words, made comparable ([`Names`]).
    fn words(&self, name: String, capas: &[String], docker: &[String]) -> Fact {
        let c: Vec<String> = capas.iter().map(|l| self.capas_names.text(l)).collect();
        let d: Vec<String> = docker.iter().map(|l| self.docker_names.text(l)).collect();
        self.fact(name, c.join("\n"), d.join("\n"))
    }

    /// [`Run::words`] for lines whose order is not a fact (Docker's comes from a map).
    fn words_sorted(&self, name: String, capas: &[String], docker: &[String]) -> Fact {
        let mut c: Vec<String> = capas.iter().map(|l| self.capas_names.text(l)).collect();
        let mut d: Vec<String> = docker.iter().map(|l| self.docker_names.text(l)).collect();
        c.sort();
        d.sort();
        self.fact(name, c.join("\n"), d.join("\n"))
    }

    async fn step(&mut self, step: &Step) -> anyhow::Result<()> {
        match step {
            Step::Pull { image } => {
                self.capas(&["pull", "-q", image])?;
                self.load_into_docker(image).await?;
                self.remember(image).await?;
            }
            Step::Busybox { tag } => {
                busybox_image(&self.store()?, tag, &self.id)?;
                self.load_into_docker(tag).await?;
                self.remember(tag).await?;
            }
            Step::Run { name, image, cmd } => {
                let capas_image = self.capas_name(image);
                let mut args = vec!["run", "--name", name.as_str(), capas_image.as_str()];
                args.extend(cmd.iter().map(String::as_str));
                let (capas_code, capas_out) = self.capas_run(&args)?;
                let docker_code = self.docker_run(name, image, cmd).await?;
                let docker_out = self.docker_stdout(name).await?;
                let status = self.fact(
                    format!("exit status of {name}"),
                    capas_code.to_string(),
                    docker_code.to_string(),
                );
                let output = self.fact(format!("output of {name}"), capas_out, docker_out);
                self.outcomes.push(status);
                self.outcomes.push(output);
            }
            Step::Commit { container, tag } => {
                self.capas(&["commit", container, tag])?;
                let mapped = self.docker_name(tag);
                let (repo, t) = mapped.rsplit_once(':').context("tag")?;
                self.images.push(mapped.clone());
                self.docker
                    .commit_container(
                        CommitContainerOptionsBuilder::default()
                            .container(&self.container_name(container))
                            .repo(repo)
                            .tag(t)
                            .build(),
                        ContainerConfig::default(),
                    )
                    .await?;
                self.remember(tag).await?;
            }
            Step::Tag { source, target } => {
                self.capas(&["tag", &self.capas_name(source), target])?;
                let mapped = self.docker_name(target);
                let (repo, t) = mapped.rsplit_once(':').context("tag")?;
                self.images.push(mapped.clone());
                self.docker
                    .tag_image(
                        &self.docker_name(source),
                        Some(TagImageOptionsBuilder::default().repo(repo).tag(t).build()),
                    )
                    .await?;
                self.remember(target).await?;
            }
            Step::Rm { container } => {
                self.capas(&["rm", container])?;
                self.docker
                    .remove_container(&self.container_name(container), None)
                    .await?;
            }
            Step::Build {
                tag,
                dockerfile,
                files,
            } => self.build(tag, dockerfile, files).await?,
            Step::Publish {
                image,
                busybox,
                from,
                cmd,
            } => self.publish(image, *busybox, from.as_deref(), cmd)?,
            Step::PullRegistry { image } => self.pull_registry(image).await?,
            Step::Rmi {
                image,
                force,
                no_prune,
            } => {
                let options = RmiOptions {
                    force: *force,
                    no_prune: *no_prune,
                };
                let capas = {
                    let store = self.store()?;
                    let locked = store.lock()?;
                    match lifecycle::rmi(&locked, &self.capas_name(image), &options) {
                        Ok(report) => {
                            facts::capas_delete_lines(&report.records, self.daemon.image_store)
                        }
                        Err(e) => vec![format!("Error: {e}")],
                    }
                };
                let removed = self
                    .docker
                    .remove_image(
                        &self.docker_name(image),
                        Some(
                            RemoveImageOptionsBuilder::default()
                                .force(*force)
                                .noprune(*no_prune)
                                .build(),
                        ),
                        None,
                    )
                    .await;
                let docker = match removed {
                    Ok(items) => facts::delete_lines(&serde_json::to_value(&items)?),
                    Err(bollard::errors::Error::DockerResponseServerError { message, .. }) => {
                        vec![format!("Error: {message}")]
                    }
                    Err(e) => return Err(e.into()),
                };
                let fact = self.words(format!("rmi {image}"), &capas, &docker);
                self.outcomes.push(fact);
            }
            Step::Df => {
                let mut facts = self.facts(&FactSpec::Df).await?;
                for f in &mut facts {
                    f.name = format!("{} (step {})", f.name, self.steps_done + 1);
                }
                self.outcomes.extend(facts);
            }
            Step::Prune { all } => {
                let filter = format!("label={LABEL}={}", self.id);
                let report = {
                    let store = self.store()?;
                    let locked = store.lock()?;
                    let options = PruneOptions {
                        all: *all,
                        filters: PruneFilters::parse(&[filter.as_str()], 0)?,
                    };
                    lifecycle::prune(&locked, &options)?
                };
                let capas = facts::capas_delete_lines(&report.records, self.daemon.image_store);
                let filters = HashMap::from([
                    ("label".to_string(), vec![format!("{LABEL}={}", self.id)]),
                    ("dangling".to_string(), vec![(!all).to_string()]),
                ]);
                let pruned = self
                    .docker
                    .prune_images(Some(
                        PruneImagesOptionsBuilder::default()
                            .filters(&filters)
                            .build(),
                    ))
                    .await?;
                let docker = facts::delete_lines(&serde_json::to_value(&pruned.images_deleted)?);
                let name = if *all {
                    "image prune -a"
                } else {
                    "image prune"
                };
                // Docker deletes in the order of a map: the sets are compared.
                let deleted = self.words_sorted(format!("{name}: deleted"), &capas, &docker);
                let reclaimed = self.fact(
                    format!("{name}: space reclaimed (bytes)"),
                    report.layers_size.to_string(),
                    pruned.space_reclaimed.unwrap_or_default().to_string(),
                );
                self.outcomes.push(deleted);
                if facts::sizes_comparable(self.daemon.image_store) {
                    self.outcomes.push(reclaimed);
                }
            }
        }
        Ok(())
    }

    /// Names the image `name` now has on each engine, and its layers, after `name`.
    async fn remember(&mut self, name: &str) -> anyhow::Result<()> {
        if !self.known.iter().any(|k| k == name) {
            self.known.push(name.to_string());
        }
        let store = self.store()?;
        let index = store.index()?;
        let img = Image::load(&store, image::resolve(&index, &self.capas_name(name))?)?;
        let chains: Vec<String> = img
            .layers()
            .iter()
            .map(|l| l.chain_id.to_string())
            .collect();
        self.capas_names
            .alias_image(&img.id().to_string(), name, &chains);
        let inspect = self.docker.inspect_image(&self.docker_name(name)).await?;
        let docker = facts::image_facts(&serde_json::to_value(&inspect)?)?;
        self.docker_names
            .alias_image(&docker.id, name, &facts::chain_ids(&docker.diff_ids));
        Ok(())
    }

    /// `capas run …`: its exit status (the command's) and what it wrote on stdout.
    fn capas_run(&self, args: &[&str]) -> anyhow::Result<(i64, String)> {
        let (code, out) = capas_status(&self.store_path(), args)?;
        Ok((i64::from(code), out))
    }

    /// What a Docker container wrote on stdout.
    async fn docker_stdout(&self, name: &str) -> anyhow::Result<String> {
        let mut logs = self.docker.logs(
            &self.container_name(name),
            Some(LogsOptionsBuilder::default().stdout(true).build()),
        );
        let mut out = Vec::new();
        while let Some(chunk) = logs.next().await {
            if let bollard::container::LogOutput::StdOut { message } = chunk? {
                out.extend_from_slice(&message);
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    async fn docker_run(&mut self, name: &str, image: &str, cmd: &[String]) -> anyhow::Result<i64> {
        let cname = self.container_name(name);
        self.containers.push(cname.clone());
        let body = ContainerCreateBody {
            image: Some(self.docker_name(image)),
            cmd: Some(cmd.to_vec()),
            labels: Some(self.labels()),
            ..Default::default()
        };
        self.docker
            .create_container(
                Some(
                    CreateContainerOptionsBuilder::default()
                        .name(&cname)
                        .build(),
                ),
                body,
            )
            .await?;
        self.docker.start_container(&cname, None).await?;
        let mut wait = self.docker.wait_container(&cname, None);
        let mut code = 0;
        while let Some(r) = wait.next().await {
            match r {
                Ok(w) => code = w.status_code,
                Err(bollard::errors::Error::DockerContainerWaitError { code: c, .. }) => code = c,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(code)
    }

    /// Builds on both engines: capas in-process, Docker with the docker CLI and BuildKit
    /// (`DOCKER_BUILDKIT=1`: bollard speaks only the classic builder, whose history rows
    /// differ), each with the run's label.
    async fn build(
        &mut self,
        tag: &str,
        dockerfile: &str,
        files: &BTreeMap<String, String>,
    ) -> anyhow::Result<()> {
        let n = self.known.len();
        let label = format!("{LABEL}={}", self.id);
        let capas_dir = self.store_dir.path().join(format!("context-{n}-capas"));
        write_context(&capas_dir, dockerfile, files)?;
        let dir = capas_dir.display().to_string();
        self.capas(&["build", "-q", "--label", &label, "-t", tag, &dir])?;

        // Docker's Dockerfile names the run's images as Docker holds them.
        let docker_file = self.docker_dockerfile(dockerfile);
        let docker_dir = self.store_dir.path().join(format!("context-{n}-docker"));
        write_context(&docker_dir, &docker_file, files)?;
        let mapped = self.docker_name(tag);
        self.images.push(mapped.clone());
        let out = std::process::Command::new(docker_cli())
            .env("DOCKER_BUILDKIT", "1")
            .args(["build", "-q", "--label", &label, "-t", &mapped])
            .arg(&docker_dir)
            .output()
            .context("running docker build (is the docker CLI installed?)")?;
        if !out.status.success() {
            bail!(
                "docker build: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        self.remember(tag).await
    }

    /// `FROM NAME` and `--from=NAME` lines rewritten to Docker's names for the run's images.
    fn docker_dockerfile(&self, dockerfile: &str) -> String {
        let mut out = String::new();
        for line in dockerfile.lines() {
            let words: Vec<String> = line
                .split(' ')
                .map(|w| {
                    if let Some(name) = w.strip_prefix("--from=")
                        && self.known.iter().any(|k| k == name)
                    {
                        return format!("--from={}", self.docker_name(name));
                    }
                    w.to_string()
                })
                .collect();
            let mut line = words.join(" ");
            let upper = line.trim_start().to_ascii_uppercase();
            if upper.starts_with("FROM ") {
                let mut parts: Vec<String> = line.split_whitespace().map(str::to_string).collect();
                if let Some(image) = parts.iter_mut().skip(1).find(|p| !p.starts_with("--"))
                    && self.known.iter().any(|k| k == image)
                {
                    *image = self.docker_name(image);
                }
                line = parts.join(" ");
            }
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    /// `127.0.0.1:<port>/capas-checker-<pid>-<n>/`: where the run's images go in its registry,
    /// started on first use. Both engines' names under it are the scenario's names.
    fn registry_prefix(&mut self) -> anyhow::Result<String> {
        let registry = match &self.registry {
            Some(r) => r,
            None => self.registry.insert(LocalRegistry::start()?),
        };
        let prefix = format!("{}/{}", registry.host(), self.prefix());
        if !self.capas_names.plain.contains(&prefix) {
            self.capas_names.plain.push(prefix.clone());
            self.docker_names.plain.push(prefix.clone());
        }
        Ok(prefix)
    }

    /// Makes an image in a store of its own (see [`Step::Publish`]) and pushes it to the
    /// run's registry.
    fn publish(
        &mut self,
        image: &str,
        busybox: bool,
        from: Option<&str>,
        cmd: &[String],
    ) -> anyhow::Result<()> {
        let remote = format!("{}{image}", self.registry_prefix()?);
        let seed = self.store_dir.path().join("publisher");
        if busybox {
            busybox_image(&Store::open(&seed)?, image, &self.id)?;
        } else if let Some(from) = from {
            let container = format!("publish-{}", self.known.len() + self.steps_done);
            let mut args = vec!["run", "--name", container.as_str(), from];
            args.extend(cmd.iter().map(String::as_str));
            capas_in(&seed, &args)?;
            capas_in(&seed, &["commit", &container, image])?;
        } else {
            capas_in(&seed, &["pull", "-q", image])?;
        }
        capas_in(&seed, &["tag", image, &remote])?;
        capas_in(&seed, &["push", "-q", &remote])?;
        Ok(())
    }

    /// Pulls a published image on both engines and records what each pull did.
    async fn pull_registry(&mut self, image: &str) -> anyhow::Result<()> {
        let remote = format!("{}{image}", self.registry_prefix()?);
        let capas: Vec<(String, String)> = self
            .capas(&["pull", &remote])?
            .lines()
            .map(|line| match line.split_once(": ") {
                Some((id, status))
                    if id.len() == 12 && id.chars().all(|c| c.is_ascii_hexdigit()) =>
                {
                    (id.to_string(), status.to_string())
                }
                _ => (String::new(), line.to_string()),
            })
            .collect();
        let (repo, tag) = remote.rsplit_once(':').context("tag")?;
        self.images.push(remote.clone());
        let mut docker = Vec::new();
        let mut stream = self.docker.create_image(
            Some(
                CreateImageOptionsBuilder::default()
                    .from_image(repo)
                    .tag(tag)
                    .build(),
            ),
            None,
            None,
        );
        while let Some(info) = stream.next().await {
            let info = info?;
            if let Some(e) = info.error_detail.and_then(|d| d.message) {
                bail!("docker pull {remote}: {e}");
            }
            let status = info.status.unwrap_or_default();
            // The CLI prints `3.19: Pulling from …` from an `id` that is the tag.
            let id = info.id.unwrap_or_default();
            let id = if id.len() == 12 { id } else { String::new() };
            docker.push((id, status));
        }
        let fact = self.words(
            format!("pull of {image}"),
            &facts::pull_lines(&capas),
            &facts::pull_lines(&docker),
        );
        self.outcomes.push(fact);
        self.pulled.insert(image.to_string(), remote);
        self.remember(image).await
    }

    /// Loads a capas image into Docker, under the run's name for it. The archive is written
    /// to a file and streamed from it.
    async fn load_into_docker(&mut self, image: &str) -> anyhow::Result<()> {
        let store = self.store()?;
        let index = store.index()?;
        let record = image::resolve(&index, image)?.clone();
        let mapped = self.docker_name(image);
        let reference = Reference::parse_tagged(&mapped)?;
        let path = self.store_dir.path().join("to-docker.tar");
        let file = File::create(&path)?;
        let mut writer = std::io::BufWriter::new(file);
        archive::save(
            &store,
            &[(record, vec![reference])],
            archive::Format::DockerArchive,
            &mut writer,
        )?;
        writer
            .into_inner()
            .map_err(|e| e.into_error())?
            .sync_all()?;
        self.images.push(mapped);
        let mut stream = self.docker.import_image_stream(
            ImportImageOptionsBuilder::default().quiet(true).build(),
            file_stream(File::open(&path)?),
            None,
        );
        while let Some(r) = stream.next().await {
            let info = r?;
            if let Some(e) = info.error_detail.and_then(|d| d.message) {
                bail!("docker load: {e}");
            }
        }
        std::fs::remove_file(&path)?;
        Ok(())
    }

    /// `docker save` of one of the run's images, into a file of the run's directory.
    async fn docker_save(&self, image: &str) -> anyhow::Result<PathBuf> {
        let path = self.store_dir.path().join("from-docker.tar");
        let mut file = std::io::BufWriter::new(File::create(&path)?);
        let mut stream = self.docker.export_image(&self.docker_name(image));
        while let Some(chunk) = stream.next().await {
            file.write_all(&chunk?)?;
        }
        file.flush()?;
        Ok(path)
    }

    async fn facts(&self, spec: &FactSpec) -> anyhow::Result<Vec<Fact>> {
        let fault = std::env::var(FAULT).unwrap_or_default();
        Ok(match spec {
            FactSpec::Image { image, what } => {
                let store = self.store()?;
                let index = store.index()?;
                let img = Image::load(&store, image::resolve(&index, &self.capas_name(image))?)?;
                let mut capas_size = img.size(&store)?;
                if fault == "size" {
                    capas_size += 1;
                }
                let inspect = self.docker.inspect_image(&self.docker_name(image)).await?;
                let inspect = serde_json::to_value(&inspect)?;
                let docker = facts::image_facts(&inspect)?;
                let what: Vec<&str> = if what.is_empty() {
                    vec!["id", "diff-ids", "chain-ids", "size"]
                } else {
                    what.iter().map(String::as_str).collect()
                };
                let mut out = Vec::new();
                for w in what {
                    let mut name = format!("{w} of {image}");
                    let (c, d) = match w {
                        "id" => (
                            facts::expected_id(
                                self.daemon.image_store,
                                &img.id().to_string(),
                                &img.record().manifest.to_string(),
                            ),
                            docker.id.clone(),
                        ),
                        "diff-ids" => (
                            img.diff_ids()
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(" "),
                            docker.diff_ids.join(" "),
                        ),
                        "chain-ids" => {
                            let capas: Vec<String> = img
                                .layers()
                                .iter()
                                .map(|l| l.chain_id.to_string())
                                .collect();
                            let from_layerdb = self
                                .daemon
                                .layerdb
                                .as_deref()
                                .and_then(|db| facts::layerdb_chain_ids(db, &docker.diff_ids));
                            let docker = match from_layerdb {
                                Some(ids) => ids,
                                None => {
                                    name.push_str(" (computed from Docker's diff IDs)");
                                    facts::chain_ids(&docker.diff_ids)
                                }
                            };
                            (capas.join(" "), docker.join(" "))
                        }
                        "size" if !facts::sizes_comparable(self.daemon.image_store) => continue,
                        "size" => (capas_size.to_string(), docker.size.to_string()),
                        "layer-count" => (
                            img.layers().len().to_string(),
                            docker.diff_ids.len().to_string(),
                        ),
                        "config" => {
                            let capas = serde_json::to_value(img.config())?;
                            (
                                facts::config_lines(&capas["config"], LABEL).join("\n"),
                                facts::config_lines(&inspect["Config"], LABEL).join("\n"),
                            )
                        }
                        other => bail!("unknown image fact {other:?}"),
                    };
                    out.push(self.fact(name, c, d));
                }
                out
            }
            FactSpec::History { image } => {
                let store = self.store()?;
                let index = store.index()?;
                let img = Image::load(&store, image::resolve(&index, &self.capas_name(image))?)?;
                let capas: Vec<String> = img
                    .history(&store, &index)?
                    .iter()
                    .map(|r| {
                        let id = r.id.as_ref().map(ToString::to_string);
                        facts::history_row(id.as_deref(), &r.created_by, r.size)
                    })
                    .collect();
                let history = self.docker.image_history(&self.docker_name(image)).await?;
                let docker = facts::history_rows(&serde_json::to_value(&history)?);
                vec![self.words(format!("history of {image}"), &capas, &docker)]
            }
            FactSpec::Images => {
                let store = self.store()?;
                let index = store.index()?;
                let mut capas = Vec::new();
                for record in index.images.values() {
                    let size = Image::load(&store, record)?.size(&store)?;
                    for tag in record.tags() {
                        capas.push(format!("{tag} {} {size}", record.id));
                    }
                }
                let list = self
                    .docker
                    .list_images(Some(ListImagesOptionsBuilder::default().build()))
                    .await?;
                let own = |name: &str| self.docker_names.own(name);
                let docker = facts::images_rows(&serde_json::to_value(&list)?, &own);
                vec![self.words_sorted("images".into(), &capas, &docker)]
            }
            FactSpec::Diff { container } => {
                let mut capas: Vec<String> = self
                    .capas(&["diff", container])?
                    .lines()
                    .map(str::to_string)
                    .collect();
                capas.sort();
                if fault == "diff" && !capas.is_empty() {
                    capas.remove(0);
                }
                let changes = self
                    .docker
                    .container_changes(&self.container_name(container))
                    .await?;
                let docker = facts::diff_lines(&serde_json::to_value(&changes)?);
                vec![self.fact(
                    format!("diff of {container}"),
                    capas.join("\n"),
                    docker.join("\n"),
                )]
            }
            FactSpec::Tree { container } => {
                let store = self.store()?;
                let c = Container::open(&store, container)?;
                let capas = capas_tree(&c)?;
                let path = self.store_dir.path().join("export.tar");
                let mut file = std::io::BufWriter::new(File::create(&path)?);
                let mut stream = self
                    .docker
                    .export_container(&self.container_name(container));
                while let Some(chunk) = stream.next().await {
                    file.write_all(&chunk?)?;
                }
                file.flush()?;
                drop(file);
                let docker = facts::tree_of_tar(std::io::BufReader::new(File::open(&path)?))?;
                std::fs::remove_file(&path)?;
                let (c, d) = facts::tree_difference(&capas, &docker);
                vec![self.fact(format!("merged tree of {container}"), c, d)]
            }
            FactSpec::Layers { image, top } => {
                let store = self.store()?;
                let index = store.index()?;
                let img = Image::load(&store, image::resolve(&index, &self.capas_name(image))?)?;
                let saved = self.docker_save(image).await?;
                let docker_layers =
                    docker_archive_layers(&saved, &self.store_dir.path().join("saved"))?;
                let count = img.layers().len();
                let from = count.saturating_sub(top.unwrap_or(count));
                let mut out = Vec::new();
                for (i, layer) in img.layers().iter().enumerate().skip(from) {
                    let blob = store.open_blob(&layer.blob.digest().into())?;
                    let capas = if layer.blob.media_type().to_string().contains("gzip") {
                        facts::layer_entries(flate2::read::GzDecoder::new(blob))?
                    } else {
                        facts::layer_entries(std::io::BufReader::new(blob))?
                    };
                    let docker = match docker_layers.get(i) {
                        Some(path) => {
                            facts::layer_entries(std::io::BufReader::new(File::open(path)?))?
                        }
                        None => vec!["(no such layer)".to_string()],
                    };
                    out.push(self.fact(
                        format!("entries of layer {} of {image}", i + 1),
                        capas.join("\n"),
                        docker.join("\n"),
                    ));
                }
                std::fs::remove_dir_all(self.store_dir.path().join("saved"))?;
                std::fs::remove_file(&saved)?;
                out
            }
            FactSpec::RoundTrip { image } => {
                let saved = self.docker_save(image).await?;
                let back = Store::open(self.store_dir.path().join("round-trip"))?;
                let loaded = {
                    let locked = back.lock()?;
                    archive::load(&locked, std::io::BufReader::new(File::open(&saved)?))?
                };
                std::fs::remove_file(&saved)?;
                let index = back.index()?;
                let mut capas = Vec::new();
                for l in &loaded.images {
                    let record = index
                        .images
                        .get(&l.id)
                        .context("the loaded image is not in the store")?;
                    let img = Image::load(&back, record)?;
                    // The daemon's ID for it: the config's digest, or in the containerd
                    // store the manifest's.
                    capas.push(format!(
                        "ID {}",
                        facts::expected_id(
                            self.daemon.image_store,
                            &l.id.to_string(),
                            &record.manifest.to_string()
                        )
                    ));
                    capas.push(format!("diff IDs {}", join(img.diff_ids())));
                    let mut names: Vec<String> = record.tags().map(ToString::to_string).collect();
                    names.sort();
                    capas.push(format!("names {}", names.join(" ")));
                }
                std::fs::remove_dir_all(back.root())?;
                let inspect = serde_json::to_value(
                    self.docker.inspect_image(&self.docker_name(image)).await?,
                )?;
                let f = facts::image_facts(&inspect)?;
                // The run's own names only: the daemon may hold the same image under others.
                let mut names: Vec<String> = inspect["RepoTags"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str())
                    .filter(|t| self.docker_names.own(t).is_some())
                    .map(str::to_string)
                    .collect();
                names.sort();
                let docker = [
                    format!("ID {}", f.id),
                    format!("diff IDs {}", f.diff_ids.join(" ")),
                    format!("names {}", names.join(" ")),
                ];
                // Both sides are Docker's names for the image (capas loaded what Docker
                // saved), and the IDs are the point: shown as they are.
                let names = self.docker_names.without_aliases();
                let capas: Vec<String> = capas.iter().map(|l| names.text(l)).collect();
                let docker: Vec<String> = docker.iter().map(|l| names.text(l)).collect();
                vec![self.fact(
                    format!("docker save of {image}, loaded by capas"),
                    capas.join("\n"),
                    docker.join("\n"),
                )]
            }
            FactSpec::Df => {
                let usage = lifecycle::disk_usage(&self.store()?)?;
                let mut capas = Vec::new();
                for i in &usage.images {
                    for tag in i.record.tags() {
                        capas.push(facts::df_image_row(
                            &tag.to_string(),
                            i.size,
                            i.shared_size,
                            i.containers as u64,
                        ));
                    }
                }
                for c in &usage.containers {
                    capas.push(facts::df_container_row(&c.config.name, c.size_rw));
                }
                let df = daemon::get_json("/system/df")?;
                let container_prefix = format!("{}-", self.id);
                let own = |name: &str| -> Option<String> {
                    self.docker_names
                        .own(name)
                        .or_else(|| name.strip_prefix(&container_prefix).map(str::to_string))
                };
                let docker = facts::df_rows(&df, &own);
                if !facts::sizes_comparable(self.daemon.image_store) {
                    return Ok(Vec::new());
                }
                vec![self.words_sorted("system df -v".into(), &capas, &docker)]
            }
        })
    }

    /// Removes the containers and images this run made (by name: nothing else).
    async fn cleanup(&self) {
        for c in &self.containers {
            let _ = self
                .docker
                .remove_container(
                    c,
                    Some(RemoveContainerOptionsBuilder::default().force(true).build()),
                )
                .await;
        }
        for i in self.images.iter().rev() {
            let _ = self
                .docker
                .remove_image(i, Some(RemoveImageOptionsBuilder::default().build()), None)
                .await;
        }
    }
}

/// Runs `capas --store STORE ARGS…` in-process; its output, or an error.
fn capas_in(store: &Path, args: &[&str]) -> anyhow::Result<String> {
    let (code, text) = capas_status(store, args)?;
    if code != 0 {
        bail!("capas {} exited with {code}", args.join(" "));
    }
    Ok(text)
}

/// Runs `capas --store STORE ARGS…` in-process: its exit code and its output.
fn capas_status(store: &Path, args: &[&str]) -> anyhow::Result<(i32, String)> {
    let mut argv = vec!["capas".to_string(), "--store".into()];
    argv.push(store.display().to_string());
    argv.extend(args.iter().map(|a| a.to_string()));
    let cli = capas_labs::cli::Cli::try_parse_from(&argv)?;
    let mut out = Vec::new();
    let code =
        capas_labs::cli::run(cli, &mut out).with_context(|| format!("capas {}", args.join(" ")))?;
    Ok((code, String::from_utf8_lossy(&out).into_owned()))
}

fn join<T: ToString>(items: Vec<T>) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The docker CLI that builds with BuildKit: `CAPAS_DOCKER_CLI`, else Debian's
/// `/usr/bin/docker` (20.10, BuildKit built in) when installed, else `docker` on `PATH`
/// (newer CLIs need the buildx plugin for BuildKit).
pub fn docker_cli() -> PathBuf {
    if let Some(cli) = std::env::var_os("CAPAS_DOCKER_CLI") {
        return PathBuf::from(cli);
    }
    let debian = Path::new("/usr/bin/docker");
    if debian.is_file() {
        debian.to_path_buf()
    } else {
        PathBuf::from("docker")
    }
}

/// What `checker doctor` says of the CLI the build scenario uses: its path, its version, and
/// whether it builds with BuildKit (20.10 has it built in; newer CLIs need the buildx plugin).
pub fn build_cli_status() -> String {
    let cli = docker_cli();
    let version = std::process::Command::new(&cli)
        .args(["version", "--format", "{{.Client.Version}}"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let Some(version) = version else {
        return format!(
            "{}: not found (the build scenario needs a docker CLI)",
            cli.display()
        );
    };
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    let buildkit = if major < 23 {
        "BuildKit built in".to_string()
    } else if std::process::Command::new(&cli)
        .args(["buildx", "version"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        "BuildKit through buildx".to_string()
    } else {
        "no buildx plugin: the build scenario will fail (set CAPAS_DOCKER_CLI)".to_string()
    };
    format!("{} (client {version}, {buildkit})", cli.display())
}

/// Writes a build context: the Dockerfile and the other files.
fn write_context(
    dir: &Path,
    dockerfile: &str,
    files: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("Dockerfile"), dockerfile)?;
    for (path, text) in files {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(full, text)?;
    }
    Ok(())
}

/// A file as a stream of chunks, read as the daemon takes them.
fn file_stream(
    file: File,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Unpin {
    Box::pin(futures_util::stream::unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 1 << 20];
        match file.read(&mut buf) {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    }))
}

/// The layer tars of a one-image `docker save` archive, bottom first, unpacked into `dir`
/// (the archive's `manifest.json` names them; it comes last in 20.10's archives).
fn docker_archive_layers(archive: &Path, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut tar = tar::Archive::new(std::io::BufReader::new(File::open(archive)?));
    tar.unpack(dir)
        .with_context(|| format!("unpacking {}", archive.display()))?;
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json"))?)?;
    Ok(manifest[0]["Layers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l.as_str().map(|l| dir.join(l)))
        .collect())
}

/// A container's merged tree in [`facts::tree_of_tar`]'s text form.
fn capas_tree(c: &Container) -> anyhow::Result<BTreeMap<String, String>> {
    fn walk(c: &Container, dir: &str, tree: &mut BTreeMap<String, String>) -> anyhow::Result<()> {
        for e in c.read_dir(dir)? {
            let path = format!("{}/{}", dir.trim_end_matches('/'), e.name);
            if facts::docker_own(&path) {
                continue;
            }
            let value = match e.stat.kind {
                FileKind::Dir => format!("dir {:o}", e.stat.mode),
                FileKind::Symlink => format!(
                    "symlink -> {}",
                    e.stat.link_target.clone().unwrap_or_default()
                ),
                _ => {
                    let mut hasher = HashingWriter::new(std::io::sink());
                    std::io::copy(&mut c.open_read(&path)?, &mut hasher)?;
                    let (digest, _, _) = hasher.finish()?;
                    format!("file {:o} {}", e.stat.mode, &digest.hex()[..16])
                }
            };
            let is_dir = e.stat.kind == FileKind::Dir;
            tree.insert(path.clone(), value);
            if is_dir {
                walk(c, &path, tree)?;
            }
        }
        Ok(())
    }
    let mut tree = BTreeMap::new();
    walk(c, "/", &mut tree)?;
    Ok(tree)
}

/// Makes a runnable one-layer image from the host's static busybox, in `store`, as `tag`.
/// `run` (the run's ID) is its label's value and the text of its `/etc/checker-run`: the
/// run's images share no layer with anything else in the daemon, so Docker's shared sizes
/// and container counts are about this run alone.
pub fn busybox_image(store: &Store, tag: &str, run: &str) -> anyhow::Result<()> {
    let busybox = capas_core::busybox::find_static().context(
        "no static busybox: install Debian's busybox-static (apt-get install busybox-static)",
    )?;
    const T: u64 = 1_700_000_000;
    let tar_file = tempfile::tempfile()?;
    let mut b = TarBuilder::new(tar_file);
    capas_core::busybox::add_to_layer(
        &mut b,
        &busybox,
        &[
            "cat", "chmod", "cp", "echo", "false", "ln", "ls", "mkdir", "mv", "rm", "rmdir", "sh",
            "touch", "true",
        ],
        T,
    )?;
    for d in ["dev", "etc", "proc", "srv", "srv/www", "sys"] {
        b.dir(d, 0o755, T)?;
    }
    b.dir("tmp", 0o1777, T)?;
    let marker = format!("{run}\n");
    for (path, text) in [
        ("etc/checker-run", marker.as_str()),
        ("etc/group", "root:x:0:\n"),
        ("etc/issue", "Welcome\n"),
        ("etc/motd", "hola\n"),
        ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
        ("srv/www/index.html", "<h1>capas</h1>\n"),
    ] {
        b.file(path, 0o644, T, text.len() as u64, text.as_bytes())?;
    }
    let mut tar = b.finish()?.0;
    tar.seek(std::io::SeekFrom::Start(0))?;
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": ["sh"],
            "Labels": {LABEL: run},
        },
        "created": "2023-11-14T22:13:20Z",
        "history": [{"created": "2023-11-14T22:13:20Z", "created_by": "/bin/sh -c #(nop) ADD busybox-static"}],
    });
    image::commit_layers(
        &store.lock()?,
        [std::io::BufReader::new(tar)],
        config,
        &[Reference::parse_tagged(tag)?],
    )?;
    Ok(())
}

/// Whether a path holds a capas store (for grading a class: each student's directory).
pub fn is_store(path: &Path) -> bool {
    path.join("oci-layout").exists()
}
