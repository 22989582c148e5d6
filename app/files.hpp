// Reading and writing whole files, with messages that name the file.
#pragma once

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

}  // namespace app
