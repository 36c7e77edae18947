// Allocator settings and giving freed memory back; see memory.hpp.
#include "app/memory.hpp"

#include <malloc.h>
#include <unistd.h>

#include <fstream>

namespace app {

void TuneAllocator() {
  // A turn's large buffers (a request body, the prompt, the chat/ask that carries it twice) come
  // from the heap up to 1 MiB, and the next turn reuses them. Mapped and unmapped each time, as
  // they were above 256 KiB, their pages faulted in again for every request: a 200 KB prompt
  // cost 1.9-2.0 ms of CPU against 0.6-0.8 ms. Fixed thresholds (glibc's adaptive ones grow with
  // the largest buffer freed) bound what stays mapped while the gateway is busy: buffers over
  // 1 MiB are returned when freed, and so is a free top of the heap over 4 MiB. What a burst
  // leaves inside the heap goes back once the gateway is idle (FreedMemoryReturner).
  mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
}

std::size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size_pages = 0;
  std::size_t resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

void ReleaseFreePages() { malloc_trim(0); }

FreedMemoryReturner::FreedMemoryReturner(std::size_t slack, std::function<std::size_t()> resident,
                                         std::function<void()> release)
    : slack_(slack),
      resident_(std::move(resident)),
      release_(std::move(release)),
      mark_(resident_()) {}

std::optional<FreedMemoryReturner::Released> FreedMemoryReturner::OnIdle() {
  const std::size_t before = resident_();
  if (before < mark_) mark_ = before;  // given back some other way: a new burst counts from here
  if (before <= mark_ + slack_) return std::nullopt;
  release_();
  mark_ = resident_();
  return Released{before, mark_};
}

}  // namespace app
