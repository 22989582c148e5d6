// SIM_ASSERT: invariants of the simulator itself. A failed assertion is a bug in coordsim,
// never a user error (user errors are sim::Status values), so it prints where and why and
// aborts instead of limping on. Active in every build type: the checks sit off the hot path.
#pragma once

#include <cstdio>
#include <cstdlib>

#define SIM_ASSERT(cond, msg)                                                               \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "%s:%d: internal error: %s (%s)\n", __FILE__, __LINE__, (msg), \
                   #cond);                                                                  \
      std::abort();                                                                         \
    }                                                                                       \
  } while (false)
