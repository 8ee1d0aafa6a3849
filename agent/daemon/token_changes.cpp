#include "agent/daemon/token_changes.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "agent/cluster/join_token.hpp"
#include "agent/cluster/peer_client.hpp"
#include "common/field_checks.hpp"
#include "common/text.hpp"
#include "common/utc_time.hpp"

namespace pydio::agent {

namespace {
using namespace std::chrono_literals;
using nlohmann::json;

// Joins commit changes too: a token change that loses the generation race tries again on the
// new document (nothing in it was written by an operator, so nothing is lost by redoing it).
constexpr int kAttempts = 3;

api::AdminAnswer from_reply(const api::PeerReply& reply) {
  return api::AdminAnswer{reply.status, reply.body};
}

}  // namespace

template <typename Edit>
api::PeerReply TokenChanges::change_tokens(Edit edit) {
  api::PeerReply reply = error_reply(409, "no attempt made");
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto in_force = state_.desired();
    if (!in_force) return error_reply(409, "no desired state yet (run agentctl init --spec FILE)");
    common::DesiredState next = *in_force;
    next.generation = in_force->generation + 1;
    if (auto refused = edit(next)) return *refused;
    const std::vector<std::string> errors = common::validate_desired_state(next);
    if (!errors.empty()) return error_reply(400, common::join(errors, "; "));
    reply = changes_.propose(next);
    if (reply.status != 409) return reply;
    changes_.await_generation(int_field(reply.body, "generation", next.generation));
  }
  return reply;
}

api::AdminAnswer TokenChanges::create(std::chrono::seconds ttl, const std::string& description) {
  if (auto problem = token_ttl_problem(ttl))
    return from_reply(error_reply(400, "--ttl: " + *problem));
  if (!state_.admits_joins())
    return from_reply(
        error_reply(403,
                    "join tokens are managed on storage nodes; this node is not one: run agentctl "
                    "token create on a storage node"));
  std::string secret_token;
  common::JoinTokenSpec spec;
  api::PeerReply reply =
      change_tokens([&](common::DesiredState& next) -> std::optional<api::PeerReply> {
        auto made = make_join_token(next.join_tokens, common::utc_now_seconds(), ttl, description);
        if (!made) return error_reply(500, made.status().message());
        secret_token = made->token;
        spec = made->spec;
        next.join_tokens.push_back(spec);
        return std::nullopt;
      });
  if (reply.status != 200) return from_reply(reply);
  const std::int64_t generation = int_field(reply.body, "generation");
  changes_.await_generation(generation);
  spdlog::info("join token {} created (expires {}), generation {}", spec.id,
               common::format_utc(spec.expires), generation);
  return api::AdminAnswer{200, json{{"id", spec.id},
                                    {"token", secret_token},
                                    {"expires", common::format_utc(spec.expires)},
                                    {"description", spec.description},
                                    {"generation", generation},
                                    {"joinCommand", changes_.join_command(secret_token)}}};
}

api::AdminAnswer TokenChanges::list() const {
  auto desired = state_.desired();
  if (!desired)
    return from_reply(error_reply(409, "no desired state yet (run agentctl init --spec FILE)"));
  const std::int64_t now = common::utc_now_seconds();
  json tokens = json::array();
  for (const auto& token : desired->join_tokens) {
    tokens.push_back({{"id", token.id},
                      {"expires", common::format_utc(token.expires)},
                      {"expired", now >= token.expires},
                      {"description", token.description}});
  }
  return api::AdminAnswer{200, json{{"now", common::format_utc(now)},
                                    {"generation", desired->generation},
                                    {"tokens", tokens}}};
}

api::AdminAnswer TokenChanges::remove(const std::string& id) {
  if (!state_.admits_joins())
    return from_reply(
        error_reply(403,
                    "join tokens are managed on storage nodes; this node is not one: run agentctl "
                    "token delete on a storage node"));
  api::PeerReply reply =
      change_tokens([&](common::DesiredState& next) -> std::optional<api::PeerReply> {
        auto& tokens = next.join_tokens;
        const auto before = tokens.size();
        tokens.erase(std::remove_if(tokens.begin(), tokens.end(),
                                    [&](const common::JoinTokenSpec& t) { return t.id == id; }),
                     tokens.end());
        if (tokens.size() == before)
          return error_reply(404,
                             "no join token " + common::quote_value(id) +
                                 " in the desired state in force (agentctl token list shows them)");
        return std::nullopt;
      });
  if (reply.status != 200) return from_reply(reply);
  const std::int64_t generation = int_field(reply.body, "generation");
  changes_.await_generation(generation);
  spdlog::info("join token {} deleted, generation {}", id, generation);
  return api::AdminAnswer{200, json{{"deleted", id}, {"generation", generation}}};
}

}  // namespace pydio::agent
