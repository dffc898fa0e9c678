lab04-title = ═══ Laboratorio 4 · Capas en acción: pull e history ═══
lab04-intro =
    `pull` trae una imagen desde un registro, capa a capa. En el curso se escribe
    `docker pull nginx`, que significa nginx:latest; el registro de ejemplo de capas guarda
    versiones fijas, así que las nombramos: nginx:stable (sobre Debian) y alpine:3.19.
lab04-pulled =
    Cada línea `…: Pull complete` es una capa descargada, comprobada con su sha256 y
    desempaquetada en el almacén. nginx:stable tiene varias; alpine:3.19, una sola.
lab04-history =
    `history` cuenta cómo se construyó cada imagen: una fila por paso de la receta, la más
    reciente arriba.
lab04-rows =
    Las filas con tamaño son capas: archivos añadidos, cambiados o borrados (la de abajo de
    nginx:stable, 74.8MB, es Debian entero; encima, la instalación de nginx). Las filas de
    0B solo cambian metadatos (ENV, CMD, EXPOSE…). Cada capa tiene su propia función:
    instalación, configuración, scripts.
lab04-missing =
    ¿Y `<missing>`? Solo la imagen final tiene ID en tu almacén: los pasos intermedios se
    construyeron en otra máquina y no viajan con la imagen. Sus filas están, pero sin ID.
lab04-summary =
    Una imagen es una pila de capas, y su historial dice qué paso de la receta dejó cada
    una. Bajar una imagen es bajar sus capas.
lab04-exercises = ─── Ejercicios ───
lab04-ex1 =
    Averigua con `capas history` sobre qué imagen base se construyó nginx:stable (mira sus
    filas de abajo), tráela con `capas pull` y ponle la etiqueta `lab04/base:{ $word }`.
lab04-ex2 =
    Dale a nginx:stable una página propia: crea la imagen `lab04/web:{ $word }`, que sea
    nginx:stable más una capa en la que /usr/share/nginx/html/index.html contenga solo
    `{ $word }`.
lab04-ex1-no-image = No existe la imagen `lab04/base:{ $word }`. Mira `capas images`.
lab04-ex1-wrong-image = `lab04/base:{ $word }` no es la base de nginx:stable. Compara las filas de abajo de `capas history nginx:stable` con `capas history` de tu imagen.
lab04-ex2-no-image = No existe la imagen `lab04/web:{ $word }`. Mira `capas images`.
lab04-ex2-wrong-base = `lab04/web:{ $word }` debería ser nginx:stable más una capa. Mira `capas history lab04/web:{ $word }`.
lab04-ex2-wrong-page = En `lab04/web:{ $word }`, index.html contiene { $found }, y debería contener `{ $word }`.
lab04-ex1-hint1 = La fila de abajo de `capas history nginx:stable` es un ADD de un sistema completo: ¿de qué distribución?
lab04-ex1-hint2 = El registro de ejemplo tiene debian:bookworm-slim. `capas tag ORIGEN DESTINO` pone otro nombre a una imagen.
lab04-ex1-hint3 = capas pull debian:bookworm-slim, y después capas tag debian:bookworm-slim lab04/base:{ $word }
lab04-ex2-hint1 = Un contenedor de nginx:stable que escriba la página, y después `capas commit`.
lab04-ex2-hint2 = capas run --name lab04-{ $word } nginx:stable sh -c 'echo { $word } > /usr/share/nginx/html/index.html'
lab04-ex1-solution =
    capas pull debian:bookworm-slim
    capas tag debian:bookworm-slim lab04/base:{ $word }
lab04-ex2-solution =
    capas run --name lab04-{ $word } nginx:stable sh -c 'echo { $word } > /usr/share/nginx/html/index.html'
    capas commit lab04-{ $word } lab04/web:{ $word }
