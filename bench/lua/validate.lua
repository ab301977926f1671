-- wrk script of `bun run bench`: GET BENCH_PATH with one credential per request.
-- BENCH_COOKIE set: send it as the Cookie header (a session), no Authorization.
-- BENCH_TOKENS_FILE set: "Authorization: Bearer <line>", cycling through its lines in order (each
-- token seen once per cycle); otherwise BENCH_TOKEN on every request.
-- done() prints one JSON line for bench/wrk.ts.
local path = os.getenv("BENCH_PATH") or "/api/v1/validate"
local file = os.getenv("BENCH_TOKENS_FILE")
local cookie = os.getenv("BENCH_COOKIE")
local tokens, n, i = {}, 0, 0

if cookie and cookie ~= "" then
  -- A fixed request is built once by wrk: no per-request Lua cost on the client.
  wrk.method = "GET"
  wrk.path = path
  wrk.headers["Cookie"] = cookie
elseif file and file ~= "" then
  for line in io.lines(file) do
    if #line > 0 then
      n = n + 1
      tokens[n] = "Bearer " .. line
    end
  end
  request = function()
    i = i % n + 1
    return wrk.format("GET", path, { ["Authorization"] = tokens[i] })
  end
else
  wrk.method = "GET"
  wrk.path = path
  wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "none")
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"seconds":%.3f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"non2xx":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.status, e.connect, e.read, e.write, e.timeout))
end
