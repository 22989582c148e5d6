// Micro-benchmarks of the kernel's hot paths: the event heap, cancellable timers, the
// fixed-length timeout queue, distribution sampling and the latency histogram.
#include <benchmark/benchmark.h>

#include "sim/distribution.hpp"
#include "sim/event_queue.hpp"
#include "sim/metrics.hpp"
#include "sim/rng.hpp"
#include "sim/simulation.hpp"

namespace {

// Hold model: the heap keeps `size` events; each iteration pops one and pushes one later.
void BM_EventQueueHold(benchmark::State& state) {
  const auto size = static_cast<size_t>(state.range(0));
  sim::EventQueue q;
  sim::Rng rng(1, "bench/queue");
  uint64_t seq = 0;
  for (size_t i = 0; i < size; ++i) {
    q.push(sim::Event{sim::Time::from_ns(static_cast<int64_t>(rng.exponential(1e6))), seq++, 0, 0, 0});
  }
  for (auto _ : state) {
    const sim::Event e = q.pop();
    q.push(sim::Event{e.time + sim::Time::from_ns(static_cast<int64_t>(rng.exponential(1e6))),
                      seq++, 0, 0, 0});
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventQueueHold)->Arg(16)->Arg(1000)->Arg(1000000);

struct Nothing final : sim::Handler {
  void on_event(sim::Simulation&, const sim::Event&) override {}
};

// A timer armed and cancelled before it fires: what every acknowledged call does.
void BM_TimerArmCancel(benchmark::State& state) {
  sim::Simulation s;
  Nothing h;
  const sim::HandlerId id = s.add_handler(&h);
  for (auto _ : state) {
    const sim::TimerId t = s.timer_after(sim::Time::from_s(10), id, 1, 0);
    benchmark::DoNotOptimize(s.cancel(t));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimerArmCancel);

void BM_SampleExponential(benchmark::State& state) {
  const sim::Distribution d = sim::Distribution::exponential(sim::Time::from_ms(5));
  sim::Rng rng(1, "bench/exp");
  for (auto _ : state) benchmark::DoNotOptimize(d.sample(rng));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SampleExponential);

void BM_SampleLognormal(benchmark::State& state) {
  const sim::Distribution d = sim::Distribution::parse("lognormal(median: 2ms, p99: 40ms)").value();
  sim::Rng rng(1, "bench/lognormal");
  for (auto _ : state) benchmark::DoNotOptimize(d.sample(rng));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SampleLognormal);

void BM_HistogramAdd(benchmark::State& state) {
  sim::LogHistogram h;
  sim::Rng rng(1, "bench/histogram");
  for (auto _ : state) h.add_ns(static_cast<int64_t>(rng.exponential(1e7)));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramAdd);

}  // namespace
