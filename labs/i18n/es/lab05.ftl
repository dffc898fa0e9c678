lab05-title = ═══ Laboratorio 5 · Una imagen basada en Alpine: la capa compartida ═══
lab05-intro =
    Este recorrido usa un almacén nuevo y vacío, solo suyo (dentro del tuyo, en labs/),
    para que veas una primera descarga. Primero, alpine:3.19: una capa.
lab05-second =
    Ahora nginx:stable-alpine3.19, una imagen construida sobre alpine:3.19.
lab05-already =
    Mira la primera capa: `Already exists`. Es la capa de alpine, idéntica byte a byte (el
    mismo sha256): ya estaba en el almacén, así que no se descarga otra vez. Solo bajan las
    capas propias de nginx.
lab05-same-layer =
    La misma capa sirve a las dos imágenes: /bin/busybox viene, en ambas, de la capa
    3ad8e7515831. En disco está una sola vez.
lab05-sizes =
    `images` da a cada imagen su tamaño completo (nginx incluye los 7.38MB de alpine), pero
    en el almacén esos bytes no se repiten: `fsck` cuenta los blobs que hay de verdad, unos
    43.8MB, no los 7.38MB + 43.3MB = 50.7MB que ocuparían dos copias separadas.
lab05-summary =
    Capas comunes entre imágenes: se descargan una vez y se guardan una vez. Por eso construir
    sobre una base conocida (alpine, debian) sale barato.
lab05-exercises = ─── Ejercicios ───
lab05-ex1 =
    En tu almacén, crea una imagen `lab05/{ $word }:1` que sea nginx:stable-alpine3.19 más
    una capa (cualquier cambio): compartirá todas las capas de nginx.
lab05-ex2 =
    Guarda alpine:3.19 y nginx:stable-alpine3.19 en un único archivo
    /tmp/lab05-{ $word }.tar con `capas save`. Mira dentro (`tar tf`): la capa compartida
    está una sola vez.
lab05-ex1-no-image = No existe la imagen `lab05/{ $word }:1`. Mira `capas images`.
lab05-ex1-wrong-base = `lab05/{ $word }:1` debería ser nginx:stable-alpine3.19 más una capa. Mira `capas history lab05/{ $word }:1`.
lab05-ex2-no-archive = No existe /tmp/lab05-{ $word }.tar.
lab05-ex2-not-archive = /tmp/lab05-{ $word }.tar no es un archivo de `capas save` (falta manifest.json).
lab05-ex2-missing-image = En /tmp/lab05-{ $word }.tar falta { $image }: guarda las dos imágenes en el mismo archivo.
lab05-ex2-not-shared = Las imágenes de /tmp/lab05-{ $word }.tar no comparten ninguna capa: ¿guardaste alpine:3.19 y nginx:stable-alpine3.19?
lab05-ex1-hint1 = Un contenedor de nginx:stable-alpine3.19 que cambie algo, y `capas commit`.
lab05-ex1-hint2 = capas run --name lab05-{ $word } nginx:stable-alpine3.19 touch /root/{ $word }
lab05-ex2-hint1 = `capas save` acepta varias imágenes y `-o ARCHIVO`.
lab05-ex2-hint2 = capas save -o /tmp/lab05-{ $word }.tar IMAGEN IMAGEN
lab05-ex2-hint3 = `tar tf /tmp/lab05-{ $word }.tar` lista lo que hay dentro: cuenta las capas.
lab05-ex1-solution =
    capas run --name lab05-{ $word } nginx:stable-alpine3.19 touch /root/{ $word }
    capas commit lab05-{ $word } lab05/{ $word }:1
lab05-ex2-solution = capas save -o /tmp/lab05-{ $word }.tar alpine:3.19 nginx:stable-alpine3.19
