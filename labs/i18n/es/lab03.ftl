lab03-title = ═══ Laboratorio 3 · Capas de solo lectura, union file system y copy-on-write ═══
lab03-intro =
    Cada instrucción de la receta dejó una capa de solo lectura que guarda solo la diferencia
    con la capa de abajo. nginx:stable-alpine3.19 es una pila de ocho capas, las filas de su
    historial que tienen tamaño (las de 0B solo fijan metadatos): la primera es la de alpine,
    las demás son las de nginx.
lab03-union =
    El union file system superpone las capas: el contenedor ve un único sistema de archivos.
    Para cada ruta, la capa más alta que la tiene es la que se ve. `capas why` dice qué capa
    aporta cada ruta: /bin/busybox viene de la capa 0 (alpine), nginx.conf de una capa de nginx.
lab03-rw =
    Al crear un contenedor se añade encima una capa de lectura/escritura, vacía. Todavía no
    ha cambiado nada, así que `diff` no muestra nada.
lab03-cow =
    Copy-on-write: para modificar un archivo de una capa de solo lectura, primero se copia
    entero a la capa de escritura y el cambio se hace allí. `why` lo muestra: la copia de
    arriba oculta a la original, que sigue intacta en su capa.
lab03-whiteout =
    ¿Y borrar? La capa de abajo no se puede tocar: en la capa de escritura queda una marca,
    un whiteout (.wh.motd), que oculta el archivo. `diff` lista lo añadido (A), cambiado (C)
    y borrado (D).
lab03-image-intact =
    La imagen no ha cambiado: un contenedor nuevo de la misma imagen sigue viendo /etc/motd.
lab03-ephemeral =
    La capa de escritura es efímera: al borrar el contenedor desaparece con él, y con ella
    todos sus cambios.
lab03-summary =
    Capas de solo lectura apiladas, una vista unificada por encima, una capa de escritura por
    contenedor, y copy-on-write para no tocar nunca lo de abajo: por eso muchos contenedores
    comparten una imagen sin interferir.
lab03-exercises = ─── Ejercicios ───
lab03-ex1 =
    En un contenedor `lab03-{ $word }` de alpine:3.19, añade una línea a /etc/motd (una
    copia hacia arriba) y borra /etc/issue (un whiteout).
lab03-ex2 =
    En el mismo contenedor, borra /etc/apk entero y vuelve a crearlo con un archivo
    `{ $word }` dentro: el directorio queda opaco (lo de las capas de abajo ya no se ve).
lab03-ex-no-container = No encuentro el contenedor `lab03-{ $word }`. Mira `capas ps -a`.
lab03-ex-wrong-image = El contenedor `lab03-{ $word }` no es de alpine:3.19.
lab03-ex1-motd = /etc/motd no se ha copiado a la capa de escritura ni cambiado. Mira `capas diff lab03-{ $word }` y `capas why lab03-{ $word } /etc/motd`.
lab03-ex1-issue = /etc/issue no está oculto por un whiteout. Mira `capas why lab03-{ $word } /etc/issue`.
lab03-ex2-not-opaque = /etc/apk no es un directorio opaco en la capa de escritura. Mira `capas why lab03-{ $word } /etc/apk/world`.
lab03-ex2-no-file = No existe /etc/apk/{ $word } en `lab03-{ $word }`.
lab03-ex1-hint1 = `>>` añade al final de un archivo; `rm` borra.
lab03-ex1-hint2 = Con `capas create` y luego `capas exec` puedes hacer los cambios en varios pasos.
lab03-ex1-hint3 = capas exec lab03-{ $word } sh -c 'echo … >> /etc/motd; rm /etc/issue'
lab03-ex2-hint1 = `rm -r` borra un directorio con todo lo que contiene.
lab03-ex2-hint2 = Después `mkdir` lo crea de nuevo, vacío, y `touch` crea un archivo.
lab03-ex2-hint3 = capas exec lab03-{ $word } sh -c 'rm -r /etc/apk && mkdir /etc/apk && touch /etc/apk/{ $word }'
lab03-ex1-solution =
    capas create --name lab03-{ $word } alpine:3.19
    capas exec lab03-{ $word } sh -c 'echo hola >> /etc/motd; rm /etc/issue'
lab03-ex2-solution = capas exec lab03-{ $word } sh -c 'rm -r /etc/apk && mkdir /etc/apk && touch /etc/apk/{ $word }'
