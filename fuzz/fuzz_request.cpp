// A request body through the whole pipeline. The first byte picks the
// endpoint and fixture: q/Q query blog/org, e explain blog, m/M mutate
// org/blog (each mutation on a fresh engine, so inputs stay independent).
#include "fuzz/harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dc::fuzz;
  if (size < 1) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0]) {
    case 'q': shared_server(Fixture::blog).call("POST", "/v1/query", body); break;
    case 'Q': shared_server(Fixture::org).call("POST", "/v1/query", body); break;
    case 'e': shared_server(Fixture::blog).call("POST", "/v1/explain", body); break;
    case 'm': fresh_server(Fixture::org).call("POST", "/v1/mutate", body); break;
    case 'M': fresh_server(Fixture::blog).call("POST", "/v1/mutate", body); break;
    default: break;
  }
  return 0;
}
