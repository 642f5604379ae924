"""The consultations kind's part of people's own data (see `core.owndata`): a person's
responses and their answers.

On deletion a response is unlinked from the account (`user_id` set to None, which the model
allows), so the aggregated results stay right and nothing points at the person; deleting the
contributions also blanks their free-text answers (choices stay counted, without the person).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engage.consultations.models import Answer, Option, Question, Response
from engage.core import owndata
from engage.core.owndata import iso
from engage.extensions import db


def collect(user: Any) -> dict[str, Any]:
    responses = db.session.scalars(
        select(Response).where(Response.user_id == user.id).order_by(Response.id)).all()
    answers: dict[int, list[dict[str, Any]]] = {}
    if responses:
        rows = db.session.execute(
            select(Answer, Question.text_ro, Question.text_en, Option.label_ro, Option.label_en)
            .join(Question, Question.id == Answer.question_id)
            .outerjoin(Option, Option.id == Answer.option_id)
            .where(Answer.response_id.in_([response.id for response in responses]))
            .order_by(Answer.response_id, Answer.id)).all()
        for answer, question_ro, question_en, option_ro, option_en in rows:
            answers.setdefault(answer.response_id, []).append({
                "question": question_en or question_ro,
                "option": (option_en or option_ro) if answer.option_id else None,
                "rank": answer.rank, "number": answer.number, "text": answer.text,
            })
    return {"responses": [{
        "id": response.id, "process_id": response.process_id, "status": response.status,
        "language": response.language, "profile": response.profile,
        "submitted_at": iso(response.submitted_at), "answers": answers.get(response.id, []),
    } for response in responses]}


def erase(user: Any, keep: bool) -> None:
    responses = db.session.scalars(select(Response).where(Response.user_id == user.id)).all()
    for response in responses:
        if not keep:
            for answer in db.session.scalars(select(Answer).where(
                    Answer.response_id == response.id, Answer.text.is_not(None))):
                answer.text = ""
                if answer.contribution is not None:
                    answer.contribution.text = ""
                    answer.contribution.status = "deleted"
        response.user_id = None
        response.token = None
    db.session.flush()


owndata.register("consultations", collect, erase)
