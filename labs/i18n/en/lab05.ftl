lab05-title = ═══ Lab 5 · An image based on Alpine: the shared layer ═══
lab05-intro =
    This walk-through uses a new, empty store of its own (inside yours, under labs/), so that
    you see a first download. First, alpine:3.19: one layer.
lab05-second =
    Now nginx:stable-alpine3.19, an image built on alpine:3.19.
lab05-already =
    Look at the first layer: `Already exists`. It is alpine's layer, identical byte for byte
    (the same sha256): it was in the store already, so it is not downloaded again. Only
    nginx's own layers come down.
lab05-same-layer =
    The same layer serves both images: /bin/busybox comes, in both, from layer 3ad8e7515831.
    On disk it is there once.
lab05-sizes =
    `images` gives each image its whole size (nginx includes alpine's 7.38MB), but in the
    store those bytes are not repeated: `fsck` counts the blobs really there, about 43.8MB,
    not the 7.38MB + 43.3MB = 50.7MB that two separate copies would take.
lab05-summary =
    Layers common to images are downloaded once and stored once. That is why building on a
    well-known base (alpine, debian) comes cheap.
lab05-exercises = ─── Exercises ───
lab05-ex1 =
    In your store, make an image `lab05/{ $word }:1` that is nginx:stable-alpine3.19 plus one
    layer (any change): it will share all of nginx's layers.
lab05-ex2 =
    Save alpine:3.19 and nginx:stable-alpine3.19 into one single file
    /tmp/lab05-{ $word }.tar with `capas save`. Look inside (`tar tf`): the shared layer is
    there once.
lab05-ex1-no-image = There is no image `lab05/{ $word }:1`. Look at `capas images`.
lab05-ex1-wrong-base = `lab05/{ $word }:1` should be nginx:stable-alpine3.19 plus one layer. Look at `capas history lab05/{ $word }:1`.
lab05-ex2-no-archive = There is no /tmp/lab05-{ $word }.tar.
lab05-ex2-not-archive = /tmp/lab05-{ $word }.tar is not an archive made by `capas save` (no manifest.json).
lab05-ex2-missing-image = { $image } is missing from /tmp/lab05-{ $word }.tar: save both images into the same file.
lab05-ex2-not-shared = The images in /tmp/lab05-{ $word }.tar share no layer: did you save alpine:3.19 and nginx:stable-alpine3.19?
lab05-ex1-hint1 = A container of nginx:stable-alpine3.19 that changes something, and `capas commit`.
lab05-ex1-hint2 = capas run --name lab05-{ $word } nginx:stable-alpine3.19 touch /root/{ $word }
lab05-ex2-hint1 = `capas save` takes several images, and `-o FILE`.
lab05-ex2-hint2 = capas save -o /tmp/lab05-{ $word }.tar IMAGE IMAGE
lab05-ex2-hint3 = `tar tf /tmp/lab05-{ $word }.tar` lists what is inside: count the layers.
lab05-ex1-solution =
    capas run --name lab05-{ $word } nginx:stable-alpine3.19 touch /root/{ $word }
    capas commit lab05-{ $word } lab05/{ $word }:1
lab05-ex2-solution = capas save -o /tmp/lab05-{ $word }.tar alpine:3.19 nginx:stable-alpine3.19
