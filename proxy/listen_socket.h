#pragma once
// Listening sockets bound on the main thread before any worker starts, so that a port that
// cannot be bound is reported at start-up (exit 2).
//
// One socket per address, without SO_REUSEPORT, shared by the workers through dup(): Linux lets
// a later bind() join a port only when every socket on it set SO_REUSEPORT (and belongs to the
// same user), so with SO_REUSEPORT a second faultline, or anything else run by the same user,
// would silently receive a share of our connections. Without it that bind() fails with
// EADDRINUSE. Each worker polls its duplicate and accept4()s from the one queue: the kernel
// hands a connection to whichever worker asks first, so a busy worker takes fewer (see
// Acceptor::kBatch for how much one worker takes per turn).
#include <sys/socket.h>

#include <string>
#include <vector>

#include "config/result.h"
#include "config/value.h"

namespace faultline::proxy {

// Resolves host:port (numeric or a name) to the first address.
Result<sockaddr_storage> resolve(const config::HostPort& hp, bool passive);

// Binds one listening socket on `hp` that no other socket can join, and returns `count`
// descriptors of it (the socket and count-1 duplicates, one per worker).
Result<std::vector<int>> bind_exclusive(const config::HostPort& hp, unsigned count);

// "127.0.0.1:15001" for the socket's bound address; wildcard hosts become loopback so the
// result can be dialled.
std::string bound_address(int fd);
std::string format_address(const sockaddr* sa);

}  // namespace faultline::proxy
