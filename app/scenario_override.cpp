// --set and --sweep: a field path and a YAML value, applied to the file's tree before it is
// read (scenario.hpp, scenario_internal.hpp).

#include <fmt/format.h>

#include <algorithm>

#include "app/scenario_fields.hpp"
#include "app/scenario_internal.hpp"
#include "app/yaml_reader.hpp"
#include "sim/suggest.hpp"

namespace app {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : path) {
    if (ch == '.') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  out.push_back(cur);
  return out;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// Where a path stands in the field table: in a group's fields, among the entries of a list
// or named mapping (of `group`, or plain values when it is ""), at one field's value, or
// inside a value of a form of its own (partition groups, the sweep) where the table says
// nothing.
struct Place {
  enum Kind { kGroup, kEntries, kValue, kFree } kind = kGroup;
  std::string_view group;
  const Field* field = nullptr;
};

Place enter(const Place& at, const std::string& seg) {
  switch (at.kind) {
    case Place::kGroup: {
      const Field* f = find_field(at.group, seg);
      if (f == nullptr) return {Place::kFree, {}, nullptr};
      if (f->type == FieldType::kList || f->type == FieldType::kNamedMap) return {Place::kEntries, f->sub, f};
      if (!f->sub.empty()) return {Place::kGroup, f->sub, f};
      return {f->type == FieldType::kAny ? Place::kFree : Place::kValue, {}, f};
    }
    case Place::kEntries:
      if (!at.group.empty()) return {Place::kGroup, at.group, nullptr};
      return {Place::kValue, {}, at.field};
    default: return {Place::kFree, {}, nullptr};
  }
}

}  // namespace

// A missing map on the way is made (an absent section, or a service's absent `keys`) when the
// field table has it; list indexes must exist.
void apply_override(yaml::Node root, const Override& o, const std::string& label) {
  const auto segs = split_path(o.path);
  yaml::Node cur = root;
  std::string walked;
  auto fail = [&](const std::string& what) {
    throw LoadError(fmt::format("{}: {}", label, what));
  };
  // The value as YAML. A bare value with ": " in it (pareto(shape: 2, scale: 1ms)) reads as a
  // mapping gone wrong: the message says to quote it.
  auto parsed_value = [&] {
    try {
      return yaml::load(o.value);
    } catch (const YAML::Exception& e) {
      const bool bare = !o.value.empty() && std::string_view("{['\"").find(o.value.front()) == std::string_view::npos;
      fail(fmt::format("the value is not valid YAML: {}{}", e.msg,
                       bare && o.value.find(": ") != std::string::npos
                           ? fmt::format(" (a value with \": \" in it must be quoted: --set \"{}{}'{}'\")",
                                         o.path, o.append ? "+=" : "=", o.value)
                           : ""));
      return yaml::Node();
    }
  };
  Place place;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& seg = segs[i];
    if (seg.empty()) fail(fmt::format("empty field name in \"{}\"", o.path));
    const bool last = i + 1 == segs.size();
    yaml::Node next;
    if (cur.IsMap()) {
      if (!last && !cur[seg].IsDefined()) {
        // A section the file leaves at its defaults (retry, two_phase_commit, ...) is made
        // here, empty, when the table has it; the loader then checks its keys like the
        // file's own (the last key of a path is left to it).
        bool list = false;  // the table's field is a list: made empty, so an index is refused
        if (place.kind == Place::kGroup) {
          const std::vector<std::string> keys = field_keys(place.group);
          if (find_field(place.group, seg) == nullptr) {
            const auto near = sim::closest_match(seg, keys);
            if (near) {
              fail(fmt::format("no field \"{}\" in {} (did you mean \"{}\"?)", seg,
                               walked.empty() ? "the scenario" : walked, *near));
            }
            if (i == 0) {
              fail(fmt::format("no section \"{}\" in a scenario; the sections are {}", seg,
                               sim::join_all(keys)));
            }
            fail(fmt::format("no field \"{}\" in {}; its fields are {}", seg, walked, sim::join_all(keys)));
          }
          const Place to = enter(place, seg);
          if (to.kind == Place::kValue) {
            fail(fmt::format("{} is a {}, so it has no field \"{}\"", join(walked, seg), type_name(*to.field),
                             segs[i + 1]));
          }
          list = to.field != nullptr && to.field->type == FieldType::kList;
        } else if (place.kind == Place::kEntries) {
          // A new entry (a service, an operation) may be made; a misspelling of one the file
          // has is caught here, with the suggestion.
          std::vector<std::string> keys;
          for (const auto& kv : cur) keys.push_back(kv.first.Scalar());
          if (const auto near = sim::closest_match(seg, keys)) {
            fail(fmt::format("no field \"{}\" in {} (did you mean \"{}\"?)", seg, walked, *near));
          }
        }
        cur.set(seg, list ? yaml::Node::sequence() : yaml::Node::map());
      }
      if (last) {
        const yaml::Node v = parsed_value();
        if (!o.append) {
          cur.set(seg, v);
          return;
        }
        // PATH+=VALUE: the list at PATH (made if absent) gets VALUE at its end.
        yaml::Node list = cur[seg];
        if (!list.IsDefined() || list.IsNull()) {
          list = cur.set(seg, yaml::Node::sequence());
        }
        if (!list.IsSequence()) {
          fail(fmt::format("{} is not a list, so nothing can be appended to it (use = to replace it)",
                           join(walked, seg)));
        }
        list.push_back(v);
        return;
      }
      next = cur[seg];
      place = enter(place, seg);
    } else if (cur.IsSequence() && !all_digits(seg) && !last) {
      // A step by its name (`name: pay`), or by SERVICE.ACTION (two segments), found in the
      // list or in one of its parallel groups: a path that survives an inserted step.
      yaml::Node found;
      bool two = false;
      auto is = [](const yaml::Node& item, const char* key, const std::string& value) {
        const yaml::Node v = item[key];
        return v.IsDefined() && v.IsScalar() && v.Scalar() == value;
      };
      auto match = [&](const yaml::Node& item) {
        if (!item.IsMap()) return false;
        if (is(item, "name", seg)) return true;
        if (i + 2 < segs.size() && is(item, "service", seg) && is(item, "action", segs[i + 1])) {
          two = true;
          return true;
        }
        return false;
      };
      size_t hits = 0;
      for (const yaml::Node& item : cur) {
        if (match(item)) {
          found.reset(item);
          ++hits;
        } else if (item.IsMap() && item["parallel"].IsDefined() && item["parallel"].IsSequence()) {
          for (const yaml::Node& inner : item["parallel"]) {
            if (match(inner)) {
              found.reset(inner);
              ++hits;
            }
          }
        }
      }
      if (hits == 0) {
        fail(fmt::format("{} has no step named \"{}\" (nor a step {}.ACTION); give its index, "
                         "its name: or SERVICE.ACTION",
                         walked, seg, seg));
      }
      if (hits > 1) {
        fail(fmt::format("{} has {} steps that \"{}\" names; give the step a name: of its own", walked,
                         hits, two ? seg + "." + segs[i + 1] : seg));
      }
      next = found;
      place = enter(place, seg);
      if (two) {
        walked = join(walked, seg);
        ++i;
      }
      cur.reset(next);
      walked = join(walked, segs[i]);
      continue;
    } else if (cur.IsSequence()) {
      // (An index of more digits than any list has entries is out of range, not a number to
      // convert.)
      if (!all_digits(seg) || seg.size() > 9 || std::stoul(seg) >= cur.size()) {
        if (cur.size() == 0) {
          fail(fmt::format("{} is an empty list, so it has no entry \"{}\" (add one with {}+=VALUE)", walked,
                           seg, walked));
        }
        fail(fmt::format("{} is a list of {} {}; expected an index from 0 to {}, found \"{}\"", walked,
                         cur.size(), cur.size() == 1 ? "entry" : "entries", cur.size() - 1, seg));
      }
      const size_t idx = std::stoul(seg);
      if (last) {
        cur.set(idx, parsed_value());
        return;
      }
      next = cur[idx];
      place = enter(place, seg);

    } else if (!cur.IsDefined() || cur.IsNull()) {
      fail(fmt::format("{} is not set, so it has no field \"{}\"", walked, seg));
    } else {
      fail(fmt::format("{} is a single value, so it has no field \"{}\"", walked, seg));
    }
    cur.reset(next);
    walked = join(walked, seg);
  }
}

sim::Result<Override> parse_override(const std::string& arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0) {
    return sim::Status::invalid(fmt::format(
        "--set {}: expected FIELD.PATH=VALUE, e.g. --set services.payment.mttf=5min", arg));
  }
  if (arg[eq - 1] == '+') {
    if (eq == 1) {
      return sim::Status::invalid(fmt::format(
          "--set {}: expected FIELD.PATH+=VALUE, e.g. --set \"faults+={{at: 10s, crash: payment, for: 5s}}\"", arg));
    }
    Override o{arg.substr(0, eq - 1), arg.substr(eq + 1)};
    o.append = true;
    return o;
  }
  return Override{arg.substr(0, eq), arg.substr(eq + 1)};
}

}  // namespace app
