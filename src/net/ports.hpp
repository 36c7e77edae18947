// Local TCP port helpers.
#pragma once

#include <string>

namespace net {

// Asks the kernel for a currently free port on 127.0.0.1 (0 on failure). Another process may
// take it before it is used; callers that spawn a listener on it must handle a failed start.
int PickFreePort();

}  // namespace net
