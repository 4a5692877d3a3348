#include "server/backend/embedded/work_pool.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace dc {

WorkPool::WorkPool(unsigned threads, size_t max_queue) : max_queue_(max_queue) {
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

WorkPool::~WorkPool() { stop(); }

bool WorkPool::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (stopped_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(job));
  }
  ready_.notify_one();
  return true;
}

size_t WorkPool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void WorkPool::stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mu_);
    if (stopped_ && threads_.empty()) return;
    stopped_ = true;
    dropped.swap(queue_);
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // `dropped` goes here, outside the lock: destroying a job may release what it held.
}

void WorkPool::work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
      if (stopped_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {
      spdlog::error("uncaught exception in an engine job (the engine goes on): {}", e.what());
    } catch (...) {
      spdlog::error("uncaught non-standard exception in an engine job (the engine goes on)");
    }
  }
}

}  // namespace dc
