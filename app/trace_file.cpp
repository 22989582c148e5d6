#include "app/trace_file.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "models/world.hpp"

namespace app {
namespace {

std::string quoted(const std::string& s) { return nlohmann::json(s).dump(); }

// Microseconds, the format's unit, to the nanosecond.
std::string micros(sim::Time t) {
  const int64_t ns = t.ns();
  return fmt::format("{}.{:03}", ns / 1000, ns % 1000);
}

}  // namespace

PerfettoTrace::PerfettoTrace(const std::string& path) : path_(path), file_(std::make_unique<AtomicFile>(path)) {
  status_ = file_->opened();
  if (!status_.ok()) {
    file_.reset();
    return;
  }
  file_->out() << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
}

PerfettoTrace::~PerfettoTrace() {
  if (file_ != nullptr) (void)close();
}

void PerfettoTrace::emit(const std::string& json) {
  if (file_ == nullptr) return;
  if (!first_) file_->out() << ",\n";
  first_ = false;
  file_->out() << json;
}

sim::Status PerfettoTrace::close() {
  if (file_ == nullptr) return status_;
  file_->out() << "\n]}\n";
  const sim::Status st = file_->commit();
  file_.reset();
  if (!st.ok() && status_.ok()) status_ = st;
  return status_;
}

void PerfettoTrace::name(const models::World& w, sim::NodeId node, uint32_t tid) {
  const int p = pid(node);
  if (named_.insert({p, ~0u}).second) {
    emit(fmt::format(R"({{"ph":"M","name":"process_name","pid":{},"tid":0,"args":{{"name":{}}}}})", p,
                     quoted(fmt::format("{}: {}", pattern_, w.node(node).name()))));
    emit(fmt::format(R"({{"ph":"M","name":"process_sort_index","pid":{},"tid":0,"args":{{"sort_index":{}}}}})",
                     p, p));
  }
  if (named_.insert({p, tid}).second) {
    const std::string t = tid == 0 ? "events" : fmt::format("worker {}", tid - 1);
    emit(fmt::format(R"({{"ph":"M","name":"thread_name","pid":{},"tid":{},"args":{{"name":{}}}}})", p, tid,
                     quoted(t)));
  }
}

std::string PerfettoTrace::common(const models::World& w, const char* ph, const std::string& name,
                                  sim::Time ts, sim::NodeId node, uint32_t tid) {
  this->name(w, node, tid);
  return fmt::format(R"("ph":"{}","name":{},"ts":{},"pid":{},"tid":{})", ph, quoted(name), micros(ts),
                     pid(node), tid);
}

std::string PerfettoTrace::args(const models::TraceEvent& e) {
  if (!e.has_txn) return "{}";
  std::string a = fmt::format(R"({{"txn":{})", e.txn);
  if (e.step != models::kNoStep) a += fmt::format(R"(,"step":{})", e.step);
  if (e.kind == models::TraceEvent::Kind::kMessage) a += fmt::format(R"(,"attempt":{})", e.attempt);
  return a + "}";
}

void PerfettoTrace::begin_run(const models::World& w) {
  ++run_;
  pattern_ = w.pattern().label();
  down_since_.assign(w.node_count(), sim::Time::max());
}

void PerfettoTrace::event(const models::World& w, const models::TraceEvent& e) {
  using K = models::TraceEvent::Kind;
  const std::string a = args(e);
  switch (e.kind) {
    case K::kMessage: {
      const std::string to = w.node(e.peer).name(), from = w.node(e.node).name();
      const uint64_t id = (static_cast<uint64_t>(run_) << 40) | e.id;
      const std::string what = e.duplicate ? e.what + " (duplicate)" : e.what;
      emit(fmt::format(R"({{{},"cat":"message","dur":0,"args":{}}})",
                       common(w, "X", fmt::format("send {} to {}", what, to), e.start, e.node, 0), a));
      const std::string transit =
          e.delivered ? fmt::format("{} {} -> {}", what, from, to)
                      : fmt::format("{} {} -> {} ({})", what, from, to, sim::drop_name(e.drop));
      emit(fmt::format(R"({{{},"cat":"network","id":{},"args":{}}})",
                       common(w, "b", transit, e.start, e.node, 0), id, a));
      emit(fmt::format(R"({{{},"cat":"network","id":{},"args":{}}})", common(w, "e", transit, e.end, e.node, 0),
                       id, a));
      if (e.delivered) {
        emit(fmt::format(R"({{{},"cat":"flow","id":{}}})", common(w, "s", what, e.start, e.node, 0), id));
        emit(fmt::format(R"({{{},"cat":"message","dur":0,"args":{}}})",
                         common(w, "X", fmt::format("receive {} from {}", what, from), e.end, e.peer, 0), a));
        emit(fmt::format(R"({{{},"cat":"flow","id":{},"bp":"e"}})", common(w, "f", what, e.end, e.peer, 0), id));
      } else {
        emit(fmt::format(R"({{{},"cat":"drop","s":"t","args":{}}})",
                         common(w, "i", fmt::format("{} from {} dropped: {}", what, from, sim::drop_name(e.drop)),
                                e.end, e.peer, 0),
                         a));
      }
      return;
    }
    case K::kJob:
      emit(fmt::format(R"({{{},"cat":"job","dur":{},"args":{}}})", common(w, "X", e.what, e.start, e.node, e.worker + 1),
                       micros(e.end - e.start), a));
      return;
    case K::kQueued: {
      const uint64_t id = (static_cast<uint64_t>(run_) << 40) | (uint64_t{1} << 39) | ++async_id_;
      const std::string n = fmt::format("queued for {}", e.what);
      emit(fmt::format(R"({{{},"cat":"queue","id":{},"args":{}}})", common(w, "b", n, e.start, e.node, 0), id, a));
      emit(fmt::format(R"({{{},"cat":"queue","id":{},"args":{}}})", common(w, "e", n, e.end, e.node, 0), id, a));
      return;
    }
    case K::kCrash:
      down_since_[e.node] = e.start;
      break;
    case K::kRecover:
      if (down_since_[e.node] != sim::Time::max()) {
        emit(fmt::format(R"({{{},"cat":"fault","dur":{},"args":{{}}}})",
                         common(w, "X", "down", down_since_[e.node], e.node, 0), micros(e.start - down_since_[e.node])));
        down_since_[e.node] = sim::Time::max();
      }
      break;
    case K::kPartition:
      emit(fmt::format(R"({{{},"cat":"fault","s":"g","args":{{}}}})",
                       common(w, "i", e.what + " starts", e.start, w.client(), 0)));
      emit(fmt::format(R"({{{},"cat":"fault","s":"g","args":{{}}}})",
                       common(w, "i", e.what + " ends", e.end, w.client(), 0)));
      return;
    case K::kJobLost:
    case K::kForce:
    case K::kMark:
      break;
  }
  const char* cat = e.kind == K::kForce ? "log" : (e.kind == K::kCrash || e.kind == K::kRecover) ? "fault" : "mark";
  const std::string n = e.kind == K::kForce ? fmt::format("force {}", e.what) : e.what;
  emit(fmt::format(R"({{{},"cat":"{}","s":"t","args":{}}})", common(w, "i", n, e.start, e.node, 0), cat, a));
}

void PerfettoTrace::end_run(const models::World& w) {
  // A node still down when the run ends: its time down so far.
  for (sim::NodeId n = 0; n < down_since_.size(); ++n) {
    if (down_since_[n] == sim::Time::max()) continue;
    emit(fmt::format(R"({{{},"cat":"fault","dur":{},"args":{{}}}})", common(w, "X", "down", down_since_[n], n, 0),
                     micros(w.sim().now() - down_since_[n])));
  }
}

}  // namespace app
