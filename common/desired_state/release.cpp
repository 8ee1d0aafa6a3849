// web.release (the Pydio release every compute node serves, written by agentctl app publish)
// and web.rollout (the leader's progress rolling it out), their reading and their checks. Both
// are written by the agent only; a spec file may leave them out (agent/daemon/changes.cpp).

#include <algorithm>
#include <set>

#include "common/desired_state/cross_checks.hpp"
#include "common/desired_state/field_rules.hpp"
#include "common/desired_state/reader.hpp"
#include "common/field_checks.hpp"
#include "common/utc_time.hpp"

namespace pydio::common {

bool ReleaseSpec::operator==(const ReleaseSpec& o) const {
  return sha256 == o.sha256 && version == o.version && file == o.file && size == o.size &&
         published_at == o.published_at;
}

bool RolloutSpec::operator==(const RolloutSpec& o) const {
  return release == o.release && previous == o.previous && done == o.done && node == o.node &&
         phase == o.phase && since == o.since && stopped == o.stopped;
}

std::string release_id(const std::string& sha256) {
  static const std::string kPrefix = "sha256:";
  const std::string hex =
      sha256.compare(0, kPrefix.size(), kPrefix) == 0 ? sha256.substr(kPrefix.size()) : sha256;
  return hex.substr(0, 12);
}

namespace {
struct PhaseName {
  RolloutPhase phase;
  const char* name;
};
constexpr PhaseName kPhaseNames[] = {{RolloutPhase::kNone, ""},
                                     {RolloutPhase::kDraining, "draining"},
                                     {RolloutPhase::kSwitching, "switching"},
                                     {RolloutPhase::kUndraining, "undraining"}};
}  // namespace

std::string rollout_phase_name(RolloutPhase phase) {
  for (const auto& entry : kPhaseNames)
    if (entry.phase == phase) return entry.name;
  return "";
}

namespace desired_state {

using nlohmann::json;

namespace {

constexpr const char* kUtcProblem = "must be a UTC time like 2026-01-31T12:00:00Z";
constexpr std::size_t kMaxStoppedLength = 1024;

bool is_plain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == '+';
}

// A version or file name is shown in status and used in file names: plain characters only.
std::optional<std::string> plain_text_problem(const std::string& value) {
  if (value.empty() || value.size() > 128 || value.front() == '.' ||
      !std::all_of(value.begin(), value.end(), is_plain_char))
    return "must be 1 to 128 letters, digits, '.', '_', '-' or '+' (not starting with '.'), got " +
           quote_value(value);
  return std::nullopt;
}

std::optional<std::string> stopped_problem(const std::string& value) {
  if (value.size() > kMaxStoppedLength)
    return "must be at most " + std::to_string(kMaxStoppedLength) + " characters";
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return "must not contain control characters";
  }
  return std::nullopt;
}

std::optional<std::string> node_name_problem(const std::string& value) {
  return check_name(value);
}

std::optional<RolloutPhase> parse_phase(const std::string& name) {
  for (const auto& entry : kPhaseNames)
    if (name == entry.name) return entry.phase;
  return std::nullopt;
}

std::optional<std::int64_t> read_utc(ObjectReader& reader, const char* key, Presence presence,
                                     ErrorLines& errors) {
  auto text = reader.string(key, presence);
  if (!text) return std::nullopt;
  auto seconds = parse_utc(*text);
  if (!seconds) add_error(errors, reader.path_of(key), kUtcProblem);
  return seconds;
}

}  // namespace

// Types only (and the UTC times, which have no other form): check_release_fields() checks the
// values, in both the reader and the validator, so both report the same lines.
ReleaseSpec read_release(const json& value, ErrorLines& errors) {
  ReleaseSpec release;
  ObjectReader reader(value, "web.release", errors);
  if (auto sha = reader.string("sha256", Presence::kRequired)) release.sha256 = *sha;
  if (auto version = reader.string("version", Presence::kRequired)) release.version = *version;
  if (auto file = reader.string("file", Presence::kRequired)) release.file = *file;
  if (auto size = reader.integer("size", Presence::kRequired)) release.size = *size;
  if (auto at = read_utc(reader, "publishedAt", Presence::kRequired, errors))
    release.published_at = *at;
  reader.finish();
  return release;
}

RolloutSpec read_rollout(const json& value, ErrorLines& errors) {
  RolloutSpec rollout;
  ObjectReader reader(value, "web.rollout", errors);
  if (auto sha = reader.string("release", Presence::kRequired)) rollout.release = *sha;
  if (auto sha = reader.string("previous", Presence::kRequired)) rollout.previous = *sha;
  if (const json* done = reader.array("done", Presence::kOptional)) {
    for (std::size_t i = 0; i < done->size(); ++i) {
      const std::string path = json_element_path("web.rollout.done", i);
      if (auto name = read_string_element((*done)[i], path, errors)) rollout.done.push_back(*name);
    }
  }
  if (auto node = reader.string("node", Presence::kOptional)) rollout.node = *node;
  if (auto phase = reader.string("phase", Presence::kOptional)) {
    if (auto parsed = parse_phase(*phase)) {
      rollout.phase = *parsed;
    } else {
      add_error(errors, "web.rollout.phase",
                "must be draining, switching or undraining, got " + quote_value(*phase));
    }
  }
  if (auto since = read_utc(reader, "since", Presence::kOptional, errors)) rollout.since = *since;
  if (auto stopped = reader.string("stopped", Presence::kOptional)) rollout.stopped = *stopped;
  reader.finish();
  return rollout;
}

void check_release_fields(const WebSpec& web, ErrorLines& errors) {
  if (auto problem = [&]() -> std::optional<std::string> {
        if (web.drain_seconds >= 0 && web.drain_seconds <= 3600) return std::nullopt;
        return "must be between 0 and 3600, got " + std::to_string(web.drain_seconds);
      }())
    add_error(errors, "web.drainSeconds", *problem);
  if (web.release) {
    const ReleaseSpec& release = *web.release;
    accept(errors, "web.release.sha256", release.sha256, token_hash_problem);
    accept(errors, "web.release.version", release.version, plain_text_problem);
    accept(errors, "web.release.file", release.file, plain_text_problem);
    if (release.size <= 0)
      add_error(errors, "web.release.size", "must be a positive number of bytes");
    if (release.published_at < kMinUtcSeconds || release.published_at > kMaxUtcSeconds)
      add_error(errors, "web.release.publishedAt", kUtcProblem);
  }
  if (!web.rollout) return;
  const RolloutSpec& rollout = *web.rollout;
  accept(errors, "web.rollout.release", rollout.release, token_hash_problem);
  accept(errors, "web.rollout.previous", rollout.previous, token_hash_problem);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < rollout.done.size(); ++i) {
    const std::string path = json_element_path("web.rollout.done", i);
    if (!accept(errors, path, rollout.done[i], node_name_problem)) continue;
    if (!seen.insert(rollout.done[i]).second)
      add_error(errors, path, quote_value(rollout.done[i]) + " listed twice");
  }
  if (!rollout.node.empty()) accept(errors, "web.rollout.node", rollout.node, node_name_problem);
  if (rollout.node.empty() != (rollout.phase == RolloutPhase::kNone))
    add_error(errors, "web.rollout.phase", "is given exactly when web.rollout.node is");
  if (rollout.since < kMinUtcSeconds || rollout.since > kMaxUtcSeconds)
    add_error(errors, "web.rollout.since", kUtcProblem);
  accept(errors, "web.rollout.stopped", rollout.stopped, stopped_problem);
}

void check_release(const DesiredState& state, ErrorLines& errors) {
  const WebSpec& web = state.web;
  if (web.release) {
    for (const auto& [field, value] :
         {std::pair<const char*, const std::string*>{"web.installDir", &web.install_dir},
          {"web.confDir", &web.conf_dir}}) {
      if (!value->empty())
        add_error(errors, field,
                  "is for an operator-installed Pydio; with web.release (agentctl app publish) "
                  "the agent installs Pydio itself: remove one of the two");
    }
  }
  if (!web.rollout) return;
  if (!web.release) {
    add_error(errors, "web.rollout", "is only written with web.release");
    return;
  }
  if (!web.rollout->release.empty() && web.rollout->release != web.release->sha256)
    add_error(errors, "web.rollout.release", "must be web.release.sha256");
  if (!web.rollout->previous.empty() && web.rollout->previous == web.release->sha256)
    add_error(errors, "web.rollout.previous", "must differ from web.release.sha256");
}

}  // namespace desired_state
}  // namespace pydio::common
