#include "server/app/app.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <malloc.h>

#include <cstdio>
#include <functional>
#include <random>
#include <thread>

#include "server/backend/convex/convex_backend.hpp"
#include "server/backend/embedded/embedded_backend.hpp"
#include "server/backend/embedded/import.hpp"
#include "server/demo/demo_data.hpp"
#include "server/net/listener.hpp"
#include "server/access/compiled_rules.hpp"
#include "server/pipeline/pipeline.hpp"
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
// What the composition root builds before it serves: the schema slot and the backend.
struct AppParts {
  std::shared_ptr<SchemaSlot> schema = std::make_shared<SchemaSlot>();
  std::shared_ptr<Backend> backend;
};

// The demo blog: asked for, or what the embedded engine serves without a schema.
bool serves_demo(const Config& c) { return c.demo || (c.convex_url.empty() && c.schema_file.empty()); }

int setup_embedded(const Config& config, AppParts& app) {
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
  // Larger reads and live evaluations run on the engine's own threads, never on a socket's or a writer's.
  EmbeddedBackend::Options engine;
  engine.threads = config.engine_threads;
  engine.match_budget = config.match_budget;
  auto backend = std::make_shared<EmbeddedBackend>(shared_schema, demo && config.schema_file.empty() ? 42 : 0, engine);
  bool recovered = false;
  backend->snapshot_every_records = config.snapshot_every;
  if (!config.data_dir.empty()) {
    RecoveryReport report;
    if (auto st = backend->enable_durability(config.data_dir, &report, RecoveryOptions{config.recover_truncate}); !st) {
      return fail("--data-dir " + config.data_dir + ": " + st.error().message);
    }
    recovered = report.had_data;
    spdlog::info("durable embedded engine in {}: recovered {} snapshot documents and {} log records", config.data_dir,
                 report.snapshot_documents, report.log_records);
    if (report.torn_bytes) spdlog::warn("dropped a torn last log record ({} bytes): it was never acknowledged", report.torn_bytes);
    if (!report.kept_aside.empty()) {
      spdlog::error("--recover-truncate: the log was corrupt at byte {}; {} bytes of logged writes from there on were dropped. "
                    "The original log is kept as {}",
                    report.corrupt_offset, report.corrupt_dropped_bytes, report.kept_aside);
    }
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
  app.schema->set(shared_schema);
  app.backend = backend;
  return 0;
}

// Asks the deployment for its schema (and so checks the URL and the key)
// until it answers; /readyz says 503 meanwhile. Never gives up: an operator
// may start the proxy before Convex.
void describe_until_ready(std::shared_ptr<SchemaSlot> slot, std::shared_ptr<ConvexBackend> convex, net::io_context& ioc,
                          const std::string& module, bool schema_from_file, std::chrono::milliseconds wait) {
  convex->describe([slot, convex, &ioc, module, schema_from_file, wait](Result<Json> r) {
    const auto& up = convex->client().upstream();
    std::string where = std::string(up.tls ? "https://" : "http://") + up.host + ":" + up.port;
    if (r && !schema_from_file) {
      auto schema = load_schema(*r);
      if (!schema) {
        r = Error{ErrorCode::upstream_error, "the deployment's schema cannot be used: " + located(schema.error()), std::nullopt};
      } else {
        spdlog::info("Convex deployment at {}: schema of {} tables from {}:describe", where, schema->tables.size(), module);
        slot->set(std::make_shared<const Schema>(std::move(schema).value()));
      }
    }
    if (r) {
      if (schema_from_file) spdlog::info("Convex deployment at {} answers; schema from --schema", where);
      convex->set_ready(true);
      return;
    }
    auto next = std::min(wait * 2, std::chrono::milliseconds(10000));
    convex->set_not_ready("the Convex deployment at " + where + " is not usable yet: " + r.error().message + " (retrying every " +
                          std::to_string(std::max<int64_t>(1, next.count() / 1000)) + " s at most)");
    spdlog::error("Convex deployment at {} is not usable yet ({}); /readyz answers 503; retrying in {} ms", where,
                  r.error().message, wait.count());
    auto timer = std::make_shared<net::steady_timer>(ioc, wait);
    timer->async_wait([slot, convex, &ioc, module, schema_from_file, next, timer](const boost::system::error_code& ec) {
      if (!ec) describe_until_ready(slot, convex, ioc, module, schema_from_file, next);
    });
  });
}

int setup_convex(const Config& config, net::io_context& ioc, AppParts& app) {
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
    app.schema->set(std::make_shared<const Schema>(std::move(schema).value()));
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
  describe_until_ready(app.schema, convex, ioc, config.convex_module, schema_from_file, std::chrono::milliseconds(500));
  return 0;
}

PipelineOptions pipeline_options(const Config& c, bool loopback) {
  PipelineOptions o;
  o.front_door.cors_origins = c.cors_origins;
  o.front_door.loopback = loopback;
  o.limits = c.limits;
  o.read_budget = c.read_budget;
  o.answer_rows = c.answer_rows;
  o.answer_bytes = c.answer_bytes;
  o.explain_unredacted = c.explain_unredacted;
  o.plan_cache_entries = c.plan_cache_entries;
  // Convex answers come with no Freshness (the proxy cannot see the
  // deployment's other writers), so nothing would ever be kept: the cache is
  // off there rather than paying a lookup and a key copy per read.
  o.result_cache_bytes = c.convex_url.empty() ? c.result_cache_bytes : 0;
  return o;
}

NetOptions net_options(const Config& c) {
  NetOptions o;
  o.max_connections = c.max_connections;
  o.max_body_bytes = c.max_body_bytes;
  o.read_timeout = c.read_timeout;
  o.request_timeout = c.request_timeout;
  o.access_log = c.access_log;
  o.live_max_connections = c.live_max_connections;
  o.live_max_subscriptions = c.live_max_subscriptions;
  o.live_outbox = c.live_outbox;
  o.live_outbox_bytes = c.live_outbox_bytes;
  o.live_init_timeout = c.live_init_timeout;
  o.live_stuck_timeout = c.live_stuck_timeout;
  o.live_idle_timeout = c.live_idle_timeout;
  return o;
}

// One I/O thread's loop. An exception escaping a handler is a bug: it is
// logged and the thread goes on serving, rather than std::terminate.
void run_io(net::io_context& ioc) {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("uncaught exception in an I/O handler (serving goes on): {}", e.what());
    } catch (...) {
      spdlog::error("uncaught non-standard exception in an I/O handler (serving goes on)");
    }
  }
}

constexpr std::chrono::seconds kShutdownDeadline{5};
constexpr std::chrono::seconds kTrimInterval{5};

}  // namespace

int run_app(const Config& config) {
  unsigned threads = config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  // Declared first, so it is destroyed last: handlers still pending when it
  // stops (a backend call past the shutdown deadline) are destroyed with it,
  // and what they hold (sessions → NetContext → pipeline → backend) is
  // jointly owned, so nothing they point to is gone before them.
  //
  // On the embedded engine, one io_context per I/O thread: a connection
  // lives on one thread, so its handlers never wake another one (B4 and B1
  // gain 7-18%). Through Convex, one io_context that every thread runs:
  // upstream answers are parsed on the upstream connections' executor,
  // and that work is spread over all threads instead of landing on one.
  bool per_thread = config.convex_url.empty();
  unsigned shared_threads = per_thread ? 1 : threads;
  net::io_context ioc(static_cast<int>(shared_threads));
  std::vector<std::unique_ptr<net::io_context>> more_iocs;  // held open until shutdown stops them
  std::vector<net::executor_work_guard<net::io_context::executor_type>> more_guards;
  for (unsigned i = 1; per_thread && i < threads; ++i) {
    more_iocs.push_back(std::make_unique<net::io_context>(1));
    more_guards.push_back(net::make_work_guard(*more_iocs.back()));
  }
  auto stop_io = [&] {
    ioc.stop();
    for (auto& c : more_iocs) c->stop();
  };
  boost::system::error_code ec;
  auto address = net::ip::make_address(config.host, ec);
  if (ec) return fail("invalid --host " + config.host);
  // Who may call is settled before anything is loaded: a refusal is immediate.
  std::shared_ptr<const AuthConfig> auth;
  if (!config.auth_file.empty()) {
    auto loaded = load_auth_file(config.auth_file);
    if (!loaded) return fail("--auth " + config.auth_file + ": " + located(loaded.error()));
    auth = std::make_shared<const AuthConfig>(std::move(loaded).value());
    spdlog::info("auth: roles and rules from {}", config.auth_file);
  } else if (!address.is_loopback() && !serves_demo(config) && !config.insecure_no_auth) {
    // auth.md section 1: without --auth every caller is admin, so only where nobody else can reach it.
    return fail("refusing to serve " + config.host + " without --auth: every caller would read and write everything. "
                "Give --auth FILE (docs/auth.md), listen on a loopback --host, or pass --insecure-no-auth if something in front "
                "of this server already checks who calls");
  } else if (!address.is_loopback()) {
    spdlog::warn("no --auth: every caller on {} reads and writes everything as admin", config.host);
  }

  AppParts parts;
  int rc = config.convex_url.empty() ? setup_embedded(config, parts) : setup_convex(config, ioc, parts);
  if (rc) return rc;
  auto hub = std::make_shared<LiveHub>(parts.backend);
  hub->set_memory_budget(config.live_memory_budget);
  auto net_ctx = std::make_shared<NetContext>();
  net_ctx->options = net_options(config);
  net_ctx->pipeline = std::make_shared<Pipeline>(pipeline_options(config, address.is_loopback()), parts.backend, parts.schema, hub);
  // The rules' names against the schema, when it is known now (the embedded
  // engine; a Convex deployment's arrives later and is checked on reload).
  auto names_ok = [&](const AuthConfig& a) -> Status {
    auto loaded = parts.schema->get();
    return loaded ? check_rules_against(a, *loaded->schema) : Status(Ok{});
  };
  if (auth) {
    if (auto st = names_ok(*auth); !st) return fail("--auth " + config.auth_file + ": " + located(st.error()));
    net_ctx->pipeline->set_auth(std::move(auth));
  }

  std::vector<net::io_context*> session_iocs{&ioc};
  for (auto& c : more_iocs) session_iocs.push_back(c.get());
  auto listener = std::make_shared<Listener>(ioc, std::move(session_iocs), net_ctx);
  if (auto err = listener->open({address, config.port})) {
    return fail("cannot listen on " + config.host + ":" + std::to_string(config.port) + ": " + *err);
  }
  listener->run();

  // Memory back to the system after bursts. Under jemalloc (every build but
  // the sanitizer and fuzz ones) its own thread returns freed pages within a
  // second: server/app/main.cpp sets that. Under glibc's malloc, results of a
  // megabyte or more get their own mappings, unmapped when freed (glibc
  // otherwise raises that threshold after the first free and keeps them in
  // its heap), and free heap pages are returned every few seconds.
  net::steady_timer trim(ioc);
  std::function<void()> trim_later = [&] {
    trim.expires_after(kTrimInterval);
    trim.async_wait([&](const boost::system::error_code& tec) {
      if (tec) return;
      malloc_trim(0);
      trim_later();
    });
  };
#ifndef DC_JEMALLOC
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  trim_later();
#endif

  // SIGHUP: the --config file again (the log level and the auth file's path
  // change at once; anything else is named as needing a restart), then the
  // auth file. A bad file is logged and what is in force stays.
  net::signal_set reload(ioc, SIGHUP);
  Config running = config;
  std::function<void()> reload_later = [&] {
    reload.async_wait([&](const boost::system::error_code& rec, int) {
      if (rec) return;
      if (!running.config_file.empty()) {
        if (auto fresh = reread_config(running); !fresh) {
          spdlog::error("SIGHUP: {} not re-read, the configuration in force stays: {}", running.config_file, fresh.error().message);
        } else {
          for (const auto& option : changed_options(running, *fresh)) {
            if (option == "log-level") {
              spdlog::info("SIGHUP: log-level {} → {}", running.log_level, fresh->log_level);
              running.log_level = fresh->log_level;
              spdlog::set_level(spdlog::level::from_str(running.log_level));
            } else if (option == "auth" && !running.auth_file.empty() && !fresh->auth_file.empty()) {
              spdlog::info("SIGHUP: auth {} → {}", running.auth_file, fresh->auth_file);
              running.auth_file = fresh->auth_file;
            } else {
              spdlog::warn("SIGHUP: {} changed in {}; it takes effect after a restart", option, running.config_file);
            }
          }
        }
      }
      if (running.auth_file.empty()) {
        spdlog::warn("SIGHUP: no --auth file to reload");
      } else if (auto auth = load_auth_file(running.auth_file); !auth) {
        spdlog::error("SIGHUP: {} not reloaded, the rules in force stay: {}", running.auth_file, located(auth.error()));
      } else if (auto st = names_ok(*auth); !st) {
        spdlog::error("SIGHUP: {} not reloaded, the rules in force stay: {}", running.auth_file, located(st.error()));
      } else {
        net_ctx->pipeline->set_auth(std::make_shared<const AuthConfig>(std::move(auth).value()));
        spdlog::info("SIGHUP: auth rules reloaded from {}", running.auth_file);
      }
      reload_later();
    });
  };
  reload_later();

  net::signal_set signals(ioc, SIGINT, SIGTERM);
  net::steady_timer deadline(ioc);
  signals.async_wait([&](const boost::system::error_code& sec, int sig) {
    if (sec) return;
    trim.cancel();
    reload.cancel();
    spdlog::info("signal {}: stopping (finishing requests in flight, at most {} s)", sig, kShutdownDeadline.count());
    listener->stop();
    for (auto& s : net_ctx->http_sessions.alive()) s->close_soon();
    hub->shut_down_all();  // `complete` for every subscription, then close 1001
    parts.backend->shutdown();
    deadline.expires_after(kShutdownDeadline);
    deadline.async_wait([&](const boost::system::error_code& tec) {
      if (tec) return;
      spdlog::warn("shutdown deadline: {} connections still open are dropped", net_ctx->open.open());
      stop_io();
    });
    // Upstream retries and timers are abandoned once no client waits for them.
    net_ctx->open.when_idle([&stop_io] { stop_io(); });
  });

  std::printf("listening on %s:%u\n", config.host.c_str(), static_cast<unsigned>(listener->port()));
  std::fflush(stdout);

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < shared_threads; ++i) pool.emplace_back([&] { run_io(ioc); });
  for (auto& c : more_iocs) pool.emplace_back([&c] { run_io(*c); });
  run_io(ioc);
  for (auto& t : pool) t.join();
  parts.backend->drain();  // engine jobs still holding sessions go now, while the io_context exists
  net_ctx->open.forget_idle();  // sessions destroyed with the io_context must not call back into it
  spdlog::info("stopped");
  return 0;
}

}  // namespace dc
