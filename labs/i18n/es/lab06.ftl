lab06-title = ═══ Laboratorio 6 · Las ventajas de las capas, medidas ═══
lab06-intro =
    El curso nombra dos ventajas de las capas: se ahorra almacenamiento (solo se descargan y
    guardan las capas nuevas) y los contenedores se crean deprisa (se montan las capas que ya
    están). Vamos a medirlas, en un almacén nuevo solo para este recorrido.
lab06-storage =
    Primera ventaja, el almacenamiento. Sumemos lo que dice `images` y comparémoslo con lo
    que ocupan de verdad las capas desempaquetadas en el almacén:
lab06-storage-fact =
    Suma de los tamaños de las imágenes: { $sum }. Capas en disco: { $disk }. La capa de
    alpine, compartida, se guarda una vez: { $saved } ahorrados.
lab06-speed =
    Segunda ventaja, la rapidez. Creemos contenedores de nginx:stable-alpine3.19 y, para
    comparar, copiemos una vez todos los archivos de la imagen, que es lo que costaría
    arrancar un contenedor si no se compartieran las capas:
lab06-speed-fact =
    { $n } contenedores creados en { $create } ms ({ $each } ms cada uno). Una copia de la
    imagen: { $copy } ms, unas { $times } veces lo que cuesta crear un contenedor.
lab06-why-fast =
    Crear un contenedor es crear una capa de escritura vacía (un directorio) y apuntar a las
    capas de la imagen, que ya están en el almacén: no se copia nada. Esos contenedores de
    prueba ya se han borrado:
lab06-summary =
    Menos bytes, porque las capas comunes se guardan una vez; contenedores al instante, porque
    lo único nuevo es una capa vacía. Las cifras cambian de una máquina a otra; la proporción
    es lo que cuenta.
lab06-exercises = ─── Ejercicios ───
lab06-ex1 =
    En tu almacén, crea tres contenedores de nginx:stable-alpine3.19 llamados
    `lab06-{ $word }-1`, `-2` y `-3`, sin cambiar nada en ellos. Mira cuánto crece el
    almacén (`du -sh`): casi nada.
lab06-ex2 =
    Crea dos imágenes, `lab06/{ $word }:a` y `lab06/{ $word }:b`, cada una alpine:3.19 más
    una capa con un cambio distinto. Las dos comparten la capa de alpine.
lab06-ex1-missing = No encuentro el contenedor `{ $name }`. Mira `capas ps -a`.
lab06-ex1-wrong-image = `{ $name }` no es de nginx:stable-alpine3.19.
lab06-ex1-changed = `{ $name }` tiene cambios (mira `capas diff { $name }`): el ejercicio pide contenedores sin cambios.
lab06-ex2-missing = No existe la imagen `{ $tag }`. Mira `capas images`.
lab06-ex2-wrong-base = `{ $tag }` debería ser alpine:3.19 más una capa. Mira `capas history { $tag }`.
lab06-ex2-same = `lab06/{ $word }:a` y `lab06/{ $word }:b` son la misma imagen: cada una necesita su propio cambio.
lab06-ex1-hint1 = `capas create --name NOMBRE IMAGEN` crea un contenedor sin ejecutar nada.
lab06-ex1-hint2 = capas create --name lab06-{ $word }-1 nginx:stable-alpine3.19 (y lo mismo con -2 y -3)
lab06-ex2-hint1 = Dos contenedores de alpine:3.19, cada uno con un cambio distinto, y un `capas commit` de cada uno.
lab06-ex2-hint2 = capas run --name lab06-{ $word }-a alpine:3.19 touch /a
lab06-ex1-solution =
    capas create --name lab06-{ $word }-1 nginx:stable-alpine3.19
    capas create --name lab06-{ $word }-2 nginx:stable-alpine3.19
    capas create --name lab06-{ $word }-3 nginx:stable-alpine3.19
lab06-ex2-solution =
    capas run --name lab06-{ $word }-a alpine:3.19 touch /a
    capas commit lab06-{ $word }-a lab06/{ $word }:a
    capas run --name lab06-{ $word }-b alpine:3.19 touch /b
    capas commit lab06-{ $word }-b lab06/{ $word }:b
