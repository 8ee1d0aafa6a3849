#pragma once
// Error handling for the whole project: a Status is ok or carries one human-readable message
// that names what failed, with context added at every layer ("mount /mnt/pydio-data: ...").
// Expected<T> is a value or a Status. Neither throws.

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace pydio::common {

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message)); }

  bool is_ok() const { return !message_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  // REQUIRES: !is_ok().
  const std::string& message() const { return *message_; }
  // Returns a copy whose message is prefixed with "context: ". Ok stays ok.
  Status with_context(const std::string& context) const {
    if (is_ok()) return *this;
    return Status(context + ": " + *message_);
  }

 private:
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::optional<std::string> message_;
};

template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Expected(Status status) : value_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const { return std::holds_alternative<T>(value_); }
  explicit operator bool() const { return has_value(); }
  // REQUIRES: has_value().
  T& value() { return std::get<T>(value_); }
  const T& value() const { return std::get<T>(value_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // Ok when a value is held, the error otherwise.
  Status status() const { return has_value() ? Status::ok() : std::get<Status>(value_); }

 private:
  std::variant<T, Status> value_;
};

}  // namespace pydio::common
