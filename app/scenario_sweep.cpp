// The `sweep` block: its axes, and the check that every value of every axis makes a valid
// scenario (scenario_internal.hpp).

#include <fmt/format.h>

#include "app/scenario_internal.hpp"
#include "app/yaml_reader.hpp"

namespace app {

SweepSpec read_sweep(const Ctx& ctx, const yaml::Node& n) {
  SweepSpec s;
  if (!n.IsMap()) {
    ctx.fail(n, "sweep",
             fmt::format("expected a mapping of field paths to lists of values, e.g. "
                         "services.payment.mttf: [1h, 10min], found {}",
                         describe(n)));
  }
  for (const auto& [k, v] : unique_entries(ctx, n, "sweep")) {
    const std::string key = k.Scalar();
    if (key == "replications") {
      s.replications = static_cast<uint32_t>(read_count(ctx, v, "sweep.replications", 1, 1000000));
      continue;
    }
    const yaml::Node seq = expect_sequence(ctx, v, join("sweep", key), "[1h, 10min, 1min]");
    if (seq.size() == 0) ctx.fail(v, join("sweep", key), "the list of values is empty");
    SweepAxis axis{key, {}};
    for (size_t i = 0; i < seq.size(); ++i) {
      axis.values.push_back(yaml::dump_flow(seq[i]));
    }
    if (const auto twice = axis.repeated_value()) {
      const auto [j, i] = *twice;
      ctx.fail(seq[i], join("sweep", key),
               fmt::format("the value {} is listed twice (entries {} and {}): the grid would run "
                           "the same point twice",
                           axis.values[i], j, i));
    }
    s.axes.push_back(std::move(axis));
  }
  return s;
}

void check_sweep_axes(const Ctx& ctx, const yaml::Node& root, const SweepSpec& sweep,
                      const std::string& text, const std::vector<Override>& overrides) {
  for (const SweepAxis& axis : sweep.axes) {
    for (const std::string& v : axis.values) {
      // Loaded again, not cloned, so that every node keeps its place in the file.
      yaml::Node copy = yaml::load(text);
      for (const Override& o : overrides) apply_override(copy, o, o.where());
      const Override o{axis.path, v};
      const std::string label = fmt::format("sweep {}={}", axis.path, v);
      try {
        apply_override(copy, o, label);
        std::vector<Override> all = overrides;
        all.push_back(o);
        Ctx inner(ctx.file(), text, all);
        std::vector<std::string> ignored;
        (void)read_config(inner, copy, ignored);
      } catch (const LoadError& e) {
        std::string msg = e.what();
        const std::string prefix = fmt::format("--set {}={}", axis.path, v);
        if (msg.rfind(prefix, 0) == 0) {
          msg = label + msg.substr(prefix.size());  // the value itself is wrong
        } else if (msg.rfind(label, 0) != 0) {
          msg = fmt::format("with {}, {}", label, msg);  // it makes something else wrong
        }
        const yaml::Node at = root["sweep"][axis.path];
        throw LoadError(fmt::format("{}: {}", ctx.where(at.Mark(), "sweep"), msg));
      }
    }
  }
}

}  // namespace app
