// models::Pattern: one coordination pattern. install() puts the pattern's behaviors on the
// World's nodes (every service, and the broker if it uses one); the behaviors own the
// per-transaction state and report facts to the World's ledger. The name-to-factory table
// is app/patterns.cpp.
#pragma once

namespace models {

class World;

class Pattern {
 public:
  virtual ~Pattern() = default;
  virtual void install(World& w) = 0;
};

}  // namespace models
