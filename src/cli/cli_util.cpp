#include "cli/cli_util.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace baselinr::cli {

Config load(const std::string& path) { return load_config(path); }

void report_hook_failures(const EventBus& bus) {
  for (std::size_t i = 0; i < bus.hook_count(); ++i) {
    HookStats s = bus.stats(i);
    if (s.failed == 0) continue;
    fmt::print(stderr, "baselinr: hook {} failed {} of {} deliveries; last error: {}\n",
               bus.hook_name(i), s.failed, s.failed + s.delivered, s.last_error);
  }
}

std::string text_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> w(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) w[i] = header[i].size();
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i + 1 == cells.size()) {
        out += cells[i];
      } else {
        out += fmt::format("{:<{}}  ", cells[i], w[i]);
      }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& r : rows) out += line(r);
  return out;
}

bool stderr_is_terminal() { return isatty(fileno(stderr)) != 0; }

}  // namespace baselinr::cli
