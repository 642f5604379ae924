"""Summaries: drafts and published versions (a published version's edit makes a new version,
every published one kept, with a diff), citations checked (hidden, unknown and other cities'
input refused), what a summary rests on, the rendered citations, "cited in" on the idea page,
and the pages' access."""

from __future__ import annotations

import pytest

from engage.extensions import db
from engage.ideas import services as ideas
from engage.synthesis import summaries
from engage.synthesis.models import Summary, SummaryCitation, SummaryVersion
from engage.synthesis.summaries import SummaryError
from tests.conftest import count


@pytest.fixture
def city(make_city):  # noqa: ANN001, ANN201
    return make_city()


@pytest.fixture
def process(make_process, city):  # noqa: ANN001, ANN201
    return make_process(city, kind="ideas", themes=["mobility", "nature"])


@pytest.fixture
def moderator(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user(language="en")
    make_role(user, city, "moderator")
    return user


@pytest.fixture
def two_ideas(process, make_user):  # noqa: ANN001, ANN201
    first = ideas.submit_idea(process, make_user(), "Piste de biciclete pe Calea Moților",
                              "Separate de trafic.", "mobility", "ro")
    second = ideas.submit_idea(process, make_user(), "Bike lanes to the university",
                               "Protected ones.", "mobility", "en")
    for _ in range(2):
        ideas.support(make_user(), first)
    ideas.support(make_user(), second)
    db.session.commit()
    return first, second


def values(body: str, **more: str) -> dict[str, str]:
    return {"topic": "Mobilitate", "theme": "mobility", "title_ro": "Pistele de biciclete",
            "title_en": "", "body_ro": body, "body_en": "", **more}


def test_a_summary_cites_ideas_and_rests_on_them(process, moderator, two_ideas):
    first, second = two_ideas
    summary = summaries.create_summary(
        process, moderator, values(f"- Piste separate [[idea:{first.id}]] [[idea:{second.id}]]"))
    db.session.commit()
    version = summary.latest
    assert (version.number, version.is_published, summary.status) == (1, False, "draft")
    assert {(c.kind, c.target_id) for c in version.citations} == {("idea", first.id),
                                                                  ("idea", second.id)}
    basis = summaries.basis(version)
    assert (basis.items, basis.people, basis.supports) == (2, 2, 3)


@pytest.mark.parametrize("status", ["hidden", "pending", "rejected"])
def test_input_that_is_not_public_cannot_be_cited(process, moderator, two_ideas, status):
    first, _ = two_ideas
    first.contribution.status = status
    db.session.commit()
    with pytest.raises(SummaryError) as refused:
        summaries.create_summary(process, moderator, values(f"[[idea:{first.id}]]"))
    assert len(refused.value.problems) == 1
    assert count(Summary) == 0 and count(SummaryVersion) == 0


def test_unknown_and_other_cities_input_cannot_be_cited(process, moderator, make_city,
                                                        make_process, make_user):
    elsewhere = make_process(make_city(), kind="ideas", themes=["mobility"])
    foreign = ideas.submit_idea(elsewhere, make_user(), "Altă idee", "", "mobility", "ro")
    db.session.commit()
    with pytest.raises(SummaryError) as refused:
        summaries.create_summary(process, moderator,
                                 values(f"[[idea:{foreign.id}]] [[comment:999999]]"))
    assert len(refused.value.problems) == 2 and count(Summary) == 0


@pytest.mark.parametrize("change", [{"title_ro": "", "title_en": ""}, {"body_ro": ""},
                                    {"title_ro": "x" * 201}, {"topic": "x" * 201},
                                    {"theme": "space_travel"}])
def test_bad_values_are_refused(process, moderator, change):
    with pytest.raises(SummaryError):
        summaries.create_summary(process, moderator, values("Text", **change))
    assert count(Summary) == 0


def test_a_citizen_cannot_write_summaries(process, make_user):
    with pytest.raises(SummaryError):
        summaries.create_summary(process, make_user(), values("Text"))


def test_editing_a_published_version_makes_a_new_one_and_both_are_kept(process, moderator,
                                                                       two_ideas):
    first, second = two_ideas
    summary = summaries.create_summary(process, moderator, values(f"Unu [[idea:{first.id}]]"))
    summaries.save_draft(summary, moderator, values(f"Unu corectat [[idea:{first.id}]]"))
    assert len(summary.versions) == 1  # a draft is edited in place
    one = summaries.publish(summary, moderator)
    db.session.commit()
    with pytest.raises(SummaryError):
        summaries.publish(summary, moderator)  # nothing left to publish

    two = summaries.save_draft(summary, moderator, values(
        f"Unu corectat [[idea:{first.id}]]\nDoi [[idea:{second.id}]]"))
    db.session.commit()
    assert (one.number, two.number) == (1, 2)
    assert one.body_ro == f"Unu corectat [[idea:{first.id}]]"  # the published one unchanged
    assert summary.public_version is one and summary.draft is two
    summaries.publish(summary, moderator)
    db.session.commit()
    assert [v.number for v in summary.published_versions] == [1, 2]
    changes = summaries.diff(one, two)
    assert [(line.op, line.text) for line in changes.body_ro] == [
        (" ", f"Unu corectat [[idea:{first.id}]]"), ("+", f"Doi [[idea:{second.id}]]")]


def test_publishing_checks_the_citations_again(process, moderator, two_ideas):
    first, _ = two_ideas
    summary = summaries.create_summary(process, moderator, values(f"[[idea:{first.id}]]"))
    first.contribution.status = "hidden"
    db.session.commit()
    with pytest.raises(SummaryError):
        summaries.publish(summary, moderator)
    assert summary.public_version is None


def test_citations_render_as_links_with_the_quote(app, process, moderator, two_ideas):
    first, _ = two_ideas
    with app.test_request_context():
        html = str(summaries.render(f"Vezi [[idea:{first.id}]] și [[idea:999999]]."))
    assert f'href="/{process.city.slug}/ideas/{first.id}"' in html
    assert 'title="Separate de trafic."' in html
    assert "Piste de biciclete pe Calea Moților</a>" in html
    assert "[idea 999999]" in html


def test_the_idea_page_says_where_it_is_cited(client, process, moderator, two_ideas):
    first, second = two_ideas
    summary = summaries.create_summary(process, moderator, values(f"[[idea:{first.id}]]"))
    db.session.commit()
    page = client.get(f"/{process.city.slug}/ideas/{first.id}").get_data(as_text=True)
    assert "Cited in" not in page  # a draft cites nothing in public
    summaries.publish(summary, moderator)
    db.session.commit()
    page = client.get(f"/{process.city.slug}/ideas/{first.id}").get_data(as_text=True)
    assert "Cited in" in page and f"/summaries/{summary.id}" in page
    other = client.get(f"/{process.city.slug}/ideas/{second.id}").get_data(as_text=True)
    assert "Cited in" not in other


def test_pages_and_access(client, login_as, process, moderator, two_ideas, make_user,
                          make_role, make_city):
    first, _ = two_ideas
    slug, base = process.city.slug, f"/{process.city.slug}/manage/processes/{process.slug}"
    assert client.get(f"{base}/summaries").status_code in (302, 303)  # to log in
    citizen = make_user()
    assert login_as(client, citizen).get(f"{base}/summaries").status_code == 403
    stranger = make_user()
    make_role(stranger, make_city(), "moderator")
    assert login_as(client, stranger).get(f"{base}/summaries").status_code == 403

    staff = login_as(client, moderator)
    assert staff.get(f"{base}/summaries/new").status_code == 200
    answer = staff.post_form(f"{base}/summaries/new", values(
        f"Piste <script>x</script> [[idea:{first.id}]]"))
    assert answer.status_code in (302, 303)
    summary = db.session.scalars(db.select(Summary)).one()
    refused = staff.post_form(f"/{slug}/manage/summaries/{summary.id}",
                              values("[[idea:999999]]"))
    assert refused.status_code == 422 and "no such input" in refused.get_data(as_text=True)
    assert staff.get(f"/{slug}/summaries/{summary.id}").status_code == 404  # not published
    assert staff.post_form(f"/{slug}/manage/summaries/{summary.id}/publish").status_code in (
        302, 303)
    picker = staff.get(f"{base}/summaries/picker?q=biciclete")
    assert f"[[idea:{first.id}]]" in picker.get_data(as_text=True)

    visitor = client.application.test_client()
    visitor.set_cookie("lang", "en")
    page = visitor.get(f"/{slug}/summaries/{summary.id}").get_data(as_text=True)
    assert "&lt;script&gt;" in page or "<script>x" not in page
    assert "cited items: 1 · authors: 1 · supports: 2" in page
    assert f"/{slug}/ideas/{first.id}" in page
    listing = visitor.get(f"/{slug}/p/{process.slug}/summaries").get_data(as_text=True)
    assert f"/summaries/{summary.id}" in listing
    assert count(SummaryCitation) == 1
