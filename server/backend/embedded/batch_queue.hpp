// One thread that takes everything waiting as a batch: the embedded
// engine's group commit hands it durable writes, and the thread applies a
// whole batch and syncs the log once for all of it. Callers never wait for
// it; a full queue refuses instead of growing without end. Pure (std::thread).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dc {

template <class Item>
class BatchQueue {
 public:
  using RunFn = std::function<void(std::vector<Item>&)>;
  BatchQueue(size_t max_queue, size_t max_batch, RunFn run)
      : max_queue_(max_queue), max_batch_(max_batch), run_(std::move(run)), thread_([this] { work(); }) {}
  ~BatchQueue() { stop(); }
  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  // Queues `item`; false (and `item` untouched) when the queue is full or stopped.
  bool push(Item& item) {
    {
      std::lock_guard lock(mu_);
      if (stopped_ || queue_.size() >= max_queue_) return false;
      queue_.push_back(std::move(item));
      busy_.store(true, std::memory_order_relaxed);
    }
    ready_.notify_one();
    return true;
  }

  // Nothing queued and no batch running (a hint: it may change at once).
  bool idle() const { return !busy_.load(std::memory_order_relaxed); }

  // Everything queued still runs (a write that was accepted is finished,
  // not dropped), then the thread is joined. Idempotent; not from the thread.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
    }
    ready_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void work() {
    std::vector<Item> batch;
    for (;;) {
      {
        std::unique_lock lock(mu_);
        if (queue_.empty()) busy_.store(false, std::memory_order_relaxed);  // the last batch has run, nothing waits
        ready_.wait(lock, [&] { return stopped_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopped and drained
        while (!queue_.empty() && batch.size() < max_batch_) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      try {
        run_(batch);
      } catch (...) {
        // run_ answers its own items and catches what it can; whatever still
        // escapes must not end this thread (std::terminate: the process).
        std::fputs("batch queue: an exception escaped a batch; the queue goes on\n", stderr);
      }
      batch.clear();
    }
  }

  size_t max_queue_;
  size_t max_batch_;
  RunFn run_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Item> queue_;
  bool stopped_ = false;
  std::atomic<bool> busy_{false};  // items queued or a batch running
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace dc
