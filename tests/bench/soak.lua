-- wrk hook for tests/bench/soak.sh. Every 10th request asks for an injected 503
-- (x-chaos-abort), every 10th (another one) for a 5 ms delay (x-chaos-delay); the rest are
-- plain, and the config's latency experiment delays 10 % of all requests. A response counts
-- as faulted when it carries x-chaos-injected; a failure is any other non-200 response.
-- Prints one machine-readable SOAK line at the end, summed over wrk's threads.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  n, ok, faulted_abort, faulted_latency, failed = 0, 0, 0, 0, 0
  plain = wrk.format("GET", "/small")
  abort = wrk.format("GET", "/small", { ["x-chaos-abort"] = "503" })
  delay = wrk.format("GET", "/small", { ["x-chaos-delay"] = "5ms" })
end

function request()
  n = n + 1
  if n % 10 == 3 then return abort end
  if n % 10 == 7 then return delay end
  return plain
end

function response(status, headers, body)
  local injected = headers["x-chaos-injected"] or ""
  if injected:find("abort") then
    if status == 503 then faulted_abort = faulted_abort + 1 else failed = failed + 1 end
  elseif status == 200 then
    ok = ok + 1
    if injected:find("latency") then faulted_latency = faulted_latency + 1 end
  else
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local t = { ok = 0, faulted_abort = 0, faulted_latency = 0, failed = 0 }
  for _, thread in ipairs(threads) do
    for k in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
  end
  local e = summary.errors
  io.write(string.format(
    "SOAK requests=%.0f ok=%d faulted_abort=%d faulted_latency=%d failed=%d socket_errors=%.0f p99_us=%.0f\n",
    summary.requests, t.ok, t.faulted_abort, t.faulted_latency, t.failed,
    e.connect + e.read + e.write + e.timeout, latency:percentile(99.0)))
end
