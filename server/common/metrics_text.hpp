// Prometheus text exposition (format 0.0.4) written one metric at a time, so
// each part (pipeline, live hub, backend) writes its own metrics without
// knowing who serves /metrics. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dc {

class MetricsText {
 public:
  void counter(std::string_view name, std::string_view help, uint64_t value) { write(name, "counter", help, value); }
  void gauge(std::string_view name, std::string_view help, uint64_t value) { write(name, "gauge", help, value); }
  std::string take() { return std::move(text_); }

 private:
  void write(std::string_view name, std::string_view type, std::string_view help, uint64_t value) {
    text_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    text_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    text_.append(name).append(" ").append(std::to_string(value)).append("\n");
  }
  std::string text_;
};

}  // namespace dc
