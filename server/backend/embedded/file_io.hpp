// The write-ahead log's file operations, behind a seam so tests can make
// them fail the way disks do (a short write, EIO from fdatasync, ENOSPC)
// and check that nothing failed is ever acknowledged. Production uses the
// POSIX calls directly. Each call returns 0 or an errno value.
#pragma once

#include <cstddef>
#include <memory>

namespace dc {

class FileIo {
 public:
  virtual ~FileIo() = default;
  // Writes all `size` bytes (retrying short writes and EINTR).
  virtual int write_all(int fd, const char* data, size_t size) = 0;
  virtual int datasync(int fd) = 0;
  virtual int truncate(int fd, long long length) = 0;
};

// The real calls: write(2), fdatasync(2), ftruncate(2).
std::shared_ptr<FileIo> posix_file_io();

}  // namespace dc
