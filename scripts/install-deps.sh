#!/usr/bin/env bash
# Installs what drizzle-convex needs on Debian 12, by purpose:
#   install-deps.sh        building and running the server and dcq (run.sh, build.sh, the image)
#   install-deps.sh test   that, plus what the test command needs (test.sh)
# DC_WITH_FUZZ=1 adds clang with libFuzzer, DC_WITH_BENCH=1 wrk and nginx.
# Idempotent: it asks apt only for packages that are missing, and runs
# `apt-get update` once, only when something must be installed.
set -euo pipefail

purpose="${1:-run}"
packages=(
  g++ cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-system1.81-dev
  nlohmann-json3-dev libspdlog-dev libssl-dev
  ca-certificates          # TLS to Convex
  libcli11-dev             # dcq's command line
  libtoml11-dev            # the server's --config file
  libjemalloc-dev          # the server's allocator (CMakeLists.txt: DC_JEMALLOC)
)
case "$purpose" in
  run) ;;
  test)
    packages+=(
      doctest-dev              # the C++ test programs
      openssl                  # the TLS test makes its certificate with the openssl tool
      tmux                     # the dcq watch test drives a terminal
      python3-yaml curl        # the compose tests parse docker/compose.yml; deploy-adapter.sh polls with curl
      gnuplot-nox              # bench/plot.sh draws the benchmarks' figures (its test runs it)
      chromium                 # the TypeScript client's browser check (puppeteer-core drives it)
    )
    ;;
  *) echo "install-deps.sh: unknown purpose '$purpose' (run or test)" >&2; exit 2 ;;
esac
# Fuzzing only (fuzz/run.sh): clang with libFuzzer.
if [[ "${DC_WITH_FUZZ:-0}" == "1" ]]; then
  packages+=(clang-14 libclang-rt-14-dev doctest-dev)
fi
# Benchmarks only (B1 compares against nginx under wrk).
if [[ "${DC_WITH_BENCH:-0}" == "1" ]]; then
  packages+=(wrk nginx-light)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  echo "install-deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
