#include "app/sweep_mpi.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#ifdef COORDSIM_HAVE_MPI
#include <mpi.h>
#endif

namespace app::mpi {

std::optional<int> launcher_size() {
  // Open MPI, then the PMI/PMIx variables of MPICH, Slurm's srun and others.
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"}) {
    if (const char* v = std::getenv(var)) {
      const int n = std::atoi(v);
      if (n > 0) return n;
    }
  }
  return std::nullopt;
}

int launcher_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"}) {
    if (const char* v = std::getenv(var)) return std::atoi(v);
  }
  return 0;
}

#ifdef COORDSIM_HAVE_MPI

namespace {
constexpr int kTagResult = 1;  // worker -> 0: [run index, 8 bytes][line], or empty at first
constexpr int kTagWork = 2;    // 0 -> worker: a run index, or -1 to stop
}  // namespace

bool built_with_mpi() { return true; }

Session::Session() {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Session::~Session() { MPI_Finalize(); }

bool agree(bool go) {
  int flag = go ? 1 : 0;
  MPI_Bcast(&flag, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return flag != 0;
}

void serve(const SweepPlan& plan, RunQueue& queue, unsigned jobs,
           const std::function<void(size_t, std::string)>& done) {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::mutex mu;
  auto locked = [&](size_t i, std::string line) {
    const std::lock_guard<std::mutex> lock(mu);
    done(i, std::move(line));
  };
  // Local runs on their own threads; this thread only talks to the other ranks (MPI calls
  // stay on the thread that initialised it).
  std::thread local([&] { make_runs(plan, queue, jobs, locked); });
  int active = size - 1;
  std::string buf;
  while (active > 0) {
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, kTagResult, MPI_COMM_WORLD, &flag, &st);
    if (!flag) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    int count = 0;
    MPI_Get_count(&st, MPI_CHAR, &count);
    buf.resize(static_cast<size_t>(count));
    MPI_Recv(buf.data(), count, MPI_CHAR, st.MPI_SOURCE, kTagResult, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    if (buf.size() >= sizeof(int64_t)) {
      int64_t index = 0;
      std::memcpy(&index, buf.data(), sizeof index);
      locked(static_cast<size_t>(index), buf.substr(sizeof index));
    }
    const auto next = queue.next();
    int64_t answer = next ? static_cast<int64_t>(*next) : -1;
    if (!next) --active;
    MPI_Send(&answer, 1, MPI_INT64_T, st.MPI_SOURCE, kTagWork, MPI_COMM_WORLD);
  }
  local.join();
}

void work(const SweepPlan& plan) {
  std::string payload;
  for (;;) {
    MPI_Send(payload.data(), static_cast<int>(payload.size()), MPI_CHAR, 0, kTagResult,
             MPI_COMM_WORLD);
    int64_t index = -1;
    MPI_Recv(&index, 1, MPI_INT64_T, 0, kTagWork, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (index < 0) return;
    const std::string line = make_run(plan, static_cast<size_t>(index));
    payload.assign(reinterpret_cast<const char*>(&index), sizeof index);
    payload += line;
  }
}

#else  // without MPI: one process, and these are never reached past agree().

bool built_with_mpi() { return false; }
Session::Session() = default;
Session::~Session() = default;
bool agree(bool go) { return go; }
void serve(const SweepPlan& plan, RunQueue& queue, unsigned jobs,
           const std::function<void(size_t, std::string)>& done) {
  make_runs(plan, queue, jobs, done);
}
void work(const SweepPlan&) {}

#endif

}  // namespace app::mpi
