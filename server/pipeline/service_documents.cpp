#include "server/pipeline/service_documents.hpp"

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

}  // namespace dc
