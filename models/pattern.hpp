// models::Pattern: one coordination pattern, and the description of it that everything
// else reads.
//
// A Pattern's install() puts the pattern's behaviors on the World's nodes (every service,
// and the broker if its transport uses one); the behaviors own the per-transaction state
// and report facts to the World's ledger.
//
// A PatternInfo says what a pattern is, in one place: its name, its one-line summary (the
// help text and docs/patterns.md), its factory, the transports it runs over, and the
// properties the loader and the tests rely on. Every pattern defines its own PatternInfo in
// its .cpp; models/registry.cpp lists them, one line each. Adding a pattern is its file
// pair and that line.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sim/message.hpp"

namespace models {

class World;

// How a pattern's messages travel between the coordinator (or each service) and the
// services of the steps: a synchronous call, or an asynchronous message through the
// broker's queues.
enum class Transport : uint8_t { kRpc = 0, kBroker = 1 };
const char* transport_name(Transport t);

class Pattern {
 public:
  virtual ~Pattern() = default;
  virtual void install(World& w) = 0;
};

struct PatternInfo {
  const char* name;     // as written in scenarios and printed in outputs
  const char* summary;  // one line: `coordsim --help` and the section of docs/patterns.md
  std::unique_ptr<Pattern> (*make)(Transport);
  uint32_t transports;  // bit (1 << Transport) for every transport it runs over
  Transport default_transport;
  // Compensates: the workflow must follow the saga order (compensatable steps, then at
  // most one pivot, then retriable steps; docs/scenarios.md).
  bool saga;
  // Promises atomicity: never ends a transaction violated once every node has recovered
  // and the run has drained (the property test checks it).
  bool atomic;
  // May leave a transaction blocked (a participant in doubt) while a node is down.
  bool may_block;
  // Its entry keeps durable state of the transactions it has open and finishes them after a
  // crash (a log): a client's retry then waits for that, instead of starting the
  // transaction again when the replica that had it crashed.
  bool durable_entry;
  // The names of its own message types (100 and up), for traces and explanations; nullptr
  // for a type it does not define.
  const char* (*message_name)(uint32_t type) = nullptr;
  // Runs a step on the entry's own node (co-location: the entry service is also a step's).
  bool colocates = false;

  bool supports(Transport t) const { return (transports >> static_cast<unsigned>(t)) & 1u; }
};

// One pattern over one transport: one row of every output.
struct PatternChoice {
  const PatternInfo* info = nullptr;
  Transport transport = Transport::kRpc;

  // "orchestration"; "orchestration/broker" when the transport is not the default; "" for
  // no pattern.
  std::string label() const;
  bool operator==(const PatternChoice& o) const {
    return info == o.info && transport == o.transport;
  }
};

// The pattern over its default transport.
inline PatternChoice default_choice(const PatternInfo& p) { return {&p, p.default_transport}; }

// A message's name for people: "Commit", "Enqueue(Call)" (through the broker), or
// "message 107" for a type nobody named.
std::string message_text(const PatternInfo& p, const sim::Message& m);

}  // namespace models
