"""Processes blueprint (skeleton; completed by the processes work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("processes", __name__)
