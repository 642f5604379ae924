"""Free-text answers cited in summaries: by the question and the answer's text; an answer not
published may not be cited."""

from __future__ import annotations

from engage.consultations.models import Answer
from engage.core import citations
from engage.extensions import db
from tests.consultations.test_results import add_response


def test_answers_resolve_with_their_question(app, process, questionnaire):
    question = questionnaire["comment"]
    add_response(process, [(question, "Mai multe piste de biciclete.")])
    add_response(process, [(question, ("Ascuns", "hidden"))])
    shown, hidden = db.session.scalars(
        db.select(Answer).where(Answer.question_id == question.id).order_by(Answer.id)).all()
    found = citations.resolve([("answer", shown.id), ("answer", hidden.id)])
    cited = found[("answer", shown.id)]
    assert cited.title == "Alte idei?" and cited.quote == "Mai multe piste de biciclete."
    assert cited.citable
    with app.test_request_context():
        assert cited.url.endswith(f"/p/{process.slug}/results")
    assert not found[("answer", hidden.id)].citable
