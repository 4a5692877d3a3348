// Convex's sync WebSocket (convex-wire.md section 2), as the proxy uses it for
// live queries: one socket; Connect, Authenticate with the deploy key, and a
// query set changed by ModifyQuerySet with consecutive versions. Every
// Transition must start where the previous one ended; a gap means updates
// were lost, so the client reconnects and re-adds the whole query set
// (a resync). Any close reconnects with jittered exponential backoff; the
// queries keep their ids across sockets. Runs on its own strand; add and
// remove may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "protocol/value_json.hpp"
#include "server/backend/convex/http_pool.hpp"
#include "server/common/log_limiter.hpp"

namespace dc {

// Transition versions: {querySet, identity, ts}.
struct SyncVersion {
  uint32_t query_set = 0;
  uint32_t identity = 0;
  uint64_t ts = 0;
  bool operator==(const SyncVersion&) const = default;
};
// Parses {"querySet":n,"identity":n,"ts":"<base64 u64 LE>"}.
std::optional<SyncVersion> parse_sync_version(const Json& j);

class SyncSocket;

class SyncClient : public std::enable_shared_from_this<SyncClient> {
 public:
  // A query's value (Convex encoded JSON) each time Convex sends one, or its failure.
  using OnValue = std::function<void(Result<Json>)>;

  SyncClient(boost::asio::any_io_executor ex, Upstream upstream, std::string admin_key, const std::string& ca_file = "");
  ~SyncClient();

  uint32_t add(std::string udf_path, Json args, OnValue on_value);
  void remove(uint32_t id);
  // Closes the socket and stops reconnecting.
  void stop();

  uint64_t connects() const { return connects_.load(); }
  uint64_t resyncs() const { return resyncs_.load(); }
  bool connected() const { return connected_.load(); }

 private:
  struct Query {
    std::string udf_path;
    Json args;
    OnValue on_value;
  };

  void connect();
  void on_open(uint64_t generation, const std::string& error);
  void do_read(uint64_t generation);
  void on_message(uint64_t generation, const std::string& text);
  void on_transition(uint64_t generation, const Json& m);
  void lost(uint64_t generation, const std::string& why, bool resync = false);
  void send(Json message);
  void do_write();
  Json add_message(uint32_t id, const Query& q) const;

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  Upstream upstream_;
  std::string admin_key_;  // never logged
  std::unique_ptr<boost::asio::ssl::context> ssl_;
  std::shared_ptr<SyncSocket> socket_;
  uint64_t generation_ = 0;  // which socket handlers belong to
  boost::asio::steady_timer retry_timer_;
  int retries_ = 0;
  bool stopped_ = false;
  bool open_ = false;

  std::map<uint32_t, Query> queries_;
  uint32_t next_query_id_ = 0;
  uint32_t query_set_version_ = 0;  // the last newVersion sent on this socket
  SyncVersion server_version_;     // the last Transition's end on this socket
  std::string session_id_;
  uint32_t connection_count_ = 0;
  std::string last_close_reason_ = "InitialConnect";
  std::optional<uint64_t> max_observed_ts_;

  std::deque<std::shared_ptr<const std::string>> outbox_;
  bool writing_ = false;

  std::atomic<uint64_t> connects_{0};
  std::atomic<uint64_t> resyncs_{0};
  std::atomic<bool> connected_{false};
  LogLimiter lost_log_;  // a reconnect line per 10 s while Convex is away
};

}  // namespace dc
