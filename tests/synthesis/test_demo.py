"""The demo's published summary cites two published ideas, and loading twice adds nothing."""

from __future__ import annotations

from engage.demo import load_demo_data
from engage.extensions import db
from engage.synthesis.models import Summary, SummaryCitation
from tests.conftest import count


def test_the_demo_summary_is_published_with_two_citations_once():
    load_demo_data()
    db.session.commit()
    load_demo_data()
    db.session.commit()
    (summary,) = db.session.scalars(db.select(Summary)).all()
    assert summary.public_version is not None
    assert count(SummaryCitation) == 2
