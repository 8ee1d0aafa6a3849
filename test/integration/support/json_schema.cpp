#include "json_schema.hpp"

#include <atomic>
#include <fstream>

#include "common/runner.hpp"

namespace pydio::test {

std::string schema_problems(const nlohmann::json& document, const std::string& schema,
                            const std::string& run_dir) {
  static std::atomic<int> serial{0};
  const std::string path = run_dir + "/schema-check-" + std::to_string(++serial) + ".json";
  std::ofstream(path) << document.dump(2);
  common::SystemRunner runner;
  const auto result = runner.run(
      common::Command({"python3", "-W", "ignore::DeprecationWarning", "-m", "jsonschema", "-i",
                       path, std::string(PYDIO_SOURCE_DIR) + "/docs/schema/" + schema},
                      std::chrono::seconds(60)));
  if (result.succeeded()) return "";
  return path + ": " + result.err + result.out + " (exit " + std::to_string(result.exit_code) + ")";
}

}  // namespace pydio::test
