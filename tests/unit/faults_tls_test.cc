// The TLS handshake faults: tls_handshake_delay and tls_abort compile only for TLS listeners,
// with their keys checked; decide_handshake() matches match.sni (globs, caseless) and
// match.sources; request and accept decisions never pick them; match.sni also selects request
// faults on TLS http listeners, and is refused where no request has a server name.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "faults/catalog.h"
#include "faults/experiment.h"
#include "faults/primitive.h"
#include "faults_fixtures.h"

namespace faultline::faults {
namespace {

using namespace testing;
using namespace std::chrono_literals;

config::ListenerConfig tls_listener(std::string name,
                                    config::Protocol protocol = config::Protocol::kHttp) {
  config::ListenerConfig out = listener(std::move(name), protocol);
  out.tls.enabled = true;
  return out;
}

struct TlsCompiled {
  bool ok = false;
  CompiledExperiment experiment;
  config::Diagnostics diags;
  std::string errors() const {
    std::string out;
    for (const auto& item : diags.items()) out += item.path + ": " + item.message + "\n";
    return out;
  }
};

TlsCompiled compile_tls(config::ExperimentConfig e,
                        std::vector<config::ListenerConfig> listeners = {tls_listener("secure")}) {
  auto config = make_config({}, std::move(listeners));
  TlsCompiled out;
  out.ok = compile_experiment(e, *config, Source::kConfig, out.experiment, out.diags);
  return out;
}

config::FaultConfig delay(const char* value) {
  return fault("tls_handshake_delay", {{"delay", str(value)}});
}

Node boolean(bool value) {
  Node node;
  node.kind = Node::Kind::kBool;
  node.boolean = value;
  return node;
}

TEST(TlsKinds, DelayCompilesToAHandshakeHold) {
  auto r = compile_tls(experiment("e", {delay("2s")}));
  ASSERT_TRUE(r.ok) << r.errors();
  const CompiledFault& f = r.experiment.faults[0];
  EXPECT_TRUE(f.at_handshake);
  EXPECT_FALSE(f.terminal);
  ASSERT_EQ(f.primitives.size(), 1u);
  EXPECT_EQ(f.primitives[0].op, Op::kHandshakeDelay);
  EXPECT_EQ(f.primitives[0].amount, 2s);
  EXPECT_EQ(f.annotation, "tls_handshake_delay=2s@e");
  EXPECT_FALSE(r.experiment.has_request_faults);
  EXPECT_FALSE(r.experiment.has_connect_faults);
}

TEST(TlsKinds, DelayIsRequiredAndCapped) {
  auto missing = compile_tls(experiment("e", {fault("tls_handshake_delay", {})}));
  EXPECT_FALSE(missing.ok);
  EXPECT_NE(missing.errors().find("faults[0].delay: tls_handshake_delay needs a delay"),
            std::string::npos)
      << missing.errors();
  auto capped = compile_tls(experiment("e", {delay("31s")}));  // safety.max_delay is 30s
  EXPECT_FALSE(capped.ok);
  EXPECT_NE(capped.errors().find("exceeds safety.max_delay"), std::string::npos) << capped.errors();
}

TEST(TlsKinds, AbortAlertDefaultsToHandshakeFailure) {
  auto r = compile_tls(experiment("e", {fault("tls_abort", {})}));
  ASSERT_TRUE(r.ok) << r.errors();
  const CompiledFault& f = r.experiment.faults[0];
  EXPECT_TRUE(f.at_handshake);
  EXPECT_TRUE(f.terminal);
  EXPECT_EQ(f.primitives[0].op, Op::kHandshakeAbort);
  EXPECT_EQ(f.primitives[0].alert, 40);
  EXPECT_EQ(f.annotation, "tls_abort=handshake_failure@e");

  auto named =
      compile_tls(experiment("e", {fault("tls_abort", {{"alert", str("internal_error")}})}));
  ASSERT_TRUE(named.ok) << named.errors();
  EXPECT_EQ(named.experiment.faults[0].primitives[0].alert, 80);

  auto reset = compile_tls(experiment("e", {fault("tls_abort", {{"reset", boolean(true)}})}));
  ASSERT_TRUE(reset.ok) << reset.errors();
  EXPECT_EQ(reset.experiment.faults[0].primitives[0].alert, 0);
  EXPECT_EQ(reset.experiment.faults[0].annotation, "tls_abort=reset@e");
}

TEST(TlsKinds, AbortRefusesUnknownAlertsAndBothForms) {
  auto unknown =
      compile_tls(experiment("e", {fault("tls_abort", {{"alert", str("close_notify")}})}));
  EXPECT_FALSE(unknown.ok);
  EXPECT_NE(unknown.errors().find("faults[0].alert: unknown TLS alert \"close_notify\" (known: "
                                  "\"handshake_failure\""),
            std::string::npos)
      << unknown.errors();
  auto both = compile_tls(experiment(
      "e", {fault("tls_abort", {{"alert", str("internal_error")}, {"reset", boolean(true)}})}));
  EXPECT_FALSE(both.ok);
  EXPECT_NE(both.errors().find("faults[0].reset: set either alert"), std::string::npos)
      << both.errors();
  auto not_bool = compile_tls(experiment("e", {fault("tls_abort", {{"reset", str("yes")}})}));
  EXPECT_FALSE(not_bool.ok);
  EXPECT_NE(not_bool.errors().find("faults[0].reset: expected true or false"), std::string::npos)
      << not_bool.errors();
}

TEST(TlsKinds, RefusedOnListenersWithoutTls) {
  auto r = compile_tls(experiment("e", {fault("tls_abort", {})}),
                       {tls_listener("secure"), listener("plain")});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.errors().find("faults[0].type: tls_abort applies to TLS listeners only; this "
                            "experiment runs on listener \"plain\""),
            std::string::npos)
      << r.errors();
  // Naming the TLS listener is the fix.
  auto e = experiment("e", {fault("tls_abort", {})});
  e.listeners = {"secure"};
  EXPECT_TRUE(compile_tls(e, {tls_listener("secure"), listener("plain")}).ok);
  // TLS tcp listeners have handshakes too.
  EXPECT_TRUE(
      compile_tls(experiment("e", {delay("1s")}), {tls_listener("raw", config::Protocol::kTcp)})
          .ok);
}

TEST(TlsKinds, RefusedWithRequestMatchersAndSniRefusedWithOtherFaults) {
  auto paths = experiment("e", {delay("1s")});
  paths.match.paths = {"/api"};
  auto r = compile_tls(paths);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.errors().find("tls_handshake_delay is decided in the TLS handshake"),
            std::string::npos)
      << r.errors();
}

// match.sni with request faults: fine on TLS http listeners (the request's connection has the
// ClientHello's name); refused where no request could ever carry one.
TEST(MatchSni, RequestFaultsNeedTlsHttpListeners) {
  auto sni = experiment("e", {delay("1s"), fault("latency", {{"delay", str("1s")}})});
  sni.match.sni = {"api.example.com"};
  auto r = compile_tls(sni);
  EXPECT_TRUE(r.ok) << r.errors();
  EXPECT_TRUE(r.experiment.has_request_faults);

  r = compile_tls(sni, {tls_listener("secure"), listener("plain")});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.errors().find("match.sni: match.sni is read from the TLS ClientHello and applies "
                            "to tls_handshake_delay, tls_abort and requests on TLS http "
                            "listeners; this experiment runs on listener \"plain\", which has "
                            "no [listeners.tls]"),
            std::string::npos)
      << r.errors();

  auto at_connect = experiment("e", {fault("reset", {{"phase", str("connect")}})});
  at_connect.match.sni = {"api.example.com"};
  r = compile_tls(at_connect);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.errors().find("faults[0] is reset at phase = \"connect\""), std::string::npos)
      << r.errors();

  auto on_tcp = experiment("e", {fault("latency", {{"delay", str("1s")}})});
  on_tcp.match.sni = {"api.example.com"};
  r = compile_tls(on_tcp, {tls_listener("raw", config::Protocol::kTcp)});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.errors().find("faults[0] is latency on a tcp listener"), std::string::npos)
      << r.errors();
}

TEST(MatchSni, DecideRequestMatchesTheConnectionsServerName) {
  auto e = experiment("e", {fault("abort", {{"status", integer(503)}})});
  e.match.sni = {"api.*"};
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e}, {tls_listener("secure")}))) << engine.errors();
  Rng rng(1);
  auto plan_for = [&](std::string_view sni) {
    Request request;
    RequestHead head = request.head();
    head.sni = sni;
    return decide(*engine.snapshot, head, rng, t0(), 0);
  };
  const Plan hit = plan_for("API.example.com");
  ASSERT_EQ(hit.applied.size(), 1u);
  EXPECT_EQ(hit.applied[0].kind, "abort");
  EXPECT_EQ(hit.respond.status, 503);
  EXPECT_TRUE(plan_for("www.example.com").empty());
  EXPECT_TRUE(plan_for("").empty());  // no SNI (or a plain connection) matches no glob
}

TEST(MatchSni, DecodesLowerCasedGlobsAndRoundTripsThroughJson) {
  config::Diagnostics diags;
  auto e = config::decode_experiment_toml(R"(name = "s"
[match]
sni = ["API.example.com", "*.internal"]
[[faults]]
type = "tls_abort"
)",
                                          "s.toml", diags);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->match.sni, (std::vector<std::string>{"api.example.com", "*.internal"}));
  const std::string json = config::experiment_to_json(*e);
  EXPECT_NE(json.find(R"("sni":["api.example.com","*.internal"])"), std::string::npos) << json;
  config::Diagnostics again_diags;
  auto again = config::decode_experiment_json(json, again_diags);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->match.sni, e->match.sni);

  config::Diagnostics bad;
  EXPECT_FALSE(config::decode_experiment_toml(R"(name = "s"
[match]
sni = ["a b"]
[[faults]]
type = "tls_abort"
)",
                                              "s.toml", bad)
                   .has_value() &&
               bad.ok());
  ASSERT_FALSE(bad.items().empty());
  EXPECT_EQ(bad.items()[0].format(),
            "s.toml:3:8: match.sni[0]: expected a server name glob like \"*.example.com\"");
}

struct Handshake {
  std::string sni;
  sockaddr_in peer = ipv4("127.0.0.1");
  HandshakeHead head() const {
    return HandshakeHead{reinterpret_cast<const sockaddr*>(&peer), 0, sni};
  }
};

TEST(DecideHandshake, MatchesSniGlobsCaselessAndSources) {
  auto e = experiment("e", {delay("750ms")});
  e.match.sni = {"*.example.com", "exact.test"};
  e.match.sources = {*config::parse_cidr("10.0.0.0/8")};
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e}, {tls_listener("secure")}))) << engine.errors();
  Rng rng(1);
  auto plan_for = [&](std::string sni, const char* peer = "10.1.2.3") {
    Handshake h{std::move(sni), ipv4(peer)};
    return decide_handshake(*engine.snapshot, h.head(), rng, t0(), 0);
  };
  const Plan hit = plan_for("API.Example.com");
  EXPECT_EQ(hit.handshake_delay, 750ms);
  EXPECT_FALSE(hit.handshake_abort);
  ASSERT_EQ(hit.applied.size(), 1u);
  EXPECT_EQ(hit.applied[0].kind, "tls_handshake_delay");
  EXPECT_EQ(hit.applied[0].ms, 750);
  EXPECT_EQ(plan_for("exact.test").handshake_delay, 750ms);
  EXPECT_TRUE(plan_for("example.com").empty());                   // the glob needs a label
  EXPECT_TRUE(plan_for("exact.test.evil").empty());               // globs are anchored
  EXPECT_TRUE(plan_for("").empty());                              // no SNI matches no glob
  EXPECT_TRUE(plan_for("api.example.com", "192.0.2.1").empty());  // sources apply
  const ExperimentTotals totals = engine.snapshot->find("e")->run->counters.sum();
  EXPECT_EQ(totals.matched, 2u);
  EXPECT_EQ(totals.injected[kind_index("tls_handshake_delay")], 2u);
}

TEST(DecideHandshake, DelayThenAbortAndTheFirstAbortWins) {
  auto slow = experiment("slow", {delay("100ms")});
  auto first = experiment("first", {fault("tls_abort", {{"alert", str("access_denied")}})});
  auto second = experiment("second", {fault("tls_abort", {{"reset", boolean(true)}})});
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({slow, first, second}, {tls_listener("secure")})))
      << engine.errors();
  Rng rng(1);
  const Plan plan = decide_handshake(*engine.snapshot, Handshake{"x"}.head(), rng, t0(), 0);
  EXPECT_EQ(plan.handshake_delay, 100ms);
  EXPECT_TRUE(plan.handshake_abort);
  EXPECT_EQ(plan.handshake_alert, 49);
  ASSERT_EQ(plan.applied.size(), 2u);
  EXPECT_EQ(plan.applied[1].where, "access_denied");
}

TEST(DecideHandshake, NeverPickedAtAcceptOrPerRequestAndNotWhenHalted) {
  auto e = experiment("e", {fault("tls_abort", {})});
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({e}, {tls_listener("secure")}))) << engine.errors();
  EXPECT_TRUE(engine.snapshot->listeners[0].per_request.empty());
  EXPECT_TRUE(engine.snapshot->listeners[0].per_connection.empty());
  EXPECT_EQ(engine.snapshot->listeners[0].per_handshake.size(), 1u);
  Rng rng(1);
  Request request;
  EXPECT_TRUE(decide(*engine.snapshot, request.head(), rng, t0(), 0).empty());
  ConnectionHead connection{reinterpret_cast<const sockaddr*>(&request.peer), 0};
  EXPECT_TRUE(decide_connect(*engine.snapshot, connection, rng, t0(), 0).empty());
  EXPECT_TRUE(
      decide_handshake(*engine.snapshot, Handshake{"x"}.head(), rng, t0(), 0).handshake_abort);
  engine.run->set_halted(true);
  EXPECT_TRUE(decide_handshake(*engine.snapshot, Handshake{"x"}.head(), rng, t0(), 0).empty());
}

}  // namespace
}  // namespace faultline::faults
