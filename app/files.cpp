#include "app/files.hpp"

#include <fmt/format.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <ext/stdio_filebuf.h>
#include <fstream>
#include <optional>
#include <sstream>

namespace app {

sim::Result<std::string> read_file(const std::string& path, size_t max_bytes) {
  if (path.empty()) return sim::Status::invalid("the file name is empty: give the path of a file");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    // "-" names the standard input in many tools; here a path does (a file "-" is read).
    const char* stdin_hint = path == "-" ? "; to read the standard input, give /dev/stdin" : "";
    return sim::Status::invalid(
        fmt::format("{}: cannot open the file ({}){}", path, std::strerror(errno), stdin_hint));
  }
  if (S_ISDIR(st.st_mode)) {
    return sim::Status::invalid(fmt::format("{}: is a directory, not a file", path));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return sim::Status::invalid(fmt::format("{}: cannot open the file ({})", path, std::strerror(errno)));
  }
  // Read at most max_bytes + 1, whatever the file claims to be (a device has no size).
  std::string text;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return sim::Status::invalid(fmt::format("{}: cannot read the file ({})", path, why));
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > max_bytes) {
      ::close(fd);
      const std::string most = max_bytes >= (size_t{1} << 20) ? fmt::format("{} MiB", max_bytes >> 20)
                                                              : fmt::format("{} bytes", max_bytes);
      return sim::Status::invalid(fmt::format("{}: the file is larger than {}", path, most));
    }
  }
  ::close(fd);
  return text;
}

bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

namespace {
// Removes PATH.tmp.PID files that a process killed during its write left behind (PID no
// longer running).
void remove_stray_temps(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  const std::string prefix = p.filename().string() + ".tmp.";
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string pid = name.substr(prefix.size());
    if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto id = static_cast<pid_t>(std::stol(pid));
    if (id == getpid() || (::kill(id, 0) == 0 || errno != ESRCH)) continue;  // its writer may live
    fs::remove(e.path(), ec);
  }
}
}  // namespace

bool written_in_place(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  struct stat sa {}, sb {};
  const bool ea = ::stat(a.c_str(), &sa) == 0, eb = ::stat(b.c_str(), &sb) == 0;
  if (ea && eb) return S_ISREG(sa.st_mode) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  if (ea || eb) return false;  // one exists, the other not yet
  // Every call with its error code, so that no path (an empty one) makes them throw.
  auto resolved = [](const std::string& p) -> std::optional<fs::path> {
    std::error_code ec;
    const fs::path abs = fs::absolute(p, ec);
    if (ec) return std::nullopt;
    fs::path r = fs::weakly_canonical(abs, ec);
    if (ec) return std::nullopt;
    return r;
  };
  const auto pa = resolved(a), pb = resolved(b);
  return pa && pb && *pa == *pb;
}

sim::Status check_writable(const std::string& path) {
  namespace fs = std::filesystem;
  auto cannot = [&](const std::string& why) {
    return sim::Status::invalid(fmt::format("{}: cannot write the file ({})", path, why));
  };
  std::error_code ec;
  if (fs::is_directory(path, ec)) return cannot("it is a directory");
  // A device, a pipe or a link to one is written in place: its own permission decides.
  struct stat st {};
  if (written_in_place(path) && ::stat(path.c_str(), &st) == 0) {
    if (access(path.c_str(), W_OK) != 0) return cannot(std::strerror(errno));
    return sim::Status();
  }
  // A link to nothing yet is created through: the directory of the file it leads to
  // decides, so follow the links (as open() will) to that file's path.
  std::string target = path;
  for (int hops = 0;; ++hops) {
    struct stat ls {};
    if (::lstat(target.c_str(), &ls) != 0 || !S_ISLNK(ls.st_mode)) break;
    if (hops == 40) return cannot(std::strerror(ELOOP));
    fs::path next = fs::read_symlink(target, ec);
    if (ec) return cannot(ec.message());
    if (next.is_relative()) next = fs::path(target).parent_path() / next;
    target = next.string();
  }
  const fs::path parent = fs::path(target).parent_path();
  const fs::path dir = parent.empty() ? fs::path(".") : parent;
  const std::string via = target == path ? "" : fmt::format("it is a link to {}, and ", target);
  if (!fs::exists(dir, ec)) return cannot(fmt::format("{}there is no directory {}", via, dir.string()));
  if (!fs::is_directory(dir, ec)) return cannot(fmt::format("{}{} is not a directory", via, dir.string()));
  if (access(dir.c_str(), W_OK) != 0) return cannot(via + std::strerror(errno));
  return sim::Status();
}

sim::Status write_file_atomic(const std::string& path, const std::string& text) {
  return write_file_atomic(path, [&](std::ostream& out) { out << text; });
}

sim::Status write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write) {
  AtomicFile file(path);
  write(file.out());
  return file.commit();
}

namespace {
// The standard stream (1 or 2) whose file `path` leads to, or -1.
int standard_stream_of(const std::string& path) {
  struct stat target {};
  if (::stat(path.c_str(), &target) != 0) return -1;
  for (int fd : {1, 2}) {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_dev == target.st_dev && st.st_ino == target.st_ino) return fd;
  }
  return -1;
}
}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (!written_in_place(path_)) {
    tmp_ = fmt::format("{}.tmp.{}", path_, getpid());
    remove_stray_temps(path_);
  } else if (const int fd = standard_stream_of(path_); fd >= 0) {
    // Opened again, the file would be written from its start, over what the stream wrote
    // and under what it writes next: share the stream's offset instead, after its text.
    std::fflush(fd == 1 ? stdout : stderr);  // (std::cout and std::cerr write through it: in sync)
    const int copy = ::dup(fd);
    if (copy < 0) {
      open_error_ = errno;
      return;
    }
    shared_ = std::make_unique<__gnu_cxx::stdio_filebuf<char>>(copy, std::ios::out | std::ios::binary);
    out_.rdbuf(shared_.get());
    return;
  }
  if (file_.open(tmp_.empty() ? path_ : tmp_, std::ios::out | std::ios::binary | std::ios::trunc) == nullptr) {
    open_error_ = errno;
    return;
  }
  out_.rdbuf(&file_);
}

AtomicFile::~AtomicFile() {
  if (done_) return;
  close();
  if (!tmp_.empty()) std::remove(tmp_.c_str());
}

bool AtomicFile::close() {
  out_.rdbuf(nullptr);
  if (shared_) {
    const bool ok = static_cast<__gnu_cxx::stdio_filebuf<char>&>(*shared_).close() != nullptr;
    shared_.reset();
    return ok;
  }
  return !file_.is_open() || file_.close() != nullptr;
}

sim::Status AtomicFile::failed() {
  const std::string why = std::strerror(open_error_ != 0 ? open_error_ : errno);
  close();
  if (!tmp_.empty()) std::remove(tmp_.c_str());
  done_ = true;
  return sim::Status::invalid(fmt::format("{}: cannot write the file ({})", path_, why));
}

sim::Status AtomicFile::opened() const {
  if (out_.rdbuf() != nullptr) return sim::Status();
  return sim::Status::invalid(fmt::format("{}: cannot write the file ({})", path_, std::strerror(open_error_)));
}

sim::Status AtomicFile::commit() {
  if (done_) return sim::Status::invalid(fmt::format("{}: cannot write the file (written already)", path_));
  if (out_.rdbuf() == nullptr) return failed();
  out_.flush();
  if (!out_) return failed();
  if (!close() || (!tmp_.empty() && std::rename(tmp_.c_str(), path_.c_str()) != 0)) return failed();
  done_ = true;
  return sim::Status();
}

}  // namespace app
