"""The results service: exact counts, percentages, means, medians, Borda scores and matrix rows
from responses built directly with the models; drafts never count; paper responses left out
when asked (and only when that singles nobody out); the per-day timeline in Romania's time;
published free texts only; small groups of a breakdown combined; the cache and its version."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from engage.consultations import results
from engage.consultations.models import Answer, ConsultationSettings, Response
from engage.core import i18n
from engage.core.db import utcnow
from engage.extensions import db
from engage.processes.models import Contribution


@pytest.fixture(autouse=True)
def _fresh_cache(app):  # noqa: ANN001, ANN202
    """An empty cache, and a request in English (labels and numbers are formatted for one)."""
    results.clear_cache()
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield
    results.clear_cache()


def add_response(process, answers=(), *, status="submitted", channel="online", user=None,  # noqa: ANN001, ANN201, E501
                 profile=None, when=None, commit=True):
    """One response with its answer rows, stored as models.py documents. `answers`: pairs of
    (question, value): single → Option or ("other", text); multiple → list of Options (a str
    for "Other"); scale, number → a number; yes_no → bool; ranking → Options in order;
    matrix → {row Option: column Option}; text → str or (str, contribution status)."""
    when = when or utcnow()
    response = Response(
        process_id=process.id, city_id=process.city_id, user_id=user.id if user else None,
        channel=channel, status=status, profile=profile or {}, language="ro",
        submitted_at=when if status == "submitted" else None, created_at=when,
    )
    db.session.add(response)
    db.session.flush()
    rows = []
    for question, value in answers:
        base = {"response_id": response.id, "question_id": question.id}
        kind = question.type
        if kind == "single":
            if isinstance(value, tuple):
                rows.append(Answer(**base, text=value[1]))
            else:
                rows.append(Answer(**base, option_id=value.id))
        elif kind == "multiple":
            for item in value:
                if isinstance(item, str):
                    rows.append(Answer(**base, text=item))
                else:
                    rows.append(Answer(**base, option_id=item.id))
        elif kind in ("scale", "number"):
            rows.append(Answer(**base, number=value))
        elif kind == "yes_no":
            rows.append(Answer(**base, number=1 if value else 0))
        elif kind == "ranking":
            rows.extend(Answer(**base, option_id=option.id, rank=n + 1)
                        for n, option in enumerate(value))
        elif kind == "matrix":
            rows.extend(Answer(**base, row_id=row.id, option_id=column.id)
                        for row, column in value.items())
        elif kind in ("short_text", "long_text"):
            text, state = value if isinstance(value, tuple) else (value, "published")
            contribution = Contribution(kind="answer", process_id=process.id,
                                        city_id=process.city_id, text=text, status=state,
                                        language="ro")
            db.session.add(contribution)
            db.session.flush()
            rows.append(Answer(**base, text=text, contribution_id=contribution.id))
        else:
            raise AssertionError(kind)
    db.session.add_all(rows)
    if commit:
        db.session.commit()
    return response


@pytest.fixture
def answered(process, questionnaire):  # noqa: ANN001, ANN201
    """Six online responses, two drafts and five paper forms (see each test's arithmetic)."""
    q = questionnaire
    walk, bike, car = q["travel"].choices
    lanes, parking, showers = q["helps"].choices
    r_lanes, r_parking, r_showers = q["order"].choices
    bad, good = q["matrix"].choices
    pavements, buses = q["matrix"].rows
    add_response(process, [(q["travel"], bike), (q["satisfied"], 5), (q["helps"], [lanes, parking]),
                           (q["order"], [r_lanes, r_parking, r_showers]), (q["distance"], 10),
                           (q["matrix"], {pavements: bad, buses: good}),
                           (q["comment"], "Mai multe piste")])
    add_response(process, [(q["travel"], bike), (q["satisfied"], 4), (q["helps"], [lanes]),
                           (q["order"], [r_parking, r_lanes, r_showers]), (q["distance"], 5.5),
                           (q["matrix"], {pavements: good}),
                           (q["comment"], "<script>alert(1)</script>")])
    add_response(process, [(q["travel"], walk), (q["satisfied"], 2), (q["distance"], 1),
                           (q["order"], [r_lanes, r_showers, r_parking]),
                           (q["matrix"], {pavements: bad, buses: bad}),
                           (q["comment"], ("Ascuns de moderatori", "hidden"))])
    add_response(process, [(q["travel"], walk), (q["satisfied"], 3), (q["distance"], 2)])
    add_response(process, [(q["travel"], car), (q["satisfied"], 1), (q["distance"], 30)])
    add_response(process, [(q["travel"], ("other", "Trotinetă")), (q["satisfied"], 5)])
    for _ in range(2):
        add_response(process, [(q["travel"], car), (q["satisfied"], 1), (q["distance"], 99),
                               (q["comment"], "Ciornă")], status="draft")
    for n in range(5):
        add_response(process, [(q["travel"], walk), (q["satisfied"], 4), (q["distance"], 3)]
                     + ([(q["comment"], "Hârtie")] if n == 0 else []), channel="paper")
    return q


def bars(result):  # noqa: ANN001, ANN201
    return [(bar.count, bar.percent) for bar in result.chart_bars]


# ---------------------------------------------------------------- per question


def test_single_choice_counts_percentages_and_other(process, answered):
    found = results.compute_results(process)
    assert (found.responses, found.offline, found.include_offline) == (11, 5, True)
    travel = found.result(answered["travel"].id)
    assert travel.answered == 11 and travel.skipped == 0
    # walk 2 online + 5 paper, bike 2, car 1 (the two drafts' cars never count), other 1
    assert bars(travel) == [(7, 63.6), (2, 18.2), (1, 9.1), (1, 9.1)]
    assert travel.other is not None and travel.other.label("en") == "Other"


def test_without_paper_responses(process, answered):
    found = results.compute_results(process, include_offline=False)
    assert (found.responses, found.include_offline) == (6, False)
    travel = found.result(answered["travel"].id)
    assert bars(travel) == [(2, 33.3), (2, 33.3), (1, 16.7), (1, 16.7)]
    satisfied = found.result(answered["satisfied"].id)
    assert satisfied.mean == pytest.approx(20 / 6) and satisfied.median == 3.5


def test_scale_distribution_mean_and_median(process, answered):
    satisfied = results.compute_results(process).result(answered["satisfied"].id)
    # 5, 4, 2, 3, 1, 5 online and five 4s on paper: 1 2 3 4 4 4 4 4 4 5 5
    assert [(bar.key, bar.count) for bar in satisfied.bars] == [
        (1.0, 1), (2.0, 1), (3.0, 1), (4.0, 6), (5.0, 2)]
    assert satisfied.mean == pytest.approx(40 / 11) and satisfied.median == 4
    assert satisfied.bars[3].percent == 54.5


def test_multiple_choice_percentages_are_of_respondents(process, answered):
    helps = results.compute_results(process).result(answered["helps"].id)
    assert helps.answered == 2 and helps.skipped == 9
    assert bars(helps) == [(2, 100.0), (1, 50.0), (0, 0.0)]
    assert helps.other is None


def test_ranking_borda_and_first_choice(process, answered):
    order = results.compute_results(process).result(answered["order"].id)
    # Piste 2+1+2 = 5, Parcări 1+2+0 = 3, Dușuri 0+0+1 = 1 points; 3 respondents × (3 − 1)
    assert [(item.option.label_ro, item.points, item.score, item.first, item.first_percent)
            for item in order.ranking] == [
        ("Piste", 5, 83.3, 2, 66.7), ("Parcări", 3, 50.0, 1, 33.3), ("Dușuri", 1, 16.7, 0, 0.0)]


def test_number_statistics_median_and_histogram(process, answered):
    distance = results.compute_results(process).result(answered["distance"].id)
    # 10, 5.5, 1, 2, 30 online and five 3s on paper (the drafts' 99 never count)
    assert distance.answered == 10
    assert (distance.minimum, distance.maximum) == (1, 30)
    assert distance.mean == pytest.approx(6.35) and distance.median == 3
    assert [(bar.key, bar.count) for bar in distance.bars] == [
        ((0, 5), 7), ((5, 10), 1), ((10, 15), 1), ((15, 20), 0), ((20, 25), 0), ((25, 30), 0),
        ((30, 35), 1)]
    online = results.compute_results(process, include_offline=False).result(
        answered["distance"].id)
    assert online.median == 5.5 and online.mean == pytest.approx(9.7)


def test_matrix_counts_per_row(process, answered):
    matrix = results.compute_results(process).result(answered["matrix"].id)
    assert [(row.row.label_ro, row.answered, [(c.count, c.percent) for c in row.cells])
            for row in matrix.matrix] == [
        ("Trotuare", 3, [(2, 66.7), (1, 33.3)]), ("Autobuze", 2, [(1, 50.0), (1, 50.0)])]


def test_yes_no(process, questionnaire):
    from tests.consultations.conftest import add_question

    section = questionnaire["sections"][0]
    agree = add_question(section, "yes_no", "De acord?", position=5)
    db.session.commit()
    for value in (True, True, False):
        add_response(process, [(agree, value)])
    add_response(process, [(agree, False)], status="draft")
    result = results.compute_results(process).result(agree.id)
    assert [(bar.key, bar.count, bar.percent) for bar in result.bars] == [
        ("yes", 2, 66.7), ("no", 1, 33.3)]


def test_no_responses_at_all(process, questionnaire):
    found = results.compute_results(process)
    assert found.responses == 0 and found.timeline == [] and found.completion_percent is None
    distance = found.result(questionnaire["distance"].id)
    assert distance.mean is None and distance.bars == []
    assert bars(found.result(questionnaire["travel"].id)) == [(0, None)] * 3


def test_completion_rate_counts_online_drafts(process, answered):
    found = results.compute_results(process)
    assert (found.started_online, found.submitted_online) == (8, 6)
    assert found.completion_percent == 75.0


def test_info_blocks_have_no_results(process, questionnaire):
    from tests.consultations.conftest import add_question

    add_question(questionnaire["sections"][0], "info", "Date personale", position=9)
    db.session.commit()
    found = results.compute_results(process)
    assert all(r.question.type != "info" for r in found.questions)


# ---------------------------------------------------------------- paper responses


def test_paper_responses_cannot_be_left_out_when_fewer_than_five(process, questionnaire):
    walk = questionnaire["travel"].choices[0]
    add_response(process, [(questionnaire["travel"], walk)])
    for _ in range(2):
        add_response(process, [(questionnaire["travel"], walk)], channel="stand")
    found = results.compute_results(process, include_offline=False)
    # With minus without would show what two forms said: the results stay whole.
    assert found.include_offline is True and found.responses == 3 and found.offline == 2
    assert not found.can_exclude_offline
    assert results.offline_toggle_allowed(0) and results.offline_toggle_allowed(5)
    assert not results.offline_toggle_allowed(1) and not results.offline_toggle_allowed(4)


# ---------------------------------------------------------------- timeline


def test_timeline_per_local_day_with_empty_days(process, questionnaire):
    walk = questionnaire["travel"].choices[0]
    travel = questionnaire["travel"]
    # 21:30 UTC is 23:30 in Bucharest in January (UTC+2); 22:30 UTC is already the next day.
    add_response(process, [(travel, walk)], when=datetime(2025, 1, 10, 21, 30, tzinfo=UTC))
    add_response(process, [(travel, walk)], when=datetime(2025, 1, 10, 22, 30, tzinfo=UTC))
    add_response(process, [(travel, walk)], when=datetime(2025, 1, 11, 9, 0, tzinfo=UTC))
    add_response(process, [(travel, walk)], when=datetime(2025, 1, 13, 9, 0, tzinfo=UTC))
    # A draft is never counted, on any day.
    add_response(process, [(travel, walk)], when=datetime(2025, 1, 14, 9, 0, tzinfo=UTC),
                 status="draft")
    found = results.compute_results(process)
    assert found.timeline_unit == "day"
    assert [(p.day, p.count) for p in found.timeline] == [
        (date(2025, 1, 10), 1), (date(2025, 1, 11), 2), (date(2025, 1, 12), 0),
        (date(2025, 1, 13), 1)]


def test_timeline_summer_time_and_weeks(process, questionnaire):
    walk = questionnaire["travel"].choices[0]
    travel = questionnaire["travel"]
    # In summer Bucharest is UTC+3: 21:30 UTC is already 00:30 the next day.
    add_response(process, [(travel, walk)], when=datetime(2025, 7, 1, 21, 30, tzinfo=UTC))
    found = results.compute_results(process)
    assert [(p.day, p.count) for p in found.timeline] == [(date(2025, 7, 2), 1)]
    add_response(process, [(travel, walk)], when=datetime(2025, 12, 1, 10, 0, tzinfo=UTC))
    found = results.compute_results(process)
    assert found.timeline_unit == "week"
    assert found.timeline[0].day == date(2025, 6, 30)  # the Monday of 2 July
    assert found.timeline[-1].day == date(2025, 12, 1)
    assert sum(p.count for p in found.timeline) == 2
    assert all((b.day - a.day).days == 7 for a, b in zip(found.timeline, found.timeline[1:],
                                                          strict=False))


# ---------------------------------------------------------------- free texts


def test_text_previews_only_published_answers_of_submitted_responses(process, answered):
    previews = results.text_previews(process, [answered["comment"]])
    texts, total = previews[answered["comment"].id]
    assert total == 3
    assert [a.text for a in texts] == ["Hârtie", "<script>alert(1)</script>", "Mai multe piste"]
    online, total = results.text_previews(process, [answered["comment"]],
                                          include_offline=False)[answered["comment"].id]
    assert total == 2 and "Hârtie" not in [a.text for a in online]
    # The count of answers (all, hidden one included) comes with the results.
    assert results.compute_results(process).result(answered["comment"].id).answered == 4


@pytest.mark.parametrize("status", ["pending", "hidden", "rejected", "deleted"])
def test_unpublished_answers_are_never_listed(process, questionnaire, status):
    comment = questionnaire["comment"]
    add_response(process, [(comment, ("Secret", status))])
    add_response(process, [(comment, "Public")])
    page = results.text_answers(process, comment)
    assert [a.text for a in page.items] == ["Public"] and page.total == 1
    assert results.text_answers(process, comment, "secret").total == 0


def test_text_search_folds_case_and_diacritics(process, questionnaire):
    comment = questionnaire["comment"]
    add_response(process, [(comment, "Școala din Mănăștur are nevoie de PISTE")])
    add_response(process, [(comment, "Şcoală (cu sedilă) lângă parc")])
    add_response(process, [(comment, "Nimic de adăugat")])
    add_response(process, [(comment, "100% de acord_da")])

    def found(query):  # noqa: ANN001, ANN202
        return {a.text[:5] for a in results.text_answers(process, comment, query).items}

    assert found("scoala") == {"Școal", "Şcoal"}
    assert found("ȘCOALĂ manastur") == {"Școal"}
    assert found("piste") == {"Școal"}
    assert found("parc") == {"Şcoal"}
    # Punctuation is no search syntax: "%" and "_" have no words, so they filter nothing.
    assert found("%") == found("") == {"100% ", "Nimic", "Școal", "Şcoal"}
    assert found("_") == found("")
    assert found("acord_da") == {"100% "}
    assert found("nicaieri") == set()


def test_text_answers_paginate_newest_first(process, questionnaire):
    comment = questionnaire["comment"]
    for n in range(25):
        add_response(process, [(comment, f"Răspuns {n}")], commit=False)
    db.session.commit()
    first = results.text_answers(process, comment, page=1, per_page=20)
    second = results.text_answers(process, comment, page=2, per_page=20)
    assert first.total == 25 and first.has_next and not second.has_next
    assert first.items[0].text == "Răspuns 24" and second.items[-1].text == "Răspuns 0"
    assert len(second.items) == 5


def test_text_answers_of_another_question_are_not_listed(process, questionnaire):
    from tests.consultations.conftest import add_question

    other = add_question(questionnaire["sections"][2], "short_text", "Nume?", position=7)
    db.session.commit()
    add_response(process, [(other, "Ion"), (questionnaire["comment"], "Comentariu")])
    assert [a.text for a in results.text_answers(process, questionnaire["comment"]).items] == [
        "Comentariu"]


# ---------------------------------------------------------------- breakdowns


@pytest.mark.parametrize(("sizes", "shown", "merged", "other"), [
    ({"citizen": 12}, ["citizen"], [], False),
    ({"citizen": 5, "research": 5}, ["citizen", "research"], [], False),
    # Small groups together reach 5: shown as "other".
    ({"citizen": 6, "research": 5, "business": 3, "civil_society": 2},
     ["citizen", "research"], ["business", "civil_society"], True),
    # Together still below 5: the smallest shown group joins them.
    ({"citizen": 6, "research": 5, "business": 2}, ["citizen"], ["research", "business"], True),
    ({"citizen": 9, "research": 6, "business": 1, "other": 1},
     ["citizen"], ["research", "business", "other"], True),
    # Nothing reaches 5: nothing is shown.
    ({"citizen": 4, "business": 3}, [], ["citizen", "business"], False),
    ({"citizen": 4}, [], ["citizen"], False),
    ({}, [], [], False),
    # Two groups, one small: the large one alone would reveal the small one by subtraction.
    ({"citizen": 20, "business": 1}, [], ["citizen", "business"], False),
])
def test_merge_small_groups(sizes, shown, merged, other):
    got_shown, got_merged, got_other = results.merge_small_groups(sizes)
    assert (got_shown, sorted(got_merged), got_other) == (shown, sorted(merged), other)
    if got_shown:
        # What is shown never lets a group under 5 be worked out from the total.
        hidden = sum(sizes.values()) - sum(sizes[g] for g in got_shown)
        assert hidden == 0 or hidden >= results.MIN_GROUP
        assert all(sizes[g] >= results.MIN_GROUP for g in got_shown)


@pytest.fixture
def grouped(process, questionnaire, make_user):  # noqa: ANN001, ANN201
    """travel answered by 6 citizens (4 walk, 2 bike), 5 researchers (all car), 3 businesses
    (all bike) and 2 civil-society people (walk): a paper form says "business" in its profile,
    and one signed-in citizen's profile overrides the account's type."""
    walk, bike, car = questionnaire["travel"].choices
    travel = questionnaire["travel"]
    for n in range(6):
        add_response(process, [(travel, walk if n < 4 else bike)],
                     user=make_user(stakeholder_type="citizen"))
    for _ in range(5):
        add_response(process, [(travel, car)], user=make_user(stakeholder_type="research"))
    for _ in range(2):
        add_response(process, [(travel, bike)], user=make_user(stakeholder_type="business"))
    add_response(process, [(travel, bike)], channel="paper",
                 profile={"stakeholder_type": "business", "age_band": "30_44"})
    add_response(process, [(travel, walk)], user=make_user(stakeholder_type="citizen"),
                 profile={"stakeholder_type": "civil_society"})
    add_response(process, [(travel, walk)], user=make_user(stakeholder_type="civil_society"))
    # Drafts never count, in any group.
    for _ in range(5):
        add_response(process, [(travel, car)], user=make_user(stakeholder_type="public_authority"),
                     status="draft")
    return questionnaire


def test_breakdown_by_stakeholder_type(process, grouped):
    found = results.compute_breakdown(process, grouped["travel"], "stakeholder_type")
    assert found.respondents == 16 and not found.too_few
    (table,) = found.tables
    assert table.stacked
    assert [(g.key, g.size, [(c.count, c.percent) for c in g.cells]) for g in table.groups] == [
        ("citizen", 6, [(4, 66.7), (2, 33.3), (0, 0.0)]),
        ("research", 5, [(0, 0.0), (0, 0.0), (5, 100.0)]),
        # business 3 + civil society 2 = 5: shown together
        (results.MERGED, 5, [(2, 40.0), (3, 60.0), (0, 0.0)]),
    ]
    assert sorted(found.merged) == ["Business", "Civil society"]
    assert "Public authority" not in [g.label for g in table.groups]


def test_breakdown_merges_the_smallest_group_when_other_is_too_small(process, questionnaire,
                                                                     make_user):
    travel = questionnaire["travel"]
    walk, bike, car = travel.choices
    for n in range(6):
        add_response(process, [(travel, walk if n < 4 else bike)],
                     user=make_user(stakeholder_type="citizen"))
    for _ in range(5):
        add_response(process, [(travel, car)], user=make_user(stakeholder_type="research"))
    for _ in range(3):
        add_response(process, [(travel, bike)], user=make_user(stakeholder_type="business"))
    found = results.compute_breakdown(process, travel, "stakeholder_type")
    (table,) = found.tables
    # Business (3) alone is below 5, so the smallest shown group, research (5), joins it: the
    # three business answers cannot be worked out as "total minus citizens minus research".
    assert [(g.key, g.size) for g in table.groups] == [("citizen", 6), (results.MERGED, 8)]
    assert [c.count for c in table.groups[1].cells] == [0, 3, 5]
    assert sorted(found.merged) == ["Business", "Research and academia"]


def test_breakdown_with_too_few_respondents_shows_nothing(process, questionnaire, make_user):
    travel = questionnaire["travel"]
    walk = travel.choices[0]
    for kind in ("citizen", "citizen", "research", "business"):
        add_response(process, [(travel, walk)], user=make_user(stakeholder_type=kind))
    found = results.compute_breakdown(process, travel, "stakeholder_type")
    assert found.too_few and found.tables == [] and found.merged == []


def test_breakdown_by_profile_question_with_not_stated(process, questionnaire):
    satisfied = questionnaire["satisfied"]
    for n in range(6):
        add_response(process, [(satisfied, 5 if n < 3 else 3)], profile={"age_band": "18_29"})
    for _ in range(5):
        add_response(process, [(satisfied, 1)], profile={})
    for _ in range(2):
        add_response(process, [(satisfied, 2)], profile={"age_band": "65_plus"})
    found = results.compute_breakdown(process, satisfied, "age_band")
    (table,) = found.tables
    assert table.columns == ["1", "2", "3", "4", "5"]
    # 65+ (2) is too small; with "not stated" (5), the smallest shown group, it makes 7.
    assert [(g.key, g.label, g.size) for g in table.groups] == [
        ("18_29", "18–29", 6), (results.MERGED, "Other groups (combined)", 7)]
    assert table.groups[0].mean == pytest.approx(24 / 6)
    assert [c.count for c in table.groups[1].cells] == [5, 2, 0, 0, 0]
    assert table.groups[1].mean == pytest.approx(9 / 7)
    assert sorted(found.merged) == ["65 or over", "Not stated"]


def test_breakdown_of_multiple_ranking_and_matrix(process, questionnaire, make_user):
    q = questionnaire
    lanes, parking, showers = q["helps"].choices
    bad, good = q["matrix"].choices
    pavements, buses = q["matrix"].rows
    for n in range(5):
        add_response(process, [(q["helps"], [lanes, parking] if n < 2 else [lanes]),
                               (q["order"], q["order"].choices),
                               (q["matrix"], {pavements: bad, buses: good if n else bad})],
                     user=make_user(stakeholder_type="citizen"))
    multiple = results.compute_breakdown(process, q["helps"], "stakeholder_type")
    (table,) = multiple.tables
    assert not table.stacked
    assert [(c.count, c.percent) for c in table.groups[0].cells] == [
        (5, 100.0), (2, 40.0), (0, 0.0)]
    ranking = results.compute_breakdown(process, q["order"], "stakeholder_type")
    firsts, scores = ranking.tables
    assert [c.count for c in firsts.groups[0].cells] == [5, 0, 0]
    assert [c.percent for c in scores.groups[0].cells] == [100.0, 50.0, 0.0]
    matrix = results.compute_breakdown(process, q["matrix"], "stakeholder_type")
    assert [t.title for t in matrix.tables] == ["Trotuare (en)", "Autobuze (en)"]
    assert [c.count for c in matrix.tables[1].groups[0].cells] == [1, 4]


def test_breakdown_refuses_open_questions_and_unknown_groupings(process, questionnaire):
    assert results.compute_breakdown(process, questionnaire["comment"], "stakeholder_type") \
        is None
    assert results.compute_breakdown(process, questionnaire["distance"], "age_band") is None
    assert results.compute_breakdown(process, questionnaire["travel"], "email") is None


def test_breakdown_choices_follow_the_profile_questions(process):
    settings = results.settings_for(process)
    assert list(results.breakdown_choices(settings)) == ["stakeholder_type"]
    settings = ConsultationSettings(process_id=process.id,
                                    profile_questions=["neighbourhood", "age_band"])
    assert list(results.breakdown_choices(settings)) == [
        "stakeholder_type", "age_band", "neighbourhood"]


# ---------------------------------------------------------------- cache


def test_cache_is_used_until_a_response_is_submitted(process, questionnaire, count_queries):
    travel = questionnaire["travel"]
    walk, bike, _car = travel.choices
    add_response(process, [(travel, walk)])
    questionnaire_ = results.load_questionnaire(process)
    with count_queries() as cold:
        results.compute_results(process, questionnaire=questionnaire_)
    with count_queries() as warm:
        found = results.compute_results(process, questionnaire=questionnaire_)
    assert warm.n == 1 < cold.n
    assert found.result(travel.id).bars[0].count == 1
    # A draft leaves the cached numbers alone (and still is not counted).
    draft = add_response(process, [(travel, bike)], status="draft")
    found = results.compute_results(process, questionnaire=questionnaire_)
    assert [b.count for b in found.result(travel.id).bars] == [1, 0, 0]
    assert found.started_online == 2
    # Submitting it changes the version: recomputed.
    draft.status = "submitted"
    draft.submitted_at = utcnow()
    db.session.commit()
    found = results.compute_results(process, questionnaire=questionnaire_)
    assert [b.count for b in found.result(travel.id).bars] == [1, 1, 0]


def test_cache_notices_a_changed_answer_when_the_response_is_touched(process, questionnaire):
    travel = questionnaire["travel"]
    walk, bike, _car = travel.choices
    response = add_response(process, [(travel, walk)])
    assert [b.count for b in results.compute_results(process).result(travel.id).bars] == [
        1, 0, 0]
    answer = db.session.scalars(db.select(Answer).where(Answer.response_id == response.id)).one()
    answer.option_id = bike.id
    response.updated_at = utcnow() + timedelta(seconds=1)
    db.session.commit()
    assert [b.count for b in results.compute_results(process).result(travel.id).bars] == [
        0, 1, 0]


# ---------------------------------------------------------------- visibility


@pytest.mark.parametrize(("visibility", "status", "opens", "closes", "public"), [
    ("live", "published", -1, 30, True),
    ("live", "published", 2, 30, False),  # not open yet
    ("live", "closed", -10, -1, True),
    ("live", "archived", -10, -1, True),
    ("after_close", "published", -1, 30, False),
    ("after_close", "published", -10, -1, True),  # its closing date has passed
    ("after_close", "closed", -10, 30, True),
    ("after_close", "archived", -10, -1, True),
    ("never", "closed", -10, -1, False),
    ("never", "published", -1, 30, False),
    ("live", "draft", -1, 30, False),
])
def test_results_public(make_process, city, visibility, status, opens, closes, public):
    now = utcnow()
    process = make_process(city, kind="consultation", status=status,
                           opens_at=now + timedelta(days=opens),
                           closes_at=now + timedelta(days=closes))
    db.session.merge(ConsultationSettings(process_id=process.id, results_visibility=visibility))
    db.session.commit()
    assert results.results_public(process, results.settings_for(process)) is public


def test_default_settings_publish_after_closing(process):
    settings = results.settings_for(process)
    assert settings.results_visibility == "after_close" and settings.respondents == "signed_in"
    assert settings not in db.session
    assert not results.results_public(process, settings)


def test_staff_always_see_results_others_per_visibility(process, make_user, make_role, city,
                                                        make_city):
    db.session.merge(ConsultationSettings(process_id=process.id, results_visibility="never"))
    db.session.commit()
    settings = results.settings_for(process)
    organiser, moderator, citizen = make_user(), make_user(), make_user()
    elsewhere = make_user()
    make_role(organiser, city, "organiser")
    make_role(moderator, city, "moderator")
    make_role(elsewhere, make_city(), "organiser")
    assert results.can_view_results(organiser, process, settings)
    assert results.can_view_results(moderator, process, settings)
    assert results.can_view_results(make_user(admin=True), process, settings)
    assert not results.can_view_results(citizen, process, settings)
    assert not results.can_view_results(elsewhere, process, settings)


def test_ideas_process_has_no_results(make_process, city, make_user):
    ideas = make_process(city, kind="ideas")
    settings = results.settings_for(ideas)
    assert not results.can_view_results(make_user(admin=True), ideas, settings)


# ---------------------------------------------------------------- histogram bins


@pytest.mark.parametrize(("lo", "hi", "whole", "expected"), [
    (3, 3, True, [(3, 3)]),
    (1, 5, True, [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]),
    (0, 200, True, [(n * 20, n * 20 + 20) for n in range(11)]),
    (1, 30, False, [(n * 5, n * 5 + 5) for n in range(7)]),
    (0.2, 0.9, False, None),
])
def test_bin_edges(lo, hi, whole, expected):
    edges = results.bin_edges(lo, hi, whole)
    if expected is not None:
        assert edges == [(float(a), float(b)) for a, b in expected]
    assert edges[0][0] <= lo and edges[-1][1] >= hi
    assert len(edges) <= results.MAX_BINS + 2


def test_previews_are_cached_until_moderation_changes(process, questionnaire, count_queries):
    comment = questionnaire["comment"]
    add_response(process, [(comment, "Prima")])
    waiting = add_response(process, [(comment, ("A doua", "pending"))])
    texts = [a.text for a in results.text_previews(process, [comment])[comment.id][0]]
    assert texts == ["Prima"]
    with count_queries() as cached:
        results.text_previews(process, [comment])
    assert cached.n == 2  # the totals (with the version) and the still-published check
    contribution = db.session.scalars(db.select(Answer).where(
        Answer.response_id == waiting.id)).one().contribution
    contribution.status = "published"  # a moderator approves it: no response changed
    db.session.commit()
    texts = [a.text for a in results.text_previews(process, [comment])[comment.id][0]]
    assert texts == ["A doua", "Prima"]


def test_a_cached_preview_is_never_shown_once_hidden(process, questionnaire, monkeypatch):
    """Even if the moderation version failed to change, the shown answers are checked."""
    comment = questionnaire["comment"]
    response = add_response(process, [(comment, "Date personale")])
    add_response(process, [(comment, "Altceva")])
    assert results.text_previews(process, [comment])[comment.id][1] == 2
    monkeypatch.setattr(results.Totals, "moderation_version", property(lambda self: "same"))
    results.clear_cache()
    results.text_previews(process, [comment])
    answer = db.session.scalars(db.select(Answer).where(Answer.response_id == response.id)).one()
    answer.contribution.status = "hidden"
    db.session.commit()
    texts, total = results.text_previews(process, [comment])[comment.id]
    assert [a.text for a in texts] == ["Altceva"] and total == 1


@pytest.mark.parametrize(("language", "number", "percent", "whole"), [
    ("en", "1,234.57", "66.7%", "3"),
    ("ro", "1.234,57", "66,7%", "3"),
])
def test_numbers_are_formatted_for_the_language(app, language, number, percent, whole):
    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert i18n.format_number(1234.5678) == number
        assert i18n.format_percent(66.66) == percent
        assert i18n.format_number(3.0) == whole and i18n.format_number(-0.001) == "0"
        assert i18n.format_number(None) == i18n.format_percent(None) == "–"
        assert i18n.format_percent(100) == "100%"
