// agentctl: the operator's command line for pydio-agentd. Talks to the daemon's admin API over
// its root-only unix socket (agent/api/admin_api.hpp); `validate` works offline.

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <string>

#include "agent/ctl/commands.hpp"
#include "common/local_config.hpp"

namespace {

using pydio::agent::ctl::GlobalOptions;
using pydio::agent::ctl::OutputFormat;

constexpr const char* kSocketEnv = "PYDIO_AGENT_SOCKET";

// The admin socket, by precedence: --socket, $PYDIO_AGENT_SOCKET, admin_socket in the local
// config file (when it exists), the built-in default.
std::string resolve_socket(const std::string& flag, const std::string& config_path) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv(kSocketEnv); env != nullptr && *env != '\0') return env;
  struct stat st {};
  if (::stat(config_path.c_str(), &st) == 0) {
    auto config = pydio::common::load_local_config(config_path);
    if (config) return config->admin_socket;
    std::cerr << "warning: " << config.status().message() << "; using the default socket\n";
  }
  return pydio::common::LocalConfig{}.admin_socket;
}

OutputFormat parse_format(const std::string& text) {
  return text == "json" ? OutputFormat::kJson : OutputFormat::kText;
}

}  // namespace

int main(int argc, char** argv) {
  namespace ctl = pydio::agent::ctl;
  CLI::App app{"agentctl: control and inspect pydio-agentd on this node"};
  app.require_subcommand(1);
  app.footer(
      "Exit status: 0 success; 1 refused or invalid (the reason is printed); 2 pydio-agentd "
      "could not be reached.");

  std::string socket_flag;
  std::string config_path = pydio::common::kDefaultConfigPath;
  int timeout_seconds = 30;
  app.add_option("--socket", socket_flag,
                 "admin socket of pydio-agentd (default: $PYDIO_AGENT_SOCKET, else admin_socket "
                 "from the local config, else /run/pydio-agent/admin.sock)");
  app.add_option("--config", config_path, "local config file to read the socket path from")
      ->capture_default_str();
  app.add_option("--timeout", timeout_seconds, "seconds to wait for the daemon's answer")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));

  std::string status_format = "table";
  bool status_local = false;
  auto* status = app.add_subcommand(
      "status", "this node (leader, desired generation, resources) and the cluster table");
  status->add_option("-o,--output", status_format, "output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  status->add_flag("--local", status_local, "this node only; do not ask the other agents");

  std::string plan_format = "text";
  auto* plan = app.add_subcommand("plan", "what the next pass would do (changes nothing)");
  plan->add_option("-o,--output", plan_format, "output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  auto* reconcile = app.add_subcommand("reconcile", "ask for a reconcile pass now");

  std::string drain_reason;
  auto* drain = app.add_subcommand("drain", "take this node out of the balancer (health 503)");
  drain->add_option("--reason", drain_reason, "why, shown in status");

  auto* undrain = app.add_subcommand("undrain", "put this node back into the balancer");

  int event_count = 20;
  std::string events_format = "text";
  auto* events = app.add_subcommand("events", "the last actions the agent took");
  events->add_option("-n", event_count, "how many events")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  events->add_option("-o,--output", events_format, "output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  bool events_follow = false;
  events->add_flag("-f,--follow", events_follow,
                   "then print each new event as the agent records it, until interrupted "
                   "(json: one object per line)");

  std::string spec_path;
  auto* init = app.add_subcommand("init", "validate a cluster spec and make it the desired state");
  init->add_option("--spec", spec_path, "desired-state document (JSON)")->required();

  std::string apply_path;
  auto* apply = app.add_subcommand(
      "apply",
      "change the cluster's desired state: the document becomes the next generation if the one "
      "it is based on (its generation; absent: the one in force) is still in force");
  apply->add_option("--spec", apply_path, "desired-state document (JSON)")->required();

  std::string diff_path;
  auto* diff = app.add_subcommand(
      "diff",
      "what applying FILE would change against the document in force: fields, and resources on "
      "which nodes (exit 0 no change, 1 changes, 2 trouble)");
  diff->add_option("FILE", diff_path, "desired-state document (JSON)")->required();
  diff->footer(
      "Exit status, as diff(1): 0 no change; 1 changes (printed); 2 trouble: FILE unreadable or "
      "invalid, no desired state in force, or pydio-agentd could not be reached.");

  auto* edit = app.add_subcommand(
      "edit",
      "open the document in force in $VISUAL or $EDITOR (default editor, else vi; split at "
      "spaces, no shell), validate on save and reopen with the problems on top, then apply it");

  std::string join_peer;
  std::string join_token;
  std::string join_token_file;
  std::string join_ca_hash;
  std::string join_roles;
  std::string join_device;
  auto* join = app.add_subcommand("join", "join this node to a cluster through one of its nodes");
  join->add_option("PEER", join_peer, "address of any node of the cluster (its agent's peer API)")
      ->required();
  auto* token_flag = join->add_option(
      "--token", join_token,
      "a join token of the cluster (printed by agentctl init or agentctl token create); other "
      "local users can read it in the process list while the join runs: --token-file avoids that");
  auto* token_file_flag = join->add_option(
      "--token-file", join_token_file,
      "read the join token from this file (\"-\": standard input) instead of the command line");
  token_flag->excludes(token_file_flag);
  token_file_flag->excludes(token_flag);
  join->add_option("--ca-cert-hash", join_ca_hash,
                   "sha256:<hex> of the cluster CA's public key (printed by agentctl init); the "
                   "token is sent only to an agent that presents this CA")
      ->required();
  join->add_option("--roles", join_roles,
                   "comma-separated roles of a node the desired state does not list yet "
                   "(storage, compute, db, lb)");
  join->add_option("--device", join_device, "data brick device of a new storage node");
  bool join_replace_key = false;
  join->add_flag("--replace-signing-key", join_replace_key,
                 "this node missed more than one rotation of the cluster's signing key: trust "
                 "the key the (pinned) answer carries instead of the one it holds");

  auto* token = app.add_subcommand(
      "token", "join tokens: short-lived, revocable, printed once (run on a storage node)");
  token->require_subcommand(1);
  std::string token_ttl = "24h";
  std::string token_description;
  auto* token_create = token->add_subcommand(
      "create", "make a join token and print it with the join command (shown only this once)");
  token_create
      ->add_option("--ttl", token_ttl,
                   "how long the token admits joins, from 1m to 720h (e.g. 2h30m)")
      ->capture_default_str();
  token_create->add_option("--description", token_description,
                           "what the token is for (shown by list)");
  auto* token_list =
      token->add_subcommand("list", "the join tokens: id, expiry or \"expired\", description");
  std::string token_id;
  auto* token_delete =
      token->add_subcommand("delete", "revoke a join token: it admits no node any more");
  token_delete->add_option("ID", token_id, "the token's id (the part before the \".\")")
      ->required();

  auto* upgrade = app.add_subcommand(
      "upgrade",
      "on ONE storage node of a cluster of the previous release, once its agent is replaced: "
      "sign its desired state, create the cluster CA and a first join token");

  auto* rotate = app.add_subcommand("rotate", "replace one of the cluster's keys (on a storage node)");
  rotate->require_subcommand(1);
  auto* rotate_signing = rotate->add_subcommand(
      "signing-key",
      "a new desired-state signing key, vouched for by the old one: every node moves to it "
      "as it adopts the next generation; the old private key is removed everywhere");
  auto* rotate_ca = rotate->add_subcommand(
      "ca",
      "a new cluster CA: every node trusts it, renews its certificate under it, then the old CA "
      "is retired, without a gap in peer traffic");

  auto* app_command = app.add_subcommand("app", "the Pydio release the cluster serves");
  app_command->require_subcommand(1);
  std::string publish_file;
  auto* app_publish = app_command->add_subcommand(
      "publish",
      "on a storage node: check a Pydio release archive (pydio-core-<version>.tar.gz), "
      "store it on pydio-config and make it the cluster's release (a new one rolls out one "
      "compute node at a time)");
  app_publish->add_option("FILE", publish_file, "the release archive (.tar.gz)")->required();

  auto* db_command = app.add_subcommand("db", "the database tier (Galera)");
  db_command->require_subcommand(1);
  std::string bootstrap_node;
  bool bootstrap_force = false;
  auto* db_bootstrap = db_command->add_subcommand(
      "bootstrap",
      "after an outage in which a db node stays silent: start the Galera cluster from NODE's "
      "data (the other db nodes join it); needs --force");
  db_bootstrap->add_option("NODE", bootstrap_node, "the db node to start the cluster from")
      ->required();
  db_bootstrap->add_flag("--force", bootstrap_force,
                         "yes: transactions only a silent member committed are lost");

  std::string backups_format = "table";
  auto* db_backups = db_command->add_subcommand(
      "backups", "the database backups in the backup folder (on a db or compute node)");
  db_backups->add_option("-o,--output", backups_format, "output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  std::string restore_name;
  bool restore_yes = false;
  auto* db_restore = db_command->add_subcommand(
      "restore",
      "on a db node: restore the backup NAME (agentctl db backups) into the whole database "
      "tier; shows the steps and asks first");
  db_restore->add_option("NAME", restore_name, "the backup, <YYYYMMDDTHHMMSSZ>-<node>")->required();
  db_restore->add_flag("--yes", restore_yes, "do not ask (scripts): the steps are still printed");
  auto* db_release = db_command->add_subcommand(
      "release", "end the hold a restore put on every db member's server (after a failed restore)");

  std::string validate_path;
  auto* validate = app.add_subcommand("validate", "check a desired-state document (offline)");
  validate->add_option("FILE", validate_path, "desired-state document (JSON)")->required();

  auto* version = app.add_subcommand("version", "versions of agentctl and the running daemon");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return ctl::kExitFailed;
  }

  if (validate->parsed()) return ctl::run_validate(validate_path);

  GlobalOptions global;
  global.socket_path = resolve_socket(socket_flag, config_path);
  global.timeout = std::chrono::seconds(timeout_seconds);

  if (status->parsed()) return ctl::run_status(global, parse_format(status_format), status_local);
  if (plan->parsed()) return ctl::run_plan(global, parse_format(plan_format));
  if (reconcile->parsed()) return ctl::run_reconcile(global);
  if (drain->parsed()) return ctl::run_drain(global, drain_reason);
  if (undrain->parsed()) return ctl::run_undrain(global);
  if (events->parsed() && events_follow)
    return ctl::run_events_follow(global, event_count, parse_format(events_format));
  if (events->parsed()) return ctl::run_events(global, event_count, parse_format(events_format));
  if (init->parsed()) return ctl::run_init(global, spec_path);
  if (apply->parsed()) return ctl::run_apply(global, apply_path);
  if (diff->parsed()) return ctl::run_diff(global, diff_path);
  if (edit->parsed()) return ctl::run_edit(global);
  if (join->parsed()) {
    if (join_token.empty() && join_token_file.empty()) {
      std::cerr << "join: give the join token with --token TOKEN or --token-file FILE\n";
      return ctl::kExitFailed;
    }
    if (!join_token_file.empty()) {
      auto read = ctl::read_token_file(join_token_file);
      if (!read) {
        std::cerr << "join: --token-file: " << read.status().message() << "\n";
        return ctl::kExitFailed;
      }
      join_token = *read;
    }
    return ctl::run_join(global, join_peer, join_token, join_ca_hash, join_roles, join_device,
                         join_replace_key);
  }
  if (token_create->parsed()) return ctl::run_token_create(global, token_ttl, token_description);
  if (token_list->parsed()) return ctl::run_token_list(global);
  if (upgrade->parsed()) return ctl::run_upgrade(global);
  if (rotate_signing->parsed()) return ctl::run_rotate_signing_key(global);
  if (rotate_ca->parsed()) return ctl::run_rotate_ca(global);
  if (token_delete->parsed()) return ctl::run_token_delete(global, token_id);
  if (app_publish->parsed()) return ctl::run_app_publish(global, publish_file);
  if (db_bootstrap->parsed()) return ctl::run_db_bootstrap(global, bootstrap_node, bootstrap_force);
  if (db_backups->parsed())
    return ctl::run_db_backups(global, backups_format == "json" ? ctl::OutputFormat::kJson
                                                                : ctl::OutputFormat::kText);
  if (db_restore->parsed()) return ctl::run_db_restore(global, restore_name, restore_yes);
  if (db_release->parsed()) return ctl::run_db_release(global);
  if (version->parsed()) return ctl::run_version(global);
  return ctl::kExitFailed;
}
