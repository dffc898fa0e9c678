lab09-title = ═══ Lab 9 · Summary and final challenge ═══
lab09-intro =
    You have been through the course on a real engine. Here is its summary, with the capas
    command that shows each point:
lab09-table =
    Image: a container's template (capas images, capas run).
    Immutability: it cannot change once made; a change is another image, with another ID
    (capas commit, capas build).
    Layers: isolated, reusable changes (capas history, capas layers, capas why).
    Copy-on-write: the container writes to a layer of its own (capas diff, capas why CONTAINER).
    Shared pull: layers common to images, `Already exists` (capas pull).
    Delete: take names away or delete images (capas rmi, by name or by ID).
    Prune: dangling or unused images (capas image prune, with or without -a).
lab09-challenge =
    The challenge puts it all together: a recipe (Dockerfile) that `capas build` turns into an
    image, a container of that image that runs its default command, and a store left tidy.
lab09-exercises = ─── Challenge ───
lab09-ex1 =
    Write a Dockerfile on alpine:3.19 that leaves only the word `{ $word }` in /etc/motd and
    whose default command is `cat /etc/motd` (JSON form). Build it with `capas build` as
    `lab09/{ $word }:1`.
lab09-ex2 =
    Create and run a container `lab09-{ $word }` of your image without giving it a command
    (it uses the image's: it must print your word). If you rebuilt the image, leave no
    dangling images in the store.
lab09-ex1-no-image = There is no `lab09/{ $word }:1`. Look at `capas images`.
lab09-ex1-wrong-base = `lab09/{ $word }:1` is not built on alpine:3.19: the recipe must start with FROM alpine:3.19.
lab09-ex1-motd = In `lab09/{ $word }:1`, /etc/motd does not hold only `{ $word }`.
lab09-ex1-cmd = The default command of `lab09/{ $word }:1` is { $found }, and it should be ["cat", "/etc/motd"].
lab09-ex2-no-container = There is no container `lab09-{ $word }`. Look at `capas ps -a`.
lab09-ex2-wrong-image = The container `lab09-{ $word }` is not from the current `lab09/{ $word }:1`.
lab09-ex2-not-run = The container `lab09-{ $word }` did not run the image's command to success (`capas run` with no command).
lab09-ex2-dangling = There are dangling images left: `capas image prune`.
lab09-ex1-hint1 = Three instructions: FROM, RUN and CMD.
lab09-ex1-hint2 = The JSON form of CMD: CMD ["cat", "/etc/motd"]
lab09-ex1-hint3 = In a directory holding the Dockerfile: capas build -t lab09/{ $word }:1 .
lab09-ex2-hint1 = `capas run --name NAME IMAGE`, with nothing more, runs the default command.
lab09-ex2-hint2 = `capas images -f dangling=true` and `capas image prune`.
lab09-ex1-solution =
    mkdir challenge && cd challenge
    printf 'FROM alpine:3.19\nRUN echo { $word } > /etc/motd\nCMD ["cat", "/etc/motd"]\n' > Dockerfile
    capas build -t lab09/{ $word }:1 .
lab09-ex2-solution =
    capas run --name lab09-{ $word } lab09/{ $word }:1
    capas image prune -f
