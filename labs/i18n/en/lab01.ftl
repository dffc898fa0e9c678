lab01-title = ═══ Lab 1 · What is an image? ═══
lab01-intro =
    A container image is an immutable package with everything an application needs to run:
    code, libraries, dependencies and configuration. The course tells three things apart: the
    recipe (the Dockerfile: instructions), the image (the package that following them gives)
    and the container (an instance of the image). Let us start by bringing in an image.
lab01-image =
    The image is now in the store. Every image has an ID: the first 12 characters of a
    sha256, computed over its configuration. It is its fingerprint: if anything changed, the
    ID would be another.
lab01-recipe =
    And the recipe? The image remembers it: `history` shows one row per instruction that
    built it, newest first. The ADD row brought the files (7.38MB); the CMD row only keeps
    metadata (0B): what to run by default.
lab01-container =
    A container is an instance of the image. `run` creates one and runs a command in it: here,
    reading the Alpine version the image carries.
lab01-template =
    The image is a template: as many containers as we want come out of it. This other one
    (with --rm, which removes it at the end) sees the same file system.
lab01-summary =
    In short: the recipe says how the image is made, the image is the static package with its
    ID, and the container is the instance created from it.
lab01-exercises = ─── Exercises ───
lab01-ex1 =
    Create a container named `lab01-{ $word }` from alpine:3.19 in which the file
    /tmp/{ $word }.txt holds the line `{ $number }`.
lab01-ex2 =
    Turn that container into a new image named `lab01/{ $word }:{ $number }`.
lab01-ex1-no-container = There is no container `lab01-{ $word }`. Look at `capas ps -a`.
lab01-ex1-wrong-image = The container `lab01-{ $word }` is not from alpine:3.19. Remove it (`capas rm`) and create it again from alpine:3.19.
lab01-ex1-no-file = In `lab01-{ $word }` there is no /tmp/{ $word }.txt. Check with `capas exec lab01-{ $word } ls /tmp`.
lab01-ex1-wrong-content = /tmp/{ $word }.txt holds { $found }, and it should hold `{ $number }`.
lab01-ex2-no-image = There is no image `lab01/{ $word }:{ $number }`. Look at `capas images`.
lab01-ex2-wrong-base = `lab01/{ $word }:{ $number }` should be alpine:3.19 plus one layer. Look at `capas history lab01/{ $word }:{ $number }`.
lab01-ex2-no-file = The image `lab01/{ $word }:{ $number }` has no /tmp/{ $word }.txt holding `{ $number }`: did you commit after writing the file?
lab01-ex1-hint1 = `capas run --name NAME IMAGE COMMAND…` creates the container and runs the command in it.
lab01-ex1-hint2 = Writing to a file needs a shell: `sh -c 'echo … > file'`.
lab01-ex1-hint3 = Something like: capas run --name lab01-{ $word } alpine:3.19 sh -c 'echo …'
lab01-ex2-hint1 = The command that turns a container into an image is `capas commit`.
lab01-ex2-hint2 = `capas commit CONTAINER REPOSITORY:TAG`.
lab01-ex1-solution = capas run --name lab01-{ $word } alpine:3.19 sh -c 'echo { $number } > /tmp/{ $word }.txt'
lab01-ex2-solution = capas commit lab01-{ $word } lab01/{ $word }:{ $number }
