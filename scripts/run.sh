#!/usr/bin/env bash
# Builds and runs the server. With no Convex URL it runs the embedded engine
# with the demo blog on port ${PORT:-8787}. Extra arguments go to the server
# (e.g. --schema FILE --import DIR). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh >&2  # stdout carries only the server's ready line
exec build/release/drizzle-convex-server --port "${PORT:-8787}" "$@"
