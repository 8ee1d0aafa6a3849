// The election scenario's checks on the agents' own record, fed doctored records: each must fail
// when the record shows what it guards against.
#include "test/integration/support/tenure_check.hpp"

#include <catch2/catch.hpp>

using pydio::test::ExpectedTenure;
using pydio::test::LeaderSample;
using pydio::test::merge_tenures;
using pydio::test::tenure_problems;

namespace {

// Samples every 10 ms from `from_ms` to `to_ms` (inclusive) of one holder under one term.
void lead(std::vector<LeaderSample>& samples, const std::string& holder, std::int64_t term,
          int from_ms, int to_ms) {
  for (int ms = from_ms; ms <= to_ms; ms += 10)
    samples.push_back({std::int64_t{ms} * 1000000, holder, term});
}

bool mentions(const std::vector<std::string>& problems, const std::string& text) {
  for (const auto& problem : problems)
    if (problem.find(text) != std::string::npos) return true;
  return false;
}

const std::vector<ExpectedTenure> kDatabase = {
    {"node-a", 1, false}, {"node-b", 2, true}, {"node-c", 3, false}};

}  // namespace

TEST_CASE("tenures are runs of one holder and term, merged across contenders by time",
          "[tenure_check]") {
  std::vector<LeaderSample> samples;
  lead(samples, "node-c", 3, 500, 600);  // logs are read contender by contender, not in order
  lead(samples, "node-a", 1, 0, 200);
  lead(samples, "node-b", 2, 300, 400);
  const auto tenures = merge_tenures(samples);
  REQUIRE(tenures.size() == 3);
  CHECK(tenures[0].holder == "node-a");
  CHECK(tenures[0].from_ns == 0);
  CHECK(tenures[0].to_ns == 200000000);
  CHECK(tenures[1].holder == "node-b");
  CHECK(tenures[2].holder == "node-c");
}

TEST_CASE("the agents' record of the election holds only when it matches the database",
          "[tenure_check]") {
  std::vector<LeaderSample> samples;
  lead(samples, "node-a", 1, 0, 200);

  SECTION("the real story: a, b, c in turn") {
    lead(samples, "node-b", 2, 300, 400);
    lead(samples, "node-c", 3, 500, 600);
    CHECK(tenure_problems(merge_tenures(samples), kDatabase).empty());
  }
  SECTION("b, cut right after it won, never saw itself lead: still fine") {
    lead(samples, "node-c", 3, 500, 600);
    CHECK(tenure_problems(merge_tenures(samples), kDatabase).empty());
  }
  SECTION("two holders believe they lead under one term") {
    lead(samples, "node-b", 2, 300, 400);
    lead(samples, "node-c", 2, 405, 405);
    lead(samples, "node-c", 3, 500, 600);
    const auto problems = tenure_problems(merge_tenures(samples), kDatabase);
    CHECK(mentions(problems, "term 2 held by two holders: node-b and node-c"));
  }
  SECTION("tenures interleave: the old leader still believes it leads after the new one won") {
    lead(samples, "node-b", 2, 300, 400);
    lead(samples, "node-a", 1, 350, 350);
    lead(samples, "node-c", 3, 500, 600);
    const auto problems = tenure_problems(merge_tenures(samples), kDatabase);
    CHECK(mentions(problems, "term 1 of node-a seen in two separate tenures"));
    CHECK(
        mentions(problems, "tenure of node-a term 1 follows node-b term 2: the term did not grow"));
  }
  SECTION("one holder leads twice under one term with another in between") {
    lead(samples, "node-b", 2, 300, 400);
    lead(samples, "node-c", 3, 500, 600);
    lead(samples, "node-b", 2, 700, 700);
    const auto problems = tenure_problems(merge_tenures(samples), kDatabase);
    CHECK(mentions(problems, "term 2 of node-b seen in two separate tenures"));
  }
  SECTION("a tenure the database never showed") {
    lead(samples, "node-b", 2, 300, 400);
    lead(samples, "node-b", 4, 450, 460);
    lead(samples, "node-c", 3, 500, 600);
    const auto problems = tenure_problems(merge_tenures(samples), kDatabase);
    CHECK(mentions(problems, "tenure of node-b term 4 that the database never showed"));
    CHECK(mentions(problems, "tenure of node-c term 3 follows node-b term 4"));
  }
  SECTION("the last leader never saw itself lead") {
    lead(samples, "node-b", 2, 300, 400);
    const auto problems = tenure_problems(merge_tenures(samples), kDatabase);
    REQUIRE(problems.size() == 1);
    CHECK(problems.front() == "no tenure of node-c term 3 seen by the agents");
  }
  SECTION("nobody at all saw itself lead") {
    const auto problems = tenure_problems({}, kDatabase);
    CHECK(mentions(problems, "no tenure of node-a term 1"));
    CHECK(mentions(problems, "no tenure of node-c term 3"));
    CHECK_FALSE(mentions(problems, "node-b"));
  }
}
