#pragma once
namespace faultline::proxy {
// The release version: project(VERSION ...) in CMakeLists.txt, e.g. "0.1.0".
const char* version();
}  // namespace faultline::proxy
