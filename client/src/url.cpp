#include "client/src/url.hpp"

namespace drizzle_convex::detail {

namespace {
Error bad(std::string message) {
  return Error{Error::Kind::usage, 0, "USAGE", std::move(message), std::nullopt, std::nullopt};
}
}  // namespace

std::string Url::host_header() const {
  bool default_port = (tls && port == "443") || (!tls && port == "80");
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return default_port ? h : h + ":" + port;
}

Result<Url> parse_url(std::string_view text) {
  Url u;
  if (text.starts_with("http://")) {
    text.remove_prefix(7);
  } else if (text.starts_with("https://")) {
    u.tls = true;
    text.remove_prefix(8);
  } else {
    return bad("the URL must start with http:// or https://: '" + std::string(text) + "'");
  }
  size_t slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  if (slash != std::string_view::npos) {
    u.base_path = std::string(text.substr(slash));
    while (!u.base_path.empty() && u.base_path.back() == '/') u.base_path.pop_back();
  }
  if (authority.find('@') != std::string_view::npos) return bad("credentials in the URL are not supported; pass a token");
  std::string_view port;
  if (authority.starts_with("[")) {  // [::1]:8787
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed '[' in the URL's host");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("unexpected text after the URL's host");
      port = rest.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return bad("the URL has no host");
  if (port.empty()) {
    u.port = u.tls ? "443" : "80";
  } else {
    for (char c : port)
      if (c < '0' || c > '9') return bad("the URL's port is not a number: '" + std::string(port) + "'");
    if (port.size() > 5 || std::stoi(std::string(port)) > 65535 || std::stoi(std::string(port)) == 0)
      return bad("the URL's port is out of range: " + std::string(port));
    u.port = std::string(port);
  }
  return u;
}

}  // namespace drizzle_convex::detail
