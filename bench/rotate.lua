-- wrk script: rotate through a list of requests.
--   wrk ... -s rotate.lua URL -- <prefix> <mac list file>
--     every device's cfg<mac>.xml under prefix (/prov or /static);
--     the list has one MAC per line
--   wrk ... -s rotate.lua URL -- <path list file>
--     one full path per line (e.g. /fw/<mac>/gxp2170fw.bin)
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
  if list then
    for mac in io.lines(list) do
      reqs[#reqs + 1] = wrk.format("GET", prefix .. "/cfg" .. mac .. ".xml")
    end
  else
    for p in io.lines(prefix) do reqs[#reqs + 1] = wrk.format("GET", p) end
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
