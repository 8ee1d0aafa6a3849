#include "agent/host/galera_position.hpp"
#include "agent/host/galera_status.hpp"

#include <catch2/catch.hpp>

using pydio::agent::GaleraState;
using pydio::agent::parse_grastate;
using pydio::agent::parse_recovered_position;

TEST_CASE("grastate.dat is read as Galera writes it", "[galera]") {
  // As written by galera-4 26.4 on a member killed while running (seqno -1).
  const auto crashed = parse_grastate(
      "# GALERA saved state\nversion: 2.1\nuuid:    edf6d490-ed00-11f1-93c4-eb5249fe7170\n"
      "seqno:   -1\nsafe_to_bootstrap: 0\n");
  CHECK(crashed.uuid == "edf6d490-ed00-11f1-93c4-eb5249fe7170");
  CHECK(crashed.seqno == -1);
  CHECK_FALSE(crashed.safe_to_bootstrap);
  const auto clean = parse_grastate(
      "# GALERA saved state\nversion: 2.1\nuuid:    edf6d490-ed00-11f1-93c4-eb5249fe7170\n"
      "seqno:   1234\nsafe_to_bootstrap: 1\n");
  CHECK(clean.seqno == 1234);
  CHECK(clean.safe_to_bootstrap);
  const auto never = parse_grastate(
      "# GALERA saved state\nversion: 2.1\nuuid:    00000000-0000-0000-0000-000000000000\n"
      "seqno:   -1\nsafe_to_bootstrap: 0\n");
  CHECK(never.uuid.empty());
}

TEST_CASE("the recovered position is the last one --wsrep-recover logged", "[galera]") {
  const std::string log =
      "2026-11-30 20:59:35 0 [Note] Crash table recovery finished.\n"
      "2026-11-30 20:59:35 0 [Note] WSREP: Recovered position: "
      "edf6d490-ed00-11f1-93c4-eb5249fe7170:3\n"
      "2026-11-30 20:59:36 0 [Note] WSREP: Recovered position: "
      "edf6d490-ed00-11f1-93c4-eb5249fe7170:4\n";
  auto position = parse_recovered_position(log);
  REQUIRE(position);
  CHECK(position->uuid == "edf6d490-ed00-11f1-93c4-eb5249fe7170");
  CHECK(position->seqno == 4);
  CHECK_FALSE(parse_recovered_position("[ERROR] InnoDB: cannot open\n"));
}

TEST_CASE("Galera status variables tell whether a member may serve", "[galera]") {
  // As SHOW GLOBAL STATUS LIKE 'wsrep%' answered on a bootstrapped member (MariaDB 10.11).
  std::map<std::string, std::string> synced = {
      {"wsrep_ready", "ON"},           {"wsrep_cluster_status", "Primary"},
      {"wsrep_local_state", "4"},      {"wsrep_local_state_comment", "Synced"},
      {"wsrep_cluster_size", "3"},     {"wsrep_provider_name", "Galera"},
      {"wsrep_last_committed", "17"},  {"wsrep_cluster_state_uuid", "u1"}};
  const GaleraState serving = pydio::agent::galera_state_from(synced);
  CHECK(serving.wsrep_on);
  CHECK(pydio::agent::galera_serving(serving));
  CHECK(serving.cluster_size == 3);
  CHECK(serving.last_committed == 17);

  auto cut_off = synced;
  cut_off["wsrep_cluster_status"] = "non-Primary";
  cut_off["wsrep_ready"] = "OFF";
  cut_off["wsrep_local_state_comment"] = "Initialized";
  cut_off["wsrep_local_state"] = "0";
  const GaleraState alone = pydio::agent::galera_state_from(cut_off);
  CHECK_FALSE(pydio::agent::galera_serving(alone));
  CHECK(pydio::agent::galera_serving_problem(alone) == "Initialized, non-Primary, not ready");

  auto donor = synced;
  donor["wsrep_local_state"] = "2";
  donor["wsrep_local_state_comment"] = "Donor/Desynced";
  CHECK_FALSE(pydio::agent::galera_serving(pydio::agent::galera_state_from(donor)));

  // A server without a provider (one db node) serves.
  const GaleraState single = pydio::agent::galera_state_from({{"wsrep_ready", "OFF"}});
  CHECK_FALSE(single.wsrep_on);
  CHECK(pydio::agent::galera_serving(single));
}
