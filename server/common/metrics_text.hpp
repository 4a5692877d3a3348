// Prometheus text exposition (format 0.0.4) written one metric at a time, so
// each part (pipeline, live hub, backend) writes its own metrics without
// knowing who serves /metrics. Names are in base units (seconds, bytes) and
// counters end in _total. Pure.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/common/histogram.hpp"

namespace dc {

// {"route", "/v1/query"}, {"code", "2xx"}: a series' labels, from a bounded set.
using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

class MetricsText {
 public:
  void counter(std::string_view name, std::string_view help, uint64_t value) { family(name, "counter", help, {{{}, value}}); }
  void gauge(std::string_view name, std::string_view help, uint64_t value) { family(name, "gauge", help, {{{}, value}}); }

  // One unlabelled sample that is not a whole number (seconds of CPU).
  void real(std::string_view name, std::string_view type, std::string_view help, double value) {
    header(name, type, help);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.6f", value);  // a start time needs its ten integer digits
    text_.append(name).append(" ").append(buf).append("\n");
  }

  // One metric with a series per label set.
  void family(std::string_view name, std::string_view type, std::string_view help,
              const std::vector<std::pair<Labels, uint64_t>>& series) {
    header(name, type, help);
    for (const auto& [labels, value] : series) {
      text_.append(name);
      append_labels(labels, {});
      text_.append(" ").append(std::to_string(value)).append("\n");
    }
  }

  // Cumulative buckets ending with le="+Inf", then _sum and _count, per label set.
  void histogram(std::string_view name, std::string_view help, const std::vector<std::pair<Labels, HistogramSnapshot>>& series) {
    header(name, "histogram", help);
    for (const auto& [labels, h] : series) {
      for (size_t i = 0; i < h.cumulative.size(); ++i) {
        text_.append(name).append("_bucket");
        append_labels(labels, i < h.bounds.size() ? number(h.bounds[i]) : std::string("+Inf"));
        text_.append(" ").append(std::to_string(h.cumulative[i])).append("\n");
      }
      text_.append(name).append("_sum");
      append_labels(labels, {});
      text_.append(" ").append(number(h.sum)).append("\n");
      text_.append(name).append("_count");
      append_labels(labels, {});
      text_.append(" ").append(std::to_string(h.count())).append("\n");
    }
  }

  std::string take() { return std::move(text_); }

 private:
  void header(std::string_view name, std::string_view type, std::string_view help) {
    text_.append("# HELP ").append(name).append(" ");
    for (char c : help) {
      if (c == '\\') text_.append("\\\\");
      else if (c == '\n') text_.append("\\n");
      else text_.push_back(c);
    }
    text_.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
  }

  void append_labels(const Labels& labels, const std::string& le) {
    if (labels.empty() && le.empty()) return;
    text_.push_back('{');
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) text_.push_back(',');
      first = false;
      text_.append(k).append("=\"");
      for (char c : v) {
        if (c == '\\' || c == '"') text_.push_back('\\');
        if (c == '\n') {
          text_.append("\\n");
          continue;
        }
        text_.push_back(c);
      }
      text_.push_back('"');
    }
    if (!le.empty()) text_.append(first ? "" : ",").append("le=\"").append(le).append("\"");
    text_.push_back('}');
  }

  static std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
  }

  std::string text_;
};

}  // namespace dc
