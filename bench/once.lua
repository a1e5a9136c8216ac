-- wrk script: a reboot storm, every device once.
--   wrk -tT ... -s once.lua URL -- <prefix> <mac list file> <T>
-- Thread t of T takes the devices on lines t+1, t+1+T, ... and asks for
-- each one's binary file then its XML file (<prefix>/cfg<mac>,
-- <prefix>/cfg<mac>.xml), as a booting device does; it stops when its
-- devices are done.  done() prints one RESULT line like rotate.lua's.

local nthreads = 0
function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
end

local reqs, n, sent = {}, 0, 0
function init(args)
  local prefix, list, T = args[1], args[2], tonumber(args[3]) or 1
  local line = 0
  for mac in io.lines(list) do
    if line % T == (tid or 0) then
      reqs[#reqs + 1] = wrk.format("GET", prefix .. "/cfg" .. mac)
      reqs[#reqs + 1] = wrk.format("GET", prefix .. "/cfg" .. mac .. ".xml")
    end
    line = line + 1
  end
  n = #reqs
end

function request()
  sent = sent + 1
  if sent >= n then
    wrk.thread:stop()
  end
  return reqs[math.min(sent, n)]
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
