// Fuzz target: HTTP request routing of the agent's three APIs (health, peer, admin). The input
// is the raw bytes a client sends; Beast's parser frames them with the limits the server uses
// (session.cpp), and every request it accepts goes through all three pure handlers, each with a
// stub backend. Beyond "no crash": no handler throws (the contract: bad input never becomes a
// 500), every response serializes, the peer API reaches its backend only for an admitted node
// (a certificate of a node in force, used from its address) or a join carrying the token, the
// header check before the body never admits what the handler refuses, and the admin API only
// asks for an event count it allows.

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include "agent/api/admin_api.hpp"
#include "agent/api/health_api.hpp"
#include "agent/api/peer_api.hpp"
#include "agent/api/server_options.hpp"
#include "test/fuzz/fuzz_check.hpp"

namespace api = pydio::agent::api;
namespace http = boost::beast::http;
using nlohmann::json;

namespace {

constexpr const char* kToken = "abcdef.0123456789abcdef";

const api::PeerIdentity kIdentities[] = {
    {"198.18.0.9", ""},         // no client certificate
    {"198.18.0.1", "n1"},       // a storage node, from its address
    {"198.18.0.4", "web1"},     // a compute node, from its address
    {"198.18.0.66", "n1"},      // n1's certificate used from elsewhere
    {"198.18.0.5", "removed"},  // a certificate of a node no longer in force
};

bool admitted(const api::PeerIdentity& peer) {
  return (peer.certificate_name == "n1" && peer.address == "198.18.0.1") ||
         (peer.certificate_name == "web1" && peer.address == "198.18.0.4");
}

class StubPeerBackend : public api::PeerBackend {
 public:
  std::string join_token_refusal(const std::string& token) const override {
    return token == kToken ? "" : "refused";
  }
  std::optional<api::PeerMember> member(const std::string& name) const override {
    if (name == "n1") return api::PeerMember{"198.18.0.1", true};
    if (name == "web1") return api::PeerMember{"198.18.0.4", false};
    return std::nullopt;
  }
  json node_report() override { return touched(json{{"node", "n2"}, {"generation", 3}}); }
  api::PeerReply desired_document() override { return reply(200, {{"generation", 3}}); }
  api::PeerReply join(const json& request, bool) override {
    PYDIO_FUZZ_CHECK(request.is_object(), "join body is not an object");
    PYDIO_FUZZ_CHECK(request.value("token", "") == kToken, "join reached without the token");
    ++joins;
    return {200, {{"generation", 4}}};
  }
  api::PeerReply change_desired_state(const std::string&, bool) override {
    ++changes;
    return reply(409, {{"error", "generation raced"}});
  }
  api::PeerReply nudge(const api::Nudge& nudge) override {
    PYDIO_FUZZ_CHECK(nudge.reason.size() <= 200, "nudge reason longer than 200");
    return reply(202, {{"accepted", true}});
  }
  api::PeerReply issue_certificate(const std::string& name, const std::string& address,
                                   const std::string&, const std::string&) override {
    PYDIO_FUZZ_CHECK(admitted(api::PeerIdentity{address, name}),
                     "a certificate issued for a caller the API does not admit");
    return reply(200, {{"nodeCert", "-"}});
  }
  api::PeerReply signing_key() override { return reply(503, {{"error", "no private key"}}); }
  api::PeerReply rotate_signing_key(bool) override { return reply(503, {{"error", "no leader"}}); }

  api::PeerReply begin_ca_rotation(bool) override { return reply(409, {{"error", "under way"}}); }
  api::PeerReply hand_ca_key(const std::string& name, const std::string&) override {
    PYDIO_FUZZ_CHECK(name == "n1", "a CA key handed to a node that may not lead");
    return reply(404, {{"error", "not held"}});
  }
  api::PeerReply accept_db_bootstrap(const std::string&) override {
    return reply(409, {{"error", "not a Galera member"}});
  }
  api::PeerReply start_db_backup() override { return reply(409, {{"error", "no backups"}}); }
  // No admitted identity is a db node: the db hold routes never reach the backend.
  api::PeerReply hold_db_server(const std::string&, const std::string&) override {
    PYDIO_FUZZ_CHECK(false, "a db hold reached the backend from a node that is not a db node");
    return reply(409, {{"error", "fake"}});
  }
  api::PeerReply release_db_server(const std::string&) override {
    PYDIO_FUZZ_CHECK(false, "a db release reached the backend from a node that is not a db node");
    return reply(409, {{"error", "fake"}});
  }
  api::PeerReply set_aside_db_datadir(const std::string&) override {
    PYDIO_FUZZ_CHECK(false, "a datadir set-aside reached the backend from a non-db node");
    return reply(409, {{"error", "fake"}});
  }
  int calls = 0;  // every backend call but join
  int joins = 0;
  int changes = 0;  // POST /v1/peer/desired-state reached the backend

 private:
  json touched(json body) {
    ++calls;
    return body;
  }
  api::PeerReply reply(int status, json body) { return {status, touched(std::move(body))}; }
};

class StubAdminBackend : public api::AdminBackend {
 public:
  json status(bool) override { return {{"node", "n1"}, {"generation", 3}}; }
  pydio::common::Expected<json> plan() override { return json{{"generation", 3}}; }
  void request_reconcile() override {}
  pydio::common::Status drain(const std::string&) override { return pydio::common::Status::ok(); }
  pydio::common::Status undrain() override {
    return pydio::common::Status::error("cannot write the drain flag");
  }
  json events(int count) override {
    PYDIO_FUZZ_CHECK(count >= 1 && count <= api::kMaxEventCount, "event count out of range");
    return json::array();
  }
  json events_after(std::uint64_t) override { return json::array(); }
  pydio::common::Expected<api::SubmitResult> submit_desired_state(
      const std::string& document) override {
    PYDIO_FUZZ_CHECK(!document.empty(), "empty document submitted");
    api::SubmitResult result;
    result.errors = {"document: " + document.substr(0, 16)};  // echoes input, as parsing does
    result.generation = 3;
    return result;
  }
  api::JoinOutcome join(const api::JoinOptions& options) override {
    return {502, {{"error", "cannot reach " + options.peer}}};
  }
  api::AdminAnswer join_tokens() override { return {200, {{"tokens", json::array()}}}; }
  api::AdminAnswer create_join_token(std::chrono::seconds ttl,
                                     const std::string& description) override {
    return {200, {{"ttl", ttl.count()}, {"description", description}}};
  }
  api::AdminAnswer delete_join_token(const std::string& id) override {
    return {404, {{"error", "no join token " + id}}};
  }
  api::AdminAnswer upgrade_from_legacy() override {
    return {409, {{"error", "nothing to upgrade"}}};
  }
  api::AdminAnswer rotate_signing_key() override { return {503, {{"error", "no leader"}}}; }

  api::AdminAnswer rotate_ca() override { return {409, {{"error", "under way"}}}; }
  api::AdminAnswer publish_release(const std::string& path) override {
    return {422, {{"error", path + ": not a Pydio release"}}};
  }
  api::AdminAnswer force_db_bootstrap(const std::string&) override {
    return {409, {{"error", "no Galera database tier"}}};
  }
  api::AdminAnswer db_backups() override { return {409, {{"error", "no backups"}}}; }
  api::AdminAnswer restore_db(const std::string& name, bool) override {
    return {409, {{"error", "no backup " + name}}};
  }
  api::AdminAnswer release_db_holds() override { return {200, {{"released", json::array()}}}; }
  api::AdminAnswer desired_state() override { return {200, {{"generation", 3}}}; }
  // The request's own bytes as a node name, a reason and an event: the page must escape them.
  json status_page_view() override {
    const json node = {{"name", hostile},        {"address", hostile}, {"reachable", true},
                       {"healthy", false},       {"draining", true},   {"reasons", {hostile}},
                       {"roles", {"storage"}},   {"peer", hostile}};
    return {{"status", {{"node", hostile}, {"resources", {{{"name", hostile}, {"state", "error"}}}}}},
            {"cluster",
             {{"name", hostile},
              {"nodes", {node}},
              {"volumes", {{{"name", hostile}, {"exists", true}, {"bricks", {hostile}}}}},
              {"warnings", {hostile}}}},
            {"events", {{{"message", hostile}, {"outcome", "error"}}}}};
  }
  std::string hostile;
};

// Every '<' of the status page opens (or closes) one of the elements the page itself writes:
// request bytes that reached it as node names, reasons and events were escaped.
bool only_page_elements(const std::string& page) {
  static const std::set<std::string> kElements = {
      "!DOCTYPE", "html", "head", "meta", "title",  "style", "body",  "h1",   "h2",     "p",
      "span",     "section", "table", "tr", "th",  "td",    "ul",    "li",   "br",     "small",
      "code",     "footer"};
  for (std::size_t at = page.find('<'); at != std::string::npos; at = page.find('<', at + 1)) {
    std::size_t begin = at + 1;
    if (begin < page.size() && page[begin] == '/') ++begin;
    const std::size_t end = page.find_first_of(" >", begin);
    if (end == std::string::npos || !kElements.count(page.substr(begin, end - begin))) return false;
  }
  return true;
}

void check_serializes(const api::Response& response) {
  std::ostringstream out;
  out << response;
  PYDIO_FUZZ_CHECK(!out.str().empty(), "empty response");
}

void route(const api::Request& request) {
  pydio::agent::HealthVerdict verdict;
  verdict.healthy = request.body().size() % 2 == 0;
  if (!verdict.healthy) verdict.reasons = {"mount /mnt/pydio-data: hung"};
  check_serializes(api::handle_health_request(request, verdict, request.keep_alive(), "n1"));

  const api::PeerIdentity& identity =
      kIdentities[request.body().size() % (sizeof kIdentities / sizeof kIdentities[0])];
  StubPeerBackend peer;
  const bool refused_early = api::refuse_before_body(request.base(), identity, peer).has_value();
  check_serializes(api::handle_peer_request(request, identity, peer));
  PYDIO_FUZZ_CHECK(peer.calls == 0 || admitted(identity), "peer backend reached by a non-member");
  PYDIO_FUZZ_CHECK(peer.changes == 0 || identity.certificate_name == "n1",
                   "a node that may not lead changed the desired state");
  PYDIO_FUZZ_CHECK(!refused_early || (peer.calls == 0 && peer.joins == 0),
                   "the header check refused what the handler then served");

  StubAdminBackend admin;
  admin.hostile = std::string(request.target()) + request.body();
  const api::Response answer = api::handle_admin_request(request, admin);
  check_serializes(answer);
  if (answer[http::field::content_type].substr(0, 9) == "text/html")
    PYDIO_FUZZ_CHECK(only_page_elements(answer.body()), "text from the cluster became markup");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const api::ServerOptions limits;
  boost::beast::string_view rest(reinterpret_cast<const char*>(data), size);
  // Several requests may follow each other on one kept-alive connection.
  while (!rest.empty()) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(limits.body_limit);
    parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
    parser.eager(true);
    boost::system::error_code ec;
    std::size_t used = 0;
    while (!parser.is_done() && used < rest.size()) {
      const std::size_t n =
          parser.put(boost::asio::buffer(rest.data() + used, rest.size() - used), ec);
      if (ec == http::error::need_more) break;
      if (ec) return 0;
      if (n == 0) break;
      used += n;
    }
    if (!parser.is_done()) {
      parser.put_eof(ec);
      if (ec || !parser.is_done()) return 0;
    }
    route(parser.get());
    rest.remove_prefix(used);
    if (used == 0) break;
  }
  return 0;
}
