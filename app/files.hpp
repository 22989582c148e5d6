// Reading and writing whole files, with messages that name the file.
#pragma once

#include <fstream>
#include <functional>
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
// rename, so a reader never sees half a file.
sim::Status write_file_atomic(const std::string& path, const std::string& text);
// The same, for a text written piece by piece by `write` (one too large to hold whole).
sim::Status write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write);

// A file written atomically as its text comes: into a temporary file beside `path` from
// the start, renamed to `path` by commit(). Without commit() (an error, an interruption)
// the temporary file is removed; if the process is killed, the next write to `path`
// removes it (its writer is gone).
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  std::ostream& out() { return out_; }
  // Closes and renames the file; the first error names the file and the reason.
  sim::Status commit();

 private:
  sim::Status failed();
  std::string path_, tmp_;
  std::ofstream out_;
  int open_error_ = 0;  // errno when the temporary file could not be opened
  bool done_ = false;
};
// Whether write_file_atomic(path, ...) can succeed, as far as can be told before: path is
// not a directory and its directory exists and may be written. Checked before a run, so
// that a long run does not end on an output it cannot write.
sim::Status check_writable(const std::string& path);

}  // namespace app
