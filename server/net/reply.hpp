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

// Header values built from input, cut to what their grammar allows (the
// characters outside it become '?'), so no input can end a header line or
// start another. Every header the HTTP session writes goes through
// `header_value` (RFC 9110 field-value: visible ASCII, space, tab).
std::string header_value(std::string_view value);
void append_header_value(std::string& out, std::string_view value);
// The 401 challenge: `Bearer`, or with the reason a credential was refused
// in error_description (RFC 6750 section 3: %x20-21 / %x23-5B / %x5D-7E).
std::string bearer_challenge(std::string_view refusal);

// The `payload` of a live `error` message: [{"message", "code", "path"?}].
std::string live_error_payload(const Error& e);
// The close code when an error ends a whole live connection.
uint16_t live_close_code(ErrorCode code);

}  // namespace dc
