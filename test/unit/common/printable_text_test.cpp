#include "common/printable_text.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using pydio::common::printable_line;

TEST_CASE("printable_line keeps UTF-8, replaces what is not, cuts at a boundary",
          "[printable_text]") {
  CHECK(printable_line("PHP Parse error: é ✓", 100) == "PHP Parse error: é ✓");
  CHECK(printable_line("a\nb\tc", 100) == "a b c");
  CHECK(printable_line(std::string("caf\xe9 ok"), 100) == "caf? ok");  // Latin-1 é
  CHECK(printable_line(std::string("\xc0\xaf"), 100) == "??");         // overlong '/'
  CHECK(printable_line(std::string("\xed\xa0\x80"), 100) == "???");    // a surrogate
  CHECK(printable_line(std::string("ab\xe2\x9c"), 100) == "ab??");     // cut short
  // Cut: never inside "é" (2 bytes), and the result fits.
  const std::string cut = printable_line("ééééé", 7);
  CHECK(cut == "éé...");
  CHECK(cut.size() <= 7);
  // Whatever the input, JSON can write it.
  std::string every_byte;
  for (int i = 0; i < 256; ++i) every_byte += static_cast<char>(i);
  CHECK_NOTHROW(nlohmann::json(printable_line(every_byte, 1000)).dump());
}
