// The leader's decision in a CA rotation: the next list once every node is ready for it, else
// what it waits for (status prints it), from what the nodes report.

#include "agent/daemon/ca_rotation_step.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "agent/trust/pki.hpp"

using namespace pydio::agent;
namespace trust = pydio::agent::trust;
using nlohmann::json;

namespace {

struct Cas {
  Cas() {
    old_cert = trust::make_ca("pydio").value().cert_pem;
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // notBefore has seconds
    new_cert = trust::make_ca("pydio").value().cert_pem;
    old_pin = trust::spki_pin(old_cert).value();
    new_pin = trust::spki_pin(new_cert).value();
  }
  std::string old_cert, new_cert, old_pin, new_pin;
};

NodeCaState node(const std::string& name, bool storage, std::vector<std::string> trusted,
                 std::string issuer, std::vector<std::string> keys = {}) {
  json report = {{"ca", node_ca_json(trusted, issuer, keys)}};
  return node_ca_state(name, storage, report);
}

}  // namespace

TEST_CASE("the leader moves a CA rotation on only when every node is ready", "[ca_rotation]") {
  const Cas c;

  SECTION("no rotation: nothing to do, nothing to show") {
    const RotationStep step = next_rotation_step({c.old_cert}, {});
    CHECK(step.kind == RotationStep::Kind::kNone);
    CHECK(step.progress.empty());
  }
  SECTION("introducing: waits for a node that does not trust the new CA yet") {
    const RotationStep step = next_rotation_step(
        {c.old_cert, c.new_cert},
        {node("n1", true, {c.old_pin, c.new_pin}, c.old_pin, {c.old_pin, c.new_pin}),
         node("n2", true, {c.old_pin, c.new_pin}, c.old_pin, {c.old_pin}),
         node("web1", false, {c.old_pin}, c.old_pin), node_ca_state("web2", false, json())});
    CHECK(step.kind == RotationStep::Kind::kWait);
    CHECK(step.progress ==
          "CA rotation: 1 of 4 nodes trust the new CA; waiting for n2 (to fetch the new CA's "
          "key), web1, web2 (unreachable)");
    CHECK(step.next.empty());
  }
  SECTION("introducing, everyone ready: the new CA issues, the old one stays trusted") {
    const RotationStep step = next_rotation_step(
        {c.old_cert, c.new_cert},
        {node("n1", true, {c.old_pin, c.new_pin}, c.old_pin, {c.old_pin, c.new_pin}),
         node("web1", false, {c.old_pin, c.new_pin}, c.old_pin)});
    CHECK(step.kind == RotationStep::Kind::kIssueNew);
    CHECK(step.next == std::vector<std::string>{c.new_cert, c.old_cert});
  }
  SECTION("retiring: waits for a node still on the old CA") {
    const RotationStep step = next_rotation_step(
        {c.new_cert, c.old_cert}, {node("n1", true, {c.new_pin, c.old_pin}, c.new_pin),
                                   node("n2", true, {c.new_pin, c.old_pin}, c.new_pin),
                                   node("web1", false, {c.new_pin, c.old_pin}, c.old_pin)});
    CHECK(step.kind == RotationStep::Kind::kWait);
    CHECK(step.progress == "CA rotation: 2 of 3 nodes on the new CA; waiting for web1");
  }
  SECTION("retiring, everyone on the new CA: only the new CA stays") {
    const RotationStep step = next_rotation_step(
        {c.new_cert, c.old_cert}, {node("n1", true, {c.new_pin, c.old_pin}, c.new_pin),
                                   node("web1", false, {c.new_pin}, c.new_pin)});
    CHECK(step.kind == RotationStep::Kind::kRetire);
    CHECK(step.next == std::vector<std::string>{c.new_cert});
  }
  SECTION("a report without \"ca\" (an agent of before) never counts as ready") {
    const RotationStep step = next_rotation_step(
        {c.new_cert, c.old_cert}, {node_ca_state("old-agent", false, json{{"node", "x"}})});
    CHECK(step.kind == RotationStep::Kind::kWait);
  }
}

TEST_CASE("a new CA key no listed CA owns is dropped only after a later generation",
          "[ca_rotation]") {
  // unknown (made by an earlier process): kept whatever is in force
  CHECK_FALSE(next_key_dropped(7, std::nullopt));
  CHECK_FALSE(next_key_dropped(1000, std::nullopt));
  // begin() proposed up to generation 8: that generation may still be the one naming it
  CHECK_FALSE(next_key_dropped(7, 8));
  CHECK_FALSE(next_key_dropped(8, 8));
  CHECK(next_key_dropped(9, 8));
}
