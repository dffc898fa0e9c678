lab07-title = ═══ Laboratorio 7 · Borrar una imagen: images y rmi ═══
lab07-intro =
    `images` lista las imágenes del almacén; `rmi` las borra, por nombre o por ID. Pero
    borrar una imagen no siempre borra bytes: depende de sus nombres, de los contenedores y
    de las capas que comparte. Lo vemos en un almacén nuevo, solo de este recorrido.
lab07-by-name =
    Borrar por nombre: primero se quita el nombre (Untagged); como no le queda otro, se borra
    la imagen (Deleted) y, una a una, sus capas propias, de arriba abajo.
lab07-shared-stays =
    Fíjate en lo que no se borró: la capa de alpine, que nginx compartía. alpine:3.19 sigue
    entera.
lab07-two-names =
    Una imagen puede tener varios nombres: dos filas con el mismo IMAGE ID. Borrar uno de
    ellos solo quita ese nombre.
lab07-untag =
    Solo `Untagged`: la imagen sigue ahí con su otro nombre, y sus bytes también.
lab07-container =
    Un contenedor depende de su imagen, aunque esté parado. Intentemos borrar alpine por su
    ID mientras un contenedor la usa:
lab07-conflict =
    Conflicto: hay que borrar antes el contenedor (o forzar con -f). Borrado el contenedor,
    la imagen se puede borrar por su ID: se quitan todos sus nombres y luego sus capas.
lab07-summary =
    rmi por nombre quita ese nombre y borra la imagen solo si no le queda ninguno; rmi por ID
    borra la imagen con todos sus nombres. Las capas compartidas y las que usa un contenedor
    se quedan.
lab07-exercises = ─── Ejercicios ───
lab07-ex1 =
    Trae busybox:latest, ponle el nombre `lab07/{ $word }:1` y después quítale el nombre
    busybox:latest sin borrar la imagen.
lab07-ex2 =
    Crea `lab07/{ $word }:2`, que sea debian:bookworm-slim más una capa. Después borra
    el nombre debian:bookworm-slim: la imagen de debian debe quedarse, porque
    la tuya usa sus capas.
lab07-ex1-no-image = No existe `lab07/{ $word }:1`. Mira `capas images`.
lab07-ex1-not-busybox = `lab07/{ $word }:1` no es la imagen de busybox:latest.
lab07-ex1-still-named = busybox:latest sigue teniendo ese nombre: quítaselo con `capas rmi`.
lab07-ex2-no-image = No existe `lab07/{ $word }:2`. Mira `capas images`.
lab07-ex2-parent-gone = La imagen de debian:bookworm-slim ya no está: vuelve a traerla y rehaz el ejercicio, borrando solo el nombre.
lab07-ex2-wrong-base = `lab07/{ $word }:2` debería ser debian:bookworm-slim más una capa. Mira `capas history lab07/{ $word }:2`.
lab07-ex2-still-named = La imagen de debian sigue llamándose debian:bookworm-slim: borra ese nombre con `capas rmi`.
lab07-ex1-hint1 = `capas tag ORIGEN DESTINO` da otro nombre a una imagen.
lab07-ex1-hint2 = Con dos nombres, `capas rmi busybox:latest` solo quita ese nombre.
lab07-ex2-hint1 = Un contenedor de debian:bookworm-slim que cambie algo, y `capas commit`.
lab07-ex2-hint2 = Borrar por nombre una imagen que tiene una imagen hija solo le quita el nombre.
lab07-ex2-hint3 = Un contenedor también retiene la imagen: bórralo (`capas rm`) y después capas rmi debian:bookworm-slim (por nombre, no por ID)
lab07-ex1-solution =
    capas pull busybox:latest
    capas tag busybox:latest lab07/{ $word }:1
    capas rmi busybox:latest
lab07-ex2-solution =
    capas run --name lab07-{ $word } debian:bookworm-slim touch /{ $word }
    capas commit lab07-{ $word } lab07/{ $word }:2
    capas rm lab07-{ $word }
    capas rmi debian:bookworm-slim
