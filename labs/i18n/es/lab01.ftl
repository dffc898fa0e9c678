lab01-title = ═══ Laboratorio 1 · ¿Qué es una imagen? ═══
lab01-intro =
    Una imagen de contenedor es un paquete inmutable con todo lo que una aplicación necesita
    para ejecutarse: código, librerías, dependencias y configuración. El curso distingue tres
    cosas: la receta (el Dockerfile: instrucciones), la imagen (el paquete que resulta de
    seguirlas) y el contenedor (una instancia de la imagen). Empecemos por traer una imagen.
lab01-image =
    Ya tenemos la imagen en el almacén. Cada imagen tiene un ID: los 12 primeros caracteres
    de un sha256, calculado sobre su configuración. Es su huella: si algo cambiara, el ID
    sería otro.
lab01-recipe =
    ¿Y la receta? La imagen la recuerda: `history` muestra una fila por instrucción que la
    construyó, de la más reciente a la más antigua. La fila ADD trajo los archivos (7.38MB);
    la fila CMD solo guarda metadatos (0B): qué ejecutar por defecto.
lab01-container =
    Un contenedor es una instancia de la imagen. `run` crea uno y ejecuta en él una orden:
    aquí, leer la versión de Alpine que trae la imagen.
lab01-template =
    La imagen es una plantilla: de ella salen tantos contenedores como queramos. Este otro
    (con --rm, que lo borra al terminar) ve el mismo sistema de archivos.
lab01-summary =
    En resumen: la receta dice cómo se hace la imagen, la imagen es el paquete estático con
    su ID, y el contenedor es la instancia que se crea a partir de ella.
lab01-exercises = ─── Ejercicios ───
lab01-ex1 =
    Crea un contenedor llamado `lab01-{ $word }` a partir de alpine:3.19 en el que el archivo
    /tmp/{ $word }.txt contenga la línea `{ $number }`.
lab01-ex2 =
    Convierte ese contenedor en una imagen nueva llamada `lab01/{ $word }:{ $number }`.
lab01-ex1-no-container = No encuentro el contenedor `lab01-{ $word }`. Mira `capas ps -a`.
lab01-ex1-wrong-image = El contenedor `lab01-{ $word }` no es de alpine:3.19. Bórralo (`capas rm`) y créalo de nuevo desde alpine:3.19.
lab01-ex1-no-file = En `lab01-{ $word }` no existe /tmp/{ $word }.txt. Compruébalo con `capas exec lab01-{ $word } ls /tmp`.
lab01-ex1-wrong-content = /tmp/{ $word }.txt contiene { $found }, y debería contener `{ $number }`.
lab01-ex2-no-image = No existe la imagen `lab01/{ $word }:{ $number }`. Mira `capas images`.
lab01-ex2-wrong-base = `lab01/{ $word }:{ $number }` debería ser alpine:3.19 más una capa. Mira `capas history lab01/{ $word }:{ $number }`.
lab01-ex2-no-file = La imagen `lab01/{ $word }:{ $number }` no tiene /tmp/{ $word }.txt con `{ $number }`: ¿hiciste el commit después de escribir el archivo?
lab01-ex1-hint1 = `capas run --name NOMBRE IMAGEN ORDEN…` crea el contenedor y ejecuta la orden dentro.
lab01-ex1-hint2 = Para escribir en un archivo hace falta un shell: `sh -c 'echo … > archivo'`.
lab01-ex1-hint3 = Algo así: capas run --name lab01-{ $word } alpine:3.19 sh -c 'echo …'
lab01-ex2-hint1 = La orden que convierte un contenedor en imagen es `capas commit`.
lab01-ex2-hint2 = `capas commit CONTENEDOR REPOSITORIO:ETIQUETA`.
lab01-ex1-solution = capas run --name lab01-{ $word } alpine:3.19 sh -c 'echo { $number } > /tmp/{ $word }.txt'
lab01-ex2-solution = capas commit lab01-{ $word } lab01/{ $word }:{ $number }
