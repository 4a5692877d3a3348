// An LD_PRELOAD shim that counts heap allocations (malloc, calloc, realloc,
// aligned_alloc, posix_memalign, memalign, and every operator new: the
// server's jemalloc brings its own, which never reach malloc) and writes the
// count so far to $DC_ALLOC_COUNT_FILE when the process gets SIGUSR2. glibc
// 2.36 has no malloc hooks, and jemalloc is a shared library, so the shim
// sits in front of it and passes every call on.
// Built and used by bench/b1_allocs.sh; never linked into the server.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_ulong allocations;
static void* (*real_malloc)(size_t);
static void* (*real_calloc)(size_t, size_t);
static void* (*real_realloc)(void*, size_t);
static void* (*real_aligned_alloc)(size_t, size_t);
static int (*real_posix_memalign)(void**, size_t, size_t);
static void* (*real_memalign)(size_t, size_t);

// dlsym may itself call calloc before real_calloc is known: served from here.
static char bootstrap[4096];
static size_t bootstrap_used;

static void report(int sig) {
  (void)sig;
  const char* path = getenv("DC_ALLOC_COUNT_FILE");
  if (!path) return;
  char digits[32];
  unsigned long n = atomic_load(&allocations);
  int i = sizeof digits;
  digits[--i] = '\n';
  do { digits[--i] = (char)('0' + n % 10); n /= 10; } while (n);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  ssize_t w = write(fd, digits + i, sizeof digits - (size_t)i);
  (void)w;
  close(fd);
}

__attribute__((constructor)) static void start(void) {
  real_malloc = dlsym(RTLD_NEXT, "malloc");
  real_calloc = dlsym(RTLD_NEXT, "calloc");
  real_realloc = dlsym(RTLD_NEXT, "realloc");
  real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
  real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
  real_memalign = dlsym(RTLD_NEXT, "memalign");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = report;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &sa, NULL);
}

void* malloc(size_t n) {
  if (!real_malloc) start();
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return real_malloc(n);
}

void* calloc(size_t count, size_t n) {
  if (!real_calloc) {
    // Inside dlsym, before the real one is known.
    size_t bytes = (count * n + 15) & ~(size_t)15;
    if (bootstrap_used + bytes > sizeof bootstrap) return NULL;
    void* p = bootstrap + bootstrap_used;
    bootstrap_used += bytes;
    return p;
  }
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return real_calloc(count, n);
}

void free(void* p);
static void (*real_free)(void*);
void free(void* p) {
  if ((char*)p >= bootstrap && (char*)p < bootstrap + sizeof bootstrap) return;
  if (!real_free) real_free = dlsym(RTLD_NEXT, "free");
  real_free(p);
}

void* realloc(void* p, size_t n) {
  if (!real_realloc) start();
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return real_realloc(p, n);
}

void* aligned_alloc(size_t align, size_t n) {
  if (!real_aligned_alloc) start();
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return real_aligned_alloc(align, n);
}

int posix_memalign(void** out, size_t align, size_t n) {
  if (!real_posix_memalign) start();
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return real_posix_memalign(out, align, n);
}

void* memalign(size_t align, size_t n) {
  if (!real_memalign) start();
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return real_memalign(align, n);
}

// operator new in its eight forms, by their mangled names (this file is C).
#define COUNTED_NEW(name, params, args)                         \
  void* name params {                                           \
    static void* (*real) params;                                \
    if (!real) real = (void* (*) params)dlsym(RTLD_NEXT, #name); \
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); \
    return real args;                                           \
  }
typedef struct { char unused; } nothrow_t_;
COUNTED_NEW(_Znwm, (size_t n), (n))
COUNTED_NEW(_Znam, (size_t n), (n))
COUNTED_NEW(_ZnwmRKSt9nothrow_t, (size_t n, const nothrow_t_* t), (n, t))
COUNTED_NEW(_ZnamRKSt9nothrow_t, (size_t n, const nothrow_t_* t), (n, t))
COUNTED_NEW(_ZnwmSt11align_val_t, (size_t n, size_t a), (n, a))
COUNTED_NEW(_ZnamSt11align_val_t, (size_t n, size_t a), (n, a))
COUNTED_NEW(_ZnwmSt11align_val_tRKSt9nothrow_t, (size_t n, size_t a, const nothrow_t_* t), (n, a, t))
COUNTED_NEW(_ZnamSt11align_val_tRKSt9nothrow_t, (size_t n, size_t a, const nothrow_t_* t), (n, a, t))
