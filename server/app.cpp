#include "server/app.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <random>
#include <thread>

#include "server/backend/convex/convex_backend.hpp"
#include "server/backend/embedded/embedded_backend.hpp"
#include "server/backend/embedded/import.hpp"
#include "server/demo/demo_data.hpp"
#include "server/handlers/handlers.hpp"
#include "server/net/listener.hpp"
#include "server/schema/load.hpp"

namespace dc {

namespace net = boost::asio;

namespace {

int fail(const std::string& message) {
  spdlog::error("{}", message);
  return 2;
}

// A schema error as one line: the message, then where in the schema JSON.
std::string located(const Error& e) { return e.message + (e.path ? " at " + *e.path : ""); }

// The embedded engine: schema from --schema (or the demo), data from
// --data-dir recovery, --import or the demo.
int setup_embedded(const Config& config, AppState& app) {
  if (config.demo && !config.schema_file.empty()) {
    return fail("--demo brings its own schema; use either --demo or --schema FILE");
  }
  bool demo = config.demo || config.schema_file.empty();
  if (demo && !config.import_dir.empty() && config.schema_file.empty()) {
    return fail("--import needs --schema FILE (the schema the exported documents follow)");
  }

  Result<Schema> schema = config.schema_file.empty() ? load_schema(demo_schema_json()) : load_schema_file(config.schema_file);
  if (!schema) {
    return fail(located(schema.error()));
  }
  auto shared_schema = std::make_shared<const Schema>(std::move(schema).value());
  auto backend = std::make_shared<EmbeddedBackend>(shared_schema, demo && config.schema_file.empty() ? 42 : 0);
  bool recovered = false;
  backend->snapshot_every_records = config.snapshot_every;
  if (!config.data_dir.empty()) {
    RecoveryReport report;
    if (auto st = backend->enable_durability(config.data_dir, &report); !st) {
      return fail("--data-dir " + config.data_dir + ": " + st.error().message);
    }
    recovered = report.had_data;
    spdlog::info("durable embedded engine in {}: recovered {} snapshot documents and {} log records", config.data_dir,
                 report.snapshot_documents, report.log_records);
    if (report.torn_bytes) spdlog::warn("dropped a torn last log record ({} bytes): it was never acknowledged", report.torn_bytes);
    if (recovered && (demo || !config.import_dir.empty())) {
      spdlog::info("the data directory already holds data: --demo/--import data is not loaded again");
    }
  }
  if (!recovered && demo && config.schema_file.empty()) {
    auto n = load_demo_data(backend->store_for_loading(), backend->ids());
    if (!n) return fail("demo data: " + n.error().message);
    spdlog::info("loaded the demo blog: {} documents", *n);
  }
  if (!recovered && !config.import_dir.empty()) {
    auto n = import_export_dir(backend->store_for_loading(), backend->ids(), config.import_dir);
    if (!n) return fail("import: " + n.error().message);
    spdlog::info("imported {} documents from {}", *n, config.import_dir);
  }
  backend->ids().reseed(std::random_device{}());  // the demo's fixed seed is for its own rows only
  if (backend->durable()) {
    if (!recovered) {
      if (auto st = backend->checkpoint(); !st) return fail("initial snapshot: " + st.error().message);
    }
  } else {
    spdlog::warn("embedded engine is memory-only: data is lost when the process stops (use --data-dir DIR)");
  }
  app.set_schema(shared_schema);
  app.backend = backend;
  return 0;
}

// Live evaluations run on the server's threads, never on a writer's.
void wire_live(AppState& app, net::io_context& ioc) {
  if (auto embedded = std::dynamic_pointer_cast<EmbeddedBackend>(app.backend)) {
    embedded->set_executor([&ioc](std::function<void()> f) { net::post(ioc, std::move(f)); });
  }
  app.live = std::make_shared<LiveHub>(app.backend);
}

// Asks the deployment for its schema (and so checks the URL and the key)
// until it answers; /readyz says 503 meanwhile. Never gives up: an operator
// may start the proxy before Convex.
void describe_until_ready(AppState& app, std::shared_ptr<ConvexBackend> convex, net::io_context& ioc, bool schema_from_file,
                          std::chrono::milliseconds wait) {
  convex->describe([&app, convex, &ioc, schema_from_file, wait](Result<Json> r) {
    const auto& up = convex->client().upstream();
    std::string where = std::string(up.tls ? "https://" : "http://") + up.host + ":" + up.port;
    if (r && !schema_from_file) {
      auto schema = load_schema(*r);
      if (!schema) {
        r = Error{ErrorCode::upstream_error, "the deployment's schema cannot be used: " + located(schema.error()), std::nullopt};
      } else {
        spdlog::info("Convex deployment at {}: schema of {} tables from {}:describe", where, schema->tables.size(),
                     app.config.convex_module);
        app.set_schema(std::make_shared<const Schema>(std::move(schema).value()));
      }
    }
    if (r) {
      if (schema_from_file) spdlog::info("Convex deployment at {} answers; schema from --schema", where);
      convex->set_ready(true);
      return;
    }
    auto next = std::min(wait * 2, std::chrono::milliseconds(10000));
    spdlog::error("Convex deployment at {} is not usable yet ({}); /readyz answers 503; retrying in {} ms", where,
                  r.error().message, wait.count());
    auto timer = std::make_shared<net::steady_timer>(ioc, wait);
    timer->async_wait([&app, convex, &ioc, schema_from_file, next, timer](const boost::system::error_code& ec) {
      if (!ec) describe_until_ready(app, convex, ioc, schema_from_file, next);
    });
  });
}

int setup_convex(const Config& config, AppState& app, net::io_context& ioc) {
  if (config.convex_deploy_key.empty()) {
    return fail("--convex-url needs a deploy key: --convex-deploy-key KEY or CONVEX_DEPLOY_KEY");
  }
  if (config.demo || !config.import_dir.empty() || !config.data_dir.empty()) {
    return fail("--demo, --import and --data-dir are for the embedded engine; with --convex-url the data lives in Convex");
  }
  auto upstream = parse_upstream_url(config.convex_url);
  if (!upstream) return fail(upstream.error().message);
  bool schema_from_file = !config.schema_file.empty();
  if (schema_from_file) {
    auto schema = load_schema_file(config.schema_file);
    if (!schema) return fail(located(schema.error()));
    app.set_schema(std::make_shared<const Schema>(std::move(schema).value()));
  }
  std::shared_ptr<ConvexClient> client;
  try {
    client = std::make_shared<ConvexClient>(ioc.get_executor(), std::move(upstream).value(), config.convex_deploy_key,
                                            config.convex_connections, config.convex_ca_file);
  } catch (const boost::system::system_error& e) {
    return fail("--convex-ca-file " + config.convex_ca_file + ": " + e.what());
  }
  auto sync = std::make_shared<SyncClient>(ioc.get_executor(), client->upstream(), config.convex_deploy_key, config.convex_ca_file);
  auto convex = std::make_shared<ConvexBackend>(client, sync, ConvexBackendOptions{config.convex_module, config.convex_timeout});
  app.backend = convex;
  describe_until_ready(app, convex, ioc, schema_from_file, std::chrono::milliseconds(500));
  return 0;
}

}  // namespace

int run_app(const Config& config) {
  unsigned threads = config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  // Declared first so that it outlives everything holding its sockets.
  net::io_context ioc(static_cast<int>(threads));
  AppState app(config);
  int rc = config.convex_url.empty() ? setup_embedded(config, app) : setup_convex(config, app, ioc);
  if (rc) return rc;
  wire_live(app, ioc);

  SessionRegistry registry;
  auto listener = std::make_shared<Listener>(ioc, app, registry);
  boost::system::error_code ec;
  auto address = net::ip::make_address(config.host, ec);
  if (ec) return fail("invalid --host " + config.host);
  if (auto err = listener->open({address, config.port})) {
    return fail("cannot listen on " + config.host + ":" + std::to_string(config.port) + ": " + *err);
  }
  listener->run();

  net::signal_set signals(ioc, SIGINT, SIGTERM);
  net::steady_timer deadline(ioc);
  net::steady_timer poll(ioc);
  std::function<void()> check;  // lives here, so pending waits never own it
  signals.async_wait([&](const boost::system::error_code& sec, int sig) {
    if (sec) return;
    spdlog::info("signal {}: stopping (finishing requests in flight, at most 5 s)", sig);
    listener->stop();
    registry.close_all();
    app.live->shut_down_all();  // `complete` for every subscription, then close 1001
    deadline.expires_after(std::chrono::seconds(5));
    deadline.async_wait([&](const boost::system::error_code& tec) {
      if (!tec) ioc.stop();
    });
    if (app.backend) app.backend->shutdown();
    // Stop waiting as soon as every session is gone.
    check = [&] {
      if (registry.size() == 0 && app.live->connections() == 0) {
        // Upstream retries and timers are abandoned: nothing a client waits for.
        ioc.stop();
        return;
      }
      poll.expires_after(std::chrono::milliseconds(20));
      poll.async_wait([&](const boost::system::error_code& pec) {
        if (!pec) check();
      });
    };
    check();
  });

  std::printf("listening on %s:%u\n", config.host.c_str(), static_cast<unsigned>(listener->port()));
  std::fflush(stdout);

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  app.live.reset();
  app.backend.reset();  // its connections close while the io_context still exists
  spdlog::info("stopped");
  return 0;
}

}  // namespace dc
