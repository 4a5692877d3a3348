// Threads of the embedded engine's own, for its heavier work (reads that may
// touch many documents, live re-evaluations), so a slow query never holds a
// socket thread: /healthz and small requests stay quick under any load.
// The queue is bounded: a full pool refuses instead of queueing without end.
// Pure (std::thread); owned by the EmbeddedBackend.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dc {

class WorkPool {
 public:
  WorkPool(unsigned threads, size_t max_queue);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Queues `job`; false when the queue is full or the pool stopped.
  bool submit(std::function<void()> job);
  // Running jobs finish; queued ones are dropped (destroyed, not run);
  // threads are joined. Idempotent; not from a pool thread.
  void stop();
  size_t queued() const;

 private:
  void work();

  size_t max_queue_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopped_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace dc
