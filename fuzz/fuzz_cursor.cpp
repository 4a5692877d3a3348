// A paginate cursor as a client could send it back. The input is the
// cursor's decoded text; an input starting with '[' is taken as the sort
// key alone and wrapped with the query's real fingerprint, so the fuzzer
// reaches the key decoding and the keyset scan, not only the fingerprint
// check. The cursor is base64-encoded and sent in a paginate query.
#include "fuzz/harness.hpp"
#include "protocol/value_json.hpp"

namespace {

// The fingerprint of kQuery, taken from a real first page's cursor.
const char* kQuery = R"({"table":"posts","op":"paginate","orderBy":{"views":"desc"},"numItems":3,"cursor":)";

std::string fingerprint() {
  static std::string fp = [] {
    auto& server = dc::fuzz::shared_server(dc::fuzz::Fixture::blog);
    auto planned = server.pipeline->plan_text(std::string(kQuery) + "null}", dc::Accept::reads);
    if (!planned) std::abort();
    return planned->read->fingerprint;
  }();
  return fp;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (text.starts_with("[")) {
    std::string wrapped = "{\"q\":";
    dc::write_json_string(fingerprint(), wrapped);
    text = wrapped + ",\"k\":" + text + "}";
  }
  std::string body = kQuery;
  dc::write_json_string(dc::base64_encode(text), body);
  body += "}";
  dc::fuzz::shared_server(dc::fuzz::Fixture::blog).call("POST", "/v1/query", body);
  return 0;
}
