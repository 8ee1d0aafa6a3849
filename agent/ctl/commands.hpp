#pragma once
// agentctl's subcommands. Each returns the process exit code:
//   0 success; 1 refused (invalid document, daemon said no, bad file); 2 the daemon could not be
//   reached (not running, no answer in time). Results go to stdout, problems to stderr.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.hpp"

namespace pydio::agent::ctl {

enum class OutputFormat { kText, kJson };

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUnreachable = 2;
// agentctl diff, as diff(1): 0 no difference, 1 differences, 2 trouble (the file is unreadable
// or invalid, no document in force, or the daemon could not be reached).
inline constexpr int kExitDiffTrouble = 2;

struct GlobalOptions {
  std::string socket_path;
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

// local_only: this node alone, without asking the other agents (faster).
int run_status(const GlobalOptions& global, OutputFormat format, bool local_only);
int run_plan(const GlobalOptions& global, OutputFormat format);
int run_reconcile(const GlobalOptions& global);
int run_drain(const GlobalOptions& global, const std::string& reason);
int run_undrain(const GlobalOptions& global);
int run_events(const GlobalOptions& global, int count, OutputFormat format);
// The last `count` events, then each new one as it is recorded, one per line (JSON lines with
// kJson), until the process is interrupted. Keeps trying while the daemon does not answer.
int run_events_follow(const GlobalOptions& global, int count, OutputFormat format);
int run_init(const GlobalOptions& global, const std::string& spec_path);
// Sends the valid document in `spec_path` as it is (init, or apply on a node with no desired
// state yet) and prints the outcome; `print_join`: the join command of init's answer.
int send_spec_file(const GlobalOptions& global, const std::string& command,
                   const std::string& spec_path, bool print_join);
// agentctl diff/apply/edit (desired_commands.cpp): a change of the desired state against the
// document in force; the file's generation is the one it is based on (change_plan.hpp).
int run_diff(const GlobalOptions& global, const std::string& path);
int run_apply(const GlobalOptions& global, const std::string& spec_path);
// Opens the document in force in $VISUAL/$EDITOR (no shell), validates on save and reopens with
// the problems on top, then applies it based on the generation it was fetched at.
int run_edit(const GlobalOptions& global);
// The whole file.
common::Expected<std::string> read_text_file(const std::string& path);
int run_join(const GlobalOptions& global, const std::string& peer, const std::string& token,
             const std::string& ca_cert_hash, const std::string& roles, const std::string& device,
             bool replace_signing_key);
// The join token in `path` ("-": standard input), its surrounding white space removed.
common::Expected<std::string> read_token_file(const std::string& path);
// agentctl token create/list/delete (on a storage node). `ttl` is the --ttl text ("24h").
int run_token_create(const GlobalOptions& global, const std::string& ttl,
                     const std::string& description);
int run_token_list(const GlobalOptions& global);
// agentctl upgrade: this storage node's desired state of the previous release, signed.
int run_upgrade(const GlobalOptions& global);
// agentctl rotate signing-key (on a storage node; the leader does it).
int run_rotate_signing_key(const GlobalOptions& global);
// agentctl rotate ca (on a storage node): a new cluster CA, rolled out by the agents.
int run_rotate_ca(const GlobalOptions& global);
int run_token_delete(const GlobalOptions& global, const std::string& id);
// agentctl app publish FILE (app_commands.cpp): on a storage node, makes the Pydio
// release archive FILE the cluster's release.
int run_app_publish(const GlobalOptions& global, const std::string& file);
int run_db_bootstrap(const GlobalOptions& global, const std::string& node, bool force);
int run_db_backups(const GlobalOptions& global, OutputFormat format);
// agentctl db restore NAME [--yes] (on a db node): shows the steps, asks for confirmation on
// the terminal unless `yes`, then has the agent restore the backup NAME into the tier.
int run_db_restore(const GlobalOptions& global, const std::string& name, bool yes);
// agentctl db release: ends the hold on every db member (after a failed restore).
int run_db_release(const GlobalOptions& global);
// The text agentctl prints for the steps of POST /v1/db/restore.
std::string format_restore_steps(const nlohmann::json& body);
// FILE made absolute against the working directory (links are not resolved: the agent refuses
// a link), for the daemon, whose working directory is another.
std::string absolute_archive_path(const std::string& file);
// The text agentctl prints for a 200 answer of POST /v1/app/publish.
std::string format_publish(const nlohmann::json& body);
// Works offline: never talks to the daemon.
int run_validate(const std::string& path);
int run_version(const GlobalOptions& global);

}  // namespace pydio::agent::ctl
