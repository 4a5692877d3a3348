// The graphql-transport-ws message codec for /v1/live (protocol.md section 6,
// docs/live.md): client messages decoded into typed values, protocol
// violations into the close code that ends the connection, and the server's
// messages encoded. Pure: no sockets, no connection state (which message may
// follow which is the live handler's business).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/error.hpp"
#include "protocol/parse.hpp"
#include "protocol/value_json.hpp"

namespace dc::live {

// WebSocket close codes. 1xxx are RFC 6455's, 44xx follow graphql-ws, 4008 is ours.
namespace close_code {
constexpr uint16_t going_away = 1001;      // the server is shutting down
constexpr uint16_t message_too_big = 1009; // a message over --max-body
constexpr uint16_t too_slow = 4008;        // the client stopped reading
constexpr uint16_t bad_request = 4400;     // not a message of the protocol
constexpr uint16_t unauthorized = 4401;    // subscribe before connection_init
constexpr uint16_t forbidden = 4403;       // credentials refused
constexpr uint16_t init_timeout = 4408;    // no connection_init in time
constexpr uint16_t subscriber_exists = 4409;
constexpr uint16_t too_many_inits = 4429;
}  // namespace close_code

// A message that breaks the protocol: the connection closes with `code`.
struct Violation {
  uint16_t code = close_code::bad_request;
  std::string reason;
};
Violation invalid_message();

struct ConnectionInit {
  bool patches = false;              // payload.patches === true
  std::optional<std::string> token;  // payload.token, when a string
  // payload.token is there but neither a string nor null, or the payload
  // is neither an object nor null: credentials of the wrong type are
  // refused (4403), never taken for no credentials.
  bool token_malformed = false;
};
struct Ping {};
struct Pong {};
struct Subscribe {
  std::string id;
  // The query: the payload object itself, or the JSON text in its `query`
  // (what GraphQL clients send). A query text that is not JSON is an error
  // for this subscription, not a protocol violation.
  Result<Json> query = Json();
};
struct Complete {
  std::string id;
};

using ClientMessage = std::variant<ConnectionInit, Ping, Pong, Subscribe, Complete, Violation>;

// Decodes one text message. `limits` bound the query's nesting (the message
// object around it is allowed on top), in either payload form.
ClientMessage decode_client_message(std::string_view text, const ParseLimits& limits);

// Server → client.
std::string encode_connection_ack();
std::string encode_pong();
std::string encode_complete(std::string_view id);
// `errors_json`: the payload array, as net/reply builds it from an Error.
std::string encode_error(std::string_view id, std::string_view errors_json);
std::string encode_next_data(std::string_view id, uint64_t version, std::string_view data_json);
// A `next` around a body shared by many recipients: head + body + next_tail().
std::string encode_next_head(std::string_view id, uint64_t version, bool patch);
std::string_view next_tail();

}  // namespace dc::live
