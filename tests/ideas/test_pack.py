"""What an ideas process adds to its workshop pack: participation by stakeholder type, the top
ideas (supports, or agree/disagree/pass counts), the ideas by theme, the idea cards with their
QR codes and the poster; a constant number of queries; the documents through the client as HTML
in English and Romanian and as PDF."""

from __future__ import annotations

import re

import pytest
from flask import g
from flask_babel import force_locale

from engage.exports import packs
from engage.exports.packs import PackOptions
from engage.extensions import db
from engage.ideas import pack, services
from engage.ideas.models import IdeasSettings, Support, Vote
from tests.packs import document, pdf_pages


@pytest.fixture
def organiser(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user()
    make_role(user, city, "organiser")
    return user


@pytest.fixture
def agree_process(process):  # noqa: ANN001, ANN201
    db.session.add(IdeasSettings(process_id=process.id, voting_mode="agree"))
    db.session.commit()
    g.pop("ideas_settings", None)  # the settings are cached per request
    return process


def supported(idea, users):  # noqa: ANN001, ANN201
    for user in users:
        services.support(user, idea)
    db.session.commit()
    return idea


def ranked(make_idea, process, author, supports: list[int], users, **fields):  # noqa: ANN001, ANN003, ANN201, E501
    """Ideas titled "Idea 0", "Idea 1", … in this order, idea n supported by supports[n]
    people."""
    return [supported(make_idea(process, author=author, title=f"Idea {n}", **fields),
                      users[:count]) for n, count in enumerate(supports)]


def section(process, options, name):  # noqa: ANN001, ANN201
    with force_locale(options.language):  # as packs.render draws them
        return next(found for found in pack.sections(process, options) if found.name == name)


def cards_of(html: str) -> list[list[str]]:
    """The idea cards' ids, sheet by sheet."""
    sheets = html.split('<div class="card-sheet">')[1:]
    return [re.findall(r'<article class="idea-card" id="idea-card-(\d+)"', sheet)
            for sheet in sheets]


# ---------------------------------------------------------------- participation


def test_participation_by_way_and_stakeholder_type(app, city, process, make_process, make_user,  # noqa: ANN001, E501
                                                   make_idea):
    citizen = make_user()
    researcher = make_user(stakeholder_type="research")
    authority = make_user(stakeholder_type="public_authority")
    business = make_user(stakeholder_type="business")
    idea = make_idea(process, author=citizen)
    other_idea = make_idea(process, author=researcher)
    services.add_comment(citizen, idea, "Da, și pe strada Mică.")  # wrote and commented
    services.support(authority, idea)
    services.support(citizen, other_idea)  # wrote, commented and supported: one person
    db.session.add(Vote(idea_id=idea.id, user_id=business.id, value=1))  # a vote counts too
    # Left out: a hidden and a pending idea, a support of the hidden idea, a hidden comment,
    # a deleted comment, and another process's idea and comment.
    hidden = make_idea(process, author=make_user(stakeholder_type="ngo"), status="hidden")
    make_idea(process, author=make_user(stakeholder_type="ngo"), status="pending")
    db.session.add(Support(idea_id=hidden.id, user_id=make_user(stakeholder_type="ngo").id))
    hidden_comment = services.add_comment(make_user(stakeholder_type="ngo"), idea, "Ascuns")
    hidden_comment.contribution.status = "hidden"
    deleted = services.add_comment(make_user(stakeholder_type="ngo"), idea, "Șters")
    services.delete_comment(deleted.author, deleted)
    elsewhere = make_idea(make_process(city, kind="ideas"),
                          author=make_user(stakeholder_type="ngo"))
    services.add_comment(make_user(stakeholder_type="ngo"), elsewhere, "Altundeva")
    db.session.commit()

    with app.test_request_context(), force_locale("en"):
        ways = {way.label: way for way in pack.participation(process)}
    assert list(ways) == ["Wrote ideas", "Supported or voted", "Commented", "Took part"]
    assert ways["Wrote ideas"].counts == {"citizen": 1, "research": 1}
    assert ways["Supported or voted"].counts == {"citizen": 1, "public_authority": 1,
                                                 "business": 1}
    assert ways["Commented"].counts == {"citizen": 1}
    assert ways["Took part"].counts == {"citizen": 1, "research": 1, "public_authority": 1,
                                        "business": 1}
    assert ways["Took part"].main and ways["Took part"].total == 4
    assert not any(way.main for label, way in ways.items() if label != "Took part")
    with app.test_request_context(), force_locale("en"):
        table = packs.participation_table(process)
    assert table.main.label == "Took part" and table.main.total == 4


def test_participation_of_a_process_without_input(app, process):  # noqa: ANN001
    with app.test_request_context():
        ways = pack.participation(process)
    assert [way.total for way in ways] == [0, 0, 0, 0]


# ---------------------------------------------------------------- top ideas, themes, poster


def test_top_ideas_most_supported_first_older_first_among_equals(app, process, make_user,  # noqa: ANN001, E501
                                                                 make_idea):
    author, users = make_user(), [make_user() for _ in range(4)]
    ideas = ranked(make_idea, process, author, [1, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 2], users)
    hidden = supported(make_idea(process, author=author, title="Hidden"), users)
    hidden.contribution.status = "hidden"
    make_idea(process, author=author, title="Pending", status="pending")
    ideas[1].status = "selected"
    db.session.commit()
    with app.test_request_context():
        top = section(process, PackOptions(language="en"), "ideas-top").context["ideas"]
    assert [idea.title for idea in top] == ["Idea 1", "Idea 2", "Idea 11", "Idea 0", "Idea 3",
                                            "Idea 4", "Idea 5", "Idea 6", "Idea 7", "Idea 8"]
    first = top[0]
    assert (first.supports, first.comments, first.theme_label, first.status_label) == (
        3, 0, "Nature-based solutions and green spaces", "Selected for the Climate City Contract")
    assert first.text == "Plantăm tei de-a lungul străzii."  # the Markdown's words, no tags


def test_excerpts_are_cut_at_a_word(app, process, make_user, make_idea):  # noqa: ANN001
    make_idea(process, title="Long", body="cuvânt " * 200)
    with app.test_request_context():
        (idea,) = section(process, PackOptions(language="en"), "ideas-top").context["ideas"]
        cards = PackOptions(document="cards", language="en")
        (card,) = section(process, cards, "ideas-cards").context["cards"]
    assert len(idea.text) <= pack.EXCERPT_CHARS and idea.text.endswith("cuvânt…")
    assert len(card.text) <= pack.CARD_TEXT_CHARS and card.text.endswith("cuvânt…")
    assert pack.excerpt("  a  b\n c ", 20) == "a b c"


def test_agree_mode_counts_and_order(app, agree_process, make_user, make_idea):  # noqa: ANN001
    process = agree_process
    voters = [make_user() for _ in range(4)]
    first, second, third = (make_idea(process, title=f"Statement {n}") for n in range(3))
    for voter, value in zip(voters, (1, -1, 0, -1), strict=True):
        services.cast_vote(voter, first, value)
    for voter, value in zip(voters, (1, 1, 1, 0), strict=True):
        services.cast_vote(voter, third, value)
    db.session.commit()
    with app.test_request_context():
        top = section(process, PackOptions(language="en"), "ideas-top").context["ideas"]
        html = packs.render(process, PackOptions(language="en"))
    assert [(idea.title, idea.agree, idea.disagree, idea.passes) for idea in top] == [
        ("Statement 2", 3, 0, 1), ("Statement 0", 1, 2, 1), ("Statement 1", 0, 0, 0)]
    assert "Agree: 3 · Disagree: 0 · Pass: 1" in html
    assert "Supports: 0" not in html  # an agree-mode process has no supports to show


def test_ideas_by_theme(app, process, make_user, make_idea):  # noqa: ANN001
    users = [make_user() for _ in range(3)]
    supported(make_idea(process, theme="nature"), users[:2])
    supported(make_idea(process, theme="nature"), users[:1])
    make_idea(process, theme="mobility", status="hidden")
    with app.test_request_context():
        themes = section(process, PackOptions(language="en"), "ideas-themes")
        html = packs.render(process, PackOptions(language="en"))
    assert [(row.code, row.ideas, row.supports) for row in themes.context["rows"]] == [
        ("nature", 2, 3), ("mobility", 0, 0)]
    assert "Ideas by theme" in html and "Mobility and transport" in html


def test_the_poster_shows_the_five_most_supported(app, process, make_user, make_idea):  # noqa: ANN001, E501
    author, users = make_user(), [make_user() for _ in range(6)]
    ranked(make_idea, process, author, [6, 5, 4, 3, 2, 1], users)
    with app.test_request_context():
        html = packs.render(process, PackOptions(document="poster", language="en"))
    assert all(f"Idea {n}</strong>" in html for n in range(5))
    assert "Idea 5</strong>" not in html and "idea-card" not in html


# ---------------------------------------------------------------- idea cards


def test_cards_four_to_a_sheet_with_the_ideas_qr_code(app, city, process, make_user, make_idea):  # noqa: ANN001, E501
    author, users = make_user(), [make_user() for _ in range(9)]
    ideas = ranked(make_idea, process, author, [9, 8, 7, 6, 5, 4, 3, 2, 1], users)
    options = PackOptions(document="cards", language="en")
    with app.test_request_context():
        cards = section(process, options, "ideas-cards").context["cards"]
        html = packs.render(process, options)
    assert [card.id for card in cards] == [idea.id for idea in ideas]
    assert [len(sheet) for sheet in cards_of(html)] == [4, 4, 1]
    card = cards[0]
    assert card.url == f"http://localhost/{city.slug}/ideas/{ideas[0].id}"
    with app.test_request_context():
        # The QR code of that URL:
        assert str(packs.qr_svg(card.url, card.title, pack.CARD_QR_SCALE)) in html
    assert html.count('<svg role="img"') == 9  # each card's QR code, nothing else
    assert f"Idea no. {ideas[0].id}" in html and "9</strong> supports" in html


def test_cards_limit_and_theme(app, process, make_user, make_idea):  # noqa: ANN001
    author, users = make_user(), [make_user() for _ in range(5)]
    nature = ranked(make_idea, process, author, [5, 4, 3], users, theme="nature")
    mobility = ranked(make_idea, process, author, [2, 1], users, theme="mobility")
    with app.test_request_context():
        limited = section(process, PackOptions(document="cards", language="en", cards=2),
                          "ideas-cards")
        themed = section(process, PackOptions(document="cards", language="en",
                                              theme="mobility"), "ideas-cards")
    assert [card.id for card in limited.context["cards"]] == [nature[0].id, nature[1].id]
    assert [card.id for card in themed.context["cards"]] == [idea.id for idea in mobility]
    assert {card.theme_label for card in themed.context["cards"]} == {"Mobility and transport"}


def test_no_cards_says_so(app, process, make_idea):  # noqa: ANN001
    idea = make_idea(process, theme="nature")
    make_idea(process, theme="mobility", status="pending")
    with app.test_request_context():
        html = packs.render(process, PackOptions(document="cards", language="en",
                                                 theme="mobility"))
        one = packs.render(process, PackOptions(document="cards", language="en",
                                                theme="nature", cards=1))
    assert "card-sheet" not in html
    assert "No published idea in the theme “Mobility and transport”" in html
    assert cards_of(one) == [[str(idea.id)]]


def test_a_constant_number_of_queries(app, process, make_user, make_idea, count_queries):  # noqa: ANN001, E501
    author, users = make_user(), [make_user() for _ in range(3)]

    def measure() -> list[int]:
        found = []
        for name in ("pack", "cards", "poster"):
            db.session.expire_all()
            g.pop("ideas_settings", None)
            with app.test_request_context(), count_queries() as counted:
                packs.render(process, PackOptions(document=name, language="en"))
            found.append(counted.n)
        return found

    def add(number: int) -> None:
        for n in range(number):
            idea = supported(make_idea(process, author=author, title=f"Idea {n}",
                                       theme=("nature", "mobility")[n % 2]), users[:n % 4])
            services.add_comment(users[0], idea, "Bună idee")
        db.session.commit()

    add(5)
    few = measure()
    add(35)
    assert measure() == few


# ---------------------------------------------------------------- through the client


def test_the_pack_in_english_and_romanian(client, login_as, organiser, process, make_idea):  # noqa: ANN001, E501
    titles = ["Piste de biciclete pe Calea Moșilor", "Grădini pe acoperișuri"]
    for title in titles:
        make_idea(process, title=title, theme="mobility")
    login_as(client, organiser)
    for language in ("en", "ro"):
        response = document(client, process, language=language)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert all(text.count(title) >= 2 for title in titles)  # top ideas and cards
        assert f'<html lang="{language}">' in text
    english = document(client, process).get_data(as_text=True)
    assert "Top ideas" in english and "Took part" in english and "Idea cards" in english


def test_the_cards_pdf_four_to_a_page(client, login_as, organiser, process, make_user,  # noqa: ANN001
                                      make_idea):
    author, users = make_user(), [make_user() for _ in range(9)]
    ranked(make_idea, process, author, [9, 8, 7, 6, 5, 4, 3, 2, 1], users)
    login_as(client, organiser)
    response = document(client, process, document="cards", format="pdf")
    assert response.status_code == 200 and response.content_type == "application/pdf"
    pages = pdf_pages(response.data)
    assert len(pages) == 3
    first = pages[0]
    assert all(f"Idea {n}" in first for n in range(4))
    assert not any(f"Idea {n}" in first for n in range(4, 9))
    last = pages[2]
    assert "Idea 8" in last


def test_the_cards_of_one_theme(client, login_as, organiser, process, make_idea):  # noqa: ANN001
    make_idea(process, title="Copaci pe strada Mare", theme="nature")
    make_idea(process, title="Autobuze electrice", theme="mobility")
    make_idea(process, title="Parcări pentru biciclete", theme="mobility")
    text = document(login_as(client, organiser), process, document="cards",
                    theme="mobility").get_data(as_text=True)
    assert "Autobuze electrice" in text and "Parcări pentru biciclete" in text
    assert "Copaci pe strada Mare" not in text


def test_a_theme_the_process_lacks_is_refused(client, login_as, organiser, process, make_idea):  # noqa: ANN001, E501
    make_idea(process, title="Copaci pe strada Mare", theme="nature")
    response = document(login_as(client, organiser), process, document="cards", theme="energy")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Not a valid choice" in text and "Copaci pe strada Mare" not in text
