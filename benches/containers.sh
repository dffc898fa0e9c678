#!/usr/bin/env bash
# Container and union-view benchmarks (PERFORMANCE.md): copy-up of a 1 GiB file against
# std::fs::copy and GNU cp, and the union view of 3 and 50 layers against walking the layer
# directories and a kernel overlay mount (the overlay needs root), with 100k lookups.
# Usage: benches/containers.sh [DIR]   (default /dev/shm; needs ~3 GiB free there)
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-/dev/shm}
cargo build --release --quiet --example cow_bench
tool=$PWD/target/release/examples/cow_bench
work=$(mktemp -d "$base/capas-cow.XXXXXX")
trap 'umount "$work"/*/merged 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/copy" "$work/u3" "$work/u50"
"$tool" copy-up "$work/copy"
rm -rf "$work/copy"
"$tool" union "$work/u3" 3 10000
"$tool" union "$work/u50" 50 2000
