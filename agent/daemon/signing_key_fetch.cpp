#include "agent/daemon/signing_key_fetch.hpp"

#include <spdlog/spdlog.h>

#include <vector>

#include "agent/cluster/signing.hpp"
#include "common/text.hpp"

namespace pydio::agent {

namespace {
using namespace std::chrono_literals;
constexpr auto kFetchTimeout = 1500ms;
// A fetch that keeps failing (the leader down as well) is logged this often, not every look.
constexpr auto kWarningPeriod = 60s;
}  // namespace

void SigningKeyFetch::fetch_if_missing() {
  std::lock_guard<std::mutex> lock(mutex_);
  auto desired = state_.desired();
  if (!desired || !state_.lacks_private_signing_key()) return;
  std::vector<std::string> failures;
  for (const auto& address : leader_.storage_peers_leader_first(*desired)) {
    auto reply = leader_.peer_client(kFetchTimeout).get(address, "/v1/peer/signing-key");
    if (!reply) {
      failures.push_back(address + ": " + reply.status().message());
      continue;
    }
    if (reply->status != 200) {
      failures.push_back(address + ": " + std::to_string(reply->status) + " " +
                         text_field(reply->body, "error", "refused"));
      continue;
    }
    const SigningKeys keys{text_field(reply->body, "publicKey"),
                           text_field(reply->body, "privateKey"),
                           text_field(reply->body, "succession")};
    if (common::Status adopted = state_.adopt_private_signing_key(keys); !adopted) {
      failures.push_back(address + ": " + adopted.message());
      continue;
    }
    spdlog::info("fetched the private signing key {} from {}", key_id(keys.public_pem), address);
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - last_warning_ < kWarningPeriod) return;
  last_warning_ = now;
  spdlog::warn("this storage node lacks the private key of the rotated signing key; no storage "
               "node gave it: {}",
               failures.empty() ? std::string("no other storage node") : common::join(failures, "; "));
}

}  // namespace pydio::agent
