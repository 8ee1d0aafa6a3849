#include "test/integration/support/headless_chromium.hpp"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>

namespace pydio::test {

common::RunResult HeadlessChromium::run(const std::vector<std::string>& args) {
  char dir_template[] = "/tmp/pydio-chromium-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;
  common::Command command(
      {"nsenter", "--net=" + tunnel_.netns_path(), "--", "chromium", "--headless", "--no-sandbox",
       "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
       "--disable-sync", "--disable-background-networking", "--disable-component-update",
       "--user-data-dir=" + dir + "/profile"},
      std::chrono::seconds(90));  // on timeout the runner kills its process group
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  // Whatever Chromium writes outside its profile (NSS database, caches) stays in `dir` too.
  command.extra_env = {
      {"HOME", dir}, {"XDG_CONFIG_HOME", dir + "/config"}, {"XDG_CACHE_HOME", dir + "/cache"}};
  common::RunResult result = runner_.run(command);
  if (const int left = tunnel_.kill_processes_inside(); left > 0)
    UNSCOPED_INFO("chromium left " << left << " processes behind (killed)");
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return result;
}

std::string HeadlessChromium::dump_dom(const std::string& url) {
  common::RunResult result = run({"--dump-dom", url});
  if (!result.succeeded()) {
    UNSCOPED_INFO("chromium --dump-dom " << url << ": " << result.describe_failure({"chromium"}));
    return "";
  }
  return result.out;
}

bool HeadlessChromium::screenshot(const std::string& url, const std::string& png_path, int width,
                                  int height) {
  std::error_code ignored;
  std::filesystem::remove(png_path, ignored);
  common::RunResult result =
      run({"--hide-scrollbars", "--screenshot=" + png_path,
           "--window-size=" + std::to_string(width) + "," + std::to_string(height), url});
  if (!result.succeeded())
    UNSCOPED_INFO("chromium --screenshot " << url << ": " << result.describe_failure({"chromium"}));
  return result.succeeded() && std::filesystem::exists(png_path);
}

}  // namespace pydio::test
