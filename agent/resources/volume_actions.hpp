#pragma once
// The steps of resource "volume/<name>" (see action.hpp), in a header of their own because
// brick_repair.cpp plans one of them. Every step carries the leader term it was planned under.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace pydio::agent {

struct CreateVolume {
  static constexpr const char* kKind = "create-volume";
  std::string volume;
  int replica = 1;
  int arbiter = 0;
  std::vector<std::string> bricks;  // "address:path", whole replica sets
  bool force = false;               // a brick on the root partition is allowed
  std::int64_t term = 0;
};
struct SetVolumeOption {
  static constexpr const char* kKind = "set-volume-option";
  std::string volume;
  std::string key;
  std::string value;
  std::int64_t term = 0;
};
struct StartVolume {
  static constexpr const char* kKind = "start-volume";
  std::string volume;
  std::int64_t term = 0;
};
// `gluster volume start VOL force`: starts the offline bricks of a started volume.
struct StartOfflineBricks {
  static constexpr const char* kKind = "start-bricks";
  std::string volume;
  std::int64_t term = 0;
};
struct AddBricks {
  static constexpr const char* kKind = "add-bricks";
  std::string volume;
  int replica = 1;
  int arbiter = 0;
  std::vector<std::string> bricks;  // whole replica sets
  bool force = false;
  std::int64_t term = 0;
};
struct RebalanceVolume {
  static constexpr const char* kKind = "rebalance-volume";
  std::string volume;
  std::int64_t term = 0;
};
using VolumeAction = std::variant<CreateVolume, SetVolumeOption, StartVolume, StartOfflineBricks,
                                  AddBricks, RebalanceVolume>;

}  // namespace pydio::agent
