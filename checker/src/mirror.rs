//! Mirroring: a student's Docker daemon copied into a capas store, so that the labs' own
//! checks can grade exercises done with `docker` (`checker grade --docker`).
//!
//! The checks read a capas store. Rather than write them a second time for Docker, the
//! checker makes a temporary store that holds what the daemon holds, and runs the same checks
//! on it:
//!
//! * **images**, read with one `docker save` (`GET /images/get`) streamed to a temporary file
//!   and loaded with [`capas_core::archive::load`], which keeps Docker's image IDs, tags and
//!   parent links;
//! * **containers**, each made again in capas from the same image, then Docker's changes
//!   (`docker diff`) replayed on it ([`replay`]);
//! * the IDs the daemon has for the **sample names** (`checks::DOCKER_SAMPLE_IDS`), since
//!   Docker Hub's `alpine:3.19` is not the sample capas generates.
//!
//! Only what a lab can ask about is read ([`wanted_image`], [`lab_container`]): a student's
//! daemon may hold gigabytes of images no check looks at, and saving them all on every
//! grading would be slow for nothing.
//!
//! The daemon is live: an image or a container removed between the listing and the reading is
//! skipped, not an error.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufReader, Seek as _, SeekFrom, Write as _};

use anyhow::Context as _;
use bollard::Docker;
use bollard::errors::Error as DockerError;
use bollard::models::{ChangeType, ContainerSummary, ImageSummary};
use bollard::query_parameters::{
    ContainerArchiveInfoOptionsBuilder, DownloadFromContainerOptionsBuilder,
    ListContainersOptionsBuilder, ListImagesOptionsBuilder,
};
use capas_core::container::{self, Container};
use capas_core::digest::Digest;
use capas_core::image::Image;
use capas_core::reference::Reference;
use capas_core::samples;
use capas_core::shell::{FileKind, Fs as _};
use capas_core::store::Store;
use capas_labs::lab::checks;
use futures_util::StreamExt as _;

/// What [`mirror`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Images loaded into the store.
    pub images: usize,
    /// Containers made again in the store.
    pub containers: usize,
}

/// Copies into `store` (a new, empty one) the images and containers of the daemon that the
/// labs can ask about, and records the IDs the daemon has for the sample names.
pub async fn mirror(docker: &Docker, store: &Store) -> anyhow::Result<Summary> {
    let listed = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default().all(true).build(),
        ))
        .await
        .context("listing Docker's containers")?;
    let containers: Vec<(&ContainerSummary, String)> = listed
        .iter()
        .filter_map(|c| Some((c, lab_container(c)?)))
        .collect();
    let images = docker
        .list_images(Some(ListImagesOptionsBuilder::default().all(true).build()))
        .await
        .context("listing Docker's images")?;
    let mut names: Vec<String> = images.iter().flat_map(wanted_image).collect();
    // The images of the lab containers, by ID: a container may outlive its image's name.
    names.extend(containers.iter().filter_map(|(c, _)| c.image_id.clone()));
    names.sort();
    names.dedup();
    let loaded = copy_images(docker, store, &names).await?;
    record_sample_ids(store)?;
    let mut made = 0;
    for (c, name) in &containers {
        let Some(id) = &c.id else { continue };
        if copy_container(docker, store, id, name).await?.is_some() {
            made += 1;
        }
    }
    Ok(Summary {
        images: loaded,
        containers: made,
    })
}

/// The names `docker save` is given for an image the labs can ask about, or none: its tags
/// that are a sample's name or in a `labNN/…` repository, and its ID when it has no tag at
/// all (labs 7 and 8 look at dangling images and at untagged parents).
pub fn wanted_image(image: &ImageSummary) -> Vec<String> {
    let tags: Vec<&String> = image
        .repo_tags
        .iter()
        .filter(|t| t.as_str() != "<none>:<none>")
        .collect();
    if tags.is_empty() {
        return vec![image.id.clone()];
    }
    tags.into_iter()
        .filter(|t| {
            Reference::parse_tagged(t).is_ok_and(|r| samples::find(&r).is_some())
                || is_lab_name(t, '/')
        })
        .cloned()
        .collect()
}

/// The name of a container the labs can ask about (`lab01-luna`), or `None`.
pub fn lab_container(c: &ContainerSummary) -> Option<String> {
    c.names
        .iter()
        .flatten()
        .map(|n| n.trim_start_matches('/'))
        .find(|n| is_lab_name(n, '-'))
        .map(str::to_string)
}

/// `labNN` then `sep`: the names the labs give their exercises (`lab01/luna:42`, `lab03-luna`).
fn is_lab_name(name: &str, sep: char) -> bool {
    let b = name.as_bytes();
    b.len() > 6
        && name.starts_with("lab")
        && b[3].is_ascii_digit()
        && b[4].is_ascii_digit()
        && b[5] == sep as u8
}

/// Whether a daemon error says the object is not there (any more).
fn gone(e: &DockerError) -> bool {
    matches!(
        e,
        DockerError::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// Saves `names` (tags or IDs) from the daemon in one archive, streamed to a temporary file,
/// and loads it into `store`; returns how many images were loaded. A name that no longer
/// exists fails the whole `docker save`, so on an error the names are checked one by one and
/// the save is tried again without the vanished ones.
pub async fn copy_images(
    docker: &Docker,
    store: &Store,
    names: &[String],
) -> anyhow::Result<usize> {
    let mut names = names.to_vec();
    let mut attempt = 0;
    let file = loop {
        if names.is_empty() {
            return Ok(0);
        }
        attempt += 1;
        match save_to_temp(docker, &names).await {
            Ok(file) => break file,
            Err(_) if attempt < 3 => {
                let mut still = Vec::new();
                for n in names {
                    match docker.inspect_image(&n).await {
                        Err(e) if gone(&e) => {}
                        _ => still.push(n),
                    }
                }
                names = still;
            }
            Err(e) => return Err(e),
        }
    };
    let locked = store.lock()?;
    let report = capas_core::archive::load(&locked, BufReader::new(file))
        .context("loading Docker's images into the mirror store")?;
    Ok(report.images.len())
}

/// `GET /images/get?names=…` into an anonymous temporary file, rewound.
async fn save_to_temp(docker: &Docker, names: &[String]) -> anyhow::Result<std::fs::File> {
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut file = tempfile::tempfile().context("creating a temporary file")?;
    let mut stream = docker.export_images(&refs);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.context("saving Docker's images")?;
        file.write_all(&chunk).context("writing the saved images")?;
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(file)
}

/// Records, for each sample name the store holds, the ID it has there (see
/// `checks::DOCKER_SAMPLE_IDS`). Only an image with as many layers as the sample counts: a
/// name the student moved to an image of their own (`docker tag lab02/luna:v2 alpine:3.19`)
/// must not become "the sample".
fn record_sample_ids(store: &Store) -> anyhow::Result<()> {
    let index = store.index()?;
    let mut ids = BTreeMap::new();
    for sample in samples::catalog() {
        let Some(record) = index.by_reference(&sample.reference()) else {
            continue;
        };
        let img = Image::load(store, record)?;
        if img.diff_ids().len() == sample.diff_ids().len() {
            ids.insert(sample.name().to_string(), record.id.clone());
        }
    }
    checks::record_docker_sample_ids(store, &ids)
}

/// Makes Docker container `id` again in `store` under `name`: the same image, command, time
/// and state, then its changes replayed. `None` when the container or its image is gone.
pub async fn copy_container(
    docker: &Docker,
    store: &Store,
    id: &str,
    name: &str,
) -> anyhow::Result<Option<Container>> {
    let filters = HashMap::from([("id".to_string(), vec![id.to_string()])]);
    let listed = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&filters)
                .build(),
        ))
        .await?;
    let Some(created) = listed.first().and_then(|c| c.created) else {
        return Ok(None);
    };
    let inspect = match docker.inspect_container(id, None).await {
        Ok(i) => i,
        Err(e) if gone(&e) => return Ok(None),
        Err(e) => return Err(e).context(format!("inspecting container {name}")),
    };
    let changes = match docker.container_changes(id).await {
        Ok(c) => c.unwrap_or_default(),
        Err(e) if gone(&e) => return Ok(None),
        Err(e) => return Err(e).context(format!("reading the changes of container {name}")),
    };
    let Some(image_id) = inspect.image.as_deref().and_then(|i| Digest::parse(i).ok()) else {
        return Ok(None);
    };
    // Docker's `Cmd`: capas puts the image's entrypoint before it, as Docker did.
    let cmd: Vec<String> = inspect
        .config
        .as_ref()
        .and_then(|c| c.cmd.clone())
        .unwrap_or_default();
    let locked = store.lock()?;
    let index = locked.index()?;
    let Some(record) = index.images.get(&image_id) else {
        return Ok(None);
    };
    let img = Image::load(&locked, record)?;
    let mut c = Container::create(&locked, &img, Some(name), &cmd, created)?;
    let state = inspect.state.unwrap_or_default();
    if state.status == Some(bollard::models::ContainerStateStatusEnum::EXITED) {
        let code = i32::try_from(state.exit_code.unwrap_or(0)).unwrap_or(-1);
        c.set_exited(code)?;
    }
    let changes: Vec<(ChangeType, String)> =
        changes.into_iter().map(|c| (c.kind, c.path)).collect();
    match replay(docker, id, &mut c, &changes).await {
        Ok(()) => {}
        Err(e) if e.downcast_ref::<DockerError>().is_some_and(gone) => {
            container::remove(&locked, c.id())?;
            return Ok(None);
        }
        Err(e) => return Err(e.context(format!("copying the changes of container {name}"))),
    }
    Ok(Some(c))
}

/// Replays Docker container `id`'s changes (`docker diff`) on capas container `c`, a new
/// container of the same image, so that `capas diff` says what `docker diff` says.
///
/// The order matters: opaque directories first, then deletions, then what was added or
/// changed, parents before children (sorted paths put them there).
///
/// * `rm -r d && mkdir d` leaves an **opaque** directory in Docker's read/write layer.
///   `docker diff` cannot tell it apart from `C d` plus a `D` for each old child, and it does
///   not even list every old child (Docker 20.10 on fuse-overlayfs leaves some out). So for
///   each changed directory of the image, Docker is asked about the image's children that
///   are not listed as deleted (one request is enough when the first is still there): if
///   none is, the directory is removed and made again in capas, which makes it opaque as
///   overlayfs does (lab 3 checks for the marker).
/// * `D`: removed (a deleted directory is listed once, its children with it).
/// * `A`/`C`: looked at with `HEAD /containers/{id}/archive`; a directory is made (or its
///   mode set), a symlink made again, a regular file fetched with `GET /containers/{id}/archive`
///   (a tar, streamed through a temporary file) and written with its mode and mtime. Other
///   kinds (devices, pipes) are left out.
pub async fn replay(
    docker: &Docker,
    id: &str,
    c: &mut Container,
    changes: &[(ChangeType, String)],
) -> anyhow::Result<()> {
    let deleted: BTreeSet<&str> = changes
        .iter()
        .filter(|(k, _)| *k == ChangeType::_2)
        .map(|(_, p)| p.as_str())
        .collect();
    let mut present: Vec<&str> = changes
        .iter()
        .filter(|(k, _)| *k != ChangeType::_2)
        .map(|(_, p)| p.as_str())
        .collect();
    present.sort();

    // opaque directories: decided before anything changes, while `c` still shows the image
    let mut opaque: Vec<&str> = Vec::new();
    for &dir in &present {
        if opaque.iter().any(|o| under(dir, o)) {
            continue;
        }
        if !c.lstat(dir).is_ok_and(|s| s.kind == FileKind::Dir) {
            continue;
        }
        let children: Vec<String> = c
            .read_dir(dir)?
            .into_iter()
            .map(|e| child(dir, &e.name))
            .collect();
        // Not only directories with a `D` child listed: Docker may list none of them.
        if children.is_empty() {
            continue;
        }
        let mut all_gone = true;
        for p in children.iter().filter(|p| !deleted.contains(p.as_str())) {
            if stat(docker, id, p).await?.is_some() {
                all_gone = false;
                break;
            }
        }
        if all_gone {
            opaque.push(dir);
        }
    }
    for &dir in &opaque {
        let mode = match stat(docker, id, dir).await? {
            Some(s) => permissions(s.file_mode),
            None => continue,
        };
        c.remove_all(dir)?;
        c.mkdir(dir, mode)?;
    }

    // deletions
    for &path in &deleted {
        if opaque.iter().any(|o| under(path, o)) {
            continue;
        }
        match c.remove_all(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).context(format!("removing {path}")),
        }
    }

    // additions and changes, parents first
    for &path in &present {
        if opaque.contains(&path) {
            continue;
        }
        let Some(s) = stat(docker, id, path).await? else {
            continue;
        };
        let mode = permissions(s.file_mode);
        let existing = c.lstat(path).ok().map(|st| st.kind);
        if s.file_mode & GO_DIR != 0 {
            match existing {
                Some(FileKind::Dir) => {
                    if c.lstat(path)?.mode & 0o7777 != mode {
                        c.chmod(path, mode)?;
                    }
                }
                other => {
                    if other.is_some() {
                        c.remove_all(path)?;
                    }
                    c.mkdir(path, mode)?;
                }
            }
        } else if s.file_mode & GO_SYMLINK != 0 {
            if existing.is_some() {
                c.remove_all(path)?;
            }
            c.symlink(&s.link_target, path)?;
        } else if s.file_mode & GO_TYPE_BITS == 0 {
            if existing.is_some_and(|k| k != FileKind::File) {
                c.remove_all(path)?;
            }
            copy_file(docker, id, c, path, mode).await?;
        }
    }
    Ok(())
}

/// Go's `os.FileMode` bits, in which Docker's path stat answers.
const GO_DIR: u32 = 1 << 31;
const GO_SYMLINK: u32 = 1 << 27;
/// Every type bit (dir, append-only, exclusive, temporary, symlink, device, pipe, socket,
/// char device, irregular): none of them is set for a regular file.
const GO_TYPE_BITS: u32 =
    (1 << 31) | (1 << 27) | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19);

/// Unix permission bits from a Go `os.FileMode` (setuid, setgid and sticky are bits of their own).
fn permissions(go: u32) -> u32 {
    let mut mode = go & 0o777;
    if go & (1 << 23) != 0 {
        mode |= 0o4000;
    }
    if go & (1 << 22) != 0 {
        mode |= 0o2000;
    }
    if go & (1 << 20) != 0 {
        mode |= 0o1000;
    }
    mode
}

/// What Docker's container has at `path` (not following a last symlink), or `None`.
async fn stat(
    docker: &Docker,
    id: &str,
    path: &str,
) -> anyhow::Result<Option<bollard::container::PathStatResponse>> {
    let options = ContainerArchiveInfoOptionsBuilder::default()
        .path(path)
        .build();
    match docker.get_container_archive_info(id, Some(options)).await {
        Ok(s) => Ok(Some(s)),
        Err(e) if gone(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Fetches the regular file `path` from Docker's container (a one-entry tar, streamed to a
/// temporary file) and writes it into `c` with `mode` and its mtime.
async fn copy_file(
    docker: &Docker,
    id: &str,
    c: &mut Container,
    path: &str,
    mode: u32,
) -> anyhow::Result<()> {
    let options = DownloadFromContainerOptionsBuilder::default()
        .path(path)
        .build();
    let mut stream = docker.download_from_container(id, Some(options));
    let mut tmp = tempfile::tempfile()?;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => tmp.write_all(&bytes)?,
            // Deleted since the listing: nothing to copy.
            Err(e) if gone(&e) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    tmp.seek(SeekFrom::Start(0))?;
    let mut archive = tar::Archive::new(BufReader::new(tmp));
    let Some(entry) = archive.entries()?.next() else {
        return Ok(());
    };
    let mut entry = entry?;
    if !entry.header().entry_type().is_file() {
        return Ok(());
    }
    let mtime = entry.header().mtime()?;
    c.write_from(path, &mut entry, false)
        .with_context(|| format!("writing {path}"))?;
    c.chmod(path, mode)?;
    c.set_mtime(path, i64::try_from(mtime).unwrap_or(0))?;
    Ok(())
}

/// Whether `path` is `dir` or below it.
fn under(path: &str, dir: &str) -> bool {
    path == dir || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// `dir` + `/` + `name`, for the root too.
fn child(dir: &str, name: &str) -> String {
    format!("{}/{name}", dir.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_names_are_told_apart() {
        assert!(is_lab_name("lab01/luna:42", '/'));
        assert!(is_lab_name("lab03-luna", '-'));
        assert!(!is_lab_name("lab03/luna", '-'));
        assert!(!is_lab_name("labx1-luna", '-'));
        assert!(!is_lab_name("postgres:16", '/'));
    }

    #[test]
    fn untagged_image_is_wanted_by_id_and_other_names_are_not() {
        let untagged = ImageSummary {
            id: "sha256:ab".into(),
            repo_tags: vec!["<none>:<none>".into()],
            ..Default::default()
        };
        assert_eq!(wanted_image(&untagged), ["sha256:ab"]);
        let mixed = ImageSummary {
            id: "sha256:cd".into(),
            repo_tags: vec![
                "alpine:3.19".into(),
                "postgres:16".into(),
                "lab02/luna:v2".into(),
            ],
            ..Default::default()
        };
        assert_eq!(wanted_image(&mixed), ["alpine:3.19", "lab02/luna:v2"]);
    }

    #[test]
    fn go_file_mode_bits_become_unix_ones() {
        assert_eq!(permissions(GO_DIR | (1 << 20) | 0o777), 0o1777);
        assert_eq!(permissions(0o644), 0o644);
        assert_eq!(permissions((1 << 23) | 0o755), 0o4755);
    }

    #[test]
    fn a_path_is_under_itself_and_its_parents_only() {
        assert!(under("/etc/apk/x", "/etc/apk"));
        assert!(under("/etc/apk", "/etc/apk"));
        assert!(!under("/etc/apk2", "/etc/apk"));
        assert_eq!(child("/", "etc"), "/etc");
    }
}
