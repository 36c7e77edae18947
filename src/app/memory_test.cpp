// FreedMemoryReturner: when memory a burst freed goes back, with a fake resident size.
#include "app/memory.hpp"

#include <gtest/gtest.h>

namespace app {
namespace {

constexpr std::size_t kMiB = 1024 * 1024;

// A process whose resident memory the test sets; a release drops it to what is in use.
struct FakeProcess {
  std::size_t resident = 10 * kMiB;
  std::size_t in_use = 10 * kMiB;
  int releases = 0;

  FreedMemoryReturner Returner(std::size_t slack) {
    return FreedMemoryReturner(
        slack, [this] { return resident; },
        [this] {
          ++releases;
          resident = in_use;
        });
  }
};

TEST(FreedMemoryReturnerTest, ReleasesOnlyWhenResidentMemoryGrewPastTheSlack) {
  FakeProcess process;
  FreedMemoryReturner returner = process.Returner(4 * kMiB);
  EXPECT_FALSE(returner.OnIdle());
  process.resident = 14 * kMiB;  // grown by the slack exactly: not yet
  EXPECT_FALSE(returner.OnIdle());
  process.resident = 40 * kMiB;  // a burst freed 30 MiB
  const auto released = returner.OnIdle();
  ASSERT_TRUE(released);
  EXPECT_EQ(released->resident_before, 40 * kMiB);
  EXPECT_EQ(released->resident_after, 10 * kMiB);
  EXPECT_EQ(process.releases, 1);
}

TEST(FreedMemoryReturnerTest, MemoryInUseDoesNotMakeItReleaseAgainAndAgain) {
  FakeProcess process;
  FreedMemoryReturner returner = process.Returner(4 * kMiB);
  // The growth is in use (sessions, connections): one release finds nothing to give back ...
  process.resident = process.in_use = 30 * kMiB;
  EXPECT_TRUE(returner.OnIdle());
  // ... and from then on it counts from there.
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(returner.OnIdle());
  process.resident = 33 * kMiB;
  EXPECT_FALSE(returner.OnIdle());
  process.resident = 50 * kMiB;  // the next burst
  EXPECT_TRUE(returner.OnIdle());
  EXPECT_EQ(process.resident, 30 * kMiB);
  EXPECT_EQ(process.releases, 2);
}

TEST(FreedMemoryReturnerTest, ABurstCountsFromTheLowestResidentSizeSeen) {
  FakeProcess process;
  process.resident = process.in_use = 20 * kMiB;
  FreedMemoryReturner returner = process.Returner(4 * kMiB);
  process.resident = process.in_use = 8 * kMiB;  // memory went back by itself
  EXPECT_FALSE(returner.OnIdle());
  process.resident = 16 * kMiB;  // below the first mark plus slack, but 8 MiB above the low
  EXPECT_TRUE(returner.OnIdle());
  EXPECT_EQ(process.releases, 1);
}

TEST(ResidentBytesTest, ReadsThisProcesssResidentMemory) {
  const std::size_t resident = ResidentBytes();
  EXPECT_GT(resident, 1 * kMiB);  // a test binary with gtest loaded
  EXPECT_LT(resident, 4096 * kMiB);
}

}  // namespace
}  // namespace app
