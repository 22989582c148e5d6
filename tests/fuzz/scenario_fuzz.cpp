// libFuzzer target for the scenario loader: any bytes must give either a configuration or
// one error message; never a crash, a hang, a leak or undefined behavior. A configuration
// the loader accepts must also build a World (the loader and the models agree on what is
// valid: the models' SIM_ASSERTs must not fire).
#include <cstddef>
#include <cstdint>
#include <string>

#include "app/scenario.hpp"
#include "app/traffic.hpp"
#include "models/world.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto r = app::load_scenario_text(text, "fuzz.yaml");
  if (!r.ok()) {
    if (r.status().message().empty()) __builtin_trap();  // an error must say something
    return 0;
  }
  (void)app::estimate_load(r.value().config);
  models::World world(r.value().config, 0);
  (void)world;
  return 0;
}
