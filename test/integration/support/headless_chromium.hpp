#pragma once
// Debian's Chromium, headless, as an operator's browser at the other end of an ssh tunnel: run
// inside a LoopbackTunnel's network namespace (only `lo`: it reaches the tunnel and nothing
// else), with a profile, HOME and caches in a temporary directory removed after each run, and
// killed by PID (its process group, then whatever is left in the namespace) when it hangs.

#include <string>
#include <vector>

#include "common/runner.hpp"
#include "test/integration/support/loopback_tunnel.hpp"

namespace pydio::test {

class HeadlessChromium {
 public:
  explicit HeadlessChromium(LoopbackTunnel& tunnel) : tunnel_(tunnel) {}

  // The page's DOM once it loaded (--dump-dom); "" when Chromium failed (INFO says why).
  std::string dump_dom(const std::string& url);
  // A PNG of the page at width x height (--screenshot); true when Chromium wrote it.
  bool screenshot(const std::string& url, const std::string& png_path, int width, int height);

 private:
  common::RunResult run(const std::vector<std::string>& args);

  LoopbackTunnel& tunnel_;
  common::SystemRunner runner_;
};

}  // namespace pydio::test
