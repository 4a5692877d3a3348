#include "server/app/log_format.hpp"

#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>

#include "protocol/json_read.hpp"
#include "protocol/value_json.hpp"

namespace dc {

std::string json_log_line(std::string_view time, std::string_view level, std::string_view payload) {
  std::string line = R"({"time":)";
  write_json_string(time, line);
  line += R"(,"level":)";
  write_json_string(level, line);
  // The access log writes a whole JSON object of its own (client text in it already escaped).
  if (payload.size() >= 2 && payload.front() == '{' && payload.back() == '}' && payload.find('\n') == std::string_view::npos) {
    line += ',';
    line.append(payload.substr(1));
    return line;
  }
  line += R"(,"message":)";
  // Messages may quote upstream or client text: cut on a UTF-8 boundary, invalid bytes replaced.
  write_json_string(safe_text(payload, 16384), line);
  line += '}';
  return line;
}

namespace {

class JsonLineFormatter : public spdlog::formatter {
 public:
  JsonLineFormatter() : time_("%Y-%m-%dT%H:%M:%S.%e%z", spdlog::pattern_time_type::local, "") {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    spdlog::memory_buf_t time;
    spdlog::details::log_msg stamp(msg.time, msg.source, msg.logger_name, msg.level, "");
    time_.format(stamp, time);
    auto level = spdlog::level::to_string_view(msg.level);
    std::string line = json_log_line(std::string_view(time.data(), time.size()), std::string_view(level.data(), level.size()),
                                     std::string_view(msg.payload.data(), msg.payload.size()));
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonLineFormatter>(); }

 private:
  spdlog::pattern_formatter time_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> json_log_formatter() { return std::make_unique<JsonLineFormatter>(); }

}  // namespace dc
