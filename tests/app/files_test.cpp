// app/files: reading with reasons and bounds, writing atomically.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

#include "app/files.hpp"

namespace fs = std::filesystem;

TEST_CASE("Files: an atomic write removes the temporary files of writers killed before",
          "[app][files]") {
  const fs::path dir = fs::temp_directory_path() / fmt::format("coordsim_files_{}", getpid());
  fs::create_directories(dir);
  const std::string out = (dir / "runs.csv").string();
  // A writer killed by SIGKILL during its write left its temporary file; pid 999999999 is
  // above any Linux pid, so no such process runs. A live writer's (ours, and pid 1's) stays.
  const std::string stray = out + ".tmp.999999999";
  const std::string live = out + ".tmp.1";
  const std::string other = (dir / "other.csv.tmp.999999999").string();
  for (const std::string& f : {stray, live, other}) std::ofstream(f) << "half";
  REQUIRE(app::write_file_atomic(out, "a,b\n1,2\n").ok());
  CHECK(!fs::exists(stray));
  CHECK(fs::exists(live));
  CHECK(fs::exists(other));  // another file's temporaries are its own business
  auto text = app::read_file(out);
  REQUIRE(text.ok());
  CHECK(text.value() == "a,b\n1,2\n");
  // A read bounded below the file's size is refused, naming the file.
  auto small = app::read_file(out, 4);
  REQUIRE(!small.ok());
  CHECK(small.status().message() == out + ": the file is larger than 4 bytes");
  fs::remove_all(dir);
}

TEST_CASE("Files: a file written as its text comes appears whole on commit, or not at all",
          "[app][files]") {
  const fs::path dir = fs::temp_directory_path() / fmt::format("coordsim_atomic_{}", getpid());
  fs::create_directories(dir);
  const std::string out = (dir / "series.csv").string();
  const std::string tmp = fmt::format("{}.tmp.{}", out, getpid());
  std::ofstream(out) << "old\n";
  {
    app::AtomicFile f(out);
    f.out() << "a,b\n";
    CHECK(fs::exists(tmp));  // written beside it...
    auto before = app::read_file(out);
    REQUIRE(before.ok());
    CHECK(before.value() == "old\n");  // ...while the old file stays whole
    f.out() << "1,2\n";
    REQUIRE(f.commit().ok());
    CHECK(!f.commit().ok());  // once
  }
  CHECK(!fs::exists(tmp));
  auto text = app::read_file(out);
  REQUIRE(text.ok());
  CHECK(text.value() == "a,b\n1,2\n");
  {
    app::AtomicFile f(out);  // given up (an error, an interruption): nothing changes
    f.out() << "half";
  }
  CHECK(!fs::exists(tmp));
  CHECK(app::read_file(out).value() == "a,b\n1,2\n");
  // A file in a directory that does not exist: the reason, at commit.
  app::AtomicFile missing((dir / "no" / "x.csv").string());
  missing.out() << "x";
  const sim::Status st = missing.commit();
  REQUIRE(!st.ok());
  CHECK(st.message() == (dir / "no" / "x.csv").string() + ": cannot write the file (No such file or directory)");
  fs::remove_all(dir);
}

TEST_CASE("Files: a path that is not a regular file is written in place, never renamed over",
          "[app][files]") {
  const fs::path dir = fs::temp_directory_path() / fmt::format("coordsim_inplace_{}", getpid());
  fs::create_directories(dir);
  // A link to a file: the file gets the text, the link stays a link.
  const fs::path target = dir / "runs.csv";
  const fs::path link = dir / "latest.csv";
  std::ofstream(target) << "old, and longer than the new text\n";
  fs::create_symlink(target, link);
  CHECK(app::written_in_place(link.string()));
  CHECK(!app::written_in_place(target.string()));
  REQUIRE(app::write_file_atomic(link.string(), "a,b\n").ok());
  CHECK(fs::is_symlink(link));
  CHECK(app::read_file(target.string()).value() == "a,b\n");
  // A link to a file not there yet is checked where the file will be: a link into a
  // directory that exists is writable (and the write makes its file); a link into none, or a
  // loop of links, is refused by check_writable, before a run, with its reason. (Before, only
  // the link's own directory was looked at, so the run went to its end and then failed.)
  fs::create_directories(dir / "sub");
  const fs::path ahead = dir / "ahead.csv";
  fs::create_symlink("sub/new.csv", ahead);
  CHECK(app::check_writable(ahead.string()).ok());
  REQUIRE(app::write_file_atomic(ahead.string(), "n\n").ok());
  CHECK(app::read_file((dir / "sub" / "new.csv").string()).value() == "n\n");
  const fs::path dangling = dir / "dangling.csv";
  fs::create_symlink("nowhere/x.csv", dangling);
  CHECK(app::check_writable(dangling.string()).message() ==
        dangling.string() + ": cannot write the file (it is a link to " + (dir / "nowhere/x.csv").string() +
            ", and there is no directory " + (dir / "nowhere").string() + ")");
  fs::create_symlink("loop2.csv", dir / "loop1.csv");
  fs::create_symlink("loop1.csv", dir / "loop2.csv");
  CHECK(app::check_writable((dir / "loop1.csv").string()).message() ==
        (dir / "loop1.csv").string() + ": cannot write the file (Too many levels of symbolic links)");
  // A pipe: what its reader gets is the text, and it is still a pipe.
  const fs::path fifo = dir / "pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string got;
  std::thread reader([&] { got = app::read_file(fifo.string()).value(); });
  REQUIRE(app::write_file_atomic(fifo.string(), "x,y\n1,2\n").ok());
  reader.join();
  CHECK(got == "x,y\n1,2\n");
  CHECK(fs::is_fifo(fifo));
  for (const auto& e : fs::directory_iterator(dir)) CHECK(e.path().filename().string().find(".tmp.") == std::string::npos);
  // A device that refuses the bytes: its reason, and the device is left as it was.
  REQUIRE(fs::is_character_file("/dev/full"));
  {
    const sim::Status st = app::write_file_atomic("/dev/full", std::string(100000, 'x'));
    REQUIRE(!st.ok());
    CHECK(st.message() == "/dev/full: cannot write the file (No space left on device)");
    CHECK(fs::is_character_file("/dev/full"));
    CHECK(app::check_writable("/dev/full").ok());
  }
  fs::remove_all(dir);
}
