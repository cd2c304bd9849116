#pragma once
// Raw HTTP/2 frames for tests that must misbehave the way real clients refuse to (more streams
// than SETTINGS allow, say): the preface, SETTINGS, HEADERS with a fixed HPACK block, and a
// reader that collects the frames the proxy sends.
#include <cstdint>
#include <string>
#include <vector>

#include "tests/harness/raw_client.h"

namespace faultline::harness::h2 {

inline constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
inline constexpr uint8_t kData = 0, kHeaders = 1, kRstStream = 3, kSettings = 4, kGoaway = 7;
inline constexpr uint8_t kEndStream = 0x1, kAck = 0x1, kEndHeaders = 0x4;

inline std::string frame(uint8_t type, uint8_t flags, uint32_t stream, std::string_view payload) {
  std::string out;
  const size_t n = payload.size();
  out += static_cast<char>((n >> 16) & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  out += static_cast<char>(n & 0xff);
  out += static_cast<char>(type);
  out += static_cast<char>(flags);
  for (int shift : {24, 16, 8, 0}) out += static_cast<char>((stream >> shift) & 0xff);
  out += payload;
  return out;
}

// POST / on http://x, HPACK static-table indexes and one literal without indexing
// (:method POST, :scheme http, :path /, :authority x).
inline std::string post_headers(uint32_t stream, uint8_t flags = kEndHeaders) {
  return frame(kHeaders, flags, stream, std::string("\x83\x86\x84\x01\x01x", 6));
}

struct Frame {
  uint8_t type = 0;
  uint8_t flags = 0;
  uint32_t stream = 0;
  std::string payload;
  uint32_t code() const {  // RST_STREAM's error code; GOAWAY's is after last-stream-id
    const size_t at = type == kGoaway ? 4 : 0;
    if (payload.size() < at + 4) return 0xffffffff;
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(payload[at + i]);
    return v;
  }
};

// Reads frames until `done` says so, the connection ends or `timeout` passes.
template <typename Done>
std::vector<Frame> read_frames(RawClient& client, Millis timeout, Done done) {
  std::vector<Frame> frames;
  const auto deadline = Clock::now() + timeout;
  std::string& buf = client.stream().buffer();
  for (;;) {
    while (buf.size() >= 9) {
      const size_t n = (size_t{static_cast<uint8_t>(buf[0])} << 16) |
                       (size_t{static_cast<uint8_t>(buf[1])} << 8) | static_cast<uint8_t>(buf[2]);
      if (buf.size() < 9 + n) break;
      Frame f;
      f.type = static_cast<uint8_t>(buf[3]);
      f.flags = static_cast<uint8_t>(buf[4]);
      for (int i = 5; i < 9; ++i) f.stream = (f.stream << 8) | static_cast<uint8_t>(buf[i]);
      f.stream &= 0x7fffffff;
      f.payload = buf.substr(9, n);
      buf.erase(0, 9 + n);
      frames.push_back(std::move(f));
      if (done(frames)) return frames;
    }
    if (Clock::now() >= deadline) return frames;
    if (client.stream().fill(deadline) != IoStatus::kOk) return frames;
  }
}

}  // namespace faultline::harness::h2
