// How the gateway's memory allocator (glibc malloc) treats large buffers, and giving the memory a
// burst freed back to the system.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>

namespace app {

// Sets the allocator's thresholds; called once, before anything else allocates much.
void TuneAllocator();

// The process's resident memory in bytes (/proc/self/statm); 0 if it cannot be read.
std::size_t ResidentBytes();

// Hands the allocator's free pages back to the system, also those inside the heap.
void ReleaseFreePages();

// Decides when to give freed memory back. The buffers of many requests at once stay inside the
// allocator's heap when freed (glibc itself returns only a free top of the heap), so after a
// burst the process would stay at its peak. Called when the gateway has gone idle, it releases
// the free pages if the resident memory grew by more than `slack` since the last release (or since
// it was made); each release moves that mark to what is resident after it, so memory that is in
// use, not free, does not make it release again and again.
class FreedMemoryReturner {
 public:
  struct Released {
    std::size_t resident_before = 0;
    std::size_t resident_after = 0;
  };

  FreedMemoryReturner(std::size_t slack, std::function<std::size_t()> resident,
                      std::function<void()> release);

  std::optional<Released> OnIdle();

 private:
  std::size_t slack_;
  std::function<std::size_t()> resident_;
  std::function<void()> release_;
  std::size_t mark_;  // resident bytes after the last release
};

}  // namespace app
