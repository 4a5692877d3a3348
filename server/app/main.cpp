// drizzle-convex-server: parse flags, set up logging, run the app.
#include <spdlog/async.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "server/app/app.hpp"
#include "server/app/config.hpp"
#include "server/app/log_format.hpp"
#include "protocol/version.hpp"

#ifdef DC_JEMALLOC
// jemalloc's settings, read when it starts: a background thread hands pages
// freed after a burst back to the system within about a second, also when
// no request comes to trigger it.
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
#endif

int main(int argc, char** argv) {
  // Logs go to stderr; stdout carries only the ready line. A bounded async
  // queue keeps log writes off the I/O threads; when it is full the request
  // thread waits rather than dropping lines.
  spdlog::init_thread_pool(8192, 1);
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto logger = std::make_shared<spdlog::async_logger>("server", sink, spdlog::thread_pool(),
                                                       spdlog::async_overflow_policy::block);
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");  // with the zone, as the JSON lines
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--version") {
      std::cout << "drizzle-convex-server " << dc::kVersion << " (plan version " << dc::kPlanVersion << ")\n";
      return 0;
    }
  }
  bool help = false;
  auto config = dc::parse_config(argc, argv, &help);
  if (help) {
    std::cout << dc::usage();
    return 0;
  }
  if (!config) {
    std::cerr << config.error().message << "\n";
    // A bad --config file is answered with its own message; a bad flag with a
    // pointer to --help (the 60 lines of usage would scroll the error away).
    if (!config.error().path) std::cerr << "run drizzle-convex-server --help for the options\n";
    return 2;
  }
  if (config->check_config) {
    std::cout << dc::describe_config(*config);
    return 0;
  }
  if (config->log_format == "json") spdlog::set_formatter(dc::json_log_formatter());
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  int code = 1;
  try {
    code = dc::run_app(*config);
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
  }
  spdlog::shutdown();  // flush the queue
  return code;
}
