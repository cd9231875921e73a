#include "events/hooks/command_hook.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "common/log.hpp"
#include "common/subprocess.hpp"

namespace baselinr::hooks {
namespace {

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  auto nl = t.rfind('\n');
  std::string line = nl == std::string::npos ? t : t.substr(nl + 1);
  if (line.size() > 300) line = line.substr(0, 300) + "...";
  return line;
}

}  // namespace

CommandHook::CommandHook(std::vector<std::string> argv, std::map<std::string, std::string> env,
                         double timeout_seconds)
    : Destination(timeout_seconds), argv_(std::move(argv)), env_(std::move(env)) {}

void CommandHook::deliver(const std::vector<Event>& events, const Deadline& deadline) {
  for (const auto& e : events) run_one(e, deadline);
}

void CommandHook::run_one(const Event& event, const Deadline& deadline) {
  const std::string& program = argv_.at(0);
  std::map<std::string, std::string> env;
  for (const char* name : {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"}) {
    if (const char* v = std::getenv(name)) env[name] = v;
  }
  if (!env.count("PATH")) env["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& [k, v] : env_) env[k] = v;
  env["BASELINR_EVENT_TYPE"] = std::string(event.event_type());
  env["BASELINR_EVENT_ID"] = event.event_id();

  Subprocess::Options options;
  options.argv = argv_;
  options.environment = std::move(env);
  options.stdin_pipe = true;
  std::optional<Subprocess> child;
  try {
    child.emplace(options);
  } catch (const Error& e) {
    // A program that cannot be started will not start on a retry either.
    throw DeliveryError(fmt::format("command hook: {}", e.what()), true);
  }
  // The deadline can move earlier while the program runs (the command's delivery budget).
  const Subprocess::Result r = child->communicate(event.to_json(), deadline.when(),
                                                  [&deadline] { return deadline.passed(); });
  if (r.timed_out) {
    throw DeliveryError(fmt::format("command hook '{}' timed out after {}s and was killed", program,
                                    timeout_seconds()),
                        false);
  }
  if (!r.out.empty()) log().debug("command hook '{}' output: {}", program, last_line(r.out));
  if (!r.exited) {
    throw DeliveryError(fmt::format("command hook '{}' was killed by signal {}", program, r.signal),
                        false);
  }
  if (r.exit_code != 0) {
    std::string why = last_line(r.err);
    throw DeliveryError(fmt::format("command hook '{}' exited with status {}{}", program,
                                    r.exit_code, why.empty() ? "" : ": " + why),
                        false);
  }
}

}  // namespace baselinr::hooks
