#include "proxy/version_info.h"

namespace faultline::proxy {
const char* version() {
  return FAULTLINE_VERSION;
}
}  // namespace faultline::proxy
