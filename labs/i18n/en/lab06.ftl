lab06-title = ═══ Lab 6 · The advantages of layers, measured ═══
lab06-intro =
    The course names two advantages of layers: storage is saved (only new layers are
    downloaded and kept) and containers are created fast (the layers already there are
    mounted). Let us measure both, in a new store just for this walk-through.
lab06-storage =
    First advantage, storage. Let us add up what `images` says and compare it with what the
    unpacked layers really take in the store:
lab06-storage-fact =
    Sum of the image sizes: { $sum }. Layers on disk: { $disk }. Alpine's layer, shared, is
    kept once: { $saved } saved.
lab06-speed =
    Second advantage, speed. Let us create containers of nginx:stable-alpine3.19 and, to
    compare, copy every file of the image once, which is what starting a container would cost
    if layers were not shared:
lab06-speed-fact =
    { $n } containers created in { $create } ms ({ $each } ms each). One copy of the image:
    { $copy } ms, about { $times } times what creating a container costs.
lab06-why-fast =
    Creating a container is creating an empty writable layer (a directory) and pointing at the
    image's layers, which are in the store already: nothing is copied. Those test containers
    are gone already:
lab06-summary =
    Fewer bytes, because common layers are kept once; containers at once, because the only new
    thing is an empty layer. The figures change from one machine to another; the proportion is
    what counts.
lab06-exercises = ─── Exercises ───
lab06-ex1 =
    In your store, create three containers of nginx:stable-alpine3.19 named
    `lab06-{ $word }-1`, `-2` and `-3`, changing nothing in them. See how much the store grows
    (`du -sh`): almost nothing.
lab06-ex2 =
    Make two images, `lab06/{ $word }:a` and `lab06/{ $word }:b`, each alpine:3.19 plus one
    layer with a different change. Both share alpine's layer.
lab06-ex1-missing = There is no container `{ $name }`. Look at `capas ps -a`.
lab06-ex1-wrong-image = `{ $name }` is not from nginx:stable-alpine3.19.
lab06-ex1-changed = `{ $name }` has changes (look at `capas diff { $name }`): the exercise asks for unchanged containers.
lab06-ex2-missing = There is no image `{ $tag }`. Look at `capas images`.
lab06-ex2-wrong-base = `{ $tag }` should be alpine:3.19 plus one layer. Look at `capas history { $tag }`.
lab06-ex2-same = `lab06/{ $word }:a` and `lab06/{ $word }:b` are the same image: each needs a change of its own.
lab06-ex1-hint1 = `capas create --name NAME IMAGE` creates a container without running anything.
lab06-ex1-hint2 = capas create --name lab06-{ $word }-1 nginx:stable-alpine3.19 (and the same with -2 and -3)
lab06-ex2-hint1 = Two containers of alpine:3.19, each with a different change, and a `capas commit` of each.
lab06-ex2-hint2 = capas run --name lab06-{ $word }-a alpine:3.19 touch /a
lab06-ex1-solution =
    capas create --name lab06-{ $word }-1 nginx:stable-alpine3.19
    capas create --name lab06-{ $word }-2 nginx:stable-alpine3.19
    capas create --name lab06-{ $word }-3 nginx:stable-alpine3.19
lab06-ex2-solution =
    capas run --name lab06-{ $word }-a alpine:3.19 touch /a
    capas commit lab06-{ $word }-a lab06/{ $word }:a
    capas run --name lab06-{ $word }-b alpine:3.19 touch /b
    capas commit lab06-{ $word }-b lab06/{ $word }:b
