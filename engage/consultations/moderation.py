"""The free-text answers of a consultation for its moderators: those waiting for approval
(pre-moderation) first, then the published and hidden ones, each with approve, reject, hide or
restore and a reason the author sees. (The city-wide moderation desk comes later; this is the
per-process list.)"""

from __future__ import annotations

from flask import Blueprint, flash, g, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from engage.cities.permissions import can_moderate
from engage.consultations import answers
from engage.consultations.answers import ResponseError
from engage.consultations.models import Answer, Question
from engage.core.auth import requires
from engage.core.htmx import redirect_after_post
from engage.core.pagination import page_number, paginate
from engage.core.tenancy import get_in_city_or_404
from engage.extensions import db
from engage.processes.loading import process_of_kind
from engage.processes.models import Contribution, Process

bp = Blueprint("consultation_moderation", __name__)

STATUS_FILTERS = {
    "pending": _l("Waiting"),
    "published": _l("Public"),
    "hidden": _l("Hidden or rejected"),
}
DONE = {
    "approve": _l("Approved: the answer is now public."),
    "reject": _l("Rejected: the answer stays out of the results."),
    "hide": _l("The answer is hidden from the results."),
    "restore": _l("The answer is public again."),
}


def _process(process_slug: str) -> Process:
    return process_of_kind(process_slug, "consultation")


@bp.get("/<city_slug>/manage/processes/<process_slug>/answers")
@requires(can_moderate)
def answers_list(city_slug: str, process_slug: str):  # noqa: ANN201
    process = _process(process_slug)
    status = request.args.get("status", "pending")
    if status not in STATUS_FILTERS:
        status = "pending"
    wanted = ("hidden", "rejected") if status == "hidden" else (status,)
    rows = (
        select(Contribution, Question)
        .join(Answer, Answer.contribution_id == Contribution.id)
        .join(Question, Question.id == Answer.question_id)
        .where(Contribution.process_id == process.id, Contribution.kind == "answer",
               Contribution.status.in_(wanted))
        .order_by(Contribution.created_at, Contribution.id)
    )
    page = paginate(rows, page_number(request.args.get("page")), scalars=False)
    counts: dict[str, int] = {}
    for found, number in db.session.execute(
        select(Contribution.status, func.count())
        .where(Contribution.process_id == process.id, Contribution.kind == "answer")
        .group_by(Contribution.status)
    ):
        key = "hidden" if found == "rejected" else found
        counts[key] = counts.get(key, 0) + number
    return render_template("consultations/moderation.html", city=g.city, process=process,
                           page=page, status=status, counts=counts,
                           STATUS_FILTERS=STATUS_FILTERS)


@bp.post("/<city_slug>/manage/processes/<process_slug>/answers/<int:contribution_id>")
@requires(can_moderate)
def moderate(city_slug: str, process_slug: str, contribution_id: int):  # noqa: ANN201
    process = _process(process_slug)
    contribution = get_in_city_or_404(Contribution, Contribution.id == contribution_id,
                                      Contribution.process_id == process.id,
                                      Contribution.kind == "answer")
    action = request.form.get("action", "")
    try:
        answers.moderate_text(current_user, contribution, action, request.form.get("reason"))
    except ResponseError as error:
        flash(str(error.message), "error")
    else:
        flash(str(DONE[action]), "success")
    back = url_for(".answers_list", city_slug=g.city.slug, process_slug=process.slug,
                   status=request.form.get("status") or None)
    return redirect_after_post(back)

