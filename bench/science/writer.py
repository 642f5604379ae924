"""The citizen-science benchmark's writer: one new accepted observation a second (an ORM write
through the session, so the campaign's data version is raised at the commit as capture and
verification do), until stopped. Every new observation empties the map's cached answers in
every worker, so the load measured meanwhile pays the grid's statements again and again.

  python bench/science/writer.py --out DIR --ready FILE --report FILE
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import statistics
import time
import uuid
from pathlib import Path

from engage import create_app
from engage.extensions import db
from engage.processes.models import Contribution, Process
from engage.science.models import Observation, ScienceSettings, public_position

stopping = False


def stop(*_args) -> None:  # noqa: ANN002
    global stopping
    stopping = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--ready", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args()
    seed = json.loads((args.out / "seed.json").read_text())
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    rng = random.Random(5)
    south, west, north, east = seed["bounds"]
    took = []
    started = time.perf_counter()
    app = create_app()
    with app.app_context():
        args.ready.write_text("ready\n")
        while not stopping:
            tick = time.perf_counter()
            process = db.session.get(Process, seed["process_id"])
            precision = db.session.get(ScienceSettings, process.id).public_precision
            lat, lon = rng.uniform(south, north), rng.uniform(west, east)
            public_lat, public_lon = public_position(lat, lon, precision)
            user = rng.randint(1, seed["users"])
            contribution = Contribution(kind="observation", process_id=process.id,
                                        city_id=process.city_id, author_id=user,
                                        language="ro", text="", status="published")
            db.session.add(contribution)
            db.session.flush()
            db.session.add(Observation(
                process_id=process.id, city_id=process.city_id, user_id=user,
                contribution_id=contribution.id, client_id=uuid.uuid4().hex, lat=lat, lon=lon,
                accuracy_m=8.0, location_source="gps", public_lat=public_lat,
                public_lon=public_lon, in_area=True, status="accepted"))
            db.session.commit()
            took.append((time.perf_counter() - tick) * 1000)
            time.sleep(max(0.0, 1.0 - (time.perf_counter() - tick)))
        db.session.close()
    args.report.write_text(json.dumps({
        "written": len(took), "seconds": round(time.perf_counter() - started, 1),
        "write_ms_median": round(statistics.median(took), 1) if took else None}))


if __name__ == "__main__":
    main()
