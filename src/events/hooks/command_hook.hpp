// type: command: runs a program once per event with the event JSON on its standard input, so
// hooks can be written in any language. No shell is involved: `command` is the argv.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "baselinr/hook.hpp"

namespace baselinr::hooks {

class CommandHook final : public Hook {
 public:
  // The child's environment is PATH, HOME, LANG, LC_ALL, TZ and TMPDIR from ours (when set),
  // plus `env`, plus BASELINR_EVENT_TYPE and BASELINR_EVENT_ID: never anything else, so
  // secrets in our environment stay ours.
  CommandHook(std::vector<std::string> argv, std::map<std::string, std::string> env,
              double timeout_seconds);
  // Throws HookError when the program cannot be started, exits non-zero, is killed by a
  // signal, or outlives the timeout (it and its process group are then killed).
  void handle_event(const Event& event) override;

 private:
  std::vector<std::string> argv_;
  std::map<std::string, std::string> env_;
  double timeout_seconds_;
};

}  // namespace baselinr::hooks
