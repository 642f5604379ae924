"""The results pages of a consultation (blueprint `consultation_results`).

`/<city>/p/<process>/results`: every question's counts as SVG charts beside tables, the
participation over time and the completion rate, a breakdown of one closed question by a
profile question (a GET form; htmx swaps just the breakdown, `part=breakdown`), and the
newest published free-text answers. `?offline=0` leaves out paper and stand responses when
that is allowed. `/<city>/p/<process>/results/questions/<id>/answers`: one free-text
question's published answers, searchable, by pages (htmx "load more" with `part=items`).

Who sees them is `results.can_view_results`: the public per the consultation's
`results_visibility`, the city's staff always. Anyone else gets a 404 that says when (or
whether) the results will be public; drafts and other kinds are a plain 404.

Both pages opt in to the short-lived page cache for visitors without a session
(`core.pagecache`, like the ideas pages): such visitors may see a new response or a moderation
decision up to `PAGE_CACHE_SECONDS` late; signed-in people (staff included) never.
"""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    abort,
    g,
    get_template_attribute,
    make_response,
    render_template,
    request,
)
from flask_login import current_user
from markupsafe import Markup

from engage.consultations import results
from engage.consultations.models import CLOSED_TYPES, RESPONDENTS, TEXT_TYPES, Question
from engage.core import charts, citations
from engage.core.auth import public
from engage.core.htmx import wants_fragment
from engage.core.i18n import current_language, format_number, format_percent
from engage.core.pagecache import cached_page
from engage.core.pagination import page_number
from engage.core.tenancy import get_in_city_or_404
from engage.extensions import htmx
from engage.processes.loading import process_of_kind
from engage.processes.models import Process

bp = Blueprint("consultation_results", __name__)

ANSWERS_PER_PAGE = 20
QUERY_MAX = 100


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"fmt_percent": format_percent, "fmt_number": format_number,
            "charts": charts, "RESPONDENTS": RESPONDENTS}


def _consultation(process_slug: str) -> tuple[Process, Any]:
    process = process_of_kind(process_slug, "consultation", visible=True)
    return process, results.settings_for(process)


def _unavailable(process: Process, settings: Any):  # noqa: ANN202
    """A public consultation whose results are not public (yet): say so, with a 404."""
    return render_template("consultations/results.html", city=g.city, process=process,
                           settings=settings, unavailable=True), 404


def _wants_part(part: str, target: str) -> bool:
    """An htmx request for one part of the page: named by `part=` in the query string or by
    the element it targets (so the URL htmx pushes to the history stays the page's own)."""
    return wants_fragment() and (request.args.get("part") == part or htmx.target == target)


def _include_offline() -> bool:
    return request.args.get("offline") != "0"


@bp.get("/<city_slug>/p/<process_slug>/results")
@public
@cached_page
def results_page(city_slug: str, process_slug: str):  # noqa: ANN201
    process, settings = _consultation(process_slug)
    if not results.can_view_results(current_user, process, settings):
        return _unavailable(process, settings)
    part = "breakdown" if _wants_part("breakdown", "breakdown") else "body"
    public = results.results_public(process, settings)
    query = tuple(sorted((k, v) for k, v in request.args.items(multi=True) if k != "part"))
    key = ("results", process.id, g.city.slug, process.slug, current_language(), part, public,
           query)
    body = results.cached_rendering(
        key, settings, lambda: _render_results(process, settings, part, public))
    if part == "body":
        body = render_template("consultations/results.html", city=g.city, process=process,
                               settings=settings, unavailable=False,
                               body=Markup(_with_citations(body)))
    response = make_response(body)
    response.vary.add("HX-Request")
    return response


_CITED_MARK = re.compile(r"<!--cited-in:(\d+)-->")


def _with_citations(body: str) -> str:
    """The rendering (maybe cached) with each shown answer's "cited in" filled in now, so that a
    summary published since shows at once: the answers' places are marked in the rendering and
    looked up in one go (one query per citer)."""
    ids = [int(number) for number in _CITED_MARK.findall(body)]
    places = citations.cited_in("answer", ids) if ids else {}
    links = get_template_attribute("_cited_in.html", "cited_in")
    language = current_language()
    return _CITED_MARK.sub(
        lambda mark: str(links(places.get(int(mark.group(1))), language)), body)


def _render_results(process: Process, settings: Any, part: str,
                    public: bool) -> tuple[str, list[int]]:
    """The results below the page's heading (or only the breakdown, for htmx), and the
    contributions of the free-text answers shown."""
    questionnaire = results.load_questionnaire(process)
    counts = results.totals(process)
    found = results.compute_results(process, _include_offline(), questionnaire, counts)
    choices = results.breakdown_choices(settings)
    chosen = _chosen_breakdown(questionnaire, choices)
    breakdown = None
    if chosen["question"] is not None:
        breakdown = results.compute_breakdown(process, chosen["question"], chosen["by"], counts)
    previews = {}
    if part == "body":
        previews = results.text_previews(process, questionnaire.questions,
                                         found.include_offline, counts=counts)
    context = {
        "city": g.city,
        "process": process,
        "settings": settings,
        "results": found,
        "sections": [(section, [found.result(q.id) for q in questions if q.type != "info"])
                     for section, questions in questionnaire.by_section()],
        "previews": previews,
        "breakdown_choices": choices,
        "closed_questions": [q for q in questionnaire.questions if q.type in CLOSED_TYPES],
        "chosen": chosen,
        "breakdown": breakdown,
        "public": public,
        "MIN_GROUP": results.MIN_GROUP,
    }
    template = ("consultations/_results_breakdown.html" if part == "breakdown"
                else "consultations/_results_body.html")
    shown = [answer.contribution_id for answers, _total in previews.values()
             for answer in answers if answer.contribution_id is not None]
    return render_template(template, **context), shown


def _chosen_breakdown(questionnaire: results.Questionnaire,
                      choices: dict[str, Any]) -> dict[str, Any]:
    """The breakdown asked for in the query string; unknown or unsuitable values are ignored
    (with a note when a question was named but cannot be broken down)."""
    chosen: dict[str, Any] = {"question": None, "by": "stakeholder_type", "invalid": False}
    by = request.args.get("by", "stakeholder_type")
    raw_id = request.args.get("question", "")
    if not raw_id:
        return chosen
    try:
        question = questionnaire.question(int(raw_id))
    except ValueError:
        question = None
    if question is None or question.type not in CLOSED_TYPES or by not in choices:
        chosen["invalid"] = True
        return chosen
    chosen.update(question=question, by=by)
    return chosen


@bp.get("/<city_slug>/p/<process_slug>/results/questions/<int:question_id>/answers")
@public
@cached_page
def text_answers(city_slug: str, process_slug: str, question_id: int):  # noqa: ANN201
    process, settings = _consultation(process_slug)
    if not results.can_view_results(current_user, process, settings):
        return _unavailable(process, settings)
    question = get_in_city_or_404(Question, Question.id == question_id,
                                  Question.process_id == process.id)
    if question.type not in TEXT_TYPES:
        abort(404)
    counts = results.totals(process)
    include_offline = _include_offline() or not results.offline_toggle_allowed(counts.offline) \
        or counts.offline == 0
    query = (request.args.get("q") or "").strip()[:QUERY_MAX]
    page = results.text_answers(process, question, query, page_number(request.args.get("page")),
                                include_offline, ANSWERS_PER_PAGE)
    context = {
        "city": g.city,
        "process": process,
        "question": question,
        "page": page,
        "query": query,
        "include_offline": include_offline,
        "offline": counts.offline,
        "can_exclude_offline": results.offline_toggle_allowed(counts.offline)
        and counts.offline > 0,
        "answers_cited_in": citations.cited_in("answer", [a.id for a in page.items]),
    }
    if _wants_part("items", "answers-more"):
        body = render_template("consultations/_results_answer_items.html", **context)
    elif _wants_part("list", "answer-list"):
        body = render_template("consultations/_results_answer_list.html", **context)
    else:
        body = render_template("consultations/results_answers.html", **context)
    response = make_response(body)
    response.vary.add("HX-Request")
    return response
