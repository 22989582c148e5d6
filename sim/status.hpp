// sim::Status and sim::Result<T>: errors as values, for everything a user can get wrong
// (scenario files, command-line overrides, distribution strings). Modeled on leveldb's
// Status; std::expected would do but is C++23.
//
// A Status carries a message that is already fit to print, e.g.
//   scenarios/x.yaml:12:5: services.payment.mttf: expected a duration like "30s", found "fast"
// The place is added by whoever knows it (the YAML loader knows file, line and column; the
// duration parser knows only the column inside the string).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "sim/assert.hpp"

namespace sim {

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  static Status ok_status() { return Status(); }
  static Status invalid(std::string message) { return Status(std::move(message)); }
  // An error found while parsing a piece of text, `offset` characters into it, so that a
  // caller who knows where the text came from (a YAML scalar at line L, column C) can point
  // at the exact character.
  static Status invalid_at(size_t offset, std::string message) {
    Status s(std::move(message));
    s.offset_ = offset;
    return s;
  }

  bool ok() const { return !message_.has_value(); }
  // REQUIRES: !ok()
  const std::string& message() const {
    SIM_ASSERT(message_.has_value(), "message() of an OK status");
    return *message_;
  }
  std::string to_string() const { return ok() ? std::string("OK") : *message_; }
  // Where in the parsed text the error is, when known (see invalid_at).
  std::optional<size_t> offset() const { return offset_; }

 private:
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::optional<std::string> message_;
  std::optional<size_t> offset_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status error) : v_(std::move(error)) {  // NOLINT: implicit by design
    SIM_ASSERT(!std::get<Status>(v_).ok(), "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& {
    SIM_ASSERT(ok(), "value() of a failed Result");
    return std::get<T>(v_);
  }
  T& value() & {
    SIM_ASSERT(ok(), "value() of a failed Result");
    return std::get<T>(v_);
  }
  T&& value() && {
    SIM_ASSERT(ok(), "value() of a failed Result");
    return std::get<T>(std::move(v_));
  }
  const Status& status() const {
    SIM_ASSERT(!ok(), "status() of a successful Result");
    return std::get<Status>(v_);
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace sim
