"""Background jobs with huey: SQLite storage in the instance folder, or Redis when configured.

The consumer runs `huey_consumer engage.core.jobs.huey`. Tasks run inside an application
context: the caller's when run immediately (tests), otherwise one created once per worker.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app, has_app_context
from huey import RedisHuey, SqliteHuey, crontab

from engage.config import PROJECT_ROOT


def _make_huey():  # noqa: ANN202
    redis_url = os.environ.get("ENGAGE_REDIS_URL")
    if redis_url:
        return RedisHuey("engage", url=redis_url)
    instance = Path(os.environ.get("ENGAGE_INSTANCE_PATH") or PROJECT_ROOT / "instance")
    instance.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("engage", filename=str(instance / "huey.sqlite3"))


huey = _make_huey()
_worker_app = None


def _app():  # noqa: ANN202
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()
    if _worker_app is None:
        from engage import create_app

        _worker_app = create_app()
    return _worker_app


@huey.task()
def send_outbox() -> tuple[int, int]:
    from engage.core.mail import deliver_pending

    with _app().app_context():
        return deliver_pending()


@huey.periodic_task(crontab(minute="*"))
def retry_outbox() -> tuple[int, int]:
    """Every minute: send what is due, including earlier failures whose back-off has passed."""
    from engage.core.mail import deliver_pending

    with _app().app_context():
        return deliver_pending()


def local_crontab(**fields: str):  # noqa: ANN201
    """A huey crontab read in Romania's local time (core/i18n.LOCAL_TIMEZONE).

    huey matches periodic tasks against naive UTC timestamps (its `utc=True` default, which this
    module keeps), so `crontab(hour="7")` alone would fire at 09:00 or 10:00 in Bucharest
    depending on daylight saving time. This converts the timestamp first, so the hour is the
    Bucharest hour all year round.
    """
    from datetime import UTC

    from engage.core.i18n import LOCAL_TIMEZONE

    matches = crontab(**fields)

    def validate(timestamp):  # noqa: ANN001, ANN202
        moment = timestamp.replace(tzinfo=UTC) if huey.utc else timestamp.astimezone()
        return matches(moment.astimezone(LOCAL_TIMEZONE).replace(tzinfo=None))

    return validate


@huey.periodic_task(local_crontab(minute="0", hour="7"))
def send_idea_digests() -> int:
    """Every day at 07:00 Bucharest time: the daily digests of idea updates go to the outbox
    (and out with the next `retry_outbox`, within a minute)."""
    from engage.extensions import db
    from engage.ideas.notifications import send_digests

    with _app().app_context():
        sent = send_digests()
        db.session.commit()
        return sent


@huey.periodic_task(local_crontab(minute="30", hour="3"))
def purge_living_lab_answers() -> int:
    """Every night at 03:30 Bucharest time: the retention purge, the same as `flask purge`
    (`core.owndata.purge`): the accessibility and dietary needs people gave for living-lab
    sessions past their living lab's retention, guests' registrations never confirmed by
    e-mail, guests' e-mails and names past their city's retention, never-verified accounts and
    delivered mail. Returns how many rows it changed."""
    from engage.core.owndata import purge
    from engage.extensions import db

    with _app().app_context():
        counts = purge()
        db.session.commit()
        return sum(counts.values())


@huey.task()
def build_export(export_id: int) -> str:
    """An XLSX export too large for a request (`exports.background`), written into the storage.
    Returns the file's status."""
    from engage.exports.background import build

    with _app().app_context():
        export = build(export_id)
        return export.status if export is not None else "missing"


@huey.task()
def compute_opinion_groups(process_id: int) -> int:
    """The opinion groups of one agree/disagree process (numpy and scikit-learn load here, in
    the consumer, never in a web worker). Returns the number of votes read."""
    from engage.extensions import db
    from engage.processes.models import Process
    from engage.synthesis.workspace import compute_opinions

    with _app().app_context():
        process = db.session.get(Process, process_id)
        run = compute_opinions(process) if process is not None else None
        db.session.commit()
        return run.votes if run is not None else 0


def _embed(process) -> int:  # noqa: ANN001
    """With the `engage[embeddings]` extra: the missing or stale sentence embeddings of the
    process's text input, computed here in the consumer and kept (each batch committed), so
    that the themes are found from them; without it, or when its engine does not load, nothing
    (the themes are found by TF-IDF). Returns how many were computed."""
    from engage.synthesis import embeddings

    if not embeddings.available():
        return 0
    try:
        return embeddings.ensure_embeddings(process, commit=True)
    except embeddings.EmbeddingsUnavailable:
        current_app.logger.warning("embeddings unavailable; themes by TF-IDF", exc_info=True)
        return 0


@huey.task()
def compute_themes(process_id: int) -> int:
    """The themes of one process's text input: first its missing embeddings (with the
    extra), then the themes. Returns how many items were read."""
    from engage.extensions import db
    from engage.processes.models import Process
    from engage.synthesis.workspace import compute_themes as compute

    with _app().app_context():
        process = db.session.get(Process, process_id)
        if process is not None:
            _embed(process)
        run = compute(process) if process is not None else None
        db.session.commit()
        return run.items if run is not None else 0


@huey.periodic_task(crontab(minute="45"))
def refresh_themes() -> int:
    """Every hour: the themes of every open process (moderators' names and merges kept)."""
    from sqlalchemy import select

    from engage.extensions import db
    from engage.processes.models import Process
    from engage.synthesis.workspace import compute_themes as compute

    with _app().app_context():
        processes = list(db.session.scalars(select(Process).where(Process.is_open)))
        for process in processes:
            _embed(process)
            compute(process)
            db.session.commit()
        return len(processes)


@huey.periodic_task(crontab(minute="15"))
def refresh_opinion_groups() -> int:
    """Every hour: the opinion groups of every open ideas process that votes agree/disagree."""
    from sqlalchemy import select

    from engage.extensions import db
    from engage.processes.models import Process
    from engage.synthesis.workspace import compute_opinions

    with _app().app_context():
        refreshed = 0
        for process in db.session.scalars(select(Process).where(
                Process.kind == "ideas", Process.is_open)):
            if compute_opinions(process) is not None:
                refreshed += 1
            db.session.commit()
        return refreshed


@huey.task(retries=2, retry_delay=60)
def notify_idea_status(change_id: int) -> int:
    """Tell an idea's followers about a status change, outside the moderator's request (an idea
    can have thousands of followers). Returns how many were mailed or queued for a digest."""
    from engage.core.mail import deliver_pending
    from engage.extensions import db
    from engage.ideas.models import Idea, IdeaStatusChange
    from engage.ideas.notifications import idea_status_changed

    with _app().app_context():
        change = db.session.get(IdeaStatusChange, change_id)
        if change is None:
            return 0
        told = idea_status_changed(db.session.get(Idea, change.idea_id), change)
        db.session.commit()
        if told.mailed:
            deliver_pending()
        return told.mailed + told.queued
