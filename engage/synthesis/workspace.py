"""The synthesis workspace's computed views: the opinion groups of an agree/disagree ideas
process, computed by a background job (numpy and scikit-learn never load in a web worker) and
kept, the newest run per process (`OpinionRun`)."""

from __future__ import annotations

import json
from typing import Any

from engage.core import sources
from engage.core.db import utcnow
from engage.extensions import db
from engage.processes.models import Process
from engage.synthesis.models import OpinionRun


def compute_opinions(process: Process) -> OpinionRun | None:
    """Compute and keep the process's opinion groups (in a job); None when the process does
    not vote agree/disagree."""
    from engage.synthesis.opinions import OpinionState, compute_opinion_groups

    votes = sources.votes_of(process)
    if votes is None:
        return None
    run = db.session.get(OpinionRun, process.id)
    previous = None
    if run is not None and run.result:
        stored = json.loads(run.result)
        if stored.get("state"):
            previous = OpinionState.from_json(stored["state"])
    result = compute_opinion_groups(
        votes.participant_ids, votes.idea_ids, votes.rows,
        hidden_idea_ids=votes.hidden_idea_ids, stakeholder_types=votes.stakeholder_types,
        previous=previous)
    payload = result.to_json()
    payload["labels"] = {str(k): v for k, v in votes.labels.items()}
    if run is None:
        run = OpinionRun(process_id=process.id)
        db.session.add(run)
    run.computed_at = utcnow()
    run.votes = sum(1 for row in votes.rows for value in row if value is not None)
    run.result = json.dumps(payload, ensure_ascii=False)
    db.session.flush()
    return run


def latest_opinions(process: Process) -> tuple[OpinionRun | None, Any, dict[int, str]]:
    """(the newest run, its OpinionResult, the ideas' titles), or (None, None, {})."""
    from engage.synthesis.opinions import OpinionResult

    run = db.session.get(OpinionRun, process.id)
    if run is None or not run.result:
        return None, None, {}
    payload = json.loads(run.result)
    labels = {int(k): v for k, v in payload.pop("labels", {}).items()}
    return run, OpinionResult.from_json(payload), labels
