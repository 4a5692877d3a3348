// One /v1/live text message: the graphql-transport-ws codec, and for a
// subscribe, the planning of its query as the live handler does it.
#include "fuzz/harness.hpp"
#include "protocol/live_messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  dc::live::ClientMessage m = dc::live::decode_client_message(text, dc::ParseLimits{});
  if (auto* s = std::get_if<dc::live::Subscribe>(&m); s && s->query) {
    auto& server = dc::fuzz::shared_server(dc::fuzz::Fixture::blog);
    (void)server.pipeline->plan_json(*s->query, dc::Accept::both);
  }
  return 0;
}
