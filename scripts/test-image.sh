#!/usr/bin/env bash
# Builds the repository's Docker image with Debian's podman (no Docker
# engine runs here), runs it and queries it: the demo, then the Convex
# emulator on the host as its Convex. Checks that it runs as non-root and
# that its HEALTHCHECK passes. Run it before a change that touches the
# Dockerfile, the build or start-up; it compiles everything again inside the
# image (about 10 minutes on 2 cores), so it is not part of scripts/test.sh.
# `--no-build` reuses the image the last run built. Its last result goes in
# docs/deployment.md ("The image, built and run here").
#
# No registry serves base images here: debian:bookworm and
# debian:bookworm-slim (the Dockerfile's two stages) are made with
# debootstrap from the Debian mirror apt uses, once, and tagged with those
# names; the build never pulls (--pull=never).
#
# The sandbox's limits: podman builds with --isolation chroot and runs with
# --runtime runc --cgroup-manager=cgroupfs --network host and explicit
# ulimits, which it cannot raise.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
sudo_if_needed() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

need=()
for p in podman debootstrap runc curl; do command -v "$p" > /dev/null || need+=("$p"); done
if ((${#need[@]})); then
  sudo_if_needed apt-get update -q
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman debootstrap runc curl
fi
podman_run=(podman --cgroup-manager=cgroupfs --runtime runc)
# The sandbox refuses limits above its own (open files: this shell's) and
# refuses to set the process limit even to its current value (4096 is taken).
limits=(--ulimit "nofile=$(ulimit -Sn):$(ulimit -Hn)" --ulimit "nproc=4096:4096")

# The base images, from Debian's packages.
mirror="$(grep -hoE 'https?://[^ ]+/debian$' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2> /dev/null | head -1 || true)"
mirror="${mirror:-http://deb.debian.org/debian}"
if ! "${podman_run[@]}" image exists debian:bookworm; then
  rootfs="$(mktemp -d /var/tmp/dc-rootfs.XXXXXX)"
  echo "test-image: debootstrap bookworm from $mirror"
  sudo_if_needed debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > /var/tmp/dc-debootstrap.log
  sudo_if_needed tar -C "$rootfs" -c . | "${podman_run[@]}" import - debian:bookworm
  sudo_if_needed rm -rf "$rootfs"
fi
"${podman_run[@]}" image exists debian:bookworm-slim || "${podman_run[@]}" tag debian:bookworm debian:bookworm-slim

started=$(date +%s)
if [[ "${1:-}" == --no-build ]] && "${podman_run[@]}" image exists drizzle-convex:test; then
  echo "test-image: reusing drizzle-convex:test (--no-build)"
else
echo "test-image: building drizzle-convex:test"
"${podman_run[@]}" build --isolation chroot --pull=never --network host --format docker -t drizzle-convex:test -f Dockerfile . > /var/tmp/dc-image-build.log 2>&1 ||
  { tail -40 /var/tmp/dc-image-build.log >&2; exit 1; }
fi
built=$(( $(date +%s) - started ))

containers=()
emulator_pid=""
cleanup() {
  for c in "${containers[@]}"; do "${podman_run[@]}" rm -f "$c" > /dev/null 2>&1 || true; done
  [[ -n "$emulator_pid" ]] && kill "$emulator_pid" 2> /dev/null || true
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_ready() {  # url seconds
  for ((i = 0; i < $2 * 4; i++)); do curl -sf -o /dev/null "$1/readyz" && return 0; sleep 0.25; done
  echo "test-image: $1 not ready within $2 s" >&2
  return 1
}
fail() { echo "test-image: FAILED: $*" >&2; exit 1; }

# 1. The demo, as `docker run drizzle-convex` would serve it.
port=$(free_port)
containers+=(dc-test-demo)
"${podman_run[@]}" rm -f dc-test-demo dc-test-convex > /dev/null 2>&1 || true  # a run stopped half-way
"${podman_run[@]}" run -d --name dc-test-demo --network host "${limits[@]}" -e DC_PORT="$port" drizzle-convex:test > /dev/null
wait_ready "http://127.0.0.1:$port" 30 || { "${podman_run[@]}" logs dc-test-demo >&2; exit 1; }
count=$(curl -sf "http://127.0.0.1:$port/v1/query" -d '{"table":"users","op":"count"}')
[[ "$count" =~ \"count\":[1-9] ]] || fail "the demo answered $count"
uid=$("${podman_run[@]}" exec dc-test-demo id -u)
[[ "$uid" != 0 ]] || fail "the server runs as root"
"${podman_run[@]}" healthcheck run dc-test-demo > /dev/null || fail "the HEALTHCHECK does not pass"
"${podman_run[@]}" exec dc-test-demo dcq --url "http://127.0.0.1:$port" query '{"table":"tags","op":"count"}' > /dev/null ||
  fail "dcq in the image"

# 2. In front of Convex: the emulator on the host, its URL and key in the environment.
key="convex-self-hosted|$(openssl rand -hex 32)"
eport=$(free_port)
node tests/emulator/main.mjs --port "$eport" --schema tests/conformance/fixtures/blog/schema.json \
  --import tests/conformance/fixtures/blog/data --admin-key "$key" > /var/tmp/dc-image-emulator.log 2>&1 &
emulator_pid=$!
for ((i = 0; i < 80; i++)); do grep -q "listening on" /var/tmp/dc-image-emulator.log && break; sleep 0.25; done
cport=$(free_port)
containers+=(dc-test-convex)
"${podman_run[@]}" run -d --name dc-test-convex --network host "${limits[@]}" \
  -e CONVEX_URL="http://127.0.0.1:$eport" -e CONVEX_DEPLOY_KEY="$key" -e DC_PORT="$cport" \
  -e DC_HOST=127.0.0.1 drizzle-convex:test > /dev/null  # loopback (host network): no auth file needed for the test
wait_ready "http://127.0.0.1:$cport" 60 || { "${podman_run[@]}" logs dc-test-convex >&2; exit 1; }
users=$(curl -sf "http://127.0.0.1:$cport/v1/query" -d '{"table":"users","op":"count"}')
[[ "$users" == '{"data":{"count":8}}' ]] || fail "through the emulator: $users"

size=$("${podman_run[@]}" image inspect drizzle-convex:test --format '{{.Size}}')
echo "test-image: ok on $(date -u +%Y-%m-%d): built in ${built} s, $((size / 1048576)) MiB; demo and Convex (emulator) answered; uid $uid; health check passing"
