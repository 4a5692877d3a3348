// What Convex sends back: an HTTP answer (status picked by the first byte,
// then the body) read as the proxy reads it, the value it carries decoded
// as a Convex value, and sync-protocol versions.
#include <array>

#include "protocol/json_read.hpp"
#include "protocol/value_json.hpp"
#include "server/backend/convex/convex_client.hpp"
#include "server/backend/convex/sync_client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static constexpr std::array<unsigned, 8> kStatuses{200, 200, 560, 400, 429, 500, 503, 504};
  unsigned status = kStatuses[data[0] % kStatuses.size()];
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto r = dc::interpret_convex_response(status, body, "drizzle:execute");
  if (r) {
    auto v = dc::value_from_json(*r, "", dc::ErrorCode::upstream_error);
    if (v) {
      std::string text;
      dc::write_json(*v, text);
      if (!dc::Json::accept(text)) std::abort();
    }
  } else if (!dc::Json::accept(dc::Json(r.error().message).dump())) {
    std::abort();  // error text from upstream must be valid UTF-8 once cut
  }
  auto parsed = dc::read_json(body, dc::JsonLimits{256});
  if (parsed && parsed->is_object()) {
    (void)dc::parse_sync_version(parsed->value("startVersion", dc::Json()));
  }
  return 0;
}
