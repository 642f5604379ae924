"""The campaign's figures (`science.stats`): number statistics and histograms on known data,
choices with percentages, yes/no, observations per local day, what is left out (hidden
contributions, statuses other than accepted), the cache and its data version, and a constant
number of statements."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from engage.extensions import db
from engage.science import stats
from engage.science.models import FieldOption
from tests.science.conftest import add_field, add_observation


@pytest.fixture(autouse=True)
def _fresh_cache():  # noqa: ANN202
    stats.clear_cache()
    yield
    stats.clear_cache()


def numbers(process, field, values, **kwargs):  # noqa: ANN001, ANN003
    for value in values:
        add_observation(process, values=[(field, value)], commit=False, **kwargs)
    db.session.commit()


# ---------------------------------------------------------------- numbers


def test_min_median_max_mean_and_histogram(campaign, protocol):
    temperature = protocol["temperature"]
    numbers(campaign, temperature, [21.5, 30.0, 25.0, 28.5, 35.5])
    found = stats.compute(campaign).result(temperature.id)
    assert found.answered == 5
    assert (found.minimum, found.median, found.maximum) == (21.5, 28.5, 35.5)
    assert found.mean == pytest.approx(28.1)
    # (35.5 − 21.5) / 10 = 1.4 → bins 2 wide from 20
    assert [bar.key for bar in found.bars] == [(20.0, 22.0), (22.0, 24.0), (24.0, 26.0),
                                               (26.0, 28.0), (28.0, 30.0), (30.0, 32.0),
                                               (32.0, 34.0), (34.0, 36.0)]
    assert [bar.count for bar in found.bars] == [1, 0, 1, 0, 1, 1, 0, 1]
    assert sum(bar.count for bar in found.bars) == 5
    assert found.bars[0].percent == 20.0


def test_even_number_of_values_takes_the_mean_of_the_middle_two(campaign, protocol):
    numbers(campaign, protocol["temperature"], [10, 20, 40, 30])
    found = stats.compute(campaign).result(protocol["temperature"].id)
    assert found.median == 25.0


def test_one_value(campaign, protocol):
    numbers(campaign, protocol["temperature"], [18.3])
    found = stats.compute(campaign).result(protocol["temperature"].id)
    assert (found.answered, found.minimum, found.median, found.maximum) == (1, 18.3, 18.3, 18.3)
    assert [(bar.key, bar.count, bar.percent) for bar in found.bars] == [((18.3, 18.3), 1,
                                                                          100.0)]


def test_equal_values(campaign, protocol):
    numbers(campaign, protocol["trees"], [7, 7, 7])
    found = stats.compute(campaign).result(protocol["trees"].id)
    assert (found.minimum, found.median, found.maximum, found.mean) == (7, 7, 7, 7)
    assert [(bar.key, bar.count) for bar in found.bars] == [((7.0, 7.0), 3)]


def test_negatives_and_decimals(campaign, protocol):
    numbers(campaign, protocol["temperature"], [-5.5, -0.5, 0.0, 0.5, 2.5, -3.0])
    found = stats.compute(campaign).result(protocol["temperature"].id)
    assert (found.minimum, found.maximum) == (-5.5, 2.5)
    assert found.median == pytest.approx(-0.25)
    # (2.5 + 5.5) / 10 = 0.8 → bins 1 wide from −6
    assert found.bars[0].key == (-6.0, -5.0) and found.bars[-1].key == (2.0, 3.0)
    counts = {bar.key: bar.count for bar in found.bars}
    assert counts[(-6.0, -5.0)] == 1 and counts[(-3.0, -2.0)] == 1
    assert counts[(-1.0, 0.0)] == 1  # −0.5
    assert counts[(0.0, 1.0)] == 2  # 0 and 0.5: a bin includes its lower bound
    assert counts[(2.0, 3.0)] == 1
    assert sum(counts.values()) == 6


def test_whole_numbers_with_a_small_range_get_one_bin_per_value(campaign, protocol):
    numbers(campaign, protocol["trees"], [0, 2, 2, 5])
    found = stats.compute(campaign).result(protocol["trees"].id)
    assert [(bar.key[0], bar.count) for bar in found.bars] == [
        (0.0, 1), (1.0, 0), (2.0, 2), (3.0, 0), (4.0, 0), (5.0, 1)]
    assert found.median == 2.0


def test_whole_numbers_with_a_wide_range(campaign, protocol):
    numbers(campaign, protocol["trees"], [0, 9, 10, 99, 150])
    found = stats.compute(campaign).result(protocol["trees"].id)
    assert found.bars[0].key == (0.0, 20.0) and found.bars[-1].key == (140.0, 160.0)
    assert sum(bar.count for bar in found.bars) == 5
    assert found.bars[0].count == 3


@pytest.mark.parametrize(("lo", "hi", "whole", "first", "last", "count"), [
    (0.1, 0.3, False, (0.1, 0.12), (0.3, 0.32), 11),
    (-40.0, 60.0, False, (-40.0, -30.0), (60.0, 70.0), 11),
    (3.0, 3.0, True, (3.0, 3.0), (3.0, 3.0), 1),
    (1.0, 1000.0, True, (0.0, 100.0), (1000.0, 1100.0), 11),
])
def test_histogram_bins(lo, hi, whole, first, last, count):
    bins = stats.histogram_bins(lo, hi, whole)
    assert bins[0] == first and bins[-1] == last and len(bins) == count
    assert bins[0][0] <= lo and bins[-1][1] >= hi


# ---------------------------------------------------------------- choices and yes/no


def test_single_and_multiple_choices_with_percentages(campaign, protocol):
    asphalt, grass, paving = protocol["surface"].choices
    trees, buildings, awnings = protocol["shade"].choices
    for surface, shade in [(asphalt, [trees]), (asphalt, [trees, buildings]),
                           (grass, [trees]), (asphalt, [])]:
        add_observation(campaign, values=[(protocol["surface"], surface),
                                          (protocol["shade"], shade)], commit=False)
    db.session.commit()
    found = stats.compute(campaign)
    surface = found.result(protocol["surface"].id)
    assert surface.answered == 4
    assert [(b.key, b.count, b.percent) for b in surface.bars] == [
        (asphalt.id, 3, 75.0), (grass.id, 1, 25.0), (paving.id, 0, 0.0)]
    shade = found.result(protocol["shade"].id)
    assert shade.answered == 3  # one observation chose nothing
    assert [(b.count, b.percent) for b in shade.bars] == [(3, 100.0), (1, 33.3), (0, 0.0)]
    assert shade.bars[0].label("ro") == "Copaci" and shade.bars[0].label("en") == "Copaci (en)"


def test_inactive_options_still_counted_when_used(campaign, protocol):
    asphalt, grass, paving = protocol["surface"].choices
    add_observation(campaign, values=[(protocol["surface"], grass)])
    grass.active = False
    paving.active = False
    db.session.commit()
    bars = stats.compute(campaign).result(protocol["surface"].id).bars
    assert [(b.key, b.count, b.inactive) for b in bars] == [(asphalt.id, 0, False),
                                                            (grass.id, 1, True)]


def test_yes_no(app, campaign, protocol):
    for value in (True, True, False):
        add_observation(campaign, values=[(protocol["water"], value)], commit=False)
    add_observation(campaign, values=[(protocol["temperature"], 20)], commit=False)
    db.session.commit()
    water = stats.compute(campaign).result(protocol["water"].id)
    assert water.answered == 3
    assert [(b.key, b.count, b.percent) for b in water.bars] == [("yes", 2, 66.7),
                                                                 ("no", 1, 33.3)]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert [b.label() for b in water.bars] == ["Yes", "No"]


def test_text_datetime_and_photos_count_the_answered(campaign, protocol):
    from engage.science.models import ObservationPhoto

    moment = datetime(2026, 7, 1, 12, tzinfo=UTC)
    first = add_observation(campaign, values=[(protocol["note"], "umbră"),
                                              (protocol["when"], moment)])
    add_observation(campaign, values=[(protocol["note"], "")])
    for position in range(2):
        db.session.add(ObservationPhoto(
            observation_id=first.id, process_id=campaign.id, field_id=protocol["photo"].id,
            position=position, sha256=f"{position}" * 64, key=f"k{position}",
            thumb_key=f"t{position}", width=10, height=10, thumb_width=5, thumb_height=5))
    db.session.commit()
    found = stats.compute(campaign)
    assert found.result(protocol["note"].id).answered == 1  # an empty text is no answer
    assert found.result(protocol["when"].id).answered == 1
    assert found.result(protocol["photo"].id).answered == 1  # two photos, one observation
    assert found.with_photos == 1 and found.observations == 2


def test_only_active_fields(campaign, protocol):
    protocol["trees"].active = False
    db.session.commit()
    ids = [f.field.id for f in stats.compute(campaign).fields]
    assert protocol["trees"].id not in ids and protocol["temperature"].id in ids


# ---------------------------------------------------------------- per day


def test_per_day_in_local_time_across_midnight_utc(campaign, protocol):
    # 22:30 UTC on 10 January is 00:30 on the 11th in Bucharest (UTC+2); 21:30 is 23:30.
    for moment in (datetime(2026, 1, 10, 21, 30), datetime(2026, 1, 10, 22, 30),
                   datetime(2026, 1, 12, 9, 0), datetime(2026, 7, 10, 21, 30)):
        add_observation(campaign, observed_at=moment.replace(tzinfo=UTC), commit=False)
    db.session.commit()
    found = stats.compute(campaign)
    assert found.timeline_unit == "week"  # January to July: more than 92 days
    points, unit = stats.local_days([("2026-01-10 21", "accepted", 1),
                                     ("2026-01-10 22", "accepted", 1),
                                     ("2026-01-12 09", "accepted", 1)])
    assert unit == "day"
    assert [(p.day, p.count) for p in points] == [(date(2026, 1, 10), 1), (date(2026, 1, 11), 1),
                                                  (date(2026, 1, 12), 1)]
    # Summer time: UTC+3, so 21:30 UTC on 10 July is already the 11th.
    weeks = {p.day: p.count for p in found.timeline}
    assert weeks[date(2026, 1, 5)] == 2 and weeks[date(2026, 1, 12)] == 1
    assert weeks[date(2026, 7, 6)] == 1  # the week of Saturday 11 July
    assert sum(weeks.values()) == 4


def test_per_day_from_the_database(campaign, protocol):
    for moment in (datetime(2026, 3, 2, 21, 30), datetime(2026, 3, 2, 22, 30),
                   datetime(2026, 3, 4, 10, 0)):
        add_observation(campaign, observed_at=moment.replace(tzinfo=UTC), commit=False)
    db.session.commit()
    found = stats.compute(campaign)
    assert found.timeline_unit == "day"
    assert [(p.day, p.count) for p in found.timeline] == [
        (date(2026, 3, 2), 1), (date(2026, 3, 3), 1), (date(2026, 3, 4), 1)]


# ---------------------------------------------------------------- what is left out


def test_hidden_contributions_and_other_statuses_are_left_out_by_default(campaign, protocol):
    temperature = protocol["temperature"]
    add_observation(campaign, values=[(temperature, 20)])
    add_observation(campaign, values=[(temperature, 40)], contribution_status="hidden")
    add_observation(campaign, values=[(temperature, 30)], status="pending")
    add_observation(campaign, values=[(temperature, 35)], status="rejected")
    add_observation(campaign, values=[(temperature, 25)], status="needs_checking")
    found = stats.compute(campaign)
    assert found.observations == 1
    assert found.totals == {"accepted": 1, "pending": 1, "rejected": 1, "needs_checking": 1}
    result = found.result(temperature.id)
    assert (result.answered, result.minimum, result.maximum) == (1, 20.0, 20.0)
    every = stats.compute(campaign, stats.parse_statuses("all"))
    assert every.observations == 4 and every.all_statuses
    assert every.statuses == ("accepted", "pending", "needs_checking", "rejected")
    result = every.result(temperature.id)
    assert (result.answered, result.minimum, result.median, result.maximum) == (4, 20, 27.5, 35)
    assert result.answered_by_status == {"accepted": 1, "pending": 1, "rejected": 1,
                                         "needs_checking": 1}
    assert sum(sum(bar.by_status.values()) for bar in result.bars) == 4
    assert 40.0 not in [bar.key[0] for bar in result.bars]


def test_parse_statuses():
    assert stats.parse_statuses(None) == ("accepted",)
    # "all" is every status, rejected included.
    assert stats.parse_statuses("all") == ("accepted", "pending", "needs_checking", "rejected")
    assert stats.SHOWN_STATUSES == stats.ALL_STATUSES
    assert stats.parse_statuses("<script>") == ("accepted",)


def test_another_campaign_s_observations_are_not_counted(campaign, protocol, make_process,
                                                         city):
    other = make_process(city, kind="science")
    field = add_field(other, "number", "Zgomot")
    db.session.commit()
    add_observation(other, values=[(field, 80)])
    add_observation(campaign, values=[(protocol["temperature"], 20)])
    assert stats.compute(campaign).observations == 1
    assert stats.compute(other).result(field.id).maximum == 80


# ---------------------------------------------------------------- cache and statements


def test_a_new_observation_invalidates_the_cache(campaign, protocol, count_queries):
    numbers(campaign, protocol["temperature"], [20])
    assert stats.compute(campaign).observations == 1
    with count_queries() as warm:
        assert stats.compute(campaign).observations == 1
    assert not any("group by" in s.lower() for s in warm.statements), warm.statements
    numbers(campaign, protocol["temperature"], [30])
    found = stats.compute(campaign)
    assert found.observations == 2 and found.result(protocol["temperature"].id).maximum == 30


def test_a_verification_invalidates_the_cache(campaign, protocol):
    observation = add_observation(campaign, status="pending")
    assert stats.compute(campaign).observations == 0
    observation.status = "accepted"
    db.session.commit()
    assert stats.compute(campaign).observations == 1


def test_hiding_a_contribution_invalidates_the_cache(campaign, protocol):
    observation = add_observation(campaign)
    assert stats.compute(campaign).observations == 1
    observation.contribution.status = "hidden"
    db.session.commit()
    assert stats.compute(campaign).observations == 0


def fill(campaign, protocol, count, offset=0):  # noqa: ANN001, ANN201
    surface = protocol["surface"].choices
    shade = protocol["shade"].choices
    start = datetime(2026, 5, 1, 8, tzinfo=UTC)
    for n in range(offset, offset + count):
        add_observation(campaign, observed_at=start + timedelta(hours=7 * n), values=[
            (protocol["temperature"], 15 + (n * 37 % 200) / 10),
            (protocol["trees"], n % 13), (protocol["surface"], surface[n % 3]),
            (protocol["shade"], shade[: n % 3]), (protocol["water"], n % 2 == 0),
            (protocol["note"], f"nota {n}"),
            (protocol["when"], start + timedelta(hours=n)),
        ], status=("accepted", "pending", "rejected")[n % 3] if n % 4 == 0 else "accepted",
            commit=False)
    db.session.commit()


def test_a_constant_number_of_statements(campaign, protocol, count_queries):
    fill(campaign, protocol, 4)
    with count_queries() as few:
        stats.compute(campaign, stats.ALL_STATUSES)
    extra = add_field(campaign, "single", "Încă una", options=["A", "B"])
    more = add_field(campaign, "number", "Zgomot", settings={"decimals": 0})
    db.session.commit()
    fill(campaign, protocol, 60, offset=4)
    add_observation(campaign, values=[(extra, extra.choices[0]), (more, 55)])
    stats.clear_cache()
    with count_queries() as many:
        found = stats.compute(campaign, stats.ALL_STATUSES)
    assert found.observations == 65
    assert many.n == few.n, many.statements
    assert many.n <= 10, many.statements  # the process, version, fields (2) and six


def test_options_of_another_field_do_not_leak(campaign, protocol):
    """A forged value row pointing at another field's option is not shown as an option."""
    foreign = protocol["shade"].choices[0]
    add_observation(campaign, values=[(protocol["surface"], foreign)])
    bars = stats.compute(campaign).result(protocol["surface"].id).bars
    assert foreign.id not in [b.key for b in bars]
    assert isinstance(bars[0].option, FieldOption)
