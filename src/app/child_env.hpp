// The environment a Lingma child process gets: the minimum it needs, never the gateway's secrets.
#pragma once

#include <map>
#include <string>

namespace app {

// Keeps PATH, HOME, user/locale/time-zone/temp-dir variables, proxy settings, and the variables
// addressed to Lingma or the simulator (COSY_*, LINGMA_SIM_*). Everything else (API_KEYS, cloud
// credentials, tokens of other tools) stays behind.
std::map<std::string, std::string> ChildEnvironment(const std::map<std::string, std::string>& env);

}  // namespace app
