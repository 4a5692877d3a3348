// drizzle-convex-server: parse flags, set up logging, run the app.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "server/app.hpp"
#include "server/config.hpp"

int main(int argc, char** argv) {
  // Logs go to stderr; stdout carries only the ready line.
  auto logger = spdlog::stderr_color_mt("server");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  bool help = false;
  auto config = dc::parse_config(argc, argv, &help);
  if (help) {
    std::cout << dc::usage();
    return 0;
  }
  if (!config) {
    std::cerr << config.error().message << "\n" << dc::usage();
    return 2;
  }
  try {
    return dc::run_app(*config);
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
    return 1;
  }
}
