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
