//! Runs a scenario on both engines: capas in a fresh store of its own (through the `capas`
//! command, in-process, as a student runs it) and the Docker daemon through bollard. Every
//! Docker object it makes carries the run's name prefix and label, and is removed at the end,
//! also when a step fails; nothing else of the daemon is ever touched.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use bollard::Docker;
use bollard::models::{ContainerConfig, ContainerCreateBody};
use bollard::query_parameters::{
    CommitContainerOptionsBuilder, CreateContainerOptionsBuilder, ImportImageOptionsBuilder,
    ListImagesOptionsBuilder, RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder,
    TagImageOptionsBuilder,
};
use capas_core::archive;
use capas_core::container::Container;
use capas_core::image::{self, Image};
use capas_core::layer::TarBuilder;
use capas_core::reference::Reference;
use capas_core::shell::{FileKind, Fs};
use capas_core::store::Store;
use clap::Parser as _;
use futures_util::StreamExt as _;

use crate::facts::{self, Fact};
use crate::scenario::{FactSpec, Scenario, Step};

/// The label every Docker object the checker makes carries.
pub const LABEL: &str = "io.capas.checker";

/// Set to `size` or `diff` to make capas report a wrong fact on purpose (to see that the
/// checker shows a difference, with both values).
pub const FAULT: &str = "CAPAS_CHECKER_FAULT";

/// One scenario's run on both engines.
pub struct Run<'d> {
    docker: &'d Docker,
    scenario: String,
    prefix: String,
    store_dir: tempfile::TempDir,
    images: Vec<String>,
    containers: Vec<String>,
    exits: BTreeMap<String, (i64, i64)>,
    image_store: facts::ImageStore,
}

impl<'d> Run<'d> {
    /// A run of `scenario`; `n` makes its Docker names unique within this process.
    pub fn new(
        docker: &'d Docker,
        scenario: &str,
        n: usize,
        image_store: facts::ImageStore,
    ) -> anyhow::Result<Run<'d>> {
        Ok(Run {
            docker,
            scenario: scenario.to_string(),
            prefix: format!("capas-checker-{}-{n}/", std::process::id()),
            store_dir: tempfile::tempdir()?,
            images: Vec::new(),
            containers: Vec::new(),
            exits: BTreeMap::new(),
            image_store,
        })
    }

    fn store_path(&self) -> PathBuf {
        self.store_dir.path().join("store")
    }

    fn store(&self) -> anyhow::Result<Store> {
        Ok(Store::open(self.store_path())?)
    }

    /// Runs `capas ARGS…` on the run's store; returns its output, or an error.
    fn capas(&self, args: &[&str]) -> anyhow::Result<String> {
        let store = self.store_path();
        let mut argv = vec!["capas".to_string(), "--store".into()];
        argv.push(store.display().to_string());
        argv.extend(args.iter().map(|a| a.to_string()));
        let cli = capas_labs::cli::Cli::try_parse_from(&argv)?;
        let mut out = Vec::new();
        let code = capas_labs::cli::run(cli, &mut out)
            .with_context(|| format!("capas {}", args.join(" ")))?;
        let text = String::from_utf8_lossy(&out).into_owned();
        if code != 0 && args.first().is_none_or(|a| *a != "run") {
            bail!("capas {} exited with {code}", args.join(" "));
        }
        Ok(text)
    }

    fn docker_name(&self, image: &str) -> String {
        facts::map_name(&self.prefix, image)
    }

    fn container_name(&self, name: &str) -> String {
        format!("{}{name}", self.prefix.replace('/', "-"))
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
        }
        let mut out = Vec::new();
        for (name, (capas, docker)) in &self.exits {
            out.push(self.fact(
                format!("exit status of {name}"),
                capas.to_string(),
                docker.to_string(),
            ));
        }
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

    async fn step(&mut self, step: &Step) -> anyhow::Result<()> {
        match step {
            Step::Pull { image } => {
                self.capas(&["pull", "-q", image])?;
                self.load_into_docker(image).await?;
            }
            Step::Busybox { tag } => {
                busybox_image(&self.store()?, tag)?;
                self.load_into_docker(tag).await?;
            }
            Step::Run { name, image, cmd } => {
                let mut args = vec!["run", "--name", name.as_str(), image.as_str()];
                args.extend(cmd.iter().map(String::as_str));
                let capas_code = self.capas_run(&args)?;
                let docker_code = self.docker_run(name, image, cmd).await?;
                self.exits.insert(name.clone(), (capas_code, docker_code));
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
            }
            Step::Tag { source, target } => {
                self.capas(&["tag", source, target])?;
                let mapped = self.docker_name(target);
                let (repo, t) = mapped.rsplit_once(':').context("tag")?;
                self.images.push(mapped.clone());
                self.docker
                    .tag_image(
                        &self.docker_name(source),
                        Some(TagImageOptionsBuilder::default().repo(repo).tag(t).build()),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// `capas run …`: its exit status (the command's).
    fn capas_run(&self, args: &[&str]) -> anyhow::Result<i64> {
        let store = self.store_path();
        let mut argv = vec!["capas".to_string(), "--store".into()];
        argv.push(store.display().to_string());
        argv.extend(args.iter().map(|a| a.to_string()));
        let cli = capas_labs::cli::Cli::try_parse_from(&argv)?;
        let code = capas_labs::cli::run(cli, &mut std::io::sink())?;
        Ok(i64::from(code))
    }

    async fn docker_run(&mut self, name: &str, image: &str, cmd: &[String]) -> anyhow::Result<i64> {
        let cname = self.container_name(name);
        self.containers.push(cname.clone());
        let body = ContainerCreateBody {
            image: Some(self.docker_name(image)),
            cmd: Some(cmd.to_vec()),
            labels: Some(HashMap::from([(LABEL.to_string(), "1".to_string())])),
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

    /// Loads a capas image into Docker, under the run's name for it.
    async fn load_into_docker(&mut self, image: &str) -> anyhow::Result<()> {
        let store = self.store()?;
        let index = store.index()?;
        let record = image::resolve(&index, image)?.clone();
        let mapped = self.docker_name(image);
        let reference = Reference::parse_tagged(&mapped)?;
        let mut bytes = Vec::new();
        archive::save(
            &store,
            &[(record, vec![reference])],
            archive::Format::DockerArchive,
            &mut bytes,
        )?;
        self.images.push(mapped);
        let mut stream = self.docker.import_image(
            ImportImageOptionsBuilder::default().quiet(true).build(),
            bollard::body_full(bytes::Bytes::from(bytes)),
            None,
        );
        while let Some(r) = stream.next().await {
            let info = r?;
            if let Some(e) = info.error_detail.and_then(|d| d.message) {
                bail!("docker load: {e}");
            }
        }
        Ok(())
    }

    async fn facts(&self, spec: &FactSpec) -> anyhow::Result<Vec<Fact>> {
        let fault = std::env::var(FAULT).unwrap_or_default();
        Ok(match spec {
            FactSpec::Image { image, what } => {
                let store = self.store()?;
                let index = store.index()?;
                let img = Image::load(&store, image::resolve(&index, image)?)?;
                let mut capas_size = img.size(&store)?;
                if fault == "size" {
                    capas_size += 1;
                }
                let capas = facts::ImageFacts {
                    id: facts::expected_id(
                        self.image_store,
                        &img.id().to_string(),
                        &img.record().manifest.to_string(),
                    ),
                    diff_ids: img.diff_ids().iter().map(ToString::to_string).collect(),
                    size: capas_size,
                };
                let inspect = self.docker.inspect_image(&self.docker_name(image)).await?;
                let docker = facts::image_facts(&serde_json::to_value(&inspect)?)?;
                let what: Vec<&str> = if what.is_empty() {
                    vec!["id", "diff-ids", "size"]
                } else {
                    what.iter().map(String::as_str).collect()
                };
                let mut out = Vec::new();
                for w in what {
                    let (c, d) = match w {
                        "id" => (capas.id.clone(), docker.id.clone()),
                        "diff-ids" => (capas.diff_ids.join(" "), docker.diff_ids.join(" ")),
                        "size" if !facts::sizes_comparable(self.image_store) => continue,
                        "size" => (capas.size.to_string(), docker.size.to_string()),
                        "layer-count" => (
                            capas.diff_ids.len().to_string(),
                            docker.diff_ids.len().to_string(),
                        ),
                        other => bail!("unknown image fact {other:?}"),
                    };
                    out.push(self.fact(format!("{w} of {image}"), c, d));
                }
                out
            }
            FactSpec::History { image } => {
                let store = self.store()?;
                let index = store.index()?;
                let img = Image::load(&store, image::resolve(&index, image)?)?;
                let capas: Vec<String> = img
                    .history(&store, &index)?
                    .iter()
                    .map(|r| facts::history_row(&r.created_by, r.size))
                    .collect();
                let history = self.docker.image_history(&self.docker_name(image)).await?;
                let docker = facts::history_rows(&serde_json::to_value(&history)?);
                vec![self.fact(
                    format!("history of {image}"),
                    capas.join("\n"),
                    docker.join("\n"),
                )]
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
                capas.sort();
                let list = self
                    .docker
                    .list_images(Some(ListImagesOptionsBuilder::default().build()))
                    .await?;
                let docker = facts::images_rows(&serde_json::to_value(&list)?, &self.prefix);
                vec![self.fact("images".into(), capas.join("\n"), docker.join("\n"))]
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
                let mut bytes = Vec::new();
                let mut stream = self
                    .docker
                    .export_container(&self.container_name(container));
                while let Some(chunk) = stream.next().await {
                    bytes.extend_from_slice(&chunk?);
                }
                let docker = facts::tree_of_tar(&bytes)?;
                let (c, d) = facts::tree_difference(&capas, &docker);
                vec![self.fact(format!("merged tree of {container}"), c, d)]
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
                    let mut content = Vec::new();
                    c.open_read(&path)?.read_to_end(&mut content)?;
                    use sha2::Digest as _;
                    format!(
                        "file {:o} {}",
                        e.stat.mode,
                        &hex::encode(sha2::Sha256::digest(&content))[..16]
                    )
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

/// The host's static busybox, if installed.
pub fn static_busybox() -> Option<PathBuf> {
    capas_core::busybox::find_static()
}

/// Makes a runnable one-layer image from the host's static busybox, in `store`, as `tag`.
pub fn busybox_image(store: &Store, tag: &str) -> anyhow::Result<()> {
    let busybox = static_busybox().context(
        "no static busybox: install Debian's busybox-static (apt-get install busybox-static)",
    )?;
    const T: u64 = 1_700_000_000;
    let mut b = TarBuilder::new(Vec::new());
    b.dir("bin", 0o755, T)?;
    let len = std::fs::metadata(&busybox)?.len();
    b.file("bin/busybox", 0o755, T, len, File::open(&busybox)?)?;
    for applet in [
        "cat", "chmod", "cp", "echo", "false", "ln", "ls", "mkdir", "mv", "rm", "rmdir", "sh",
        "touch", "true",
    ] {
        b.symlink(&format!("bin/{applet}"), "busybox", T)?;
    }
    for d in ["dev", "etc", "proc", "srv", "srv/www", "sys"] {
        b.dir(d, 0o755, T)?;
    }
    b.dir("tmp", 0o1777, T)?;
    for (path, text) in [
        ("etc/group", "root:x:0:\n"),
        ("etc/issue", "Welcome\n"),
        ("etc/motd", "hola\n"),
        ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
        ("srv/www/index.html", "<h1>capas</h1>\n"),
    ] {
        b.file(path, 0o644, T, text.len() as u64, text.as_bytes())?;
    }
    let tar = b.finish()?.0;
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["sh"]},
        "created": "2023-11-14T22:13:20Z",
        "history": [{"created": "2023-11-14T22:13:20Z", "created_by": "/bin/sh -c #(nop) ADD busybox-static"}],
    });
    image::commit_layers(
        &store.lock()?,
        [&tar[..]],
        config,
        &[Reference::parse_tagged(tag)?],
    )?;
    Ok(())
}

/// Whether a path holds a capas store (for grading a class: each student's directory).
pub fn is_store(path: &Path) -> bool {
    path.join("oci-layout").exists()
}
