"""Submit a new response every `--interval` seconds while the results page is loaded, through
the answering flow's services, as a signed-in citizen would: `answers.start_response`, then
`answers.save_section` for each section shown (the condition decides), then `answers.submit`,
and a commit. Each submission changes the results' cache version (the count of submitted
responses and their latest `updated_at`), so every worker recomputes on its next request: this
is what invalidation costs under load.

The answers are drawn like seed.py's (`seed.answer_values`), by the spare users seed.py made
(users without a response). Runs until SIGTERM/SIGINT (or `--seconds`), then writes
`--report` (JSON: submissions, their times). `--ready` is created after the first submission,
so the load can start once the writer is up.

  python bench/consultations/writer.py --out DIR --ready FILE --report FILE
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import statistics
import time
from pathlib import Path

from seed import answer_values  # bench/consultations/seed.py (this script's folder)

from engage import create_app
from engage.accounts.models import User
from engage.consultations import answers as answering
from engage.extensions import db
from engage.processes.models import Process

stopping = False


def stop(signum, frame) -> None:  # noqa: ANN001
    global stopping
    stopping = True


def submit_one(process_id: int, user_id: int, rng: random.Random) -> None:
    process = db.session.get(Process, process_id)
    user = db.session.get(User, user_id)
    structure = answering.pages(process)
    values = answer_values(structure, rng)
    response = answering.start_response(process, user, "ro")
    for page in structure:
        page_values = {q.id: values[q.id] for q in page.questions if q.id in values}
        if page_values:
            answering.save_section(structure, response, page, page_values)
    outcome = answering.submit(structure, response)
    if outcome != "submitted":
        raise RuntimeError(f"response of user {user_id}: {outcome}")
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--ready", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=600.0)
    args = parser.parse_args()
    seed = json.loads((args.out / "seed.json").read_text())
    first, last = seed["spare_user_ids"]
    users = iter(range(first, last + 1))
    rng = random.Random(4)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    took: list[float] = []
    app = create_app()
    started = time.monotonic()
    with app.app_context():
        next_at = time.monotonic()
        while not stopping and time.monotonic() - started < args.seconds:
            begun = time.perf_counter()
            submit_one(seed["process_id"], next(users), rng)
            took.append((time.perf_counter() - begun) * 1000)
            db.session.remove()
            if len(took) == 1:
                args.ready.touch()
            next_at += args.interval
            while not stopping and time.monotonic() < next_at:
                time.sleep(min(0.05, max(next_at - time.monotonic(), 0)))
    report = {
        "submitted": len(took),
        "seconds": round(time.monotonic() - started, 1),
        "submit_ms_median": round(statistics.median(took), 1) if took else None,
        "submit_ms_max": round(max(took), 1) if took else None,
    }
    args.report.write_text(json.dumps(report))


if __name__ == "__main__":
    main()
