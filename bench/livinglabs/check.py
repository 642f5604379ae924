"""The seats after (or before) the registration load: does every session hold at most its
capacity?

Prints one JSON object: sessions, registrations by status, the sessions with more seated
(confirmed, attended, no-show) than their capacity (must be 0, `over_capacity`), people with
more than one active registration at a session (must be 0, `duplicates`), and for the load's
target sessions (--targets, ids) their capacity, seated and waitlisted counts.
`--text FILE` prints such a JSON file's checks as sentences instead.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sqlalchemy import func, select

from engage import create_app
from engage.extensions import db
from engage.livinglabs.models import (
    ACTIVE_STATUSES,
    SEATED_STATUSES,
    LabSession,
    Registration,
)


def text(facts: dict) -> str:
    over = facts["over_capacity"]
    lines = [
        "capacity check: " + ("OK, no session has more seated than its capacity" if not over
                              else f"FAILED, {len(over)} sessions over capacity: {over}"),
        "duplicate check: " + ("OK, nobody holds two active registrations at a session"
                               if not facts["duplicates"]
                               else f"FAILED, {facts['duplicates']} people twice"),
    ]
    lines += [f"  session {t['session']}: {t['seated']} seated of {t['capacity']}, "
              f"{t['waitlisted']} waitlisted" for t in facts["targets"]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", default="", help="session ids, comma-separated")
    parser.add_argument("--text", type=Path, help="print this JSON file's checks as text")
    args = parser.parse_args()
    if args.text is not None:
        print(text(json.loads(args.text.read_text())))
        return
    targets = [int(n) for n in args.targets.split(",") if n]
    with create_app().app_context():
        seated = (select(Registration.session_id, func.count().label("n"))
                  .where(Registration.status.in_(SEATED_STATUSES))
                  .group_by(Registration.session_id).subquery())
        over = db.session.execute(
            select(LabSession.id, LabSession.capacity, seated.c.n)
            .join(seated, seated.c.session_id == LabSession.id)
            .where(seated.c.n > LabSession.capacity)).all()
        per_person = (select(Registration.session_id, Registration.user_id, func.count())
                      .where(Registration.user_id.is_not(None),
                             Registration.status.in_(ACTIVE_STATUSES))
                      .group_by(Registration.session_id, Registration.user_id)
                      .having(func.count() > 1).subquery())
        duplicates = db.session.scalar(select(func.count()).select_from(per_person))
        by_status = dict(db.session.execute(
            select(Registration.status, func.count()).group_by(Registration.status)).all())
        facts = {
            "sessions": db.session.scalar(select(func.count()).select_from(LabSession)),
            "registrations": by_status,
            "over_capacity": [{"session": i, "capacity": c, "seated": n} for i, c, n in over],
            "duplicates": duplicates,
            "targets": [],
        }
        for session_id in targets:
            session = db.session.get(LabSession, session_id)
            counts = dict(db.session.execute(
                select(Registration.status, func.count())
                .where(Registration.session_id == session_id)
                .group_by(Registration.status)).all())
            facts["targets"].append({
                "session": session_id, "capacity": session.capacity,
                "seated": sum(counts.get(s, 0) for s in SEATED_STATUSES),
                "waitlisted": counts.get("waitlisted", 0)})
    print(json.dumps(facts))


if __name__ == "__main__":
    main()
