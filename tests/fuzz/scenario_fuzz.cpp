// libFuzzer target for the scenario loader: any bytes must give either a configuration or
// one error message; never a crash, a hang, a leak or undefined behavior. A configuration
// the loader accepts must also build a World (the loader and the models agree on what is
// valid: the models' SIM_ASSERTs must not fire). And the parse that cuts a large text into
// pieces (app/yaml_tree.cpp), forced here onto every input, gives the one parse's tree or
// its error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "app/scenario.hpp"
#include "app/traffic.hpp"
#include "app/yaml_tree.hpp"
#include "models/world.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (!app::yaml::split_difference(text).empty()) __builtin_trap();
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
