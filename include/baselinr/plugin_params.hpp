// Params: a hook plugin's `params:` from the configuration (a JSON object), with typed getters.
//
// Thread-safety: immutable after construction.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace baselinr::plugin {

// The hook's `params:` from the configuration, with typed getters.
class Params {
 public:
  explicit Params(std::string json);
  ~Params();
  Params(const Params&) = delete;
  Params& operator=(const Params&) = delete;

  const std::string& json() const { return json_; }
  bool has(std::string_view key) const;
  // Each getter returns `fallback` when the key is absent; throws baselinr::Error when the key
  // holds a value of another type.
  std::string get_string(std::string_view key, std::string fallback = {}) const;
  double get_number(std::string_view key, double fallback = 0) const;
  bool get_bool(std::string_view key, bool fallback = false) const;

 private:
  struct Impl;
  std::string json_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace baselinr::plugin
