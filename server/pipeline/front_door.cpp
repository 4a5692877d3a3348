#include "server/pipeline/front_door.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <chrono>
#include <random>

namespace dc {

Result<std::vector<std::string>> parse_cors_origins(std::string_view list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = list.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) {
      // An origin is scheme://host[:port], nothing after: a browser sends exactly that.
      bool scheme = item.starts_with("http://") || item.starts_with("https://");
      std::string_view rest = scheme ? item.substr(item.find("://") + 3) : std::string_view();
      if (rest.empty() || rest.find('/') != std::string_view::npos) {
        return Error{ErrorCode::invalid_query,
                     "--cors-origins: '" + std::string(item) + "' is not an origin (scheme://host[:port], e.g. https://app.example.com)",
                     std::nullopt};
      }
      out.emplace_back(item);
    }
    start = end + 1;
  }
  return out;
}

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Is `host` (a Host header: name or [v6], optional :port) one of the loopback names?
bool local_host(std::string_view host) {
  std::string_view name = host;
  if (name.starts_with("[")) {
    auto close = name.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view rest = name.substr(close + 1);
    name = name.substr(0, close + 1);
    if (!rest.empty() && !rest.starts_with(":")) return false;
  } else if (auto colon = name.find(':'); colon != std::string_view::npos) {
    name = name.substr(0, colon);
  }
  return iequals(name, "localhost") || name == "127.0.0.1" || name == "[::1]";
}

Error forbidden(std::string message) { return Error{ErrorCode::forbidden, std::move(message), std::nullopt}; }

}  // namespace

Admission admit(const FrontDoorOptions& options, std::string_view host, std::optional<std::string_view> origin) {
  Admission a;
  if (options.loopback && !host.empty() && !local_host(host)) {
    a.refusal = forbidden("this server listens on a loopback address and answers only Host localhost, 127.0.0.1 or [::1], not '" +
                          std::string(host.substr(0, 100)) + "'");
    return a;
  }
  if (!origin) return a;
  auto listed = std::find(options.cors_origins.begin(), options.cors_origins.end(), *origin);
  if (listed == options.cors_origins.end()) {
    a.refusal = forbidden("requests from the browser origin '" + std::string(origin->substr(0, 200)) +
                          "' are not allowed; list it in --cors-origins to allow it");
    return a;
  }
  a.headers.emplace_back("Access-Control-Allow-Origin", *listed);
  a.headers.emplace_back("Vary", "Origin");
  return a;
}

Headers preflight_headers() {
  return {{"Access-Control-Allow-Methods", "GET, POST"},
          {"Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id"},
          {"Access-Control-Max-Age", "600"}};
}

std::string request_id(std::string_view header) {
  bool usable = !header.empty() && header.size() <= 128 &&
                std::all_of(header.begin(), header.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (usable) return std::string(header);
  // A per-process random prefix and a counter: unique here, and unlikely to
  // collide with another instance's ids in shared logs. Eight hex digits, a
  // dash and the counter in base 36 stay within 15 characters for the first
  // two billion requests, so the id is carried in a string without an allocation.
  static const std::string prefix = [] {
    std::mt19937_64 rng{std::random_device{}() ^ static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count())};
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    return std::string(buf, 8);
  }();
  static std::atomic<uint64_t> counter{0};
  uint64_t n = counter.fetch_add(1, std::memory_order_relaxed) + 1;
  char digits[16];
  char* end = digits + sizeof digits;
  char* at = end;
  do {
    *--at = "0123456789abcdefghijklmnopqrstuvwxyz"[n % 36];
    n /= 36;
  } while (n);
  std::string id;
  id.reserve(prefix.size() + 1 + static_cast<size_t>(end - at));
  id.append(prefix).append(1, '-').append(at, end);
  return id;
}

}  // namespace dc
