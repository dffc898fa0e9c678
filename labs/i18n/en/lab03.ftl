lab03-title = ═══ Lab 3 · Read-only layers, the union file system, and copy-on-write ═══
lab03-intro =
    Each instruction of the recipe left a read-only layer that keeps only the difference from
    the layer below. nginx:stable-alpine3.19 is a stack of eight layers, the rows of its
    history with a size (the 0B rows only set metadata): the first is alpine's, the others
    are nginx's.
lab03-union =
    The union file system lays the layers over each other: the container sees one single file
    system. For each path, the highest layer that has it is the one seen. `capas why` tells
    which layer provides each path: /bin/busybox comes from layer 0 (alpine), nginx.conf from a
    layer of nginx.
lab03-rw =
    Creating a container adds an empty read/write layer on top. Nothing has changed yet, so
    `diff` shows nothing.
lab03-cow =
    Copy-on-write: to change a file of a read-only layer, it is first copied whole to the
    writable layer, and the change is made there. `why` shows it: the copy above hides the
    original, which stays untouched in its layer.
lab03-whiteout =
    And deleting? The layer below cannot be touched: the writable layer gets a mark, a
    whiteout (.wh.motd), that hides the file. `diff` lists what was added (A), changed (C)
    and deleted (D).
lab03-image-intact =
    The image has not changed: a new container of the same image still sees /etc/motd.
lab03-ephemeral =
    The writable layer is ephemeral: removing the container removes it, and all its changes
    with it.
lab03-summary =
    Read-only layers stacked, one unified view over them, one writable layer per container,
    and copy-on-write so that what is below is never touched: that is why many containers
    share one image without getting in each other's way.
lab03-exercises = ─── Exercises ───
lab03-ex1 =
    In a container `lab03-{ $word }` of alpine:3.19, add a line to /etc/motd (a copy-up) and
    delete /etc/issue (a whiteout).
lab03-ex2 =
    In the same container, remove /etc/apk whole and create it again with a file
    `{ $word }` in it: the directory becomes opaque (what the layers below had is no longer seen).
lab03-ex-no-container = There is no container `lab03-{ $word }`. Look at `capas ps -a`.
lab03-ex-wrong-image = The container `lab03-{ $word }` is not from alpine:3.19.
lab03-ex1-motd = /etc/motd has not been copied up to the writable layer and changed. Look at `capas diff lab03-{ $word }` and `capas why lab03-{ $word } /etc/motd`.
lab03-ex1-issue = /etc/issue is not hidden by a whiteout. Look at `capas why lab03-{ $word } /etc/issue`.
lab03-ex2-not-opaque = /etc/apk is not an opaque directory in the writable layer. Look at `capas why lab03-{ $word } /etc/apk/world`.
lab03-ex2-no-file = There is no /etc/apk/{ $word } in `lab03-{ $word }`.
lab03-ex1-hint1 = `>>` adds to the end of a file; `rm` deletes.
lab03-ex1-hint2 = With `capas create` and then `capas exec` you can make the changes in several steps.
lab03-ex1-hint3 = capas exec lab03-{ $word } sh -c 'echo … >> /etc/motd; rm /etc/issue'
lab03-ex2-hint1 = `rm -r` deletes a directory with everything in it.
lab03-ex2-hint2 = Then `mkdir` makes it again, empty, and `touch` creates a file.
lab03-ex2-hint3 = capas exec lab03-{ $word } sh -c 'rm -r /etc/apk && mkdir /etc/apk && touch /etc/apk/{ $word }'
lab03-ex1-solution =
    capas create --name lab03-{ $word } alpine:3.19
    capas exec lab03-{ $word } sh -c 'echo hello >> /etc/motd; rm /etc/issue'
lab03-ex2-solution = capas exec lab03-{ $word } sh -c 'rm -r /etc/apk && mkdir /etc/apk && touch /etc/apk/{ $word }'
