lab04-title = ═══ Lab 4 · Layers in action: pull and history ═══
lab04-intro =
    `pull` brings an image from a registry, layer by layer. The course writes
    `docker pull nginx`, which means nginx:latest; capas's sample registry keeps fixed
    versions, so we name them: nginx:stable (on Debian) and alpine:3.19.
lab04-pulled =
    Each `…: Pull complete` line is a layer downloaded, checked against its sha256 and
    unpacked in the store. nginx:stable has several; alpine:3.19, a single one.
lab04-history =
    `history` tells how each image was built: one row per step of the recipe, newest on top.
lab04-rows =
    The rows with a size are layers: files added, changed or deleted (nginx:stable's bottom
    one, 74.8MB, is all of Debian; above it, the installation of nginx). The 0B rows only
    change metadata (ENV, CMD, EXPOSE…). Each layer has its own job: installation,
    configuration, scripts.
lab04-missing =
    And `<missing>`? Only the final image has an ID in your store: the intermediate steps were
    built on another machine and do not travel with the image. Their rows are there, without
    an ID.
lab04-summary =
    An image is a stack of layers, and its history says which step of the recipe left each
    one. Pulling an image is pulling its layers.
lab04-exercises = ─── Exercises ───
lab04-ex1 =
    Find out with `capas history` which base image nginx:stable was built on (look at its
    bottom rows), bring it with `capas pull` and tag it `lab04/base:{ $word }`.
lab04-ex2 =
    Give nginx:stable a page of your own: make the image `lab04/web:{ $word }`, which is
    nginx:stable plus one layer in which /usr/share/nginx/html/index.html holds only
    `{ $word }`.
lab04-ex1-no-image = There is no image `lab04/base:{ $word }`. Look at `capas images`.
lab04-ex1-wrong-image = `lab04/base:{ $word }` is not the base of nginx:stable. Compare the bottom rows of `capas history nginx:stable` with `capas history` of your image.
lab04-ex2-no-image = There is no image `lab04/web:{ $word }`. Look at `capas images`.
lab04-ex2-wrong-base = `lab04/web:{ $word }` should be nginx:stable plus one layer. Look at `capas history lab04/web:{ $word }`.
lab04-ex2-wrong-page = In `lab04/web:{ $word }`, index.html holds { $found }, and it should hold `{ $word }`.
lab04-ex1-hint1 = The bottom row of `capas history nginx:stable` is an ADD of a whole system: which distribution?
lab04-ex1-hint2 = The sample registry has debian:bookworm-slim. `capas tag SOURCE TARGET` gives an image another name.
lab04-ex1-hint3 = capas pull debian:bookworm-slim, then capas tag debian:bookworm-slim lab04/base:{ $word }
lab04-ex2-hint1 = A container of nginx:stable that writes the page, then `capas commit`.
lab04-ex2-hint2 = capas run --name lab04-{ $word } nginx:stable sh -c 'echo { $word } > /usr/share/nginx/html/index.html'
lab04-ex1-solution =
    capas pull debian:bookworm-slim
    capas tag debian:bookworm-slim lab04/base:{ $word }
lab04-ex2-solution =
    capas run --name lab04-{ $word } nginx:stable sh -c 'echo { $word } > /usr/share/nginx/html/index.html'
    capas commit lab04-{ $word } lab04/web:{ $word }
