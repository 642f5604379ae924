"""The synthesis' part of the workshop pack: the themes as the moderators left them (merged
themes together, examples published only), the published summaries in their newest published
version with their citations and what they rest on (drafts left out), the poster's digest, in
a constant number of queries."""

from __future__ import annotations

import pytest

from engage.exports import packs
from engage.extensions import db
from engage.ideas import services as ideas
from engage.synthesis import pack, summaries
from engage.synthesis.models import FoundTheme, ThemeRun
from tests.packs import pdf_text


@pytest.fixture
def process(make_process, city):  # noqa: ANN001, ANN201
    return make_process(city, kind="ideas", themes=["mobility", "nature"])


@pytest.fixture
def moderator(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user(language="en")
    make_role(user, city, "moderator")
    return user


def idea(process, author, title, status="published"):  # noqa: ANN001, ANN201
    made = ideas.submit_idea(process, author, title, "Text.", "mobility", "ro")
    made.contribution.status = status
    db.session.flush()
    return made


@pytest.fixture
def themed(process, make_user):  # noqa: ANN001, ANN201
    """Three themes: 'Bike lanes' with 'Cycling' merged into it, and 'Trees'; one example of
    'Trees' has been hidden since the run."""
    people = [make_user() for _ in range(4)]
    lanes = [idea(process, people[i], f"Piste {i}") for i in range(3)]
    trees = [idea(process, people[3], "Copaci"), idea(process, people[3], "Tei", "hidden")]
    db.session.add(ThemeRun(process_id=process.id, method="tfidf-nmf", items=5))
    bikes = FoundTheme(process_id=process.id, name="Bike lanes", label="pistă, bicicletă",
                       terms=["pistă", "bicicletă"], item_ids=[lanes[0].contribution_id,
                                                               lanes[1].contribution_id],
                       examples=[lanes[0].contribution_id], n_items=2, n_authors=2,
                       supports=5)
    db.session.add(bikes)
    db.session.flush()
    db.session.add(FoundTheme(process_id=process.id, name="Cycling", label="ciclism",
                              terms=["ciclism"], item_ids=[lanes[2].contribution_id],
                              examples=[lanes[2].contribution_id], n_items=1, n_authors=1,
                              supports=1, merged_into_id=bikes.id))
    db.session.add(FoundTheme(process_id=process.id, name="", label="copac, tei",
                              terms=["copac", "tei"],
                              item_ids=[t.contribution_id for t in trees],
                              examples=[t.contribution_id for t in trees], n_items=2,
                              n_authors=1, supports=0))
    db.session.commit()
    return lanes, trees


def publish(process, moderator, title, body):  # noqa: ANN001, ANN201
    made = summaries.create_summary(process, moderator, {
        "topic": "Mobilitate", "theme": "mobility", "title_ro": title, "title_en": title,
        "body_ro": body, "body_en": body})
    summaries.publish(made, moderator)
    db.session.commit()
    return made


def test_themes_as_the_moderators_left_them(app, process, themed):  # noqa: ANN001
    lanes, _trees = themed
    with app.test_request_context():
        method, found = pack.pack_themes(process)
    assert method == "tfidf-nmf"
    assert [(t.title, t.items, t.authors, t.supports) for t in found] == [
        ("Bike lanes", 3, 3, 6), ("copac, tei", 2, 1, 0)]
    assert len(found[0].examples) == 2
    assert found[0].examples == ["Piste 0 Text.", "Piste 2 Text."]  # the merged one's too
    assert found[1].examples == ["Copaci Text."]  # 'Tei' was hidden since the run


def test_no_run_no_theme_section(app, process):  # noqa: ANN001
    with app.test_request_context():
        assert pack.pack_themes(process) == (None, [])
        assert pack.sections(process, packs.PackOptions()) == []


def test_published_summaries_only_in_their_public_version(app, process, moderator, themed):  # noqa: ANN001, E501
    lanes, _trees = themed
    first = publish(process, moderator, "Pistele", f"Piste separate [[idea:{lanes[0].id}]]")
    summaries.save_draft(first, moderator, {
        "topic": "Mobilitate", "theme": "mobility", "title_ro": "Ciornă nouă",
        "title_en": "New draft", "body_ro": "Nepublicat", "body_en": "Unpublished"})
    summaries.create_summary(process, moderator, {
        "topic": "Ciornă", "theme": "", "title_ro": "Doar ciornă", "title_en": "Draft only",
        "body_ro": "x", "body_en": "x"})
    db.session.commit()
    with app.test_request_context():
        found = pack.pack_summaries(process)
    (only,) = found
    assert only.title == "Pistele" and (only.items, only.people) == (1, 1)
    assert f'href="/{process.city.slug}/ideas/{lanes[0].id}"' in only.body
    assert ">Piste 0</a>" in only.body
    assert "Nepublicat" not in only.body


def test_constant_queries(app, process, moderator, themed, count_queries):  # noqa: ANN001
    lanes, _trees = themed
    counts = []
    for number in range(2):
        publish(process, moderator, f"Rezumat {number}",
                " ".join(f"[[idea:{made.id}]]" for made in lanes))
        with app.test_request_context(), count_queries() as counted:
            pack.sections(process, packs.PackOptions())
        counts.append(counted.n)
    assert counts[0] == counts[1]


def test_in_the_pack_and_on_the_poster(client, login_as, organiser, process, moderator, themed):  # noqa: ANN001, E501
    lanes, _trees = themed
    publish(process, moderator, "Pistele de biciclete", f"Separate [[idea:{lanes[1].id}]]")
    login_as(client, organiser)
    base = f"/{process.city.slug}/manage/processes/{process.slug}/pack/document"
    html = client.get(base, query_string={"document": "pack", "language": "en",
                                          "format": "html"}).get_data(as_text=True)
    for text in ("Themes in what people wrote", "Bike lanes", "Summaries",
                 "Pistele de biciclete", "Piste 1"):
        assert text in html
    assert "Tei" not in html  # the hidden example
    poster = client.get(base, query_string={"document": "poster", "language": "en",
                                            "format": "pdf"})
    text = pdf_text(poster.data)
    assert "What we heard" in text and "Bike lanes" in text
    assert "Pistele de biciclete" in text
