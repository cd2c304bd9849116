#pragma once
// Listening sockets bound on the main thread before any worker starts, so that a port that
// cannot be bound is reported at start-up (exit 2). Each worker gets its own socket on the
// same address through SO_REUSEPORT (libuv 1.44 has no flag for it).
#include <sys/socket.h>

#include <string>
#include <vector>

#include "config/result.h"
#include "config/value.h"

namespace faultline::proxy {

// Resolves host:port (numeric or a name) to the first address.
Result<sockaddr_storage> resolve(const config::HostPort& hp, bool passive);

// Binds `count` SO_REUSEPORT sockets on `hp` and puts them in listening state. With port 0
// the first socket picks the port and the others follow it.
Result<std::vector<int>> bind_reuseport(const config::HostPort& hp, unsigned count);

// "127.0.0.1:15001" for the socket's bound address; wildcard hosts become loopback so the
// result can be dialled.
std::string bound_address(int fd);
std::string format_address(const sockaddr* sa);

}  // namespace faultline::proxy
