"""Demo synthesis for `flask demo-data`: a published summary of Bucharest Sector 2's "Streets
for people" ideas, citing its two most supported published ideas (so their pages say where
they are cited), written by the demo moderator's city organiser. Loaded once: nothing is added
when the process already has a summary."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from engage.core import citations, sources
from engage.extensions import db
from engage.processes.models import Contribution, Process
from engage.synthesis import summaries
from engage.synthesis.models import Summary

PROCESS = ("bucuresti-sector-2", "strazi-pentru-oameni")
AUTHOR = "admin@engage.test"


def load(users: dict[str, Any], processes: dict[tuple[str, str], Process], tally: Any) -> None:
    process = processes.get(PROCESS)
    if process is None or AUTHOR not in users:
        return
    if db.session.scalar(select(func.count()).select_from(Summary).where(
            Summary.process_id == process.id)):
        tally.add("summaries", "unchanged")
        return
    # The most supported published ideas, read through the spine (no import of the ideas).
    pairs = [(cid, "idea") for cid in db.session.scalars(select(Contribution.id).where(
        Contribution.process_id == process.id, Contribution.kind == "idea",
        Contribution.status == "published"))]
    supports = sources.supports_of(pairs)
    tags = citations.tags_for(pairs)
    ranked = sorted(tags, key=lambda cid: (-supports.get(cid, 0), cid))
    if len(ranked) < 2:
        return
    first, second = (tags[cid] for cid in ranked[:2])
    summary = summaries.create_summary(process, users[AUTHOR], {
        "topic": "Mobilitate", "theme": "mobility",
        "title_ro": "Ce ne-ați spus despre străzile cartierului",
        "title_en": "What you told us about the neighbourhood's streets",
        "body_ro": (
            "Cele mai susținute propuneri cer **mai mult spațiu pentru oameni**:\n\n"
            f"- străzi școlare, fără mașini la orele de intrare {first};\n"
            f"- piste de biciclete separate de trafic {second}.\n\n"
            "Le includem în capitolul „Mobilitate și transport” al contractului climatic."),
        "body_en": (
            "The most supported proposals ask for **more room for people**:\n\n"
            f"- school streets, without cars when classes start {first};\n"
            f"- cycle lanes separated from traffic {second}.\n\n"
            "We take them into the contract's \"Mobility and transport\" chapter."),
    })
    summaries.publish(summary, users[AUTHOR])
    tally.add("summaries", "created")
