#!/usr/bin/env bash
# Whole-command benchmarks of capas against its peers (PERFORMANCE.md), on tmpfs, in one run:
#   1. layer create + diff ID, large files and small files, against
#      `tar -cf - DIR | tee F | openssl dgst -sha256`
#   2. layer unpack with diff-ID check against GNU `tar -xf` (which does not hash)
#   3. `capas load` against `docker load` of the same archive (needs a Docker daemon)
# Needs hyperfine and openssl (Debian: apt-get install hyperfine openssl).
# Usage: benches/compare.sh [RUNS]   (results: target/bench/*.md)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
command -v hyperfine >/dev/null || { echo "needs hyperfine: apt-get install hyperfine" >&2; exit 2; }

cargo build --release --quiet --example layer_tool --bin capas
tool=$PWD/target/release/examples/layer_tool
capas=$PWD/target/release/capas
results=$PWD/target/bench
mkdir -p "$results"

work=/dev/shm/capas-bench
[ -w /dev/shm ] || work=$(mktemp -d)
rm -rf "$work"; mkdir -p "$work"
trap 'rm -rf "$work"; docker rmi -f capas-bench/nginx:1 >/dev/null 2>&1 || true' EXIT

echo "== preparing trees in $work"
mkdir -p "$work/big" "$work/small"
for i in 1 2 3; do head -c 67108864 /dev/urandom > "$work/big/file$i"; done  # 3 x 64 MiB
python3 - "$work/small" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(42)
for d in range(200):
    sub = os.path.join(root, f"d{d:03}", f"e{d % 7}")
    os.makedirs(sub, exist_ok=True)
    for f in range(100):
        with open(os.path.join(sub, f"f{f:03}.txt"), "wb") as out:
            out.write(os.urandom(rng.randint(1024, 8192)))
PY
du -sh "$work/big" "$work/small"

for tree in big small; do
  echo "== layer create + diff ID: $tree"
  hyperfine --warmup 1 --runs "$runs" --export-markdown "$results/create-$tree.md" \
    -n "capas layer create" "$tool create $work/$tree $work/$tree-capas.tar" \
    -n "tar | tee | openssl" "tar -C $work/$tree -cf - . | tee $work/$tree-gnu.tar | openssl dgst -sha256"
done

echo "== layer unpack with diff ID vs tar -xf: small files"
"$tool" create "$work/small" "$work/small.tar" >/dev/null
hyperfine --warmup 1 --runs "$runs" --export-markdown "$results/unpack-small.md" \
  --prepare "rm -rf $work/out; mkdir -p $work/out" \
  -n "capas layer unpack" "$tool unpack $work/small.tar $work/out/x" \
  -n "tar -xf" "tar -xf $work/small.tar -C $work/out"

if docker info >/dev/null 2>&1; then
  echo "== capas load vs docker load (nginx:stable sample, ~190 MB)"
  export CAPAS_HOME=$work/store
  "$capas" pull -q nginx:stable >/dev/null
  "$capas" tag nginx:stable capas-bench/nginx:1
  "$capas" save -o "$work/nginx.tar" capas-bench/nginx:1
  hyperfine --warmup 1 --runs "$runs" --export-markdown "$results/load.md" \
    --prepare "rm -rf $work/store2; docker rmi -f capas-bench/nginx:1 >/dev/null 2>&1 || true" \
    -n "capas load" "$capas --store $work/store2 load -i $work/nginx.tar" \
    -n "docker load" "docker load -i $work/nginx.tar"
else
  echo "== no Docker daemon: skipping capas load vs docker load"
fi
cat "$results"/*.md
