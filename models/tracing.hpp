// models::Tracing: distributed tracing as a cost in the model (the scenario's tracing block),
// not as an output: what tracing does to the system it observes.
//
// A sampled transaction (tracing.sample, a hashed draw from its id: the same transactions
// under every pattern, and the ones `coordsim run --trace-sample` with the same fraction
// follows) records a span for every job a service serves for it. Recording costs
// tracing.span_cpu more service time on that job, on the transaction's own path; when the
// job ends, the span is sent as a Span message to the collector (counted as the
// transaction's message). The collector is a node of its own, "collector", with
// tracing.collector's workers and queue, serving each span in `collect`; a span that finds
// it down or its queue full is lost. A trace is complete when every span of its transaction
// was collected.
//
// No pattern knows of it: it sits on the nodes as their sim::JobOverhead.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "models/ledger.hpp"
#include "sim/node.hpp"

namespace models {

class World;

class Tracing final : public sim::JobOverhead, public sim::Behavior {
 public:
  Tracing(World& w, sim::NodeId collector);

  // Returns true iff transaction txn is traced.
  bool traced(uint64_t txn) const;

  // sim::JobOverhead, on every service replica.
  sim::Time extra(const sim::Node& self, const sim::Job& job) override;
  void done(sim::Node& self, const sim::Job& job) override;

  // sim::Behavior, on the collector.
  void on_message(sim::Node& self, const sim::Message& m) override;
  void on_job_done(sim::Node& self, const sim::Job& job, uint32_t worker) override;

  // Folds each transaction's spans in as the ledger releases its record. REQUIRES: the
  // world's ledger and workflows exist (World calls it once they do).
  void follow_ledger();
  // Adds the measured transactions' figures to m (those of request type `type`, or all).
  void add_to(RunMetrics& m, int type = -1) const;

 private:
  // The transaction a job is about, if it is a traced one's span.
  bool span_of(const sim::Node& self, const sim::Job& job, uint64_t& txn, uint32_t& step) const;

  struct Count {
    uint32_t sent = 0, collected = 0;
  };
  // Adds one measured traced transaction's spans to m.
  static void add(RunMetrics& m, const Count& c);

  World& w_;
  sim::NodeId collector_;
  std::unordered_map<uint64_t, Count> spans_;  // by traced transaction, until its record is released
  // The released transactions' part of add_to(): all, and by request type.
  RunMetrics folded_;
  std::vector<RunMetrics> folded_by_type_;
};

}  // namespace models
