lab02-title = ═══ Lab 2 · Immutability, layers, and the base for containers ═══
lab02-intro =
    An image, once made, cannot be changed. Let us see it with alpine:3.19 and its whole ID:
    the sha256 of its configuration.
lab02-change =
    Let us try to "change" it: a container writes to /etc/motd and we keep the result with
    `commit`.
lab02-new-id =
    Look at the IDs: alpine:3.19 keeps its own, exactly the same. The change did not touch the
    image: it produced another image, lab02/demo:1, with another ID. That is how versions are
    kept under control: each ID names a content that never changes.
lab02-layers =
    The new image is alpine plus one layer: the top row of the history is the container's
    change (a few bytes); the rows below are alpine's layers, reused as they are.
lab02-base =
    The image is the base of many containers. Each gets its own writable layer: two containers
    of the same image write the same file without seeing each other.
lab02-summary =
    Immutability: changing means making a new image (a new ID). Layers: the new image reuses
    the base's and adds only the difference. Base for containers: one image, many containers,
    each with its own writable layer.
lab02-exercises = ─── Exercises ───
lab02-ex1 =
    From alpine:3.19, make an image `lab02/{ $word }:v2` in which /etc/motd holds only the
    word `{ $word }`. alpine:3.19 must keep its ID.
lab02-ex2 =
    Create two containers of `lab02/{ $word }:v2`, named `lab02-{ $word }-1` and
    `lab02-{ $word }-2`. In the first, write `{ $number }` to /tmp/n; the second must not
    see it.
lab02-ex1-no-image = There is no image `lab02/{ $word }:v2`. Look at `capas images`.
lab02-ex1-wrong-base = `lab02/{ $word }:v2` is not built on alpine:3.19. Look at `capas history lab02/{ $word }:v2`.
lab02-ex1-alpine-moved = The name alpine:3.19 no longer points to the original image: bring it back with `capas pull alpine:3.19`.
lab02-ex1-wrong-motd = In `lab02/{ $word }:v2`, /etc/motd holds { $found }, and it should hold `{ $word }`.
lab02-ex2-no-container = There is no container `{ $name }`. Look at `capas ps -a`.
lab02-ex2-wrong-image = The container `{ $name }` is not from `lab02/{ $word }:v2`.
lab02-ex2-no-number = In `lab02-{ $word }-1`, /tmp/n does not hold `{ $number }`.
lab02-ex2-shared = `lab02-{ $word }-2` has /tmp/n too: each container should have its own writable layer. Did you write it in the second one as well, or into the image?
lab02-ex1-hint1 = A container of alpine:3.19 that writes to /etc/motd, then `capas commit`.
lab02-ex1-hint2 = `>` replaces the file's content; `>>` adds to its end.
lab02-ex1-hint3 = capas run --name … alpine:3.19 sh -c 'echo { $word } > /etc/motd', then capas commit … lab02/{ $word }:v2
lab02-ex2-hint1 = `capas create --name NAME IMAGE` creates a container without running anything; `capas exec` runs something in it.
lab02-ex2-hint2 = Only the first one writes: capas exec lab02-{ $word }-1 sh -c 'echo { $number } > /tmp/n'
lab02-ex1-solution =
    capas run --name lab02-{ $word }-src alpine:3.19 sh -c 'echo { $word } > /etc/motd'
    capas commit lab02-{ $word }-src lab02/{ $word }:v2
lab02-ex2-solution =
    capas create --name lab02-{ $word }-1 lab02/{ $word }:v2
    capas create --name lab02-{ $word }-2 lab02/{ $word }:v2
    capas exec lab02-{ $word }-1 sh -c 'echo { $number } > /tmp/n'
