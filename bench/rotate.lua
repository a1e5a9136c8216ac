-- wrk script: rotate through every device's file.
--   wrk ... -s rotate.lua URL -- <prefix> <mac list file>
-- e.g. prefix /prov or /static; the list has one MAC per line.
-- Requests are pre-formatted in init(), so request() costs the same for
-- both sides. Each thread starts at a different offset.
-- done() prints one machine-readable RESULT line.

local nthreads = 0
function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
end

local reqs, idx = {}, 0
function init(args)
  local prefix, list = args[1], args[2]
  for mac in io.lines(list) do
    reqs[#reqs + 1] = wrk.format("GET", prefix .. "/cfg" .. mac .. ".xml")
  end
  idx = ((tid or 0) * 997) % #reqs
end

function request()
  idx = idx % #reqs + 1
  return reqs[idx]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f bytes=%d status_err=%d " ..
    "connect=%d read=%d write=%d timeout=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration,
    summary.requests / (summary.duration / 1e6), summary.bytes,
    e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
