"""Handing work to the background-job queue from a request, without loading the queue's code
(huey and its storage client) into every web worker: the job module `core.jobs` is imported at
the first hand-over, and tasks are named rather than imported by the callers."""

from __future__ import annotations

from flask import current_app, g, has_request_context


def enqueue(task: str, *args: object) -> object:
    """Run the `core.jobs` task called `task` in the background (at once, in this process, when
    `JOBS_IMMEDIATE` is set — the tests, or a deployment without a consumer)."""
    from engage.core import jobs

    jobs.huey.immediate = bool(current_app.config.get("JOBS_IMMEDIATE"))
    return getattr(jobs, task)(*args)


def after_commit(task: str, *args: object) -> bool:
    """Enqueue `task(*args)` once the current request has committed, so the job sees what the
    request wrote and a rolled-back request starts nothing. Returns False outside a request:
    the caller then does the work itself, in its own transaction."""
    if not has_request_context():
        return False
    g.setdefault("after_commit", []).append((task, args))
    return True


def run_after_commit() -> None:
    """Called by the request transaction once it has committed."""
    for task, args in g.pop("after_commit", ()):
        enqueue(task, *args)


def forget_after_commit() -> None:
    """Called when the request's transaction is rolled back: nothing is handed over."""
    g.pop("after_commit", None)
