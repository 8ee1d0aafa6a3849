// The "joinTokens" section of a desired-state document: which join tokens admit a new node,
// until when. Only hashes: the secret half of a token is printed once by `agentctl token create`
// and never written anywhere. Strict, because a token here is a way into the cluster.

#include <algorithm>
#include <set>

#include "common/desired_state/field_rules.hpp"
#include "common/desired_state/reader.hpp"
#include "common/field_checks.hpp"
#include "common/utc_time.hpp"

namespace pydio::common::desired_state {

using nlohmann::json;

namespace {

constexpr const char* kExpiresProblem =
    "must be a UTC time like 2026-01-31T12:00:00Z (years 1970 to 9999)";

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_lower_hex(char c) { return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9'); }

// The rules that look at the whole list: ids unique, a bounded count.
void check_list(const std::vector<JoinTokenSpec>& tokens, ErrorLines& errors) {
  if (tokens.size() > kMaxJoinTokens) {
    add_error(errors, "joinTokens",
              "at most " + std::to_string(kMaxJoinTokens) +
                  " tokens (agentctl token delete ID removes one)");
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].id.empty()) continue;  // reported already
    if (!seen.insert(tokens[i].id).second) {
      add_error(errors, json_element_path("joinTokens", i) + ".id",
                quote_value(tokens[i].id) + " listed twice");
    }
  }
}

}  // namespace

std::optional<std::string> token_id_problem(const std::string& value) {
  if (value.size() == 6 && std::all_of(value.begin(), value.end(), is_lower_alnum))
    return std::nullopt;
  return "must be 6 lowercase letters or digits, got " + quote_value(value);
}

std::optional<std::string> token_hash_problem(const std::string& value) {
  static const std::string kPrefix = "sha256:";
  if (value.size() == kPrefix.size() + 64 && value.compare(0, kPrefix.size(), kPrefix) == 0 &&
      std::all_of(value.begin() + kPrefix.size(), value.end(), is_lower_hex))
    return std::nullopt;
  // The value is not echoed: it is the hash of a secret.
  return "must be sha256:<64 lowercase hex digits>";
}

std::optional<std::string> token_description_problem(const std::string& value) {
  if (value.size() > kMaxTokenDescriptionLength)
    return "must be at most " + std::to_string(kMaxTokenDescriptionLength) + " characters";
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return "must not contain control characters";
  }
  return std::nullopt;
}

std::vector<JoinTokenSpec> read_join_tokens(const json& value, ErrorLines& errors) {
  std::vector<JoinTokenSpec> tokens;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string path = json_element_path("joinTokens", i);
    JoinTokenSpec token;
    ObjectReader reader(value[i], path, errors);
    if (auto id = reader.string("id", Presence::kRequired)) {
      if (accept(errors, path + ".id", *id, token_id_problem)) token.id = *id;
    }
    if (auto hash = reader.string("secretHash", Presence::kRequired)) {
      if (accept(errors, path + ".secretHash", *hash, token_hash_problem))
        token.secret_hash = *hash;
    }
    if (auto expires = reader.string("expires", Presence::kRequired)) {
      if (auto seconds = parse_utc(*expires)) {
        token.expires = *seconds;
      } else {
        add_error(errors, path + ".expires", kExpiresProblem);
      }
    }
    if (auto description = reader.string("description", Presence::kOptional)) {
      if (accept(errors, path + ".description", *description, token_description_problem))
        token.description = *description;
    }
    reader.finish();
    tokens.push_back(std::move(token));
  }
  check_list(tokens, errors);
  return tokens;
}

void check_join_tokens(const std::vector<JoinTokenSpec>& tokens, ErrorLines& errors) {
  std::vector<JoinTokenSpec> checked = tokens;
  for (std::size_t i = 0; i < checked.size(); ++i) {
    const std::string path = json_element_path("joinTokens", i);
    JoinTokenSpec& token = checked[i];
    if (!accept(errors, path + ".id", token.id, token_id_problem)) token.id.clear();
    accept(errors, path + ".secretHash", token.secret_hash, token_hash_problem);
    if (token.expires < kMinUtcSeconds || token.expires > kMaxUtcSeconds)
      add_error(errors, path + ".expires", kExpiresProblem);
    accept(errors, path + ".description", token.description, token_description_problem);
  }
  check_list(checked, errors);
}

}  // namespace pydio::common::desired_state
