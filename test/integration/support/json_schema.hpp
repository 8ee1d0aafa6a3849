#pragma once
// Checks a JSON document from a real node against a schema of docs/schema/ with python3's
// jsonschema (Debian's python3-jsonschema), on the host: the documented schemas stay true to
// what the agent really answers.

#include <nlohmann/json.hpp>
#include <string>

namespace pydio::test {

// The problems `python3 -m jsonschema` reports for `document` against docs/schema/<schema>
// (e.g. "status.schema.json"); "" when it validates. The document is written into `run_dir`.
std::string schema_problems(const nlohmann::json& document, const std::string& schema,
                            const std::string& run_dir);

}  // namespace pydio::test
