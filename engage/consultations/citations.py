"""How summaries cite free-text answers (`[[answer:N]]`, the answer's id): see
`core.citations`. Registered when the package starts."""

from __future__ import annotations

from sqlalchemy import select

from engage.cities.models import City
from engage.consultations.models import Answer, Question
from engage.core import citations
from engage.core.citations import Cited, quote
from engage.extensions import db
from engage.processes.models import PUBLIC_STATUSES, Contribution, Process


def _answers(ids: list[int]) -> dict[int, Cited]:
    rows = db.session.execute(
        select(Answer, Question, Contribution, Process, City.slug)
        .join(Question, Question.id == Answer.question_id)
        .join(Contribution, Contribution.id == Answer.contribution_id)
        .join(Process, Process.id == Contribution.process_id)
        .join(City, City.id == Process.city_id)
        .where(Answer.id.in_(ids), Answer.contribution_id.is_not(None))).all()
    return {answer.id: Cited(
        kind="answer", id=answer.id, city_id=process.city_id, process_id=process.id,
        title=question.text_ro or question.text_en, quote=quote(answer.text),
        endpoint="consultation_results.results_page", args=dict(city_slug=city_slug,
                    process_slug=process.slug),
        citable=contribution.status == "published" and process.status in PUBLIC_STATUSES,
        contribution_id=contribution.id, author_id=contribution.author_id,
    ) for answer, question, contribution, process, city_slug in rows}


citations.register("answer", _answers)


def _answer_ids(contribution_ids: list[int]) -> dict[int, int]:
    return dict(db.session.execute(select(Answer.contribution_id, Answer.id).where(
        Answer.contribution_id.in_(contribution_ids))).all())


citations.register_by_contribution("answer", _answer_ids)
