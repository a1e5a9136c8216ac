-- wrk script: a reboot storm, every device once.
--   wrk -tT ... -s once.lua URL -- <prefix> <mac list file> <T> <done dir>
-- Thread t of T takes the devices on lines t+1, t+1+T, ... and asks for
-- each one's binary file then its XML file (<prefix>/cfg<mac>,
-- <prefix>/cfg<mac>.xml), as a booting device does.  When a thread has
-- had as many responses as it has requests it creates <done dir>/<t> and
-- stops; run-cache.sh then ends wrk with SIGINT, so the run time is the
-- storm's.  Connections that ask after the list is done repeat its last
-- request (at most one per connection).  done() prints a RESULT line.

local nthreads = 0
function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
end

local reqs, n, sent, got, donefile = {}, 0, 0, 0, nil
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
  donefile = args[4] .. "/" .. (tid or 0)
end

function request()
  sent = sent + 1
  return reqs[math.min(sent, n)]
end

function response(status, headers, body)
  got = got + 1
  if got == n then
    local f = io.open(donefile, "w")
    if f then f:write(n, "\n"); f:close() end
    wrk.thread:stop()
  end
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
