// agentctl app publish: hands a Pydio release archive to the agent of this node, which checks
// and stores it on pydio-config and makes it the cluster's release (POST /v1/app/publish,
// agent/daemon/release_publisher.hpp).

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "agent/ctl/admin_client.hpp"
#include "agent/ctl/commands.hpp"

namespace pydio::agent::ctl {

namespace {
using nlohmann::json;
// Copying and checking a large archive (gunzip twice, two hashes, a write over FUSE) takes
// longer than other commands; --timeout may only raise this.
constexpr std::chrono::minutes kPublishTimeout{10};
}  // namespace

std::string absolute_archive_path(const std::string& file) {
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(file, error);
  if (error) return file;
  return absolute.lexically_normal().string();
}

std::string format_publish(const json& body) {
  const auto text = [&](const char* key) { return body.value(key, std::string("?")); };
  const std::string release = text("version") + " (" + text("sha256") + ")";
  const std::string generation = body.value("generation", json(0)).dump();
  if (body.value("alreadyPublished", false))
    return "already published: " + release + " is the release in force (generation " + generation +
           "); nothing changed\n";
  std::string out = "published " + release + " as generation " + generation + "; rollout: ";
  const json rollout = body.value("rollout", json());
  if (!rollout.is_object()) {
    out += "none, every compute node installs it now\n";
  } else {
    const std::string version = rollout.value("previousVersion", std::string());
    out += "from " + (version.empty() ? std::string() : version + " ") + "(" +
           rollout.value("previous", std::string("?")) +
           "), one compute node at a time, led by the leader (agentctl status shows "
           "progress)\n";
  }
  return out;
}

int run_app_publish(const GlobalOptions& global, const std::string& file) {
  const std::string path = absolute_archive_path(file);
  std::string body;
  try {
    body = json{{"path", path}}.dump();
  } catch (const json::exception&) {
    std::cerr << "app publish: " << file << ": the path must be UTF-8 text\n";
    return kExitFailed;
  }
  api::AdminClient client(global.socket_path,
                          std::max<std::chrono::milliseconds>(global.timeout, kPublishTimeout));
  const api::AdminReply reply = client.post("/v1/app/publish", body);
  if (!reply.ok()) {
    std::cerr << "app publish: " << reply.error << "\n";
    return reply.kind == api::AdminReply::Kind::kRefused ? kExitFailed : kExitUnreachable;
  }
  std::cout << format_publish(reply.body);
  return kExitOk;
}

}  // namespace pydio::agent::ctl
