// goaway: the client's HTTP/2 connection gets GOAWAY(code); graceful = the last processed
// stream id (open streams finish), else 0 and close. HTTP/2 connections only; at most once per
// connection and safety.max_goaway_per_second per process (enforced by the HTTP/2 session).
#include "faults/kinds/common.h"

namespace faultline::faults {
namespace {

void compile_goaway(ParamReader& reader, const KindContext& context, CompiledFault& out) {
  const auto code = reader.choice("code", FAULTLINE_H2_CODE_NAMES);
  const auto graceful = reader.boolean("graceful");
  if (context.on_tcp)
    reader.error("type",
                 "goaway applies to HTTP/2 connections of http listeners only; this experiment "
                 "runs on a tcp listener" +
                     (context.tcp_remedy.empty() ? std::string()
                                                 : " (" + std::string(context.tcp_remedy) + ")"));
  if (!reader.ok()) return;
  Primitive primitive;
  primitive.op = Op::kGoaway;
  primitive.code = kinds::h2_code_from(code.value_or("no_error"));
  primitive.graceful = graceful.value_or(true);
  out.primitives.push_back(primitive);
  out.annotation = kinds::annotation("goaway", code.value_or("no_error"), context.source);
}

}  // namespace

extern const FaultKind kGoawayKind{"goaway", true, compile_goaway};

}  // namespace faultline::faults
