#pragma once
// The llhttp side of one direction of an HTTP/1.1 connection (client requests or upstream
// responses): feeds bytes to a strict llhttp parser, collects the head into a HeadCollector and
// says after each call where the message stands. It knows nothing of libuv, sockets, workers or
// faults, so the session (proxy/http_session.cc) and the fuzzers (tests/fuzz/http_*_fuzz.cc)
// drive the same code.
//
// The owner pulls: execute() returns what happened (head complete, interim response, message
// complete, error) and how many bytes that took; the owner relays those bytes as it sees fit.
// The only push is the decoded body, and only while a BodySink is set (de-chunking for
// HTTP/1.0 clients), so the pass-through path makes no indirect call.
#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proxy/http/head.h"

namespace faultline::proxy {

class HttpCodec final {
 public:
  enum class Kind : uint8_t { kRequest, kResponse };

  // Where a call to execute() stopped.
  enum class Event : uint8_t {
    kMore,       // every byte given was consumed; the message goes on in the next bytes
    kHead,       // a request head or a final response head is complete (head(), method(), ...)
    kInterim,    // responses: a 1xx other than 101 is complete; parsing goes on after it
    kComplete,   // the message is complete; the next one may follow
    kUpgrade,    // the message is complete and llhttp stopped: what follows is another protocol
    kError,      // the message cannot be relayed: error_status() and error_reason() say why
    kH2Preface,  // requests: the bytes so far ended the HTTP/2 connection preface ("PRI * ...")
  };
  struct Result {
    Event event;
    size_t used;  // bytes of the input up to where execute() stopped
  };

  // Receives the decoded body while set (HTTP/1.0 client, chunked response).
  class BodySink {
   public:
    virtual void on_body(const char* at, size_t n) = 0;

   protected:
    ~BodySink() = default;
  };

  explicit HttpCodec(Kind kind) : kind_(kind) {}
  HttpCodec(const HttpCodec&) = delete;
  HttpCodec& operator=(const HttpCodec&) = delete;

  // A fresh parser: a new client connection, or a new upstream exchange for responses. The
  // message state (begin_message) is left as it is.
  void init();
  // The next message: its head may take at most `head_limit` raw bytes (request line or status
  // line, fields, CRLFs). `no_body`: a response to HEAD, which has none whatever it says.
  void begin_message(size_t head_limit, bool no_body = false);

  // Parses the next bytes. In a request head at most the head's remaining budget is fed, so the
  // 431 verdict falls on one fixed byte however the head is split into reads. With n == 0 in a
  // body, a message without body completes.
  Result execute(const char* p, size_t n) {
    if (!in_head_) return body(p, n);
    return kind_ == Kind::kRequest ? request_head(p, n) : response_head(p, n);
  }
  // Upstream EOF: ends a body that is read until the connection closes.
  void finish() { llhttp_finish(&parser_); }

  void set_body_sink(BodySink* sink) { sink_ = sink; }

  HeadCollector& head() { return head_; }
  const HeadCollector& head() const { return head_; }
  // The message is complete; right after kHead: it has no body (a response to HEAD).
  bool message_done() const { return msg_done_; }

  // About the message whose head is complete (llhttp's getters read these fields).
  uint8_t method() const { return parser_.method; }
  bool http10() const { return parser_.http_major == 1 && parser_.http_minor == 0; }
  bool keep_alive() const { return llhttp_should_keep_alive(&parser_) != 0; }
  bool upgrade() const { return parser_.upgrade != 0; }
  int status_code() const { return parser_.status_code; }
  bool chunked() const { return (parser_.flags & F_CHUNKED) != 0; }
  bool has_content_length() const { return (parser_.flags & F_CONTENT_LENGTH) != 0; }
  uint64_t content_length() const { return parser_.content_length; }
  // Chunked, or a Content-Length not yet received in full.
  bool body_announced() const { return chunked() || parser_.content_length > 0; }
  bool needs_eof() const { return llhttp_message_needs_eof(&parser_) != 0; }

  // After kError: the status a request gets (400, 431; responses: 502) and why.
  int error_status() const { return error_status_; }
  std::string_view error_reason() const { return error_reason_; }

 private:
  static int on_target(llhttp_t* p, const char* at, size_t n);
  static int on_field(llhttp_t* p, const char* at, size_t n);
  static int on_field_done(llhttp_t* p);
  static int on_value(llhttp_t* p, const char* at, size_t n);
  static int on_request_headers_complete(llhttp_t* p);
  static int on_response_headers_complete(llhttp_t* p);
  static int on_body(llhttp_t* p, const char* at, size_t n);
  static int on_message_complete(llhttp_t* p);
  static const llhttp_settings_t& request_settings();
  static const llhttp_settings_t& response_settings();

  Result request_head(const char* p, size_t n);
  Result response_head(const char* p, size_t n);
  Result body(const char* p, size_t n);
  Result fail(int status, std::string_view reason, size_t used);

  const Kind kind_;
  bool in_head_ = true;
  bool no_body_ = false;
  bool head_ready_ = false;
  bool msg_done_ = false;
  bool informational_ = false;
  int error_status_ = 0;
  std::string_view error_reason_;
  size_t head_limit_ = 0;
  BodySink* sink_ = nullptr;
  llhttp_t parser_{};
  HeadCollector head_;
};

}  // namespace faultline::proxy
