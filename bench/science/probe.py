"""The citizen-science benchmark's in-process measures, after seed.py (same environment as
gunicorn):

1. `mapdata.features` for random visible boxes at every zoom from 3 to 19 (a 1280 × 800 px
   map, centred anywhere in the campaign's area, as load.lua asks): cold (the worker's cache
   emptied before each box) and warm milliseconds, statements, the mode (points or grid), the
   features and the answer's size as JSON, raw and gzip-compressed (-6, as a server would);
   the largest answers are the street-zoom boxes over the densest neighbourhoods.
2. Through the Flask test client, anonymous: map.geojson at city zoom (12) and street zoom
   (17), cold and warm (statements, ms); the map page's first load (its HTML and every local
   CSS/JS file it links, gzip -6; Leaflet included, tiles excluded) and its statements.
3. The open data: observations.csv and observations.geojson of the whole campaign (every
   accepted observation), time and size, streamed.

  python bench/science/probe.py --out DIR     (writes DIR/probe.json)
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import re
import statistics
import time
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

from engage import create_app
from engage.extensions import db
from engage.processes.models import Process
from engage.science import mapdata

WIDTH, HEIGHT = 1280, 800  # the map's size in pixels
ZOOMS = range(3, 20)
BOXES = 20
USER_AGENT = "engage-bench"
ASSET = re.compile(r'<(?:link[^>]+href|script[^>]+src)="([^"]+)"')


def visible_box(rng: random.Random, bounds: list[float], zoom: int) -> str:
    """A map's visible box at `zoom`, centred at a random point of `bounds` (as load.lua)."""
    south, west, north, east = bounds
    lat = rng.uniform(south, north)
    lon = rng.uniform(west, east)
    per_px = 360.0 / (256 * 2 ** zoom)
    half_w = per_px * WIDTH / 2
    half_h = per_px * math.cos(math.radians(lat)) * HEIGHT / 2
    return (f"{lat - half_h:.5f},{lon - half_w:.5f},{lat + half_h:.5f},"
            f"{lon + half_w:.5f}")


class Statements:
    def __init__(self) -> None:
        self.n = 0
        event.listen(Engine, "before_cursor_execute", self._count)

    def _count(self, *args) -> None:  # noqa: ANN002
        self.n += 1

    def take(self) -> int:
        n, self.n = self.n, 0
        return n


def encoded(found: dict) -> bytes:
    return json.dumps(found, separators=(",", ":")).encode()


def zoom_sweep(process: Process, bounds: list[float], log: Statements) -> list[dict]:
    rng = random.Random(7)
    settings = mapdata.settings_of(process)
    rows = []
    for zoom in ZOOMS:
        cold, warm, sizes, gz, counts, modes, statements = [], [], [], [], [], set(), []
        for _ in range(BOXES):
            bbox = mapdata.parse_bbox(visible_box(rng, bounds, zoom))
            mapdata.clear_cache()
            log.take()
            started = time.perf_counter()
            found = mapdata.features(process, bbox, zoom, settings=settings)
            cold.append((time.perf_counter() - started) * 1000)
            statements.append(log.take())
            started = time.perf_counter()
            mapdata.features(process, bbox, zoom, settings=settings)
            warm.append((time.perf_counter() - started) * 1000)
            body = encoded(found)
            sizes.append(len(body))
            gz.append(len(gzip.compress(body, 6)))
            counts.append(len(found["features"]))
            modes.add(found["properties"]["mode"])
        rows.append({
            "zoom": zoom, "boxes": BOXES, "modes": sorted(modes),
            "cold_ms_median": round(statistics.median(cold), 1),
            "cold_ms_max": round(max(cold), 1),
            "warm_ms_median": round(statistics.median(warm), 2),
            "statements_max": max(statements),
            "features_max": max(counts),
            "bytes_max": max(sizes), "gzip_median": int(statistics.median(gz)),
            "gzip_max": max(gz),
        })
    return rows


def densest_street_box(process: Process, log: Statements) -> dict:
    """Street zoom over the densest 100 m cell: the largest points answer there is."""
    from sqlalchemy import func, select

    from engage.science.models import Observation

    row = db.session.execute(
        select(Observation.public_lat, Observation.public_lon, func.count())
        .where(Observation.process_id == process.id)
        .group_by(Observation.public_lat, Observation.public_lon)
        .order_by(func.count().desc()).limit(1)).one()
    lat, lon = row[0], row[1]
    per_px = 360.0 / (256 * 2 ** 17)
    half_w, half_h = per_px * WIDTH / 2, per_px * math.cos(math.radians(lat)) * HEIGHT / 2
    bbox = mapdata.BBox(lat - half_h, lon - half_w, lat + half_h, lon + half_w)
    mapdata.clear_cache()
    log.take()
    started = time.perf_counter()
    found = mapdata.features(process, bbox, 17)
    took = (time.perf_counter() - started) * 1000
    body = encoded(found)
    return {"cell_observations": row[2], "mode": found["properties"]["mode"],
            "features": len(found["features"]), "total": found["properties"]["total"],
            "cold_ms": round(took, 1), "statements": log.take(), "bytes": len(body),
            "gzip": len(gzip.compress(body, 6))}


def through_client(app, seed: dict, log: Statements) -> dict:
    base = f"/{seed['city_slug']}/p/{seed['process_slug']}"
    client = app.test_client()
    rng = random.Random(11)
    found: dict = {}
    for zoom in (12, 17):
        url = f"{base}/map.geojson?bbox={visible_box(rng, seed['bounds'], zoom)}&zoom={zoom}"
        for state in ("cold", "warm"):
            if state == "cold":
                mapdata.clear_cache()
            log.take()
            started = time.perf_counter()
            response = client.get(url, headers={"User-Agent": USER_AGENT})
            took = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (url, response.status_code)
            found[f"geojson z{zoom} {state}"] = {"ms": round(took, 1), "queries": log.take(),
                                                 "bytes": len(response.get_data())}
    mapdata.clear_cache()
    app.page_cache.clear()
    log.take()
    page = client.get(f"{base}/map", headers={"User-Agent": USER_AGENT})
    assert page.status_code == 200
    found["map page statements (caches cold)"] = log.take()
    html = page.get_data()
    assets = []
    for url in ASSET.findall(html.decode()):
        if not url.startswith("/"):
            assets.append({"url": url, "gzip": None, "note": "another host"})
            continue
        data = client.get(url).get_data()
        assets.append({"url": url, "raw": len(data), "gzip": len(gzip.compress(data, 6))})
    html_gzip = len(gzip.compress(html, 6))
    found["first_load"] = {
        "html_raw": len(html), "html_gzip": html_gzip, "assets": assets,
        "total_gzip": html_gzip + sum(a["gzip"] or 0 for a in assets),
        "leaflet_gzip": sum(a["gzip"] or 0 for a in assets if "leaflet" in a["url"]),
    }
    for name in ("observations.csv", "observations.geojson"):
        started = time.perf_counter()
        response = client.get(f"/api/v1/processes/{seed['process_id']}/{name}")
        size = sum(len(chunk) for chunk in response.response)
        response.close()
        found[name] = {"ms": round((time.perf_counter() - started) * 1000),
                       "bytes": size}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    seed = json.loads((args.out / "seed.json").read_text())
    app = create_app()
    log = Statements()
    with app.app_context():
        process = db.session.get(Process, seed["process_id"])
        sweep = zoom_sweep(process, seed["bounds"], log)
        densest = densest_street_box(process, log)
        db.session.close()
    client = through_client(app, seed, log)
    result = {"sweep": sweep, "densest_street": densest, "client": client,
              "max_points": mapdata.MAX_POINTS, "point_zoom": mapdata.POINT_ZOOM}
    (args.out / "probe.json").write_text(json.dumps(result, indent=2))
    print("zoom  modes         cold ms (median/max)  warm ms  statements  features  "
          "gzip (median/max)")
    for row in sweep:
        print(f"{row['zoom']:>4}  {','.join(row['modes']):<12}  "
              f"{row['cold_ms_median']:>8} / {row['cold_ms_max']:<8}  "
              f"{row['warm_ms_median']:>7}  {row['statements_max']:>10}  "
              f"{row['features_max']:>8}  {row['gzip_median']:>7} / {row['gzip_max']}")
    print(f"densest street box: {densest}")
    weight = client["first_load"]
    print(f"map page first load: {weight['total_gzip']} bytes gzip (HTML "
          f"{weight['html_gzip']}, Leaflet {weight['leaflet_gzip']}), "
          f"{client['map page statements (caches cold)']} statements")
    for name in ("observations.csv", "observations.geojson"):
        print(f"{name}: {client[name]['bytes']:,} bytes in {client[name]['ms']} ms")


if __name__ == "__main__":
    main()
