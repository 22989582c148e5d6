// Golden outputs: every ready scenario in scenarios/, run under all its patterns, must
// produce exactly the CSV in tests/scenarios/golden/. A difference means coordsim's
// behavior changed: read the diff, and if the change is intended, re-bless with
// scripts/bless-golden (never by editing the files by hand).
#include <catch2/catch.hpp>

#include "../test_util.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/report.hpp"
#include "app/runner.hpp"
#include "app/scenario.hpp"

namespace fs = std::filesystem;

namespace {
using test::slurp;

// The first line where the golden text and the current one differ, for a readable failure.
std::string first_difference(const std::string& golden, const std::string& now) {
  const std::string& a = golden;
  const std::string& b = now;
  std::istringstream sa(a), sb(b);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool ea = !std::getline(sa, la), eb = !std::getline(sb, lb);
    if (ea && eb) return "no difference";
    if (ea || eb || la != lb) {
      return "line " + std::to_string(line) + ":\n  golden: " + (ea ? "<end>" : la) +
             "\n  now:    " + (eb ? "<end>" : lb);
    }
  }
}
}  // namespace

TEST_CASE("Golden: every ready scenario reproduces its recorded CSV", "[scenarios][golden]") {
  const fs::path root = COORDSIM_SOURCE_DIR;
  size_t checked = 0;
  for (const auto& e : fs::directory_iterator(root / "scenarios")) {
    if (e.path().extension() != ".yaml") continue;
    const std::string name = e.path().stem().string();
    INFO(name);
    auto s = app::load_scenario_file(e.path().string());
    REQUIRE(s.ok());
    auto results = app::run_scenario(s.value(), {});
    REQUIRE(results.ok());
    std::string csv = app::csv_header();
    for (const auto& r : results.value()) {
      for (const std::string& row : app::csv_rows(s.value(), r)) csv += row;
    }
    const fs::path golden = root / "tests/scenarios/golden" / (name + ".csv");
    REQUIRE(fs::exists(golden));
    const std::string expected = slurp(golden);
    INFO("differs from " << golden.string() << " at " << first_difference(expected, csv)
                         << "\n(if intended: scripts/bless-golden, after reading the diff)");
    CHECK(csv == expected);
    ++checked;
  }
  CHECK(checked >= 5);
}
