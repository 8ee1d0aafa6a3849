#include "common/gluster_xml.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <pugixml.hpp>

namespace pydio::common {
namespace {

std::string trim(const std::string& text) {
  const char* space = " \t\r\n";
  auto begin = text.find_first_not_of(space);
  if (begin == std::string::npos) return "";
  auto end = text.find_last_not_of(space);
  return text.substr(begin, end - begin + 1);
}

// The first line of a non-XML answer, for error messages.
std::string excerpt(const std::string& text) {
  std::string line = trim(text);
  auto newline = line.find('\n');
  if (newline != std::string::npos) line.resize(newline);
  if (line.size() > 200) line.replace(200, std::string::npos, "...");
  return line.empty() ? "(empty output)" : line;
}

std::optional<int> to_int(const std::string& text) {
  std::string value = trim(text);
  if (value.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long number = std::strtol(value.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || number < -2147483647L || number > 2147483647L) {
    return std::nullopt;
  }
  return static_cast<int>(number);
}

// Text of a required child element holding an integer.
Expected<int> required_int(const pugi::xml_node& parent, const char* child) {
  pugi::xml_node node = parent.child(child);
  if (!node)
    return Status::error(std::string("missing <") + child + "> in <" + parent.name() + ">");
  auto value = to_int(node.child_value());
  if (!value) {
    return Status::error(std::string("<") + child + "> is not a number: '" + node.child_value() +
                         "'");
  }
  return *value;
}

// An optional integer child; 0 when gluster left it out (older versions omit some counts).
int optional_int(const pugi::xml_node& parent, const char* child) {
  return to_int(parent.child(child).child_value()).value_or(0);
}

struct ParsedDocument {
  pugi::xml_document doc;
  pugi::xml_node root;  // <cliOutput>
  GlusterEnvelope envelope;
};

// Parses the text and the envelope. Heap-allocated because xml_document is not movable.
Expected<std::shared_ptr<ParsedDocument>> parse_document(const std::string& xml) {
  auto parsed = std::make_shared<ParsedDocument>();
  pugi::xml_parse_result result = parsed->doc.load_buffer(xml.data(), xml.size());
  if (!result) {
    return Status::error("not a gluster XML answer (" + std::string(result.description()) +
                         "): " + excerpt(xml));
  }
  parsed->root = parsed->doc.child("cliOutput");
  if (!parsed->root)
    return Status::error("not a gluster XML answer (no <cliOutput>): " + excerpt(xml));
  auto op_ret = required_int(parsed->root, "opRet");
  if (!op_ret) return op_ret.status().with_context("gluster XML envelope");
  parsed->envelope.op_ret = *op_ret;
  parsed->envelope.op_errno = optional_int(parsed->root, "opErrno");
  parsed->envelope.op_errstr = trim(parsed->root.child("opErrstr").child_value());
  parsed->envelope.output = trim(parsed->root.child("output").child_value());
  return parsed;
}

// The document when opRet is 0, gluster's failure otherwise.
Expected<std::shared_ptr<ParsedDocument>> parse_successful(const std::string& xml) {
  auto parsed = parse_document(xml);
  if (!parsed) return parsed;
  if (!(*parsed)->envelope.ok()) return Status::error((*parsed)->envelope.failure_message());
  return parsed;
}

Expected<GlusterVolumeState> parse_state(const pugi::xml_node& volume) {
  std::string text = trim(volume.child("statusStr").child_value());
  if (text == "Created") return GlusterVolumeState::kCreated;
  if (text == "Started") return GlusterVolumeState::kStarted;
  if (text == "Stopped") return GlusterVolumeState::kStopped;
  // glusterd_volinfo status codes: 0 created, 1 started, 2 stopped.
  auto code = to_int(volume.child("status").child_value());
  if (code == 0) return GlusterVolumeState::kCreated;
  if (code == 1) return GlusterVolumeState::kStarted;
  if (code == 2) return GlusterVolumeState::kStopped;
  return Status::error("unknown volume status '" + text + "'");
}

Expected<GlusterVolume> parse_volume(const pugi::xml_node& node) {
  GlusterVolume volume;
  volume.name = trim(node.child("name").child_value());
  if (volume.name.empty()) return Status::error("volume without <name>");
  auto context = "volume " + volume.name;
  volume.id = trim(node.child("id").child_value());
  auto state = parse_state(node);
  if (!state) return state.status().with_context(context);
  volume.state = *state;
  volume.type = trim(node.child("typeStr").child_value());
  auto brick_count = required_int(node, "brickCount");
  if (!brick_count) return brick_count.status().with_context(context);
  volume.brick_count = *brick_count;
  auto replica_count = required_int(node, "replicaCount");
  if (!replica_count) return replica_count.status().with_context(context);
  volume.replica_count = *replica_count;
  volume.dist_count = optional_int(node, "distCount");
  volume.arbiter_count = optional_int(node, "arbiterCount");
  volume.disperse_count = optional_int(node, "disperseCount");

  for (pugi::xml_node brick : node.child("bricks").children("brick")) {
    GlusterBrick parsed;
    // <brick uuid="U">host:path<name>host:path</name><hostUuid>U</hostUuid>...</brick>
    parsed.endpoint = trim(brick.child("name").child_value());
    if (parsed.endpoint.empty()) parsed.endpoint = trim(brick.text().get());
    if (parsed.endpoint.empty()) return Status::error(context + ": brick without a name");
    parsed.host_uuid = trim(brick.child("hostUuid").child_value());
    if (parsed.host_uuid.empty()) parsed.host_uuid = brick.attribute("uuid").value();
    parsed.is_arbiter = optional_int(brick, "isArbiter") == 1;
    volume.bricks.push_back(std::move(parsed));
  }
  if (static_cast<int>(volume.bricks.size()) != volume.brick_count) {
    return Status::error(context + ": brickCount " + std::to_string(volume.brick_count) + " but " +
                         std::to_string(volume.bricks.size()) + " bricks listed");
  }
  for (pugi::xml_node option : node.child("options").children("option")) {
    std::string key = trim(option.child("name").child_value());
    if (key.empty()) return Status::error(context + ": option without a name");
    volume.options[key] = option.child("value").child_value();
  }
  return volume;
}

Expected<GlusterProcessStatus> parse_process_status(const pugi::xml_node& node) {
  GlusterProcessStatus process;
  process.hostname = trim(node.child("hostname").child_value());
  process.path = trim(node.child("path").child_value());
  process.peer_id = trim(node.child("peerid").child_value());
  auto status = required_int(node, "status");
  if (!status) return status.status().with_context("volume status of " + process.endpoint());
  process.online = *status == 1;
  process.port = to_int(node.child("port").child_value());  // "N/A" -> nullopt
  auto pid = to_int(node.child("pid").child_value());
  if (pid && *pid > 0) process.pid = pid;
  return process;
}

}  // namespace

std::string GlusterEnvelope::failure_message() const {
  if (!op_errstr.empty()) return op_errstr;
  if (!output.empty()) return output;
  return "opRet " + std::to_string(op_ret) + " opErrno " + std::to_string(op_errno);
}

std::string gluster_volume_state_name(GlusterVolumeState state) {
  switch (state) {
    case GlusterVolumeState::kCreated:
      return "Created";
    case GlusterVolumeState::kStarted:
      return "Started";
    case GlusterVolumeState::kStopped:
      return "Stopped";
  }
  return "Unknown";
}

std::vector<std::string> GlusterVolume::brick_endpoints() const {
  std::vector<std::string> endpoints;
  endpoints.reserve(bricks.size());
  for (const auto& brick : bricks) endpoints.push_back(brick.endpoint);
  return endpoints;
}

Expected<GlusterEnvelope> parse_gluster_envelope(const std::string& xml) {
  auto parsed = parse_document(xml);
  if (!parsed) return parsed.status();
  return (*parsed)->envelope;
}

Expected<std::vector<GlusterPeer>> parse_pool_list(const std::string& xml) {
  auto parsed = parse_successful(xml);
  if (!parsed) return parsed.status();
  pugi::xml_node peer_status = (*parsed)->root.child("peerStatus");
  if (!peer_status) return Status::error("pool list: missing <peerStatus>");
  std::vector<GlusterPeer> peers;
  for (pugi::xml_node node : peer_status.children("peer")) {
    GlusterPeer peer;
    peer.uuid = trim(node.child("uuid").child_value());
    peer.hostname = trim(node.child("hostname").child_value());
    peer.connected = optional_int(node, "connected") == 1;
    if (peer.hostname.empty()) return Status::error("pool list: peer without <hostname>");
    if (node.child("state")) {
      auto state = required_int(node, "state");
      if (!state) return state.status().with_context("pool list: peer " + peer.hostname);
      peer.state = *state;
      peer.state_name = trim(node.child("stateStr").child_value());
    }
    peer.names.push_back(peer.hostname);
    for (pugi::xml_node name : node.child("hostnames").children("hostname")) {
      std::string text = trim(name.child_value());
      if (!text.empty() && !peer.known_as(text)) peer.names.push_back(text);
    }
    peers.push_back(std::move(peer));
  }
  return peers;
}

bool GlusterPeer::in_cluster() const {
  return connected && (!state || *state == kGlusterPeerInCluster);
}

bool GlusterPeer::known_as(const std::string& name) const {
  if (hostname == name) return true;
  for (const auto& known : names)
    if (known == name) return true;
  return false;
}

Expected<std::vector<GlusterHealBrick>> parse_heal_summary(const std::string& xml) {
  auto parsed = parse_successful(xml);
  if (!parsed) return parsed.status();
  pugi::xml_node bricks = (*parsed)->root.child("healInfo").child("bricks");
  if (!bricks) return Status::error("heal info summary: missing <healInfo><bricks>");
  std::vector<GlusterHealBrick> out;
  for (pugi::xml_node node : bricks.children("brick")) {
    GlusterHealBrick brick;
    brick.endpoint = trim(node.child("name").child_value());
    brick.connected = trim(node.child("status").child_value()) == "Connected";
    // A brick that does not answer reports "-" for its counts.
    brick.pending = std::max(0, optional_int(node, "totalNumberOfEntries"));
    brick.split_brain = std::max(0, optional_int(node, "numberOfEntriesInSplitBrain"));
    out.push_back(std::move(brick));
  }
  return out;
}

Expected<std::vector<GlusterVolume>> parse_volume_info(const std::string& xml) {
  auto parsed = parse_successful(xml);
  if (!parsed) return parsed.status();
  pugi::xml_node volumes = (*parsed)->root.child("volInfo").child("volumes");
  if (!volumes) return Status::error("volume info: missing <volInfo><volumes>");
  std::vector<GlusterVolume> result;
  for (pugi::xml_node node : volumes.children("volume")) {
    auto volume = parse_volume(node);
    if (!volume) return volume.status().with_context("volume info");
    result.push_back(std::move(*volume));
  }
  return result;
}

Expected<std::optional<GlusterVolume>> parse_volume_info_of(const std::string& xml,
                                                            const std::string& name) {
  auto envelope = parse_gluster_envelope(xml);
  if (!envelope) return envelope.status();
  if (!envelope->ok() && envelope->op_errno == kGlusterErrnoNoVolume) {
    return std::optional<GlusterVolume>();
  }
  auto volumes = parse_volume_info(xml);
  if (!volumes) return volumes.status();
  for (auto& volume : *volumes) {
    if (volume.name == name) return std::optional<GlusterVolume>(std::move(volume));
  }
  return std::optional<GlusterVolume>();
}

namespace {

Expected<GlusterVolumeStatus> parse_one_volume_status(pugi::xml_node volume) {
  GlusterVolumeStatus status;
  status.name = trim(volume.child("volName").child_value());
  for (pugi::xml_node node : volume.children("node")) {
    auto process = parse_process_status(node);
    if (!process) return process.status();
    // Bricks have an absolute path; daemons list "localhost" there.
    bool is_brick = !process->path.empty() && process->path.front() == '/';
    (is_brick ? status.bricks : status.daemons).push_back(std::move(*process));
  }
  return status;
}

}  // namespace

Expected<GlusterVolumeStatus> parse_volume_status(const std::string& xml) {
  auto parsed = parse_successful(xml);
  if (!parsed) return parsed.status();
  pugi::xml_node volume = (*parsed)->root.child("volStatus").child("volumes").child("volume");
  if (!volume) return Status::error("volume status: missing <volStatus><volumes><volume>");
  return parse_one_volume_status(volume);
}

Expected<std::vector<GlusterVolumeStatus>> parse_volume_status_all(const std::string& xml) {
  auto parsed = parse_successful(xml);
  if (!parsed) return parsed.status();
  pugi::xml_node volumes = (*parsed)->root.child("volStatus").child("volumes");
  if (!volumes) return Status::error("volume status all: missing <volStatus><volumes>");
  std::vector<GlusterVolumeStatus> out;
  for (pugi::xml_node volume : volumes.children("volume")) {
    auto status = parse_one_volume_status(volume);
    if (!status) return status.status();
    out.push_back(std::move(*status));
  }
  return out;
}

}  // namespace pydio::common
