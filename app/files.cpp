#include "app/files.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace app {

sim::Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return sim::Status::invalid(fmt::format("{}: cannot open the file", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return sim::Status::invalid(fmt::format("{}: cannot read the file", path));
  return ss.str();
}

bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

sim::Status write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = fmt::format("{}.tmp.{}", path, getpid());
  auto failed = [&] {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    return sim::Status::invalid(fmt::format("{}: cannot write the file ({})", path, why));
  };
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return failed();
    out << text;
    out.flush();
    if (!out) return failed();
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return failed();
  return sim::Status();
}

}  // namespace app
