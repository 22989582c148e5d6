// Reading and writing whole files, with messages that name the file.
#pragma once

#include <fstream>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "sim/status.hpp"

namespace app {

// The whole content of a file ("FILE: cannot open the file" / "cannot read the file").
// The file's bytes; an error names the file and the reason (the system's, a directory, or
// more than max_bytes).
sim::Result<std::string> read_file(const std::string& path, size_t max_bytes = size_t{1} << 40);
bool file_exists(const std::string& path);
// Writes `text` to `path` atomically: a temporary file in the same directory, then a
// rename, so a reader never sees half a file. A path that exists and is not a regular file
// (a device such as /dev/stdout or /dev/null, a pipe, a socket, a symbolic link) is written
// in place instead: renaming over it would replace the device or the link with a file.
sim::Status write_file_atomic(const std::string& path, const std::string& text);
// The same, for a text written piece by piece by `write` (one too large to hold whole).
sim::Status write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write);

// A file written atomically as its text comes: into a temporary file beside `path` from
// the start, renamed to `path` by commit(). Without commit() (an error, an interruption)
// the temporary file is removed; if the process is killed, the next write to `path`
// removes it (its writer is gone). A path that is not a regular file (written_in_place())
// is written straight to, and commit() reports its first write error; one that leads to
// this process's own standard output or error (/dev/stdout redirected to a file) is written
// through that stream, after what it holds, instead of over it from the start.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  std::ostream& out() { return out_; }
  // Whether the file could be opened (checked before a long write), with the reason.
  sim::Status opened() const;
  // Closes and renames the file; the first error names the file and the reason.
  sim::Status commit();

 private:
  sim::Status failed();
  bool close();  // false on an error (the last write's)
  std::string path_, tmp_;  // tmp_ empty: written in place
  std::filebuf file_;
  std::unique_ptr<std::streambuf> shared_;  // the file of fd 1 or 2, through a dup of it
  std::ostream out_{nullptr};
  int open_error_ = 0;  // errno when the file could not be opened
  bool done_ = false;
};
// Returns true iff `path` exists and is not a regular file or a directory (a device, a
// pipe, a socket, a symbolic link): a write goes through it, in place, not atomically.
bool written_in_place(const std::string& path);
// Returns true iff a and b name the same regular file (one that exists: the same inode;
// otherwise the same absolute path once links are followed). Devices and pipes are never
// the same file here: writing to one twice is harmless.
bool same_file(const std::string& a, const std::string& b);
// Whether write_file_atomic(path, ...) can succeed, as far as can be told before: path is
// not a directory and its directory exists and may be written. Checked before a run, so
// that a long run does not end on an output it cannot write.
sim::Status check_writable(const std::string& path);

}  // namespace app
