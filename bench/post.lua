-- wrk script for the hookgate benchmark: POST a 1 KiB JSON webhook on every request
-- (BENCH_BODY_BYTES changes the size) and print a machine-readable summary at the end.
-- The body has the same shape as examples/bench_load.rs sends, so every load is alike.

local size = tonumber(os.getenv("BENCH_BODY_BYTES") or "1024")
local head = '{"type":"bench.event","seq":"0000000000","data":{"object":"reservation","pad":"'
local tail = '"}}'
local pad = size - #head - #tail
if pad < 0 then pad = 0 end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
-- The shared-secret header the benchmark's listener requires (examples/bench_config.rs).
wrk.headers["X-Bench-Key"] = "bench-key-0"
wrk.body = head .. string.rep("x", pad) .. tail

-- One line of JSON that bench_run reads; non-2xx/3xx answers are in errors_status.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors_connect":%d,"errors_read":%d,' ..
    '"errors_write":%d,"errors_status":%d,"errors_timeout":%d,"lat_mean_us":%.1f,' ..
    '"lat_p50_us":%d,"lat_p99_us":%d,"lat_max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency.mean, latency:percentile(50), latency:percentile(99), latency.max))
end
