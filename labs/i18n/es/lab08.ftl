lab08-title = ═══ Laboratorio 8 · Prune: imágenes colgantes y sin uso ═══
lab08-intro =
    Cada vez que se reconstruye una imagen con el mismo nombre, el nombre pasa a la nueva y la
    vieja se queda sin nombre. Hagámoslo dos veces con app:1, en un almacén nuevo solo de
    este recorrido.
lab08-dangling =
    La primera versión de app:1 sigue en el almacén, pero sin nombre: `<none>`. Es una imagen
    colgante (dangling). `images -f dangling=true` las lista.
lab08-prune =
    `image prune` borra las imágenes colgantes, y solo esas (con -f no pregunta). Dice qué
    borró y cuánto espacio liberó de verdad en disco.
lab08-unused =
    Cuidado con lo que dice el curso: "elimina todas las imágenes que no están asociadas a
    ningún contenedor". Eso es `image prune -a`. Sin -a, una imagen con nombre que ningún
    contenedor usa (busybox) se queda:
lab08-all =
    Con -a se va toda imagen que ningún contenedor usa, tenga nombre o no: busybox y app:1.
    alpine:3.19 se queda porque los contenedores lab08-v1 y lab08-v2 la usan. El espacio
    liberado es casi el doble del tamaño de las imágenes: el almacén guarda cada capa dos
    veces, como blob (lo que se descarga) y desempaquetada (lo que ven los contenedores).
lab08-summary =
    Colgante: sin nombre, normalmente la versión vieja de una reconstrucción. Sin uso: ningún
    contenedor la usa, tenga nombre o no. `image prune` borra las primeras; `image prune -a`,
    las segundas. Revisa antes con `capas images`.
lab08-exercises = ─── Ejercicios ───
lab08-ex1 =
    Construye `lab08/{ $word }:1` dos veces (con contenedores de alpine:3.19 y commit): la
    primera con un archivo /version que contenga 1, la segunda con /version = 2, con el
    mismo nombre. La primera queda colgante.
lab08-ex2 =
    Antes de limpiar, rescata la versión 1: ponle el nombre `lab08/{ $word }:old`. Después
    borra las imágenes colgantes que queden.
lab08-ex1-no-image = No existe `lab08/{ $word }:1`. Mira `capas images`.
lab08-ex1-not-v2 = En `lab08/{ $word }:1`, /version no contiene 2: la segunda construcción debe llevar ese nombre.
lab08-ex1-no-v1 = No encuentro la primera versión (alpine:3.19 más una capa con /version = 1). Mira `capas images -a`.
lab08-ex2-dangling-left = Todavía hay imágenes colgantes: mira `capas images -f dangling=true`.
lab08-ex2-no-old = No existe `lab08/{ $word }:old`.
lab08-ex2-old-not-v1 = `lab08/{ $word }:old` no es la versión 1 (su /version no contiene 1).
lab08-ex1-hint1 = capas run --name lab08-{ $word }-1 alpine:3.19 sh -c 'echo 1 > /version', y capas commit.
lab08-ex1-hint2 = Repite con otro contenedor y /version = 2, haciendo commit al mismo nombre.
lab08-ex2-hint1 = `capas images -f dangling=true` da el ID de la imagen colgante.
lab08-ex2-hint2 = `capas tag ID lab08/{ $word }:old` le da nombre (por su ID).
lab08-ex2-hint3 = Después, `capas image prune`: ya no borrará la versión 1, que tiene nombre.
lab08-ex1-solution =
    capas run --name lab08-{ $word }-1 alpine:3.19 sh -c 'echo 1 > /version'
    capas commit lab08-{ $word }-1 lab08/{ $word }:1
    capas run --name lab08-{ $word }-2 alpine:3.19 sh -c 'echo 2 > /version'
    capas commit lab08-{ $word }-2 lab08/{ $word }:1
lab08-ex2-solution =
    capas images -f dangling=true        (el IMAGE ID de la versión 1)
    capas tag IMAGE_ID lab08/{ $word }:old
    capas image prune -f
