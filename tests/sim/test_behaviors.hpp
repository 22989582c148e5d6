// Small behaviors shared by the kernel tests.
#pragma once

#include <vector>

#include "sim/node.hpp"

namespace test {

// A node configuration with just a name (one worker, no operations).
inline sim::NodeConfig named(std::string name) {
  sim::NodeConfig c;
  c.name = std::move(name);
  return c;
}

// Serves every arriving message with op 0, then answers the sender with the same txn.
struct EchoServer final : sim::Behavior {
  std::vector<sim::Message> pending;  // volatile: forgotten on crash
  bool crashed_seen = false, recovered_seen = false;
  void on_message(sim::Node& self, const sim::Message& m) override {
    pending.push_back(m);
    self.submit(0, pending.size() - 1);
  }
  void on_job_done(sim::Node& self, const sim::Job& job, uint32_t) override {
    sim::Message reply = pending[job.token];
    reply.dst = reply.src;
    self.send(reply);
  }
  void on_crash(sim::Node&) override {
    pending.clear();
    crashed_seen = true;
  }
  void on_recover(sim::Node&) override { recovered_seen = true; }
};

// Records what it receives, with the arrival time.
struct Sink final : sim::Behavior {
  std::vector<std::pair<sim::Time, sim::Message>> got;
  void on_message(sim::Node& self, const sim::Message& m) override { got.emplace_back(self.now(), m); }
};

}  // namespace test
