#pragma once
// Renders a MetricsSample in the Prometheus text exposition format 0.0.4 (SPEC §5).
// Pure, so the output can be golden-tested and checked with `promtool check metrics`.
#include <string>
#include <string_view>

#include "proxy/admin/backend.h"

namespace faultline::proxy::admin {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// Every metric family of SPEC §5 is always described (HELP and TYPE) even without samples;
// faultline_halted, faultline_cpu_stress_workers and both faultline_config_reloads_total
// results are always present. Samples repeating a label set are summed, so the output
// never holds duplicate series.
std::string render_metrics(const MetricsSample& sample);

// Label value escaping of the text format: backslash, double quote and newline.
std::string escape_label_value(std::string_view value);

}  // namespace faultline::proxy::admin
