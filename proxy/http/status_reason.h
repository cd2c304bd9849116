#pragma once
// The reason phrase for the status lines faultline writes itself (proxy errors, aborts, the
// admin API). Forwarded responses keep the upstream's own phrase.

namespace faultline::proxy {

const char* reason_phrase(int status);

}  // namespace faultline::proxy
