// Memory for one HTTP request as read: the parser's target, fields and body
// come from a block the connection keeps, rewound before each request, so
// reading a request allocates nothing once the block has grown to fit the
// connection's requests. The block starts at 1 KiB, doubles when a request
// needs more, and stops at 16 KiB; what does not fit goes to the heap.
// One connection's, one request at a time: nothing allocated from it may
// outlive the request (a WebSocket upgrade copies its request out).
#pragma once

#include <cstddef>
#include <memory>
#include <new>

namespace dc {

class RequestArena {
 public:
  static constexpr size_t kFirstBlock = 1024;
  static constexpr size_t kLargestBlock = 16 * 1024;

  void* allocate(size_t bytes, size_t align) {
    size_t at = (used_ + align - 1) & ~(align - 1);
    if (block_ && at + bytes <= size_) {
      used_ = at + bytes;
      return block_.get() + at;
    }
    wanted_ += bytes + align;
    return ::operator new(bytes, std::align_val_t(align));
  }
  void deallocate(void* p, size_t, size_t align) noexcept {
    auto* c = static_cast<char*>(p);
    if (block_ && c >= block_.get() && c < block_.get() + size_) return;  // freed all at once by rewind()
    ::operator delete(p, std::align_val_t(align));
  }
  // Before the next request, once nothing of the last one is alive: the
  // block is reused, grown first if the last request did not fit.
  void rewind() {
    if (!block_ || (wanted_ > 0 && size_ < kLargestBlock)) {
      size_t need = used_ + wanted_;
      size_t size = size_ ? size_ : kFirstBlock;
      while (size < need && size < kLargestBlock) size *= 2;
      if (size != size_) {
        block_.reset(new (std::align_val_t(alignof(std::max_align_t))) char[size]);
        size_ = size;
      }
    }
    used_ = 0;
    wanted_ = 0;
  }

 private:
  struct AlignedDelete {
    void operator()(char* p) const { ::operator delete[](p, std::align_val_t(alignof(std::max_align_t))); }
  };
  std::unique_ptr<char[], AlignedDelete> block_;
  size_t size_ = 0;
  size_t used_ = 0;
  size_t wanted_ = 0;  // bytes the last request took from the heap
};

// A standard allocator over a RequestArena, for Beast's fields and body.
template <class T>
class ArenaAllocator {
 public:
  using value_type = T;
  explicit ArenaAllocator(RequestArena& arena) noexcept : arena_(&arena) {}
  template <class U>
  ArenaAllocator(const ArenaAllocator<U>& other) noexcept : arena_(other.arena()) {}
  T* allocate(size_t n) { return static_cast<T*>(arena_->allocate(n * sizeof(T), alignof(T))); }
  void deallocate(T* p, size_t n) noexcept { arena_->deallocate(p, n * sizeof(T), alignof(T)); }
  RequestArena* arena() const noexcept { return arena_; }
  template <class U>
  bool operator==(const ArenaAllocator<U>& other) const noexcept { return arena_ == other.arena(); }

 private:
  RequestArena* arena_;
};

}  // namespace dc
