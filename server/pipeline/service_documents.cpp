#include "server/pipeline/service_documents.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "protocol/version.hpp"
#include "server/pipeline/openapi_document.hpp"

namespace dc {

Answer home_answer() {
  Answer a;
  a.show_docs_read = false;
  a.body = std::string(R"({"name":"drizzle-convex","version":")") + kVersion + R"(","planVersion":)" + std::to_string(kPlanVersion) +
           R"(,"endpoints":["/v1/query","/v1/mutate","/v1/explain","/v1/schema","/v1/live","/v1/openapi.json","/healthz","/readyz","/metrics"])"
           R"(,"docs":"docs/protocol.md and docs/openapi.json in the repository"})";
  return a;
}

Answer openapi_answer() {
  Answer a;
  a.show_docs_read = false;
  a.body = std::string(openapi_document());
  return a;
}

bool json_content_type(std::string_view content_type) {
  // The media type before any parameters, without spaces, compared case-insensitively (no copy: every request asks).
  std::string_view media = content_type.substr(0, content_type.find(';'));
  auto space = [](char c) { return c == ' ' || c == '\t'; };
  while (!media.empty() && space(media.front())) media.remove_prefix(1);
  while (!media.empty() && space(media.back())) media.remove_suffix(1);
  auto is = [&](std::string_view want) {
    return media.size() == want.size() &&
           std::equal(media.begin(), media.end(), want.begin(), [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  };
  return media.empty() || is("application/json") || is("application/x-www-form-urlencoded");
}

}  // namespace dc
