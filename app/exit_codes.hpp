// The exit codes of coordsim, documented in --help and the README.
#pragma once

namespace app {

constexpr int kExitOk = 0;
constexpr int kExitRunError = 1;     // the run failed (an output could not be written, ...)
constexpr int kExitUsage = 2;        // bad usage or an invalid scenario
constexpr int kExitInterrupted = 130;  // Ctrl-C; a sweep with --csv keeps its finished runs

}  // namespace app
