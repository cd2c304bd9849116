#pragma once
// The kill switch on disk (SPEC §7, `[runtime] state_dir`): a halt survives a restart, so a
// pod that is rescheduled mid-incident does not start injecting faults again.
#include <string>

#include "config/result.h"

namespace faultline::proxy::halt_state {

// The file that holds the flag inside state_dir.
std::string path_in(const std::string& state_dir);
// Whether state_dir records a halt; false when no flag was ever written. An unreadable or
// garbled file is an error (start-up refuses it rather than guess).
Result<bool> read(const std::string& state_dir);
// Records the flag: written to a temporary file, flushed and renamed over the old one, so a
// crash leaves either the old or the new value.
Status write(const std::string& state_dir, bool halted);

}  // namespace faultline::proxy::halt_state
