"""Opinion groups on agree/disagree/pass votes, Pol.is's method (compdemocracy/polis
`math/src/polismath/math/{conversation,pca,clusters,repness}.clj`, as summarised in
../shared/ALGORITHMS.md), and the geometry of their server-drawn map.

Pure functions over a vote matrix as `engage.ideas.services.vote_matrix` returns it: no database,
no request. numpy and scikit-learn are imported inside the functions, never at module level, so
a web worker that merely imports this module (to render a stored result, say) does not load them.

The public vote codes are agree = +1, disagree = -1, pass = 0, unseen = None. Pol.is computes with
agree = -1 and disagree = +1; the PCA below does the same, so its axes point the way Pol.is's do.

Steps (`compute_opinion_groups`):
1. hidden ideas are left out entirely (Pol.is zeroes their columns: a zero column has no
   variance, no loading and no vote to count, so the result is the same as without them);
2. participants with at least min(7, n ideas) votes count; fewer than 15 → topped up with the
   most active voters;
3. PCA to two components by power iteration with deflation; each participant projected over
   the ideas they voted on only, scaled by sqrt(n ideas / max(n votes, 1));
4. base clusters: k-means with k = min(100, distinct points);
5. opinion groups: weighted k-means on the base centres, k = 2 … min(5, 2 + n_base // 12),
   chosen by the (participant-weighted) silhouette; with a previous state, k only changes after
   another k has won 4 runs in a row;
6. per group its representative ideas (the repness test, group against the other counted
   participants), the consensus ideas over every voter (as Pol.is does over its whole rating
   matrix) and the group-informed consensus, per idea the votes by stakeholder type (every
   voter) and by group.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

Z_90 = 1.2816  # one-sided 90 % significance
MIN_VOTES = 7
MIN_PARTICIPANTS = 15  # topped up to this many with the most active voters
MAX_BASE_CLUSTERS = 100
MAX_GROUPS = 5
STABILITY_RUNS = 4  # another k must win this many runs in a row to replace the current one
REPRESENTATIVE_COUNT = 5
CONSENSUS_COUNT = 5
POWER_ITERATIONS = 100
SEED = 0
UNSPECIFIED = "unspecified"  # the stakeholder type of a participant without one
GROUP_LABELS = "ABCDE"

# Why a result has no groups (OpinionResult.notice).
NO_VOTES = "no_votes"
TOO_FEW_PARTICIPANTS = "too_few_participants"
NO_VARIATION = "no_variation"


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class VoteCounts:
    agree: int = 0
    disagree: int = 0
    passed: int = 0

    @property
    def seen(self) -> int:
        return self.agree + self.disagree + self.passed


@dataclass(frozen=True)
class RepresentativeIdea:
    """An idea that sets a group apart: `direction` is what the group does more than the rest
    ("agree" or "disagree"); `share` = (n_success + 1) / (n_trials + 2) of the group,
    `share_test` its z-score, `repness` the ratio to the rest, `repness_test` the z-score of the
    difference (Pol.is's p-success, p-test, repness, repness-test)."""

    idea_id: int
    direction: str
    n_success: int
    n_trials: int
    share: float
    share_test: float
    repness: float
    repness_test: float

    @property
    def metric(self) -> float:
        return self.repness * self.repness_test * self.share * self.share_test


@dataclass(frozen=True)
class ConsensusIdea:
    """An idea most voters agree (or disagree) on: share = (n_success + 1) / (n_trials + 2)."""

    idea_id: int
    direction: str
    n_success: int
    n_trials: int
    share: float
    share_test: float


@dataclass(frozen=True)
class BaseCluster:
    centre: tuple[float, float]
    members: tuple[int, ...]  # participant ids


@dataclass(frozen=True)
class OpinionGroup:
    index: int  # 0-based, groups ordered by size (largest first)
    label: str  # "A", "B", …
    centre: tuple[float, float]
    members: tuple[int, ...]  # participant ids
    representative: tuple[RepresentativeIdea, ...]


@dataclass(frozen=True)
class IdeaSupport:
    """The votes on one idea: over everyone who voted, by stakeholder type, and by opinion group
    (index as in OpinionResult.groups); `group_consensus` = Π_g (A_g + 1) / (S_g + 2), None
    without groups."""

    idea_id: int
    total: VoteCounts
    by_stakeholder: dict[str, VoteCounts]
    by_group: tuple[VoteCounts, ...]
    group_consensus: float | None


@dataclass(frozen=True)
class OpinionState:
    """What a run hands to the next one, for stable axes and groups: the PCA components (warm
    start), the number of groups in use and the k that has been winning instead, with its
    number of consecutive wins. Plain lists and numbers: it can be stored as JSON."""

    idea_ids: tuple[int, ...] = ()
    components: tuple[tuple[float, ...], ...] = ()
    k: int | None = None
    challenger_k: int | None = None
    challenger_wins: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "idea_ids": list(self.idea_ids),
            "components": [list(c) for c in self.components],
            "k": self.k,
            "challenger_k": self.challenger_k,
            "challenger_wins": self.challenger_wins,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> OpinionState | None:
        if not data:
            return None
        try:
            return cls(
                idea_ids=tuple(int(i) for i in data.get("idea_ids") or ()),
                components=tuple(
                    tuple(float(x) for x in c) for c in data.get("components") or ()
                ),
                k=int(data["k"]) if data.get("k") is not None else None,
                challenger_k=(
                    int(data["challenger_k"]) if data.get("challenger_k") is not None else None
                ),
                challenger_wins=int(data.get("challenger_wins") or 0),
            )
        except (TypeError, ValueError, KeyError):
            return None


@dataclass(frozen=True)
class OpinionResult:
    """Everything one run finds. `participant_ids`, `coordinates` and `group_of` are parallel:
    the participants counted, their 2-D positions and their group's index (-1 without groups).
    `notice` says why there are no groups (NO_VOTES, TOO_FEW_PARTICIPANTS, NO_VARIATION), else
    None."""

    idea_ids: tuple[int, ...]  # the ideas considered (hidden ones left out)
    hidden_idea_ids: tuple[int, ...]
    n_voters: int  # participants with at least one vote on a considered idea
    n_votes: int
    participant_ids: tuple[int, ...]
    coordinates: tuple[tuple[float, float], ...]
    group_of: tuple[int, ...]
    base_clusters: tuple[BaseCluster, ...]
    groups: tuple[OpinionGroup, ...]
    silhouettes: dict[int, float]  # k → silhouette of the k tried
    consensus_agree: tuple[ConsensusIdea, ...]
    consensus_disagree: tuple[ConsensusIdea, ...]
    ideas: tuple[IdeaSupport, ...]  # in the order of idea_ids
    notice: str | None
    state: OpinionState = field(default_factory=OpinionState)

    @property
    def k(self) -> int:
        return len(self.groups)

    def support_of(self, idea_id: int) -> IdeaSupport | None:
        for support in self.ideas:
            if support.idea_id == idea_id:
                return support
        return None

    def group_for(self, participant_id: int) -> OpinionGroup | None:
        """The group of a participant (None when not counted or without groups)."""
        for group in self.groups:
            if participant_id in group.members:
                return group
        return None

    def to_json(self) -> dict[str, Any]:
        """Plain lists, dicts and numbers, to store a run (e.g. computed by a background job)
        and show it later without numpy: `OpinionResult.from_json(result.to_json())`."""
        data = asdict(self)
        data["silhouettes"] = [[k, v] for k, v in self.silhouettes.items()]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OpinionResult:
        def counts(d: Mapping[str, Any]) -> VoteCounts:
            return VoteCounts(int(d["agree"]), int(d["disagree"]), int(d["passed"]))

        def pair(v: Sequence[float]) -> tuple[float, float]:
            return (float(v[0]), float(v[1]))

        def ints(v: Iterable[Any]) -> tuple[int, ...]:
            return tuple(int(x) for x in v)

        return cls(
            idea_ids=ints(data["idea_ids"]),
            hidden_idea_ids=ints(data["hidden_idea_ids"]),
            n_voters=int(data["n_voters"]),
            n_votes=int(data["n_votes"]),
            participant_ids=ints(data["participant_ids"]),
            coordinates=tuple(pair(c) for c in data["coordinates"]),
            group_of=ints(data["group_of"]),
            base_clusters=tuple(BaseCluster(pair(b["centre"]), ints(b["members"]))
                                for b in data["base_clusters"]),
            groups=tuple(
                OpinionGroup(
                    index=int(g["index"]), label=str(g["label"]), centre=pair(g["centre"]),
                    members=ints(g["members"]),
                    representative=tuple(RepresentativeIdea(**r) for r in g["representative"]),
                )
                for g in data["groups"]
            ),
            silhouettes={int(k): float(v) for k, v in data["silhouettes"]},
            consensus_agree=tuple(ConsensusIdea(**c) for c in data["consensus_agree"]),
            consensus_disagree=tuple(ConsensusIdea(**c) for c in data["consensus_disagree"]),
            ideas=tuple(
                IdeaSupport(
                    idea_id=int(i["idea_id"]), total=counts(i["total"]),
                    by_stakeholder={str(t): counts(c) for t, c in i["by_stakeholder"].items()},
                    by_group=tuple(counts(c) for c in i["by_group"]),
                    group_consensus=i["group_consensus"],
                )
                for i in data["ideas"]
            ),
            notice=data["notice"],
            state=OpinionState.from_json(data.get("state")) or OpinionState(),
        )


# ---------------------------------------------------------------- statistics (Pol.is stats.clj)


def prop_test(successes: float, trials: float) -> float:
    """z-score that the share of successes exceeds one half, with +1 smoothing:
    2·sqrt(n + 1)·((s + 1)/(n + 1) − 0.5)."""
    return 2 * math.sqrt(trials + 1) * ((successes + 1) / (trials + 1) - 0.5)


def two_prop_test(succ_in: float, succ_out: float, pop_in: float, pop_out: float) -> float:
    """z-score that the share inside exceeds the share outside, every count + 1."""
    succ_in, succ_out, pop_in, pop_out = succ_in + 1, succ_out + 1, pop_in + 1, pop_out + 1
    pi1, pi2 = succ_in / pop_in, succ_out / pop_out
    pi_hat = (succ_in + succ_out) / (pop_in + pop_out)
    if pi_hat >= 1:
        return 0.0
    return (pi1 - pi2) / math.sqrt(pi_hat * (1 - pi_hat) * (1 / pop_in + 1 / pop_out))


def comment_stats(na: int, nd: int, ns: int, rest_na: int, rest_nd: int,
                  rest_ns: int) -> dict[str, float]:
    """Pol.is's per-(group, idea) statistics: pa, pd, pat, pdt, ra, rd, rat, rdt."""
    pa, pd = (na + 1) / (ns + 2), (nd + 1) / (ns + 2)
    return {
        "na": na, "nd": nd, "ns": ns,
        "pa": pa, "pd": pd,
        "pat": prop_test(na, ns), "pdt": prop_test(nd, ns),
        "ra": pa / ((rest_na + 1) / (rest_ns + 2)),
        "rd": pd / ((rest_nd + 1) / (rest_ns + 2)),
        "rat": two_prop_test(na, rest_na, ns, rest_ns),
        "rdt": two_prop_test(nd, rest_nd, ns, rest_ns),
    }


def representative_ideas(idea_ids: Sequence[int], group: Sequence[VoteCounts],
                         rest: Sequence[VoteCounts],
                         count: int = REPRESENTATIVE_COUNT) -> tuple[RepresentativeIdea, ...]:
    """The repness test for one group: `group[j]` and `rest[j]` are the votes on idea j inside
    the group and among the other participants counted. An idea passes when rat and pat (or rdt
    and pdt) both exceed 1.2816; its direction is agree when rat > rdt; sorted by
    r·rt·p·pt, the top `count`, agrees first."""
    passing: list[RepresentativeIdea] = []
    for idea_id, inside, outside in zip(idea_ids, group, rest, strict=True):
        s = comment_stats(inside.agree, inside.disagree, inside.seen,
                          outside.agree, outside.disagree, outside.seen)
        if not ((s["rat"] > Z_90 and s["pat"] > Z_90) or (s["rdt"] > Z_90 and s["pdt"] > Z_90)):
            continue
        if s["rat"] > s["rdt"]:
            passing.append(RepresentativeIdea(idea_id, "agree", inside.agree, inside.seen,
                                              s["pa"], s["pat"], s["ra"], s["rat"]))
        else:
            passing.append(RepresentativeIdea(idea_id, "disagree", inside.disagree, inside.seen,
                                              s["pd"], s["pdt"], s["rd"], s["rdt"]))
    top = sorted(passing, key=lambda r: (-r.metric, r.idea_id))[:count]
    return tuple([r for r in top if r.direction == "agree"]
                 + [r for r in top if r.direction == "disagree"])


def consensus_ideas(idea_ids: Sequence[int], totals: Sequence[VoteCounts],
                    count: int = CONSENSUS_COUNT
                    ) -> tuple[tuple[ConsensusIdea, ...], tuple[ConsensusIdea, ...]]:
    """(agreed, disagreed): ideas with p > 0.5 and its z-score > 1.2816, by p·pt, top `count`."""
    agreed: list[tuple[float, ConsensusIdea]] = []
    disagreed: list[tuple[float, ConsensusIdea]] = []
    for idea_id, votes in zip(idea_ids, totals, strict=True):
        pa, pd = (votes.agree + 1) / (votes.seen + 2), (votes.disagree + 1) / (votes.seen + 2)
        pat, pdt = prop_test(votes.agree, votes.seen), prop_test(votes.disagree, votes.seen)
        if pa > 0.5 and pat > Z_90:
            agreed.append((pa * pat, ConsensusIdea(idea_id, "agree", votes.agree, votes.seen,
                                                   pa, pat)))
        if pd > 0.5 and pdt > Z_90:
            disagreed.append((pd * pdt, ConsensusIdea(idea_id, "disagree", votes.disagree,
                                                      votes.seen, pd, pdt)))

    def top(found: list[tuple[float, ConsensusIdea]]) -> tuple[ConsensusIdea, ...]:
        return tuple(c for _, c in sorted(found, key=lambda t: (-t[0], t[1].idea_id))[:count])

    return top(agreed), top(disagreed)


def group_informed_consensus(by_group: Sequence[VoteCounts]) -> float | None:
    """Π_g (A_g + 1) / (S_g + 2): high only when every group tends to agree."""
    if not by_group:
        return None
    product = 1.0
    for votes in by_group:
        product *= (votes.agree + 1) / (votes.seen + 2)
    return product


# ---------------------------------------------------------------- the steps (numpy inside)


def counted_participants(vote_counts: Sequence[int], n_ideas: int) -> list[int]:
    """Indices of the participants who count: at least min(7, n_ideas) votes; when that leaves
    fewer than 15, the most active other voters (at least one vote) are added up to 15, ties
    in input order. Returned in input order."""
    threshold = min(MIN_VOTES, n_ideas)
    chosen = {i for i, n in enumerate(vote_counts) if n >= threshold and n > 0}
    if len(chosen) < MIN_PARTICIPANTS:
        others = sorted((i for i, n in enumerate(vote_counts) if n > 0 and i not in chosen),
                        key=lambda i: (-vote_counts[i], i))
        chosen.update(others[: MIN_PARTICIPANTS - len(chosen)])
    return sorted(chosen)


def _power_iteration(data: Any, start: Any, iterations: int = POWER_ITERATIONS) -> Any:
    import numpy as np

    vector = start / (np.linalg.norm(start) or 1.0)
    last = 0.0
    for _ in range(iterations):
        product = data.T @ (data @ vector)
        value = float(np.linalg.norm(product))
        if value == 0.0:
            return np.zeros_like(vector)
        vector = product / value
        if abs(value - last) <= 1e-12 * value:
            break
        last = value
    return vector


def pca_project(matrix: Any, previous: Sequence[Sequence[float]] = (),
                seed: int = SEED) -> tuple[Any, Any]:
    """Two principal components of `matrix` (participants × ideas, NaN for unseen, Pol.is codes)
    and each row's sparsity-aware projection. Returns (components 2 × m, points n × 2)."""
    import numpy as np

    n, m = matrix.shape
    seen = ~np.isnan(matrix)
    with np.errstate(invalid="ignore", divide="ignore"):
        counts = seen.sum(axis=0)
        means = np.where(counts > 0, np.nansum(matrix, axis=0) / np.maximum(counts, 1), 0.0)
    # Missing values filled with the column mean, then centred: an unseen entry becomes 0, so
    # projecting the centred rows sums over the voted ideas only.
    centred = np.where(seen, matrix - means, 0.0)
    rng = np.random.default_rng(seed)
    components = np.zeros((2, m))
    data = centred.copy()
    for k in range(min(2, n, m)):
        start = None
        if k < len(previous) and len(previous[k]) == m and any(previous[k]):
            start = np.asarray(previous[k], dtype=float)
        if start is None:
            start = rng.random(m) + 0.1
        pc = _power_iteration(data, start)
        components[k] = pc
        if pc.any():  # deflate: no variance left along pc
            data = data - np.outer(data @ pc, pc)
    n_votes = seen.sum(axis=1)
    scale = np.sqrt(m / np.maximum(n_votes, 1))
    points = (centred @ components.T) * scale[:, None]
    return components, points


def _kmeans(points: Any, k: int, weights: Any = None, n_init: int = 4) -> tuple[Any, Any]:
    from sklearn.cluster import KMeans

    model = KMeans(n_clusters=k, n_init=n_init, random_state=SEED)
    model.fit(points, sample_weight=weights)
    return model.labels_, model.cluster_centers_


def weighted_silhouette(points: Any, weights: Any, labels: Any) -> float:
    """The silhouette of the participants when each stands at its base cluster's centre:
    `points` the centres, `weights` their member counts."""
    import numpy as np

    distances = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2))
    clusters = np.unique(labels)
    if len(clusters) < 2:
        return 0.0
    member = np.stack([labels == c for c in clusters])  # clusters × points
    mass = member @ weights  # participants per cluster
    sums = distances @ (member * weights).T  # points × clusters: weighted distance sums
    own = np.searchsorted(clusters, labels)
    own_mass = mass[own]
    a = np.where(own_mass > 1, sums[np.arange(len(points)), own] / np.maximum(own_mass - 1, 1),
                 0.0)
    means = sums / mass
    means[np.arange(len(points)), own] = np.inf
    b = means.min(axis=1)
    denominator = np.maximum(a, b)
    scores = np.where((own_mass > 1) & (denominator > 0), (b - a) / np.where(
        denominator > 0, denominator, 1), 0.0)
    return float((scores * weights).sum() / weights.sum())


def choose_k(scores: Mapping[int, float], previous: OpinionState | None
             ) -> tuple[int, int | None, int]:
    """(k, challenger_k, challenger_wins): the best silhouette, unless a previous run used another
    k that is still possible, in which case the winner must win 4 runs in a row first."""
    best = max(sorted(scores), key=lambda k: scores[k])
    if previous is None or previous.k is None or previous.k not in scores or previous.k == best:
        return best, None, 0
    wins = previous.challenger_wins + 1 if previous.challenger_k == best else 1
    if wins >= STABILITY_RUNS:
        return best, None, 0
    return previous.k, best, wins


# ---------------------------------------------------------------- the whole run


def _counts(agree: Any, disagree: Any, passed: Any) -> list[VoteCounts]:
    return [VoteCounts(int(a), int(d), int(p)) for a, d, p in zip(agree, disagree, passed,
                                                                   strict=True)]


def _as_matrix(rows: Sequence[Sequence[Any]], n_rows: int, n_columns: int) -> Any:
    """rows as a float matrix, NaN for unseen; anything that is not a vote reads as unseen."""
    import numpy as np

    try:
        matrix = np.array(rows, dtype=float)
        if matrix.shape == (n_rows, n_columns):
            return matrix
    except (TypeError, ValueError):
        pass
    votes = {1: 1.0, 0: 0.0, -1: -1.0}

    def cell(row: Sequence[Any], j: int) -> float:
        value = row[j] if j < len(row) else None
        if isinstance(value, bool) or not isinstance(value, int):
            return math.nan
        return votes.get(value, math.nan)

    padded = [list(rows[i]) if i < len(rows) else [] for i in range(n_rows)]
    return np.array([[cell(row, j) for j in range(n_columns)] for row in padded], dtype=float)


def compute_opinion_groups(
    participant_ids: Sequence[int],
    idea_ids: Sequence[int],
    rows: Sequence[Sequence[int | None]],
    hidden_idea_ids: Iterable[int] = (),
    stakeholder_types: Mapping[int, str | None] | None = None,
    previous: OpinionState | None = None,
    stable: bool = True,
) -> OpinionResult:
    """Opinion groups of a vote matrix (rows[i][j] = the vote of participant_ids[i] on
    idea_ids[j]: 1 agree, -1 disagree, 0 pass, None unseen). `hidden_idea_ids` are left out;
    `stakeholder_types` maps participant id → type (missing or empty: "unspecified");
    `previous` is the last run's `state` (warm-start axes and, with `stable`, keep k until
    another k wins 4 runs in a row). Deterministic; degenerate input gives a result with no
    groups and a `notice`, never an error."""
    from threadpoolctl import threadpool_limits

    # One thread: the matrices are small, and OpenMP threads spinning against the other
    # workers on the host made k-means ten times slower under load.
    with threadpool_limits(limits=1):
        return _compute(participant_ids, idea_ids, rows, hidden_idea_ids, stakeholder_types,
                        previous, stable)


def _compute(participant_ids: Sequence[int], idea_ids: Sequence[int],
             rows: Sequence[Sequence[int | None]], hidden_idea_ids: Iterable[int],
             stakeholder_types: Mapping[int, str | None] | None,
             previous: OpinionState | None, stable: bool) -> OpinionResult:
    import numpy as np

    participant_ids = [int(p) for p in participant_ids]
    all_idea_ids = [int(i) for i in idea_ids]
    hidden = {int(i) for i in hidden_idea_ids}
    keep = [j for j, idea_id in enumerate(all_idea_ids) if idea_id not in hidden]
    kept_ids = tuple(all_idea_ids[j] for j in keep)
    hidden_ids = tuple(i for i in all_idea_ids if i in hidden)
    n_ideas = len(kept_ids)

    if participant_ids and all_idea_ids:
        full = _as_matrix(rows, len(participant_ids), len(all_idea_ids))
        public = full[:, keep]
    else:
        public = np.full((len(participant_ids), n_ideas), np.nan)
    # Only -1, 0 and 1 are votes; anything else reads as unseen.
    public[~np.isin(public, (-1.0, 0.0, 1.0))] = np.nan
    seen = ~np.isnan(public)
    agree, disagree, passed = public == 1, public == -1, public == 0
    vote_counts = seen.sum(axis=1)
    voters = np.flatnonzero(vote_counts > 0)

    totals = _counts(agree.sum(0), disagree.sum(0), passed.sum(0))
    consensus_agree, consensus_disagree = consensus_ideas(kept_ids, totals)

    types = stakeholder_types or {}
    type_of = [(types.get(p) or UNSPECIFIED) for p in participant_ids]
    by_type: dict[str, list[VoteCounts]] = {}
    for type_name in sorted(set(type_of[i] for i in voters)):
        mask = np.array([t == type_name for t in type_of])
        by_type[type_name] = _counts(agree[mask].sum(0), disagree[mask].sum(0),
                                     passed[mask].sum(0))

    def ideas_support(group_counts: list[list[VoteCounts]]) -> tuple[IdeaSupport, ...]:
        return tuple(
            IdeaSupport(
                idea_id=idea_id,
                total=totals[j],
                by_stakeholder={t: counts[j] for t, counts in by_type.items()},
                by_group=tuple(g[j] for g in group_counts),
                group_consensus=group_informed_consensus([g[j] for g in group_counts]),
            )
            for j, idea_id in enumerate(kept_ids)
        )

    counted = counted_participants(vote_counts.tolist(), n_ideas) if n_ideas else []
    counted_ids = tuple(participant_ids[i] for i in counted)

    def partial(notice: str, coordinates: Any = None,
                state: OpinionState | None = None) -> OpinionResult:
        coords = tuple((float(x), float(y)) for x, y in coordinates) if coordinates is not None \
            else tuple((0.0, 0.0) for _ in counted_ids)
        return OpinionResult(
            idea_ids=kept_ids, hidden_idea_ids=hidden_ids, n_voters=len(voters),
            n_votes=int(seen.sum()), participant_ids=counted_ids, coordinates=coords,
            group_of=tuple(-1 for _ in counted_ids), base_clusters=(), groups=(),
            silhouettes={}, consensus_agree=consensus_agree,
            consensus_disagree=consensus_disagree, ideas=ideas_support([]), notice=notice,
            state=state or previous or OpinionState(),
        )

    if not len(voters):
        return partial(NO_VOTES)
    if len(counted) < 2:
        return partial(TOO_FEW_PARTICIPANTS)

    # Pol.is codes: agree -1, disagree +1.
    matrix = -public[counted]
    warm: Sequence[Sequence[float]] = ()
    if previous is not None and previous.idea_ids == kept_ids:
        warm = previous.components
    components, points = pca_project(matrix, warm)
    points = np.round(points, 9)  # identical voters land on exactly the same spot
    state = OpinionState(idea_ids=kept_ids,
                         components=tuple(tuple(float(x) for x in c) for c in components))

    distinct, inverse = np.unique(points, axis=0, return_inverse=True)
    if len(distinct) < 2:
        return partial(NO_VARIATION, points, state)

    # Base clusters: every distinct point its own while there are few, else k-means.
    if len(distinct) <= MAX_BASE_CLUSTERS:
        base_centres, base_labels = distinct, inverse.ravel()
    else:
        base_labels, base_centres = _kmeans(points, MAX_BASE_CLUSTERS, n_init=1)
    used = np.unique(base_labels)  # k-means may leave a cluster empty: renumber
    base_labels = np.searchsorted(used, base_labels)
    base_centres = base_centres[used]
    weights = np.bincount(base_labels, minlength=len(used)).astype(float)
    n_base = len(used)

    # Opinion groups.
    max_k = min(MAX_GROUPS, 2 + n_base // 12, n_base)
    candidates: dict[int, Any] = {}
    silhouettes: dict[int, float] = {}
    for k in range(2, max_k + 1):
        labels, _ = _kmeans(base_centres, k, weights=weights, n_init=10)
        if len(np.unique(labels)) < k:
            continue
        candidates[k] = labels
        silhouettes[k] = weighted_silhouette(base_centres, weights, labels) if n_base > 2 \
            else 0.0
    if not candidates:
        return partial(NO_VARIATION, points, state)
    if stable:
        k, challenger, wins = choose_k(silhouettes, previous)
    else:
        k, challenger, wins = max(sorted(silhouettes), key=lambda k: silhouettes[k]), None, 0
    state = OpinionState(idea_ids=kept_ids, components=state.components, k=k,
                         challenger_k=challenger, challenger_wins=wins)
    base_group = candidates[k]
    member_group = base_group[base_labels]

    # Groups numbered by size (largest first), then by position, so labels are stable.
    sizes = np.bincount(member_group, minlength=k)
    centres = np.array([points[member_group == g].mean(axis=0) for g in range(k)])
    order = sorted(range(k), key=lambda g: (-sizes[g], centres[g][0], centres[g][1]))
    renumber = np.empty(k, dtype=int)
    renumber[order] = np.arange(k)
    member_group = renumber[member_group]

    sub_agree, sub_disagree, sub_passed = agree[counted], disagree[counted], passed[counted]
    group_counts: list[list[VoteCounts]] = []
    for g in range(k):
        mask = member_group == g
        group_counts.append(_counts(sub_agree[mask].sum(0), sub_disagree[mask].sum(0),
                                    sub_passed[mask].sum(0)))
    all_counted = _counts(sub_agree.sum(0), sub_disagree.sum(0), sub_passed.sum(0))
    groups = []
    for g in range(k):
        rest = [VoteCounts(a.agree - b.agree, a.disagree - b.disagree, a.passed - b.passed)
                for a, b in zip(all_counted, group_counts[g], strict=True)]
        members = tuple(counted_ids[i] for i in np.flatnonzero(member_group == g))
        centre = points[member_group == g].mean(axis=0)
        groups.append(OpinionGroup(
            index=g, label=GROUP_LABELS[g], centre=(float(centre[0]), float(centre[1])),
            members=members,
            representative=representative_ideas(kept_ids, group_counts[g], rest),
        ))

    base_clusters = tuple(
        BaseCluster(centre=(float(base_centres[b][0]), float(base_centres[b][1])),
                    members=tuple(counted_ids[i] for i in np.flatnonzero(base_labels == b)))
        for b in range(n_base)
    )
    return OpinionResult(
        idea_ids=kept_ids, hidden_idea_ids=hidden_ids, n_voters=len(voters),
        n_votes=int(seen.sum()), participant_ids=counted_ids,
        coordinates=tuple((float(x), float(y)) for x, y in points),
        group_of=tuple(int(g) for g in member_group), base_clusters=base_clusters,
        groups=tuple(groups), silhouettes=silhouettes, consensus_agree=consensus_agree,
        consensus_disagree=consensus_disagree, ideas=ideas_support(group_counts), notice=None,
        state=state,
    )


# ---------------------------------------------------------------- the map's geometry


MAP_WIDTH = 320
MAP_HEIGHT = 240
MAP_PADDING = 14
# Okabe–Ito hues, darkened where needed for 3:1 contrast on white; each group also has its own
# shape and its letter on the map, so colour is never the only cue.
GROUP_COLOURS = ("#0072B2", "#C24E00", "#00785A", "#A8417F", "#7A5500")
GROUP_SHAPES = ("circle", "square", "triangle", "diamond", "plus")
UNGROUPED_COLOUR = "#5F6B66"


@dataclass(frozen=True)
class MapIdea:
    idea_id: int
    label: str
    direction: str  # "agree" or "disagree"
    percent: int  # of the group (or of everyone, for consensus) voting that way, of those seen


@dataclass(frozen=True)
class MapGroup:
    index: int
    label: str
    colour: str
    shape: str
    size: int
    points: str  # "x,y x,y …" in viewBox units, one per distinct position
    label_x: int
    label_y: int
    representative: tuple[MapIdea, ...]


@dataclass(frozen=True)
class OpinionMap:
    """What templates/synthesis/_opinion_map.html draws: positions only, no participant ids."""

    id_prefix: str
    width: int
    height: int
    origin: tuple[int, int]
    groups: tuple[MapGroup, ...]
    ungrouped_points: str  # participants counted but in no group (a result with a notice)
    n_participants: int
    n_voters: int
    notice: str | None
    consensus_agree: tuple[MapIdea, ...]
    consensus_disagree: tuple[MapIdea, ...]

    @property
    def empty(self) -> bool:
        return not self.groups and not self.ungrouped_points


def _percent(successes: int, trials: int) -> int:
    return round(100 * successes / trials) if trials else 0


def _idea_label(labels: Mapping[int, str], idea_id: int) -> str:
    return str(labels.get(idea_id) or f"#{idea_id}")


def opinion_map(result: OpinionResult, labels: Mapping[int, str] | None = None,
                id_prefix: str = "opinion-map", width: int = MAP_WIDTH,
                height: int = MAP_HEIGHT) -> OpinionMap:
    """The geometry of `result`'s scatter: participants fitted into a width × height viewBox
    (the same scale on both axes), rounded to whole units and merged when they fall on the same
    spot within a group, so 2,000 participants stay a few kilobytes. `labels` maps idea id →
    text for the legend table."""
    labels = labels or {}
    coords = result.coordinates
    xs = [x for x, _ in coords] + [0.0]
    ys = [y for _, y in coords] + [0.0]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    scale = min((width - 2 * MAP_PADDING) / span_x, (height - 2 * MAP_PADDING) / span_y)
    mid_x, mid_y = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

    def place(x: float, y: float) -> tuple[int, int]:
        # SVG's y axis points down; flip so the picture reads like a chart.
        return (round(width / 2 + (x - mid_x) * scale), round(height / 2 - (y - mid_y) * scale))

    def points_of(indices: Iterable[int]) -> str:
        spots = dict.fromkeys(place(*coords[i]) for i in indices)
        text = " ".join(f"{x},{y}" for x, y in spots)
        # A polyline of one point may draw no marker in some browsers: repeat it.
        return f"{text} {text}" if len(spots) == 1 else text

    def map_idea(idea_id: int, direction: str, successes: int, trials: int) -> MapIdea:
        return MapIdea(idea_id, _idea_label(labels, idea_id), direction,
                       _percent(successes, trials))

    groups = []
    for group in result.groups:
        members = [i for i, g in enumerate(result.group_of) if g == group.index]
        label_x, label_y = place(*group.centre)
        groups.append(MapGroup(
            index=group.index, label=group.label,
            colour=GROUP_COLOURS[group.index % len(GROUP_COLOURS)],
            shape=GROUP_SHAPES[group.index % len(GROUP_SHAPES)],
            size=len(group.members), points=points_of(members),
            label_x=min(max(label_x, 8), width - 8), label_y=min(max(label_y, 12), height - 4),
            representative=tuple(map_idea(r.idea_id, r.direction, r.n_success, r.n_trials)
                                 for r in group.representative),
        ))
    ungrouped = [i for i, g in enumerate(result.group_of) if g < 0]
    return OpinionMap(
        id_prefix=id_prefix, width=width, height=height, origin=place(0.0, 0.0),
        groups=tuple(groups),
        ungrouped_points=points_of(ungrouped) if ungrouped and len(coords) > 1 else "",
        n_participants=len(result.participant_ids), n_voters=result.n_voters,
        notice=result.notice,
        consensus_agree=tuple(map_idea(c.idea_id, c.direction, c.n_success, c.n_trials)
                              for c in result.consensus_agree),
        consensus_disagree=tuple(map_idea(c.idea_id, c.direction, c.n_success, c.n_trials)
                                 for c in result.consensus_disagree),
    )


def render_opinion_map(result: OpinionResult, labels: Mapping[int, str] | None = None,
                       id_prefix: str = "opinion-map", heading_level: int = 2) -> Any:
    """The map, its legend, its table and the common ground as HTML (Markup), under a heading
    of `heading_level`; needs a request or app context. `id_prefix` keeps element ids unique
    when a page shows two maps."""
    from flask import render_template
    from markupsafe import Markup

    return Markup(render_template("synthesis/_opinion_map.html",
                                  opinion_map=opinion_map(result, labels, id_prefix),
                                  heading_level=heading_level))
