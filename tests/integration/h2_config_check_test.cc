// SPEC §8 config keys through `faultline check`: good values pass, bad ones are reported as
// FILE:LINE:COL with the key path, every error in one pass.
#include <string>

#include "support.h"

namespace faultline::harness {
namespace {

CommandResult check(const TempDir& dir, const std::string& toml) {
  return run_faultline({"check", "--config", dir.write("c.toml", toml)});
}

TEST(H2ConfigCheck, GoodKeysPass) {
  TempDir dir;
  auto r = check(dir, R"([safety]
max_goaway_per_second = 5
[[listeners]]
name = "grpc"
listen = "127.0.0.1:0"
upstream = "127.0.0.1:50051"
upstream_protocol = "http2"
h2_max_concurrent_streams = 50
h2_initial_window = "128KiB"
[[experiments]]
name = "grpc-faults"
[[experiments.faults]]
type = "abort"
grpc_status = 14
grpc_message = "unavailable"
after_messages = 3
[[experiments.faults]]
type = "reset"
code = "refused_stream"
[[experiments.faults]]
type = "goaway"
code = "enhance_your_calm"
graceful = false
)");
  ASSERT_TRUE(r.status.has_value());
  EXPECT_TRUE(r.status->exited && r.status->code == 0) << r.status->str() << r.out << r.err;
}

TEST(H2ConfigCheck, BadKeysAreReportedWithPositions) {
  TempDir dir;
  auto r = check(dir, R"([safety]
max_goaway_per_second = 0
[[listeners]]
name = "grpc"
listen = "127.0.0.1:0"
upstream = "127.0.0.1:50051"
upstream_protocol = "h2"
h2_max_concurrent_streams = 0
h2_initial_window = "512B"
[[listeners]]
name = "raw"
listen = "127.0.0.1:0"
upstream = "127.0.0.1:1"
protocol = "tcp"
h2_initial_window = "64KiB"
[[experiments]]
name = "bad"
listeners = ["grpc"]
[[experiments.faults]]
type = "abort"
grpc_status = 17
[[experiments.faults]]
type = "abort"
grpc_message = "no status"
after_messages = 2
[[experiments.faults]]
type = "reset"
code = "boom"
[[experiments.faults]]
type = "goaway"
graceful = "yes"
)");
  ASSERT_TRUE(r.status.has_value());
  EXPECT_TRUE(r.status->exited && r.status->code == 1) << r.status->str() << r.out << r.err;
  const std::string out = r.out + r.err;
  for (const char* expected : {
           "c.toml:2:1: safety.max_goaway_per_second: must be between 1 and 10000",
           "c.toml:7:1: listeners[0].upstream_protocol: expected one of auto|http1|http2",
           "c.toml:8:1: listeners[0].h2_max_concurrent_streams: must be between 1 and 10000",
           "c.toml:9:1: listeners[0].h2_initial_window: must be between 1KiB and 1GiB",
           "c.toml:15:1: listeners[1].h2_initial_window: applies to http listeners only",
           "c.toml:21:1: experiments[0].faults[0].grpc_status: expected a gRPC status 0..16",
           "c.toml:24:1: experiments[0].faults[1].grpc_message: grpc_message needs grpc_status",
           "c.toml:25:1: experiments[0].faults[1].after_messages: after_messages needs "
           "grpc_status",
           "c.toml:28:1: experiments[0].faults[2].code: expected one of \"cancel\"",
           "c.toml:31:1: experiments[0].faults[3].graceful: expected true or false",
       })
    EXPECT_NE(out.find(expected), std::string::npos) << "missing: " << expected << "\n" << out;
}

}  // namespace
}  // namespace faultline::harness
