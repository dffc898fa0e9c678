//! The pictures of the decks, drawn from a store's real state at their point of the deck —
//! never by hand — so that a picture says what the commands before it made:
//!
//! | directive | picture | course section |
//! | --- | --- | --- |
//! | `stack CONTAINER` | the image's read-only layers, the container's read/write layer on top, and what is in it: each copy-up (from which layer) and each whiteout (hiding what, in which layer) | 2.5 |
//! | `shared IMAGE IMAGE…` | the images side by side; the layers they have in common drawn once, across them | 4 |
//! | `savings CONTAINER` | lab 6's measures: the images' sizes added up against the layers kept once; the container's read/write layer against a copy of its image | 5 |
//!
//! Sizes are Docker's (`capas images`, `capas system df`): what the layers hold, as overlay2
//! counts it. Layers are named as `capas why` names them: their index from the bottom and the
//! short chain ID.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context as _, bail};
use capas_core::container::Container;
use capas_core::digest::ChainId;
use capas_core::image::{self, Image};
use capas_core::store::Store;
use capas_core::union::Why;
use capas_labs::format::size3;

use crate::deck::Picture;
use crate::svg::{self, Svg};

/// The words of the pictures, in the deck's language.
struct Words {
    rw: &'static str,
    rw_note: [&'static str; 2],
    ro_note: &'static str,
    empty: &'static str,
    layer: &'static str,
    copy_up: &'static str,
    copied_from: &'static str,
    whiteout: &'static str,
    hides_in: &'static str,
    opaque: &'static str,
    opaque_note: &'static str,
    added: &'static str,
    replaced: &'static str,
    untouched: &'static str,
    still_there: &'static str,
    more: &'static str,
    legend: &'static str,
    layers: &'static str,
    shared: &'static str,
    images_say: &'static str,
    store_keeps: &'static str,
    storage: &'static str,
    sum_sizes: &'static str,
    layers_once: &'static str,
    saved: &'static str,
    speed: &'static str,
    new_container: &'static str,
    copy: &'static str,
    files: &'static str,
}

const EN: Words = Words {
    rw: "container layer (read/write)",
    rw_note: ["one per container,", "removed with it"],
    ro_note: "read-only layers: never written, shared by every container of the image",
    empty: "empty: nothing written yet",
    layer: "layer",
    copy_up: "copy-up",
    copied_from: "copied whole from layer",
    whiteout: "whiteout",
    hides_in: "hides it in layer",
    opaque: "opaque",
    opaque_note: "hides what the layers below have in it",
    added: "added",
    replaced: "replaces the one of layer",
    untouched: "still here, untouched",
    still_there: "still here, hidden",
    more: "more",
    legend: "C: copy-up (copied whole, then changed) · D: whiteout (a mark that hides)",
    layers: "layers",
    shared: "shared: stored once",
    images_say: "images adds up",
    store_keeps: "the store keeps each layer once",
    storage: "Storage",
    sum_sizes: "the images' sizes added up",
    layers_once: "the layers in the store, each once",
    saved: "saved",
    speed: "A new container",
    new_container: "its read/write layer",
    copy: "a copy of its image",
    files: "files",
};

const ES: Words = Words {
    rw: "capa del contenedor (lectura/escritura)",
    rw_note: ["una por contenedor,", "se borra con él"],
    ro_note: "capas de solo lectura: nunca se escriben; las comparten todos sus contenedores",
    empty: "vacía: aún no se ha escrito nada",
    layer: "capa",
    copy_up: "copy-up",
    copied_from: "copiado entero de la capa",
    whiteout: "whiteout",
    hides_in: "lo oculta en la capa",
    opaque: "opaco",
    opaque_note: "oculta lo que las capas de abajo tienen dentro",
    added: "añadido",
    replaced: "sustituye al de la capa",
    untouched: "sigue aquí, intacto",
    still_there: "sigue aquí, oculto",
    more: "más",
    legend: "C: copy-up (se copia entero y se cambia) · D: whiteout (una marca que oculta)",
    layers: "capas",
    shared: "compartida: se guarda una vez",
    images_say: "images suma",
    store_keeps: "el almacén guarda cada capa una vez",
    storage: "Almacenamiento",
    sum_sizes: "los tamaños de las imágenes, sumados",
    layers_once: "las capas del almacén, una vez cada una",
    saved: "ahorrado",
    speed: "Un contenedor nuevo",
    new_container: "su capa de lectura/escritura",
    copy: "una copia de su imagen",
    files: "archivos",
};

fn words(lang: &str) -> &'static Words {
    match lang {
        "es" => &ES,
        _ => &EN,
    }
}

/// Draws a deck's picture from the store at `store` (the deck's store, as its commands left
/// it so far).
pub fn draw(store: &Path, lang: &str, picture: &Picture) -> anyhow::Result<String> {
    let store = Store::open(store).context("opening the deck's store")?;
    let w = words(lang);
    match (picture.kind.as_str(), picture.args.as_slice()) {
        ("stack", [container]) => stack(&store, w, container),
        ("shared", images) if images.len() >= 2 => shared(&store, w, images),
        ("savings", [container]) => savings(&store, w, container),
        (kind, _) => bail!(
            "no picture `{kind}` with {} argument(s): `stack CONTAINER`, `shared IMAGE IMAGE…` or `savings CONTAINER`",
            picture.args.len()
        ),
    }
}

/// One layer as the pictures label it.
struct LayerInfo {
    chain: ChainId,
    size: u64,
    /// The history step that made it (`ADD file:… in /`), if the image says.
    step: String,
}

/// An image's layers, bottom first, with the step of its history that made each.
fn layers_of(store: &Store, img: &Image) -> anyhow::Result<Vec<LayerInfo>> {
    let index = store.index()?;
    let mut steps: Vec<String> = img
        .history(store, &index)?
        .into_iter()
        .rev()
        .filter(|row| !row.empty_layer)
        .map(|row| step_text(&row.created_by))
        .collect();
    steps.resize(img.layers().len(), String::new());
    img.layers()
        .iter()
        .zip(steps)
        .map(|(l, step)| {
            Ok(LayerInfo {
                chain: l.chain_id.clone(),
                size: store.layer(&l.chain_id)?.size,
                step,
            })
        })
        .collect()
}

/// A history step as a line: the shell prefix Docker's legacy builder writes goes, and
/// runs of spaces become one.
fn step_text(created_by: &str) -> String {
    let text = created_by
        .trim_start_matches("/bin/sh -c #(nop) ")
        .trim_start_matches("/bin/sh -c ");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn short(chain: &ChainId) -> String {
    chain.digest().short().to_string()
}

fn load_image(store: &Store, name: &str) -> anyhow::Result<Image> {
    let index = store.index()?;
    let record = image::resolve(&index, name).with_context(|| format!("no image {name}"))?;
    Ok(Image::load(store, record)?)
}

/// What the read/write layer holds, one line each.
enum Item {
    CopyUp { path: String, layer: usize },
    Whiteout { path: String, layer: Option<usize> },
    Opaque { path: String },
    Added { path: String },
    Replaced { path: String, layer: usize },
}

impl Item {
    fn path(&self) -> &str {
        match self {
            Item::CopyUp { path, .. }
            | Item::Whiteout { path, .. }
            | Item::Opaque { path }
            | Item::Added { path }
            | Item::Replaced { path, .. } => path,
        }
    }
}

/// The entries of a container's read/write layer (files, whiteouts, opaque markers; the
/// directories that only hold them are left out), by path.
fn rw_items(c: &Container, layers: &[LayerInfo]) -> anyhow::Result<Vec<Item>> {
    let upper = c.upper_dir();
    let mut items = Vec::new();
    for entry in walkdir::WalkDir::new(&upper)
        .sort_by_file_name()
        .min_depth(1)
    {
        let entry = entry?;
        let rel = entry.path().strip_prefix(&upper)?;
        let path = format!("/{}", rel.display());
        let name = entry.file_name().to_string_lossy().to_string();
        let parent = match path.rfind('/') {
            Some(0) | None => "/".to_string(),
            Some(i) => path[..i].to_string(),
        };
        let in_image = |p: &str| match c.image_view().why(p) {
            Ok(Why::Visible { layer, .. }) => Some(layer.index),
            _ => None,
        };
        if name == ".wh..wh..opq" {
            items.push(Item::Opaque { path: parent });
        } else if let Some(hidden) = name.strip_prefix(".wh.") {
            let target = format!("{}/{hidden}", parent.trim_end_matches('/'));
            items.push(Item::Whiteout {
                layer: in_image(&target),
                path: target,
            });
        } else if entry.file_type().is_dir() {
            continue;
        } else if let Some(up) = c.copy_ups().iter().find(|u| u.path == path) {
            let layer = layers
                .iter()
                .position(|l| l.chain.to_string() == up.layer || short(&l.chain) == up.layer)
                .or_else(|| in_image(&path))
                .unwrap_or(0);
            items.push(Item::CopyUp { path, layer });
        } else if let Some(layer) = in_image(&path) {
            items.push(Item::Replaced { path, layer });
        } else {
            items.push(Item::Added { path });
        }
    }
    items.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(items)
}

/// The most read/write entries a stack lists.
const MAX_ITEMS: usize = 7;

/// A container's layer stack: read/write on top, the image's read-only layers below it, and
/// what each copy-up and whiteout refers to.
fn stack(store: &Store, w: &Words, name: &str) -> anyhow::Result<String> {
    let c = Container::open(store, name).with_context(|| format!("no container {name}"))?;
    let index = store.index()?;
    let img = index
        .images
        .get(&c.config().image)
        .map(|record| Image::load(store, record))
        .transpose()?;
    let image_name = img
        .as_ref()
        .and_then(|i| i.record().tags().next().map(|r| r.to_string()))
        .unwrap_or_else(|| c.config().image.short().to_string());
    let layers = match &img {
        Some(img) => layers_of(store, img)?,
        None => c
            .config()
            .layers
            .iter()
            .map(|chain| {
                Ok(LayerInfo {
                    chain: chain.clone(),
                    size: store.layer(chain)?.size,
                    step: String::new(),
                })
            })
            .collect::<anyhow::Result<_>>()?,
    };
    let items = rw_items(&c, &layers)?;

    const LEFT: i32 = 20;
    const BOX_W: i32 = 640;
    const ROW: i32 = 30;
    const LINE: i32 = 22;
    let shown = items.len().min(MAX_ITEMS);
    let rw_lines = shown.max(1) as i32 + i32::from(items.len() > MAX_ITEMS);
    let rw_h = 34 + LINE * rw_lines;
    let top = 56;
    let stack_top = top + rw_h + 16;
    let height = stack_top + ROW * layers.len() as i32 + 66;
    let mut s = Svg::new(920, height);

    s.text(
        LEFT,
        32,
        &format!("{name} = {image_name} + {}", w.rw),
        "big",
    );

    // The read/write layer and what is in it.
    s.rect(LEFT, top, BOX_W, rw_h, "rw");
    s.text(
        LEFT + 10,
        top + 22,
        &format!("{} {}  {}", w.layer, layers.len(), w.rw),
        "bold",
    );
    let layer_y = |i: usize| stack_top + ROW * (layers.len() - 1 - i) as i32;
    let mut arrows = Vec::new();
    if items.is_empty() {
        s.text(LEFT + 24, top + 22 + LINE, w.empty, "muted");
    }
    for (k, item) in items.iter().take(MAX_ITEMS).enumerate() {
        let y = top + 22 + LINE * (k as i32 + 1);
        let (letter, note, class, target) = match item {
            Item::CopyUp { layer, .. } => (
                "C",
                format!("{}: {} {layer}", w.copy_up, w.copied_from),
                "cowt",
                Some((*layer, "cow", w.untouched)),
            ),
            Item::Whiteout { path, layer } => (
                "D",
                match layer {
                    Some(l) => format!("{} .wh.{}: {} {l}", w.whiteout, base(path), w.hides_in),
                    None => format!("{} .wh.{}", w.whiteout, base(path)),
                },
                "wht",
                layer.map(|l| (l, "wh", w.still_there)),
            ),
            Item::Opaque { .. } => ("", format!("{}: {}", w.opaque, w.opaque_note), "wht", None),
            Item::Added { .. } => ("A", w.added.to_string(), "muted", None),
            Item::Replaced { layer, .. } => ("C", format!("{} {layer}", w.replaced), "muted", None),
        };
        s.text(
            LEFT + 24,
            y,
            &format!("{letter:1} {}", svg::fit(item.path(), 30)),
            "bold",
        );
        s.text(
            LEFT + 300,
            y,
            &svg::fit(&note, 40),
            &format!("small {class}"),
        );
        if let Some((layer, class, label)) = target {
            arrows.push((y, layer, class, label, item.path().to_string()));
        }
    }
    if items.len() > MAX_ITEMS {
        let y = top + 22 + LINE * (MAX_ITEMS as i32 + 1);
        s.text(
            LEFT + 24,
            y,
            &format!("… {} {}", items.len() - MAX_ITEMS, w.more),
            "muted",
        );
    }
    s.text(LEFT + BOX_W + 16, top + 22, w.rw_note[0], "small muted");
    s.text(LEFT + BOX_W + 16, top + 38, w.rw_note[1], "small muted");

    // The image's layers, top one first.
    for (i, layer) in layers.iter().enumerate() {
        let y = layer_y(i);
        s.rect(LEFT, y, BOX_W, ROW - 4, "ro");
        s.text(LEFT + 10, y + 18, &format!("{} {i}", w.layer), "small bold");
        s.text(LEFT + 70, y + 18, &short(&layer.chain), "small");
        s.text(LEFT + 180, y + 18, &size3(layer.size), "small");
        s.text(
            LEFT + 250,
            y + 18,
            &svg::fit(&layer.step, 50),
            "small muted",
        );
    }
    let bottom = stack_top + ROW * layers.len() as i32 - 4;
    s.text(LEFT, bottom + 22, w.ro_note, "small muted");

    // Each copy-up and whiteout points at the layer whose file it concerns; that file stays
    // there, which the label beside the layer says. A copy-up goes up from its layer; a
    // whiteout looks down at the file it hides.
    for (k, (y, layer, class, label, path)) in arrows.iter().enumerate() {
        let x = LEFT + BOX_W - 12 - 14 * k as i32;
        let ly = layer_y(*layer);
        if *class == "cow" {
            s.arrow(x, ly, x, y - 4, class);
        } else {
            s.arrow(x, y - 4, x, ly, class);
        }
        let text = format!("{}: {label}", svg::fit(base(path), 14));
        s.text(
            LEFT + BOX_W + 16,
            ly + 18,
            &text,
            &format!("small {class}t"),
        );
    }
    s.text(LEFT, height - 18, w.legend, "small muted");
    Ok(s.finish(&format!("{name}: {image_name} + {}", w.rw)))
}

/// The last component of a path.
fn base(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Images side by side; the layers they all have, at the bottom, drawn once across them.
fn shared(store: &Store, w: &Words, names: &[String]) -> anyhow::Result<String> {
    let mut images = Vec::new();
    for name in names {
        let img = load_image(store, name)?;
        let layers = layers_of(store, &img)?;
        images.push((name.clone(), img.size(store)?, layers));
    }
    // The common prefix: a chain ID names a layer *and everything below it*, so the layers
    // two images share are always the bottom ones.
    let common = (0..)
        .take_while(|&i| {
            let first = images[0].2.get(i).map(|l| &l.chain);
            first.is_some()
                && images
                    .iter()
                    .all(|(_, _, ls)| ls.get(i).map(|l| &l.chain) == first)
        })
        .count();

    const LEFT: i32 = 20;
    const COL: i32 = 400;
    const GAP: i32 = 30;
    const ROW: i32 = 28;
    let n = images.len() as i32;
    let width = LEFT * 2 + COL * n + GAP * (n - 1);
    let tallest = images.iter().map(|(_, _, l)| l.len()).max().unwrap_or(0) as i32;
    let top = 70;
    let bottom = top + ROW * tallest;
    let height = bottom + 70;
    let mut s = Svg::new(width, height);

    for (k, (name, size, layers)) in images.iter().enumerate() {
        let x = LEFT + (COL + GAP) * k as i32;
        s.text(x, 30, name, "big");
        s.text(
            x,
            50,
            &format!(
                "{} {}, {}",
                layers.len(),
                if layers.len() == 1 { w.layer } else { w.layers },
                size3(*size)
            ),
            "small muted",
        );
        for (i, layer) in layers.iter().enumerate().skip(common) {
            let y = bottom - ROW * (i as i32 + 1);
            s.rect(x, y, COL, ROW - 4, "ro");
            s.text(x + 8, y + 17, &format!("{i}"), "small bold");
            s.text(x + 28, y + 17, &short(&layer.chain), "small");
            s.text(x + 134, y + 17, &size3(layer.size), "small");
            s.text(x + 196, y + 17, &svg::fit(&layer.step, 28), "small muted");
        }
    }
    for i in 0..common {
        let layer = &images[0].2[i];
        let y = bottom - ROW * (i as i32 + 1);
        s.rect(LEFT, y, width - 2 * LEFT, ROW - 4, "shared");
        s.text(LEFT + 8, y + 17, &format!("{i}"), "small bold");
        s.text(LEFT + 28, y + 17, &short(&layer.chain), "small bold");
        s.text(LEFT + 134, y + 17, &size3(layer.size), "small");
        s.text(
            LEFT + 196,
            y + 17,
            &svg::fit(&layer.step, 34),
            "small muted",
        );
        s.text(
            width - LEFT - 10,
            y + 17,
            w.shared,
            "small bold end sharedt",
        );
    }

    // What `images` adds up against what the store holds.
    let mut seen = BTreeSet::new();
    let mut once = 0;
    for (_, _, layers) in &images {
        for l in layers {
            if seen.insert(l.chain.clone()) {
                once += l.size;
            }
        }
    }
    let sizes: Vec<String> = images.iter().map(|(_, size, _)| size3(*size)).collect();
    let sum: u64 = images.iter().map(|(_, size, _)| size).sum();
    s.text(
        LEFT,
        bottom + 28,
        &format!("{}: {} = {}", w.images_say, sizes.join(" + "), size3(sum)),
        "",
    );
    s.text(
        LEFT,
        bottom + 50,
        &format!("{}: {}", w.store_keeps, size3(once)),
        "bold sharedt",
    );
    Ok(s.finish(&format!("{}: {}", names.join(" + "), w.shared)))
}

/// Lab 6's two measures, as bars: storage (the images' sizes added up, against each layer
/// once) and a new container (its read/write layer, against a copy of its image).
fn savings(store: &Store, w: &Words, name: &str) -> anyhow::Result<String> {
    let usage = capas_core::lifecycle::disk_usage(store)?;
    let sum: u64 = usage.images.iter().map(|i| i.size).sum();
    let once = usage.layers_size;
    let c = Container::open(store, name).with_context(|| format!("no container {name}"))?;
    let rw = usage
        .containers
        .iter()
        .find(|u| u.config.id == c.id())
        .map(|u| u.size_rw)
        .unwrap_or(0);
    let rw_files = walkdir::WalkDir::new(c.upper_dir())
        .min_depth(1)
        .into_iter()
        .flatten()
        .filter(|e| !e.file_type().is_dir())
        .count();
    // A copy of the image: every regular file the container sees, bytes as `images` counts.
    let (mut files, mut bytes) = (0u64, 0u64);
    c.image_view().walk(&mut |_, entry| {
        if entry.metadata.is_file() {
            files += 1;
            bytes += entry.metadata.len();
        }
    })?;

    const LEFT: i32 = 20;
    const LABEL: i32 = 330;
    const BAR: i32 = 440;
    let width = LEFT * 2 + LABEL + BAR + 200;
    let scale = |v: u64| -> i32 {
        let max = sum.max(bytes).max(1);
        ((v as u128 * BAR as u128) / max as u128) as i32
    };
    let mut s = Svg::new(width, 330);
    s.text(LEFT, 32, w.storage, "big");
    // The images' sizes, one segment each, then the layers once.
    let mut x = LEFT + LABEL;
    s.text(LEFT, 70, w.sum_sizes, "");
    for (k, image) in usage.images.iter().enumerate() {
        let len = scale(image.size).max(1);
        s.rect(x, 54, len, 24, if k % 2 == 0 { "bar" } else { "bar2" });
        x += len;
    }
    s.text(x + 8, 70, &size3(sum), "bold");
    s.text(LEFT, 108, w.layers_once, "");
    let len = scale(once).max(1);
    s.rect(LEFT + LABEL, 92, len, 24, "bar");
    s.text(LEFT + LABEL + len + 8, 108, &size3(once), "bold");
    let names: Vec<String> = usage
        .images
        .iter()
        .map(|i| {
            let tag = i
                .record
                .tags()
                .next()
                .map(|r| r.to_string())
                .unwrap_or_default();
            format!("{tag} {}", size3(i.size))
        })
        .collect();
    s.text(
        LEFT + LABEL,
        136,
        &svg::fit(&names.join(" + "), 60),
        "small muted",
    );
    s.text(
        LEFT,
        136,
        &format!("{}: {}", w.saved, size3(sum.saturating_sub(once))),
        "bold cowt",
    );

    s.text(LEFT, 192, &format!("{}: {name}", w.speed), "big");
    s.text(LEFT, 230, w.new_container, "");
    let len = scale(rw).max(2);
    s.rect(LEFT + LABEL, 214, len, 24, "bar3");
    s.text(
        LEFT + LABEL + len + 8,
        230,
        &format!("{} ({rw_files} {})", size3(rw), w.files),
        "bold",
    );
    s.text(LEFT, 268, w.copy, "");
    let len = scale(bytes).max(1);
    s.rect(LEFT + LABEL, 252, len, 24, "bar");
    s.text(
        LEFT + LABEL + len + 8,
        268,
        &format!("{} ({files} {})", size3(bytes), w.files),
        "bold",
    );
    s.text(LEFT, 310, &capas_image(store, &c)?, "small muted");
    Ok(s.finish(&format!("{}, {}", w.storage, w.speed)))
}

/// `container → image` as a caption.
fn capas_image(store: &Store, c: &Container) -> anyhow::Result<String> {
    let index = store.index()?;
    let image = index
        .images
        .get(&c.config().image)
        .and_then(|r| r.tags().next().map(|t| t.to_string()))
        .unwrap_or_else(|| c.config().image.short().to_string());
    Ok(format!("{} → {image}", c.name()))
}
