"""A moderator splits a theme: the ticked texts move to a new theme split from it, the theme
keeps the rest; the split is kept when the themes are found again on new input, and can be
undone. Service and pages, checked against forged ids and other cities' staff."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.processes.models import Contribution, Process
from engage.synthesis import workspace
from engage.synthesis.models import FoundTheme

CORPUS = json.loads((Path(__file__).with_name("corpus.json")).read_text(encoding="utf-8"))["items"]


def add_input(process, items):  # noqa: ANN001, ANN201
    rows = [Contribution(kind="answer", process_id=process.id, city_id=process.city_id,
                         author_id=None, language=item["lang"], text=item["text"],
                         status="published") for item in items]
    db.session.add_all(rows)
    db.session.commit()
    return rows


@pytest.fixture(scope="module")
def process_id(shared_world):  # noqa: ANN001, ANN201
    """A consultation with the first 160 texts of the corpus and its themes found: built once
    for the module (finding the themes is the slow part); each test's changes are rolled back."""
    with shared_world() as make:
        process = make.process(make.city(), kind="consultation", themes=["mobility"])
        add_input(process, CORPUS[:160])
        workspace.compute_themes(process)
        db.session.commit()
        return process.id


@pytest.fixture
def process(process_id):  # noqa: ANN001, ANN201
    return db.session.get(Process, process_id)


def biggest(process):  # noqa: ANN001, ANN201
    return workspace.themes_of(process)[1][0].theme


def half(theme):  # noqa: ANN001, ANN201
    return list(theme.item_ids)[: len(theme.item_ids) // 2]


def test_a_split_moves_the_chosen_texts_and_keeps_the_rest(process):
    theme = biggest(process)
    before = list(theme.item_ids)
    moved = half(theme)
    child = workspace.split_theme(process, theme.id, moved, "  Piste noi  ")
    db.session.commit()
    assert child.split_from_id == theme.id and child.name == "Piste noi" and child.active
    assert child.item_ids == moved and child.n_items == len(moved)
    assert theme.item_ids == [cid for cid in before if cid not in moved]
    assert set(child.examples) <= set(moved) and set(theme.examples) <= set(theme.item_ids)
    assert child.terms and child.label
    _, views = workspace.themes_of(process)
    by_id = {view.theme.id: view for view in views}
    assert by_id[child.id].split_from.id == theme.id
    assert [t.id for t in by_id[theme.id].split_into] == [child.id]


@pytest.mark.parametrize("chosen", ["none", "all", "forged", "other"])
def test_bad_choices_change_nothing(process, chosen, make_process, make_city):
    theme = biggest(process)
    before = list(theme.item_ids)
    outsider = add_input(make_process(make_city()), CORPUS[:1])[0].id
    picks = {"none": [], "all": before, "forged": [before[0], 10**9],
             "other": [before[0], outsider]}[chosen]
    with pytest.raises(workspace.ThemeError):
        workspace.split_theme(process, theme.id, picks)
    assert theme.item_ids == before
    assert db.session.scalar(select(FoundTheme.id).where(
        FoundTheme.split_from_id == theme.id)) is None


def test_another_process_theme_and_merged_themes_are_refused(process, make_process, make_city):
    _, views = workspace.themes_of(process)
    a, b = views[0].theme, views[1].theme
    other = make_process(make_city(), kind="ideas", themes=["mobility"])
    with pytest.raises(workspace.ThemeError):
        workspace.split_theme(other, a.id, half(a))
    workspace.merge_theme(process, b.id, a.id)
    with pytest.raises(workspace.ThemeError):
        workspace.split_theme(process, a.id, half(a))  # holds a merged theme
    with pytest.raises(workspace.ThemeError):
        workspace.split_theme(process, b.id, half(b))  # merged into another
    with pytest.raises(workspace.ThemeError):
        workspace.unsplit_theme(process, a.id)  # not a split


def test_the_split_is_kept_when_the_themes_are_found_again(process):
    theme = biggest(process)
    moved = half(theme)
    kept_back = [cid for cid in theme.item_ids if cid not in moved]
    child = workspace.split_theme(process, theme.id, moved, "Partea a doua")
    workspace.rename_theme(process, theme.id, "Partea întâi")
    db.session.commit()
    added = add_input(process, CORPUS[160:])
    workspace.compute_themes(process)
    db.session.commit()
    theme, child = db.session.get(FoundTheme, theme.id), db.session.get(FoundTheme, child.id)
    assert theme.active and child.active
    assert child.split_from_id == theme.id and child.name == "Partea a doua"
    assert theme.name == "Partea întâi"
    # each earlier text the new themes hold again goes back where the moderator put it
    family = set(theme.item_ids) | set(child.item_ids)
    assert set(moved) & family <= set(child.item_ids)
    assert len(set(moved) & family) * 2 >= len(moved)
    assert not set(kept_back) & set(child.item_ids)
    assert not set(theme.item_ids) & set(child.item_ids)
    new_ids = {c.id for c in added}
    assert new_ids & set(theme.item_ids + child.item_ids)  # the new texts were shared out
    assert child.n_items == len(child.item_ids)
    _, views = workspace.themes_of(process)
    assert child.id in {view.theme.id for view in views}


def test_undo_puts_the_texts_back(process):
    theme = biggest(process)
    before = list(theme.item_ids)
    child = workspace.split_theme(process, theme.id, half(theme))
    grandchild = workspace.split_theme(process, child.id, child.item_ids[:1])
    db.session.commit()
    parent = workspace.unsplit_theme(process, child.id)
    db.session.commit()
    assert parent.id == theme.id
    assert db.session.get(FoundTheme, child.id) is None
    assert grandchild.split_from_id == theme.id
    assert set(theme.item_ids) | set(grandchild.item_ids) == set(before)
    workspace.unsplit_theme(process, grandchild.id)
    assert sorted(theme.item_ids) == sorted(before) and theme.n_items == len(before)


# ---------------------------------------------------------------- pages


def themes_url(process):  # noqa: ANN001, ANN201
    return f"/{process.city.slug}/manage/processes/{process.slug}/themes"


@pytest.fixture
def staff(client, login_as, make_user, make_role, process):  # noqa: ANN001, ANN201
    moderator = make_user()
    make_role(moderator, process.city, "moderator")
    return login_as(client, moderator)


def test_the_split_page_splits_and_undoes(staff, process):
    theme = biggest(process)
    url = f"{themes_url(process)}/{theme.id}/split"
    page = staff.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('name="item"') == len(theme.item_ids) and "checked" not in html
    word = theme.terms[0]
    ticked = staff.get(url, query_string={"word": word}).get_data(as_text=True)
    assert "checked" in ticked
    moved = half(theme)
    answer = staff.post_form(url, {"name": "<i>Noua</i>", "item": [str(c) for c in moved]})
    assert answer.status_code == 303
    child = db.session.scalars(select(FoundTheme).where(
        FoundTheme.split_from_id == theme.id)).one()
    assert child.item_ids == moved
    child_id = child.id
    listing = staff.get(themes_url(process)).get_data(as_text=True)
    assert "&lt;i&gt;Noua&lt;/i&gt;" in listing and "Undo the split" in listing
    assert staff.post_form(f"{themes_url(process)}/{child_id}",
                           {"unsplit": "1"}).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(FoundTheme.id).where(FoundTheme.id == child_id)) is None
    assert sorted(db.session.get(FoundTheme, theme.id).item_ids) == sorted(
        [*moved, *[c for c in theme.item_ids if c not in moved]])


@pytest.mark.parametrize("items", [[], "all", ["abc"], ["999999999"]])
def test_the_split_page_refuses_bad_choices(staff, process, items):
    theme = biggest(process)
    before = list(theme.item_ids)
    if items == "all":
        items = [str(c) for c in before]
    answer = staff.post_form(f"{themes_url(process)}/{theme.id}/split",
                             {"name": "x", "item": items})
    assert answer.status_code == 422
    assert 'role="alert"' in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(FoundTheme, theme.id).item_ids == before
    assert db.session.scalar(select(FoundTheme.id).where(
        FoundTheme.split_from_id == theme.id)) is None


def test_only_the_citys_staff_split(client, login_as, make_user, make_role, make_city,
                                    make_process, process):
    theme = biggest(process)
    url = f"{themes_url(process)}/{theme.id}/split"
    data = {"item": [str(theme.item_ids[0])]}
    citizen = login_as(client, make_user())
    assert citizen.get(url).status_code == 403
    assert citizen.post_form(url, data).status_code == 403
    stranger = make_user()
    city = make_city()
    make_role(stranger, city, "moderator")
    other = login_as(client, stranger)
    assert other.get(url).status_code == 403
    assert other.post_form(url, data).status_code == 403
    # through their own city's address: the process is not there
    own = f"/{city.slug}/manage/processes/{process.slug}/themes/{theme.id}/split"
    assert other.get(own).status_code == 404
    # their own process, this theme's id: not found either
    mine = make_process(city, kind="consultation")
    forged = f"/{city.slug}/manage/processes/{mine.slug}/themes/{theme.id}/split"
    assert other.post_form(forged, data).status_code == 404
    assert other.post_form(f"/{city.slug}/manage/processes/{mine.slug}/themes/{theme.id}",
                           {"unsplit": "1"}).status_code == 422
    assert db.session.scalar(select(FoundTheme.id).where(
        FoundTheme.split_from_id == theme.id)) is None
