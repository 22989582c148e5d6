#include "app/explore_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "app/exit_codes.hpp"
#include "app/files.hpp"
#include "app/report.hpp"

namespace app {
namespace {

const char* fault_name(models::FaultPoint f) {
  switch (f) {
    case models::FaultPoint::kCrashAfterSend: return "crash_after_send";
    case models::FaultPoint::kCrashAfterReceive: return "crash_after_receive";
    case models::FaultPoint::kCrashAfterForce: return "crash_after_force";
    default: return "loss";
  }
}

std::map<std::string, size_t> count(const models::ExploreResult& r) {
  std::map<std::string, size_t> c;
  for (const auto& p : r.points) ++c[p.outcome];
  return c;
}

}  // namespace

std::string explore_report(const std::vector<models::ExploreResult>& results, size_t list) {
  const auto& outcomes = models::explore_outcomes();
  size_t width = 24;
  for (const auto& r : results) width = std::max(width, r.pattern.label().size() + 2);
  std::string out = fmt::format("{:<{}} {:>9} {:>7}", "pattern", width, "no fault", "points");
  for (const auto& o : outcomes) out += fmt::format(" {:>{}}", o, std::max<size_t>(o.size(), 6));
  out += "\n";
  for (const auto& r : results) {
    const auto c = count(r);
    out += fmt::format("{:<{}} {:>9} {:>7}", r.pattern.label(), width, r.baseline, r.points.size());
    for (const auto& o : outcomes) {
      const auto it = c.find(o);
      out += fmt::format(" {:>{}}", it == c.end() ? 0 : it->second, std::max<size_t>(o.size(), 6));
    }
    out += "\n";
  }
  for (const auto& r : results) {
    std::vector<const models::ExplorePoint*> violated, blocking;
    for (const auto& p : r.points) {
      if (p.outcome == "violated") violated.push_back(&p);
      if (p.in_doubt_max_ms > 0 && (p.outcome == "blocked" || p.outcome == "blocked_then_resolved")) {
        blocking.push_back(&p);
      }
    }
    if (!violated.empty()) {
      out += fmt::format("\n{}: {} of {} points end violated{}:\n", r.pattern.label(), violated.size(),
                         r.points.size(), violated.size() > list ? fmt::format(", the first {}", list) : "");
      for (size_t i = 0; i < std::min(list, violated.size()); ++i) {
        out += fmt::format("  {} (at {:.3f} ms)\n", violated[i]->text, violated[i]->at.seconds() * 1e3);
      }
    }
    if (!blocking.empty()) {
      std::stable_sort(blocking.begin(), blocking.end(), [](const auto* a, const auto* b) {
        return a->in_doubt_max_ms > b->in_doubt_max_ms;
      });
      out += fmt::format("\n{}: {} points block a participant; the longest:\n", r.pattern.label(),
                         blocking.size());
      for (size_t i = 0; i < std::min(list, blocking.size()); ++i) {
        out += fmt::format("  {} (at {:.3f} ms): in doubt {:.1f} ms\n", blocking[i]->text,
                           blocking[i]->at.seconds() * 1e3, blocking[i]->in_doubt_max_ms);
      }
    }
  }
  return out;
}

std::string explore_counts_csv(const Scenario& s, const std::vector<models::ExploreResult>& results) {
  std::string out = "scenario,pattern,no_fault,points";
  for (const auto& o : models::explore_outcomes()) out += "," + o;
  out += "\n";
  for (const auto& r : results) {
    const auto c = count(r);
    out += fmt::format("{},{},{},{}", csv_escape(s.config.name), r.pattern.label(), r.baseline,
                       r.points.size());
    for (const auto& o : models::explore_outcomes()) {
      const auto it = c.find(o);
      out += fmt::format(",{}", it == c.end() ? 0 : it->second);
    }
    out += "\n";
  }
  return out;
}

std::string explore_points_csv(const Scenario& s, const std::vector<models::ExploreResult>& results) {
  std::string out = "scenario,pattern,fault,index,at_ms,node,point,outcome,in_doubt_max_ms,unfinished\n";
  for (const auto& r : results) {
    for (const auto& p : r.points) {
      out += fmt::format("{},{},{},{},{:.6g},{},{},{},{:.6g},{}\n", csv_escape(s.config.name),
                         r.pattern.label(), fault_name(p.fault), p.index, p.at.seconds() * 1e3,
                         csv_escape(p.node), csv_escape(p.text), p.outcome, p.in_doubt_max_ms,
                         p.unfinished ? "true" : "false");
    }
  }
  return out;
}

int explore_command(const Scenario& s, const ExploreArgs& a) {
  std::vector<models::ExploreResult> results;
  for (const models::PatternChoice& p : s.config.patterns) {
    results.push_back(models::explore(s.config, p, a.options));
  }
  const uint64_t sends = results.empty() ? 0 : results.front().sends;
  fmt::print("one transaction of scenario {}, each fault alone: {}{}{}{}\n", s.config.name,
             a.options.crashes ? "a crash after every send, every delivery and every forced log write" : "",
             a.options.crashes && a.options.losses ? ", " : "",
             a.options.losses ? "the loss of every message" : "",
             a.options.crashes ? fmt::format(" (a crashed node is back after {})", a.options.recover_after)
                               : std::string());
  (void)sends;
  fmt::print("{}", explore_report(results, a.list));
  for (const auto& [file, text] : {std::pair{a.csv, explore_counts_csv(s, results)},
                                   std::pair{a.points, explore_points_csv(s, results)}}) {
    if (file.empty()) continue;
    if (const sim::Status st = write_file_atomic(file, text); !st.ok()) {
      fmt::print(stderr, "coordsim: {}\n", st.message());
      return kExitRunError;
    }
  }
  return kExitOk;
}

}  // namespace app
