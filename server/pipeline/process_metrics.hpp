// The process_* metrics every Prometheus client library exports (CPU,
// memory, descriptors, start time), read from /proc/self on each scrape, so
// dashboards and alerts written for other services work here unchanged.
#pragma once

#include "server/common/metrics_text.hpp"

namespace dc {

// Writes what /proc gives; a metric whose source cannot be read is left out.
void write_process_metrics(MetricsText& out);

}  // namespace dc
