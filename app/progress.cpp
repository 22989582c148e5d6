#include "app/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>

namespace app {
namespace {

std::string duration(double s) {
  if (s < 60) return fmt::format("{:.1f} s", s);
  const auto total = static_cast<long>(std::lround(s));
  if (total < 3600) return fmt::format("{}:{:02} min", total / 60, total % 60);
  return fmt::format("{}:{:02}:{:02} h", total / 3600, total / 60 % 60, total % 60);
}

}  // namespace

Progress::Mode Progress::mode_for_stderr(bool quiet) {
  if (quiet) return Mode::kNone;
  return isatty(STDERR_FILENO) ? Mode::kBar : Mode::kLines;
}

Progress::Progress(Mode mode, std::string what, size_t total, size_t already, std::FILE* out)
    : mode_(mode),
      what_(std::move(what)),
      total_(total),
      already_(already),
      done_(already),
      out_(out),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {
  if (mode_ == Mode::kLines && already_ > 0) {
    fmt::print(out_, "{}: resuming, {} of {} runs already done\n", what_, already_, total_);
  }
  draw(true);
}

std::string Progress::status(size_t done, size_t total, size_t already, double elapsed_s) {
  const double pct = total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100;
  std::string s = fmt::format("{}/{} runs ({:.0f}%), {} elapsed", done, total, pct, duration(elapsed_s));
  const size_t made = done - already;
  if (made > 0 && done < total) {
    const double left = elapsed_s / static_cast<double>(made) * static_cast<double>(total - done);
    s += fmt::format(", about {} left", duration(left));
  }
  return s;
}

void Progress::step() {
  ++done_;
  draw(done_ == total_);
}

void Progress::draw(bool force) {
  if (mode_ == Mode::kNone) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (mode_ == Mode::kLines) {
    // A line at 0% and at every tenth after it.
    const int decile = total_ ? static_cast<int>(10 * done_ / total_) : 10;
    if (decile == last_decile_) return;
    last_decile_ = decile;
    if (done_ == already_ && already_ > 0) return;  // said by the resuming line
    fmt::print(out_, "{}: {}\n", what_, status(done_, total_, already_, elapsed));
    std::fflush(out_);
    return;
  }
  if (!force && drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  constexpr size_t kWidth = 30;
  const size_t filled = total_ ? kWidth * done_ / total_ : kWidth;
  fmt::print(out_, "\r\033[K{}: [{}{}] {}", what_, std::string(filled, '#'),
             std::string(kWidth - filled, '.'), status(done_, total_, already_, elapsed));
  std::fflush(out_);
}

void Progress::finish() {
  if (mode_ == Mode::kBar && drawn_) {
    if (done_ != total_) draw(true);  // (the last step drew the full bar)
    fmt::print(out_, "\n");
    std::fflush(out_);
  }
}

}  // namespace app
