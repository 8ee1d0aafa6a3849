#include "agent/ctl/admin_text.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

namespace pydio::agent::api {

using nlohmann::json;

namespace {

// The string at `key`, or `fallback` when it is absent, null or empty.
std::string text(const json& object, const char* key, const std::string& fallback = "") {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (it->is_string()) return it->get<std::string>().empty() ? fallback : it->get<std::string>();
  return it->dump();
}

bool flag(const json& object, const char* key) {
  if (!object.is_object()) return false;
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

const json& array_at(const json& object, const char* key) {
  static const json kEmpty = json::array();
  if (!object.is_object()) return kEmpty;
  const auto it = object.find(key);
  return it != object.end() && it->is_array() ? *it : kEmpty;
}

// A string item as it is, anything else as JSON.
std::string item_text(const json& item) {
  return item.is_string() ? item.get<std::string>() : item.dump();
}

std::string join(const json& strings, const std::string& separator) {
  std::string out;
  for (const auto& item : strings) {
    if (!out.empty()) out += separator;
    out += item_text(item);
  }
  return out;
}

// Left-aligned columns, two spaces apart; the last column is not padded.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::ostringstream out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);  // an empty last cell leaves no trailing blanks
    out << line << "\n";
  }
  return out.str();
}

// "42ms", or "-" when the event has no duration.
std::string event_duration(const json& event) {
  if (event.is_object() && event.contains("durationMs") && event["durationMs"].is_number()) {
    return event["durationMs"].dump() + "ms";
  }
  return "-";
}

}  // namespace

std::string format_status(const json& status) {
  std::ostringstream out;
  out << "node:       " << text(status, "node", "-") << "\n";

  const json leader = status.is_object() ? status.value("leader", json::object()) : json::object();
  out << "leader:     ";
  const std::string holder = text(leader, "holder");
  if (flag(leader, "isLeader")) {
    out << "this node";
  } else {
    out << (holder.empty() ? "none" : holder);
  }
  if (leader.contains("term") && leader["term"].is_number()) out << ", term " << leader["term"];
  // The database member the lease talks to: with Galera, which one this node is on.
  if (const std::string member = text(leader, "member"); !member.empty()) {
    out << ", database " << member;
  }
  if (const std::string error = text(leader, "error"); !error.empty()) out << " (" << error << ")";
  out << "\n";

  out << "desired:    ";
  if (status.is_object() && status.contains("generation") && status["generation"].is_number() &&
      status["generation"].get<long long>() > 0) {
    out << "generation " << status["generation"];
  } else {
    out << "no valid desired state";
  }
  if (const std::string error = text(status, "desiredError"); !error.empty()) {
    out << "; last document rejected: " << error;
  }
  out << "\n";

  if (status.is_object() && status.contains("glusterTls")) {  // absent: a daemon before it
    out << "gluster:    "
        << (flag(status, "glusterTls")
                ? "TLS on (management and I/O; volumes admit only the cluster's certificates)"
                : "TLS off (volumes admit the cluster's addresses: auth.allow)")
        << "\n";
  }

  if (status.is_object() && status.contains("signing")) {  // absent: a daemon before signing
    const json& signing = status["signing"];
    out << "signing:    ";
    if (signing.is_object()) {
      out << "key " << text(signing, "keyId");
      if (flag(signing, "missingPrivateKey"))
        out << " (rotated; this storage node is fetching its private key from the leader)";
      else
        out << (flag(signing, "canSign") ? " (signs: this node may lead)" : " (verifies only)");
      if (!flag(signing, "inForceSigned")) out << "; the document in force is not signed";
    } else {
      out << "no key yet (run agentctl init or agentctl join)";
    }
    out << "\n";
  }

  if (status.is_object() && status.contains("certificate")) {  // absent: before renewal
    const json& certificate = status["certificate"];
    out << "node cert:  ";
    if (certificate.is_object() && !text(certificate, "notAfter").empty()) {
      out << "valid until " << text(certificate, "notAfter") << ", renewed from "
          << text(certificate, "renewFrom") << " (serial " << text(certificate, "serial") << ")";
      const std::string renewal = text(certificate, "renewal");
      if (renewal == "due" || renewal == "expired") out << "; renewal " << renewal;
      if (const std::string error = text(certificate, "error"); !error.empty())
        out << "; renewal failed: " << error;
    } else if (certificate.is_object()) {
      out << text(certificate, "error", "unreadable");
    } else {
      out << "none yet (run agentctl init or agentctl join)";
    }
    out << "\n";
  }

  if (status.is_object() && status.contains("ca") && status["ca"].is_object()) {
    const json& ca = status["ca"];
    out << "cluster CA: " << text(ca, "pin") << " (agentctl join --ca-cert-hash)";
    // The leader knows how far a rotation got; the cluster table carries its report.
    std::string progress = text(ca, "progress");
    if (progress.empty() && status.contains("cluster") && status["cluster"].is_object())
      progress = text(status["cluster"], "caRotation");
    if (!progress.empty()) {
      out << "\n" << progress;
    } else if (text(ca, "phase") == "introducing" || text(ca, "phase") == "retiring") {
      out << "\nCA rotation under way (" << text(ca, "phase") << " the new CA)";
    }
    out << "\n";
  }

  out << "draining:   ";
  if (flag(status, "draining")) {
    out << "yes";
    if (const std::string reason = text(status, "drainReason"); !reason.empty()) {
      out << " (" << reason << ")";
    }
  } else {
    out << "no";
  }
  out << "\n";

  const json health = status.is_object() ? status.value("health", json::object()) : json::object();
  out << "health:     ";
  if (flag(health, "healthy")) {
    out << "healthy";
  } else {
    const std::string reasons = join(array_at(health, "reasons"), "; ");
    out << "unhealthy" << (reasons.empty() ? "" : ": " + reasons);
  }
  out << "\n";

  const json& resources = array_at(status, "resources");
  if (resources.empty()) {
    out << "\nno resources\n";
    return out.str();
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "STATE", "LAST-ERROR"}};
  for (const auto& resource : resources) {
    std::string detail = text(resource, "lastError");
    if (detail.empty()) {
      // An in-sync resource's text is a note (e.g. which PHP runs), not something awaited.
      const std::string waiting = text(resource, "waitingFor");
      if (waiting.empty())
        detail = "-";
      else if (text(resource, "state") == "in-sync")
        detail = "(" + waiting + ")";
      else
        detail = "(waiting for " + waiting + ")";
    }
    rows.push_back({text(resource, "name", "-"), text(resource, "state", "-"), detail});
  }
  out << "\n" << table(rows);
  if (status.contains("cluster") && status["cluster"].is_object())
    out << "\n" << format_cluster(status["cluster"]);
  return out.str();
}

std::string format_plan(const json& plan) {
  std::ostringstream out;
  std::size_t actions = 0;
  for (const auto& resource : array_at(plan, "resources")) {
    const std::string name = text(resource, "name", "-");
    if (const std::string error = text(resource, "error"); !error.empty()) {
      out << name << ": cannot observe: " << error << "\n";
    }
    if (const std::string waiting = text(resource, "waitingFor"); !waiting.empty()) {
      out << name << ": waiting for " << waiting << "\n";
    }
    for (const auto& action : array_at(resource, "actions")) {
      out << name << ": " << text(action, "description", text(action, "kind", "-")) << "\n";
      ++actions;
    }
  }
  if (actions == 0) out << "nothing to do\n";
  return out.str();
}

std::string format_events(const json& events) {
  if (!events.is_array() || events.empty()) return "no events\n";
  std::vector<std::vector<std::string>> rows = {
      {"TIME", "RESOURCE", "ACTION", "OUTCOME", "DURATION", "MESSAGE"}};
  for (const auto& event : events) {
    rows.push_back({text(event, "time", "-"), text(event, "resource", "-"),
                    text(event, "action", "-"), text(event, "outcome", "-"), event_duration(event),
                    text(event, "message", "")});
  }
  return table(rows);
}

std::string format_event_line(const json& event) {
  const std::string duration = event_duration(event);
  std::string line = text(event, "time", "-") + "  " + text(event, "resource", "-") + "  " +
                     text(event, "action", "-") + "  " + text(event, "outcome", "-") + "  " +
                     duration;
  const std::string message = text(event, "message", "");
  if (!message.empty()) line += "  " + message;
  return line + "\n";
}

std::string format_tokens(const json& answer) {
  const json& tokens = array_at(answer, "tokens");
  if (tokens.empty()) return "no join tokens (agentctl token create makes one)\n";
  std::vector<std::vector<std::string>> rows = {{"ID", "EXPIRES", "DESCRIPTION"}};
  for (const auto& token : tokens) {
    const bool expired = token.is_object() && token.value("expired", false);
    rows.push_back({text(token, "id", "-"), expired ? "expired" : text(token, "expires", "-"),
                    text(token, "description", "")});
  }
  return table(rows);
}

std::string format_errors(const json& answer) {
  std::string out;
  for (const auto& error : array_at(answer, "errors")) {
    out += (error.is_string() ? error.get<std::string>() : error.dump()) + "\n";
  }
  if (out.empty()) out = text(answer, "error", "rejected without a reason") + "\n";
  return out;
}

std::string format_roles(const json& roles) {
  const std::string text = roles.is_array() ? join(roles, ",") : "";
  return text.empty() ? "no role" : text;
}

std::string format_cluster(const json& cluster) {
  std::ostringstream out;
  if (!cluster.is_object()) return out.str();
  const json leader = cluster.value("leader", json::object());
  const std::string holder = text(leader, "holder");
  out << "cluster:    " << text(cluster, "name", "-") << ", generation "
      << text(cluster, "generation", "-") << ", leader "
      << (holder.empty() ? "none" : holder + " (term " + text(leader, "term", "?") + ")") << "\n\n";

  std::vector<std::vector<std::string>> nodes = {
      {"NODE", "ADDRESS", "ROLES", "HEALTH", "GEN", "RELEASE", "DATABASE", "GLUSTER-PEER"}};
  for (const auto& node : array_at(cluster, "nodes")) {
    std::string health;
    if (!flag(node, "reachable")) {
      health = "unreachable";
    } else if (flag(node, "healthy")) {
      health = "healthy";
    } else {
      const std::string reasons = join(array_at(node, "reasons"), "; ");
      health = "unhealthy" + (reasons.empty() ? "" : ": " + reasons);
    }
    nodes.push_back({text(node, "name", "-"), text(node, "address", "-"),
                     join(array_at(node, "roles"), ","), health,
                     flag(node, "reachable") ? text(node, "generation", "-") : "-",
                     text(node, "release", "-"), text(node, "database", "-"),
                     text(node, "peer", "-")});
  }
  out << table(nodes);

  const json& volumes = array_at(cluster, "volumes");
  if (!volumes.empty()) {
    std::vector<std::vector<std::string>> rows = {
        {"VOLUME", "STATE", "TYPE", "BRICKS-ONLINE", "HEAL-PENDING"}};
    for (const auto& volume : volumes) {
      if (!flag(volume, "exists")) {
        rows.push_back(
            {text(volume, "name", "-"), text(volume, "error", "not created"), "-", "-", "-"});
        continue;
      }
      const std::string online = std::to_string(array_at(volume, "bricksOnline").size()) + "/" +
                                 std::to_string(array_at(volume, "bricks").size());
      std::string heal = text(volume, "healPending", "-");
      if (volume.contains("splitBrain") && volume["splitBrain"].is_number() &&
          volume["splitBrain"].get<int>() > 0) {
        heal += " (split-brain " + volume["splitBrain"].dump() + ")";
      }
      rows.push_back({text(volume, "name", "-"), text(volume, "state", "-"),
                      text(volume, "type", "-"), online, heal});
    }
    out << "\n" << table(rows);
  }
  for (const auto& line : array_at(cluster, "waiting"))
    out << "waiting:    " << item_text(line) << "\n";
  for (const auto& line : array_at(cluster, "notes")) out << "note:       " << item_text(line) << "\n";
  for (const auto& line : array_at(cluster, "warnings"))
    out << "warning:    " << item_text(line) << "\n";
  return out.str();
}

}  // namespace pydio::agent::api
