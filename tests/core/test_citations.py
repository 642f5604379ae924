"""Citations of input in summaries: references parsed once each and in order; each kind resolves
its ids to a title, a quote, a page, and whether it may be cited (published input of a public
process only); ids of nothing are left out."""

from __future__ import annotations

from datetime import timedelta

from engage.core import citations
from engage.core.db import utcnow
from engage.extensions import db
from engage.ideas import services as ideas
from engage.livinglabs.models import LabSession


def test_references_are_found_in_order_once_each():
    text = ("Vezi [[idea:12]] și [[comment:3]]; din nou [[idea:12]], [[session:7]], "
            "[[answer:5]] [[observation:9]] dar nu [[idée:1]], [[idea:x]] sau [idea:4].")
    assert citations.references(text) == [("idea", 12), ("comment", 3), ("session", 7),
                                          ("answer", 5), ("observation", 9)]
    assert citations.references("") == [] and citations.references(None) == []


def test_quotes_are_one_short_line():
    assert citations.quote("  a\n\n b  ") == "a b"
    long = citations.quote("cuvânt " * 100)
    assert len(long) == citations.QUOTE_MAX and long.endswith("…")


def test_ideas_and_comments_resolve_with_whether_they_may_be_cited(app, make_city, make_process,
                                                                   make_user):
    process = make_process(make_city(), kind="ideas", themes=["nature"])
    author = make_user()
    shown = ideas.submit_idea(process, author, "Copaci pe strada Mare", "Plantăm **tei**.",
                              "nature", "ro")
    hidden = ideas.submit_idea(process, author, "Altă idee", "", "nature", "ro")
    hidden.contribution.status = "hidden"
    comment = ideas.add_comment(make_user(), shown, "Da, și arțari.")
    for _ in range(3):
        ideas.support(make_user(), shown)
    db.session.commit()

    found = citations.resolve([("idea", shown.id), ("idea", hidden.id),
                               ("comment", comment.id), ("idea", 999_999)])
    assert set(found) == {("idea", shown.id), ("idea", hidden.id), ("comment", comment.id)}
    cited = found[("idea", shown.id)]
    assert (cited.title, cited.quote, cited.citable, cited.supports) == (
        "Copaci pe strada Mare", "Plantăm **tei**.", True, 3)
    with app.test_request_context():
        assert cited.url == f"/{process.city.slug}/ideas/{shown.id}"
        assert found[("comment", comment.id)].url.endswith(f"#comment-{comment.id}")
    assert cited.author_id == author.id and cited.contribution_id == shown.contribution_id
    assert found[("idea", hidden.id)].citable is False
    assert found[("comment", comment.id)].citable is True


def test_sessions_resolve_by_their_published_outcome(app, make_city, make_process):
    process = make_process(make_city(), kind="livinglab", themes=["energy"])
    start = utcnow() - timedelta(days=2)
    session = LabSession(process_id=process.id, title_ro="Atelier", description_ro="Descriere",
                         starts_at=start, ends_at=start + timedelta(hours=2),
                         outcome_ro="Am propus trei acoperișuri.", outcome_published_at=utcnow())
    db.session.add(session)
    db.session.commit()
    with app.test_request_context():
        cited = citations.resolve([("session", session.id)])[("session", session.id)]
    assert cited.quote == "Am propus trei acoperișuri." and cited.citable
    process.status = "draft"
    db.session.commit()
    with app.test_request_context():
        assert not citations.resolve([("session", session.id)])[("session", session.id)].citable
