#pragma once
// An HTTP/1.1 client's exchanges carried to the upstream over HTTP/2 (upstream_protocol =
// "http2", SPEC §8): a TransportLayer under the HTTP/1.1 session's upstream connection that
// turns the request bytes the session writes into an HTTP/2 stream, and the stream's response
// into HTTP/1.1 bytes the session reads. The session keeps its faults, pool, timeouts and
// access log as they are: to it this is one more layer, like TLS, which may sit under this one
// (upstream_tls: ALPN h2; a server that does not agree on h2 fails the connection).
//
// One stream at a time, as the session sends one request at a time; a pooled connection carries
// the session's next request as its next stream.
//
// Conversion (RFC 9113 §8.3.1): the request line and Host become :method, :scheme, :path and
// :authority; connection-specific fields are dropped (forwarded_fields.h); a chunked body goes
// out de-chunked, its trailers as HTTP/2 trailers. The response's fields follow a status line;
// a body without content-length goes chunked, with the HTTP/2 trailers in the last chunk (with
// content-length, HTTP/1.1 has nowhere to put trailers: they are dropped). A stream the
// upstream resets (or refuses) before its response is complete is a reset connection to the
// session: a 502, or a cut response, as from an HTTP/1.1 upstream.
//
// Back-pressure: a session write completes once its body bytes went into DATA frames and the
// socket's queue is under kHighWater (the stream's send window holds the rest); response DATA
// goes back to the stream's window only once the session took the bytes and no more than
// kHighWater of them wait, so a paused session holds the upstream at one window.
#include <cstdint>
#include <memory>
#include <string>

#include "proxy/io/transport.h"

namespace faultline::proxy {

// The layer factory for one listener's upstream connections: HTTP/2 over `tls` (a TLS layer
// factory that offers ALPN h2) or over plain TCP (h2c prior knowledge) when null.
// `initial_window` is the stream window given to the upstream (h2_initial_window);
// `default_authority` the :authority of a request that names none (an HTTP/1.0 client without
// Host): the configured upstream, as host:port.
std::shared_ptr<TransportLayerFactory> make_http1_over_http2(
    std::shared_ptr<TransportLayerFactory> tls, uint32_t initial_window,
    std::string default_authority);

}  // namespace faultline::proxy
