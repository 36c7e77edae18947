// Allocator settings and giving freed memory back; see memory.hpp.
#include "app/memory.hpp"

#include <malloc.h>

namespace app {

void TuneAllocator() {
  // A turn's large buffers (a request body, the prompt, the chat/ask that carries it twice) come
  // from the heap up to 1 MiB, and the next turn reuses them. Mapped and unmapped each time, as
  // they were above 256 KiB, their pages faulted in again for every request: a 200 KB prompt
  // cost 1.9-2.0 ms of CPU against 0.6-0.8 ms. Fixed thresholds (glibc's adaptive ones grow with
  // the largest buffer freed) bound what stays mapped while the gateway is busy: buffers over
  // 1 MiB are returned when freed, and so is a free top of the heap over 4 MiB. What a burst
  // leaves inside the heap goes back once the gateway is idle (GiveBackFreedMemory).
  mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
}

std::size_t FreeHeldBytes() {
  const struct mallinfo2 info = mallinfo2();
  return info.fordblks;
}

std::size_t GiveBackFreedMemory(std::size_t slack) {
  const std::size_t held = FreeHeldBytes();
  if (held <= slack) return 0;
  malloc_trim(0);  // also releases whole free pages in the middle of the heap, not only its top
  return held;
}

}  // namespace app
