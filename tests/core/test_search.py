"""The shared full-text search: diacritic folding, prefixes, scopes, kinds, updates, hostile
queries, and a condition that composes into a larger select — on SQLite FTS5 and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, column, select, text

from engage.core import search
from engage.core.search import fold, terms
from engage.extensions import db

# ---------------------------------------------------------------- pure functions


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("școală", "scoala"),  # comma below (U+0219), the correct Romanian letter
        ("şcoală", "scoala"),  # cedilla (U+015F), the old form still typed on many keyboards
        ("SCOALA", "scoala"),
        ("ȘCOALĂ", "scoala"),
        ("Şcoală", "scoala"),
        ("țară", "tara"),
        ("ţară", "tara"),
        ("Ţară", "tara"),
        ("câmp", "camp"),
        ("înălțime", "inaltime"),
        ("Înălţime", "inaltime"),
        ("Tramvaie noi", "tramvaie noi"),
    ],
)
def test_fold_removes_diacritics_and_case(raw, folded):  # noqa: ANN001
    assert fold(raw) == folded


def test_terms_keep_only_words():
    assert terms('Școală "verde" OR *parc* NEAR(a b) -- 1=1;') == [
        "scoala", "verde", "or", "parc", "near", "a", "b", "1", "1"
    ]
    assert terms("") == []
    assert terms(None) == []
    assert terms("  \t\n ") == []
    assert terms("\"'*()-:^") == []
    assert terms("snake_case") == ["snake", "case"]


def test_terms_are_bounded():
    words = terms(" ".join(["cuvant"] * 100))
    assert len(words) == search.MAX_TERMS
    assert terms("a" * 500) == ["a" * search.MAX_TERM_LENGTH]


def test_include_name_leaves_out_search_tables_and_fts5_shadow_tables():
    for name in ("search_index", "search_index_document", "search_index_data",
                 "search_index_idx", "search_index_docsize", "search_index_config",
                 "search_index_content"):
        assert search.include_name(name, "table", {}) is False
    assert search.include_name("city", "table", {}) is True
    assert search.include_name("search_index_x", "column", {}) is True
    assert search.include_name(None, "schema", {}) is True


# ---------------------------------------------------------------- the index


def put(object_id: int, title: str, body: str = "", *, kind: str = "idea",
        scope_id: int | None = 1, language: str = "ro") -> None:
    search.index(kind, object_id, scope_id, title, body, language)


SPELLINGS = ["scoala", "şcoală", "școală", "SCOALA"]


@pytest.mark.parametrize("query", SPELLINGS)
def test_every_spelling_finds_every_spelling(query):  # noqa: ANN001
    for number, spelling in enumerate(SPELLINGS, start=1):
        put(number, f"O {spelling} nouă", "")
    put(99, "Un parc", "")
    assert sorted(search.search("idea", query)) == [1, 2, 3, 4]


@pytest.mark.parametrize("query", ["tara", "ţară", "țară", "TARA"])
def test_t_cedilla_and_comma_below_fold_alike(query):  # noqa: ANN001
    put(1, "Cea mai verde țară", "")
    put(2, "Cea mai verde ţară", "")
    put(3, "Alt subiect", "")
    assert sorted(search.search("idea", query)) == [1, 2]


def test_body_text_is_searched_too():
    put(1, "Propunere", "Mai mulți copaci în fața școlii")
    assert search.search("idea", "scolii") == [1]
    assert search.search("idea", "fata copaci") == [1]


def test_last_word_is_a_prefix():
    put(1, "Tramvaie noi", "pe linia 41")
    put(2, "Trotuare late", "")
    assert search.search("idea", "tramv") == [1]
    assert search.search("idea", "tramvai") == [1]
    assert sorted(search.search("idea", "tr")) == [1, 2]


def test_earlier_words_are_whole_words_and_all_are_required():
    put(1, "Tramvaie noi", "")
    put(2, "Tramvaie vechi", "")
    assert search.search("idea", "tramvaie noi") == [1]
    # "tramv" is not the last word, so it must be a whole word.
    assert search.search("idea", "tramv noi") == []
    assert search.search("idea", "tramvaie autobuze") == []


def test_title_ranks_above_body():
    put(1, "Grădini pe acoperiș", "Despre parcuri în cartier")
    put(2, "Parcuri noi", "Mai multe parcuri, parcuri mari")
    put(3, "Altceva", "")
    assert search.search("idea", "parcuri") == [2, 1]


def test_limit():
    for number in range(1, 8):
        put(number, "Bicicletă", "")
    assert len(search.search("idea", "bicicleta", limit=3)) == 3
    assert len(search.search("idea", "bicicleta", limit=0)) == 1
    assert len(search.search("idea", "bicicleta")) == 7


def test_scope_filter():
    put(1, "Piste de biciclete", scope_id=10)
    put(2, "Piste de biciclete", scope_id=20)
    assert search.search("idea", "piste", scope_id=10) == [1]
    assert search.search("idea", "piste", scope_id=20) == [2]
    assert search.search("idea", "piste", scope_id=30) == []
    assert sorted(search.search("idea", "piste")) == [1, 2]


def test_kind_filter():
    put(1, "Panouri solare", kind="idea")
    put(1, "Panouri solare pe școli", kind="comment")
    put(2, "Panouri solare", kind="observation")
    assert search.search("idea", "panouri") == [1]
    assert search.search("comment", "scoli") == [1]
    assert search.search("observation", "solare") == [2]
    assert search.search("session", "solare") == []


def test_remove():
    put(1, "Compost în cartier", kind="idea")
    put(1, "Compost în cartier", kind="comment")
    search.remove("idea", 1)
    assert search.search("idea", "compost") == []
    assert search.search("comment", "compost") == [1]
    search.remove("idea", 1)  # removing twice is harmless
    search.remove("idea", 12345)


def test_reindex_replaces_the_document():
    put(1, "Copaci pe bulevard", "umbră vara", scope_id=1)
    put(1, "Fântâni publice", "apă gratuită", scope_id=2)
    assert search.search("idea", "copaci") == []
    assert search.search("idea", "umbra") == []
    assert search.search("idea", "fantani") == [1]
    assert search.search("idea", "apa", scope_id=2) == [1]
    assert search.search("idea", "apa", scope_id=1) == []
    assert db.session.execute(
        text(f"SELECT count(*) FROM {_keys_table()} WHERE kind = 'idea'")
    ).scalar_one() == 1


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        '"',
        '""',
        "'",
        "*",
        "**",
        "NEAR(",
        "NEAR(a b, 2)",
        "a OR b",
        "NOT",
        "AND",
        "(",
        ")",
        "title:parc",
        "{title}: parc",
        "^parc",
        "parc -verde",
        "') OR 1=1 --",
        "'; DROP TABLE search_index; --",
        "\\",
        "%",
        "_",
        "\x00",
        "parc " * 100,
        "x" * 500,
        "ș" * 500,
    ],
)
def test_hostile_queries_do_not_raise(query):  # noqa: ANN001
    put(1, "Un parc verde", "lângă școală")
    results = search.search("idea", query)
    assert isinstance(results, list)
    assert all(isinstance(object_id, int) for object_id in results)
    condition = search.search_condition("idea", query, column("id", Integer))
    assert condition is not None
    # The index survived whatever the query held.
    assert search.search("idea", "parc") == [1]


def test_operator_words_are_searched_as_words():
    put(1, "Near the river or the park", "", language="en")
    put(2, "Park", "", language="en")
    assert search.search("idea", "near") == [1]
    # "or" is a word to find, not an operator: doc 2 has "park" but not "or".
    assert search.search("idea", "park OR") == [1]
    assert search.search("idea", "park OR lake") == []
    # "NOT" does not exclude "river": it is a word no document has.
    assert search.search("idea", "NOT river") == []


def test_one_search_is_one_statement(count_queries):  # noqa: ANN001
    put(1, "Școală verde", "")
    with count_queries() as counted:
        assert search.search("idea", "scoala", scope_id=1) == [1]
    assert counted.n == 1
    with count_queries() as counted:
        assert search.search("idea", "  ") == []
    assert counted.n == 0


# ---------------------------------------------------------------- composing into a select


@pytest.fixture
def probe():  # noqa: ANN201
    """A small table of the tests' own, created inside the test's transaction."""
    table = Table(
        "search_probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("status", String(20), nullable=False),
        Column("score", Integer, nullable=False),
    )
    table.create(db.session.connection())
    rows = [
        (1, "Școală verde", "published", 5),
        (2, "Şcoală solară", "published", 9),
        (3, "Scoala de vară", "hidden", 7),
        (4, "Parc nou", "published", 8),
    ]
    for object_id, title, status, score in rows:
        db.session.execute(table.insert().values(id=object_id, status=status, score=score))
        put(object_id, title, "", kind="probe", scope_id=1)
    return table


def test_search_condition_composes_with_filters_and_order(probe, count_queries):  # noqa: ANN001
    query = (
        select(probe.c.id)
        .where(search.search_condition("probe", "școala", probe.c.id))
        .where(probe.c.status == "published")
        .order_by(probe.c.score.desc())
    )
    with count_queries() as counted:
        assert list(db.session.scalars(query)) == [2, 1]
    assert counted.n == 1


def test_two_search_conditions_in_one_select(probe):  # noqa: ANN001
    query = (
        select(probe.c.id)
        .where(search.search_condition("probe", "scoala", probe.c.id))
        .where(search.search_condition("probe", "verde", probe.c.id, scope_id=1))
    )
    assert list(db.session.scalars(query)) == [1]


def test_search_condition_scope_and_kind(probe):  # noqa: ANN001
    put(4, "Școală", "", kind="other", scope_id=1)
    by_scope = select(probe.c.id).where(
        search.search_condition("probe", "scoala", probe.c.id, scope_id=2)
    )
    assert list(db.session.scalars(by_scope)) == []
    by_kind = select(probe.c.id).where(search.search_condition("other", "scoala", probe.c.id))
    assert list(db.session.scalars(by_kind)) == [4]


def test_search_condition_without_words_matches_nothing(probe):  # noqa: ANN001
    query = select(probe.c.id).where(search.search_condition("probe", ' " * ', probe.c.id))
    assert list(db.session.scalars(query)) == []


# ---------------------------------------------------------------- schema


def test_ensure_search_schema_is_idempotent():
    search.ensure_search_schema(db.session.connection())
    put(1, "Încă o dată", "")
    assert search.search("idea", "inca") == [1]


def test_unicode61_tokenizer_folds_both_romanian_forms_itself():
    """FTS5's own folding (remove_diacritics 2) also treats ş/ș and ţ/ț alike, so text that
    reached the index unfolded would still be found; `fold()` keeps PostgreSQL in step."""
    if db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("the FTS5 tokenizer exists only on SQLite")
    connection = db.session.connection()
    connection.exec_driver_sql(
        "CREATE VIRTUAL TABLE temp.fold_probe USING fts5(t, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    for word in ("școală", "şcoală", "țară", "ţară"):
        connection.execute(text("INSERT INTO temp.fold_probe (t) VALUES (:t)"), {"t": word})
    found = connection.execute(
        text("SELECT t FROM temp.fold_probe WHERE fold_probe MATCH :q ORDER BY t"),
        {"q": "scoala OR tara"},
    ).scalars()
    assert sorted(found) == sorted(["școală", "şcoală", "țară", "ţară"])
    connection.exec_driver_sql("DROP TABLE temp.fold_probe")


def _keys_table() -> str:
    return (
        "search_index_document"
        if db.session.get_bind().dialect.name == "sqlite"
        else "search_index"
    )
