// The one place that maps errors onto the wire, for both wires: an Error →
// an HTTP status and {"error": {code, message, path}} body (with the headers
// its code calls for), or → a graphql-transport-ws `error` payload or the
// close code of a live connection. Nothing else builds error replies.
#pragma once

#include <boost/beast/http.hpp>
#include <cstdint>
#include <string>

#include "protocol/error.hpp"
#include "server/pipeline/call.hpp"

namespace dc {

namespace http = boost::beast::http;
using Response = http::response<http::string_body>;

http::status status_for(ErrorCode code);
std::string error_body(const Error& e);
Response error_response(const Error& e);
Response answer_response(Answer answer);

// The `payload` of a live `error` message: [{"message", "code", "path"?}].
std::string live_error_payload(const Error& e);
// The close code when an error ends a whole live connection.
uint16_t live_close_code(ErrorCode code);

}  // namespace dc
