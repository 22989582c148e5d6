#include "app/trace_command.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "models/world.hpp"
#include "sim/suggest.hpp"

namespace app {
namespace {

// Collects, after a run, the transactions that ended with one outcome.
class OutcomeFinder final : public models::RunProbe {
 public:
  OutcomeFinder(models::Outcome o, size_t first) : outcome_(o), first_(first) {}
  void attach(models::World&) override {}
  void finish(models::World& w) override {
    const models::Ledger& l = w.ledger_view();
    for (uint64_t t = 0; t < l.size(); ++t) {
      if (first_ != 0 && found.size() >= first_) break;
      if (l.at(t).measured && l.classify(l.at(t)) == outcome_) found.push_back(t);
    }
  }
  std::vector<uint64_t> found;

 private:
  models::Outcome outcome_;
  size_t first_;
};

}  // namespace

sim::Result<models::Outcome> parse_outcome(const std::string& text, const std::string& option) {
  std::vector<std::string> names;
  for (int i = 0; i < models::kOutcomeCount; ++i) {
    const auto o = static_cast<models::Outcome>(i);
    if (text == models::outcome_name(o)) return o;
    names.emplace_back(models::outcome_name(o));
  }
  return sim::Status::invalid(fmt::format("{} {}: expected an outcome: {}", option, text,
                                          sim::join_alternatives(names, false)));
}

std::vector<std::vector<uint64_t>> find_outcome(const Scenario& s,
                                                const std::vector<models::PatternChoice>& patterns,
                                                uint64_t replication, models::Outcome outcome,
                                                size_t first) {
  std::vector<std::vector<uint64_t>> out;
  for (const models::PatternChoice& p : patterns) {
    OutcomeFinder finder(outcome, first);
    models::run(s.config, p, replication, &finder);
    out.push_back(std::move(finder.found));
  }
  return out;
}

models::TxnFilter resolve_selection(const Scenario& s,
                                                 const std::vector<models::PatternChoice>& patterns,
                                                 uint64_t replication, const TraceSelection& sel) {
  models::TxnFilter f;
  f.ids = sel.txns;
  if (sel.sample) f.sample = *sel.sample;
  if (sel.outcome) {
    for (const auto& ids : find_outcome(s, patterns, replication, *sel.outcome, sel.first)) {
      f.ids.insert(f.ids.end(), ids.begin(), ids.end());
    }
    std::sort(f.ids.begin(), f.ids.end());
    f.ids.erase(std::unique(f.ids.begin(), f.ids.end()), f.ids.end());
  }
  return f;
}

}  // namespace app
