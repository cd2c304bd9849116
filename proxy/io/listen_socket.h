#pragma once
// Listening sockets bound on the main thread before any worker starts, so that a port that
// cannot be bound is reported at start-up (exit 2).
//
// One socket per address, without SO_REUSEPORT, shared by the workers through dup(): Linux lets
// a later bind() join a port only when every socket on it set SO_REUSEPORT (and belongs to the
// same user), so with SO_REUSEPORT a second faultline, or anything else run by the same user,
// would silently receive a share of our connections. Without it that bind() fails with
// EADDRINUSE (a BPF or cgroup filter could not stop a same-user process from joining).
//
// Accept distribution: each worker polls its duplicate and accept4()s from the one queue. A
// new connection wakes every idle worker's epoll; the first to call accept4() gets it and the
// others get EAGAIN (a wasted wakeup, cheap with a few workers). A worker busy with its
// connections comes back to the queue later and so takes fewer new ones: the load follows
// spare capacity rather than SO_REUSEPORT's hash of the 4-tuple, which ignores how busy a
// worker is. Acceptor::kBatch (16; 1 on a listener terminating TLS) bounds what one worker takes
// per turn, so that in a burst of connects (a benchmark opening its connections at once) the
// other workers get a turn.
#include <sys/socket.h>

#include <string>
#include <vector>

#include "config/result.h"
#include "config/value.h"

namespace faultline::proxy {

// Resolves host:port (numeric or a name) to the first address.
Result<sockaddr_storage> resolve(const config::HostPort& hp, bool passive);

// Binds one listening socket on `hp` that no other socket can join, and returns `count`
// descriptors of it (the socket and count-1 duplicates, one per worker). With `nodelay` the
// socket has TCP_NODELAY, which Linux copies to every accepted socket: one setsockopt per
// listener instead of one per connection.
Result<std::vector<int>> bind_exclusive(const config::HostPort& hp, unsigned count, bool nodelay);

// "127.0.0.1:15001" for the socket's bound address; wildcard hosts become loopback so the
// result can be dialled.
std::string bound_address(int fd);
std::string format_address(const sockaddr* sa);

}  // namespace faultline::proxy
