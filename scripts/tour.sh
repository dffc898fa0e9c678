#!/usr/bin/env bash
# A first tour of capas on the built-in sample images, in a store of its own
# (./target/tour-store, or $CAPAS_HOME if set). Run from the repository root:
#   scripts/tour.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin capas
capas=./target/release/capas
export CAPAS_HOME="${CAPAS_HOME:-$PWD/target/tour-store}"
step() {
  printf '\n$ capas'
  for a in "$@"; do
    if [[ $a =~ [^A-Za-z0-9_./:=@-] ]]; then printf " '%s'" "$a"; else printf ' %s' "$a"; fi
  done
  printf '\n'
  "$capas" "$@"
}

echo "Store: $CAPAS_HOME"
step pull alpine:3.19
step pull nginx:stable-alpine3.19      # alpine's layer: Already exists
step images
step history nginx:stable-alpine3.19
step history alpine:3.19
step fsck

# Containers (course sections 1 and 2.5): one read/write layer on top of the image's
# read-only layers; writes copy up, deletions leave whiteouts, the image never changes.
"$capas" rm tour-c1 >/dev/null 2>&1 || true
step run --name tour-c1 alpine:3.19 sh -c 'echo hola > /tmp/a; echo x >> /etc/motd; rm /etc/issue'
step diff tour-c1
step why tour-c1 /etc/issue
step why tour-c1 /etc/motd
step commit -m "mi cambio" tour-c1 mia:1
step history mia:1
step ps -a
step rm tour-c1
