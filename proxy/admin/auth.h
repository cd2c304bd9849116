#pragma once
// Bearer-token check for /v1/* (SPEC §4). The comparison takes the same time wherever the
// first difference is, so the token cannot be guessed byte by byte from response timing.
#include <string_view>

namespace faultline::proxy::admin {

// Constant-time equality over the bytes of both strings (time depends only on their lengths).
bool constant_time_equals(std::string_view a, std::string_view b);

// True when `token` is empty (auth off) or `authorization` is "Bearer <token>" (the scheme
// is case-insensitive, RFC 7235).
bool bearer_authorized(std::string_view authorization, std::string_view token);

}  // namespace faultline::proxy::admin
