#include "agent/cluster/join_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <utility>

#include "common/utc_time.hpp"

namespace pydio::agent {

namespace {
constexpr std::size_t kIdLength = 6;
constexpr std::size_t kSecretLength = 16;
constexpr int kIdAttempts = 20;  // 36^6 ids: a clash even once is rare
}  // namespace

common::Expected<std::string> random_token(std::size_t length) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  if (!urandom) return common::Status::error("open /dev/urandom failed");
  std::string out;
  while (out.size() < length) {
    unsigned char byte = 0;
    urandom.read(reinterpret_cast<char*>(&byte), 1);
    if (!urandom) return common::Status::error("read /dev/urandom failed");
    if (byte < 252) out.push_back(kAlphabet[byte % 36]);  // 252 = 7*36: no modulo bias
  }
  return out;
}

bool is_join_token_form(const std::string& text) {
  static const std::regex kForm("[a-z0-9]{6}\\.[a-z0-9]{16}");
  return std::regex_match(text, kForm);
}

std::string token_secret_hash(const std::string& secret) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(secret.data(), secret.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::optional<std::string> token_ttl_problem(std::chrono::seconds ttl) {
  if (ttl >= kMinTokenTtl && ttl <= kMaxTokenTtl) return std::nullopt;
  return "must be from " + format_ttl(kMinTokenTtl) + " to " + format_ttl(kMaxTokenTtl) + ", got " +
         format_ttl(ttl);
}

common::Expected<std::chrono::seconds> parse_token_ttl(const std::string& text) {
  static const std::regex kForm("([0-9]{1,7}[hms])+");
  const auto refuse = [&](const std::string& why) {
    return common::Status::error("--ttl " + text + ": " + why);
  };
  if (!std::regex_match(text, kForm))
    return refuse("expected a duration like 24h, 90m or 1h30m (units h, m, s)");
  std::chrono::seconds total{0};
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t unit = text.find_first_of("hms", at);
    const long long number = std::stoll(text.substr(at, unit - at));
    const long long scale = text[unit] == 'h' ? 3600 : text[unit] == 'm' ? 60 : 1;
    total += std::chrono::seconds(number * scale);
    at = unit + 1;
  }
  if (auto problem = token_ttl_problem(total)) return refuse(*problem);
  return total;
}

std::string format_ttl(std::chrono::seconds ttl) {
  long long left = ttl.count();
  if (left <= 0) return std::to_string(left) + "s";
  std::string out;
  static constexpr std::pair<long long, char> kUnits[] = {{3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (const auto& [scale, unit] : kUnits) {
    if (left >= scale) out += std::to_string(left / scale) + unit;
    left %= scale;
  }
  return out;
}

common::Expected<NewJoinToken> make_join_token(const std::vector<common::JoinTokenSpec>& existing,
                                               std::int64_t now, std::chrono::seconds ttl,
                                               const std::string& description) {
  for (int attempt = 0; attempt < kIdAttempts; ++attempt) {
    auto id = random_token(kIdLength);
    if (!id) return id.status().with_context("create a join token");
    const bool taken = std::any_of(existing.begin(), existing.end(),
                                   [&](const common::JoinTokenSpec& t) { return t.id == *id; });
    if (taken) continue;
    auto secret = random_token(kSecretLength);
    if (!secret) return secret.status().with_context("create a join token");
    NewJoinToken out;
    out.token = *id + "." + *secret;
    out.spec =
        common::JoinTokenSpec{*id, token_secret_hash(*secret), now + ttl.count(), description};
    return out;
  }
  return common::Status::error("create a join token: no free id found");
}

std::string join_token_refusal(const std::vector<common::JoinTokenSpec>& tokens,
                               const std::string& presented, std::int64_t now) {
  if (!is_join_token_form(presented))
    return "a join token of the form abcdef.0123456789abcdef is required (\"token\")";
  const std::string id = presented.substr(0, kIdLength);
  const std::string hash = token_secret_hash(presented.substr(kIdLength + 1));
  for (const auto& token : tokens) {
    if (token.id != id) continue;
    if (token.secret_hash.size() != hash.size() ||
        CRYPTO_memcmp(token.secret_hash.data(), hash.data(), hash.size()) != 0)
      break;
    if (now >= token.expires) {
      return "join token " + id + " expired at " + common::format_utc(token.expires) +
             "; create a new one with agentctl token create on a storage node";
    }
    return "";
  }
  return "join token " + id +
         " is not valid (deleted, never created, or a wrong secret); create one with agentctl "
         "token create on a storage node";
}

}  // namespace pydio::agent
