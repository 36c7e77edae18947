// How the gateway's memory allocator (glibc malloc) treats large buffers, and giving memory the
// gateway freed back to the system once it goes idle.
#pragma once

#include <cstddef>

namespace app {

// Sets the allocator's thresholds; called once, before anything else allocates much.
void TuneAllocator();

// Bytes the allocator holds that the gateway has freed (still mapped, counted in its RSS).
std::size_t FreeHeldBytes();

// When the allocator holds more than `slack` freed bytes, hands the whole pages among them back
// to the system. Returns the freed bytes it held before (0 if it did nothing).
std::size_t GiveBackFreedMemory(std::size_t slack);

}  // namespace app
