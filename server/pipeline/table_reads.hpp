// Documents read per table, for /metrics: an operator sees which table's
// requests cost the most reads. A request counts under the table it names
// (a read's root table, relations included; a write's table, or "(several)"
// for a transaction over more than one). Table names come from the loaded
// schema, never from raw request text, so the label set stays bounded.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/common/metrics_text.hpp"

namespace dc {

class TableReads {
 public:
  void add(std::string_view table, uint64_t docs) {
    {
      std::shared_lock lock(mu_);
      if (auto it = counts_.find(table); it != counts_.end()) {
        it->second.fetch_add(docs, std::memory_order_relaxed);
        return;
      }
    }
    std::unique_lock lock(mu_);
    counts_.try_emplace(std::string(table), 0).first->second.fetch_add(docs, std::memory_order_relaxed);
  }

  void write(MetricsText& out) const {
    std::vector<std::pair<Labels, uint64_t>> series;
    std::shared_lock lock(mu_);
    for (const auto& [table, count] : counts_) series.push_back({Labels{{"table", table}}, count.load(std::memory_order_relaxed)});
    out.family("dc_table_documents_read_total", "counter",
               "Documents read by /v1/query and /v1/mutate requests, by the table the request names (a read's relations count to its "
               "root table; a transaction over several tables counts as \"(several)\").",
               series);
  }

 private:
  mutable std::shared_mutex mu_;
  // Map nodes never move, so the counters live in place.
  std::map<std::string, std::atomic<uint64_t>, std::less<>> counts_;
};

}  // namespace dc
