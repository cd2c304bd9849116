#pragma once
// Open files: a proxy that runs out of descriptors can accept nothing, not even on its admin
// port. faultline raises its soft RLIMIT_NOFILE to the hard limit at start-up and makes sure
// the listeners' max_connections fit in it: every client connection takes two descriptors
// (the client's and the upstream's), and a reserve stays free for the admin listener and its
// connections, the event loops, listening sockets and log files.
//
// A max_connections written in the config that does not fit is an error (`check` and `run`);
// one left at its default shrinks to share what the limit leaves, so the default config runs
// under any limit large enough to be useful.
#include <cstdint>
#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "config/schema.h"

namespace faultline::proxy {

// Descriptors outside the listeners' connections: see reserved_descriptors().
uint64_t reserved_descriptors(const config::Config& config, unsigned workers);

// The hard RLIMIT_NOFILE (what `run` raises the soft limit to).
uint64_t open_file_hard_limit();

// Raises the soft RLIMIT_NOFILE to the hard limit. Returns the soft limit now in force;
// `before` receives the soft limit found.
uint64_t raise_open_file_limit(uint64_t& before);

// Lowers each max_connections the config file did not set so that everything fits `limit`,
// the listeners left at the default sharing what the explicit ones and the reserve leave.
// Returns one line per listener changed, for the log.
std::vector<std::string> fit_default_max_connections(config::Config& config, unsigned workers,
                                                     uint64_t limit);

// Errors when the listeners' connections and the reserve cannot fit `limit`.
void check_descriptor_budget(const config::Config& config, unsigned workers, uint64_t limit,
                             config::Diagnostics& diags);

// For `faultline check`: the same check against this machine's hard limit and the worker
// count `run` would use.
void check_descriptor_budget(const config::Config& config, config::Diagnostics& diags);

}  // namespace faultline::proxy
