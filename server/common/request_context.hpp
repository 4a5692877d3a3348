// Who asks and which request this is: built by the transport (net/) for each
// HTTP request or live connection, carried through the pipeline to the
// backend. Auth fills in the identity; the planner compiles its rules.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace dc {

struct Identity {
  std::string subject = "anonymous";
  std::string role = "anonymous";
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
};

}  // namespace dc
