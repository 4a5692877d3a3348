#include "server/backend/embedded/file_io.hpp"

#include <sys/types.h>
#include <unistd.h>

#include <cerrno>

namespace dc {

namespace {

class PosixFileIo final : public FileIo {
 public:
  int write_all(int fd, const char* data, size_t size) override {
    size_t done = 0;
    while (done < size) {
      ssize_t n = ::write(fd, data + done, size - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno;
      }
      done += static_cast<size_t>(n);
    }
    return 0;
  }
  int datasync(int fd) override { return ::fdatasync(fd) == 0 ? 0 : errno; }
  int truncate(int fd, long long length) override { return ::ftruncate(fd, static_cast<off_t>(length)) == 0 ? 0 : errno; }
};

}  // namespace

std::shared_ptr<FileIo> posix_file_io() {
  static const auto io = std::make_shared<PosixFileIo>();
  return io;
}

}  // namespace dc
