#!/usr/bin/env bash
# A first tour of capas on the built-in sample images, in a store of its own
# (./target/tour-store, or $CAPAS_HOME if set). Run from the repository root:
#   scripts/tour.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin capas
capas=./target/release/capas
export CAPAS_HOME="${CAPAS_HOME:-$PWD/target/tour-store}"
step() { printf '\n$ capas %s\n' "$*"; "$capas" "$@"; }

echo "Store: $CAPAS_HOME"
step pull alpine:3.19
step pull nginx:stable-alpine3.19      # alpine's layer: Already exists
step images
step history nginx:stable-alpine3.19
step history alpine:3.19
step fsck
