//! The image life cycle over a real store (course sections 6 and 7): `rmi` by name and by ID,
//! conflicts with names and containers, `image prune` of dangling images, garbage collection,
//! `system df`. Each test pulls the built-in samples into its own temporary store and
//! measures the store's files on disk before and after.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use capas_core::container::{self, CommitOptions, Container};
use capas_core::digest::{ChainId, Digest};
use capas_core::distribution;
use capas_core::fsck;
use capas_core::image::{self, Image};
use capas_core::lifecycle::{
    self, Conflict, DeleteRecord, LifecycleError, PruneFilters, PruneOptions, RmiOptions,
};
use capas_core::reference::Reference;
use capas_core::shell::Fs;
use capas_core::store::Store;

const NOW: i64 = 1_709_294_400;

fn new_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("store")).expect("open store");
    (dir, store)
}

fn pull(store: &Store, name: &str) -> Image {
    let locked = store.lock().expect("lock");
    let reference = Reference::parse_tagged(name).expect("reference");
    let report = distribution::pull(&locked, &reference, &mut |_| {}).expect("pull");
    Image::load(store, &report.image).expect("load")
}

fn load(store: &Store, name: &str) -> Image {
    let index = store.index().expect("index");
    Image::load(store, image::resolve(&index, name).expect("resolve")).expect("load")
}

fn tag(store: &Store, source: &str, target: &str) {
    let locked = store.lock().expect("lock");
    let mut index = locked.index().expect("index");
    let id = image::resolve(&index, source).expect("resolve").id.clone();
    index.set_reference(Reference::parse_tagged(target).expect("reference"), &id);
    locked.write_index(&index).expect("write index");
}

fn rmi(store: &Store, name: &str, force: bool) -> Result<lifecycle::RmiReport, LifecycleError> {
    let locked = store.lock().expect("lock");
    lifecycle::rmi(
        &locked,
        name,
        &RmiOptions {
            force,
            no_prune: false,
        },
    )
}

fn lines(records: &[DeleteRecord]) -> Vec<String> {
    records.iter().map(ToString::to_string).collect()
}

fn chains(img: &Image) -> Vec<ChainId> {
    img.layers().iter().map(|l| l.chain_id.clone()).collect()
}

/// Apparent bytes of the regular files under `dir`, each inode once: what the store costs.
fn bytes_on_disk(dir: &Path) -> u64 {
    let mut seen = HashSet::new();
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.path().symlink_metadata().ok())
        .filter(|m| m.is_file() && seen.insert((m.dev(), m.ino())))
        .map(|m| m.len())
        .sum()
}

fn assert_sound(store: &Store) {
    let report = fsck::fsck(store).expect("fsck");
    assert!(report.is_clean(), "{:?}", report.problems);
}

/// A container on `image` whose read/write layer holds one new file.
fn container_with_file(store: &Store, image: &Image, name: &str, content: &[u8]) -> Container {
    let locked = store.lock().expect("lock");
    let mut c = Container::create(&locked, image, Some(name), &[], NOW).expect("create");
    c.write("/data.txt", content, false).expect("write");
    c
}

/// `alpine:3.19` and `mia:1`, committed from a container of it (removed since): a parent and
/// its child.
fn alpine_and_child(store: &Store) -> (Image, Image) {
    let alpine = pull(store, "alpine:3.19");
    let c = container_with_file(store, &alpine, "c1", b"uno\n");
    let child = commit(store, &c, "mia:1");
    let locked = store.lock().expect("lock");
    container::remove(&locked, "c1").expect("rm");
    (alpine, child)
}

fn commit(store: &Store, c: &Container, tag_name: &str) -> Image {
    let locked = store.lock().expect("lock");
    let record = container::commit(
        &locked,
        c,
        &CommitOptions {
            created: NOW,
            tags: vec![Reference::parse_tagged(tag_name).expect("reference")],
            ..CommitOptions::default()
        },
    )
    .expect("commit");
    drop(locked);
    Image::load(store, &record).expect("load")
}

/// Course section 6: alpine, then nginx on alpine; `rmi nginx:stable-alpine3.19` frees
/// nginx's own layers and blobs and nothing of alpine's, which still passes fsck.
#[test]
fn rmi_of_nginx_frees_only_its_own_layers() {
    let (_d, store) = new_store();
    let alpine = pull(&store, "alpine:3.19");
    let nginx = pull(&store, "nginx:stable-alpine3.19");
    assert_eq!(chains(&nginx)[0], chains(&alpine)[0], "the shared layer");
    let before = bytes_on_disk(store.root());

    let report = rmi(&store, "nginx:stable-alpine3.19", false).expect("rmi");

    // Untagged: the tag, then the repo digest of the same repository (its last tag went);
    // Deleted: the image, then nginx's own layers, top first, stopping at alpine's.
    let index_before_digest = nginx
        .record()
        .repo_digests()
        .map(ToString::to_string)
        .collect::<Vec<_>>();
    assert_eq!(index_before_digest.len(), 1);
    let mut expected = vec![
        "Untagged: nginx:stable-alpine3.19".to_string(),
        format!("Untagged: {}", index_before_digest[0]),
        format!("Deleted: {}", nginx.id()),
    ];
    for chain in chains(&nginx).iter().skip(1).rev() {
        expected.push(format!("Deleted: {chain}"));
    }
    assert_eq!(lines(&report.records), expected);

    // On disk: nginx's layers and blobs are gone, alpine's are all there.
    for chain in chains(&nginx).iter().skip(1) {
        assert!(!store.has_layer(chain), "{chain} should be gone");
    }
    for chain in chains(&alpine) {
        assert!(store.has_layer(&chain), "{chain} should stay");
    }
    let alpine_blobs: BTreeSet<Digest> = blobs_of(&alpine);
    let nginx_only: BTreeSet<Digest> = blobs_of(&nginx)
        .difference(&alpine_blobs)
        .cloned()
        .collect();
    let left: BTreeSet<Digest> = store.blobs().expect("blobs").into_iter().collect();
    assert_eq!(left, alpine_blobs);
    assert_eq!(
        report.gc.blobs.iter().cloned().collect::<BTreeSet<_>>(),
        nginx_only
    );
    assert_eq!(report.gc.layers.len(), chains(&nginx).len() - 1);
    // What gc says it removed is what the store lost (plus index.json's shrink).
    let after = bytes_on_disk(store.root());
    let index_shrink = before - after - report.gc.bytes;
    assert!(index_shrink < 2_000, "index.json shrank by {index_shrink}");
    assert_sound(&store);
    assert_eq!(load(&store, "alpine:3.19").id(), alpine.id());
}

fn blobs_of(img: &Image) -> BTreeSet<Digest> {
    let mut out: BTreeSet<Digest> = img
        .layers()
        .iter()
        .map(|l| Digest::from(l.blob.digest()))
        .collect();
    out.insert(img.id().clone());
    out.insert(img.record().manifest.clone());
    out
}

/// Two names on one image: `rmi` of one name only untags; by ID it is refused
/// (`referenced in multiple repositories`) unless forced, which untags all and deletes.
#[test]
fn two_names_untag_first_and_refuse_deletion_by_id() {
    let (_d, store) = new_store();
    let alpine = pull(&store, "alpine:3.19");
    tag(&store, "alpine:3.19", "mia:1");

    let report = rmi(&store, "mia:1", false).expect("rmi mia:1");
    assert_eq!(lines(&report.records), vec!["Untagged: mia:1"]);
    assert_eq!(report.gc, lifecycle::GcReport::default());
    assert_eq!(load(&store, "alpine:3.19").id(), alpine.id());

    tag(&store, "alpine:3.19", "mia:1");
    let err = rmi(&store, alpine.id().short(), false).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories",
            alpine.id().short()
        )
    );
    assert!(matches!(
        err,
        LifecycleError::Conflict {
            reason: Conflict::MultipleRepositories,
            ..
        }
    ));
    // Refused: nothing changed.
    assert_eq!(store.index().expect("index").images.len(), 1);

    let report = rmi(&store, &format!("sha256:{}", &alpine.id().hex()[..8]), true).expect("-f");
    let digest_name = alpine
        .record()
        .repo_digests()
        .next()
        .expect("repo digest")
        .to_string();
    assert_eq!(
        lines(&report.records),
        vec![
            "Untagged: alpine:3.19".to_string(),
            format!("Untagged: {digest_name}"),
            "Untagged: mia:1".to_string(),
            format!("Deleted: {}", alpine.id()),
            format!("Deleted: {}", chains(&alpine)[0]),
        ]
    );
    assert!(store.blobs().expect("blobs").is_empty());
    assert!(store.layers().expect("layers").is_empty());
    assert!(store.index().expect("index").images.is_empty());
    assert_sound(&store);
}

/// Unknown names and prefixes: Docker's `No such image: X:latest`.
#[test]
fn unknown_images_are_no_such_image() {
    let (_d, store) = new_store();
    pull(&store, "alpine:3.19");
    let err = rmi(&store, "nadie", false).unwrap_err();
    assert_eq!(err.to_string(), "No such image: nadie:latest");
    let err = rmi(&store, "0000000000ff", false).unwrap_err();
    assert_eq!(err.to_string(), "No such image: 0000000000ff:latest");
}

/// A stopped container: `rmi NAME` refuses (the name is the image's only one), `rmi ID`
/// refuses (`must be forced`), `rmi -f` deletes the image but no layer (the container
/// stands on them), and the container still works.
#[test]
fn stopped_container_conflicts_and_force() {
    let (_d, store) = new_store();
    let alpine = pull(&store, "alpine:3.19");
    let mut c = container_with_file(&store, &alpine, "c1", b"hola\n");
    {
        let _locked = store.lock().expect("lock");
        c.set_exited(0).expect("exit");
    }
    let cid = c.config().short_id().to_string();
    let short = alpine.id().short().to_string();

    let err = rmi(&store, "alpine:3.19", false).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "conflict: unable to remove repository reference \"alpine:3.19\" (must force) - container {cid} is using its referenced image {short}"
        )
    );
    let err = rmi(&store, &short, false).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "conflict: unable to delete {short} (must be forced) - image is being used by stopped container {cid}"
        )
    );
    assert_eq!(store.index().expect("index").images.len(), 1);

    let report = rmi(&store, &short, true).expect("rmi -f");
    let digest_name = alpine
        .record()
        .repo_digests()
        .next()
        .expect("repo digest")
        .to_string();
    assert_eq!(
        lines(&report.records),
        vec![
            "Untagged: alpine:3.19".to_string(),
            format!("Untagged: {digest_name}"),
            format!("Deleted: {}", alpine.id()),
        ]
    );
    // The blobs went (no image needs them), the unpacked layer stayed (the container does).
    assert!(store.blobs().expect("blobs").is_empty());
    assert!(store.has_layer(&chains(&alpine)[0]));
    let reopened = Container::open(&store, "c1").expect("container still there");
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut reopened.open_read("/data.txt").expect("its file"),
        &mut text,
    )
    .expect("read");
    assert_eq!(text, "hola\n");
    assert!(reopened.open_read("/etc/os-release").is_ok());

    // Once the container is removed, gc takes the layer too.
    let locked = store.lock().expect("lock");
    container::remove(&locked, "c1").expect("rm");
    let gc = lifecycle::gc(&locked).expect("gc");
    assert_eq!(gc.layers, chains(&alpine));
    assert!(store.layers().expect("layers").is_empty());
}

/// An image made from another (commit) is its child: the parent cannot be deleted by ID
/// even with -f; by name it is only untagged; deleting the child takes the untagged parent
/// along unless `no_prune`.
#[test]
fn children_protect_parents_and_prune_takes_them_along() {
    let (_d, store) = new_store();
    let (alpine, child) = alpine_and_child(&store);
    let short = alpine.id().short().to_string();
    let err = rmi(&store, &short, true).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "conflict: unable to delete {short} (cannot be forced) - image has dependent child images"
        )
    );
    // By name: the names go, the image stays (it has a child).
    let report = rmi(&store, "alpine:3.19", false).expect("untag");
    assert_eq!(report.records.len(), 2, "{:?}", lines(&report.records));
    assert!(report.records.iter().all(DeleteRecord::is_untag));
    assert!(
        store
            .index()
            .expect("index")
            .images
            .contains_key(alpine.id())
    );

    // Deleting the child deletes the untagged parent too, layers top first.
    let report = rmi(&store, "mia:1", false).expect("rmi child");
    let child_chains = chains(&child);
    assert_eq!(
        lines(&report.records),
        vec![
            "Untagged: mia:1".to_string(),
            format!("Deleted: {}", child.id()),
            format!("Deleted: {}", child_chains[1]),
            format!("Deleted: {}", alpine.id()),
            format!("Deleted: {}", child_chains[0]),
        ]
    );
    assert!(store.index().expect("index").images.is_empty());
    assert!(store.blobs().expect("blobs").is_empty());
    assert!(store.layers().expect("layers").is_empty());
}

/// `--no-prune` keeps the untagged parent.
#[test]
fn no_prune_keeps_untagged_parents() {
    let (_d, store) = new_store();
    let (alpine, child) = alpine_and_child(&store);
    let locked = store.lock().expect("lock");
    lifecycle::rmi(&locked, "alpine:3.19", &RmiOptions::default()).expect("untag");
    let report = lifecycle::rmi(
        &locked,
        "mia:1",
        &RmiOptions {
            force: false,
            no_prune: true,
        },
    )
    .expect("rmi");
    assert_eq!(
        lines(&report.records),
        vec![
            "Untagged: mia:1".to_string(),
            format!("Deleted: {}", child.id()),
            format!("Deleted: {}", chains(&child)[1]),
        ]
    );
    assert!(
        store
            .index()
            .expect("index")
            .images
            .contains_key(alpine.id())
    );
    drop(locked);
    assert_sound(&store);
}

/// Course section 7: rebuild a tag (commit again under the same name): the old image is
/// dangling; `image prune` removes it, and the bytes it reports are exactly what the store
/// lost on disk. The tagged images are untouched.
#[test]
fn prune_removes_the_dangling_image_and_reports_the_bytes_freed() {
    let (_d, store) = new_store();
    let alpine = pull(&store, "alpine:3.19");
    let c1 = container_with_file(&store, &alpine, "v1", &[b'1'; 5_000]);
    let v1 = commit(&store, &c1, "mia:1");
    let c2 = container_with_file(&store, &alpine, "v2", &[b'2'; 7_000]);
    let v2 = commit(&store, &c2, "mia:1");
    {
        let locked = store.lock().expect("lock");
        container::remove(&locked, "v1").expect("rm");
        container::remove(&locked, "v2").expect("rm");
    }
    assert!(
        store.index().expect("index").images[v1.id()]
            .references
            .is_empty(),
        "v1 is dangling"
    );
    let before = bytes_on_disk(store.root());

    let locked = store.lock().expect("lock");
    let report = lifecycle::prune(&locked, &PruneOptions::default()).expect("prune");
    drop(locked);
    assert_eq!(
        lines(&report.records),
        vec![
            format!("Deleted: {}", v1.id()),
            format!("Deleted: {}", chains(&v1)[1]),
        ]
    );
    // Docker's number: the layer's size as Docker counts it (5000 bytes of file).
    assert_eq!(report.layers_size, 5_000);
    // capas's number: what really left the disk.
    let after = bytes_on_disk(store.root());
    assert_eq!(report.freed, before - after);
    assert!(report.freed > 5_000);
    assert!(store.has_layer(&chains(&v2)[1]));
    assert_eq!(load(&store, "mia:1").id(), v2.id());
    assert_sound(&store);

    // Nothing dangling any more: a second prune deletes nothing and frees nothing.
    let locked = store.lock().expect("lock");
    let again = lifecycle::prune(&locked, &PruneOptions::default()).expect("prune");
    assert!(again.records.is_empty());
    assert_eq!(again.freed, 0);
}

/// Moving a tag to another image leaves the old one known only by its repo digest: dangling
/// for `image prune`, which untags the digest and deletes it.
#[test]
fn prune_after_a_tag_moves() {
    let (_d, store) = new_store();
    let alpine = pull(&store, "alpine:3.19");
    let busybox = pull(&store, "busybox:latest");
    tag(&store, "busybox:latest", "alpine:3.19");
    let before = bytes_on_disk(store.root());
    let locked = store.lock().expect("lock");
    let report = lifecycle::prune(&locked, &PruneOptions::default()).expect("prune");
    drop(locked);
    let digest_name = alpine
        .record()
        .repo_digests()
        .next()
        .expect("digest")
        .to_string();
    assert_eq!(
        lines(&report.records),
        vec![
            format!("Untagged: {digest_name}"),
            format!("Deleted: {}", alpine.id()),
            format!("Deleted: {}", chains(&alpine)[0]),
        ]
    );
    assert_eq!(report.freed, before - bytes_on_disk(store.root()));
    assert_eq!(load(&store, "alpine:3.19").id(), busybox.id());
    assert_sound(&store);
}

/// `-a` removes every image no container uses; `until=` and `label=` narrow it.
#[test]
fn prune_all_spares_images_with_containers_and_honours_filters() {
    let (_d, store) = new_store();
    let alpine = pull(&store, "alpine:3.19");
    let busybox = pull(&store, "busybox:latest");
    let hello = pull(&store, "hello-world:latest");
    {
        let locked = store.lock().expect("lock");
        Container::create(&locked, &busybox, Some("usa-busybox"), &[], NOW).expect("create");
    }
    let prune = |options: PruneOptions| {
        let locked = store.lock().expect("lock");
        lifecycle::prune(&locked, &options).expect("prune")
    };
    // until= before every image's creation date: nothing qualifies.
    let oldest = [&alpine, &busybox, &hello]
        .iter()
        .filter_map(|i| i.created())
        .min()
        .expect("dates");
    let report = prune(PruneOptions {
        all: true,
        filters: PruneFilters::parse(&[format!("until={}", oldest - 1)], NOW).expect("filters"),
    });
    assert!(report.records.is_empty());
    // A label no image has: nothing.
    let report = prune(PruneOptions {
        all: true,
        filters: PruneFilters::parse(&["label=capas.test=1"], NOW).expect("filters"),
    });
    assert!(report.records.is_empty());
    // -a: alpine and hello-world go, busybox stays (a container uses it).
    let report = prune(PruneOptions {
        all: true,
        filters: PruneFilters::default(),
    });
    let deleted: BTreeSet<String> = report
        .records
        .iter()
        .filter_map(|r| match r {
            DeleteRecord::DeletedImage(id) => Some(id.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        deleted,
        [alpine.id().to_string(), hello.id().to_string()]
            .into_iter()
            .collect()
    );
    let left: Vec<Digest> = store
        .index()
        .expect("index")
        .images
        .keys()
        .cloned()
        .collect();
    assert_eq!(left, vec![busybox.id().clone()]);
    assert_sound(&store);
}

/// gc removes blobs and layers nothing refers to, and only those; a blob or layer an image
/// needs survives, and a crash between writing index.json and gc leaves only garbage.
#[test]
fn gc_removes_only_unreferenced_things() {
    let (_d, store) = new_store();
    let alpine = pull(&store, "alpine:3.19");
    let nginx = pull(&store, "nginx:stable-alpine3.19");
    // Nothing is garbage yet.
    let locked = store.lock().expect("lock");
    assert_eq!(
        lifecycle::gc(&locked).expect("gc"),
        lifecycle::GcReport::default()
    );
    // Simulate a crash after index.json lost nginx: its files are garbage, alpine's are not.
    let mut index = locked.index().expect("index");
    index.images.remove(nginx.id());
    locked.write_index(&index).expect("write");
    // A stray blob, as a crash in the middle of a pull might leave.
    let stray = locked.put_blob(b"stray bytes", None).expect("blob");
    let before = bytes_on_disk(store.root());
    let report = lifecycle::gc(&locked).expect("gc");
    assert_eq!(report.bytes, before - bytes_on_disk(store.root()));
    assert!(report.blobs.contains(&stray.digest));
    assert!(report.blobs.contains(nginx.id()));
    assert!(!report.blobs.contains(alpine.id()));
    // Layers go children first.
    let expected: Vec<ChainId> = chains(&nginx).into_iter().skip(1).rev().collect();
    assert_eq!(report.layers, expected);
    drop(locked);
    assert_sound(&store);
    assert_eq!(
        store
            .blobs()
            .expect("blobs")
            .into_iter()
            .collect::<BTreeSet<_>>(),
        blobs_of(&alpine)
    );
}

/// `system df`: SIZE counts shared layers in each image, SHARED SIZE is the shared part,
/// UNIQUE the rest; the layers total counts each layer once.
#[test]
fn disk_usage_counts_shared_layers_as_docker_does() {
    let (_d, store) = new_store();
    let alpine = pull(&store, "alpine:3.19");
    let nginx = pull(&store, "nginx:stable-alpine3.19");
    let c = container_with_file(&store, &alpine, "c1", &[b'x'; 1_234]);
    let usage = lifecycle::disk_usage(&store).expect("df");
    let alpine_size = alpine.size(&store).expect("size");
    let nginx_size = nginx.size(&store).expect("size");
    assert_eq!(usage.images.len(), 2);
    let a = usage
        .images
        .iter()
        .find(|i| &i.record.id == alpine.id())
        .expect("alpine row");
    let n = usage
        .images
        .iter()
        .find(|i| &i.record.id == nginx.id())
        .expect("nginx row");
    assert_eq!(a.size, alpine_size);
    assert_eq!(a.shared_size, alpine_size, "alpine's only layer is shared");
    assert_eq!(a.unique_size(), 0);
    assert_eq!(n.shared_size, alpine_size);
    assert_eq!(n.unique_size(), nginx_size - alpine_size);
    assert_eq!(usage.layers_size, nginx_size);
    assert_eq!((a.containers, n.containers), (1, 0));
    assert_eq!(usage.active_images(), 1);
    // 20.10 CLI: all layers minus what only in-use images have (alpine has nothing unique).
    assert_eq!(usage.images_reclaimable(), nginx_size);
    assert_eq!(usage.containers.len(), 1);
    assert_eq!(usage.containers[0].config.id, c.id());
    assert_eq!(usage.containers[0].size_rw, 1_234);
    assert_eq!(usage.containers_reclaimable(), 1_234);
    assert_eq!(usage.active_containers(), 0);
}

/// The store directory is measured by inode: sanity check of the helper the tests rely on.
#[test]
fn bytes_on_disk_counts_hard_links_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("a"), [0u8; 100]).expect("write");
    fs::hard_link(dir.path().join("a"), dir.path().join("b")).expect("link");
    assert_eq!(bytes_on_disk(dir.path()), 100);
}

/// `rmi repo@sha256:…` removes only that digest name while a tag remains; the tag's removal
/// then deletes the image.
#[test]
fn rmi_by_repo_digest_only_untags_it() {
    let (_d, store) = new_store();
    let alpine = pull(&store, "alpine:3.19");
    let digest_name = alpine
        .record()
        .repo_digests()
        .next()
        .expect("repo digest")
        .to_string();
    let report = rmi(&store, &digest_name, false).expect("rmi digest");
    assert_eq!(
        lines(&report.records),
        vec![format!("Untagged: {digest_name}")]
    );
    assert_eq!(load(&store, "alpine:3.19").id(), alpine.id());
    let report = rmi(&store, "alpine:3.19", false).expect("rmi tag");
    assert_eq!(
        lines(&report.records),
        vec![
            "Untagged: alpine:3.19".to_string(),
            format!("Deleted: {}", alpine.id()),
            format!("Deleted: {}", chains(&alpine)[0]),
        ]
    );
}
