# Build stage: the same set-up script the README uses (scripts/build.sh).
FROM debian:bookworm AS build
WORKDIR /src
COPY . .
RUN ./scripts/build.sh

# Runtime stage: the server, dcq and their shared libraries only.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libspdlog1.10 libfmt9 libssl3 libjemalloc2 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/release/drizzle-convex-server /usr/local/bin/drizzle-convex-server
# dcq, for `docker exec ... dcq query '{...}'` next to the server.
COPY --from=build /src/build/release/client/dcq /usr/local/bin/dcq
# An unprivileged user: a compromised server process owns nothing but its data directory.
RUN useradd --system --uid 10001 --home-dir /var/lib/drizzle-convex --create-home drizzle-convex
USER drizzle-convex
WORKDIR /var/lib/drizzle-convex
# Listens on all interfaces inside the container, on DC_PORT: set that
# (`-e DC_PORT=9000`) rather than --port, so the health check follows.
ENV DC_HOST=0.0.0.0 DC_PORT=8787
EXPOSE 8787
# Ready: the schema loaded and the backend answering (/readyz says why not).
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 CMD curl -fsS "http://127.0.0.1:${DC_PORT}/readyz" > /dev/null || exit 1
# With no flags it serves the demo blog. Anything else needs --auth FILE
# (docs/auth.md) or, behind a gateway that checks callers, --insecure-no-auth.
ENTRYPOINT ["drizzle-convex-server"]
