#pragma once
// An nghttp2 header field over views, which nghttp2 copies when the frame is submitted.
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string_view>

namespace faultline::proxy {

inline nghttp2_nv nv(std::string_view name, std::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

}  // namespace faultline::proxy
