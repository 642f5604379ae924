"""Themes in the workspace: found by the background job in the process's published input (the
Contribution spine), kept, shown to the city's staff; a moderator's names and merges survive
finding the themes again on more input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engage.extensions import db
from engage.processes.models import Contribution
from engage.synthesis import workspace
from engage.synthesis.models import FoundTheme

CORPUS = json.loads((Path(__file__).with_name("corpus.json")).read_text(encoding="utf-8"))["items"]


def add_input(process, items, status="published"):  # noqa: ANN001, ANN201
    """Free-text answers with the items' texts and languages (no author), committed."""
    rows = [Contribution(kind="answer", process_id=process.id, city_id=process.city_id,
                         author_id=None, language=item["lang"], text=item["text"],
                         status=status) for item in items]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def consultation(make_city, make_process):  # noqa: ANN001, ANN201
    return make_process(make_city(), kind="consultation", themes=["mobility"])


@pytest.fixture
def process(make_city, make_process):  # noqa: ANN001, ANN201
    return consultation(make_city, make_process)


def test_themes_are_found_kept_and_edits_survive_a_rerun(process):
    add_input(process, CORPUS[:200])
    add_input(process, CORPUS[200:210], status="hidden")  # never read
    run = workspace.compute_themes(process)
    db.session.commit()
    assert run.items == 200 and run.method == "tfidf-nmf"
    _, views = workspace.themes_of(process)
    assert len(views) >= 3
    assert all(view.examples for view in views)
    first, second = views[0].theme, views[1].theme
    workspace.rename_theme(process, first.id, "Piste de biciclete")
    workspace.merge_theme(process, second.id, first.id)
    db.session.commit()

    add_input(process, CORPUS[210:])
    workspace.compute_themes(process)
    db.session.commit()
    renamed = db.session.get(FoundTheme, first.id)
    merged = db.session.get(FoundTheme, second.id)
    assert renamed.active and renamed.name == "Piste de biciclete"
    assert merged.merged_into_id == first.id
    _, views = workspace.themes_of(process)
    view = next(v for v in views if v.theme.id == first.id)
    assert second.id in [m.id for m in view.merged]
    assert view.n_items >= len(renamed.item_ids)


def test_merges_are_checked(process, make_process, make_city):
    add_input(process, CORPUS[:120])
    workspace.compute_themes(process)
    db.session.commit()
    _, views = workspace.themes_of(process)
    a, b, c = (v.theme for v in views[:3])
    workspace.merge_theme(process, b.id, a.id)
    with pytest.raises(workspace.ThemeError):
        workspace.merge_theme(process, c.id, b.id)  # b is merged already
    with pytest.raises(workspace.ThemeError):
        workspace.merge_theme(process, a.id, c.id)  # a holds b
    with pytest.raises(workspace.ThemeError):
        workspace.merge_theme(process, a.id, a.id)
    other = make_process(make_city(), kind="ideas", themes=["mobility"])
    with pytest.raises(workspace.ThemeError):
        workspace.rename_theme(other, a.id, "x")  # another process's theme
    workspace.merge_theme(process, b.id, None)
    assert b.merged_into_id is None


def test_too_little_input_has_no_themes(process):
    add_input(process, CORPUS[:5])
    run = workspace.compute_themes(process)
    assert run.items == 5 and workspace.themes_of(process)[1] == []


def test_the_page_is_for_the_citys_staff(client, login_as, process, make_user, make_role,
                                         make_city, monkeypatch):
    # The page, not the method: TF-IDF, without computing 120 embeddings (test_embeddings.py).
    from engage.synthesis import embeddings

    monkeypatch.setattr(embeddings, "available", lambda: False)
    add_input(process, CORPUS[:120])
    url = f"/{process.city.slug}/manage/processes/{process.slug}/themes"
    assert login_as(client, make_user()).get(url).status_code == 403
    stranger = make_user()
    make_role(stranger, make_city(), "moderator")
    assert login_as(client, stranger).get(url).status_code == 403
    moderator = make_user()
    make_role(moderator, process.city, "moderator")
    staff = login_as(client, moderator)
    assert "have not been found yet" in staff.get(url).get_data(as_text=True)
    assert staff.post_form(url).status_code in (302, 303)  # the job runs at once in tests
    page = staff.get(url).get_data(as_text=True)
    theme = db.session.scalars(db.select(FoundTheme)).first()
    assert theme.label in page
    assert staff.post_form(f"{url}/{theme.id}", {"name": "<b>Biciclete</b>"}).status_code in (
        302, 303)
    assert "&lt;b&gt;Biciclete&lt;/b&gt;" in staff.get(url).get_data(as_text=True)
    assert staff.post_form(f"{url}/999999", {"name": "x"}).status_code == 422
