// How a client reaches the server and how hard it tries.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace drizzle_convex {

struct ClientOptions {
  std::string url = "http://127.0.0.1:8787";  // http:// or https://, optionally with a base path
  std::string token = {};                     // sent as Authorization: Bearer; empty: none
  std::chrono::milliseconds timeout{10000};   // per call, retries included
  // An answer body larger than this is cut off: a connection error with code
  // ANSWER_TOO_LARGE, never retried (the server's own --answer-bytes is 64 MiB too).
  std::uint64_t max_answer_bytes = 64ull << 20;
  // Reads (query, explain, schema) are tried up to this many times on a 502,
  // 503, 504 or a broken connection, with jittered exponential backoff.
  // Mutations are retried only when the request never left this process.
  int max_attempts = 3;
  std::chrono::milliseconds backoff{100};      // first wait; doubles per attempt, ±50% jitter
  std::chrono::milliseconds max_backoff{2000};
  std::size_t max_idle_connections = 8;        // keep-alive pool
  std::chrono::milliseconds idle_timeout{4000};  // idle connections older than this are closed
  // https: verified against the system's CA store, or this PEM file instead.
  std::string ca_file = {};
  bool verify_tls = true;
};

// Per-call overrides.
struct CallOptions {
  std::optional<std::chrono::milliseconds> timeout = std::nullopt;
  std::optional<std::string> token = std::nullopt;
};

// Live queries: reconnection after the socket drops.
struct WatchOptions {
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  std::optional<std::string> token = std::nullopt;
};

}  // namespace drizzle_convex
