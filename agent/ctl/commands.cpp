#include "agent/ctl/commands.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/cluster/join_token.hpp"
#include "agent/ctl/admin_client.hpp"
#include "agent/ctl/admin_text.hpp"
#include "common/desired_state.hpp"
#include "common/status.hpp"
#include "version.hpp"

namespace pydio::agent::ctl {

using api::AdminClient;
using api::AdminReply;
using common::Expected;
using common::Status;
using nlohmann::json;

Expected<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::error("cannot read " + path + ": read error");
  return text.str();
}

namespace {

// A version query must not hang `agentctl version` for the full default timeout.
constexpr std::chrono::seconds kVersionTimeout{3};

AdminClient client(const GlobalOptions& global) {
  return AdminClient(global.socket_path, global.timeout);
}

// Prints why a call failed and returns the exit code for it.
int report_failure(const AdminReply& reply) {
  std::cerr << reply.error << "\n";
  return reply.kind == AdminReply::Kind::kRefused ? kExitFailed : kExitUnreachable;
}

// Validates the document at `path`, printing problems to stderr. Returns the text when valid.
Expected<std::string> read_valid_document(const std::string& path, std::int64_t* generation) {
  auto text = read_text_file(path);
  if (!text) return text.status();
  const common::ValidationResult result = common::parse_desired_state(*text);
  if (!result.errors.empty()) {
    for (const auto& error : result.errors) std::cerr << error << "\n";
    return Status::error(path + ": " + std::to_string(result.errors.size()) +
                         (result.errors.size() == 1 ? " problem" : " problems"));
  }
  if (generation != nullptr) *generation = result.state->generation;
  return text;
}

}  // namespace

int run_status(const GlobalOptions& global, OutputFormat format, bool local_only) {
  const AdminReply reply = client(global).get(local_only ? "/v1/status" : "/v1/status?cluster=1");
  if (!reply.ok()) return report_failure(reply);
  std::cout << (format == OutputFormat::kJson ? reply.body.dump(2) + "\n"
                                              : api::format_status(reply.body));
  return kExitOk;
}

int run_plan(const GlobalOptions& global, OutputFormat format) {
  const AdminReply reply = client(global).get("/v1/plan");
  if (!reply.ok()) return report_failure(reply);
  std::cout << (format == OutputFormat::kJson ? reply.body.dump(2) + "\n"
                                              : api::format_plan(reply.body));
  return kExitOk;
}

int run_reconcile(const GlobalOptions& global) {
  const AdminReply reply = client(global).post("/v1/reconcile", "");
  if (!reply.ok()) return report_failure(reply);
  std::cout << "reconcile pass requested\n";
  return kExitOk;
}

int run_drain(const GlobalOptions& global, const std::string& reason) {
  const AdminReply reply = client(global).post("/v1/drain", json{{"reason", reason}}.dump());
  if (!reply.ok()) return report_failure(reply);
  std::cout << "draining" << (reason.empty() ? "" : " (" + reason + ")")
            << ": health answers 503 and check.txt is removed\n";
  return kExitOk;
}

int run_undrain(const GlobalOptions& global) {
  const AdminReply reply = client(global).post("/v1/undrain", "");
  if (!reply.ok()) return report_failure(reply);
  std::cout << "not draining: health follows the node's checks again\n";
  return kExitOk;
}

int run_events(const GlobalOptions& global, int count, OutputFormat format) {
  const AdminReply reply = client(global).get("/v1/events?n=" + std::to_string(count));
  if (!reply.ok()) return report_failure(reply);
  std::cout << (format == OutputFormat::kJson ? reply.body.dump(2) + "\n"
                                              : api::format_events(reply.body));
  return kExitOk;
}

int send_spec_file(const GlobalOptions& global, const std::string& command,
                   const std::string& spec_path, bool print_join) {
  // Validate here first: an invalid spec is reported the same way as by `validate` and never
  // reaches the daemon.
  auto document = read_valid_document(spec_path, nullptr);
  if (!document) {
    std::cerr << command << ": " << document.status().message() << "; nothing sent\n";
    return kExitFailed;
  }
  const AdminReply reply = client(global).post("/v1/desired-state", *document);
  if (reply.kind == AdminReply::Kind::kRefused &&
      (reply.status_code == 422 || reply.status_code == 409)) {
    std::cerr << api::format_errors(reply.body);
    std::cerr << command << ": pydio-agentd rejected " << spec_path
              << (reply.status_code == 409 ? " (another change won; nothing changed)" : "") << "\n";
    return kExitFailed;
  }
  if (!reply.ok()) return report_failure(reply);
  std::cout << "accepted: generation " << reply.body.value("generation", json(0)).dump()
            << " is now the desired state\n";
  const std::string join = reply.body.value("joinCommand", std::string());
  if (print_join && !join.empty()) {
    std::cout << "\nTo add a node, run on it (the token is a secret; keep it safe):\n  " << join
              << " --roles storage,compute --device /dev/DEVICE\n"
              << "Nodes already listed in the spec need no --roles or --device.\n"
              << "The token is shown only now and expires in 24h; agentctl token create makes "
                 "another.\n";
  }
  return kExitOk;
}

int run_init(const GlobalOptions& global, const std::string& spec_path) {
  return send_spec_file(global, "init", spec_path, true);
}

common::Expected<std::string> read_token_file(const std::string& path) {
  std::string text;
  if (path == "-") {
    // A token is 23 characters; a few hundred bytes are more than any file holding one.
    char buffer[512];
    std::cin.read(buffer, sizeof buffer);
    text.assign(buffer, static_cast<std::size_t>(std::cin.gcount()));
  } else {
    auto read = read_text_file(path);
    if (!read) return read.status();
    text = *read;
  }
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos)
    return common::Status::error((path == "-" ? std::string("standard input") : path) +
                                 " holds no token");
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

int run_join(const GlobalOptions& global, const std::string& peer, const std::string& token,
             const std::string& ca_cert_hash, const std::string& roles, const std::string& device,
             bool replace_signing_key) {
  json body = {
      {"peer", peer}, {"token", token}, {"caCertHash", ca_cert_hash}, {"roles", json::array()}};
  std::stringstream list(roles);
  for (std::string role; std::getline(list, role, ',');)
    if (!role.empty()) body["roles"].push_back(role);
  if (!device.empty()) body["device"] = device;
  if (replace_signing_key) body["replaceSigningKey"] = true;
  const AdminReply reply = client(global).post("/v1/join", body.dump());
  if (!reply.ok()) return report_failure(reply);
  std::cout << "joined cluster " << reply.body.value("cluster", std::string("?")) << " (generation "
            << reply.body.value("generation", json(0)).dump() << ") as "
            << api::format_roles(reply.body.value("roles", json::array()))
            << "; the agent now converges this node (agentctl status shows progress)\n";
  return kExitOk;
}

int run_token_create(const GlobalOptions& global, const std::string& ttl,
                     const std::string& description) {
  auto seconds = parse_token_ttl(ttl);
  if (!seconds) {
    std::cerr << "token create: " << seconds.status().message() << "\n";
    return kExitFailed;
  }
  std::string body;
  try {
    body = json{{"ttlSeconds", seconds->count()}, {"description", description}}.dump();
  } catch (const json::exception&) {
    std::cerr << "token create: --description: must be UTF-8 text\n";
    return kExitFailed;
  }
  const AdminReply reply = client(global).post("/v1/tokens/create", body);
  if (!reply.ok()) return report_failure(reply);
  const std::string token = reply.body.value("token", std::string());
  std::cout << "join token " << reply.body.value("id", std::string("?")) << " created (generation "
            << reply.body.value("generation", json(0)).dump() << "); it expires at "
            << reply.body.value("expires", std::string("?")) << " (" << format_ttl(*seconds)
            << ").\nIt is shown only now: the cluster keeps only its hash.\n  " << token << "\n";
  const std::string join = reply.body.value("joinCommand", std::string());
  if (!join.empty()) {
    std::cout << "\nTo add a node, run on it (the token is a secret; keep it safe):\n  " << join
              << " --roles ROLES [--device /dev/DEVICE]\n";
  }
  return kExitOk;
}

int run_upgrade(const GlobalOptions& global) {
  const AdminReply reply = client(global).post("/v1/upgrade", "");
  if (!reply.ok()) return report_failure(reply);
  const auto text = [&](const char* key) { return reply.body.value(key, std::string("?")); };
  std::cout << "upgraded: this node signs the desired state of cluster " << text("cluster")
            << " (key " << text("signingKey") << "), generation "
            << reply.body.value("generation", json(0)).dump() << " in force.\n"
            << "Cluster CA " << text("caCertHash") << " (this node's certificate made).\n"
            << "Join token, expires at " << text("expires") << "; it is shown only now:\n  "
            << text("token") << "\n"
            << "\nOn every other node, once its agent is the new release, run:\n  "
            << text("joinCommand") << "\n";
  return kExitOk;
}

int run_rotate_signing_key(const GlobalOptions& global) {
  const AdminReply reply = client(global).post("/v1/rotate/signing-key", "");
  if (!reply.ok()) return report_failure(reply);
  const auto text = [&](const char* key) { return reply.body.value(key, std::string("?")); };
  std::cout << "signing key rotated: key " << text("keyId") << " succeeds key "
            << text("previousKeyId") << "; generation "
            << reply.body.value("generation", json(0)).dump()
            << " in force, signed with it.\n"
            << "Every node trusts the new key as it adopts that generation (agentctl status: "
               "the \"signing:\" line of each node); storage nodes fetch its private key from "
               "the leader. The old private key is removed.\n";
  bool all = true;
  for (const auto& node : reply.body.value("storageNodes", json::array())) {
    const bool holds = node.value("holdsKey", false);
    all = all && holds;
    std::cout << "  " << node.value("name", std::string("?"))
              << (holds ? ": holds the new private key\n"
                        : ": has not fetched the new private key yet\n");
  }
  if (!all)
    std::cout << "Until every storage node holds it, only the nodes above that do can sign: "
                 "keep them up (agentctl status shows when the others have it).\n";
  return kExitOk;
}

int run_rotate_ca(const GlobalOptions& global) {
  const AdminReply reply = client(global).post("/v1/rotate/ca", "");
  if (!reply.ok()) return report_failure(reply);
  const auto text = [&](const char* key) { return reply.body.value(key, std::string("?")); };
  std::cout << "CA rotation begun (generation " << reply.body.value("generation", json(0)).dump()
            << "): the new CA " << text("newCa") << " is trusted next to " << text("oldCa")
            << ".\nOnce every node trusts it, it issues: every node renews its certificate and "
               "the join pin becomes the new CA's (agentctl token create prints it); once every "
               "node is on it, the old CA is retired.\nagentctl status shows the progress.\n";
  return kExitOk;
}

int run_token_list(const GlobalOptions& global) {
  const AdminReply reply = client(global).get("/v1/tokens");
  if (!reply.ok()) return report_failure(reply);
  std::cout << api::format_tokens(reply.body);
  return kExitOk;
}

int run_token_delete(const GlobalOptions& global, const std::string& id) {
  const AdminReply reply = client(global).post("/v1/tokens/delete", json{{"id", id}}.dump());
  if (!reply.ok()) return report_failure(reply);
  std::cout << "join token " << id << " deleted (generation "
            << reply.body.value("generation", json(0)).dump() << "): it admits no node any more\n";
  return kExitOk;
}

int run_validate(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) {
    std::cerr << "validate: " << text.status().message() << "\n";
    return kExitFailed;
  }
  const common::ValidationResult result = common::parse_desired_state(*text);
  if (!result.errors.empty()) {
    for (const auto& error : result.errors) std::cerr << error << "\n";
    return kExitFailed;
  }
  const auto& state = *result.state;
  // Fixed wording (no singular forms) so scripts can match it.
  std::cout << "valid: generation " << state.generation << ", " << state.nodes.size() << " nodes, "
            << state.volumes.size() << " volumes\n";
  return kExitOk;
}

int run_version(const GlobalOptions& global) {
  std::cout << "agentctl " << common::kVersion << "\n";
  const AdminReply reply = AdminClient(global.socket_path, std::min<std::chrono::milliseconds>(
                                                               global.timeout, kVersionTimeout))
                               .get("/v1/status");
  if (reply.ok()) {
    std::cout << "pydio-agentd " << reply.body.value("version", std::string("unknown")) << "\n";
    return kExitOk;
  }
  // agentctl's own version is printed either way; the exit code says the daemon did not answer.
  std::cerr << reply.error << "\n";
  return kExitUnreachable;
}

}  // namespace pydio::agent::ctl
