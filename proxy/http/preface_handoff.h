#pragma once
// What an HTTP/1 session does with a connection that opens with the HTTP/2 connection preface
// (h2c with prior knowledge, SPEC §8): it hands the socket over. Declared here so that the
// HTTP/1 layer never names the HTTP/2 session (proxy/http2/ implements it, control wires it).
#include <cstdint>
#include <memory>
#include <string_view>

#include "proxy/io/transport.h"

namespace faultline::proxy {

class PrefaceHandoff {
 public:
  virtual ~PrefaceHandoff() = default;
  // Takes over the client socket `fd`, whose connection slot stays reserved, and the bytes read
  // from it so far (the preface and whatever followed it). `listener_slot` is the handing
  // session's (Connection::listener_slot): closing that listener closes the new session too.
  virtual void take(int fd, std::string_view bytes, uint32_t listener_slot) = 0;
  // A TLS connection whose client agreed on h2 (ALPN): its Transport moves over with the TLS
  // state in its layer, reading; `bytes` are the first plaintext bytes (the preface, unchecked).
  virtual void take(std::unique_ptr<Transport> transport, std::string_view bytes,
                    uint32_t listener_slot) = 0;
  // Closes what it keeps idle (ListenerProtocol::close_idle).
  virtual void close_idle() {}
};

}  // namespace faultline::proxy
