// Who asks and which request this is: built by the transport (net/) for each
// HTTP request or live connection, carried through the pipeline to the
// backend. Auth fills in the identity; the planner compiles its rules.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace dc {

// The caller, once the pipeline's auth step has run. Without --auth every
// caller is the built-in role "admin".
struct Identity {
  std::string subject;
  std::string role = "admin";
  // The verified claims (JSON text), shared with the token cache; null for
  // the built-in admin. The Convex backend turns them into the acting-as
  // identity of its calls.
  std::shared_ptr<const std::string> claims_json;
};

struct RequestContext {
  std::string request_id;
  std::string peer;  // "address:port" of the client
  std::chrono::steady_clock::time_point started{};
  // When the work must stop (--request-timeout); max() for none (live watches).
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  Identity identity;
  // Set by the transport when the client disconnects before its answer:
  // work for it can stop. Null when nothing watches the connection.
  std::shared_ptr<std::atomic<bool>> cancelled;
  // The caller means to keep a read's result (the result cache): a backend
  // that can say how long it holds sets ReadOutcome::fresh.
  bool keep_result = false;
};

}  // namespace dc
