#pragma once
// What the fuzz targets share: an invariant check that stops the run as a crash (libFuzzer
// then saves the input as an artifact), since a target that only "does not crash" misses
// wrong answers that do not crash.

#include <cstdio>
#include <cstdlib>
#include <string>

#define PYDIO_FUZZ_CHECK(condition, what)                                                  \
  do {                                                                                     \
    if (!(condition)) {                                                                    \
      std::fprintf(stderr, "fuzz invariant failed at %s:%d: %s: %s\n", __FILE__, __LINE__, \
                   #condition, std::string(what).c_str());                                 \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)
