#include "app/sweep_files.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "app/report.hpp"

namespace app {
namespace {

using Json = nlohmann::ordered_json;

// The first line of a journal: it names the sweep, so a journal of another sweep is refused.
std::string journal_banner(const SweepShape& shape) {
  return fmt::format("# coordsim sweep journal: sweep {}, {} runs; finish it with --resume\n",
                     shape.id(), shape.run_count());
}

// A JSON reader that says where a manifest is wrong: "FILE: /points/2/patterns: expected a
// list of strings".
struct Reader {
  const std::string& file;
  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw std::runtime_error(fmt::format("{}: {}: expected {}", file, where, what));
  }
  const Json& field(const Json& j, const std::string& where, const char* key) const {
    if (!j.is_object() || !j.contains(key)) fail(where + "/" + key, "a field here");
    return j.at(key);
  }
  std::string str(const Json& j, const std::string& where, const char* key) const {
    const Json& v = field(j, where, key);
    if (!v.is_string()) fail(where + "/" + key, "a string");
    return v.get<std::string>();
  }
  uint64_t count(const Json& j, const std::string& where, const char* key) const {
    const Json& v = field(j, where, key);
    if (!v.is_number_unsigned()) fail(where + "/" + key, "a whole number");
    return v.get<uint64_t>();
  }
  std::vector<std::string> strings(const Json& j, const std::string& where, const char* key) const {
    const Json& v = field(j, where, key);
    std::vector<std::string> out;
    if (!v.is_array()) fail(where + "/" + key, "a list of strings");
    for (const Json& e : v) {
      if (!e.is_string()) fail(where + "/" + key, "a list of strings");
      out.push_back(e.get<std::string>());
    }
    return out;
  }
};

}  // namespace

std::string default_manifest_path(const std::string& runs_csv) {
  const std::string suffix = ".csv";
  std::string stem = runs_csv;
  if (stem.size() > suffix.size() && stem.compare(stem.size() - suffix.size(), suffix.size(), suffix) == 0) {
    stem.resize(stem.size() - suffix.size());
  }
  return stem + ".manifest.json";
}

std::string journal_path(const std::string& runs_csv) { return runs_csv + ".partial"; }

std::string sweep_manifest(const SweepShape& shape, const Shard& shard, const ManifestFiles& files) {
  Json j;
  j["coordsim_version"] = shape.version;
  j["sweep_id"] = shape.id();
  j["scenario"] = {{"name", shape.scenario_name},
                   {"file", shape.scenario_file},
                   {"hash", shape.scenario_hash},
                   {"seed", shape.seed}};
  j["overrides"] = shape.overrides;
  Json axes = Json::array();
  for (const SweepAxis& a : shape.axes) axes.push_back({{"path", a.path}, {"values", a.values}});
  j["axes"] = axes;
  j["replications"] = shape.replications;
  Json points = Json::array();
  for (const SweepPoint& p : shape.points) {
    Json values = Json::object();
    for (const Override& o : p.values) values[o.path] = o.value;
    points.push_back({{"values", values}, {"patterns", p.patterns}});
  }
  j["points"] = points;
  j["request_types"] = shape.request_types;
  j["services"] = shape.services;
  j["runs"] = shape.run_count();
  if (!shard.whole()) {
    size_t held = 0;
    for (size_t i = 0; i < shape.run_count(); ++i) held += shard.holds(i) ? 1u : 0u;
    j["shard"] = {{"index", shard.index}, {"count", shard.count}, {"runs", held}};
  }
  j["files"] = {{"runs", files.runs}, {"summary", files.summary}, {"differences", files.differences}};
  return j.dump(2) + "\n";
}

sim::Result<Manifest> read_manifest(const std::string& path) {
  auto text = read_file(path);
  if (!text.ok()) return text.status();
  Json j;
  try {
    j = Json::parse(text.value());
  } catch (const Json::parse_error& e) {
    // nlohmann reports a byte offset; turn it into a line and column.
    size_t line = 1, col = 1;
    for (size_t i = 0; i + 1 < e.byte && i < text.value().size(); ++i) {
      if (text.value()[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return sim::Status::invalid(fmt::format(
        "{}:{}:{}: not a coordsim sweep manifest: expected JSON as written by coordsim sweep",
        path, line, col));
  }
  const Reader rd{path};
  Manifest m;
  try {
    SweepShape& s = m.shape;
    s.version = rd.str(j, "", "coordsim_version");
    const Json& sc = rd.field(j, "", "scenario");
    s.scenario_name = rd.str(sc, "/scenario", "name");
    s.scenario_file = rd.str(sc, "/scenario", "file");
    s.scenario_hash = rd.str(sc, "/scenario", "hash");
    s.seed = rd.count(sc, "/scenario", "seed");
    s.overrides = rd.strings(j, "", "overrides");
    const Json& axes = rd.field(j, "", "axes");
    if (!axes.is_array()) rd.fail("/axes", "a list of axes");
    for (size_t i = 0; i < axes.size(); ++i) {
      const std::string where = fmt::format("/axes/{}", i);
      s.axes.push_back({rd.str(axes[i], where, "path"), rd.strings(axes[i], where, "values")});
    }
    const uint64_t reps = rd.count(j, "", "replications");
    if (reps < 1 || reps > 1000000) rd.fail("/replications", "a count from 1 to 1000000");
    s.replications = static_cast<uint32_t>(reps);
    const Json& points = rd.field(j, "", "points");
    if (!points.is_array()) rd.fail("/points", "a list of grid points");
    for (size_t i = 0; i < points.size(); ++i) {
      const std::string where = fmt::format("/points/{}", i);
      const Json& values = rd.field(points[i], where, "values");
      if (!values.is_object()) rd.fail(where + "/values", "an object of axis values");
      SweepPoint p;
      for (const auto& [k, v] : values.items()) {
        if (!v.is_string()) rd.fail(where + "/values/" + k, "a string");
        p.values.push_back({k, v.get<std::string>()});
      }
      p.patterns = rd.strings(points[i], where, "patterns");
      s.points.push_back(std::move(p));
    }
    if (j.contains("request_types")) s.request_types = rd.strings(j, "", "request_types");
    if (j.contains("services")) s.services = rd.strings(j, "", "services");
    if (rd.str(j, "", "sweep_id") != s.id()) {
      rd.fail("/sweep_id", fmt::format("{} (the id of the sweep this manifest describes); the "
                                       "file was edited",
                                       s.id()));
    }
    if (rd.count(j, "", "runs") != s.run_count()) {
      rd.fail("/runs", fmt::format("{} (points x replications x patterns)", s.run_count()));
    }
    if (j.contains("shard")) {
      const uint64_t i = rd.count(j["shard"], "/shard", "index");
      const uint64_t n = rd.count(j["shard"], "/shard", "count");
      if (n < 1 || i < 1 || i > n || n > 1000000) rd.fail("/shard", "1 <= index <= count");
      m.shard = {static_cast<uint32_t>(i), static_cast<uint32_t>(n)};
    }
    const Json& files = rd.field(j, "", "files");
    m.files = {rd.str(files, "/files", "runs"), rd.str(files, "/files", "summary"),
               files.contains("differences") ? rd.str(files, "/files", "differences") : ""};
  } catch (const std::runtime_error& e) {
    return sim::Status::invalid(e.what());
  }
  return m;
}

sim::Status check_run_line(const SweepShape& shape, const std::vector<SweepShape::Run>& runs,
                           size_t index, size_t k, const std::string& line) {
  if (index >= runs.size()) {
    return sim::Status::invalid(fmt::format("run {}: the sweep has only {} runs", index, runs.size()));
  }
  const auto f = csv_fields(line);
  const std::vector<std::string>& cols = csv_columns();
  const size_t axes = shape.axes.size();
  const std::vector<size_t> axis_at = shape.axis_columns();
  const size_t lead = axis_at.back();
  const size_t width = lead + cols.size() + shape.services.size() * service_figures().size() + 1;
  if (f.size() != width) {
    return sim::Status::invalid(fmt::format("run {}: expected {} fields, found {}", index, width, f.size()));
  }
  const SweepShape::Run& run = runs[index];
  const SweepPoint& point = shape.points[run.point];
  auto col = [&](const char* name) -> const std::string& {
    const size_t at = static_cast<size_t>(std::find(cols.begin(), cols.end(), name) - cols.begin());
    return f[lead + at];
  };
  for (size_t a = 0; a < axes; ++a) {
    const std::string& got = f[axis_at[a]];
    if (got != point.values[a].value) {
      return sim::Status::invalid(fmt::format("run {}: {} is {}, expected {}", index,
                                              shape.axes[a].path, got, point.values[a].value));
    }
  }
  const std::string rep = std::to_string(run.replication);
  const std::pair<const char*, const std::string*> expected[] = {
      {"pattern", &point.patterns[run.pattern]},
      {"request_type", &shape.request_type_of_line(k)},
      {"replication", &rep},
      {"scenario_hash", &shape.scenario_hash},
      {"coordsim_version", &shape.version}};
  for (const auto& [name, want] : expected) {
    if (col(name) != *want) {
      return sim::Status::invalid(
          fmt::format("run {}: {} is {}, expected {}", index, name, col(name), *want));
    }
  }
  // Then its checksum: any other edit of its content (a digit, a NaN, an empty field, a
  // CRLF ending) is refused.
  const size_t end = line.size() - (line.empty() || line.back() != '\n' ? 0 : 1);
  const size_t comma = line.rfind(',', end == 0 ? 0 : end - 1);
  if (comma == std::string::npos ||
      line.compare(comma + 1, end - comma - 1, run_line_checksum(line.substr(0, comma))) != 0) {
    return sim::Status::invalid(fmt::format(
        "run {}: its checksum does not match its content (the last field is the checksum of "
        "the rest of the line)",
        index));
  }
  return sim::Status();
}

namespace {

// The complete lines after the first `skip` lines of `text`, each checked as a run of the
// sweep; `what` names the file in messages.
sim::Result<std::vector<std::pair<size_t, std::string>>> run_lines(const std::string& path,
                                                                    const std::string& text,
                                                                    size_t skip,
                                                                    const SweepShape& shape,
                                                                    const Shard& shard) {
  const auto runs = shape.runs();
  const size_t per_run = shape.lines_per_run();
  std::vector<std::pair<size_t, std::string>> out;
  std::vector<bool> seen(runs.size());
  // The block being read: its run, its lines so far and the line number it started on.
  size_t block_run = 0, block_size = 0, block_line = 0;
  std::string block;
  auto close_block = [&] {
    if (block_size == 0) return;
    if (shard.holds(block_run) && !seen[block_run]) {
      seen[block_run] = true;
      out.emplace_back(block_run, std::move(block));
    }
    block.clear();
    block_size = 0;
  };
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // a line cut short by the interruption
    std::string line = text.substr(pos, nl + 1 - pos);
    pos = nl + 1;
    if (++line_no <= skip) continue;
    const auto index = run_index_of(line);
    if (!index) {
      return sim::Status::invalid(
          fmt::format("{}:{}:1: expected a run line (its run number first)", path, line_no));
    }
    if (block_size > 0 && *index != block_run) {
      return sim::Status::invalid(fmt::format(
          "{}:{}:1: run {} has {} of its {} lines (its totals, then one per request type) "
          "before run {} starts: this file was edited",
          path, block_line, block_run, block_size, per_run, *index));
    }
    if (auto st = check_run_line(shape, runs, *index, block_size, line); !st.ok()) {
      return sim::Status::invalid(fmt::format(
          "{}:{}:1: {}: this line was edited or comes from a different sweep",
          path, line_no, st.message()));
    }
    if (block_size == 0) block_line = line_no;
    block_run = *index;
    block += line;
    if (++block_size == per_run) close_block();
  }
  // A block cut short by an interruption is not kept: that run is made again.
  return out;
}

}  // namespace

sim::Result<std::vector<std::pair<size_t, std::string>>> read_journal(const std::string& path,
                                                                       const SweepShape& shape,
                                                                       const Shard& shard) {
  if (!file_exists(path)) return std::vector<std::pair<size_t, std::string>>{};
  auto text = read_file(path);
  if (!text.ok()) return text.status();
  const std::string banner = journal_banner(shape);
  const std::string header = sweep_runs_header(shape);
  if (text.value().compare(0, banner.size(), banner) != 0 ||
      text.value().compare(banner.size(), header.size(), header) != 0) {
    return sim::Status::invalid(fmt::format(
        "{}:1:1: this journal was left by a different sweep (expected sweep {}); delete it to "
        "start afresh, or run the command that wrote it",
        path, shape.id()));
  }
  return run_lines(path, text.value(), 2, shape, shard);
}

sim::Result<std::vector<std::pair<size_t, std::string>>> read_runs_file(const std::string& path,
                                                                         const SweepShape& shape,
                                                                         const Shard& shard) {
  if (!file_exists(path)) return std::vector<std::pair<size_t, std::string>>{};
  auto text = read_file(path);
  if (!text.ok()) return text.status();
  const std::string header = sweep_runs_header(shape);
  if (text.value().compare(0, header.size(), header) != 0) {
    return sim::Status::invalid(fmt::format(
        "{}:1:1: expected the runs file of this sweep (its header: run, the axes {}, then the "
        "run columns)",
        path, shape.axes.empty() ? std::string("(none)") : [&] {
          std::string s;
          for (const SweepAxis& a : shape.axes) s += (s.empty() ? "" : ", ") + a.path;
          return s;
        }()));
  }
  return run_lines(path, text.value(), 1, shape, shard);
}

sim::Result<std::unique_ptr<Journal>> Journal::start(
    const std::string& path, const SweepShape& shape,
    const std::vector<std::pair<size_t, std::string>>& kept) {
  std::string text = journal_banner(shape) + sweep_runs_header(shape);
  for (const auto& [i, line] : kept) text += line;
  if (auto st = write_file_atomic(path, text); !st.ok()) return st;
  std::FILE* f = std::fopen(path.c_str(), "ab");
  if (!f) {
    return sim::Status::invalid(fmt::format("{}: cannot write the file ({})", path, std::strerror(errno)));
  }
  return std::unique_ptr<Journal>(new Journal(path, f));
}

Journal::~Journal() {
  if (f_) std::fclose(f_);
}

sim::Status Journal::append(const std::string& line) {
  if (!f_ || std::fwrite(line.data(), 1, line.size(), f_) != line.size() || std::fflush(f_) != 0) {
    return sim::Status::invalid(fmt::format("{}: cannot write the file ({})", path_, std::strerror(errno)));
  }
  return sim::Status();
}

void Journal::remove() {
  if (f_) std::fclose(f_);
  f_ = nullptr;
  std::remove(path_.c_str());
}

}  // namespace app
