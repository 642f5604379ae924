-- wrk script of the citizen-science benchmark: the ideas benchmark's script
-- (bench/ideas/load.lua: answers counted by status, "BENCH p50=.. p95=.. p99=.. status_200=.."
-- printed after the run), loaded as it is, with one addition:
--
-- BENCH_PATH=/<city>/p/<process>/map.geojson, BENCH_BOUNDS=south,west,north,east (the
-- campaign's area) and BENCH_ZOOM=z: each GET asks for the visible box of a 1280 × 800 px map
-- at zoom z centred at a random point of the area (as the page's script would after a pan),
-- the coordinates rounded to 5 decimals as static/js/science-map.js does. Without BENCH_PATH:
-- the ideas script's GET of wrk's URL, unchanged (hello-world too).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "../ideas/load.lua")

local path = os.getenv("BENCH_PATH")
if path and path ~= "" then
  local plain_init = init
  local WIDTH, HEIGHT = 1280, 800

  function init(args)
    plain_init(args)
    bounds = {}
    for value in string.gmatch(os.getenv("BENCH_BOUNDS"), "[^,]+") do
      table.insert(bounds, tonumber(value))
    end
    zoom = tonumber(os.getenv("BENCH_ZOOM"))
  end

  function request()
    local lat = bounds[1] + math.random() * (bounds[3] - bounds[1])
    local lon = bounds[2] + math.random() * (bounds[4] - bounds[2])
    local per_px = 360.0 / (256 * 2 ^ zoom)
    local half_w = per_px * WIDTH / 2
    local half_h = per_px * math.cos(math.rad(lat)) * HEIGHT / 2
    local box = string.format("%.5f,%.5f,%.5f,%.5f", lat - half_h, lon - half_w,
                              lat + half_h, lon + half_w)
    return wrk.format("GET", path .. "?bbox=" .. box .. "&zoom=" .. zoom,
                      {["User-Agent"] = "engage-bench", ["Accept-Encoding"] = "identity"})
  end
end
