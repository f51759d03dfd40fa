-- wrk script of the benchmarks: replays a file of prepared requests, one per line,
--   METHOD <TAB> PATH <TAB> BEARER-TOKEN (or -) <TAB> JSON BODY (optional)
-- Each wrk thread starts at its own offset and cycles through the file, so with as many
-- lines (sessions) as connections every connection works as its own logged-in user, the way
-- the RosarioSIS bar was measured (../shared/STACK.md). At the end it prints one JSON line with
-- the counts and the latency percentiles (microseconds), which tests/perf/loadgen.py reads.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local reqs = {}
local idx = 0

function init(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    local method, path, token, body = line:match("^([^\t]+)\t([^\t]+)\t([^\t]*)\t?(.*)$")
    if method then
      local headers = {}
      if token ~= "" and token ~= "-" then headers["Authorization"] = "Bearer " .. token end
      if body ~= nil and body ~= "" then
        headers["Content-Type"] = "application/json"
      else
        body = nil
      end
      reqs[#reqs + 1] = wrk.format(method, path, headers, body)
    end
  end
  f:close()
  local n = #reqs
  local t = tonumber(tid) or 1
  idx = math.floor((t - 1) * n / math.max(1, tonumber(args[2]) or 1))
end

function request()
  idx = idx % #reqs + 1
  return reqs[idx]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
