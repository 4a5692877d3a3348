// Objects held by weak reference, keyed by address: which sessions are open,
// for limits and shutdown. Never keeps anything alive; callers act on the
// live ones outside the lock. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace dc {

template <class T>
class WeakRegistry {
 public:
  // Adds `item` unless `max` are registered already.
  bool add(const std::shared_ptr<T>& item, size_t max = SIZE_MAX) {
    std::lock_guard lock(mu_);
    if (items_.size() >= max) return false;
    items_.emplace(item.get(), item);
    return true;
  }
  void remove(const T* item) {
    std::lock_guard lock(mu_);
    items_.erase(item);
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }
  // The registered ones still alive, copied out so the caller can call into them.
  std::vector<std::shared_ptr<T>> alive() const {
    std::vector<std::shared_ptr<T>> out;
    std::lock_guard lock(mu_);
    out.reserve(items_.size());
    for (const auto& [key, weak] : items_) {
      if (auto item = weak.lock()) out.push_back(std::move(item));
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<const T*, std::weak_ptr<T>> items_;
};

}  // namespace dc
