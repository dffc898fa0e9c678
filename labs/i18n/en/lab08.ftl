lab08-title = ═══ Lab 8 · Prune: dangling and unused images ═══
lab08-intro =
    Each time an image is rebuilt under the same name, the name moves to the new one and the
    old one is left nameless. Let us do it twice with app:1, in a new store just for this
    walk-through.
lab08-dangling =
    The first version of app:1 is still in the store, but nameless: `<none>`. It is a
    dangling image. `images -f dangling=true` lists them.
lab08-prune =
    `image prune` deletes dangling images, and only those (with -f it does not ask). It says
    what it deleted and how much space it really freed on disk.
lab08-unused =
    Careful with what the course says: "removes all images not associated with any
    container". That is `image prune -a`. Without -a, a named image no container uses
    (busybox) stays:
lab08-all =
    With -a, every image no container uses goes, named or not: busybox and app:1. alpine:3.19
    stays because containers lab08-v1 and lab08-v2 use it. The space freed is about twice the
    images' size: the store keeps each layer twice, as a blob (what is downloaded) and
    unpacked (what containers see).
lab08-summary =
    Dangling: nameless, usually the old version of a rebuild. Unused: no container uses it,
    named or not. `image prune` deletes the first; `image prune -a`, the second. Look first
    with `capas images`.
lab08-exercises = ─── Exercises ───
lab08-ex1 =
    Build `lab08/{ $word }:1` twice (with containers of alpine:3.19 and commit): first with a
    file /version holding 1, then with /version = 2, under the same name. The first one is
    left dangling.
lab08-ex2 =
    Before cleaning up, rescue version 1: name it `lab08/{ $word }:old`. Then delete the
    dangling images that are left.
lab08-ex1-no-image = There is no `lab08/{ $word }:1`. Look at `capas images`.
lab08-ex1-not-v2 = In `lab08/{ $word }:1`, /version does not hold 2: the second build must take that name.
lab08-ex1-no-v1 = I cannot find the first version (alpine:3.19 plus a layer with /version = 1). Look at `capas images -a`.
lab08-ex2-dangling-left = There are dangling images still: look at `capas images -f dangling=true`.
lab08-ex2-no-old = There is no `lab08/{ $word }:old`.
lab08-ex2-old-not-v1 = `lab08/{ $word }:old` is not version 1 (its /version does not hold 1).
lab08-ex1-hint1 = capas run --name lab08-{ $word }-1 alpine:3.19 sh -c 'echo 1 > /version', and capas commit.
lab08-ex1-hint2 = Repeat with another container and /version = 2, committing to the same name.
lab08-ex2-hint1 = `capas images -f dangling=true` gives the dangling image's ID.
lab08-ex2-hint2 = `capas tag ID lab08/{ $word }:old` names it (by its ID).
lab08-ex2-hint3 = Then `capas image prune`: it will no longer delete version 1, which has a name.
lab08-ex1-solution =
    capas run --name lab08-{ $word }-1 alpine:3.19 sh -c 'echo 1 > /version'
    capas commit lab08-{ $word }-1 lab08/{ $word }:1
    capas run --name lab08-{ $word }-2 alpine:3.19 sh -c 'echo 2 > /version'
    capas commit lab08-{ $word }-2 lab08/{ $word }:1
lab08-ex2-solution =
    capas images -f dangling=true        (the IMAGE ID of version 1)
    capas tag IMAGE_ID lab08/{ $word }:old
    capas image prune -f
