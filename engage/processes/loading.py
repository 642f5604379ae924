"""Loading the process a URL names, for the kinds' routes: the current city's process of one
kind, or 404 (unknown, another city's, another kind's); optionally only when the current user
may view it (a draft is a 404 for the public) and only when a permission predicate allows the
current user (403)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort
from flask_login import current_user

from engage.core.tenancy import get_in_city_or_404
from engage.processes.models import Process
from engage.processes.permissions import can_view_process


def process_of_kind(process_slug: str, kind: str, *, visible: bool = False,
                    allowed: Callable[[Any, Process], bool] | None = None) -> Process:
    process = get_in_city_or_404(Process, Process.slug == process_slug)
    if process.kind != kind or visible and not can_view_process(current_user, process):
        abort(404)
    if allowed is not None and not allowed(current_user, process):
        abort(403)
    return process
