#!/usr/bin/env bash
# Installs missing packages and builds the release server and dcq. Used by run.sh and
# by the Dockerfile, so the image is built exactly as the README builds it.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache (when installed) shares its cache across clones in other folders:
# paths under the checkout are hashed relative to it, and the folder itself is not.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-true}"
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target drizzle-convex-server dcq
