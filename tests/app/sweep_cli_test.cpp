// `coordsim sweep` and `coordsim merge` as a user runs them: the files they write, resume
// after an interruption, shards merged, the manifest and the progress lines, and the
// messages for every misuse.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../test_util.hpp"
#include "app/progress.hpp"
#include "app/sweep_command.hpp"
#include "app/sweep_files.hpp"

namespace fs = std::filesystem;

namespace {

struct Output {
  int code;
  std::string out, err;
};

// A fresh directory per test case (ctest runs test cases in parallel processes).
fs::path scratch(const std::string& name) {
  const fs::path d = fs::temp_directory_path() /
                     ("coordsim_sweep_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Runs coordsim with `args` in directory `dir`.
Output coordsim(const fs::path& dir, const std::string& args) {
  const std::string out = (dir / "stdout").string(), err = (dir / "stderr").string();
  const std::string cmd = "cd '" + dir.string() + "' && '" + COORDSIM_BINARY + "' " + args +
                          " >'" + out + "' 2>'" + err + "'";
  const int status = std::system(cmd.c_str());
  return {WEXITSTATUS(status), test::slurp(out), test::slurp(err)};
}

const std::string kScenario = std::string(COORDSIM_SOURCE_DIR) + "/scenarios/ecommerce-order.yaml";
// 3 crash rates x 6 patterns x 2 replications = 36 runs of 10 s each. (A drain of 31 s keeps
// the file's partition at 40 s within the run's reach: otherwise the loader warns that it
// never happens.)
const std::string kSweep = "sweep '" + kScenario +
                           "' --set duration=10s --set warmup=1s --set drain=31s --replications 2 "
                           "--sweep services.payment.mttf=1h,5min,1min";

void check_same(const fs::path& a, const fs::path& b, const std::vector<std::string>& files) {
  for (const std::string& f : files) {
    INFO(f);
    const std::string x = test::slurp(a / f), y = test::slurp(b / f);
    CHECK(!x.empty());
    CHECK(x == y);
  }
}

size_t lines(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += c == '\n' ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("Sweep CLI: writes runs, summary and manifest, with progress lines off a terminal",
          "[app][sweep][cli]") {
  const fs::path d = scratch("files");
  auto r = coordsim(d, kSweep + " --csv runs.csv --summary summary.csv --differences diff.csv");
  REQUIRE(r.code == 0);
  const std::string runs = test::slurp(d / "runs.csv");
  CHECK(lines(runs) == 1 + 36);
  // The axis as written and its SI twin, the scenario columns, each service's figures, the
  // checksum; the twin holds seconds.
  const std::string header = runs.substr(0, runs.find('\n'));
  CHECK(header.rfind("run,services.payment.mttf,services.payment.mttf_s,scenario,", 0) == 0);
  CHECK(header.find(",fingerprint,order.utilisation,order.mean_queue,order.availability,order.served,"
                    "payment.utilisation,") != std::string::npos);
  CHECK(header.size() - header.rfind(",checksum") == 9);
  CHECK(runs.find("\n0,1h,3600,ecommerce-order,") != std::string::npos);
  CHECK(runs.find("\n24,1min,60,ecommerce-order,") != std::string::npos);
  CHECK(!fs::exists(d / "runs.csv.partial"));  // the journal is gone once the files are written
  // stderr is not a terminal here: plain lines, the first and the last of them these.
  CHECK(r.err.rfind("sweep: 0/36 runs (0%), 0.0 s elapsed\n", 0) == 0);
  CHECK(r.err.find("sweep: 36/36 runs (100%), ") != std::string::npos);
  CHECK(r.err.find('\r') == std::string::npos);

  const auto m = nlohmann::json::parse(test::slurp(d / "runs.manifest.json"));
  CHECK(m["coordsim_version"] == "0.1.0");
  CHECK(m["scenario"]["name"] == "ecommerce-order");
  CHECK(m["scenario"]["file"] == kScenario);
  CHECK(m["axes"][0]["path"] == "services.payment.mttf");
  CHECK(m["axes"][0]["values"] == nlohmann::json({"1h", "5min", "1min"}));
  CHECK(m["replications"] == 2);
  CHECK(m["points"].size() == 3);
  CHECK(m["points"][2]["values"]["services.payment.mttf"] == "1min");
  CHECK(m["points"][0]["patterns"].size() == 6);
  CHECK(m["runs"] == 36);
  CHECK(m["files"]["runs"] == "runs.csv");
  CHECK(m["files"]["summary"] == "summary.csv");
  CHECK(m["files"]["differences"] == "diff.csv");
  CHECK(m["services"] == nlohmann::json({"order", "payment", "inventory", "seller", "logistics", "notification"}));
  CHECK(!m.contains("shard"));
  // Read back, it describes the same sweep.
  auto back = app::read_manifest((d / "runs.manifest.json").string());
  REQUIRE(back.ok());
  CHECK(back.value().shape.id() == m["sweep_id"]);

  auto quiet = coordsim(d, kSweep + " --quiet");
  CHECK(quiet.code == 0);
  CHECK(quiet.err.empty());
  CHECK(quiet.out == r.out);
  fs::remove_all(d);
}

TEST_CASE("Sweep CLI: on a terminal, progress is a bar redrawn in place", "[app][sweep][cli]") {
  // util-linux's `script` gives the command a terminal and copies what it shows.
  if (std::system("command -v script >/dev/null 2>&1") != 0) {
    WARN("no `script` command: skipped");
    return;
  }
  const fs::path d = scratch("tty");
  auto r = coordsim(d, "--version");  // (the binary is there)
  REQUIRE(r.code == 0);
  const std::string cmd = "script -qec \"'" + std::string(COORDSIM_BINARY) + "' " + kSweep +
                          "\" /dev/null >'" + (d / "tty").string() + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const std::string tty = test::slurp(d / "tty");
  CHECK(tty.rfind("\r\033[Ksweep: [..............................] 0/36 runs (0%), 0.0 s elapsed", 0) == 0);
  CHECK(tty.find("\r\033[Ksweep: [##############################] 36/36 runs (100%), ") !=
        std::string::npos);
  CHECK(tty.find("sweep: 0/36 runs (0%), 0.0 s elapsed\r\n") == std::string::npos);  // no lines
  fs::remove_all(d);
}

TEST_CASE("Sweep CLI: a resumed sweep ends byte-identical to an uninterrupted one",
          "[app][sweep][cli]") {
  const fs::path d = scratch("resume");
  fs::create_directories(d / "whole");
  fs::create_directories(d / "cut");
  const std::vector<std::string> files{"runs.csv", "summary.csv", "runs.manifest.json", "stdout"};
  const std::string out = " --csv runs.csv --summary summary.csv -q";
  REQUIRE(coordsim(d / "whole", kSweep + out).code == 0);

  SECTION("from a journal cut in the middle of a line") {
    // What an interruption leaves: the journal with some runs, in completion order, and
    // the last line cut short. Made here from a finished sweep's lines.
    const std::string runs = test::slurp(d / "whole" / "runs.csv");
    std::vector<std::string> rows;
    for (size_t pos = runs.find('\n') + 1; pos < runs.size();) {
      const size_t nl = runs.find('\n', pos);
      rows.push_back(runs.substr(pos, nl + 1 - pos));
      pos = nl + 1;
    }
    std::ofstream j(d / "cut" / "runs.csv.partial", std::ios::binary);
    j << "# coordsim sweep journal: sweep "
      << nlohmann::json::parse(test::slurp(d / "whole" / "runs.manifest.json"))["sweep_id"]
             .get<std::string>()
      << ", 36 runs; finish it with --resume\n"
      << runs.substr(0, runs.find('\n') + 1) << rows[7] << rows[2] << rows[3] << rows[11]
      << rows[5].substr(0, rows[5].size() / 2);
    j.close();
    auto again = coordsim(d / "cut", kSweep + out);
    CHECK(again.code == 2);
    CHECK(again.err ==
          "coordsim: runs.csv.partial: an interrupted sweep left its finished runs here; add "
          "--resume to finish it, or delete the file to start afresh\n");
    auto resumed = coordsim(d / "cut", kSweep + out + " --resume");
    CHECK(resumed.code == 0);
    check_same(d / "whole", d / "cut", files);
    CHECK(!fs::exists(d / "cut" / "runs.csv.partial"));
  }

  SECTION("after Ctrl-C in the middle of the sweep") {
    const std::string args = kSweep + " --set duration=40s" + out;
    REQUIRE(coordsim(d / "whole", args).code == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      if (chdir((d / "cut").c_str()) != 0) _exit(99);
      const std::string cmd = "exec '" + std::string(COORDSIM_BINARY) + "' " + args + " >stdout 2>stderr";
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(98);
    }
    // Interrupt once a few runs are in the journal.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (lines(test::slurp(d / "cut" / "runs.csv.partial")) < 2 + 3 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill(pid, SIGINT);
    int status = 0;
    waitpid(pid, &status, 0);
    const std::string err = test::slurp(d / "cut" / "stderr");
    if (WEXITSTATUS(status) == 130) {  // (unless the sweep had already finished)
      CHECK(err.find("coordsim: interrupted with ") == 0);
      CHECK(err.find("; they are kept in runs.csv.partial: run the same command with --resume "
                     "to finish the sweep\n") != std::string::npos);
      CHECK(!fs::exists(d / "cut" / "runs.csv"));
    } else {
      CHECK(WEXITSTATUS(status) == 0);
    }
    auto resumed = coordsim(d / "cut", args + " --resume");
    CHECK(resumed.code == 0);
    check_same(d / "whole", d / "cut", files);
  }

  SECTION("of a finished sweep: nothing is run again") {
    REQUIRE(coordsim(d / "cut", kSweep + out).code == 0);
    auto again = coordsim(d / "cut", kSweep + " --csv runs.csv --summary summary.csv --resume");
    CHECK(again.code == 0);
    CHECK(again.err.rfind("sweep: resuming, 36 of 36 runs already done\n", 0) == 0);
    check_same(d / "whole", d / "cut", files);
  }
  fs::remove_all(d);
}

TEST_CASE("Sweep CLI: --resume refuses the files of another sweep", "[app][sweep][cli][errors]") {
  const fs::path d = scratch("resume_errors");
  REQUIRE(coordsim(d, kSweep + " --csv runs.csv -q").code == 0);
  // The same file name, a different sweep (another seed).
  auto other = coordsim(d, kSweep + " --seed 9 --csv runs.csv -q --resume");
  CHECK(other.code == 2);
  const std::string id = nlohmann::json::parse(test::slurp(d / "runs.manifest.json"))["sweep_id"];
  CHECK(other.err.rfind("coordsim: runs.csv: written by a different sweep (its manifest "
                        "runs.manifest.json names sweep " + id + ", this command is sweep ",
                        0) == 0);
  // A journal of another sweep.
  std::ofstream(d / "runs.csv.partial") << "# coordsim sweep journal: sweep 0123456789abcdef, 36 runs\n";
  auto journal = coordsim(d, kSweep + " --csv runs.csv -q --resume");
  CHECK(journal.code == 2);
  CHECK(journal.err.rfind("coordsim: runs.csv.partial:1:1: this journal was left by a different "
                          "sweep (expected sweep ",
                          0) == 0);
  // Without its manifest a runs file cannot be trusted.
  fs::remove(d / "runs.csv.partial");
  fs::remove(d / "runs.manifest.json");
  auto orphan = coordsim(d, kSweep + " --csv runs.csv -q --resume");
  CHECK(orphan.code == 2);
  CHECK(orphan.err ==
        "coordsim: runs.csv: cannot tell which sweep wrote runs.csv to resume it: "
        "runs.manifest.json: cannot open the file (No such file or directory)\n");
  fs::remove_all(d);
}

TEST_CASE("Sweep CLI: shards merged are byte-identical to one machine's output",
          "[app][sweep][cli]") {
  const fs::path d = scratch("shards");
  fs::create_directories(d / "whole");
  fs::create_directories(d / "merged");
  REQUIRE(coordsim(d / "whole", kSweep + " --csv runs.csv --summary summary.csv -q").code == 0);
  for (int i = 1; i <= 4; ++i) {
    auto r = coordsim(d, kSweep + " -q --shard " + std::to_string(i) + "/4 --csv shard" +
                             std::to_string(i) + ".csv");
    REQUIRE(r.code == 0);
    // 36 runs round robin over 4 shards: 9 each.
    CHECK(r.out == "shard " + std::to_string(i) + "/4: 9 of the sweep's 36 runs written to shard" +
                       std::to_string(i) +
                       ".csv; combine the shards with coordsim merge\n");
  }
  const auto m = nlohmann::json::parse(test::slurp(d / "shard2.manifest.json"));
  CHECK(m["shard"] == nlohmann::json({{"index", 2}, {"count", 4}, {"runs", 9}}));

  // In any order.
  auto merged = coordsim(d, "merge shard3.csv shard1.csv shard4.csv shard2.csv --csv "
                            "merged/runs.csv --summary merged/summary.csv");
  CHECK(merged.code == 0);
  auto whole_out = test::slurp(d / "whole" / "stdout");
  CHECK(merged.out == whole_out);
  check_same(d / "whole", d / "merged", {"runs.csv", "summary.csv", "runs.manifest.json"});

  SECTION("every misuse gets its message") {
    auto missing = coordsim(d, "merge shard1.csv shard2.csv shard4.csv --csv x.csv");
    CHECK(missing.code == 2);
    CHECK(missing.err == "coordsim: merge: expected all 4 shards of the sweep; missing 3/4\n");
    auto twice = coordsim(d, "merge shard1.csv shard1.csv --csv x.csv");
    CHECK(twice.code == 2);
    CHECK(twice.err == "coordsim: shard1.csv: shard 1/4 is given twice\n");
    auto no_manifest = coordsim(d, "merge merged/summary.csv --csv x.csv");
    CHECK(no_manifest.code == 2);
    CHECK(no_manifest.err ==
          "coordsim: merged/summary.manifest.json: cannot read the manifest of "
          "merged/summary.csv (coordsim sweep --csv writes it beside the runs file)\n");
    // A shard of another sweep.
    REQUIRE(coordsim(d, kSweep + " -q --seed 8 --shard 3/4 --csv other3.csv").code == 0);
    auto foreign = coordsim(d, "merge shard1.csv other3.csv --csv x.csv");
    CHECK(foreign.code == 2);
    CHECK(foreign.err.rfind("coordsim: other3.csv: expected a shard of the same sweep as "
                            "shard1.csv (sweep ",
                            0) == 0);
    // A shard with a line that is not this sweep's.
    const std::string s3 = test::slurp(d / "shard3.csv");
    std::string edited = s3;
    const size_t at = edited.find(",orchestration,");
    REQUIRE(at != std::string::npos);
    edited.replace(at, 15, ",orchestrashun,");
    std::ofstream(d / "shard3.csv", std::ios::binary) << edited;
    auto wrong = coordsim(d, "merge shard1.csv shard2.csv shard3.csv shard4.csv --csv x.csv");
    CHECK(wrong.code == 2);
    CHECK(wrong.err ==
          "coordsim: shard3.csv:3:1: run 6: pattern is orchestrashun, expected orchestration: "
          "this line was edited or comes from a different sweep\n");
    std::ofstream(d / "shard3.csv", std::ios::binary) << s3;
    // A shard cut short.
    const std::string s2 = test::slurp(d / "shard2.csv");
    std::ofstream(d / "shard2.csv", std::ios::binary) << s2.substr(0, s2.rfind('\n', s2.size() - 2) + 1);
    auto cut = coordsim(d, "merge shard1.csv shard2.csv shard3.csv shard4.csv --csv x.csv");
    CHECK(cut.code == 2);
    CHECK(cut.err ==
          "coordsim: shard2.csv: expected the shard's 9 runs, found 8 (finish the shard with "
          "--resume)\n");
    CHECK(!fs::exists(d / "x.csv"));
    auto summary = coordsim(d, kSweep + " --shard 1/4 --csv s.csv --summary s.sum");
    CHECK(summary.code == 2);
    CHECK(summary.err ==
          "coordsim: --summary needs every run of the sweep: write it with `coordsim merge` "
          "once all shards are done\n");
    auto no_csv = coordsim(d, kSweep + " --shard 1/4");
    CHECK(no_csv.code == 2);
    CHECK(no_csv.err ==
          "coordsim: --shard needs --csv FILE: a shard's runs are merged later from that file\n");
    auto bad = coordsim(d, kSweep + " --shard 5/4 --csv s.csv");
    CHECK(bad.code == 2);
    CHECK(bad.err ==
          "coordsim: --shard 5/4: expected I/N with 1 <= I <= N, e.g. --shard 2/8 (the second "
          "of eight slices)\n");
    auto many = coordsim(d, kSweep + " --shard 1/99999999999 --csv s.csv");
    CHECK(many.code == 2);
    CHECK(many.err == "coordsim: --shard 1/99999999999: at most 1000000 shards, e.g. --shard 2/8\n");
    auto resume = coordsim(d, kSweep + " --resume");
    CHECK(resume.code == 2);
    CHECK(resume.err ==
          "coordsim: --resume needs --csv FILE: the finished runs are kept beside that file\n");
  }
  fs::remove_all(d);
}

TEST_CASE("Sweep CLI: a damaged manifest is reported with its place", "[app][sweep][errors]") {
  const fs::path d = scratch("manifest");
  std::ofstream(d / "a.manifest.json") << "{\n  \"coordsim_version\": \"0.1.0\",\n  oops\n}\n";
  auto r = app::read_manifest((d / "a.manifest.json").string());
  REQUIRE(!r.ok());
  CHECK(r.status().message() == (d / "a.manifest.json").string() +
                                    ":3:3: not a coordsim sweep manifest: expected JSON as "
                                    "written by coordsim sweep");
  std::ofstream(d / "b.manifest.json") << R"({"coordsim_version": "0.1.0", "scenario": {"name": 3}})";
  auto t = app::read_manifest((d / "b.manifest.json").string());
  REQUIRE(!t.ok());
  CHECK(t.status().message() == (d / "b.manifest.json").string() + ": /scenario/name: expected a string");
  fs::remove_all(d);
}

TEST_CASE("Progress: elapsed time and an estimate of the time left", "[app][sweep]") {
  CHECK(app::Progress::status(0, 40, 0, 0) == "0/40 runs (0%), 0.0 s elapsed");
  CHECK(app::Progress::status(10, 40, 0, 2.5) ==
        "10/40 runs (25%), 2.5 s elapsed, about 7.5 s left");
  // Resumed with 20 done: the estimate uses only this session's rate (10 runs in 5 s).
  CHECK(app::Progress::status(30, 40, 20, 5) ==
        "30/40 runs (75%), 5.0 s elapsed, about 5.0 s left");
  CHECK(app::Progress::status(40, 40, 0, 125) == "40/40 runs (100%), 2:05 min elapsed");
  CHECK(app::Progress::status(1, 1000, 0, 4000) ==
        "1/1000 runs (0%), 1:06:40 h elapsed, about 1110:00:00 h left");
}

TEST_CASE("Sweep CLI: a request mix writes a block of lines per run, and resume keeps whole blocks",
          "[app][sweep][cli]") {
  const fs::path d = scratch("mix");
  std::ofstream(d / "mix.yaml") << "name: mix\nseed: 3\nduration: 3s\nwarmup: 1s\n"
                                   "workload: {arrival: poisson, rate: 100/s}\n"
                                   "services:\n"
                                   "  web: {workers: 8, calls: blocking, ops: {serve: exp(1ms)}}\n"
                                   "  db:  {workers: 4, replicas: 2, ops: {read: exp(1ms), write: exp(2ms)}}\n"
                                   "workflows:\n"
                                   "  browse: {weight: 3, entry: web, steps: [{service: db, action: read}]}\n"
                                   "  buy:    {weight: 1, entry: web, steps: [{service: db, action: write}]}\n"
                                   "broker: {latency: 1ms}\n"
                                   "patterns: [orchestration, choreography]\n";
  const std::string sweep = "sweep mix.yaml --replications 2 --sweep workload.rate=50/s,100/s -q";
  fs::create_directories(d / "whole");
  fs::copy(d / "mix.yaml", d / "whole" / "mix.yaml");
  REQUIRE(coordsim(d / "whole", sweep + " --csv runs.csv --summary summary.csv").code == 0);
  const std::string runs = test::slurp(d / "whole" / "runs.csv");
  CHECK(lines(runs) == 1 + 8 * 3);  // 2 rates x 2 replications x 2 patterns, 3 lines each
  const auto manifest = nlohmann::json::parse(test::slurp(d / "whole" / "runs.manifest.json"));
  CHECK(manifest["request_types"] == nlohmann::json({"browse", "buy"}));

  // A journal cut after run 0's block and the first line of run 1's: resuming keeps run 0
  // and makes run 1 again.
  std::vector<std::string> text;
  {
    std::istringstream in(runs);
    for (std::string l; std::getline(in, l);) text.push_back(l + "\n");
  }
  fs::create_directories(d / "cut");
  fs::copy(d / "mix.yaml", d / "cut" / "mix.yaml");
  const std::string id = manifest["sweep_id"];
  std::ofstream(d / "cut" / "runs.csv.partial")
      << "# coordsim sweep journal: sweep " << id << ", 8 runs; finish it with --resume\n"
      << text[0] << text[1] << text[2] << text[3] << text[4];
  auto resumed = coordsim(d / "cut", sweep + " --csv runs.csv --summary summary.csv --resume");
  CHECK(resumed.code == 0);
  check_same(d / "whole", d / "cut", {"runs.csv", "summary.csv", "runs.manifest.json"});

  // A block broken in the middle of a file was edited.
  std::ofstream(d / "cut" / "runs.csv.partial")
      << "# coordsim sweep journal: sweep " << id << ", 8 runs; finish it with --resume\n"
      << text[0] << text[1] << text[2] << text[4] << text[5] << text[6];
  fs::remove(d / "cut" / "runs.csv");
  auto broken = coordsim(d / "cut", sweep + " --csv runs.csv --resume");
  CHECK(broken.code == 2);
  CHECK(broken.err ==
        "coordsim: runs.csv.partial:3:1: run 0 has 2 of its 3 lines (its totals, then one per "
        "request type) before run 1 starts: this file was edited\n");
  fs::remove_all(d);
}

TEST_CASE("Sweep CLI: an edited metric in a journal, a runs file or a shard is refused with its "
          "file and line",
          "[app][sweep][cli][errors]") {
  const fs::path d = scratch("checksums");
  REQUIRE(coordsim(d, kSweep + " --csv runs.csv -q").code == 0);
  const std::string runs = test::slurp(d / "runs.csv");
  const std::string id = nlohmann::json::parse(test::slurp(d / "runs.manifest.json"))["sweep_id"];
  // The first run line (line 2): edit what no identity check covers, its availability.
  const size_t l2 = runs.find('\n') + 1, l3 = runs.find('\n', l2) + 1;
  const std::string header = runs.substr(0, l2), line = runs.substr(l2, l3 - l2), rest = runs.substr(l3);
  auto fields = [](const std::string& text) {
    std::vector<std::string> f(1);
    for (char c : text) {
      if (c == ',') {
        f.emplace_back();
      } else if (c != '\n') {
        f.back() += c;
      }
    }
    return f;
  };
  const auto names = fields(header);
  const size_t k = static_cast<size_t>(std::find(names.begin(), names.end(), "availability") - names.begin());
  REQUIRE(k < names.size());
  auto with_field = [&](const std::string& value) {
    auto f = fields(line);
    f[k] = value;
    std::string out;
    for (size_t i = 0; i < f.size(); ++i) out += fmt::format("{}{}", i ? "," : "", f[i]);
    return fmt::format("{}\n", out);
  };
  std::string flipped = fields(line)[k];
  REQUIRE(!flipped.empty());
  flipped.back() = flipped.back() == '9' ? '8' : static_cast<char>(flipped.back() + 1);
  const std::string digit = with_field(flipped), nan = with_field("nan"), empty = with_field("");
  const std::string crlf = fmt::format("{}\r\n", line.substr(0, line.size() - 1));
  const char* kTail =
      ": its checksum does not match its content (the last field is the checksum of the rest "
      "of the line): this line was edited or comes from a different sweep\n";
  const std::pair<const char*, std::string> edits[] = {
      {"a flipped digit", digit}, {"a NaN", nan}, {"an empty field", empty}, {"a CRLF ending", crlf}};
  for (const auto& [what, edited] : edits) {
    INFO(what);
    // A finished runs file, resumed.
    std::ofstream(d / "runs.csv", std::ios::binary) << fmt::format("{}{}{}", header, edited, rest);
    auto r = coordsim(d, kSweep + " --csv runs.csv -q --resume");
    CHECK(r.code == 2);
    CHECK(r.err == fmt::format("coordsim: runs.csv:2:1: run 0{}", kTail));
    // A journal left by an interrupted sweep: its banner, the header, the edited line.
    fs::remove(d / "runs.csv");
    std::ofstream(d / "runs.csv.partial", std::ios::binary)
        << fmt::format("# coordsim sweep journal: sweep {}, 36 runs; finish it with --resume\n{}{}", id, header, edited);
    auto j = coordsim(d, kSweep + " --csv runs.csv -q --resume");
    CHECK(j.code == 2);
    CHECK(j.err == fmt::format("coordsim: runs.csv.partial:3:1: run 0{}", kTail));
    fs::remove(d / "runs.csv.partial");
  }
  fs::remove_all(d);
  // A shard: merge refuses the edited line.
  const fs::path m = scratch("checksum_shards");
  REQUIRE(coordsim(m, kSweep + " -q --shard 1/2 --csv s1.csv").code == 0);
  REQUIRE(coordsim(m, kSweep + " -q --shard 2/2 --csv s2.csv").code == 0);
  std::string s2 = test::slurp(m / "s2.csv");
  // The availability field of its first run line: after k commas.
  size_t p = s2.find('\n') + 1;
  for (size_t i = 0; i < k; ++i) p = s2.find(',', p) + 1;
  s2[p] = s2[p] == '9' ? '8' : static_cast<char>(s2[p] + 1);
  std::ofstream(m / "s2.csv", std::ios::binary) << s2;
  auto merged = coordsim(m, "merge s1.csv s2.csv --csv all.csv");
  CHECK(merged.code == 2);
  CHECK(merged.err == fmt::format("coordsim: s2.csv:2:1: run 1{}", kTail));
  fs::remove_all(m);
}

namespace {

// The replication-level half-width of completion_mean_ms at services.api.workers=W (the
// orchestration row of a summary), and its mean.
std::pair<double, double> half_and_mean(const std::string& summary, const std::string& workers) {
  std::istringstream in(summary);
  std::string line;
  std::getline(in, line);  // services.api.workers,pattern,request_type,metric,n,mean,sd,...
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    if (f[0] == workers && f[1] == "orchestration" && f[2] == "all" && f[3] == "completion_mean_ms") {
      return {app::t_half_width(std::stoul(f[4]), std::stod(f[6])), std::stod(f[5])};
    }
  }
  FAIL("no completion_mean_ms row for workers=" << workers);
  return {0, 0};
}

}  // namespace

TEST_CASE("Sweep: --precision stops at the first replication count that meets the target",
          "[app][sweep][precision]") {
  const fs::path d = scratch("precision");
  const std::string base = std::string("sweep '") + COORDSIM_SOURCE_DIR +
                           "/scenarios/single-service.yaml' --set duration=5s --set warmup=1s "
                           "--sweep services.api.workers=1,2 -q";
  auto one = coordsim(d, base + " --precision completion_mean_ms=0.1 --jobs 1 --csv p1.csv --summary s1.csv");
  auto two = coordsim(d, base + " --precision completion_mean_ms=0.1 --jobs 2 --csv p2.csv --summary s2.csv");
  REQUIRE(one.code == 0);
  REQUIRE(two.code == 0);
  CHECK(one.out.find("\nprecision (completion_mean_ms half-width <= 0.1 x mean): 10 replications per point\n"
                     "  services.api.workers=1: met with 10 replications\n"
                     "  services.api.workers=2: met with 4 replications\n") != std::string::npos);
  CHECK(test::slurp(d / "s1.csv") == test::slurp(d / "s2.csv"));
  CHECK(test::slurp(d / "p1.csv") == test::slurp(d / "p2.csv"));
  // The result is the sweep with --replications 10, byte for byte.
  auto ten = coordsim(d, base + " --replications 10 --csv r10.csv --summary s10.csv");
  REQUIRE(ten.code == 0);
  CHECK(test::slurp(d / "s10.csv") == test::slurp(d / "s1.csv"));
  CHECK(test::slurp(d / "r10.csv") == test::slurp(d / "p1.csv"));
  // 10 is the first count that meets it at workers=1: with 9 the half-width is above 10% of
  // the mean, with 10 it is not.
  auto nine = coordsim(d, base + " --replications 9 --summary s9.csv");
  REQUIRE(nine.code == 0);
  const auto [h9, m9] = half_and_mean(test::slurp(d / "s9.csv"), "1");
  const auto [h10, m10] = half_and_mean(test::slurp(d / "s10.csv"), "1");
  CHECK(h9 > 0.1 * m9);
  CHECK(h10 <= 0.1 * m10);

  auto bad = coordsim(d, base + " --precision completion_mean_ms");
  CHECK(bad.code == 2);
  CHECK(bad.err ==
        "coordsim: --precision completion_mean_ms: expected METRIC=REL or METRIC=REL:ABS, e.g. "
        "availability=0.001 or violated_per_txn=0.1:0.0005 (the 95% half-width at most REL times "
        "the mean, or ABS)\n");
  auto unknown = coordsim(d, base + " --precision completion_mean=0.1");
  CHECK(unknown.code == 2);
  CHECK(unknown.err ==
        "coordsim: --precision completion_mean=0.1: not a metric of the summary (did you mean "
        "\"completion_mean_ms\"?)\n");
  auto resume = coordsim(d, base + " --precision completion_mean_ms=0.1 --csv p1.csv --resume");
  CHECK(resume.code == 2);
  CHECK(resume.err ==
        "coordsim: --precision grows the sweep round by round in one process: it does not "
        "combine with --resume, --shard, MPI or --timeseries (run the replications it reports "
        "with --replications R for those)\n");
  // A rate that is 0 in every replication has no relative half-width to meet: two zeros
  // agree (Student-t half-width 0), but say nothing of how rare the event is; the table's
  // own interval for it, the pooled Wilson one, is not 0 wide. (It said "met with 2".)
  auto rare = coordsim(d, base + " --precision violated_per_txn=0.1 --max-replications 3");
  CHECK(rare.code == 0);
  CHECK(rare.out.find("\nprecision (violated_per_txn half-width <= 0.1 x mean): 3 replications per point "
                      "(--max-replications 3 reached)\n"
                      "  services.api.workers=1: not met with 3 (violated_per_txn has mean 0 here, where "
                      "only an absolute half-width can be met: give one, as in --precision "
                      "violated_per_txn=0.1:0.0005)\n") != std::string::npos);
  auto absolute = coordsim(d, base + " --precision violated_per_txn=0.1:0.001");
  CHECK(absolute.code == 0);
  CHECK(absolute.out.find("  services.api.workers=1: met with 2 replications\n") != std::string::npos);
  // --max-replications alone would be ignored: it is refused.
  auto alone = coordsim(d, base + " --max-replications 5");
  CHECK(alone.code == 2);
  CHECK(alone.err == "--max-replications requires --precision\nRun with --help for more information.\n");
  fs::remove_all(d);
}

TEST_CASE("Compare: a planted gap is significant, two identical patterns are not", "[app][sweep][compare]") {
  const fs::path d = scratch("compare");
  // Inventory never fails: the orchestrated saga never compensates and is orchestration,
  // message for message and microsecond for microsecond (identical patterns); 2PC sends its
  // prepare, vote, decision and acknowledgement instead of a call and its reply to each of
  // the three participants: 6 messages more per transaction in every replication (the
  // planted gap).
  auto sweep = coordsim(d, std::string("sweep '") + COORDSIM_SOURCE_DIR +
                               "/scenarios/crash-sweep.yaml' --set duration=10s --set \"patterns=[orchestration, "
                               "saga_orchestrated, two_phase_commit]\" --sweep services.inventory.mttf=1000h "
                               "--replications 3 -q --csv runs.csv");
  REQUIRE(sweep.code == 0);
  auto c = coordsim(d, "compare runs.csv --metric messages_per_txn --verdict verdict.csv");
  REQUIRE(c.code == 0);
  CHECK(c.out ==
        "\nverdict (paired differences over the replications, 95%):\n"
        "  services.inventory.mttf=1000h            messages_per_txn     best orchestration (equal to "
        "saga_orchestrated); better than two_phase_commit\n");
  CHECK(test::slurp(d / "verdict.csv") ==
        "services.inventory.mttf,metric,best,other,n,difference_mean,ci95_low,ci95_high,significant\n"
        "1000h,messages_per_txn,orchestration,saga_orchestrated,3,0,0,0,false\n"
        "1000h,messages_per_txn,orchestration,two_phase_commit,3,6,6,6,true\n");
  auto bad = coordsim(d, "compare runs.csv --metric messages_per_tx");
  CHECK(bad.code == 2);
  CHECK(bad.err == "coordsim: --metric messages_per_tx: not a metric of the summary (did you mean \"messages_per_txn\"?)\n");
  auto none = coordsim(d, "compare nothing.csv");
  CHECK(none.code == 2);
  CHECK(none.err ==
        "coordsim: nothing.manifest.json: cannot read the manifest of nothing.csv (coordsim sweep --csv "
        "writes it beside the runs file)\n");
  fs::remove_all(d);
}
