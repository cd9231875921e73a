// type: custom: a hook implemented in a shared library through the C ABI of baselinr/plugin.h.
#pragma once

#include <memory>
#include <string>

#include "baselinr/config.hpp"
#include "baselinr/hook.hpp"

struct baselinr_plugin;

namespace baselinr::hooks {

class PluginLibrary;

class PluginHook final : public Hook {
 public:
  // Loads `module` (an explicit path; a bare name is taken relative to the working directory,
  // never searched for) and creates `class_name` with `params_json`. Throws ConfigError, naming
  // `location`, when the file cannot be loaded, is not a baselinr plugin, speaks another ABI
  // version, or the plugin refuses to create the hook.
  PluginHook(const std::string& module, const std::string& class_name,
             const std::string& params_json, const SourceLocation& location);
  ~PluginHook() override;
  // Throws HookError with the plugin's message when it reports a failure.
  void handle_event(const Event& event) override;

 private:
  std::shared_ptr<PluginLibrary> library_;  // outlives instance_
  void* instance_ = nullptr;
  std::string label_;
};

}  // namespace baselinr::hooks
