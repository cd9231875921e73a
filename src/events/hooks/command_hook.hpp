// type: command: runs a program once per event with the event JSON on its standard input, so
// hooks can be written in any language. No shell is involved: `command` is the argv.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "events/hooks/destination.hpp"

namespace baselinr::hooks {

class CommandHook final : public Destination {
 public:
  // The child's environment is PATH, HOME, LANG, LC_ALL, TZ and TMPDIR from ours (when set),
  // plus `env`, plus BASELINR_EVENT_TYPE and BASELINR_EVENT_ID: never anything else, so
  // secrets in our environment stay ours.
  CommandHook(std::vector<std::string> argv, std::map<std::string, std::string> env,
              double timeout_seconds);
  // Runs the program once per event. Exit status 0 is a delivery, as soon as the program exits
  // (a background process it leaves behind is not waited for). Throws DeliveryError when the
  // program cannot be started (for good), exits non-zero, is killed by a signal, or outlives the
  // deadline (it and its process group are then killed).
  void deliver(const std::vector<Event>& events, const Deadline& deadline) override;

 private:
  void run_one(const Event& event, const Deadline& deadline);

  std::vector<std::string> argv_;
  std::map<std::string, std::string> env_;
};

}  // namespace baselinr::hooks
