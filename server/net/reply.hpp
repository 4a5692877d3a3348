// The one place that maps error codes to HTTP statuses and builds error
// bodies ({"error": {code, message, path}}). Nothing else builds error replies.
#pragma once

#include <boost/beast/http.hpp>
#include <string>

#include "protocol/error.hpp"

namespace dc {

namespace http = boost::beast::http;
using Response = http::response<http::string_body>;

http::status status_for(ErrorCode code);
std::string error_body(const Error& e);
Response error_reply(const Error& e);
Response json_reply(http::status status, std::string body);

}  // namespace dc
