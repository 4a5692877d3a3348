// --log-format json: every log line one JSON object, for a log pipeline that
// parses lines ({"time", "level", "message"}; an access line's own fields
// instead of "message"). text (the default): the human-readable lines, with
// the access line's JSON after the level.
#pragma once

#include <memory>
#include <string>

#include <spdlog/formatter.h>

namespace dc {

std::unique_ptr<spdlog::formatter> json_log_formatter();

// Turns one message into its JSON line (without the newline); exposed for tests.
// `payload` that is itself a JSON object (the access log) is merged in.
std::string json_log_line(std::string_view time, std::string_view level, std::string_view payload);

}  // namespace dc
