#include "proxy/http/fault_executor.h"

#include <string>
#include <utility>

#include "proxy/http/grpc.h"

namespace faultline::proxy {

void HttpFaultExecutor::adopt(faults::Plan&& plan) {
  plan_ = std::move(plan);
  active_ = true;
}

void HttpFaultExecutor::carry_out(uint64_t now_ms, uint64_t idle_timeout_ms) {
  const faults::Plan& plan = plan_;
  if (!plan.bad_request.empty()) {
    if (hooks_.request_is_grpc()) {
      // SPEC §8: a gRPC caller gets INVALID_ARGUMENT naming the header, not a 400.
      std::string message(plan.bad_request);
      while (!message.empty() && (message.back() == '\n' || message.back() == '\r'))
        message.pop_back();
      hooks_.fault_respond(
          200, {}, "grpc-status: 3\r\ngrpc-message: " + grpc_percent_encode(message) + "\r\n",
          "application/grpc");
      return;
    }
    hooks_.fault_refuse(plan.bad_request);
    return;
  }
  // slow_close outlives the exchange: it applies when the connection closes.
  close_delay_ms_ = static_cast<uint64_t>(plan.close_delay.count());
  if (plan.upstream_rate) bucket_[kUp].reset(plan.upstream_rate, now_ms);
  if (plan.downstream_rate) bucket_[kDown].reset(plan.downstream_rate, now_ms);
  // Latency comes first (faults apply in the order written, and terminal faults end the
  // request): an abort after a delay answers late. The session calls back in here.
  if (plan.request_delay.count() > 0 && !request_delay_done_) {
    request_delay_done_ = true;
    hooks_.fault_delay_request(plan.request_delay.count());
    return;
  }
  switch (plan.terminal) {
    case faults::Terminal::kRespond: {
      std::string headers;
      if (hooks_.request_is_grpc()) {
        // SPEC §8 trailers-only answer. HTTP/1.1 has trailers only in chunked bodies, so, as
        // Envoy does, grpc-status goes in the headers of an empty 200; after_messages needs
        // HTTP/2's trailers and does not apply here. An abort with only an HTTP status maps
        // it as Envoy's local replies do, the body becoming the message.
        const bool mapped = plan.respond.grpc_status < 0;
        const int status =
            mapped ? grpc_status_for_http(plan.respond.status) : plan.respond.grpc_status;
        const std::string_view message =
            mapped ? grpc_message_from_body(plan.respond.body) : plan.respond.grpc_message;
        headers = "grpc-status: " + std::to_string(status) +
                  "\r\ngrpc-message: " + grpc_percent_encode(message) + "\r\n";
        for (const auto& [k, v] : plan.respond.headers) headers += k + ": " + v + "\r\n";
        hooks_.fault_respond(200, {}, headers, "application/grpc");
        return;
      }
      for (const auto& [k, v] : plan.respond.headers) headers += k + ": " + v + "\r\n";
      hooks_.fault_respond(plan.respond.status, plan.respond.body, headers, "text/plain");
      return;
    }
    case faults::Terminal::kReset:
      if (plan.reset_point != faults::ResetPoint::kResponse) {
        hooks_.fault_reset();
        return;
      }
      if (plan.reset_after_bytes == 0) {
        reset_ = Reset::kAfterHead;
      } else {
        reset_ = Reset::kAfterBytes;
        reset_after_ = plan.reset_after_bytes;
      }
      break;
    case faults::Terminal::kStall:
      // Hold the request and send nothing; 0 = until the client gives up (the connection
      // closes when it does), bounded by the idle timeout.
      hooks_.fault_stall(plan.stall_for.count() > 0 ? plan.stall_for.count() : idle_timeout_ms);
      return;
    case faults::Terminal::kNone:
      break;
  }
  hooks_.fault_forward();
}

void HttpFaultExecutor::delay_response_head() {
  if (plan_.response_delay.count() > 0 && !hooks_.faults_halted())
    hooks_.fault_delay_response(plan_.response_delay.count());
}

bool HttpFaultExecutor::start_close_delay() {
  if (hooks_.faults_halted()) return false;
  uint64_t ms = close_delay_ms_;
  close_delay_ms_ = 0;
  hooks_.fault_delay_close(ms);
  return true;
}

void HttpFaultExecutor::release() {
  bucket_[kUp] = TokenBucket();
  bucket_[kDown] = TokenBucket();
  reset_ = Reset::kNever;
}

void HttpFaultExecutor::end() {
  active_ = false;
  release();
}

}  // namespace faultline::proxy
