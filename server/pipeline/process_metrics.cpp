#include "server/pipeline/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace dc {

namespace {

// Fields of /proc/self/stat after the command name (which may hold spaces
// and parentheses: everything up to the last ')' is skipped).
struct ProcStat {
  unsigned long long utime = 0, stime = 0, starttime = 0, vsize = 0;
  long long rss_pages = 0;
};

bool read_stat(ProcStat& s) {
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(text.substr(close + 1));
  // Field 3 (state) is the first after ')'; utime is 14, stime 15, starttime 22, vsize 23, rss 24.
  std::string field;
  for (int n = 3; n <= 24 && rest >> field; ++n) {
    try {
      if (n == 14) s.utime = std::stoull(field);
      if (n == 15) s.stime = std::stoull(field);
      if (n == 22) s.starttime = std::stoull(field);
      if (n == 23) s.vsize = std::stoull(field);
      if (n == 24) s.rss_pages = std::stoll(field);
    } catch (const std::exception&) {
      return false;
    }
    if (n == 24) return true;
  }
  return false;
}

// Seconds since the epoch when the machine booted (/proc/stat's btime).
bool boot_time(unsigned long long& btime) {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") return static_cast<bool>(in >> btime);
    in.ignore(1 << 20, '\n');
  }
  return false;
}

}  // namespace

void write_process_metrics(MetricsText& out) {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  ProcStat s;
  if (ticks > 0 && read_stat(s)) {
    out.real("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
             static_cast<double>(s.utime + s.stime) / ticks);
    out.gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
              static_cast<uint64_t>(s.rss_pages < 0 ? 0 : s.rss_pages) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
    out.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", s.vsize);
    unsigned long long btime = 0;
    if (boot_time(btime)) {
      out.real("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
               static_cast<double>(btime) + static_cast<double>(s.starttime) / ticks);
    }
  }
  std::error_code ec;
  uint64_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++fds;
  if (!ec) out.gauge("process_open_fds", "Number of open file descriptors.", fds);
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    out.gauge("process_max_fds", "Maximum number of open file descriptors.", static_cast<uint64_t>(lim.rlim_cur));
  }
}

}  // namespace dc
