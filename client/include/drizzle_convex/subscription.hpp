// The handle of a live query. Destroying it (or calling complete()) sends
// `complete` to the server and closes the socket; callbacks stop. The watch
// itself lives on its client's executor and ends with its client, so a
// handle that outlives the client is harmless (it refers to nothing).
#pragma once

#include <memory>

namespace drizzle_convex {

namespace detail {
class LiveWatch;
}

class Subscription {
 public:
  Subscription() = default;
  explicit Subscription(std::weak_ptr<detail::LiveWatch> watch) : watch_(std::move(watch)) {}
  Subscription(Subscription&&) noexcept = default;
  Subscription& operator=(Subscription&& other) noexcept {
    if (this != &other) {
      complete();
      watch_ = std::move(other.watch_);
      other.watch_.reset();
    }
    return *this;
  }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription() { complete(); }

  // Ends the subscription; waits (briefly) for `complete` to be sent unless
  // called from a callback, where it cannot wait.
  void complete();
  bool active() const { return !watch_.expired(); }
  // How many times the socket has been (re)opened; 1 until a reconnect.
  int connections() const;

 private:
  std::weak_ptr<detail::LiveWatch> watch_;
};

}  // namespace drizzle_convex
