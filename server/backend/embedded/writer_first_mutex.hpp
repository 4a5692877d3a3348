// The engine's reader-writer lock, with a waiting writer let in before new
// readers. glibc's default rwlock (what std::shared_mutex is built on)
// admits new readers while a writer waits, so a steady stream of reads that
// overlap can hold a commit off for as long as the stream lasts; here a
// commit waits only for the reads already running. Readers that must not
// wait use try_lock_shared, which fails while a writer waits (the engine
// then reads on its own threads or from published counts). Not recursive:
// a thread holding it shared must not lock it shared again (nothing does).
#pragma once

#include <pthread.h>

namespace dc {

class WriterFirstMutex {
 public:
  WriterFirstMutex() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lock_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~WriterFirstMutex() { pthread_rwlock_destroy(&lock_); }
  WriterFirstMutex(const WriterFirstMutex&) = delete;
  WriterFirstMutex& operator=(const WriterFirstMutex&) = delete;

  void lock() { pthread_rwlock_wrlock(&lock_); }
  bool try_lock() { return pthread_rwlock_trywrlock(&lock_) == 0; }
  void unlock() { pthread_rwlock_unlock(&lock_); }
  void lock_shared() { pthread_rwlock_rdlock(&lock_); }
  bool try_lock_shared() { return pthread_rwlock_tryrdlock(&lock_) == 0; }
  void unlock_shared() { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_;
};

}  // namespace dc
