-- wrk script of the consultations benchmark: the ideas benchmark's script (bench/ideas/load.lua:
-- answers counted by status, "BENCH p50=.. p95=.. p99=.. status_200=.." printed after the run),
-- loaded as it is, with one addition:
--
-- BENCH_SESSIONS=file (lines "<session cookie> <CSRF token>"): each GET carries the session
-- cookie of one of these signed-in users, at random (a signed-in visitor, whom the page cache
-- never serves). Without it: the ideas script's anonymous GET, unchanged (hello-world too).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "../ideas/load.lua")

local sessions_file = os.getenv("BENCH_SESSIONS")
if sessions_file and sessions_file ~= "" then
  local anonymous_init = init

  function init(args)
    anonymous_init(args)
    cookies = {}
    for line in io.lines(sessions_file) do
      local cookie = line:match("^(%S+)")
      if cookie then table.insert(cookies, cookie) end
    end
  end

  function request()
    return wrk.format(nil, nil, {
      ["User-Agent"] = "engage-bench",  -- the cookies were made for this User-Agent
      ["Cookie"] = "session=" .. cookies[math.random(#cookies)],
    })
  end
end
