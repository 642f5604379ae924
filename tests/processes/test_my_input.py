"""What became of my input: a person's contributions with their status, the reason a moderator
gave, and the summaries that cite them; nobody else's; a constant number of queries."""

from __future__ import annotations

from engage.extensions import db
from engage.ideas import services as ideas
from engage.moderation import services as desk
from engage.synthesis import summaries


def test_my_input_shows_status_reason_and_citations(client, login_as, make_city, make_process,
                                                    make_user, make_role, count_queries):
    city = make_city()
    process = make_process(city, kind="ideas", themes=["mobility"])
    me, other, moderator = make_user(), make_user(), make_user()
    make_role(moderator, city, "moderator")
    cited = ideas.submit_idea(process, me, "Piste de biciclete", "Separate.", "mobility", "ro")
    hidden = ideas.submit_idea(process, me, "Idee ascunsă", "", "mobility", "ro")
    ideas.submit_idea(process, other, "Ideea altcuiva", "", "mobility", "ro")
    db.session.commit()
    desk.decide(moderator, hidden.contribution, "hide", "duplicate", "Vezi ideea despre piste.")
    summary = summaries.create_summary(process, moderator, {
        "title_ro": "Pistele", "body_ro": f"Cerem piste [[idea:{cited.id}]]."})
    summaries.publish(summary, moderator)
    db.session.commit()

    browser = login_as(client, me)
    with count_queries() as few:
        page = browser.get("/account/input").get_data(as_text=True)
    assert "Piste de biciclete" in page and "Idee ascunsă" in page
    assert "Ideea altcuiva" not in page
    assert "Duplicate of other input: Vezi ideea despre piste." in page
    assert f"/summaries/{summary.id}" in page and "Pistele" in page

    for n in range(10):
        ideas.submit_idea(process, me, f"Încă o idee {n}", "", "mobility", "ro")
    db.session.commit()
    with count_queries() as more:
        browser.get("/account/input")
    assert more.n == few.n


def test_my_input_needs_an_account(client):
    assert client.get("/account/input").status_code in (302, 303)
