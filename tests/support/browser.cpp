#include "support/browser.hpp"

#include <png.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <sstream>

#include "common/text.hpp"
#include "support/testing.hpp"

namespace baselinr::testing {
namespace {

std::string find_chromium() {
  const char* path = std::getenv("PATH");
  for (const auto& dir : split(path ? path : "/usr/bin", ':')) {
    for (const char* name : {"chromium", "chromium-browser"}) {
      auto candidate = std::filesystem::path(dir) / name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  return "";
}

// Whether this process may create a network namespace (unshare(1) as root, usually).
bool can_unshare_network() {
  static const bool ok = [] {
    if (access("/usr/bin/unshare", X_OK) != 0) return false;
    return run_program("/usr/bin/unshare", {"--net", "/bin/true"}).exit_code == 0;
  }();
  return ok;
}

CliResult run_chromium(const std::vector<std::string>& extra, const std::filesystem::path& html) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) return {.exit_code = 127, .err = "chromium not found in PATH"};
  TempDir profile;
  std::vector<std::string> args = {
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run",
      "--user-data-dir=" + profile.path().string(),
      // Networking off: every request goes to a proxy nobody listens on (port 9, discard),
      // loopback included.
      "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
      "--enable-logging=stderr", "--v=1"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("file://" + std::filesystem::absolute(html).string());
  if (can_unshare_network()) {
    args.insert(args.begin(), {"--net", chromium});
    return run_program("/usr/bin/unshare", args);
  }
  return run_program(chromium, args);
}

// The URL after `marker` on each line of the log that has it.
std::vector<std::string> logged_urls(const std::string& log, const std::string& marker) {
  std::vector<std::string> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    auto at = line.find(marker);
    if (at == std::string::npos) continue;
    out.push_back(line.substr(at + marker.size()));
  }
  return out;
}

bool chromium_service(const std::string& url) {
  // Chromium's own background requests (component updates, network time, accounts), which it
  // makes whatever page it shows; they go nowhere here (networking is off).
  for (const char* host : {"://clients2.google.com/", "://update.googleapis.com/",
                           "://accounts.google.com/", "://safebrowsing.googleapis.com/",
                           "://optimizationguide-pa.googleapis.com/", "://www.google.com/"}) {
    if (url.find(host) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

PageLoad load_page(const std::filesystem::path& html) {
  CliResult r = run_chromium({"--dump-dom"}, html);
  PageLoad page;
  page.exit_code = r.exit_code;
  page.dom = r.out;
  page.log = r.err;
  page.file_loads = logged_urls(r.err, "FileURLLoader::Start: ");
  for (auto& url : logged_urls(r.err, "NotifyBeforeURLRequest: ")) {
    if (!chromium_service(url)) page.network_requests.push_back(url);
  }
  page.console = logged_urls(r.err, ":CONSOLE");
  return page;
}

int screenshot(const std::filesystem::path& html, const std::filesystem::path& png, int width,
               int height) {
  return run_chromium({"--screenshot=" + std::filesystem::absolute(png).string(),
                       "--window-size=" + std::to_string(width) + "," + std::to_string(height),
                       "--hide-scrollbars"},
                      html)
      .exit_code;
}

ImageStats image_stats(const std::filesystem::path& png) {
  ImageStats stats;
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, png.c_str())) return stats;
  image.format = PNG_FORMAT_RGB;
  std::vector<unsigned char> pixels(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr)) {
    png_image_free(&image);
    return stats;
  }
  stats.width = static_cast<int>(image.width);
  stats.height = static_cast<int>(image.height);
  std::set<std::uint32_t> colors;
  std::size_t differ = 0;
  const std::size_t n = static_cast<std::size_t>(stats.width) * stats.height;
  auto at = [&](std::size_t i) {
    return (std::uint32_t{pixels[3 * i]} << 16) | (std::uint32_t{pixels[3 * i + 1]} << 8) |
           pixels[3 * i + 2];
  };
  for (std::size_t i = 0; i < n; ++i) {
    colors.insert(at(i));
    if (at(i) != at(0)) ++differ;
  }
  stats.distinct_colors = colors.size();
  stats.non_background = n ? static_cast<double>(differ) / static_cast<double>(n) : 0;
  return stats;
}

}  // namespace baselinr::testing
