// Progress of a long job on stderr: a bar with the elapsed time and an estimate of the time
// left when stderr is a terminal, plain lines (at every 10%) otherwise, nothing when quiet.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace app {

class Progress {
 public:
  enum class Mode { kBar, kLines, kNone };
  // The mode for stderr: a bar on a terminal, lines otherwise, none if `quiet`.
  static Mode mode_for_stderr(bool quiet);

  // `total` runs, of which `already` were done before (a resumed sweep): the estimate of
  // the time left uses only the rate of this session's runs.
  Progress(Mode mode, std::string what, size_t total, size_t already, std::FILE* out = stderr);
  // One more run done.
  void step();
  // Ends the bar's line.
  void finish();

  // "12/40 runs (30%), 1.2 s elapsed, about 2.8 s left": what both modes print.
  static std::string status(size_t done, size_t total, size_t already, double elapsed_s);

 private:
  void draw(bool force);
  Mode mode_;
  std::string what_;
  size_t total_, already_, done_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  int last_decile_ = -1;
  bool drawn_ = false;
};

}  // namespace app
