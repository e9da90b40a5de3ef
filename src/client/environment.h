// Where the AWS credential chain reads environment variables from. The chain takes an
// Environment instead of calling getenv(), so tests can give it exactly the variables they mean
// and the process environment is never changed under other threads.
//
// ProcessEnvironment reads the real environment (getenv; do not call setenv concurrently);
// MapEnvironment is an owned table. Both are safe to read from several threads.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace iamdb::client {

class Environment {
 public:
  virtual ~Environment() = default;
  // The variable's value, or nullopt when it is not set. An empty value is a value.
  virtual std::optional<std::string> get(std::string_view name) const = 0;
  // The value, or nullopt when unset or empty (how botocore treats most of its variables).
  std::optional<std::string> non_empty(std::string_view name) const {
    auto value = get(name);
    if (value && value->empty()) return std::nullopt;
    return value;
  }
};

class ProcessEnvironment final : public Environment {
 public:
  std::optional<std::string> get(std::string_view name) const override;
};

class MapEnvironment final : public Environment {
 public:
  MapEnvironment() = default;
  MapEnvironment(std::initializer_list<std::pair<const std::string, std::string>> vars)
      : vars_(vars) {}
  void set(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }
  void unset(std::string_view name) {
    if (auto it = vars_.find(name); it != vars_.end()) vars_.erase(it);
  }
  std::optional<std::string> get(std::string_view name) const override {
    const auto it = vars_.find(name);
    if (it == vars_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

}  // namespace iamdb::client
