#!/usr/bin/env bash
# `capas pull` against `docker pull` of the same image from the same loopback registry
# (PERFORMANCE.md: target ≤ 0.8 × docker pull).
#
# The image: 5 layers, about 100 MB uncompressed (text-like small files, which compress, and
# a few larger binary files, which do not), built by Docker FROM scratch and pushed by Docker,
# so its layers are Docker's own gzip blobs. Both pulls start from nothing each run: Docker's
# copy is removed with `docker rmi` (the image is ours: capas-bench, labelled), capas pulls
# into a new store. The capas store is on the same file system as /var/lib/docker.
# Needs hyperfine, docker-registry and a Docker daemon.
# Usage: benches/pull.sh [RUNS]   (results: target/bench/pull.md)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
for tool in hyperfine docker-registry docker python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done
docker info >/dev/null 2>&1 || { echo "needs a Docker daemon" >&2; exit 2; }

cargo build --release --quiet --bin capas
capas=$PWD/target/release/capas
results=$PWD/target/bench
mkdir -p "$results"

work=$(mktemp -d /tmp/capas-pull-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
image=127.0.0.1:$port/capas-bench/pull:5layers
registry_pid=
cleanup() {
  docker rmi -f "$image" >/dev/null 2>&1 || true
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== registry on 127.0.0.1:$port"
cat > "$work/registry.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
  sleep 0.1
done

echo "== building the 5-layer image"
mkdir -p "$work/ctx"
python3 - "$work/ctx" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(7)
words = [("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10))))
         for _ in range(5000)]
for layer in range(1, 6):
    base = os.path.join(root, f"l{layer}")
    total = 0
    n = 0
    # ~16 MB of text-like small files, then ~4 MB of incompressible data in 4 files.
    while total < 16 << 20:
        d = os.path.join(base, f"d{n // 100:03}")
        os.makedirs(d, exist_ok=True)
        size = rng.randint(1024, 32768)
        text = []
        length = 0
        while length < size:
            w = rng.choice(words)
            text.append(w)
            length += len(w) + 1
        data = " ".join(text).encode()[:size]
        with open(os.path.join(d, f"f{n:05}.txt"), "wb") as f:
            f.write(data)
        total += size
        n += 1
    for i in range(4):
        with open(os.path.join(base, f"blob{i}.bin"), "wb") as f:
            f.write(rng.randbytes(1 << 20))
PY
printf 'FROM scratch\nCOPY l1 /l1\nCOPY l2 /l2\nCOPY l3 /l3\nCOPY l4 /l4\nCOPY l5 /l5\nLABEL capas-bench=1\n' \
  > "$work/ctx/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "$image" "$work/ctx" >/dev/null
docker push "$image" >/dev/null
du -sh "$work/ctx" "$work/registry"
docker rmi -f "$image" >/dev/null

# Creating files is the bound of both pulls, and on an ext4 without a journal (this
# machine's) it is many times slower for a few seconds after many files were deleted nearby:
# when it picks an inode the kernel skips every recently deleted one (`recently_deleted` in
# `find_inode_bit`, the top of capas's `perf` profile right after an `rm -rf`). So each run
# that follows a deletion (`docker rmi`, `rm -rf` of the store) first waits 6 s. capas is
# measured three ways: its store removed before each run (as Docker's layers are), a new store
# directory each run with nothing deleted, and a store on tmpfs (the engine's own cost).
shm=/dev/shm/capas-pull-bench-$$
trap 'cleanup; rm -rf "$shm"' EXIT
mkdir -p "$work/stores"
echo "== capas pull vs docker pull ($runs runs each)"
hyperfine --warmup 1 --runs "$runs" --export-markdown "$results/pull.md" \
  --prepare "docker rmi -f $image >/dev/null 2>&1 || true; sync; sleep 6" \
  -n "docker pull" "docker pull -q $image" \
  --prepare "rm -rf $work/store; sync; sleep 6" \
  -n "capas pull (store removed before each run)" "$capas --store $work/store pull -q $image" \
  --prepare "d=$work/stores/\$(date +%s%N); mkdir -p \$d; ln -sfn \$d $work/fresh; sync" \
  -n "capas pull (new store directory, nothing deleted)" "$capas --store $work/fresh pull -q $image" \
  --prepare "rm -rf $shm; sync" \
  -n "capas pull (store on tmpfs)" "$capas --store $shm pull -q $image"
# The same image, the same ID.
docker_id=$(docker image inspect --format '{{.Id}}' "$image")
capas_id=$("$capas" --store "$work/store" inspect "$image" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])')
echo "image ID: docker $docker_id, capas $capas_id"
[ "$docker_id" = "$capas_id" ]
cat "$results/pull.md"
