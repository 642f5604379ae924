"""Observations cited in summaries: by their notes; rejected or hidden ones may not be cited."""

from __future__ import annotations

from engage.core import citations
from tests.science.conftest import add_observation


def test_observations_resolve_and_rejected_ones_may_not_be_cited(app, campaign, make_user):
    shown = add_observation(campaign, make_user(), text="Foarte cald lângă parcare.")
    rejected = add_observation(campaign, make_user(), status="rejected", text="x")
    hidden = add_observation(campaign, make_user(), contribution_status="hidden", text="y")
    found = citations.resolve([("observation", o.id) for o in (shown, rejected, hidden)])
    assert found[("observation", shown.id)].quote == "Foarte cald lângă parcare."
    assert found[("observation", shown.id)].citable
    with app.test_request_context():
        assert found[("observation", shown.id)].url.endswith(f"/observations/{shown.id}")
    assert not found[("observation", rejected.id)].citable
    assert not found[("observation", hidden.id)].citable
