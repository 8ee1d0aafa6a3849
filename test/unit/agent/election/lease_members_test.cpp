#include "agent/election/lease_members.hpp"

#include <catch2/catch.hpp>

#include "agent/election/lease.hpp"

using pydio::agent::choose_lease_member;
using pydio::agent::kPreferCheckRounds;
using pydio::agent::MemberAnswer;
using pydio::agent::preferred_member_to_probe;

namespace {

// Fake members: their answers, and the order in which the walk asked them.
struct FakeMembers {
  explicit FakeMembers(std::vector<MemberAnswer> given) : answers(std::move(given)) {}
  std::vector<MemberAnswer> answers;
  std::vector<std::size_t> asked;
  MemberAnswer operator()(std::size_t index) {
    asked.push_back(index);
    return answers.at(index);
  }
};

const auto kAlways = [] { return true; };

}  // namespace

TEST_CASE("a walk accepts the first serving member in order of preference", "[lease]") {
  SECTION("all serving: the first, and nobody else is asked") {
    FakeMembers members{{MemberAnswer::kServing, MemberAnswer::kServing, MemberAnswer::kServing}};
    auto walk = choose_lease_member(3, 0, std::ref(members), kAlways);
    REQUIRE(walk.chosen == 0u);
    REQUIRE(members.asked == std::vector<std::size_t>{0});
    REQUIRE(walk.next_start == 0u);
  }
  SECTION("the first killed, the second not synced: the third") {
    FakeMembers members{
        {MemberAnswer::kUnreachable, MemberAnswer::kNotServing, MemberAnswer::kServing}};
    auto walk = choose_lease_member(3, 0, std::ref(members), kAlways);
    REQUIRE(walk.chosen == 2u);
    REQUIRE(members.asked == std::vector<std::size_t>{0, 1, 2});
    REQUIRE(walk.next_start == 0u);  // the next walk prefers the first member again
  }
  SECTION("one server without Galera (one db node) serves: today's behaviour") {
    FakeMembers members{{MemberAnswer::kServing}};
    REQUIRE(choose_lease_member(1, 0, std::ref(members), kAlways).chosen == 0u);
  }
  SECTION("nobody serving (e.g. a non-primary component): no member, start over next time") {
    FakeMembers members{
        {MemberAnswer::kNotServing, MemberAnswer::kNotServing, MemberAnswer::kUnreachable}};
    auto walk = choose_lease_member(3, 0, std::ref(members), kAlways);
    REQUIRE_FALSE(walk.chosen.has_value());
    REQUIRE(walk.tried == 3u);
    REQUIRE(walk.next_start == 0u);
  }
}

TEST_CASE("a walk stops when the round has no time left and resumes there next time", "[lease]") {
  FakeMembers members{
      {MemberAnswer::kUnreachable, MemberAnswer::kUnreachable, MemberAnswer::kServing}};
  int budget = 2;  // the round has time for two probes
  auto walk = choose_lease_member(3, 0, std::ref(members), [&budget] { return --budget > 0; });
  REQUIRE_FALSE(walk.chosen.has_value());
  REQUIRE(walk.tried == 2u);
  REQUIRE(walk.next_start == 2u);

  SECTION("the next walk starts at the member not tried, even with time for one probe only") {
    members.asked.clear();
    auto next = choose_lease_member(3, walk.next_start, std::ref(members), [] { return false; });
    REQUIRE(next.chosen == 2u);
    REQUIRE(members.asked == std::vector<std::size_t>{2});
  }
  SECTION("a resumed walk wraps around to the first members") {
    members.answers = {MemberAnswer::kServing, MemberAnswer::kUnreachable,
                       MemberAnswer::kNotServing};
    members.asked.clear();
    auto next = choose_lease_member(3, 2, std::ref(members), kAlways);
    REQUIRE(next.chosen == 0u);
    REQUIRE(members.asked == std::vector<std::size_t>{2, 0});
  }
  SECTION("the first probe of a walk never asks for time: every round tries one member") {
    bool asked_for_time = false;
    members.asked.clear();
    choose_lease_member(3, 0, std::ref(members), [&] {
      asked_for_time = true;
      return false;
    });
    REQUIRE(asked_for_time);
    REQUIRE(members.asked == std::vector<std::size_t>{0});
  }
}

TEST_CASE("a session on a later member probes an earlier one every few successful rounds",
          "[lease]") {
  SECTION("on the preferred member: never") {
    for (std::uint64_t rounds = 0; rounds < 3 * kPreferCheckRounds; ++rounds) {
      REQUIRE_FALSE(preferred_member_to_probe(0, rounds).has_value());
    }
  }
  SECTION("on the third member: only every kPreferCheckRounds rounds, members 0 and 1 in turn") {
    std::vector<std::size_t> probed;
    for (std::uint64_t rounds = 0; rounds <= 4 * kPreferCheckRounds; ++rounds) {
      if (auto member = preferred_member_to_probe(2, rounds)) probed.push_back(*member);
    }
    REQUIRE(probed == std::vector<std::size_t>{0, 1, 0, 1});
  }
  SECTION("on the second member: always the first") {
    REQUIRE(preferred_member_to_probe(1, kPreferCheckRounds) == 0u);
    REQUIRE(preferred_member_to_probe(1, 2 * kPreferCheckRounds) == 0u);
    REQUIRE_FALSE(preferred_member_to_probe(1, kPreferCheckRounds + 1).has_value());
  }
}

TEST_CASE("a lease client without database servers never leads", "[lease]") {
  pydio::agent::LeaseClient client("n1", std::vector<pydio::agent::MysqlEndpoint>{},
                                   std::chrono::seconds(3));
  const auto status = client.try_acquire_or_renew();
  REQUIRE_FALSE(status.is_ok());
  CHECK_THAT(status.message(), Catch::Contains("no database server"));
  REQUIRE_FALSE(client.is_leader_now());
  CHECK(client.status().member.empty());
  CHECK(client.status().last_error == status.message());
}
