// SIM_ASSERT: invariants of the simulator itself. A failed assertion is a bug in coordsim,
// never a user error (user errors are sim::Status values), so it prints where and why and
// aborts instead of limping on. Active in every build type, and measured to cost nothing:
// compiling every one out took 3% of TWOPC's instructions away and left its time unchanged
// (the CPU checks them alongside the work they guard).
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
