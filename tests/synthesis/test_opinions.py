"""Opinion groups (engage.synthesis.opinions): Pol.is's method on synthetic vote matrices with
planted groups, its formulas on hand-computed examples, degenerate input, and the SVG map."""

from __future__ import annotations

import math
import random
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

from engage.synthesis import opinions
from engage.synthesis.opinions import (
    NO_VARIATION,
    NO_VOTES,
    TOO_FEW_PARTICIPANTS,
    OpinionState,
    VoteCounts,
    choose_k,
    comment_stats,
    compute_opinion_groups,
    consensus_ideas,
    counted_participants,
    group_informed_consensus,
    opinion_map,
    prop_test,
    render_opinion_map,
    representative_ideas,
    two_prop_test,
)

pytestmark = pytest.mark.database_independent  # the PostgreSQL pass leaves it out

SVG = "{http://www.w3.org/2000/svg}"


def planted(n_groups: int = 2, per_group: int = 30, n_ideas: int = 20, noise: float = 0.1,
            unseen: float = 0.1, seed: int = 1, first_id: int = 1000):
    """Participants in `n_groups` planted groups: group g agrees with its own slice of the ideas
    and disagrees with the rest; `noise` of the votes flipped, `unseen` left out."""
    rnd = random.Random(seed)
    rows, truth = [], []
    for g in range(n_groups):
        for _ in range(per_group):
            row = []
            for j in range(n_ideas):
                if rnd.random() < unseen:
                    row.append(None)
                    continue
                vote = 1 if j * n_groups // n_ideas == g else -1
                row.append(-vote if rnd.random() < noise else vote)
            rows.append(row)
            truth.append(g)
    participants = list(range(first_id, first_id + len(rows)))
    ideas = list(range(1, n_ideas + 1))
    return participants, ideas, rows, truth


def agreement(result, participants, truth) -> float:
    """The share of participants in the group that matches their planted group best."""
    planted_of = dict(zip(participants, truth, strict=True))
    right = 0
    for group in result.groups:
        counts: dict[int, int] = {}
        for member in group.members:
            counts[planted_of[member]] = counts.get(planted_of[member], 0) + 1
        right += max(counts.values())
    # Each planted group must map to a different found group.
    majorities = [max(set(planted_of[m] for m in g.members),
                      key=lambda t, g=g: sum(planted_of[m] == t for m in g.members))
                  for g in result.groups]
    assert len(set(majorities)) == len(majorities)
    return right / len(participants)


# ---------------------------------------------------------------- planted groups


def test_two_planted_groups_are_recovered_with_their_representative_ideas():
    participants, ideas, rows, truth = planted(2, per_group=30, n_ideas=20)
    result = compute_opinion_groups(participants, ideas, rows)
    assert result.notice is None
    assert result.k == 2
    assert len(result.participant_ids) == 60
    assert agreement(result, participants, truth) >= 0.95
    assert sorted(len(g.members) for g in result.groups) == [30, 30]
    planted_of = dict(zip(participants, truth, strict=True))
    for group in result.groups:
        side = planted_of[group.members[0]]  # planted group 0 agrees with ideas 1–10
        own = set(ideas[:10]) if side == 0 else set(ideas[10:])
        assert group.representative, group
        for rep in group.representative:
            assert (rep.idea_id in own) == (rep.direction == "agree"), rep
        directions = [r.direction for r in group.representative]
        assert directions == sorted(directions)  # agrees first ("agree" < "disagree")
        assert len(group.representative) <= 5
    # Coordinates, participants and groups are parallel; every counted participant is placed.
    assert len(result.coordinates) == len(result.group_of) == 60
    assert set(result.group_of) == {0, 1}
    # Groups ordered by size then position; labels A, B.
    assert [g.label for g in result.groups] == ["A", "B"]
    assert sum(len(b.members) for b in result.base_clusters) == 60


def test_three_planted_groups_give_three_groups():
    participants, ideas, rows, truth = planted(3, per_group=30, n_ideas=21, seed=7)
    result = compute_opinion_groups(participants, ideas, rows)
    assert result.k == 3
    assert max(result.silhouettes, key=result.silhouettes.get) == 3
    assert agreement(result, participants, truth) >= 0.95


def test_groups_are_deterministic():
    participants, ideas, rows, _ = planted(2, per_group=40, n_ideas=30, noise=0.2, seed=3)
    first = compute_opinion_groups(participants, ideas, rows)
    second = compute_opinion_groups(participants, ideas, rows)
    assert first == second
    assert first.coordinates == second.coordinates


def test_an_idea_everyone_agrees_with_is_consensus():
    participants, ideas, rows, _ = planted(2, per_group=30, n_ideas=20)
    ideas = [*ideas, 99, 98]
    rows = [[*row, 1, -1] for row in rows]
    result = compute_opinion_groups(participants, ideas, rows)
    assert result.consensus_agree[0].idea_id == 99
    assert result.consensus_agree[0].n_success == result.consensus_agree[0].n_trials == 60
    assert result.consensus_disagree[0].idea_id == 98
    assert 99 not in {c.idea_id for c in result.consensus_disagree}
    assert len(result.consensus_agree) <= 5 and len(result.consensus_disagree) <= 5
    # Group-informed consensus: every group agrees with 99, each agrees with only its own half
    # of the others.
    gic = {s.idea_id: s.group_consensus for s in result.ideas}
    assert gic[99] == pytest.approx(math.prod(31 / 32 for _ in result.groups))
    assert gic[99] > 0.9 > max(v for k, v in gic.items() if k != 99)
    # Neither consensus idea sets a group apart.
    for group in result.groups:
        assert {99, 98}.isdisjoint(r.idea_id for r in group.representative)


def test_hidden_ideas_are_ignored():
    participants, ideas, rows, _ = planted(2, per_group=30, n_ideas=20)
    # Hidden ideas on which everyone agrees (they would be consensus) and a divisive one.
    with_hidden = [[1, row[0], *row, 1] for row in rows]
    all_ideas = [501, 502, *ideas, 503]
    result = compute_opinion_groups(participants, all_ideas, with_hidden,
                                    hidden_idea_ids={501, 502, 503})
    plain = compute_opinion_groups(participants, ideas, rows)
    assert result.hidden_idea_ids == (501, 502, 503)
    assert result.idea_ids == tuple(ideas)
    assert result.coordinates == plain.coordinates
    assert result.groups == plain.groups
    assert result.consensus_agree == plain.consensus_agree
    everything = {r.idea_id for g in result.groups for r in g.representative}
    everything |= {c.idea_id for c in result.consensus_agree + result.consensus_disagree}
    everything |= {s.idea_id for s in result.ideas}
    assert everything.isdisjoint({501, 502, 503})
    # Without hiding them, they show up.
    shown = compute_opinion_groups(participants, all_ideas, with_hidden)
    assert 501 in {c.idea_id for c in shown.consensus_agree}


# ---------------------------------------------------------------- who counts


def test_counted_participants_threshold_and_top_up():
    # 20 ideas: the threshold is 7 votes.
    counts = [7] * 16 + [6, 5, 0]
    assert counted_participants(counts, 20) == list(range(16))
    counts = [9] * 10 + [3, 6, 0, 6, 1, 2, 5, 4]
    # 10 qualify; topped up with the most active: 6, 6, 5, 4, 3 (ties in input order).
    assert counted_participants(counts, 20) == [*range(10), 10, 11, 13, 16, 17]
    # Fewer ideas than 7: voting on all of them is enough.
    assert counted_participants([3, 3, 2, 0], 3) == [0, 1, 2]
    # No one without a vote is ever counted.
    assert counted_participants([0, 0, 1], 10) == [2]


def test_min_votes_rule_in_a_run():
    participants, ideas, rows, _ = planted(2, per_group=15, n_ideas=20, unseen=0.0)
    # Participant 0 voted on only 3 ideas, participant 1 on 6: with 28 others counted, both out.
    rows[0] = [rows[0][j] if j < 3 else None for j in range(20)]
    rows[1] = [rows[1][j] if j < 6 else None for j in range(20)]
    rows.append([None] * 20)  # a participant with no vote at all
    participants.append(9999)
    result = compute_opinion_groups(participants, ideas, rows)
    assert participants[0] not in result.participant_ids
    assert participants[1] not in result.participant_ids
    assert 9999 not in result.participant_ids
    assert len(result.participant_ids) == 28
    assert result.n_voters == 30
    # The excluded still count in the idea totals.
    assert result.ideas[0].total.seen == 30


# ---------------------------------------------------------------- formulas by hand


def test_prop_tests_by_hand():
    # 2·sqrt(6)·(4/6 − 1/2)
    assert prop_test(3, 5) == pytest.approx(2 * math.sqrt(6) / 6)
    # All counts + 1: 4/6 vs 2/5, pooled 6/11.
    pooled = 6 / 11
    expected = (4 / 6 - 2 / 5) / math.sqrt(pooled * (1 - pooled) * (1 / 6 + 1 / 5))
    assert two_prop_test(3, 1, 5, 4) == pytest.approx(expected)
    assert two_prop_test(5, 5, 5, 5) == 0.0  # pooled share 1: no test


def test_comment_stats_by_hand():
    # In the group: 3 agree, 1 disagree, 1 pass; the rest: 1 agree, 3 disagree, 0 pass.
    s = comment_stats(3, 1, 5, 1, 3, 4)
    assert s["pa"] == pytest.approx(4 / 7)
    assert s["pd"] == pytest.approx(2 / 7)
    assert s["pat"] == pytest.approx(2 * math.sqrt(6) * (4 / 6 - 0.5))
    assert s["pdt"] == pytest.approx(2 * math.sqrt(6) * (2 / 6 - 0.5))
    assert s["ra"] == pytest.approx((4 / 7) / (2 / 6))
    assert s["rd"] == pytest.approx((2 / 7) / (4 / 6))
    assert s["rat"] == pytest.approx(0.8844, abs=1e-4)


def test_representative_ideas_by_hand():
    ideas = [1, 2, 3, 4]
    group = [VoteCounts(10, 0, 0), VoteCounts(0, 10, 0), VoteCounts(5, 5, 0), VoteCounts(9, 1, 0)]
    rest = [VoteCounts(1, 9, 0), VoteCounts(10, 0, 0), VoteCounts(5, 5, 0), VoteCounts(9, 1, 0)]
    reps = representative_ideas(ideas, group, rest)
    # Idea 3 and 4: the group votes like the rest. Idea 1: agree; idea 2: disagree.
    assert [(r.idea_id, r.direction) for r in reps] == [(1, "agree"), (2, "disagree")]
    one = reps[0]
    assert one.n_success == 10 and one.n_trials == 10
    assert one.share == pytest.approx(11 / 12)
    assert one.share_test == pytest.approx(2 * math.sqrt(11) * (11 / 11 - 0.5))
    assert one.repness == pytest.approx((11 / 12) / (2 / 12))
    assert one.metric == pytest.approx(one.repness * one.repness_test * one.share
                                       * one.share_test)
    # At most five, agrees before disagrees even when a disagree scores higher.
    many = list(range(8))
    group = [VoteCounts(0, 20, 0)] + [VoteCounts(8, 0, 0)] * 7
    rest = [VoteCounts(20, 0, 0)] + [VoteCounts(0, 8, 0)] * 7
    reps = representative_ideas(many, group, rest)
    assert len(reps) == 5
    assert [r.direction for r in reps] == ["agree"] * 4 + ["disagree"]
    assert reps[-1].idea_id == 0


def test_consensus_by_hand():
    ideas = [1, 2, 3, 4]
    totals = [VoteCounts(10, 0, 0),  # pa 11/12, pat sqrt(11): in
              VoteCounts(3, 1, 0),  # pa 4/6, pat 2·sqrt(5)·0.3 = 1.342: in
              VoteCounts(2, 1, 0),  # pa 3/5, pat 1.0: out
              VoteCounts(0, 4, 1)]  # disagree: pd 5/7, pdt 2·sqrt(6)·(5/6 − 0.5) = 1.633
    agreed, disagreed = consensus_ideas(ideas, totals)
    assert [c.idea_id for c in agreed] == [1, 2]
    assert agreed[1].share_test == pytest.approx(2 * math.sqrt(5) * 0.3)
    assert [c.idea_id for c in disagreed] == [4]
    assert disagreed[0].share == pytest.approx(5 / 7)


def test_group_informed_consensus_by_hand():
    assert group_informed_consensus([VoteCounts(3, 1, 0), VoteCounts(1, 0, 1)]) == \
        pytest.approx((4 / 6) * (2 / 4))
    assert group_informed_consensus([]) is None


def test_choose_k_keeps_the_previous_k_until_another_wins_four_times():
    scores = {2: 0.5, 3: 0.7}
    state = OpinionState(k=2)
    for run in range(1, 4):
        k, challenger, wins = choose_k(scores, state)
        assert (k, challenger, wins) == (2, 3, run)
        state = OpinionState(k=k, challenger_k=challenger, challenger_wins=wins)
    assert choose_k(scores, state) == (3, None, 0)
    # A different challenger starts counting again; no previous state: the best at once.
    assert choose_k({2: 0.5, 3: 0.1, 4: 0.7}, OpinionState(k=2, challenger_k=3,
                                                            challenger_wins=3)) == (2, 4, 1)
    assert choose_k(scores, None) == (3, None, 0)


def test_state_round_trips_and_warm_starts():
    participants, ideas, rows, _ = planted(2, per_group=30, n_ideas=20)
    first = compute_opinion_groups(participants, ideas, rows)
    state = OpinionState.from_json(first.state.to_json())
    assert state == first.state
    assert OpinionState.from_json({"k": "x"}) is None
    assert OpinionState.from_json(None) is None
    again = compute_opinion_groups(participants, ideas, rows, previous=state)
    assert [set(g.members) for g in again.groups] == [set(g.members) for g in first.groups]
    assert again.state.k == 2


# ---------------------------------------------------------------- stakeholders


def test_support_by_stakeholder_type():
    participants = [1, 2, 3, 4, 5]
    ideas = [10, 20]
    rows = [[1, None], [1, -1], [-1, 0], [0, 1], [None, None]]
    types = {1: "citizen", 2: "citizen", 3: "business", 4: None}  # 4, 5: unspecified
    result = compute_opinion_groups(participants, ideas, rows, stakeholder_types=types)
    first, second = result.ideas
    assert first.idea_id == 10
    assert first.total == VoteCounts(agree=2, disagree=1, passed=1)
    assert first.by_stakeholder == {
        "business": VoteCounts(0, 1, 0),
        "citizen": VoteCounts(2, 0, 0),
        "unspecified": VoteCounts(0, 0, 1),
    }
    assert second.by_stakeholder["citizen"] == VoteCounts(0, 1, 0)
    assert second.by_stakeholder["business"] == VoteCounts(0, 0, 1)
    assert second.total.seen == 3
    assert result.support_of(20) is second and result.support_of(30) is None


# ---------------------------------------------------------------- degenerate input


@pytest.mark.parametrize(("participants", "ideas", "rows", "notice"), [
    ([], [], [], NO_VOTES),
    ([], [1, 2], [], NO_VOTES),
    ([1, 2], [], [[], []], NO_VOTES),
    ([1, 2, 3], [1, 2], [[None, None]] * 3, NO_VOTES),
    ([1], [1, 2, 3], [[1, -1, 0]], TOO_FEW_PARTICIPANTS),
    ([1, 2, 3, 4], [1, 2], [[1, -1]] * 4, NO_VARIATION),
    ([1, 2, 3], [7], [[1], [1], [1]], NO_VARIATION),
    ([1, 2], [1], [["x"], [2]], NO_VOTES),  # not votes: read as unseen
])
def test_degenerate_input_gives_a_result_without_groups(participants, ideas, rows, notice):
    result = compute_opinion_groups(participants, ideas, rows)
    assert result.notice == notice
    assert result.groups == ()
    assert all(g == -1 for g in result.group_of)
    assert len(result.coordinates) == len(result.participant_ids)
    assert len(result.ideas) == len(ideas)
    html_map = opinion_map(result)
    assert html_map.groups == ()


def test_a_single_idea_with_two_sides_still_splits():
    result = compute_opinion_groups(list(range(10)), [5], [[1]] * 5 + [[-1]] * 5)
    assert result.notice is None
    assert result.k == 2
    assert sorted(sorted(g.members) for g in result.groups) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


def test_identical_votes_still_give_consensus():
    result = compute_opinion_groups(list(range(20)), [1, 2, 3], [[1, 1, -1]] * 20)
    assert result.notice == NO_VARIATION
    assert [c.idea_id for c in result.consensus_agree] == [1, 2]
    assert [c.idea_id for c in result.consensus_disagree] == [3]


# ---------------------------------------------------------------- memory and speed


def test_importing_the_module_loads_neither_numpy_nor_sklearn():
    code = ("import sys, engage.synthesis.opinions as o; "
            "o.opinion_map; "
            "print(sorted(m for m in ('numpy', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def big():
    rnd = random.Random(5)
    n_participants, n_ideas = 2000, 500
    participants = list(range(700_000, 700_000 + n_participants))
    ideas = list(range(1, n_ideas + 1))
    rows = [[rnd.choice((1, -1, 0)) if rnd.random() < 0.3 else None for _ in ideas]
            for _ in participants]
    started = time.perf_counter()
    result = compute_opinion_groups(participants, ideas, rows)
    elapsed = time.perf_counter() - started
    return participants, result, elapsed


def test_two_thousand_participants_by_five_hundred_ideas(big):
    # Its time and memory are measured in bench/synthesis (make bench-synthesis), not here.
    _, result, _ = big
    assert len(result.participant_ids) == 2000
    assert len(result.base_clusters) == 100
    assert 2 <= result.k <= 5


# ---------------------------------------------------------------- the map


def _svg(html: str) -> ET.Element:
    start, end = html.index("<svg xmlns="), html.index("</svg>")
    return ET.fromstring(html[start:end + len("</svg>")])


def test_map_is_well_formed_accessible_and_without_personal_data(app):
    participants, ideas, rows, _ = planted(2, per_group=30, n_ideas=20, first_id=424242)
    result = compute_opinion_groups(participants, ideas, rows)
    labels = {i: f"Idea <b>{i}</b> & more" for i in ideas}
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        html = str(render_opinion_map(result, labels))
    svg = _svg(html)
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None and title.text
    assert "Group A: 30 participants" in desc.text
    assert set(svg.get("aria-labelledby").split()) == {title.get("id"), desc.get("id")}
    polylines = svg.findall(f"{SVG}polyline")
    assert len(polylines) == 2
    for line in polylines:
        for point in line.get("points").split():
            x, y = (int(v) for v in point.split(","))
            assert 0 <= x <= 320 and 0 <= y <= 240
    # Each group its own shape and colour, and its letter on the map.
    markers = svg.find(f"{SVG}defs").findall(f"{SVG}marker")
    assert len({ET.tostring(m[0]) for m in markers}) == 2
    assert {t.text for t in svg.findall(f"{SVG}text")} == {"A", "B"}
    # The table names the groups and their ideas; labels are escaped.
    assert "<table" in html and "Group A" in html and "Group B" in html
    assert "Idea &lt;b&gt;" in html and "<b>" not in html
    assert "% agree" in html and "% disagree" in html
    # No participant id anywhere.
    for participant in participants:
        assert str(participant) not in html
    assert "style=" not in html


def test_map_of_two_thousand_participants_is_small(app, big):
    participants, result, _ = big
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        html = str(render_opinion_map(result, {i: f"Idea {i}" for i in range(1, 501)}))
    print(f"opinion map, 2,000 participants: {len(html.encode())} bytes")
    assert len(html.encode()) < 30_000
    _svg(html)
    assert "700000" not in html and "701999" not in html


def test_map_without_groups_says_why(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        html = str(render_opinion_map(compute_opinion_groups([], [], [])))
        assert "No one has voted" in html
        assert "<svg" not in html
        same = compute_opinion_groups(list(range(20)), [1, 2], [[1, -1]] * 20)
        html = str(render_opinion_map(same))
    assert "voted alike" in html
    _svg(html)  # the one spot everyone shares is still drawn
    assert "<table" not in html


def test_map_geometry_merges_participants_on_the_same_spot():
    result = compute_opinion_groups(list(range(40)), [1, 2, 3, 4],
                                    [[1, 1, -1, -1]] * 20 + [[-1, -1, 1, 1]] * 20)
    drawn = opinion_map(result, {1: "one"})
    assert [g.size for g in drawn.groups] == [20, 20]
    # Twenty identical voters: one spot, repeated so that a marker is drawn.
    assert all(len(set(g.points.split())) == 1 for g in drawn.groups)
    assert drawn.groups[0].representative[0].label in {"one", "#2", "#3", "#4"}
    assert opinions.GROUP_SHAPES[0] != opinions.GROUP_SHAPES[1]


def test_result_round_trips_through_json():
    import json

    participants, ideas, rows, _ = planted(2, per_group=30, n_ideas=20)
    result = compute_opinion_groups(participants, ideas, rows,
                                    stakeholder_types={participants[0]: "business"})
    stored = json.loads(json.dumps(result.to_json()))
    assert opinions.OpinionResult.from_json(stored) == result
    empty = compute_opinion_groups([], [], [])
    assert opinions.OpinionResult.from_json(json.loads(json.dumps(empty.to_json()))) == empty
    assert result.group_for(participants[0]) in result.groups
    assert result.group_for(-1) is None
