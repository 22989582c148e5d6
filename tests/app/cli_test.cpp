// The coordsim command line, run as a user would: exit codes and messages.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "../test_util.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>  // getpid

#include "app/report.hpp"
#include "models/registry.hpp"

namespace {
struct Output {
  int code;
  std::string out, err;
};

using test::slurp;

// Runs coordsim with `args` from the source directory, after the shell command `before`.
Output coordsim(const std::string& args, const std::string& before = "") {
  // Unique files per call: ctest runs test cases in parallel processes.
  static int calls = 0;
  const auto tmp = std::filesystem::temp_directory_path();
  const std::string stem = "coordsim_cli_" + std::to_string(getpid()) + "_" + std::to_string(++calls);
  const std::string out = (tmp / (stem + ".out")).string();
  const std::string err = (tmp / (stem + ".err")).string();
  const std::string cmd = std::string("cd '") + COORDSIM_SOURCE_DIR + "' && " + before + " '" +
                          COORDSIM_BINARY + "' " + args + " >'" + out + "' 2>'" + err + "'";
  const int status = std::system(cmd.c_str());
  Output o{WEXITSTATUS(status), slurp(out), slurp(err)};
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return o;
}
}  // namespace

TEST_CASE("CLI: validate says ok with exit 0, or the exact error with exit 2", "[app][cli]") {
  auto ok = coordsim("validate scenarios/single-service.yaml");
  CHECK(ok.code == 0);
  CHECK(ok.out ==
        "scenarios/single-service.yaml: ok: scenario \"single-service\", 1 service, 0 workflow "
        "steps, pattern orchestration\n");
  auto mix = coordsim("validate scenarios/hotel-reservation.yaml");
  CHECK(mix.out ==
        "scenarios/hotel-reservation.yaml: ok: scenario \"hotel-reservation\", 12 services on 13 "
        "replicas, 4 request types with 8 steps in all, patterns orchestration, "
        "choreography/rpc and orchestration/broker\n");
  auto bad = coordsim("validate tests/scenarios/bad/09-unknown-step-service.yaml");
  CHECK(bad.code == 2);
  CHECK(bad.err ==
        "tests/scenarios/bad/09-unknown-step-service.yaml:12:17: workflow.steps.0.service: "
        "unknown service \"paymnt\" (did you mean \"payment\"?); the services are \"order\" and "
        "\"payment\"\n");
  auto missing = coordsim("validate no/such/file.yaml");
  CHECK(missing.code == 2);
  CHECK(missing.err == "no/such/file.yaml: cannot open the file (No such file or directory)\n");
}

TEST_CASE("CLI: inputs at the edges of the ranges get a message, never an abort", "[app][cli]") {
  // A directory, and a device without end: read no further than the size limit.
  auto dir = coordsim("validate scenarios");
  CHECK(dir.code == 2);
  CHECK(dir.err == "scenarios: is a directory, not a file\n");
  auto zero = coordsim("validate /dev/zero");
  CHECK(zero.code == 2);
  CHECK(zero.err == "/dev/zero: the file is larger than 64 MiB\n");
  // A list index too long to be a number is out of range, not an internal error.
  auto index = coordsim("run scenarios/ecommerce-order.yaml --set workflow.steps.18446744073709551616.x=1");
  CHECK(index.code == 2);
  CHECK(index.err ==
        "--set workflow.steps.18446744073709551616.x=1: workflow.steps is a list of 4 entries; "
        "expected an index from 0 to 3, found \"18446744073709551616\"\n");
  // In a file without steps, an index into them says the list is empty, and how to add one.
  auto none = coordsim("validate scenarios/single-service.yaml --set workflow.steps.5.x=1");
  CHECK(none.code == 2);
  CHECK(none.err ==
        "--set workflow.steps.5.x=1: workflow.steps is an empty list, so it has no entry \"5\" (add one "
        "with workflow.steps+=VALUE)\n");
  // A replication index is not negative.
  auto rep = coordsim("run scenarios/single-service.yaml --replication=-1");
  CHECK(rep.code == 2);
  CHECK(rep.err.rfind("--replication: Value -1 not in range 0 to ", 0) == 0);
  // Transaction ids and the PHOLD seed are not negative either (CLI11 alone would wrap -1).
  for (const auto& [command, option] :
       {std::pair{"run scenarios/single-service.yaml --trace /dev/null --trace-txn -1", "--trace-txn"},
        std::pair{"explain scenarios/single-service.yaml --txn -1", "--txn"}}) {
    auto negative = coordsim(command);
    CHECK(negative.code == 2);
    CHECK(negative.err.rfind(std::string(option) + ": Value -1 not in range 0 to 4611686018427387904", 0) == 0);
  }
  for (const char* s : {"-1", "18446744073709551616", "12x"}) {
    auto phold = coordsim(fmt::format("bench phold --events 1000 --seed {}", s));
    CHECK(phold.code == 2);
    CHECK(phold.err == fmt::format("--seed: {}: expected a whole number from 0 to 18446744073709551615\n"
                                   "Run with --help for more information.\n", s));
  }
  CHECK(coordsim("bench phold --events 1000 --seed 18446744073709551615").code == 0);
  // A traced id beyond the run's transactions is said to be missing, not silently left out.
  auto beyond = coordsim("run scenarios/single-service.yaml --set duration=40s --trace /dev/null "
                         "--trace-txn 5 --trace-txn 99999999");
  CHECK(beyond.code == 0);
  CHECK(beyond.err ==
        "note: --trace-txn 99999999: orchestration made only 3840 transactions (numbered from 0), "
        "so the trace has nothing of it there\nnote: trace written to /dev/null (open it at "
        "https://ui.perfetto.dev or in chrome://tracing)\n");
  // The largest seed and transaction count are whole numbers like the others.
  auto seed = coordsim("validate scenarios/single-service.yaml --seed 18446744073709551615");
  CHECK(seed.code == 0);
  const std::string most = (std::filesystem::temp_directory_path() /
                            ("coordsim_most_" + std::to_string(getpid()) + ".yaml")).string();
  {
    std::ofstream f(most);
    f << "transactions: 18446744073709551615\nworkload: {rate: 1/s}\nservices: {api: {ops: {x: 1ms}}}\n"
         "workflow: {entry: api, entry_op: x}\n";
  }
  auto txns = coordsim("validate '" + most + "'");
  std::filesystem::remove(most);
  CHECK(txns.code == 0);
  auto over = coordsim("validate scenarios/single-service.yaml --seed 18446744073709551616");
  CHECK(over.code == 2);
  CHECK(over.err ==
        "--set seed=18446744073709551616: seed: expected a whole number of at least 0, found "
        "\"18446744073709551616\"\n");
  // A horizon beyond the clock is refused; a sample beyond it is cut, with a note.
  auto horizon = coordsim("run scenarios/single-service.yaml --set duration=2562047h --set workload.rate=1/1000h");
  CHECK(horizon.code == 2);
  CHECK(horizon.err ==
        "--set duration=2562047h: duration: expected a duration of at most 146 years (2^62 ns) "
        "(the simulated clock holds 292 years, with room for what is added to it), found "
        "\"2562047h\"\n");
  for (const char* d : {"exp(2562047h)", "'pareto(shape: 0.01, scale: 1ms)'", "'weibull(shape: 0.01, scale: 1ms)'"}) {
    INFO(d);
    auto heavy = coordsim(fmt::format(
        "run scenarios/single-service.yaml --set duration=40s --set \"services.api.ops.handle={}\" --set drain=1s", d));
    CHECK(heavy.code == 0);
    CHECK(heavy.out.find("longer than the simulated clock can hold with room to spare, and cut "
                         "to 146 years (2^62 ns)") != std::string::npos);
  }
  auto lognormal = coordsim(
      "run scenarios/single-service.yaml --set duration=40s --set \"services.api.ops.handle='lognormal(median: "
      "1ms, sigma: 50)'\" --set drain=1s");
  CHECK(lognormal.code == 0);
}

TEST_CASE("CLI: usage errors exit 2, help exits 0", "[app][cli]") {
  CHECK(coordsim("--help").code == 0);
  CHECK(coordsim("run --help").code == 0);
  CHECK(coordsim("").code == 2);
  CHECK(coordsim("frobnicate").code == 2);
  auto p = coordsim("run scenarios/single-service.yaml --pattern sagas");
  CHECK(p.code == 2);
  CHECK(p.err ==
        "coordsim: --pattern sagas: unknown pattern; valid values are \"orchestration\", "
        "\"choreography\", \"two_phase_commit\", \"saga_orchestrated\", "
        "\"saga_choreographed\" or \"tcc\"\n");
  auto t = coordsim("run scenarios/ecommerce-order.yaml --pattern orchestratio/broker");
  CHECK(t.code == 2);
  CHECK(t.err.rfind("coordsim: --pattern orchestratio/broker: unknown pattern (did you mean "
                    "\"orchestration\"?); valid values are ",
                    0) == 0);
  auto u = coordsim("run scenarios/ecommerce-order.yaml --pattern two_phase_commit/broker");
  CHECK(u.code == 2);
  CHECK(u.err ==
        "--pattern two_phase_commit/broker: patterns.0: two_phase_commit runs over rpc only, "
        "not over broker\n");
  auto s = coordsim("run scenarios/single-service.yaml --set workload.rate");
  CHECK(s.code == 2);
  CHECK(s.err ==
        "coordsim: --set workload.rate: expected FIELD.PATH=VALUE, e.g. --set "
        "services.payment.mttf=5min\n");
}

TEST_CASE("CLI: fields lists the scenario's fields from the table, and refuses an unknown prefix",
          "[app][cli]") {
  auto all = coordsim("fields");
  CHECK(all.code == 0);
  CHECK(all.out.find("services.NAME.workers\n  count, in requests; default 1\n  requests served at once\n") !=
        std::string::npos);
  CHECK(all.out.find("workflow.steps.N.calls.N.timeout\n  duration; default `timeouts.call`\n") != std::string::npos);
  auto some = coordsim("fields timeouts");
  CHECK(some.code == 0);
  CHECK(some.out.rfind("timeouts\n  mapping; default as below\n", 0) == 0);
  CHECK(some.out.find("timeouts.log_force\n  duration; default 0\n  time to force a record to a durable log\n") !=
        std::string::npos);
  auto md = coordsim("fields --markdown tcc");
  CHECK(md.out ==
        "| key | type | meaning | default |\n|---|---|---|---|\n"
        "| `expiry` | duration | how long a TCC reservation lives before it releases itself | `30s` |\n");
  auto none = coordsim("fields tmeouts");
  CHECK(none.code == 2);
  CHECK(none.err == "coordsim fields: no scenario field starts with \"tmeouts\"; `coordsim fields` lists them all\n");
  auto group = coordsim("fields --markdown services");
  CHECK(group.code == 2);
  CHECK(group.err.rfind("coordsim fields: no group \"services\"; the groups are \"\" (the top level), workload, ", 0) == 0);
}

TEST_CASE("CLI: run prints a table and writes the documented CSV columns", "[app][cli]") {
  const std::string csv = (std::filesystem::temp_directory_path() /
                           ("coordsim_cli_" + std::to_string(getpid()) + ".csv")).string();
  auto r = coordsim("run scenarios/single-service.yaml --set duration=20s --set warmup=1s --csv '" +
                    csv + "'");
  REQUIRE(r.code == 0);
  CHECK(r.out.find("orchestration") != std::string::npos);
  const std::string text = slurp(csv);
  // The scenario columns, then the service's own figures.
  const std::string header = app::csv_header({"api"});
  CHECK(text.rfind(header, 0) == 0);
  CHECK(header.find(",fingerprint,api.utilisation,api.mean_queue,api.availability,api.served\n") !=
        std::string::npos);
  // One header line and one row; the service's utilisation is a fraction, and it served jobs.
  CHECK(std::count(text.begin(), text.end(), '\n') == 2);
  const std::string row = text.substr(header.size());
  std::vector<std::string> f;
  std::stringstream in(row.substr(0, row.size() - 1));
  for (std::string x; std::getline(in, x, ',');) f.push_back(x);
  REQUIRE(f.size() >= 4);
  const double util = std::stod(f[f.size() - 4]), avail = std::stod(f[f.size() - 2]);
  CHECK(util > 0);
  CHECK(util < 1);
  CHECK(avail == 1);
  CHECK(std::stoull(f.back()) > 0);
}

TEST_CASE("Docs: every pattern of the table has its section, its place in the reference and "
          "its line in --help",
          "[app][docs]") {
  const std::filesystem::path root = COORDSIM_SOURCE_DIR;
  const std::string patterns = slurp(root / "docs/patterns.md");
  const std::string scenarios = slurp(root / "docs/scenarios.md");
  const Output help = coordsim("--help");
  REQUIRE(help.code == 0);
  REQUIRE(models::patterns().size() >= 6);
  for (const models::PatternInfo* p : models::patterns()) {
    INFO(p->name);
    // docs/patterns.md: a section named after the pattern that opens with its summary.
    CHECK(patterns.find(std::string("\n## ") + p->name + "\n\n" + p->summary + "\n") !=
          std::string::npos);
    CHECK(scenarios.find(std::string("`") + p->name + "`") != std::string::npos);
    CHECK(help.out.find(p->name) != std::string::npos);
    CHECK(help.out.find(p->summary) != std::string::npos);
  }
}

TEST_CASE("Docs: docs/output.md describes every CSV column", "[app][docs]") {
  // A column is described in the table by its name in backquotes, or, for a family such as
  // acceptance_mean_ms, `_p50_ms`, ..., by its suffix after the family's first column.
  const std::filesystem::path root = COORDSIM_SOURCE_DIR;
  const std::string doc = slurp(root / "docs/output.md");
  for (const std::string& c : app::csv_columns()) {
    INFO(c);
    bool found = doc.find(fmt::format("`{}`", c)) != std::string::npos;
    // A family: some line names `PREFIX_...` and then `SUFFIX` with c = PREFIX + SUFFIX,
    // SUFFIX starting at an underscore.
    for (size_t us = c.find('_'); !found && us != std::string::npos; us = c.find('_', us + 1)) {
      const std::string family = fmt::format("`{}_", c.substr(0, us));
      const std::string suffix = fmt::format("`{}`", c.substr(us));
      for (size_t at = doc.find(family); !found && at != std::string::npos; at = doc.find(family, at + 1)) {
        const size_t eol = doc.find('\n', at);
        const size_t s = doc.find(suffix, at);
        found = s != std::string::npos && s < eol;
      }
    }
    CHECK(found);
  }
}

TEST_CASE("CLI: explore prints the points by outcome per pattern, writes its CSV files, and "
          "rejects bad options",
          "[app][cli]") {
  const std::string dir = std::filesystem::temp_directory_path().string();
  const std::string counts = fmt::format("{}/coordsim_explore_{}.csv", dir, getpid());
  const std::string points = fmt::format("{}/coordsim_points_{}.csv", dir, getpid());
  auto r = coordsim(fmt::format(
      "explore scenarios/ecommerce-order.yaml --pattern orchestration --pattern two_phase_commit "
      "--csv '{}' --points '{}'",
      counts, points));
  REQUIRE(r.code == 0);
  CHECK(r.out.find("pattern ") != std::string::npos);
  CHECK(r.out.find("orchestration") != std::string::npos);
  const std::string c = slurp(counts);
  CHECK(c.rfind("scenario,pattern,no_fault,points,committed,aborted,failed,blocked_then_resolved,"
                "blocked,violated\n",
                0) == 0);
  CHECK(std::count(c.begin(), c.end(), '\n') == 3);
  // 2PC: no point ends violated.
  CHECK(c.find("ecommerce-order,two_phase_commit,committed,") != std::string::npos);
  CHECK(c.substr(c.find("two_phase_commit")).find(",0\n") != std::string::npos);
  const std::string p = slurp(points);
  CHECK(p.rfind("scenario,pattern,fault,index,at_ms,node,point,outcome,in_doubt_max_ms,unfinished\n", 0) == 0);
  std::remove(counts.c_str());
  std::remove(points.c_str());

  auto bad = coordsim("explore scenarios/ecommerce-order.yaml --recover-after 5");
  CHECK(bad.code == 2);
  CHECK(bad.err ==
        "coordsim: --recover-after 5: expected a positive duration such as 5s (expected a time "
        "unit (ns, us, ms, s, min or h) after \"5\")\n");
  auto zero = coordsim("explore scenarios/ecommerce-order.yaml --recover-after 0s");
  CHECK(zero.code == 2);
  CHECK(zero.err == "coordsim: --recover-after 0s: expected a positive duration such as 5s\n");
  auto kind = coordsim("explore scenarios/ecommerce-order.yaml --faults fire");
  CHECK(kind.code == 2);
  CHECK(kind.err.rfind("--faults: fire not in {crash,loss,both}", 0) == 0);
  auto pat = coordsim("explore scenarios/ecommerce-order.yaml --pattern twophase");
  CHECK(pat.code == 2);
  CHECK(pat.err.rfind("coordsim: --pattern twophase: unknown pattern", 0) == 0);
}

TEST_CASE("CLI: a run that makes thousands of events per transaction says so while it runs",
          "[app][cli]") {
  // A service that fails every nanosecond: millions of crash and recovery events and few
  // transactions. The run finishes (it is short) and says on stderr what is going on.
  auto r = coordsim("run scenarios/single-service.yaml --set services.api.mttf=1ns --set "
                    "services.api.mttr=1ns --set duration=20ms --set warmup=0s --set drain=1ms");
  CHECK(r.code == 0);
  CHECK(r.err.rfind("note: orchestration: 1000000 events for ", 0) == 0);
  CHECK(r.err.find("something multiplies the work") != std::string::npos);
  // An ordinary run says nothing.
  auto quiet = coordsim("run scenarios/single-service.yaml --set duration=40s");
  CHECK(quiet.code == 0);
  CHECK(quiet.err.empty());
}

TEST_CASE("CLI: a run whose clock cannot move is refused or stopped, with what to change",
          "[app][cli]") {
  // Arrivals faster than one per nanosecond would all land at the same instant.
  auto fast = coordsim("validate scenarios/single-service.yaml --set workload.rate=1e308/s");
  CHECK(fast.code == 2);
  CHECK(fast.err ==
        "--set workload.rate=1e308/s: workload.rate: expected a rate of at most 1e9/s (one per "
        "nanosecond: the simulated clock counts whole nanoseconds), found \"1e308/s\"\n");
  CHECK(coordsim("validate scenarios/single-service.yaml --set workload.rate=1e9/s").code == 0);
  // A closed loop in which nothing takes time: the clock stays at 0 (before, the run went
  // on until memory ran out).
  const std::string zeno = (std::filesystem::temp_directory_path() /
                            ("coordsim_zeno_" + std::to_string(getpid()) + ".yaml")).string();
  {
    std::ofstream f(zeno);
    f << "duration: 1s\nworkload: {arrival: closed, clients: 10, think: 0, deadline: 1s}\n"
         "network: {latency: 0}\nservices: {api: {workers: 10, ops: {handle: 0}}}\n"
         "workflow: {entry: api, entry_op: handle}\n";
  }
  const std::string why =
      "orchestration: the simulated clock stood still at 0s for 10000000 events in a row, so the "
      "run could never reach its end and was stopped: something repeats without taking any time "
      "(a closed-loop client with no think time whose request takes no time at all, with no "
      "network latency and no service time; or a retry, redelivery or timeout of 0). Give one "
      "of them a positive duration";
  auto run = coordsim("run '" + zeno + "'");
  CHECK(run.code == 1);
  CHECK(run.out.empty());
  CHECK(run.err == "coordsim: " + why + "\n");
  // In a sweep, the stuck point is warned about and its row says it did not drain; the
  // other point runs as usual.
  const std::string csv = zeno + ".csv";
  auto sweep = coordsim("sweep '" + zeno + "' --sweep workload.think=0,1ms --csv '" + csv + "' -q");
  CHECK(sweep.code == 0);
  CHECK(sweep.err == "warning: run 0: " + why + "\n");
  const std::string rows = slurp(csv);
  std::filesystem::remove(zeno);
  std::filesystem::remove(csv);
  // The drained column of each row: false for the stuck point (run 0), true for the other.
  std::istringstream lines(rows);
  std::string line;
  std::getline(lines, line);
  const auto cells = [](const std::string& l) {
    std::vector<std::string> out;
    std::istringstream in(l);
    for (std::string c; std::getline(in, c, ',');) out.push_back(c);
    return out;
  };
  const std::vector<std::string> names = cells(line);
  const auto drained = std::find(names.begin(), names.end(), "drained") - names.begin();
  REQUIRE(static_cast<size_t>(drained) < names.size());
  std::vector<std::string> flags;
  while (std::getline(lines, line)) flags.push_back(cells(line).at(static_cast<size_t>(drained)));
  CHECK(flags == std::vector<std::string>{"false", "true"});
}

TEST_CASE("CLI: a run that outgrows its memory budget stops with a message, not a kill",
          "[app][cli]") {
#if defined(__SANITIZE_ADDRESS__)
  SKIP("AddressSanitizer maps more address space than the limit below");
#endif
  // With ulimit -v, the budget is 80% of that address space: an overloaded service (a
  // million requests a second on one worker) reaches it in a few seconds, and the run is
  // stopped with exit 1 and what to change, before an allocation fails.
  const auto over = coordsim("run scenarios/single-service.yaml --set workload.rate=1e6/s --set duration=1h",
                             "ulimit -v 1500000 &&");
  CHECK(over.code == 1);
  CHECK(over.out.empty());
  CHECK(over.err.find("coordsim: orchestration: stopped at simulated time ") != std::string::npos);
  CHECK(over.err.find("(80% of the address space allowed by ulimit -v). The work in flight grows without end") !=
        std::string::npos);
}

TEST_CASE("CLI: a benchmark too big for the machine is refused with its size, before it "
          "allocates", "[app][cli]") {
  // 10^11 pending PHOLD events of 32 bytes are about 3 TB: beyond any machine this runs on,
  // so the message is checked up to the budget, which is the machine's.
  auto phold = coordsim("bench phold --lps 100000000 --per-lp 1000");
  CHECK(phold.code == 2);
  CHECK(phold.err.rfind("coordsim bench phold: --lps 100000000 x --per-lp 1000 = 100000000000 pending "
                        "events need 2981.0 GiB, more than 80% of this machine's memory (", 0) == 0);
  CHECK(phold.err.find("GiB); lower --lps or --per-lp\n") != std::string::npos);
  CHECK(phold.out.empty());
  // Under ulimit -v the budget is the address space: 1 GiB allows 0.8 GiB. (AddressSanitizer
  // maps more than that before main.)
#if !defined(__SANITIZE_ADDRESS__)
  auto limited = coordsim("bench phold --lps 10000000 --per-lp 10", "ulimit -v 1048576 &&");
  CHECK(limited.code == 2);
  CHECK(limited.err ==
        "coordsim bench phold: --lps 10000000 x --per-lp 10 = 100000000 pending events need 3.1 "
        "GiB, more than 80% of the address space allowed by ulimit -v (0.8 GiB); lower --lps or "
        "--per-lp\n");
#endif
  // bench setup's scenario goes through the loader, whose limit is 64 MiB: at most 500,000
  // services (a million said "internal error: setup.yaml: the file is larger than 64 MiB").
  auto setup = coordsim("bench setup --services 1000000");
  CHECK(setup.code == 2);
  CHECK(setup.err == "--services: Value 1000000 not in range 1 to 500000\nRun with --help for more information.\n");
}

TEST_CASE("CLI: an option that only qualifies another is refused without it, not ignored",
          "[app][cli]") {
  // Each of these ran and exited 0 with the option doing nothing.
  const std::pair<const char*, const char*> cases[] = {
      {"run scenarios/single-service.yaml --interval 5s",
       "--interval requires --timeseries\nRun with --help for more information.\n"},
      {"sweep scenarios/single-service.yaml --interval 5s -q",
       "--interval requires --timeseries\nRun with --help for more information.\n"},
      {"explain scenarios/single-service.yaml --txn 1 --first 3",
       "--first requires --outcome\nRun with --help for more information.\n"},
      {"explore scenarios/ecommerce-order.yaml --faults loss --recover-after 1s",
       "coordsim: --recover-after: --faults loss crashes no node, so none recovers; leave it out, "
       "or give --faults crash or both\n"},
  };
  for (const auto& [command, message] : cases) {
    INFO(command);
    auto r = coordsim(command);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == message);
  }
  // Losses alone: the header says nothing of crashed nodes coming back.
  auto losses = coordsim("explore scenarios/ecommerce-order.yaml --faults loss -p orchestration");
  CHECK(losses.code == 0);
  CHECK(losses.out.rfind("one transaction of scenario ecommerce-order, each fault alone: the loss of "
                         "every message\n", 0) == 0);
}

TEST_CASE("CLI: an empty file name is refused, not taken for an option left out", "[app][cli]") {
  // --csv "$OUT" with OUT unset: the run went on and wrote no file, with exit 0; merge ''
  // aborted (a filesystem exception from the check of its inputs against its outputs).
  const std::pair<const char*, const char*> cases[] = {
      {"run scenarios/single-service.yaml --csv ''", "--csv"},
      {"sweep scenarios/single-service.yaml --summary '' -q", "--summary"},
      {"merge '' --csv runs.csv", "shards"},
      {"compare ''", "runs"},
      {"explore scenarios/single-service.yaml --points ''", "--points"},
      {"explain scenarios/single-service.yaml --txn 1 --mermaid ''", "--mermaid"},
      {"validate ''", "scenario"},
  };
  for (const auto& [command, option] : cases) {
    INFO(command);
    auto r = coordsim(command);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == std::string(option) + ": the file name is empty\nRun with --help for more information.\n");
  }
  // "-" is a file name here; the message says how to read the standard input.
  auto dash = coordsim("validate -");
  CHECK(dash.code == 2);
  CHECK(dash.err == "-: cannot open the file (No such file or directory); to read the standard input, give "
                    "/dev/stdin\n");
  auto piped = coordsim("validate /dev/stdin < scenarios/single-service.yaml");
  CHECK(piped.code == 0);
}

TEST_CASE("CLI: an output file that cannot be written is refused before anything runs",
          "[app][cli]") {
  // Before, the run went to its end, printed its table, and only then failed to write.
  const std::pair<const char*, const char*> cases[] = {
      {"run scenarios/single-service.yaml --csv scenarios", "scenarios: cannot write the file (it is a directory)"},
      {"run scenarios/single-service.yaml --json no/such/dir/out.json",
       "no/such/dir/out.json: cannot write the file (there is no directory no/such/dir)"},
      {"sweep scenarios/single-service.yaml --summary README.md/s.csv -q",
       "README.md/s.csv: cannot write the file (README.md is not a directory)"},
      {"explore scenarios/ecommerce-order.yaml --points no/such/dir/p.csv",
       "no/such/dir/p.csv: cannot write the file (there is no directory no/such/dir)"},
  };
  for (const auto& [command, message] : cases) {
    INFO(command);
    auto r = coordsim(command);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == fmt::format("coordsim: {}\n", message));
  }
  // A link that leads into no directory (before: the whole run, then exit 1).
  const std::string link = (std::filesystem::temp_directory_path() /
                            ("coordsim_link_" + std::to_string(getpid()) + ".csv")).string();
  auto r = coordsim("run scenarios/single-service.yaml --csv " + link,
                    "ln -sfn no/such/dir/runs.csv '" + link + "' &&");
  std::filesystem::remove(link);
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  const std::string dir = (std::filesystem::path(link).parent_path() / "no/such/dir").string();
  CHECK(r.err == fmt::format("coordsim: {}: cannot write the file (it is a link to {}/runs.csv, and "
                             "there is no directory {})\n", link, dir, dir));
}

TEST_CASE("CLI: outputs to devices are written in place, and their errors reported", "[app][cli]") {
  // Before, --csv /dev/full went to a temporary file in /dev renamed over the device: the
  // run said nothing, exited 0, and /dev/full was a regular file from then on.
  REQUIRE(std::filesystem::is_character_file("/dev/full"));
  auto full = coordsim("run scenarios/single-service.yaml --csv /dev/full");
  CHECK(full.code == 1);
  CHECK(full.err == "coordsim: /dev/full: cannot write the file (No space left on device)\n");
  auto series = coordsim("run scenarios/single-service.yaml --timeseries /dev/full --interval 1min");
  CHECK(series.code == 1);
  CHECK(series.err == "coordsim: /dev/full: cannot write the file (No space left on device)\n");
  auto trace = coordsim("run scenarios/single-service.yaml --trace /dev/full --trace-txn 3");
  CHECK(trace.code == 1);
  CHECK(trace.err == "coordsim: /dev/full: cannot write the file (No space left on device)\n");
  CHECK(std::filesystem::is_character_file("/dev/full"));
  // The standard output itself on a full device: before, `run` and `validate` exited 0 with
  // their table lost, and `fields` and `sweep` called it an internal error.
  for (const char* command : {"run scenarios/single-service.yaml", "validate scenarios/single-service.yaml",
                              "fields", "sweep scenarios/single-service.yaml -q --set duration=1min",
                              "explain scenarios/ecommerce-order.yaml --txn 3", "--version", "run --help"}) {
    INFO(command);
    const std::string err = (std::filesystem::temp_directory_path() / fmt::format("coordsim_full_{}.err", getpid())).string();
    const int status = std::system(fmt::format("cd '{}' && '{}' {} >/dev/full 2>'{}'", COORDSIM_SOURCE_DIR,
                                               COORDSIM_BINARY, command, err).c_str());
    CHECK(WEXITSTATUS(status) == 1);
    CHECK(slurp(err) == "coordsim: cannot write the standard output (No space left on device)\n");
    std::filesystem::remove(err);
  }
  // /dev/stdout is a link to the process's output: the rows follow the table there (also
  // when that output is a file: written from its start, they would overwrite the table).
  auto out = coordsim("run scenarios/single-service.yaml --csv /dev/stdout");
  CHECK(out.code == 0);
  CHECK(out.out.starts_with("scenario single-service (seed 1)\npattern "));
  CHECK(out.out.find("\nscenario,scenario_hash,coordsim_version,") != std::string::npos);
  CHECK(out.out.rfind("orchestration ") < out.out.find("\nscenario,scenario_hash,"));
  // A sweep's runs file has its manifest beside it and is read back: it must be a file.
  for (const char* command : {"sweep scenarios/single-service.yaml --csv /dev/null -q",
                              "merge scenarios/single-service.yaml --csv /dev/stdout"}) {
    INFO(command);
    auto r = coordsim(command);
    CHECK(r.code == 2);
    const std::string dev = std::string(command).find("/dev/null") != std::string::npos ? "/dev/null" : "/dev/stdout";
    CHECK(r.err == "coordsim: " + dev +
                       ": the runs file must be a regular file, not a device, a pipe or a link (its "
                       "manifest is written beside it, and --resume, merge and compare read it back); "
                       "give a file name, or leave out --csv and read the table\n");
  }
  CHECK(!std::filesystem::exists("/dev/null.manifest.json"));
}

TEST_CASE("CLI: two outputs in one file, or an output over an input, are refused", "[app][cli]") {
  // Before, `run S --csv S` overwrote the scenario with its own results, and `--csv a.csv
  // --json a.csv` kept whichever was written last; both exited 0.
  const auto dir = std::filesystem::temp_directory_path() / ("coordsim_clash_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string d = dir.string();
  std::filesystem::copy_file(std::filesystem::path(COORDSIM_SOURCE_DIR) / "scenarios/single-service.yaml", dir / "s.yaml");
  std::filesystem::create_symlink(dir / "s.yaml", dir / "link.yaml");
  const std::string scenario = test::slurp(d + "/s.yaml");
  const std::pair<std::string, std::string> cases[] = {
      {"run {0}/s.yaml --csv {0}/a.csv --json {0}/a.csv",
       "{0}/a.csv: --csv and --json would write the same file; give each a file of its own"},
      {"run {0}/s.yaml --json {0}/a.csv --timeseries {0}/../{1}/a.csv",
       "{0}/../{1}/a.csv: --json and --timeseries would write the same file; give each a file of its own"},
      {"run {0}/s.yaml --csv {0}/s.yaml",
       "{0}/s.yaml: --csv would overwrite the scenario, which it reads; give --csv another file"},
      {"run {0}/s.yaml --trace {0}/link.yaml",
       "{0}/link.yaml: --trace would overwrite the scenario, which it reads; give --trace another file"},
      {"sweep {0}/s.yaml -q --csv {0}/r.csv --summary {0}/r.manifest.json",
       "{0}/r.manifest.json: --summary and --csv's manifest would write the same file; give each a file of its own"},
      {"sweep {0}/s.yaml -q --csv {0}/r.csv --differences {0}/r.csv.partial",
       "{0}/r.csv.partial: --differences and --csv's journal would write the same file; give each a file of its own"},
      {"explore {0}/s.yaml --csv {0}/s.yaml",
       "{0}/s.yaml: --csv would overwrite the scenario, which it reads; give --csv another file"},
  };
  const std::string leaf = dir.filename().string();
  for (const auto& [command, message] : cases) {
    INFO(command);
    auto r = coordsim(fmt::format(fmt::runtime(command), d, leaf));
    CHECK(r.code == 2);
    CHECK(r.err == "coordsim: " + fmt::format(fmt::runtime(message), d, leaf) + "\n");
  }
  CHECK(test::slurp(d + "/s.yaml") == scenario);
  CHECK(!std::filesystem::exists(dir / "a.csv"));
  // A finished sweep's runs file and manifest are read by merge and compare.
  REQUIRE(coordsim(fmt::format("sweep {0}/s.yaml -q --set duration=1min --csv {0}/r.csv", d)).code == 0);
  const std::string runs = test::slurp(d + "/r.csv");
  const std::pair<std::string, std::string> readers[] = {
      {"merge {0}/r.csv --csv {0}/r.csv",
       "{0}/r.csv: --csv would overwrite a shard, which it reads; give --csv another file"},
      {"merge {0}/r.csv --csv {0}/m.csv --summary {0}/r.manifest.json",
       "{0}/r.manifest.json: --summary would overwrite a shard's manifest, which it reads; give --summary another file"},
      {"compare {0}/r.csv --verdict {0}/r.csv",
       "{0}/r.csv: --verdict would overwrite a runs file, which it reads; give --verdict another file"},
      {"compare {0}/r.csv --verdict {0}/r.manifest.json",
       "{0}/r.manifest.json: --verdict would overwrite a runs file's manifest, which it reads; give --verdict another file"},
  };
  for (const auto& [command, message] : readers) {
    INFO(command);
    auto r = coordsim(fmt::format(fmt::runtime(command), d));
    CHECK(r.code == 2);
    CHECK(r.err == "coordsim: " + fmt::format(fmt::runtime(message), d) + "\n");
  }
  CHECK(test::slurp(d + "/r.csv") == runs);
  // Writing to one device twice is harmless.
  CHECK(coordsim(fmt::format("run {0}/s.yaml --csv /dev/null --json /dev/null", d)).code == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("CLI: a run without transactions shows its undefined figures as -, not 0", "[app][cli]") {
  // Before: availability 0.0000 and latencies of 0.000 ms, as if the service were down and
  // instant at once.
  auto r = coordsim("run scenarios/single-service.yaml --set duration=1us --set warmup=0s --csv /dev/stdout");
  CHECK(r.code == 0);
  CHECK(r.out.find("\norchestration                     0         0       0      0       0        0       -  "
                   "            - / -                 - / - / -         -       0.0\n") != std::string::npos);
  // ... and as empty fields in the CSV (null in JSON), which pandas reads as NaN.
  CHECK(r.out.find(",0,0,0,0,0,0,0,0,,0,1e-06,,,,,,,,,,,,") != std::string::npos);
}

TEST_CASE("CLI: a sweep too big to plan is refused at once, with its size", "[app][cli]") {
  // Before, every one of the 120,000 points was loaded (minutes, gigabytes) with no word.
  auto grid = coordsim("sweep scenarios/single-service.yaml --sweep seed=1:400:1 --sweep services.api.workers=1:300:1 -q");
  CHECK(grid.code == 2);
  CHECK(grid.err ==
        "scenarios/single-service.yaml: the sweep's axes make a grid of 120000 points (400 x 300 "
        "values); at most 100000 are allowed: sweep fewer values, or split the sweep into several\n");
  // The file's axis (3 crash rates) times 17 worker counts, 6 patterns, a million replications.
  auto runs = coordsim("sweep scenarios/ecommerce-order.yaml --sweep services.payment.workers=1:17:1 "
                       "--replications 1000000 -q");
  CHECK(runs.code == 2);
  CHECK(runs.err ==
        "scenarios/ecommerce-order.yaml: the sweep has 306000000 runs (51 grid points, their "
        "patterns, 1000000 replications each); at most 100000000 are allowed: use fewer "
        "replications (or --precision to stop where the intervals are narrow enough), or split "
        "the sweep into several\n");
}

TEST_CASE("CLI: --set and --sweep reach sections the file leaves at their defaults", "[app][cli]") {
  // single-service.yaml has no retry, timeouts or two_phase_commit section.
  CHECK(coordsim("validate scenarios/single-service.yaml --set retry.attempts=3").code == 0);
  CHECK(coordsim("validate scenarios/single-service.yaml --set two_phase_commit.variant=presumed_commit").code == 0);
  auto sweep = coordsim("sweep scenarios/single-service.yaml --set duration=40s --sweep retry.attempts=1,3 -q");
  CHECK(sweep.code == 0);
  // The made section's keys are checked like the file's own.
  auto key = coordsim("validate scenarios/single-service.yaml --set retry.atempts=3");
  CHECK(key.code == 2);
  CHECK(key.err == "--set retry.atempts=3: retry: unknown key \"atempts\" (did you mean \"attempts\"?)\n");
  auto value = coordsim("validate scenarios/single-service.yaml --set two_phase_commit.variant=basik");
  CHECK(value.code == 2);
  CHECK(value.err ==
        "--set two_phase_commit.variant=basik: two_phase_commit.variant: expected \"presumed_abort\", "
        "\"presumed_nothing\", \"presumed_commit\", \"paxos_commit\" or \"basic\", found \"basik\" (did you mean \"basic\"?)\n");
  // A section no scenario has, and a misspelt section the file has.
  auto none = coordsim("validate scenarios/single-service.yaml --set retyr.attempts=3");
  CHECK(none.code == 2);
  CHECK(none.err.rfind("--set retyr.attempts=3: no section \"retyr\" in a scenario; the sections are \"name\", ", 0) == 0);
  auto typo = coordsim("validate scenarios/single-service.yaml --set servics.api.workers=3");
  CHECK(typo.code == 2);
  CHECK(typo.err == "--set servics.api.workers=3: no field \"servics\" in the scenario (did you mean \"services\"?)\n");
}

TEST_CASE("CLI: a step is addressed by its name or SERVICE.ACTION, so a path survives an "
          "inserted step",
          "[app][cli]") {
  // ecommerce-order: payment.charge is steps.0, seller.confirm is in the parallel group
  // steps.2.parallel.0.
  auto by_pair = coordsim("run scenarios/ecommerce-order.yaml --pattern orchestration --set "
                          "workflow.steps.payment.charge.fails=1");
  CHECK(by_pair.code == 0);
  CHECK(by_pair.out.find("orchestration                 11056         0") != std::string::npos);
  CHECK(coordsim("validate scenarios/ecommerce-order.yaml --set workflow.steps.seller.confirm.fails=0.5").code == 0);
  CHECK(coordsim("sweep scenarios/ecommerce-order.yaml --set patterns=orchestration --set duration=10s --sweep "
                 "workflow.steps.payment.charge.fails=0,0.5 -q")
            .code == 0);
  auto missing = coordsim("validate scenarios/ecommerce-order.yaml --set workflow.steps.paymnt.charge.fails=0.5");
  CHECK(missing.code == 2);
  CHECK(missing.err ==
        "--set workflow.steps.paymnt.charge.fails=0.5: workflow.steps has no step named \"paymnt\" "
        "(nor a step paymnt.ACTION); give its index, its name: or SERVICE.ACTION\n");
  // By name, in a file that names its steps.
  const std::string named = (std::filesystem::temp_directory_path() /
                             ("coordsim_named_" + std::to_string(getpid()) + ".yaml")).string();
  {
    std::ofstream f(named);
    f << "duration: 10s\nworkload: {rate: 10/s}\nservices:\n  order: {ops: {place: 1ms}}\n"
         "  payment: {ops: {charge: 1ms, refund: 1ms}}\nworkflow:\n  entry: order\n  steps:\n"
         "    - {name: pay, service: payment, action: charge, compensate: refund}\n"
         "    - {name: pay-again, service: payment, action: charge, idempotent: true}\n";
  }
  CHECK(coordsim("validate '" + named + "' --set workflow.steps.pay.fails=0.1").code == 0);
  // Two steps are payment.charge: the pair is ambiguous, the names are not.
  auto twice = coordsim("validate '" + named + "' --set workflow.steps.payment.charge.fails=0.1");
  CHECK(twice.code == 2);
  CHECK(twice.err.find("workflow.steps has 2 steps that \"payment.charge\" names; give the step a name: of its own") !=
        std::string::npos);
  std::filesystem::remove(named);
}

TEST_CASE("CLI: --set PATH+=VALUE appends to a list, made if absent", "[app][cli]") {
  // One more crash on top of the file's faults: more orchestration transactions violated.
  auto base = coordsim("run scenarios/ecommerce-order.yaml --pattern orchestration");
  auto more = coordsim("run scenarios/ecommerce-order.yaml --pattern orchestration --set "
                       "\"faults+={at: 20s, crash: seller, for: 10s}\"");
  REQUIRE(base.code == 0);
  REQUIRE(more.code == 0);
  CHECK(base.out.find("  108  ") != std::string::npos);
  CHECK(more.out.find("  160  ") != std::string::npos);
  // A file without faults gets the list.
  CHECK(coordsim("validate scenarios/single-service.yaml --set \"faults+={at: 20s, crash: api, for: 10s}\"").code == 0);
  auto scalar = coordsim("validate scenarios/single-service.yaml --set seed+=3");
  CHECK(scalar.code == 2);
  CHECK(scalar.err == "--set seed+=3: seed is not a list, so nothing can be appended to it (use = to replace it)\n");
  // The appended value is checked like the file's own, against the override.
  auto bad = coordsim("validate scenarios/single-service.yaml --set \"faults+={at: 20s, crash: apj, for: 10s}\"");
  CHECK(bad.code == 2);
  CHECK(bad.err.rfind("--set faults+={at: 20s, crash: apj, for: 10s}: ", 0) == 0);
}

TEST_CASE("Tests: no test case name has a character that ctest would split it at",
          "[app][docs]") {
  // catch_discover_tests registers each TEST_CASE by its name, and CMake splits a name at
  // ";" into two tests that match nothing: the test then "passes" without running (four did
  // before this check). Names may continue over several string literals.
  const std::filesystem::path root = COORDSIM_SOURCE_DIR;
  size_t cases = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root / "tests")) {
    if (e.path().extension() != ".cpp") continue;
    const std::string text = slurp(e.path());
    for (size_t at = text.find("TEST_CASE(\""); at != std::string::npos; at = text.find("TEST_CASE(\"", at + 1)) {
      // The name: the string literals up to the comma before the tags.
      std::string name;
      size_t i = at + 10;
      while (i < text.size() && text[i] == '"') {
        const size_t end = text.find('"', i + 1);
        name += text.substr(i + 1, end - i - 1);
        i = text.find_first_not_of(" \n", end + 1);
      }
      ++cases;
      INFO(e.path().filename().string() << ": " << name);
      CHECK(name.find(';') == std::string::npos);
    }
  }
  CHECK(cases > 100);
}

TEST_CASE("CLI: run --trace writes a trace, and its options are checked", "[app][cli][trace]") {
  const std::string path =
      (std::filesystem::temp_directory_path() / fmt::format("coordsim_cli_trace_{}.json", getpid())).string();
  auto ok = coordsim(fmt::format("run scenarios/ecommerce-order.yaml --trace '{}' --trace-outcome violated "
                                 "--trace-first 2 -p orchestration",
                                 path));
  CHECK(ok.code == 0);
  CHECK(ok.err == fmt::format("note: trace written to {} (open it at https://ui.perfetto.dev or in "
                              "chrome://tracing)\n",
                              path));
  const std::string text = slurp(path);
  CHECK(text.starts_with("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"));
  CHECK(text.ends_with("\n]}\n"));
  std::filesystem::remove(path);

  auto alone = coordsim("run scenarios/single-service.yaml --trace-txn 1");
  CHECK(alone.code == 2);
  CHECK(alone.err ==
        "coordsim: --trace-txn, --trace-sample and --trace-outcome choose what --trace FILE "
        "follows: give --trace FILE too\n");
  auto outcome = coordsim(fmt::format("run scenarios/single-service.yaml --trace '{}' --trace-outcome bogus", path));
  CHECK(outcome.code == 2);
  CHECK(outcome.err ==
        "coordsim: --trace-outcome bogus: expected an outcome: committed, aborted, failed, "
        "blocked or violated\n");
  auto dir = coordsim("run scenarios/single-service.yaml --trace /nonexistent-dir/t.json");
  CHECK(dir.code == 2);  // refused before the run, like every output
  CHECK(dir.err == "coordsim: /nonexistent-dir/t.json: cannot write the file (there is no directory /nonexistent-dir)\n");
  auto sample = coordsim(fmt::format("run scenarios/single-service.yaml --trace '{}' --trace-sample 2", path));
  CHECK(sample.code == 2);
  CHECK(sample.err.starts_with("--trace-sample: 2: expected a fraction above 0 and at most 1, such as 0.01\n"));
  auto none = coordsim(fmt::format("run scenarios/single-service.yaml --trace '{}' --trace-sample 0", path));
  CHECK(none.code == 2);  // before, an empty trace and exit 0
  CHECK(none.err.starts_with("--trace-sample: 0: expected a fraction above 0 and at most 1, such as 0.01\n"));
}

TEST_CASE("CLI: explain needs a transaction, and checks the outcome's name", "[app][cli][explain]") {
  auto none = coordsim("explain scenarios/ecommerce-order.yaml");
  CHECK(none.code == 2);
  CHECK(none.err ==
        "coordsim: explain needs --txn N (repeatable) or --outcome OUTCOME: which transaction to "
        "explain\n");
  auto bad = coordsim("explain scenarios/ecommerce-order.yaml --outcome lost");
  CHECK(bad.code == 2);
  CHECK(bad.err ==
        "coordsim: --outcome lost: expected an outcome: committed, aborted, failed, blocked or "
        "violated\n");
  auto ok = coordsim("explain scenarios/ecommerce-order.yaml -p orchestration --outcome violated");
  CHECK(ok.code == 0);
  CHECK(ok.out.starts_with("transaction "));
  CHECK(ok.out.find(": violated\n") != std::string::npos);
  CHECK(ok.out.find("    => violated: some side effects remain and others do not") != std::string::npos);
  CHECK(ok.out.find("sequenceDiagram\n  participant n0 as client\n") != std::string::npos);
}

TEST_CASE("CLI: sweep --timeseries writes every run's series, the same as run's and for any --jobs",
          "[app][cli][timeseries]") {
  const auto tmp = std::filesystem::temp_directory_path();
  const std::string one = (tmp / fmt::format("coordsim_ts1_{}.csv", getpid())).string();
  const std::string two = (tmp / fmt::format("coordsim_ts2_{}.csv", getpid())).string();
  const std::string single = (tmp / fmt::format("coordsim_ts_run_{}.csv", getpid())).string();
  const std::string sweep =
      "sweep scenarios/single-service.yaml --set duration=5s --set warmup=1s --sweep services.api.workers=1,2 "
      "--replications 2 -q --interval 500ms --timeseries ";
  auto a = coordsim(sweep + one + " --jobs 1");
  auto b = coordsim(sweep + two + " --jobs 2");
  REQUIRE(a.code == 0);
  REQUIRE(b.code == 0);
  const std::string text = slurp(one);
  CHECK(text == slurp(two));
  CHECK(text.starts_with("run,services.api.workers,replication,pattern,t_start_s,t_end_s,metric,node,value\n"));
  // Run 1 is the first point's second replication... run 2 is workers=2, replication 0:
  // its rows are what `coordsim run` writes for that point, after "2,2,0,".
  auto r = coordsim("run scenarios/single-service.yaml --set duration=5s --set warmup=1s --set services.api.workers=2 "
                    "--interval 500ms --timeseries " + single);
  REQUIRE(r.code == 0);
  std::istringstream run_rows(slurp(single));
  std::string line, expected;
  std::getline(run_rows, line);  // the header
  while (std::getline(run_rows, line)) expected += "2,2,0," + line + "\n";
  CHECK(text.find(expected) != std::string::npos);
  CHECK(expected.size() > 100);
  auto resume = coordsim(sweep + one + " --csv " + (tmp / "coordsim_ts_runs.csv").string() + " --resume");
  CHECK(resume.code == 2);
  CHECK(resume.err ==
        "coordsim: --timeseries writes the runs this command makes, in one process: it does not "
        "combine with --resume, --shard or MPI\n");
  for (const auto& f : {one, two, single}) std::filesystem::remove(f);
}

TEST_CASE("CLI: --interval and --recover-after take a positive duration", "[app][cli]") {
  auto run = coordsim("run scenarios/single-service.yaml --timeseries /dev/null --interval abc");
  CHECK(run.code == 2);
  CHECK(run.err ==
        "coordsim: --interval abc: expected a positive duration such as 1s (expected a duration like "
        "\"250ms\", found \"abc\")\n");
  auto sweep = coordsim("sweep scenarios/single-service.yaml --timeseries /dev/null --interval 0s -q");
  CHECK(sweep.code == 2);
  CHECK(sweep.err == "coordsim: --interval 0s: expected a positive duration such as 1s\n");
  auto explore = coordsim("explore scenarios/ecommerce-order.yaml --recover-after 0s");
  CHECK(explore.code == 2);
  CHECK(explore.err == "coordsim: --recover-after 0s: expected a positive duration such as 5s\n");
}
