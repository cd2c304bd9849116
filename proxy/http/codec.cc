#include "proxy/http/codec.h"

#include <algorithm>

namespace faultline::proxy {

// The README promises strict parsing; cmake/Dependencies.cmake builds llhttp that way.
static_assert(LLHTTP_STRICT_MODE, "llhttp must be built with LLHTTP_STRICT_MODE=1");

namespace {

HttpCodec* codec_of(llhttp_t* p) {
  return static_cast<HttpCodec*>(p->data);
}

constexpr std::string_view kTooLarge = "request header block too large\n";

}  // namespace

const llhttp_settings_t& HttpCodec::request_settings() {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_url = on_target;
    s.on_header_field = on_field;
    s.on_header_field_complete = on_field_done;
    s.on_header_value = on_value;
    s.on_headers_complete = on_request_headers_complete;
    s.on_message_complete = on_message_complete;
    return s;
  }();
  return settings;
}

const llhttp_settings_t& HttpCodec::response_settings() {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_status = on_target;
    s.on_header_field = on_field;
    s.on_header_field_complete = on_field_done;
    s.on_header_value = on_value;
    s.on_headers_complete = on_response_headers_complete;
    s.on_body = on_body;
    s.on_message_complete = on_message_complete;
    return s;
  }();
  return settings;
}

void HttpCodec::init() {
  if (kind_ == Kind::kRequest)
    llhttp_init(&parser_, HTTP_REQUEST, &request_settings());
  else
    llhttp_init(&parser_, HTTP_RESPONSE, &response_settings());
  parser_.data = this;
}

void HttpCodec::begin_message(size_t head_limit, bool no_body) {
  head_limit_ = head_limit;
  head_.reset(head_limit);
  in_head_ = true;
  no_body_ = no_body;
  head_ready_ = msg_done_ = informational_ = false;
  sink_ = nullptr;
}

// A callback that refuses returns HPE_USER; execute() then reports from the head collector
// (431 when too large or too many fields, else 400 with its problem()).
int HttpCodec::on_target(llhttp_t* p, const char* at, size_t n) {
  return codec_of(p)->head_.add_target(at, n) ? 0 : HPE_USER;
}

int HttpCodec::on_field(llhttp_t* p, const char* at, size_t n) {
  return codec_of(p)->head_.add_field(at, n) ? 0 : HPE_USER;
}

int HttpCodec::on_field_done(llhttp_t* p) {
  return codec_of(p)->head_.field_done() ? 0 : HPE_USER;
}

int HttpCodec::on_value(llhttp_t* p, const char* at, size_t n) {
  return codec_of(p)->head_.add_value(at, n) ? 0 : HPE_USER;
}

int HttpCodec::on_request_headers_complete(llhttp_t* p) {
  auto* c = codec_of(p);
  bool http10 = llhttp_get_http_major(p) == 1 && llhttp_get_http_minor(p) == 0;
  if (!c->head_.check_request(http10)) return HPE_USER;
  c->head_ready_ = true;
  return HPE_PAUSED;
}

int HttpCodec::on_response_headers_complete(llhttp_t* p) {
  auto* c = codec_of(p);
  if (!c->head_.check_response()) return HPE_USER;  // 502: it would be re-framed
  int status = llhttp_get_status_code(p);
  if (status >= 100 && status < 200 && status != 101) {
    // Interim response: reported (kInterim) once the bytes of this head passed
    // HeadCollector::consumed; parsing then goes on with the next head.
    c->informational_ = true;
    return HPE_PAUSED;
  }
  c->head_ready_ = true;
  // A response to HEAD has no body whatever its headers say: it completes with its head.
  return c->no_body_ ? 1 : HPE_PAUSED;
}

int HttpCodec::on_body(llhttp_t* p, const char* at, size_t n) {
  auto* c = codec_of(p);
  if (c->sink_) c->sink_->on_body(at, n);
  return 0;
}

int HttpCodec::on_message_complete(llhttp_t* p) {
  auto* c = codec_of(p);
  if (c->informational_) {
    c->informational_ = false;
    c->head_.reset(c->head_limit_);
    return 0;
  }
  c->msg_done_ = true;
  return HPE_PAUSED;
}

HttpCodec::Result HttpCodec::fail(int status, std::string_view reason, size_t used) {
  error_status_ = status;
  error_reason_ = reason;
  return {Event::kError, used};
}

HttpCodec::Result HttpCodec::request_head(const char* p, size_t n) {
  // At most the head's remaining budget, so the verdict does not depend on the reads.
  size_t feed = std::min(n, head_.room());
  llhttp_errno_t err = llhttp_execute(&parser_, p, feed);
  size_t used = err == HPE_OK ? feed : static_cast<size_t>(llhttp_get_error_pos(&parser_) - p);
  // llhttp stops right after "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" (h2c prior knowledge).
  if (err == HPE_PAUSED_H2_UPGRADE) return {Event::kH2Preface, used};
  if (!head_.consumed(p, used)) return fail(400, head_.problem(), used);
  if (err == HPE_OK) {
    if (head_.room() > 0) return {Event::kMore, used};  // the head continues in the next read
    return fail(431, kTooLarge, used);
  }
  if (err == HPE_PAUSED && head_ready_) {
    llhttp_resume(&parser_);
    in_head_ = false;
    return {Event::kHead, used};
  }
  if (head_.too_many()) return fail(431, head_.problem(), used);
  if (err == HPE_USER && head_.problem().empty()) return fail(431, kTooLarge, used);  // arena
  return fail(400, head_.problem().empty() ? "malformed request\n" : head_.problem(), used);
}

HttpCodec::Result HttpCodec::response_head(const char* p, size_t n) {
  llhttp_errno_t err = llhttp_execute(&parser_, p, n);
  size_t used = err == HPE_OK ? n : static_cast<size_t>(llhttp_get_error_pos(&parser_) - p);
  if (!head_.consumed(p, used)) return fail(502, "obs-fold in response head\n", used);
  if (err == HPE_OK) return {Event::kMore, used};
  if (err == HPE_PAUSED && informational_) {
    llhttp_resume(&parser_);
    return {Event::kInterim, used};
  }
  if (err == HPE_PAUSED && head_ready_) {
    llhttp_resume(&parser_);
    in_head_ = false;
    return {Event::kHead, used};
  }
  return fail(502, "malformed response head\n", used);
}

HttpCodec::Result HttpCodec::body(const char* p, size_t n) {
  llhttp_errno_t err = llhttp_execute(&parser_, p, n);
  size_t used = err == HPE_OK ? n : static_cast<size_t>(llhttp_get_error_pos(&parser_) - p);
  switch (err) {
    case HPE_OK:
      return {Event::kMore, used};
    case HPE_PAUSED:
      llhttp_resume(&parser_);
      return {Event::kComplete, used};
    case HPE_PAUSED_UPGRADE:
      return {Event::kUpgrade, used};
    default:
      return fail(kind_ == Kind::kRequest ? 400 : 502, "malformed body\n", used);
  }
}

}  // namespace faultline::proxy
