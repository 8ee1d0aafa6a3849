#include "agent/api/status_page.hpp"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <sstream>
#include <vector>

#include "agent/api/browser_guard.hpp"
#include "agent/api/html_text.hpp"

namespace pydio::agent::api {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

// Colours for a screen and a screenshot; the words in the cells say the same without them.
constexpr const char* kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:1.2em 2em;color:#1d2330;background:#fff}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.4em 0 .4em}
p.summary{margin:.2em 0;color:#4a5366}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #dde1e8;vertical-align:top}
#this-node td:nth-child(-n+2),#events td:nth-child(-n+5){white-space:nowrap}
th{background:#f2f4f7;font-weight:600}
tr.bad td{background:#fde3e3}tr.warn td{background:#fff4d6}
.word{font-weight:700;text-transform:uppercase;font-size:.85em;letter-spacing:.03em}
.bad .word,span.bad{color:#b3141a}.ok{color:#1c7a35}.warn .word{color:#8a5a00}
ul{margin:.2em 0;padding-left:1.4em}li.warning{color:#b3141a}
small,footer{color:#6b7385}footer{margin-top:2em;font-size:.85em}
)";

std::string text(const json& object, const char* key, const std::string& fallback = "") {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (it->is_string()) return it->get<std::string>().empty() ? fallback : it->get<std::string>();
  return it->dump(-1, ' ', false, json::error_handler_t::replace);
}

bool flag(const json& object, const char* key) {
  if (!object.is_object()) return false;
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

long long number(const json& object, const char* key, long long fallback = 0) {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<long long>() : fallback;
}

const json& items(const json& object, const char* key) {
  static const json kEmpty = json::array();
  if (!object.is_object()) return kEmpty;
  const auto it = object.find(key);
  return it != object.end() && it->is_array() ? *it : kEmpty;
}

std::string item_text(const json& item) {
  return item.is_string() ? item.get<std::string>()
                          : item.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string joined(const json& list, const std::string& separator) {
  std::string out;
  for (const auto& item : list) out += (out.empty() ? "" : separator) + item_text(item);
  return out;
}

// A table row: `cells` are already HTML; `row_class` "bad", "warn" or "".
std::string row(const std::vector<std::string>& cells, const std::string& row_class = "",
                const std::string& attributes = "") {
  std::string out = "<tr";
  if (!row_class.empty()) out += " class=\"" + row_class + "\"";
  out += attributes + ">";
  for (const auto& cell : cells) out += "<td>" + cell + "</td>";
  return out + "</tr>\n";
}

std::string header_row(const std::vector<const char*>& names) {
  std::string out = "<tr>";
  for (const char* name : names) out += std::string("<th>") + name + "</th>";
  return out + "</tr>\n";
}

// A verdict word and its detail, both escaped: "<span class=word>drained</span> reason".
std::string said(const std::string& word, const std::string& detail) {
  std::string out = "<span class=\"word\">" + html_escape(word) + "</span>";
  if (!detail.empty()) out += " " + html_text(detail);
  return out;
}

struct NodeVerdict {
  bool bad;
  std::string word;
  std::string detail;
};

NodeVerdict node_verdict(const json& node) {
  if (!flag(node, "reachable")) return {true, "unreachable", text(node, "error")};
  if (!text(node, "error").empty()) return {true, "unreadable", text(node, "error")};
  const std::string reasons = joined(items(node, "reasons"), "; ");
  if (flag(node, "draining")) return {true, "drained", reasons};
  if (!flag(node, "healthy")) return {true, "unhealthy", reasons};
  return {false, "healthy", ""};
}

std::string nodes_section(const json& cluster) {
  std::ostringstream out;
  out << "<section id=\"nodes\"><h2>Nodes</h2><table>\n"
      << header_row(
             {"Node", "Address", "Roles", "Health", "Gen", "Release", "Database", "Gluster peer"});
  for (const auto& node : items(cluster, "nodes")) {
    const NodeVerdict verdict = node_verdict(node);
    const std::string peer = text(node, "peer", "-");
    const bool peer_bad = peer == "disconnected" || peer == "not in pool";
    out << row({html_text(text(node, "name", "-")), html_text(text(node, "address", "-")),
                html_text(joined(items(node, "roles"), ",")),
                verdict.bad ? said(verdict.word, verdict.detail)
                            : "<span class=\"ok\">" + html_escape(verdict.word) + "</span>",
                flag(node, "reachable") ? html_text(text(node, "generation", "-")) : "-",
                html_text(text(node, "release", "-")), html_text(text(node, "database", "-")),
                peer_bad ? "<span class=\"bad\">" + html_text(peer) + "</span>" : html_text(peer)},
               verdict.bad ? "node bad" : "node",
               " data-node=\"" + html_text(text(node, "name")) + "\"");
  }
  out << "</table></section>\n";
  return out.str();
}

std::string volumes_section(const json& cluster) {
  const json& volumes = items(cluster, "volumes");
  if (volumes.empty()) return "";
  std::ostringstream out;
  out << "<section id=\"volumes\"><h2>Volumes</h2><table>\n"
      << header_row({"Volume", "State", "Type", "Bricks online", "Heal pending", "Bricks"});
  for (const auto& volume : volumes) {
    const std::string name = html_text(text(volume, "name", "-"));
    if (!flag(volume, "exists")) {
      out << row({name, said("missing", text(volume, "error", "not created")), "-", "-", "-", "-"},
                 "volume bad");
      continue;
    }
    const json& bricks = items(volume, "bricks");
    const json& online = items(volume, "bricksOnline");
    std::string brick_list;
    for (const auto& brick : bricks) {
      bool up = false;
      for (const auto& on : online) up = up || on == brick;
      brick_list +=
          html_text(item_text(brick)) +
          (up ? " <span class=\"ok\">online</span>" : " <span class=\"bad\">offline</span>") +
          "<br>";
    }
    const long long pending = number(volume, "healPending", -1);
    const long long split = number(volume, "splitBrain", 0);
    std::string heal = pending < 0 ? "-" : std::to_string(pending);
    if (split > 0) heal = said("split-brain " + std::to_string(split), heal + " pending");
    if (!text(volume, "healError").empty()) heal = said("unknown", text(volume, "healError"));
    const std::string state = text(volume, "state", "-");
    const bool bad = state != "Started" || online.size() < bricks.size() || split > 0;
    out << row(
        {name, state == "Started" ? html_text(state) : said(state, ""),
         html_text(text(volume, "type", "-")),
         std::to_string(online.size()) + "/" + std::to_string(bricks.size()), heal, brick_list},
        bad ? "volume bad" : (pending > 0 ? "volume warn" : "volume"));
  }
  out << "</table></section>\n";
  return out.str();
}

std::string list_items(const json& lines, const char* item_class) {
  std::string out;
  for (const auto& line : lines)
    out +=
        std::string("<li class=\"") + item_class + "\">" + html_text(item_text(line)) + "</li>\n";
  return out;
}

std::string messages_section(const json& cluster, const json& view) {
  std::string lines = list_items(items(cluster, "warnings"), "warning");
  if (const std::string error = text(view, "clusterError"); !error.empty())
    lines = "<li class=\"warning\">cluster view: " + html_text(error) + "</li>\n" + lines;
  lines += list_items(items(cluster, "waiting"), "waiting");
  lines += list_items(items(cluster, "notes"), "note");
  if (lines.empty()) return "";
  return "<section id=\"messages\"><h2>Warnings, waits and notes</h2><ul>\n" + lines +
         "</ul></section>\n";
}

std::string leader_text(const json& leader) {
  const std::string holder = text(leader, "holder");
  std::string out = flag(leader, "isLeader") ? "this node" : (holder.empty() ? "none" : holder);
  if (number(leader, "term") > 0) out += " (term " + std::to_string(number(leader, "term")) + ")";
  if (const std::string error = text(leader, "error"); !error.empty()) out += ": " + error;
  return out;
}

std::string this_node_section(const json& status) {
  std::ostringstream out;
  const json health = status.is_object() ? status.value("health", json::object()) : json();
  out << "<section id=\"this-node\"><h2>This node: " << html_text(text(status, "node", "-"))
      << "</h2><p class=\"summary\">";
  if (flag(health, "healthy")) {
    out << "<span class=\"ok\">healthy</span>";
  } else {
    out << "<span class=\"bad\"><span class=\"word\">unhealthy</span> "
        << html_text(joined(items(health, "reasons"), "; ")) << "</span>";
  }
  out << " · leader " << html_text(leader_text(status.value("leader", json::object())))
      << " · desired generation " << html_text(text(status, "generation", "0"));
  if (const std::string rejected = text(status, "desiredError"); !rejected.empty())
    out << " · <span class=\"bad\">last document rejected: " << html_text(rejected) << "</span>";
  out << " · version " << html_text(text(status, "version", "-")) << "</p><table>\n"
      << header_row({"Resource", "State", "Detail"});
  for (const auto& resource : items(status, "resources")) {
    const std::string state = text(resource, "state", "-");
    std::string detail = text(resource, "lastError");
    if (detail.empty()) detail = text(resource, "waitingFor");
    // Waiting for the leader lease is every non-leader's normal state (as in agentctl status).
    const bool waits =
        (state == "waiting" || state == "blocked") && detail.rfind("leader lease", 0) != 0;
    out << row({html_text(text(resource, "name", "-")),
                state == "error" ? said(state, "") : html_text(state), html_text(detail)},
               state == "error" ? "bad" : (waits ? "warn" : ""));
  }
  out << "</table></section>\n";
  return out.str();
}

std::string events_section(const json& events) {
  std::ostringstream out;
  out << "<section id=\"events\"><h2>Last events of this node <small>(newest first)</small>"
         "</h2><table>\n"
      << header_row({"Time", "Resource", "Action", "Outcome", "Duration", "Message"});
  if (!events.is_array() || events.empty()) out << "<tr><td colspan=\"6\">no events</td></tr>\n";
  for (auto it = events.rbegin(); events.is_array() && it != events.rend(); ++it) {
    const std::string outcome = text(*it, "outcome", "-");
    const long long ms = number(*it, "durationMs", -1);
    out << row({html_text(text(*it, "time", "-")), html_text(text(*it, "resource", "-")),
                html_text(text(*it, "action", "-")),
                outcome == "error" ? said(outcome, "") : html_text(outcome),
                ms < 0 ? "-" : std::to_string(ms) + " ms", html_text(text(*it, "message"))},
               outcome == "error" ? "event bad" : "event");
  }
  out << "</table></section>\n";
  return out.str();
}

// The headline: the cluster, how many nodes need attention, the leader, the view's age.
std::string summary(const json& status, const json& cluster) {
  std::ostringstream out;
  int attention = 0;
  for (const auto& node : items(cluster, "nodes")) attention += node_verdict(node).bad ? 1 : 0;
  const std::size_t total = items(cluster, "nodes").size();
  out << "<h1>pydio cluster " << html_text(text(cluster, "name", "-")) << " · ";
  if (attention == 0)
    out << "<span class=\"ok\">all " << total << " nodes healthy</span>";
  else
    out << "<span class=\"bad\">" << attention << " of " << total << " nodes need attention</span>";
  const json leader = cluster.value("leader", json::object());
  out << "</h1>\n<p class=\"summary\">leader " << html_text(leader_text(leader)) << " · generation "
      << html_text(text(cluster, "generation", "-")) << " · seen from "
      << html_text(text(status, "node", "-")) << "</p>\n";
  return out.str();
}

}  // namespace

std::string render_status_page(const json& view) {
  const json status = view.is_object() ? view.value("status", json::object()) : json::object();
  const json cluster = view.is_object() ? view.value("cluster", json()) : json();
  const long long refresh = std::max(1LL, number(view, "refreshSeconds", 10));
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      << "<meta http-equiv=\"refresh\" content=\"" << refresh << "\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
      << "<title>pydio-agent: " << html_text(text(cluster, "name", "no cluster")) << " ("
      << html_text(text(status, "node", "-")) << ")</title>\n<style>" << kStyle
      << "</style></head>\n<body>\n";
  if (cluster.is_object()) {
    out << summary(status, cluster) << nodes_section(cluster) << volumes_section(cluster)
        << messages_section(cluster, view);
  } else {
    out << "<h1>pydio-agent on " << html_text(text(status, "node", "-")) << "</h1>\n"
        << "<p class=\"summary\">no desired state yet: run <code>agentctl init --spec FILE</code>"
           " on the first node or <code>agentctl join</code> here</p>\n"
        << messages_section(json::object(), view);
  }
  out << this_node_section(status) << events_section(view.value("events", json::array()))
      << "<footer>read-only · cluster view #" << number(view, "clusterView") << ", taken "
      << number(view, "clusterAgeSeconds") << " s ago and shared by every open page (the agent "
      << "asks the other nodes at most every " << number(view, "maxAgeSeconds") << " s) · "
      << "this page reloads every " << refresh << " s · generated "
      << html_text(text(view, "now", "-")) << "</footer>\n</body></html>\n";
  return out.str();
}

Response status_page_response(const Request& request, const json& view) {
  Response response{http::status::ok, request.version()};
  response.set(http::field::content_type, "text/html; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  // Nothing to run and nothing to load: inline style only. No framing (clickjacking), no
  // referrer, no sniffing into another type.
  response.set("Content-Security-Policy",
               "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
               "form-action 'none'; frame-ancestors 'none'");
  response.set(http::field::x_frame_options, "DENY");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  response.keep_alive(request.keep_alive());
  set_body(request, response, render_status_page(view));
  return response;
}

Response status_page_for_loopback(const Request& request,
                                  const std::function<nlohmann::json()>& view) {
  if (!loopback_host(request)) {
    return error_response(request, http::status::forbidden,
                          "Host: the status page answers only to localhost, 127.0.0.1 or [::1] "
                          "(open it as http://localhost:PORT/ through ssh -L)");
  }
  return status_page_response(request, view());
}

}  // namespace pydio::agent::api
