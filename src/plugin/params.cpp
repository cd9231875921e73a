#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "baselinr/error.hpp"
#include "baselinr/plugin_params.hpp"

namespace baselinr::plugin {

struct Params::Impl {
  nlohmann::json json;
};

Params::Params(std::string json) : json_(std::move(json)), impl_(std::make_unique<Impl>()) {
  impl_->json = nlohmann::json::parse(json_, nullptr, false);
  if (impl_->json.is_discarded() || !impl_->json.is_object()) {
    throw Error("plugin params: not a JSON object");
  }
}

Params::~Params() = default;

bool Params::has(std::string_view key) const { return impl_->json.contains(key); }

std::string Params::get_string(std::string_view key, std::string fallback) const {
  auto it = impl_->json.find(key);
  if (it == impl_->json.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw Error(fmt::format("params.{}: expected text", key));
  return it->get<std::string>();
}

double Params::get_number(std::string_view key, double fallback) const {
  auto it = impl_->json.find(key);
  if (it == impl_->json.end() || it->is_null()) return fallback;
  if (!it->is_number()) throw Error(fmt::format("params.{}: expected a number", key));
  return it->get<double>();
}

bool Params::get_bool(std::string_view key, bool fallback) const {
  auto it = impl_->json.find(key);
  if (it == impl_->json.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw Error(fmt::format("params.{}: expected true or false", key));
  return it->get<bool>();
}

}  // namespace baselinr::plugin
