#include "agent/ctl/change_plan.hpp"

#include <sstream>

#include "common/strict_json.hpp"

namespace pydio::agent::ctl {

namespace {

using Verdict = ChangePlan::Verdict;

ChangePlan invalid(std::vector<std::string> errors) {
  ChangePlan plan;
  plan.verdict = Verdict::kInvalid;
  plan.errors = std::move(errors);
  return plan;
}

}  // namespace

common::DesiredState effective_change(const common::DesiredState& spec,
                                      const common::DesiredState& in_force) {
  common::DesiredState next = spec;
  if (next.join_tokens.empty()) next.join_tokens = in_force.join_tokens;
  if (next.security.ca_certificates.empty())
    next.security.ca_certificates = in_force.security.ca_certificates;
  if (!next.web.release) next.web.release = in_force.web.release;
  if (!next.web.rollout) next.web.rollout = in_force.web.rollout;
  return next;
}

ChangePlan plan_change(const std::string& text, const common::DesiredState& in_force,
                       std::optional<std::int64_t> base) {
  // Strict parse first: duplicate keys and malformed JSON are reported as `validate` does.
  common::ErrorLines errors;
  auto document = common::parse_strict_json(text, errors);
  if (!document) return invalid(errors);
  ChangePlan plan;
  const std::int64_t current = in_force.generation;
  const auto given = document->find("generation");
  plan.had_generation = document->is_object() && given != document->end();
  plan.base = current;
  if (base) {
    plan.base = *base;
  } else if (plan.had_generation && given->is_number_integer()) {
    const std::int64_t generation = given->get<std::int64_t>();
    if (generation < 1) return invalid({"generation: must be at least 1"});
    if (generation > current) {
      const std::string in_force_text = std::to_string(current);
      return invalid({"generation: " + std::to_string(generation) +
                      " is not in force (the generation in force is " + in_force_text +
                      "); a file's generation is the generation it was based on (" + in_force_text +
                      " for an edit of the document in force), or leave generation out"});
    }
    plan.base = generation;
  }
  // Validated as the generation it would become (an invalid "generation" is reported as is).
  if (document->is_object() && (base || !plan.had_generation || given->is_number_integer()))
    (*document)["generation"] = current + 1;
  const common::ValidationResult parsed = common::parse_desired_state(document->dump());
  if (!parsed.state) return invalid(parsed.errors);
  const common::DesiredState next = effective_change(*parsed.state, in_force);
  plan.diff = diff_desired(in_force, next);
  if (plan.diff.empty()) {
    plan.verdict = Verdict::kNoChange;
    return plan;
  }
  if (plan.base < current) {
    plan.verdict = Verdict::kStale;
    return plan;
  }
  plan.verdict = Verdict::kSubmit;
  plan.document = common::serialize_desired_state(*parsed.state);
  return plan;
}

std::string strip_comment_lines(const std::string& text) {
  std::istringstream in(text);
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line[first] == '#') continue;
    kept += line + "\n";
  }
  return kept;
}

std::string edit_buffer(const std::string& document, std::int64_t generation,
                        const std::vector<std::string>& errors) {
  std::string out =
      "# The desired state in force, generation " + std::to_string(generation) +
      ". Save to apply it as generation " + std::to_string(generation + 1) +
      " (refused if another\n# change is put in force first). Lines starting with '#' are "
      "ignored; an empty file, or\n# no change, cancels. docs/desired-state.md describes every "
      "field.\n";
  if (!errors.empty()) {
    out += "#\n# Not applied; fix these (or empty the file to cancel):\n";
    for (const std::string& error : errors) out += "#   " + error + "\n";
  }
  return out + document;
}

std::vector<std::string> editor_argv(const char* visual, const char* editor,
                                     const std::string& fallback, const std::string& file) {
  std::string command = fallback;
  if (editor != nullptr && *editor != '\0') command = editor;
  if (visual != nullptr && *visual != '\0') command = visual;
  std::vector<std::string> argv;
  std::istringstream words(command);
  for (std::string word; words >> word;) argv.push_back(word);
  if (argv.empty()) argv.push_back(fallback);
  argv.push_back(file);
  return argv;
}

}  // namespace pydio::agent::ctl
