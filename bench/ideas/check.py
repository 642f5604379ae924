"""The support counters after (or before) the toggling load: are they still exact?

Prints one JSON object: support rows, the sum of the ideas' support_count, how many ideas have a
support_count that differs from their rows (must be 0), and how many support rows were created
at or after --since (an ISO time; toggles that really added a support and still stand).
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime

from sqlalchemy import func, select

from engage import create_app
from engage.extensions import db
from engage.ideas.models import Idea, Support


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--since", type=datetime.fromisoformat)
    args = parser.parse_args()
    with create_app().app_context():
        rows = db.session.scalar(select(func.count()).select_from(Support))
        total = db.session.scalar(select(func.coalesce(func.sum(Idea.support_count), 0)))
        counted = (
            select(Support.idea_id, func.count().label("n")).group_by(Support.idea_id).subquery()
        )
        mismatched = db.session.scalar(
            select(func.count()).select_from(Idea)
            .outerjoin(counted, counted.c.idea_id == Idea.id)
            .where(Idea.support_count != func.coalesce(counted.c.n, 0))
        )
        facts = {"support_rows": rows, "support_count_sum": total,
                 "ideas_with_wrong_count": mismatched}
        if args.since is not None:
            facts["rows_created_since"] = db.session.scalar(
                select(func.count()).select_from(Support).where(Support.created_at >= args.since)
            )
    print(json.dumps(facts))


if __name__ == "__main__":
    main()
