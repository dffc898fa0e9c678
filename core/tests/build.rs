//! `capas build` in the engine (issue 4): the issue's "Done when" recipe on the alpine sample,
//! the build cache, reproducible image IDs, the instructions' effects on layers and config,
//! and the bad inputs that must fail with the Dockerfile's line and leave nothing tagged.

use std::collections::BTreeMap;
use std::fs;

use capas_core::build::{self, BuildError, BuildOptions, Built, Progress};
use capas_core::distribution;
use capas_core::image::{self, Image};
use capas_core::layer;
use capas_core::reference::Reference;
use capas_core::store::Store;
use capas_core::union::UnionView;

const NOW: i64 = 1_709_294_400; // 2024-03-01T12:00:00Z

const DONE_WHEN: &str = r#"FROM alpine:3.19
RUN mkdir -p /app && echo hola > /app/x
COPY index.html /usr/share/nginx/html/
ENV A=b
CMD ["cat","/app/x"]
"#;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    context: std::path::PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(dir.path().join("store")).expect("store");
    {
        let locked = store.lock().expect("lock");
        let alpine = Reference::parse_tagged("alpine:3.19").expect("ref");
        distribution::pull(&locked, &alpine, &mut |_| {}).expect("pull alpine");
    }
    let context = dir.path().join("ctx");
    fs::create_dir(&context).expect("ctx");
    fs::write(context.join("index.html"), "<h1>hola</h1>\n").expect("index");
    Fixture {
        _dir: dir,
        store,
        context,
    }
}

fn options(f: &Fixture, dockerfile: &str, tag: &str) -> BuildOptions {
    BuildOptions {
        dockerfile: dockerfile.to_string(),
        dockerfile_name: "Dockerfile".into(),
        context: f.context.clone(),
        tags: vec![Reference::parse_tagged(tag).expect("tag")],
        now: NOW,
        ..BuildOptions::default()
    }
}

fn run(f: &Fixture, opts: &BuildOptions) -> (Result<Built, BuildError>, Vec<Progress>) {
    let locked = f.store.lock().expect("lock");
    let mut events = Vec::new();
    let result = build::build(&locked, opts, &mut |e| events.push(e));
    (result, events)
}

fn ok(f: &Fixture, opts: &BuildOptions) -> (Built, Vec<Progress>) {
    let (r, e) = run(f, opts);
    (r.expect("build"), e)
}

fn image(f: &Fixture, built: &Built) -> Image {
    Image::load(&f.store, &built.record).expect("load")
}

/// (created_by, size, empty_layer, comment) of the newest `n` history rows, oldest first.
fn new_rows(f: &Fixture, img: &Image, n: usize) -> Vec<(String, u64, bool, String)> {
    let index = f.store.index().expect("index");
    let mut rows: Vec<_> = img
        .history(&f.store, &index)
        .expect("history")
        .into_iter()
        .take(n)
        .map(|r| (r.created_by, r.size, r.empty_layer, r.comment))
        .collect();
    rows.reverse();
    rows
}

fn step_lines(events: &[Progress]) -> Vec<String> {
    let mut names = BTreeMap::new();
    let mut out = Vec::new();
    for e in events {
        match e {
            Progress::Start { vertex, name } => {
                names.insert(*vertex, name.clone());
            }
            Progress::Cached { vertex } => out.push(format!("CACHED {}", names[vertex])),
            Progress::Done { vertex }
                if names[vertex].starts_with("[") && !names[vertex].starts_with("[internal]") =>
            {
                out.push(format!("DONE {}", names[vertex]))
            }
            _ => {}
        }
    }
    out
}

#[test]
fn done_when_recipe_builds_with_buildkit_history() {
    let f = fixture();
    let (built, events) = ok(&f, &options(&f, DONE_WHEN, "web:1"));
    let img = image(&f, &built);
    let comment = build::HISTORY_COMMENT.to_string();
    assert_eq!(
        new_rows(&f, &img, 4),
        vec![
            (
                "RUN /bin/sh -c mkdir -p /app && echo hola > /app/x # buildkit".to_string(),
                5,
                false,
                comment.clone()
            ),
            (
                "COPY index.html /usr/share/nginx/html/ # buildkit".to_string(),
                14,
                false,
                comment.clone()
            ),
            ("ENV A=b".to_string(), 0, true, comment.clone()),
            (r#"CMD ["cat" "/app/x"]"#.to_string(), 0, true, comment),
        ]
    );
    // alpine has one layer; RUN and COPY add one each.
    assert_eq!(img.layers().len(), 3);
    let config = img.config().config().clone().expect("runtime config");
    assert_eq!(
        config.cmd().clone(),
        Some(vec!["cat".to_string(), "/app/x".to_string()])
    );
    assert!(
        config
            .env()
            .clone()
            .unwrap_or_default()
            .contains(&"A=b".to_string())
    );
    // The files are where the recipe put them.
    let view = UnionView::of_image(&f.store, &img).expect("view");
    assert_eq!(view.read("/app/x").expect("x"), b"hola\n");
    assert_eq!(
        view.read("/usr/share/nginx/html/index.html")
            .expect("index"),
        b"<h1>hola</h1>\n"
    );
    // Named, no local parent (BuildKit), progress shows both steps run.
    assert_eq!(
        built
            .record
            .tags()
            .map(|t| t.to_string())
            .collect::<Vec<_>>(),
        ["web:1"]
    );
    assert_eq!(built.record.parent, None);
    assert_eq!(
        step_lines(&events),
        [
            "DONE [1/3] FROM docker.io/library/alpine:3.19",
            "DONE [2/3] RUN mkdir -p /app && echo hola > /app/x",
            "DONE [3/3] COPY index.html /usr/share/nginx/html/",
        ]
    );
    // The COPY layer holds the file and its parent directories, owned by root.
    let top = img.layers().last().expect("top");
    let blob = f.store.read_blob(&top.blob.digest().into()).expect("blob");
    let entries: Vec<(String, u64)> = layer::list(&blob[..])
        .expect("list")
        .into_iter()
        .map(|e| (e.path, e.uid))
        .collect();
    assert_eq!(
        entries,
        [
            ("usr".to_string(), 0),
            ("usr/share".to_string(), 0),
            ("usr/share/nginx".to_string(), 0),
            ("usr/share/nginx/html".to_string(), 0),
            ("usr/share/nginx/html/index.html".to_string(), 0),
        ]
    );
}

#[test]
fn rebuild_is_all_cached_and_the_same_image() {
    let f = fixture();
    let opts = options(&f, DONE_WHEN, "web:1");
    let (first, _) = ok(&f, &opts);
    let mut later = opts.clone();
    later.now += 3600;
    let (second, events) = ok(&f, &later);
    assert_eq!(second.steps_run, 0);
    assert_eq!(second.steps_cached, 2);
    assert_eq!(
        step_lines(&events),
        [
            "DONE [1/3] FROM docker.io/library/alpine:3.19",
            "CACHED [2/3] RUN mkdir -p /app && echo hola > /app/x",
            "CACHED [3/3] COPY index.html /usr/share/nginx/html/",
        ]
    );
    assert_eq!(
        second.record.id, first.record.id,
        "cached steps keep their times"
    );

    // --no-cache runs everything again (an hour later: a new image).
    later.no_cache = true;
    let (third, _) = ok(&f, &later);
    assert_eq!(third.steps_run, 2);
    assert_ne!(third.record.id, first.record.id);
}

#[test]
fn changing_a_copied_file_rebuilds_from_that_step_and_leaves_the_old_image_dangling() {
    let f = fixture();
    let opts = options(&f, DONE_WHEN, "web:1");
    let (first, _) = ok(&f, &opts);
    fs::write(f.context.join("index.html"), "<h1>adiós</h1>\n").expect("edit");
    let (second, events) = ok(&f, &opts);
    assert_eq!(
        step_lines(&events),
        [
            "DONE [1/3] FROM docker.io/library/alpine:3.19",
            "CACHED [2/3] RUN mkdir -p /app && echo hola > /app/x",
            "DONE [3/3] COPY index.html /usr/share/nginx/html/",
        ]
    );
    assert_ne!(second.record.id, first.record.id);
    assert_eq!(second.untagged, vec![first.record.id.clone()]);
    let index = f.store.index().expect("index");
    let old = &index.images[&first.record.id];
    assert!(old.references.is_empty(), "the old image is <none> now");
    // Same RUN layer, new COPY layer.
    let (a, b) = (image(&f, &first), image(&f, &second));
    assert_eq!(a.layers()[1], b.layers()[1]);
    assert_ne!(a.layers()[2], b.layers()[2]);
}

#[test]
fn same_source_date_epoch_same_image_id() {
    let build_in_fresh_store = |now: i64| {
        let f = fixture();
        let mut opts = options(&f, DONE_WHEN, "web:1");
        opts.now = now;
        opts.source_date_epoch = Some(1_700_000_000);
        let (built, _) = ok(&f, &opts);
        let img = image(&f, &built);
        let rows = new_rows(&f, &img, 4);
        let index = f.store.index().expect("index");
        let created: Vec<Option<i64>> = img
            .history(&f.store, &index)
            .expect("history")
            .into_iter()
            .take(4)
            .map(|r| r.created)
            .collect();
        (built.record.id, rows, created, img.created())
    };
    let (id1, rows1, created1, c1) = build_in_fresh_store(NOW);
    let (id2, rows2, _, _) = build_in_fresh_store(NOW + 86_400);
    assert_eq!(id1, id2);
    assert_eq!(rows1, rows2);
    assert_eq!(created1, vec![Some(1_700_000_000); 4]);
    assert_eq!(c1, Some(1_700_000_000));
}

#[test]
fn workdir_makes_a_real_zero_byte_layer_and_metadata_goes_to_the_config() {
    let f = fixture();
    let dockerfile = r#"FROM alpine:3.19
ARG VERSION=1.0
WORKDIR /app
WORKDIR /tmp
RUN echo $VERSION > v
LABEL org.example.version=$VERSION demo=1
EXPOSE 80 53/udp
USER nobody
VOLUME /data
STOPSIGNAL SIGTERM
ENTRYPOINT ["cat"]
CMD ["/tmp/v"]
"#;
    let (built, _) = ok(&f, &options(&f, dockerfile, "meta:1"));
    let img = image(&f, &built);
    let rows: Vec<(String, u64, bool)> = new_rows(&f, &img, 11)
        .into_iter()
        .map(|(c, s, e, _)| (c, s, e))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("ARG VERSION=1.0".to_string(), 0, true),
            ("WORKDIR /app".to_string(), 0, false),
            ("WORKDIR /tmp".to_string(), 0, false),
            (
                "RUN |1 VERSION=1.0 /bin/sh -c echo $VERSION > v # buildkit".to_string(),
                4,
                false
            ),
            ("LABEL org.example.version=1.0 demo=1".to_string(), 0, true),
            ("EXPOSE map[53/udp:{} 80/tcp:{}]".to_string(), 0, true),
            ("USER nobody".to_string(), 0, true),
            ("VOLUME [/data]".to_string(), 0, true),
            ("STOPSIGNAL SIGTERM".to_string(), 0, true),
            (r#"ENTRYPOINT ["cat"]"#.to_string(), 0, true),
            (r#"CMD ["/tmp/v"]"#.to_string(), 0, true),
        ]
    );
    let view = UnionView::of_image(&f.store, &img).expect("view");
    assert_eq!(view.read("/tmp/v").expect("v"), b"1.0\n");
    assert!(view.lookup("/app").is_some_and(|e| e.metadata.is_dir()));
    let config: serde_json::Value = serde_json::from_slice(img.config_bytes()).expect("json");
    let c = &config["config"];
    assert_eq!(c["WorkingDir"], "/tmp");
    assert_eq!(c["User"], "nobody");
    assert_eq!(c["Labels"]["org.example.version"], "1.0");
    assert_eq!(
        c["ExposedPorts"],
        serde_json::json!({"80/tcp": {}, "53/udp": {}})
    );
    assert_eq!(c["Volumes"], serde_json::json!({"/data": {}}));
    assert_eq!(c["StopSignal"], "SIGTERM");
    assert_eq!(c["Entrypoint"], serde_json::json!(["cat"]));
    assert_eq!(c["Cmd"], serde_json::json!(["/tmp/v"]));
    // --build-arg wins over the default.
    let mut opts = options(&f, dockerfile, "meta:2");
    opts.build_args.insert("VERSION".into(), "2.0".into());
    opts.labels.insert("extra".into(), "yes".into());
    let (built, _) = ok(&f, &opts);
    let img = image(&f, &built);
    let view = UnionView::of_image(&f.store, &img).expect("view");
    assert_eq!(view.read("/tmp/v").expect("v"), b"2.0\n");
    let config: serde_json::Value = serde_json::from_slice(img.config_bytes()).expect("json");
    assert_eq!(config["config"]["Labels"]["extra"], "yes");
}

#[test]
fn copy_honours_dockerignore_chown_chmod_dirs_and_stages() {
    let f = fixture();
    let ctx = &f.context;
    fs::create_dir_all(ctx.join("site/css")).expect("mkdir");
    fs::write(ctx.join("site/index.html"), "i\n").expect("w");
    fs::write(ctx.join("site/css/a.css"), "a\n").expect("w");
    fs::write(ctx.join("site/debug.log"), "secret\n").expect("w");
    fs::write(ctx.join(".dockerignore"), "**/*.log\n").expect("w");
    // A tar for ADD to extract.
    let mut tb = layer::TarBuilder::new(Vec::new());
    tb.dir("pkg", 0o755, 1).expect("dir");
    tb.file("pkg/readme", 0o644, 1, 3, &b"hi\n"[..])
        .expect("file");
    let (tar, _) = tb.finish().expect("tar");
    fs::write(ctx.join("pkg.tar"), tar).expect("w");
    let dockerfile = r#"FROM alpine:3.19 AS build
RUN mkdir /out && echo built > /out/result
FROM alpine:3.19
COPY --chown=1000:1000 --chmod=600 site/ /srv/
COPY --from=build /out/result /result
ADD pkg.tar /opt/
"#;
    let (built, events) = ok(&f, &options(&f, dockerfile, "site:1"));
    let names: Vec<String> = step_lines(&events);
    assert!(
        names.contains(&"DONE [build 2/2] RUN mkdir /out && echo built > /out/result".to_string()),
        "{names:?}"
    );
    let img = image(&f, &built);
    let view = UnionView::of_image(&f.store, &img).expect("view");
    assert_eq!(view.read("/srv/index.html").expect("i"), b"i\n");
    assert_eq!(view.read("/srv/css/a.css").expect("a"), b"a\n");
    assert!(view.lookup("/srv/debug.log").is_none(), ".dockerignore");
    assert_eq!(view.read("/result").expect("r"), b"built\n");
    assert_eq!(view.read("/opt/pkg/readme").expect("readme"), b"hi\n");
    // Only the final stage's layers: alpine + 3 COPY/ADD layers.
    assert_eq!(img.layers().len(), 4);
    let copy_layer = &img.layers()[1];
    let blob = f
        .store
        .read_blob(&copy_layer.blob.digest().into())
        .expect("blob");
    let entries: Vec<(String, u32, u64)> = layer::list(&blob[..])
        .expect("list")
        .into_iter()
        .map(|e| (e.path, e.mode, e.uid))
        .collect();
    assert_eq!(
        entries,
        [
            ("srv".to_string(), 0o755, 0),
            ("srv/css".to_string(), 0o600, 1000),
            ("srv/css/a.css".to_string(), 0o600, 1000),
            ("srv/index.html".to_string(), 0o600, 1000),
        ]
    );
    let rows = new_rows(&f, &img, 3);
    assert_eq!(
        rows[0].0, "COPY site/ /srv/ # buildkit",
        "flags are not echoed, as in Docker 20.10's BuildKit"
    );
    assert_eq!(rows[1].0, "COPY /out/result /result # buildkit");
    assert_eq!(rows[2].0, "ADD pkg.tar /opt/ # buildkit");
}

fn fails(f: &Fixture, dockerfile: &str) -> String {
    let before = f.store.index().expect("index");
    let (result, _) = run(f, &options(f, dockerfile, "bad:1"));
    let err = match result {
        Ok(_) => panic!("{dockerfile} should fail"),
        Err(e) => e.to_string(),
    };
    let after = f.store.index().expect("index");
    assert_eq!(before, after, "a failed build names nothing: {err}");
    let tag = Reference::parse_tagged("bad:1").expect("ref");
    assert!(image::resolve(&after, &tag.to_string()).is_err());
    err
}

#[test]
fn bad_input_fails_with_the_line_and_tags_nothing() {
    let f = fixture();
    fs::write(f.context.parent().expect("parent").join("outside.txt"), "x").expect("w");
    assert_eq!(
        fails(&f, "FROM alpine:3.19\nRUN true\nFOO bar\n"),
        "dockerfile parse error line 3: unknown instruction: FOO"
    );
    assert_eq!(
        fails(&f, "FROM alpine:3.19\nENV A=\"open\n"),
        "Dockerfile:2: ENV: unexpected end of statement while looking for matching double-quote"
    );
    assert_eq!(
        fails(&f, "FROM alpine:3.19\nCOPY missing.txt /x\n"),
        "Dockerfile:2: COPY failed: file not found in build context or excluded by .dockerignore: missing.txt"
    );
    assert_eq!(
        fails(&f, "FROM alpine:3.19\n\nCOPY ../outside.txt /x\n"),
        "Dockerfile:3: COPY failed: forbidden path outside the build context: ../outside.txt"
    );
    let err = fails(&f, "FROM nosuchimage:1\nRUN true\n");
    assert!(
        err.starts_with("Dockerfile:1: FROM nosuchimage:1: pull access denied for nosuchimage"),
        "{err}"
    );
    assert_eq!(
        fails(
            &f,
            "FROM alpine:3.19\nRUN echo ok\nRUN false\nRUN echo never\n"
        ),
        "Dockerfile:3: The command '/bin/sh -c false' returned a non-zero code: 1"
    );
    // A failed build leaves no temporary container behind.
    assert!(
        capas_core::container::list(&f.store)
            .expect("containers")
            .is_empty()
    );
}

#[test]
fn a_failed_build_does_not_move_an_existing_tag() {
    let f = fixture();
    let (good, _) = ok(&f, &options(&f, DONE_WHEN, "web:1"));
    let (result, _) = run(&f, &options(&f, "FROM alpine:3.19\nRUN exit 3\n", "web:1"));
    assert_eq!(
        result.expect_err("fails").to_string(),
        "Dockerfile:2: The command '/bin/sh -c exit 3' returned a non-zero code: 3"
    );
    let index = f.store.index().expect("index");
    assert_eq!(
        image::resolve(&index, "web:1").expect("still there").id,
        good.record.id
    );
}
