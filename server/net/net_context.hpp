// What every connection of the server shares: its limits, the request
// pipeline, the live hub, the open sessions and the count that tells
// shutdown when the last one is gone. Owned jointly (shared_ptr) by the
// composition root and by every session, so a session that the io_context
// destroys late (a backend call still pending at the shutdown deadline)
// never outlives what it points to.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>

#include "server/common/weak_registry.hpp"
#include "server/pipeline/pipeline.hpp"

namespace dc {

struct NetOptions {
  size_t max_connections = 30000;  // HTTP and live together; beyond it accepting pauses
  size_t max_body_bytes = 8 * 1024 * 1024;
  std::chrono::seconds read_timeout{30};
  std::chrono::milliseconds request_timeout{5000};  // a request's work, in the engine
  bool access_log = true;
  size_t live_max_connections = 20000;
  size_t live_max_subscriptions = 100;
  size_t live_outbox = 64;
  uint64_t live_outbox_bytes = 32ull << 20;
  std::chrono::milliseconds live_init_timeout{10000};
  std::chrono::milliseconds live_stuck_timeout{10000};
  std::chrono::seconds live_idle_timeout{60};
};

// Open connections (HTTP and live). Shutdown asks to be told when none is
// left instead of polling. Thread-safe.
class SessionCount {
 public:
  // Held by each session for its lifetime.
  class Ticket {
   public:
    explicit Ticket(SessionCount& c) : c_(&c) { c_->enter(); }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { c_->leave(); }

   private:
    SessionCount* c_;
  };
  size_t open() const { return open_.load(); }
  // Runs `f` once, as soon as no session is open (now, if none is).
  void when_idle(std::function<void()> f);
  // Drops a pending when_idle callback (before what it refers to goes away).
  void forget_idle();

 private:
  void enter() { open_.fetch_add(1, std::memory_order_relaxed); }
  void leave();
  std::atomic<size_t> open_{0};
  std::mutex mu_;
  std::function<void()> on_idle_;
};

class HttpSession;

struct NetContext {
  NetOptions options;
  std::shared_ptr<Pipeline> pipeline;
  WeakRegistry<HttpSession> http_sessions;  // so shutdown can close idle keep-alive connections
  SessionCount open;
};

}  // namespace dc
