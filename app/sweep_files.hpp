// The files of a sweep beyond its CSVs: the JSON manifest, the journal that makes a sweep
// resumable, and the reading back of runs files (for --resume and `coordsim merge`).
//
// The manifest describes the sweep (its shape, docs/output.md) and names its files; a shard's
// manifest also says which slice it holds. It holds nothing that depends on where, when or
// how fast the sweep ran, so a merged sweep's manifest is byte-identical to a single run's.
//
// The journal, RUNS.partial beside the runs file, receives each run's lines as soon as the
// run finishes (flushed, in completion order), under a first line naming the sweep's id.
// The final files are written from it atomically and the journal is then removed; --resume
// keeps the complete lines of a journal (or of a finished runs file) left by the same sweep.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "app/sweep.hpp"
#include "sim/status.hpp"

namespace app {

// The manifest written beside a runs file: RUNS.csv -> RUNS.manifest.json.
std::string default_manifest_path(const std::string& runs_csv);
std::string journal_path(const std::string& runs_csv);

struct ManifestFiles {
  std::string runs;     // base names, as the sweep wrote them ("" if not written)
  std::string summary;
  std::string differences = {};
};
std::string sweep_manifest(const SweepShape& shape, const Shard& shard, const ManifestFiles& files);

struct Manifest {
  SweepShape shape;
  Shard shard;
  ManifestFiles files;
};
sim::Result<Manifest> read_manifest(const std::string& path);

// Checks that `line` is the k-th line of run `index` of the sweep: its fields are complete
// and its axis values, pattern, request type, replication, scenario hash and version are the
// ones the shape says.
sim::Status check_run_line(const SweepShape& shape, const std::vector<SweepShape::Run>& runs,
                           size_t index, size_t k, const std::string& line);

// The complete, checked run lines of a journal or of a runs file written by this sweep,
// restricted to `shard`. A missing file gives no lines; a file of another sweep is an error.
sim::Result<std::vector<std::pair<size_t, std::string>>> read_journal(const std::string& path,
                                                                       const SweepShape& shape,
                                                                       const Shard& shard);
sim::Result<std::vector<std::pair<size_t, std::string>>> read_runs_file(const std::string& path,
                                                                         const SweepShape& shape,
                                                                         const Shard& shard);

// Appends run lines to a journal, flushing each.
class Journal {
 public:
  // Starts the journal afresh with `kept` lines (atomically), then opens it for appending.
  static sim::Result<std::unique_ptr<Journal>> start(
      const std::string& path, const SweepShape& shape,
      const std::vector<std::pair<size_t, std::string>>& kept);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  sim::Status append(const std::string& line);
  // Closes and deletes the journal (once the final files are written).
  void remove();

 private:
  Journal(std::string path, std::FILE* f) : path_(std::move(path)), f_(f) {}
  std::string path_;
  std::FILE* f_ = nullptr;
};

}  // namespace app
