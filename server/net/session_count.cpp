#include "server/net/net_context.hpp"

namespace dc {

void SessionCount::when_idle(std::function<void()> f) {
  {
    std::lock_guard lock(mu_);
    if (open_.load() != 0) {
      on_idle_ = std::move(f);
      return;
    }
  }
  f();
}

void SessionCount::forget_idle() {
  std::lock_guard lock(mu_);
  on_idle_ = nullptr;
}

void SessionCount::leave() {
  std::function<void()> f;
  {
    // Under the lock, so when_idle cannot miss the last leave.
    std::lock_guard lock(mu_);
    if (open_.fetch_sub(1) != 1 || !on_idle_) return;
    f = std::move(on_idle_);
    on_idle_ = nullptr;
  }
  f();
}

}  // namespace dc
