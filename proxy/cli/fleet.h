#pragma once
// `faultline ctl --k8s [-n NAMESPACE] -l SELECTOR VERB ...` (SPEC §11): one verb sent to the
// admin API of every matching pod through the Kubernetes API server's pod proxy, reached over
// `kubectl proxy` (so every kubeconfig login works) that ctl starts and stops itself, or over
// a proxy URL given with --k8s-proxy. Pods run in parallel, a bounded number at a time; the
// output is one row per pod, and the exit code is 0 only when every pod succeeded.
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "proxy/cli/ctl_http.h"

namespace faultline::proxy {

struct FleetOptions {
  std::string namespace_name;  // empty: the kubeconfig context's namespace, else "default"
  std::string selector;        // a label selector, as kubectl -l takes it ("app=checkout")
  std::string proxy_url;       // empty: start `kubectl proxy --port=0`
  std::string kubectl = "kubectl";
  int parallel = 10;  // pods talked to at once
  int admin_port =
      0;  // 0: the faultline container's port "faultline-admin" (or "admin"), else 9901
  bool json = false;
};

// A pod the selector matched, and whether the verb goes to it.
struct FleetPod {
  std::string name;
  int admin_port = 0;
  std::string skipped;  // why the verb is not sent to it ("not ready"); empty when it is
};

// Reads a PodList (the API server's JSON) into pods. Running, ready pods with a container
// named "faultline" (or whose image is faultline's) are targets; the others are listed with
// the reason they are skipped. `include_unready`: a running pod that is not ready is a target
// too (halt: a pod made unready by its own faults is the one that most needs halting).
Result<std::vector<FleetPod>> parse_pod_list(std::string_view json, int admin_port,
                                             bool include_unready);

// Runs the verb against one pod's admin API (`admin_url`, a pod-proxy URL) with ctl's
// CtlClient; returns its exit code, its output in `out`, its errors in `err`.
using FleetVerb =
    std::function<int(const std::string& admin_url, std::ostream& out, std::ostream& err)>;

// Lists the pods, sends the verb (`verb_name` only decides include_unready) to each target in
// parallel and prints one row per pod to `out` (JSON with options.json). Returns kCtlOk, or
// kCtlFleetFailed when a pod failed or none matched; kCtlUsage / kCtlUnreachable when the API
// server could not be reached or kubectl proxy did not start.
int run_fleet(const FleetOptions& options, const std::string& verb_name, const FleetVerb& verb,
              std::ostream& out, std::ostream& err);

}  // namespace faultline::proxy
