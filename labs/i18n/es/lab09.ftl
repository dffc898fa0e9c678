lab09-title = ═══ Laboratorio 9 · Resumen y reto final ═══
lab09-intro =
    Has recorrido el curso sobre un motor real. Este es su resumen, con la orden de capas que
    lo muestra:
lab09-table =
    Imagen: plantilla de un contenedor (capas images, capas run).
    Inmutabilidad: no se puede cambiar una vez creada; un cambio es otra imagen, con otro ID
    (capas commit, capas build).
    Capas: cambios aislados y reutilizables (capas history, capas layers, capas why).
    Copy-on-write: el contenedor escribe en su propia capa (capas diff, capas why CONTENEDOR).
    Pull compartido: capas comunes entre imágenes, `Already exists` (capas pull).
    Borrar: quitar nombres o borrar imágenes (capas rmi, por nombre o por ID).
    Prune: imágenes colgantes o sin uso (capas image prune, con o sin -a).
lab09-challenge =
    El reto junta todo: una receta (Dockerfile) que `capas build` convierte en imagen, un
    contenedor de esa imagen que ejecuta su orden por defecto, y un almacén sin restos.
lab09-exercises = ─── Reto ───
lab09-ex1 =
    Escribe un Dockerfile sobre alpine:3.19 que deje en /etc/motd solo la palabra
    `{ $word }` y cuya orden por defecto sea `cat /etc/motd` (forma JSON). Constrúyelo con
    `capas build` como `lab09/{ $word }:1`.
lab09-ex2 =
    Crea y ejecuta un contenedor `lab09-{ $word }` de tu imagen sin darle orden (usa la de
    la imagen: debe imprimir tu palabra). Si reconstruiste la imagen, no dejes imágenes
    colgantes en el almacén.
lab09-ex1-no-image = No existe `lab09/{ $word }:1`. Mira `capas images`.
lab09-ex1-wrong-base = `lab09/{ $word }:1` no está construida sobre alpine:3.19: la receta debe empezar con FROM alpine:3.19.
lab09-ex1-motd = En `lab09/{ $word }:1`, /etc/motd no contiene solo `{ $word }`.
lab09-ex1-cmd = La orden por defecto de `lab09/{ $word }:1` es { $found }, y debería ser ["cat", "/etc/motd"].
lab09-ex2-no-container = No encuentro el contenedor `lab09-{ $word }`. Mira `capas ps -a`.
lab09-ex2-wrong-image = El contenedor `lab09-{ $word }` no es de la imagen `lab09/{ $word }:1` actual.
lab09-ex2-not-run = El contenedor `lab09-{ $word }` no ejecutó con éxito la orden de la imagen (`capas run` sin orden).
lab09-ex2-dangling = Quedan imágenes colgantes: `capas image prune`.
lab09-ex1-hint1 = Tres instrucciones: FROM, RUN y CMD.
lab09-ex1-hint2 = La forma JSON de CMD: CMD ["cat", "/etc/motd"]
lab09-ex1-hint3 = En un directorio con el Dockerfile: capas build -t lab09/{ $word }:1 .
lab09-ex2-hint1 = `capas run --name NOMBRE IMAGEN`, sin nada más, ejecuta la orden por defecto.
lab09-ex2-hint2 = `capas images -f dangling=true` y `capas image prune`.
lab09-ex1-solution =
    mkdir reto && cd reto
    printf 'FROM alpine:3.19\nRUN echo { $word } > /etc/motd\nCMD ["cat", "/etc/motd"]\n' > Dockerfile
    capas build -t lab09/{ $word }:1 .
lab09-ex2-solution =
    capas run --name lab09-{ $word } lab09/{ $word }:1
    capas image prune -f
