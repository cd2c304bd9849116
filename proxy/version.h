#pragma once
namespace faultline::proxy {
// The release version ("0.1.0").
const char* version();
}  // namespace faultline::proxy
