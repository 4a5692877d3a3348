// Histograms by label values that are not known in advance but come from a
// bounded set (a Convex function of the adapter, an error code): one series
// per combination met, created on first use. Pure.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "server/common/histogram.hpp"
#include "server/common/metrics_text.hpp"

namespace dc {

class HistogramFamily {
 public:
  explicit HistogramFamily(std::vector<std::string> label_names, std::vector<double> bounds = duration_buckets())
      : names_(std::move(label_names)), bounds_(std::move(bounds)) {}

  // `values` in the order of the label names.
  void observe(const std::vector<std::string>& values, double v) {
    Histogram* h;
    {
      std::lock_guard lock(mu_);
      auto& slot = series_[values];
      if (!slot) slot = std::make_unique<Histogram>(bounds_);
      h = slot.get();  // series are never removed: the pointer stays valid
    }
    h->observe(v);
  }

  void write(MetricsText& out, std::string_view name, std::string_view help) const {
    std::vector<std::vector<std::string>> keys;
    std::vector<HistogramSnapshot> snapshots;
    {
      std::lock_guard lock(mu_);
      for (const auto& [values, h] : series_) {
        keys.push_back(values);
        snapshots.push_back(h->snapshot());
      }
    }
    std::vector<std::pair<Labels, HistogramSnapshot>> series;
    for (size_t i = 0; i < keys.size(); ++i) {
      Labels labels;
      for (size_t l = 0; l < names_.size() && l < keys[i].size(); ++l) labels.emplace_back(names_[l], keys[i][l]);
      series.emplace_back(std::move(labels), std::move(snapshots[i]));
    }
    out.histogram(name, help, series);
  }

 private:
  std::vector<std::string> names_;
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Histogram>> series_;
};

}  // namespace dc
