-- wrk hook for tests/bench/run.sh: prints one machine-readable line after the run, with exact
-- counts and microsecond percentiles, so the script never parses wrk's human-formatted units.
-- Only done() is defined: per-request hooks would slow wrk down.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%.0f bytes=%.0f duration_us=%.0f p50_us=%.0f p99_us=%.0f socket_errors=%.0f status_errors=%.0f\n",
    summary.requests, summary.bytes, summary.duration,
    latency:percentile(50.0), latency:percentile(99.0),
    e.connect + e.read + e.write + e.timeout, e.status))
end
