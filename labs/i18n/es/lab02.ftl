lab02-title = ═══ Laboratorio 2 · Inmutabilidad, capas y base para contenedores ═══
lab02-intro =
    Una imagen, una vez creada, no puede modificarse. Veámoslo con alpine:3.19 y su ID
    completo: el sha256 de su configuración.
lab02-change =
    Intentemos "cambiarla": un contenedor escribe en /etc/motd y guardamos el resultado con
    `commit`.
lab02-new-id =
    Mira los IDs: alpine:3.19 conserva el suyo, exactamente el mismo. El cambio no tocó la
    imagen: produjo otra imagen, lab02/demo:1, con otro ID. Así se controlan las versiones:
    cada ID nombra un contenido que nunca cambia.
lab02-layers =
    La imagen nueva es alpine más una capa: la fila de arriba del historial es el cambio del
    contenedor (unos pocos bytes); las de abajo son las capas de alpine, reutilizadas tal cual.
lab02-base =
    La imagen es la base de muchos contenedores. Cada uno recibe su propia capa de escritura:
    dos contenedores de la misma imagen escriben el mismo archivo sin verse entre sí.
lab02-summary =
    Inmutabilidad: cambiar es crear una imagen nueva (nuevo ID). Capas: la nueva imagen
    reutiliza las de la base y añade solo la diferencia. Base para contenedores: una imagen,
    muchos contenedores, cada uno con su capa de escritura.
lab02-exercises = ─── Ejercicios ───
lab02-ex1 =
    Crea a partir de alpine:3.19 una imagen `lab02/{ $word }:v2` en la que /etc/motd
    contenga solo la palabra `{ $word }`. alpine:3.19 debe conservar su ID.
lab02-ex2 =
    Crea dos contenedores de `lab02/{ $word }:v2`, llamados `lab02-{ $word }-1` y
    `lab02-{ $word }-2`. En el primero escribe `{ $number }` en /tmp/n; el segundo no
    debe verlo.
lab02-ex1-no-image = No existe la imagen `lab02/{ $word }:v2`. Mira `capas images`.
lab02-ex1-wrong-base = `lab02/{ $word }:v2` no está construida sobre alpine:3.19. Mira `capas history lab02/{ $word }:v2`.
lab02-ex1-alpine-moved = El nombre alpine:3.19 ya no apunta a la imagen original: vuelve a traerla con `capas pull alpine:3.19`.
lab02-ex1-wrong-motd = En `lab02/{ $word }:v2`, /etc/motd contiene { $found }, y debería contener `{ $word }`.
lab02-ex2-no-container = No encuentro el contenedor `{ $name }`. Mira `capas ps -a`.
lab02-ex2-wrong-image = El contenedor `{ $name }` no es de `lab02/{ $word }:v2`.
lab02-ex2-no-number = En `lab02-{ $word }-1`, /tmp/n no contiene `{ $number }`.
lab02-ex2-shared = `lab02-{ $word }-2` también tiene /tmp/n: cada contenedor debería tener su propia capa de escritura. ¿Lo escribiste también en el segundo, o en la imagen?
lab02-ex1-hint1 = Un contenedor de alpine:3.19 que escriba en /etc/motd, y después `capas commit`.
lab02-ex1-hint2 = `>` reemplaza el contenido del archivo; `>>` añade al final.
lab02-ex1-hint3 = capas run --name … alpine:3.19 sh -c 'echo { $word } > /etc/motd', y después capas commit … lab02/{ $word }:v2
lab02-ex2-hint1 = `capas create --name NOMBRE IMAGEN` crea un contenedor sin ejecutar nada; `capas exec` ejecuta algo dentro.
lab02-ex2-hint2 = Solo el primero escribe: capas exec lab02-{ $word }-1 sh -c 'echo { $number } > /tmp/n'
lab02-ex1-solution =
    capas run --name lab02-{ $word }-src alpine:3.19 sh -c 'echo { $word } > /etc/motd'
    capas commit lab02-{ $word }-src lab02/{ $word }:v2
lab02-ex2-solution =
    capas create --name lab02-{ $word }-1 lab02/{ $word }:v2
    capas create --name lab02-{ $word }-2 lab02/{ $word }:v2
    capas exec lab02-{ $word }-1 sh -c 'echo { $number } > /tmp/n'
