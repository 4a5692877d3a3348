#!/usr/bin/env bash
# Builds and runs the server. With no Convex URL it runs the embedded engine
# with the demo blog. Extra arguments go to the server (e.g. --schema FILE).
# Idempotent: installs missing packages, rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target drizzle-convex-server
exec build/release/drizzle-convex-server --port "${PORT:-8787}" "$@"
