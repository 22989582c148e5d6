// PHOLD: N logical processes; each starts with K events at Exp(mean 1 s). Handling an event
// schedules one new event to a uniformly chosen LP at now + 0.1 s + Exp(mean 1 s). The run
// stops after exactly `events` events. One handler owns all LPs (the payload names the LP),
// as a simulation module owning many processes would.
#include "app/bench_phold.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <vector>

#include "sim/rng.hpp"
#include "sim/simulation.hpp"

namespace app {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

class PholdModel final : public sim::Handler {
 public:
  PholdModel(sim::Simulation& s, const PholdParams& p)
      : sim_(s), self_(s.add_handler(this)), rng_(p.seed, "phold"), count_(p.lps, 0), n_(p.lps) {}

  void seed_events(uint32_t per_lp) {
    for (uint32_t lp = 0; lp < n_; ++lp) {
      for (uint32_t k = 0; k < per_lp; ++k) {
        sim_.schedule(sim::Time::from_ns(draw_exp()), self_, 0, lp);
      }
    }
  }

  void on_event(sim::Simulation& s, const sim::Event& e) override {
    ++count_[e.payload];
    s.schedule_after(sim::Time::from_ns(kLookaheadNs + draw_exp()), self_, 0, rng_.below(n_));
  }

  uint64_t checksum() const {
    uint64_t c = 0;
    for (uint32_t lp = 0; lp < n_; ++lp) c += count_[lp] * (lp + 1);
    return c;
  }

 private:
  static constexpr int64_t kLookaheadNs = 100'000'000;  // 0.1 s
  int64_t draw_exp() { return static_cast<int64_t>(rng_.exponential(1e9)); }

  sim::Simulation& sim_;
  sim::HandlerId self_;
  sim::Rng rng_;
  std::vector<uint64_t> count_;
  uint32_t n_;
};

}  // namespace

double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

sim::Status phold_fits(const PholdParams& p, const MemoryBudget& budget) {
  const uint64_t pending = uint64_t{p.lps} * p.per_lp;
  const uint64_t need = (pending + 1) * sizeof(sim::Event) + uint64_t{p.lps} * sizeof(uint64_t);
  const uint64_t limit = budget.tightest();
  if (limit == 0 || need <= limit) return sim::Status();
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  return sim::Status::invalid(fmt::format(
      "coordsim bench phold: --lps {} x --per-lp {} = {} pending events need {:.1f} GiB, more "
      "than {} ({:.1f} GiB); lower --lps or --per-lp",
      p.lps, p.per_lp, pending, static_cast<double>(need) / kGiB, budget.tightest_text(),
      static_cast<double>(limit) / kGiB));
}

PholdResult run_phold(const PholdParams& p) {
  PholdResult r;
  const auto t0 = Clock::now();
  sim::Simulation s;
  s.reserve(static_cast<size_t>(p.lps) * p.per_lp + 1);
  PholdModel model(s, p);
  model.seed_events(p.per_lp);
  r.setup_s = since(t0);
  const auto t1 = Clock::now();
  r.events = s.run_events(p.events);
  r.run_s = since(t1);
  r.events_per_s = r.run_s > 0 ? static_cast<double>(r.events) / r.run_s : 0;
  r.peak_rss_mib = peak_rss_mib();
  r.sim_now_s = s.now().seconds();
  r.checksum = model.checksum();
  r.fingerprint = s.fingerprint();
  return r;
}

std::string format_phold(const PholdParams& p, const PholdResult& r) {
  return fmt::format(
      "PHOLD  lps={} per_lp={} events={}  setup={:.3f}s run={:.3f}s  {:.2f} M events/s  "
      "peak memory {:.1f} MiB  (sim time {:.1f}s, checksum {}, fingerprint {:016x})",
      p.lps, p.per_lp, r.events, r.setup_s, r.run_s, r.events_per_s / 1e6, r.peak_rss_mib,
      r.sim_now_s, r.checksum, r.fingerprint);
}

}  // namespace app
