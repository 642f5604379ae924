"""Opinion groups in the workspace: computed by the background job from an agree/disagree
process's votes (read through core.sources), kept as JSON, shown to the city's staff."""

from __future__ import annotations

import random

import pytest

from engage.extensions import db
from engage.ideas import services as ideas
from engage.synthesis import workspace
from engage.synthesis.models import OpinionRun
from tests.conftest import count


@pytest.fixture
def voting(make_city, make_process, make_user):  # noqa: ANN001, ANN201
    """An agree/disagree process: 30 people in two camps on 10 statements."""
    city = make_city()
    process = make_process(city, kind="ideas", themes=["mobility"])
    ideas.save_settings(process, "agree", None)
    author = make_user()
    statements = [ideas.submit_idea(process, author, f"Afirmația {n}", "", "mobility", "ro")
                  for n in range(10)]
    rng = random.Random(7)
    for person in range(30):
        camp = 1 if person < 15 else -1
        voter = make_user(stakeholder_type="citizen" if person % 2 else "business")
        for n, statement in enumerate(statements):
            if rng.random() < 0.9:
                ideas.cast_vote(voter, statement, camp if n < 5 else -camp)
    db.session.commit()
    return process


def test_the_job_computes_and_keeps_the_groups(voting):
    run = workspace.compute_opinions(voting)
    db.session.commit()
    assert run is not None and run.votes > 200
    stored, result, labels = workspace.latest_opinions(voting)
    assert stored.process_id == voting.id and result.k == 2
    assert all(12 <= len(group.members) <= 15 for group in result.groups)  # two camps
    assert set(labels.values()) == {f"Afirmația {n}" for n in range(10)}
    workspace.compute_opinions(voting)  # a rerun replaces the run, from its state
    db.session.commit()
    assert count(OpinionRun) == 1


def test_a_support_process_has_no_opinion_groups(make_city, make_process):
    process = make_process(make_city(), kind="ideas", themes=["mobility"])
    assert workspace.compute_opinions(process) is None


def test_the_page_is_for_the_citys_staff(client, login_as, voting, make_user, make_role,
                                         make_city):
    url = f"/{voting.city.slug}/manage/processes/{voting.slug}/opinions"
    assert login_as(client, make_user()).get(url).status_code == 403
    stranger = make_user()
    make_role(stranger, make_city(), "moderator")
    assert login_as(client, stranger).get(url).status_code == 403
    moderator = make_user()
    make_role(moderator, voting.city, "moderator")
    staff = login_as(client, moderator)
    assert "have not been computed yet" in staff.get(url).get_data(as_text=True)
    assert staff.post_form(url).status_code in (302, 303)  # the job runs at once in the tests
    page = staff.get(url).get_data(as_text=True)
    assert "<svg" in page and "Afirmația" in page
    assert "Votes by stakeholder type" in page and "Business" in page
