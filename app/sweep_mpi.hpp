// A sweep over MPI ranks: `mpirun -np K coordsim sweep ...`. Every rank builds the same plan;
// rank 0 hands out runs one at a time to whichever rank asks (dynamic load balancing), makes
// runs itself on its --jobs threads meanwhile, collects every line and writes the output,
// which is byte-identical to a single-process run. Only rank 0 prints.
//
// MPI is used only when the process was started by an MPI launcher; a plain `coordsim` never
// initialises it. Builds without MPI (SIM_MPI=OFF) refuse to run under a launcher with more
// than one rank rather than run the whole sweep K times.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "app/sweep.hpp"
#include "sim/status.hpp"

namespace app::mpi {

// True iff this build has MPI.
bool built_with_mpi();
// The world size announced by an MPI launcher in the environment, if any.
std::optional<int> launcher_size();
// This process's rank as announced by the launcher (0 without one).
int launcher_rank();

// Initialises MPI (once) for a process started by a launcher; finalises it on destruction.
class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }

 private:
  int rank_ = 0, size_ = 1;
};

// Rank 0 tells the others whether to take part (true) or stop (false, after an error it has
// reported). Every rank calls it; it returns rank 0's word.
bool agree(bool go);

// Rank 0: makes the queue's runs on `jobs` local threads and hands the rest to the other
// ranks as they ask, calling done(run, line) under one lock for every run. Returns when all
// are done and every other rank has been let go.
void serve(const SweepPlan& plan, RunQueue& queue, unsigned jobs,
           const std::function<void(size_t, std::string)>& done);
// Other ranks: ask rank 0 for runs and send back their lines until let go.
void work(const SweepPlan& plan);

}  // namespace app::mpi
