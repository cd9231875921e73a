// Headless Chromium for tests of the HTML report, with networking off: Chromium runs in a fresh
// network namespace when the process may make one (as root), and in every case behind a proxy
// on a closed loopback port with loopback not exempt, so no request can leave the machine. A
// fresh profile directory per run. Chromium logs every load it starts (--v=1), so a test can
// tell what the page asked for.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace baselinr::testing {

struct PageLoad {
  int exit_code = -1;
  std::string dom;                            // the DOM after load (--dump-dom)
  std::vector<std::string> file_loads;        // file: URLs loaded, the page itself included
  std::vector<std::string> network_requests;  // other URLs requested (Chromium's own update,
                                              // time and account services left out)
  std::vector<std::string> console;           // console messages (e.g. blocked loads)
  std::string log;                            // everything Chromium printed on stderr
};

// Loads the page and dumps its DOM. The test FAILS (never skips) when chromium is missing.
PageLoad load_page(const std::filesystem::path& html);

// A screenshot of the page's first `width` x `height` pixels into `png`. Returns the exit code.
int screenshot(const std::filesystem::path& html, const std::filesystem::path& png, int width,
               int height);

struct ImageStats {
  int width = 0;
  int height = 0;
  std::size_t distinct_colors = 0;
  double non_background = 0;  // fraction of pixels unlike the top-left one
};
// Decodes a PNG (libpng); width 0 when it cannot.
ImageStats image_stats(const std::filesystem::path& png);

}  // namespace baselinr::testing
