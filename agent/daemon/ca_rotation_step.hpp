#pragma once
// The leader's decision in a CA rotation (ca_rotation.hpp), pure: from the CAs the desired state
// lists and what each node reports of its own trust (the "ca" member of GET /v1/peer/node), the
// next list to put in force, or what the rotation waits for.
//   introducing [old, new] -> [new, old] once every node trusts the new CA and every storage
//                             node holds its key (so any of them signs under it at once)
//   retiring    [new, old] -> [new]      once every node's certificate is issued by the new CA
// A node that does not answer is waited for: the rotation never leaves a node of the desired
// state behind while it is merely down (one that never comes back is removed by the operator).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace pydio::agent {

// One node's trust as its report says it (pins: "sha256:<hex>").
struct NodeCaState {
  std::string name;
  bool storage = false;
  bool reachable = false;
  std::vector<std::string> trusted;  // the CAs it trusts
  std::string issuer;                // the CA that issued its node certificate; "" unknown
  std::vector<std::string> keys;     // the CA keys it holds (storage nodes)
};

// The "ca" member of a node report, and back; a report without one (an older agent) reads as
// trusting nothing.
nlohmann::json node_ca_json(const std::vector<std::string>& trusted, const std::string& issuer,
                            const std::vector<std::string>& keys);
NodeCaState node_ca_state(const std::string& name, bool storage, const nlohmann::json& report);

struct RotationStep {
  enum class Kind {
    kNone,      // no rotation under way
    kWait,      // under way, waiting for the nodes `progress` names
    kIssueNew,  // put `next` in force: the new CA issues
    kRetire,    // put `next` in force: the old CAs are dropped
  };
  Kind kind = Kind::kNone;
  std::vector<std::string> next;  // PEM, first the issuing CA
  // "CA rotation: 2 of 3 nodes on the new CA; waiting for web1" ("" when none under way).
  std::string progress;
};

// Whether a storage node drops the key in ca-next.key when no CA of the document in force
// (generation `in_force`) is that key's. Such a key is one begin() made; the document naming its
// CA may still be on its way (a commit whose answer was lost), and then this node alone holds
// it. So it goes only once a generation later than the last one begin() proposed with it
// (`proposed`) is in force; never when that is unknown (begun by an earlier process: the key
// stays until the next rotation's begin() replaces it).
bool next_key_dropped(std::int64_t in_force, std::optional<std::int64_t> proposed);

// `listed`: security.caCertificates in force (PEM).
RotationStep next_rotation_step(const std::vector<std::string>& listed,
                                const std::vector<NodeCaState>& nodes);

}  // namespace pydio::agent
