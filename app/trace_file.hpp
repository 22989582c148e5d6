// app::PerfettoTrace: writes what a models::TraceRecorder follows as a Trace Event Format file
// (the JSON that ui.perfetto.dev and chrome://tracing open), streamed as the run goes.
//
// Layout: one process per node and pattern ("orchestration: payment"), with a thread
// "events" for messages and instants and a thread per worker for the jobs it serves.
//  - a job is a complete event ("X") on its worker's thread;
//  - a message is a zero-length "send" slice at its sender and a "receive" slice at its
//    destination, joined by a flow arrow ("s" / "f"), and its time in the network is an
//    async span ("b" / "e") at the sender; a dropped message has no arrow and ends in an
//    instant at its destination that says why;
//  - a wait in a queue is an async span at the node;
//  - crashes and recoveries are instants, and a node's time down is a slice on its events
//    thread; partitions are global instants at their start and end;
//  - forced log writes and marks ("dead letter") are instants.
// Every event about a transaction carries args.txn (and args.step where there is one).
#pragma once

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "app/files.hpp"
#include "models/trace.hpp"
#include "sim/status.hpp"

namespace app {

class PerfettoTrace final : public models::TraceSink {
 public:
  // Opens `path` for writing (atomically, as every output: app::AtomicFile); check status()
  // before the run.
  explicit PerfettoTrace(const std::string& path);
  ~PerfettoTrace() override;
  PerfettoTrace(const PerfettoTrace&) = delete;
  PerfettoTrace& operator=(const PerfettoTrace&) = delete;
  const sim::Status& status() const { return status_; }
  // Ends the file's JSON and closes it; returns the first write error.
  sim::Status close();

  void begin_run(const models::World& w) override;
  void event(const models::World& w, const models::TraceEvent& e) override;
  void end_run(const models::World& w) override;

 private:
  int pid(sim::NodeId node) const { return run_ * (1 << 20) + static_cast<int>(node) + 1; }
  // Names the process of `node` and its thread `tid` the first time they are used.
  void name(const models::World& w, sim::NodeId node, uint32_t tid);
  void emit(const std::string& json);
  std::string common(const models::World& w, const char* ph, const std::string& name,
                     sim::Time ts, sim::NodeId node, uint32_t tid);
  static std::string args(const models::TraceEvent& e);

  std::string path_;
  std::unique_ptr<AtomicFile> file_;
  sim::Status status_;
  bool first_ = true;
  int run_ = -1;
  std::string pattern_;
  uint64_t async_id_ = 0;
  std::set<std::pair<int, uint32_t>> named_;
  std::vector<sim::Time> down_since_;  // by node: when it crashed, Time::max() if up
};

}  // namespace app
