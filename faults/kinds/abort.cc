// abort: answer with a canned response instead of forwarding (HTTP only).
#include <memory>

#include "config/ascii.h"
#include "faults/kinds/common.h"

namespace faultline::faults {
namespace {

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Header names and values end up on the wire verbatim: refuse anything that could split the
// response or contradict the framing faultline writes itself.
bool check_header(ParamReader& reader, const std::string& name, const std::string& value) {
  bool token = !name.empty();
  for (char c : name) token = token && is_token_char(c);
  if (!token) {
    reader.error("headers", "header name \"" + name + "\" is not a valid HTTP token");
    return false;
  }
  if (value.find_first_of("\r\n", 0) != std::string::npos ||
      value.find('\0') != std::string::npos) {
    reader.error("headers", "header \"" + name + "\" has a line break in its value");
    return false;
  }
  if (config::ascii_iequals(name, "content-length") ||
      config::ascii_iequals(name, "transfer-encoding") ||
      config::ascii_iequals(name, "connection")) {
    reader.error("headers", "header \"" + name + "\" is set by faultline and cannot be given");
    return false;
  }
  return true;
}

void compile_abort(ParamReader& reader, const KindContext& context, CompiledFault& out) {
  const auto status = reader.integer("status");
  const auto body = reader.string("body");
  const auto headers = reader.string_table("headers");
  const auto grpc_status = reader.integer("grpc_status");
  const auto grpc_message = reader.string("grpc_message");
  const auto after_messages = reader.integer("after_messages");
  if (context.on_tcp)
    reader.error(
        "type",
        "abort applies to http listeners only; this experiment runs on a tcp "
        "listener (" +
            std::string(context.tcp_remedy.empty() ? "use reset or stall" : context.tcp_remedy) +
            ")");
  if (status && (*status < 200 || *status > 599))
    reader.error("status", "expected an HTTP status 200..599, got " + std::to_string(*status));
  if (grpc_status && (*grpc_status < 0 || *grpc_status > 16))
    reader.error("grpc_status",
                 "expected a gRPC status 0..16, got " + std::to_string(*grpc_status));
  if (grpc_message && !grpc_status) reader.error("grpc_message", "grpc_message needs grpc_status");
  if (grpc_message && grpc_message->find_first_of("\r\n") != std::string::npos)
    reader.error("grpc_message", "grpc_message has a line break");
  if (after_messages && !grpc_status)
    reader.error("after_messages", "after_messages needs grpc_status (it ends a gRPC stream)");
  if (after_messages && (*after_messages < 0 || *after_messages > UINT32_MAX))
    reader.error("after_messages",
                 "expected a message count >= 0, got " + std::to_string(*after_messages));
  auto response = std::make_shared<Response>();
  // SPEC §8: an abort with only grpc_status answers a non-gRPC request 200 with the message.
  const bool grpc_only = grpc_status && !status;
  response->status = static_cast<int>(status.value_or(grpc_only ? 200 : 503));
  response->body = body.value_or("fault injected by faultline\n");
  if (grpc_status) {
    response->grpc_status = static_cast<int>(*grpc_status);
    response->grpc_message = grpc_message.value_or("fault injected by faultline");
    response->after_messages = static_cast<uint32_t>(after_messages.value_or(0));
    if (grpc_only && (grpc_message || !reader.has("body")))
      response->body = response->grpc_message + "\n";
  }
  if (headers) {
    for (const auto& [name, value] : *headers)
      if (check_header(reader, name, value)) response->headers.emplace_back(name, value);
  }
  if (!reader.ok()) return;

  Primitive primitive;
  primitive.op = Op::kRespond;
  primitive.response = std::move(response);
  out.annotation =
      kinds::annotation("abort",
                        grpc_only ? "grpc-" + std::to_string(primitive.response->grpc_status)
                                  : std::to_string(primitive.response->status),
                        context.source);
  out.primitives.push_back(std::move(primitive));
  out.terminal = true;
}

// x-chaos-abort: <status>; the body says where the fault came from. x-chaos-grpc-status: N
// (with x-chaos-grpc-message) aborts a gRPC request with that status (SPEC §8).
constexpr HeaderParam kAbortHeaders[] = {
    {"status", "x-chaos-abort", "an HTTP status 200..599"},
    {"body", "", "", "fault injected by faultline (x-chaos-abort)\n"},
    {"grpc_status", "x-chaos-grpc-status", "a gRPC status 0..16"},
    {"grpc_message", "x-chaos-grpc-message", "a message without line breaks"},
};
constexpr HeaderTrigger kAbortTrigger{kAbortHeaders, /*terminal=*/true};

}  // namespace

extern const FaultKind kAbortKind{"abort", true, compile_abort, &kAbortTrigger};

}  // namespace faultline::faults
