-- wrk script of the ideas benchmark, the same for every target (hello-world included), so the
-- per-response bookkeeping costs them all the same.
--
-- Every target: counts the answers by HTTP status (wrk's own "Non-2xx or 3xx" count lets
-- redirects pass, and a redirect to the log-in page is a failure here) and prints, after the
-- run, one line wrk does not: BENCH p50=.. p75=.. p90=.. p95=.. p99=.. (ms) status_200=.. ...
--
-- BENCH_MODE=toggle: POST /<BENCH_CITY>/ideas/<id>/support as one of the logged-in users of
-- BENCH_SESSIONS (lines "<session cookie> <CSRF token>"), with htmx's HX-Request header, on an
-- idea of BENCH_IDEAS (ids, most supported first): half the time one of the BENCH_HOT most
-- supported (contention on popular ideas), else any published idea.
-- BENCH_MODE=register (the living-lab benchmark): POST the registration form of one of the
-- sessions of BENCH_TARGETS (paths, one per line) as a random one of the BENCH_SESSIONS users:
-- a first registration answers 303 to the ticket (a seat while they last, then the waitlist),
-- a repeated one 303 to the same ticket.
-- Otherwise: GET of the URL given to wrk (with BENCH_COOKIE, as that signed-in person).
-- The BENCH line also counts failed answers (not 2xx or 3xx).

local mode = os.getenv("BENCH_MODE") or "get"
local user_agent = "engage-bench"  -- the session cookies were made for this User-Agent
local threads = {}
local counter = 0

local function lines(path)
  local result = {}
  for line in io.lines(path) do
    if line ~= "" then table.insert(result, line) end
  end
  return result
end

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  math.randomseed(os.time() * 1000 + (thread_number or 0))
  if mode == "toggle" or mode == "register" then
    sessions = {}
    for _, line in ipairs(lines(os.getenv("BENCH_SESSIONS"))) do
      local cookie, token = line:match("^(%S+)%s+(%S+)$")
      table.insert(sessions, {cookie = cookie, token = token})
    end
    origin = "http://" .. wrk.host .. ":" .. wrk.port
  end
  if mode == "register" then
    targets = lines(os.getenv("BENCH_TARGETS"))
  end
  if mode == "toggle" then
    city = os.getenv("BENCH_CITY")
    hot = tonumber(os.getenv("BENCH_HOT") or "100")
    ideas = lines(os.getenv("BENCH_IDEAS"))
    if hot > #ideas then hot = #ideas end
  end
end

function request()
  if mode == "register" then
    local n = math.random(#sessions)
    local session = sessions[n]
    local path = targets[math.random(#targets)]
    local body = "csrf_token=" .. session.token .. "&name=Participant+" .. n ..
      "&stakeholder_type=citizen&organisation=&dietary=&website="
    return wrk.format("POST", path, {
      ["User-Agent"] = user_agent,
      ["Referer"] = origin .. path,
      ["Cookie"] = "session=" .. session.cookie,
      ["X-CSRFToken"] = session.token,
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body)
  end
  if mode ~= "toggle" then
    -- BENCH_COOKIE: a signed-in person's session cookie, for pages behind a log-in.
    local cookie = os.getenv("BENCH_COOKIE")
    if cookie then
      return wrk.format(nil, nil, {["User-Agent"] = user_agent, ["Cookie"] = "session=" .. cookie})
    end
    return wrk.format(nil, nil, {["User-Agent"] = user_agent})
  end
  local session = sessions[math.random(#sessions)]
  local idea
  if math.random() < 0.5 then
    idea = ideas[math.random(hot)]
  else
    idea = ideas[math.random(#ideas)]
  end
  local page = "/" .. city .. "/ideas/" .. idea
  return wrk.format("POST", page .. "/support", {
    ["User-Agent"] = user_agent,
    ["Referer"] = origin .. page,
    ["Cookie"] = "session=" .. session.cookie,
    ["X-CSRFToken"] = session.token,
    ["HX-Request"] = "true",
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "")
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for status, n in pairs(counts) do
      totals[status] = (totals[status] or 0) + n
    end
  end
  local parts = {}
  for _, p in ipairs({50, 75, 90, 95, 99}) do
    table.insert(parts, string.format("p%d=%.3f", p, latency:percentile(p) / 1000.0))
  end
  local codes = {}
  local failed = 0
  for status, n in pairs(totals) do
    table.insert(codes, status)
    if status < 200 or status >= 400 then failed = failed + n end
  end
  table.sort(codes)
  for _, status in ipairs(codes) do
    table.insert(parts, string.format("status_%d=%d", status, totals[status]))
  end
  table.insert(parts, string.format("failed=%d", failed))
  table.insert(parts, string.format("requests=%d", summary.requests))
  io.write("BENCH " .. table.concat(parts, " ") .. "\n")
end
