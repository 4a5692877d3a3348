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
  std::string media(content_type.substr(0, content_type.find(';')));
  media.erase(std::remove_if(media.begin(), media.end(), [](unsigned char c) { return std::isspace(c); }), media.end());
  std::transform(media.begin(), media.end(), media.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return media.empty() || media == "application/json" || media == "application/x-www-form-urlencoded";
}

}  // namespace dc
