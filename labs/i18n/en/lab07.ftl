lab07-title = ═══ Lab 7 · Deleting an image: images and rmi ═══
lab07-intro =
    `images` lists the store's images; `rmi` deletes them, by name or by ID. But deleting an
    image does not always delete bytes: it depends on its names, on containers, and on the
    layers it shares. We see it in a new store, just for this walk-through.
lab07-by-name =
    Deleting by name: first the name goes (Untagged); as it has no other, the image is
    deleted (Deleted) and, one by one, its own layers, top down.
lab07-shared-stays =
    Look at what was not deleted: alpine's layer, which nginx shared. alpine:3.19 is still
    whole.
lab07-two-names =
    One image can have several names: two rows with the same IMAGE ID. Deleting one of them
    only takes that name away.
lab07-untag =
    Only `Untagged`: the image is still there with its other name, and so are its bytes.
lab07-container =
    A container depends on its image, even when stopped. Let us try to delete alpine by its
    ID while a container uses it:
lab07-conflict =
    A conflict: the container must go first (or force it with -f). With the container gone,
    the image can be deleted by its ID: all its names go, then its layers.
lab07-summary =
    rmi by name takes that name away and deletes the image only if no name is left; rmi by ID
    deletes the image with all its names. Shared layers, and those a container uses, stay.
lab07-exercises = ─── Exercises ───
lab07-ex1 =
    Bring busybox:latest, name it `lab07/{ $word }:1`, then take the name busybox:latest
    away without deleting the image.
lab07-ex2 =
    Make `lab07/{ $word }:2`, which is debian:bookworm-slim plus one layer. Then delete
    the name debian:bookworm-slim: debian's image must stay, because yours uses
    its layers.
lab07-ex1-no-image = There is no `lab07/{ $word }:1`. Look at `capas images`.
lab07-ex1-not-busybox = `lab07/{ $word }:1` is not busybox:latest's image.
lab07-ex1-still-named = busybox:latest still has that name: take it away with `capas rmi`.
lab07-ex2-no-image = There is no `lab07/{ $word }:2`. Look at `capas images`.
lab07-ex2-parent-gone = debian:bookworm-slim's image is gone: bring it back and do the exercise again, deleting the name only.
lab07-ex2-wrong-base = `lab07/{ $word }:2` should be debian:bookworm-slim plus one layer. Look at `capas history lab07/{ $word }:2`.
lab07-ex2-still-named = debian's image is still called debian:bookworm-slim: delete that name with `capas rmi`.
lab07-ex1-hint1 = `capas tag SOURCE TARGET` gives an image another name.
lab07-ex1-hint2 = With two names, `capas rmi busybox:latest` only takes that name away.
lab07-ex2-hint1 = A container of debian:bookworm-slim that changes something, and `capas commit`.
lab07-ex2-hint2 = Deleting by name an image that has a child image only takes its name away.
lab07-ex2-hint3 = A container holds the image too: remove it (`capas rm`), then capas rmi debian:bookworm-slim (by name, not by ID)
lab07-ex1-solution =
    capas pull busybox:latest
    capas tag busybox:latest lab07/{ $word }:1
    capas rmi busybox:latest
lab07-ex2-solution =
    capas run --name lab07-{ $word } debian:bookworm-slim touch /{ $word }
    capas commit lab07-{ $word } lab07/{ $word }:2
    capas rm lab07-{ $word }
    capas rmi debian:bookworm-slim
