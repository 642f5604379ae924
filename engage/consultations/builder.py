"""The questionnaire builder of a consultation process: sections and questions (add, edit,
reorder, duplicate, delete), conditions, a preview in each language, and the consultation's
settings. Organisers of the city only (`@requires(is_city_organiser)`).

Every object is loaded inside the URL's city and process (`get_in_city_or_404`), so another
city's or another process's section or question is a 404, and a process that is not a
consultation is a 404 too. Each write is one service call; a refusal answers 422 with the page
and its message (the request's transaction is rolled back), a success a redirect (303) back to
the builder at the item changed (`#question-12`), so the page keeps its place without
JavaScript.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from engage.accounts.models import STAKEHOLDER_TYPES
from engage.cities.permissions import is_city_organiser
from engage.consultations import services
from engage.consultations.forms import (
    SETTINGS_FIELDS,
    QuestionForm,
    SectionForm,
    SettingsForm,
    question_data,
    section_data,
)
from engage.consultations.models import (
    AGE_BANDS,
    PROFILE_QUESTIONS,
    QUESTION_TYPES,
    RESPONDENTS,
    Question,
    Section,
)
from engage.consultations.services import ConsultationError
from engage.core.auth import requires
from engage.core.forms import form_status, show_refusal
from engage.core.htmx import redirect_after_post
from engage.core.i18n import current_language, supported_languages
from engage.core.tenancy import get_in_city_or_404
from engage.extensions import db
from engage.processes.loading import process_of_kind
from engage.processes.models import Process

bp = Blueprint("consultation_builder", __name__)

BASE = "/<city_slug>/manage/processes/<process_slug>/questionnaire"
TEMPLATES = "consultations/builder/"


# ---------------------------------------------------------------- loading


def _consultation(process_slug: str) -> Process:
    return process_of_kind(process_slug, "consultation")


def _section(process: Process, section_id: int) -> Section:
    return get_in_city_or_404(Section, Section.id == section_id,
                              Section.process_id == process.id)


def _question(process: Process, question_id: int) -> Question:
    return get_in_city_or_404(Question, Question.id == question_id,
                              Question.process_id == process.id)


def _builder_url(process: Process, anchor: str | None = None) -> str:
    return url_for(".builder", city_slug=g.city.slug, process_slug=process.slug,
                   _anchor=anchor)


def _show_error(form: Any, error: ConsultationError, question_type: str | None = None) -> None:
    """A refusal from the services, on its field when the form shows it."""
    name = error.field
    if name and name.startswith("settings.") and question_type:
        name = SETTINGS_FIELDS.get(question_type, {}).get(name.split(".", 1)[1])
    show_refusal(form, name, error.message)


def _page(template: str, process: Process, **context: Any):  # noqa: ANN202
    return render_template(TEMPLATES + template, city=g.city, process=process,
                           **context), form_status()


def _builder_page(process: Process, error: str | None = None, status: int = 200):  # noqa: ANN202
    return render_template(
        TEMPLATES + "page.html", city=g.city, process=process,
        structure=services.questionnaire(process), locked=services.has_answers(process),
        error=error, QUESTION_TYPES=QUESTION_TYPES,
    ), status


# ---------------------------------------------------------------- the builder


@bp.get(BASE)
@requires(is_city_organiser)
def builder(city_slug: str, process_slug: str):  # noqa: ANN201
    """Every section and question with its actions; a notice when the structure is locked."""
    return _builder_page(_consultation(process_slug))


@bp.get(BASE + "/preview")
@requires(is_city_organiser)
def preview(city_slug: str, process_slug: str):  # noqa: ANN201
    """The questionnaire as a citizen sees it, in `?lang=ro` or `?lang=en` (controls
    disabled, nothing is sent)."""
    process = _consultation(process_slug)
    language = request.args.get("lang", "")
    if language not in supported_languages():
        language = current_language()
    structure = services.questionnaire(process)
    settings = services.settings_for(process)
    # The questionnaire is drawn in the previewed language, interface words included, inside
    # the page of the organiser's own language. The part is an autoescaped template's output.
    with force_locale(language):
        body = Markup(render_template(
            TEMPLATES + "_preview_body.html", city=g.city, process=process,
            structure=structure, settings=settings, language=language,
            neighbourhoods=services.neighbourhoods_of(settings), AGE_BANDS=AGE_BANDS,
            PROFILE_QUESTIONS=PROFILE_QUESTIONS, STAKEHOLDER_TYPES=STAKEHOLDER_TYPES,
        ))
    return render_template(TEMPLATES + "preview.html", city=g.city, process=process,
                           body=body, language=language)


# ---------------------------------------------------------------- sections


@bp.route(BASE + "/sections/new", methods=["GET", "POST"])
@requires(is_city_organiser)
def new_section(city_slug: str, process_slug: str):  # noqa: ANN201
    process = _consultation(process_slug)
    structure = services.questionnaire(process)
    form = SectionForm(structure.choice_questions_before(len(structure.sections)))
    if form.validate_on_submit():
        try:
            condition = services.condition_for_options(structure, form.condition.data)
            section = services.add_section(process, **form.texts(), condition=condition)
        except ConsultationError as error:
            _show_error(form, error)
        else:
            flash(_("The section was added."), "success")
            return redirect_after_post(_builder_url(process, f"section-{section.id}"))
    return _page("section_form.html", process, form=form, section=None, structure=structure,
                 locked=services.has_answers(process))


@bp.route(BASE + "/sections/<int:section_id>/edit", methods=["GET", "POST"])
@requires(is_city_organiser)
def edit_section(city_slug: str, process_slug: str, section_id: int):  # noqa: ANN201
    process = _consultation(process_slug)
    section = _section(process, section_id)
    structure = services.questionnaire(process)
    locked = services.has_answers(process)
    view = structure.section(section.id)
    form = SectionForm(structure.choice_questions_before(view.index), data=section_data(section),
                       locked=locked)
    if form.validate_on_submit():
        try:
            condition = section.condition if locked else services.condition_for_options(
                structure, form.condition.data)
            services.update_section(section, **form.texts(), condition=condition)
        except ConsultationError as error:
            _show_error(form, error)
        else:
            flash(_("Your changes were saved."), "success")
            return redirect_after_post(_builder_url(process, f"section-{section.id}"))
    return _page("section_form.html", process, form=form, section=section, view=view,
                 structure=structure, locked=locked)


@bp.post(BASE + "/sections/<int:section_id>/move")
@requires(is_city_organiser)
def move_section(city_slug: str, process_slug: str, section_id: int):  # noqa: ANN201
    process = _consultation(process_slug)
    section = _section(process, section_id)
    try:
        services.move_section(section, request.form.get("direction", ""))
    except ConsultationError as error:
        return _builder_page(process, str(error.message), 422)
    flash(_("The section was moved."), "success")
    return redirect_after_post(_builder_url(process, f"section-{section.id}"))


@bp.post(BASE + "/sections/<int:section_id>/duplicate")
@requires(is_city_organiser)
def duplicate_section(city_slug: str, process_slug: str, section_id: int):  # noqa: ANN201
    process = _consultation(process_slug)
    section = _section(process, section_id)
    try:
        duplicate = services.duplicate_section(section)
    except ConsultationError as error:
        return _builder_page(process, str(error.message), 422)
    flash(_("The section was duplicated. The copy follows the original."), "success")
    return redirect_after_post(_builder_url(process, f"section-{duplicate.id}"))


@bp.route(BASE + "/sections/<int:section_id>/delete", methods=["GET", "POST"])
@requires(is_city_organiser)
def delete_section(city_slug: str, process_slug: str, section_id: int):  # noqa: ANN201
    """A confirmation page (works without JavaScript), then the deletion."""
    process = _consultation(process_slug)
    section = _section(process, section_id)
    structure = services.questionnaire(process)
    error = None
    if request.method == "POST":
        try:
            services.delete_section(section)
        except ConsultationError as refused:
            error = str(refused.message)
        else:
            flash(_("The section and its questions were deleted."), "success")
            return redirect_after_post(_builder_url(process))
    view = structure.section(section.id)
    inside = {id(section)} | {id(question) for question in view.questions}
    blockers = [item for item in structure.dependants(q.id for q in view.questions)
                if id(item) not in inside]
    return _page("delete.html", process, item=section, view=view, blockers=blockers,
                 error=error, structure=structure, locked=services.has_answers(process))


# ---------------------------------------------------------------- questions


def _question_values(form: QuestionForm) -> dict[str, Any]:
    return {
        **form.texts(),
        "options": form.option_pairs(),
        "rows": form.row_pairs(),
    }


@bp.route(BASE + "/sections/<int:section_id>/questions/new", methods=["GET", "POST"])
@requires(is_city_organiser)
def new_question(city_slug: str, process_slug: str, section_id: int):  # noqa: ANN201
    """First the type (a list of links), then the form for that type."""
    process = _consultation(process_slug)
    section = _section(process, section_id)
    structure = services.questionnaire(process)
    locked = services.has_answers(process)
    source = request.form if request.method == "POST" else request.args
    question_type = source.get("type", "")
    if question_type not in QUESTION_TYPES:
        return _page("question_type.html", process, section=section, structure=structure,
                     locked=locked, QUESTION_TYPES=QUESTION_TYPES,
                     invalid=bool(question_type) or request.method == "POST")
    view = structure.section(section.id)
    form = QuestionForm(question_type,
                        structure.choice_questions_before(view.index, len(view.questions)),
                        data={"type": question_type})
    if form.validate_on_submit():
        try:
            condition = services.condition_for_options(structure, form.condition.data)
            question = services.add_question(
                section, question_type, **_question_values(form),
                required=bool("required" in form and form.required.data),
                settings=form.settings(), condition=condition,
            )
        except ConsultationError as error:
            _show_error(form, error, question_type)
        else:
            flash(_("The question was added."), "success")
            return redirect_after_post(_builder_url(process, f"question-{question.id}"))
    return _page("question_form.html", process, form=form, section=section, view=view,
                 question=None, question_type=question_type, structure=structure,
                 locked=locked, QUESTION_TYPES=QUESTION_TYPES)


@bp.route(BASE + "/questions/<int:question_id>/edit", methods=["GET", "POST"])
@requires(is_city_organiser)
def edit_question(city_slug: str, process_slug: str, question_id: int):  # noqa: ANN201
    """Edit a question; `?type=` shows it as another type (while nobody has answered)."""
    process = _consultation(process_slug)
    question = _question(process, question_id)
    structure = services.questionnaire(process)
    locked = services.has_answers(process)
    source = request.form if request.method == "POST" else request.args
    question_type = source.get("type") or question.type
    refusal = None
    if question_type not in QUESTION_TYPES:
        refusal = _("Choose a type of question from the list.")
    elif locked and question_type != question.type:
        refusal = str(services.LOCKED)
    if refusal is not None:
        question_type = question.type
    section_index, position = structure.place(question)
    form = QuestionForm(question_type, structure.choice_questions_before(section_index, position),
                        data=question_data(question, question_type), locked=locked)
    if refusal is not None and request.method == "POST":
        form.validate()
        form.form_errors.append(refusal)
    elif form.validate_on_submit():
        try:
            if locked:
                # Only texts are offered: what may not change is kept as it is.
                values = {"required": question.required, "condition": question.condition,
                          "settings": {**(question.settings or {}), **form.settings()}}
            else:
                values = {
                    "required": bool("required" in form and form.required.data),
                    "condition": services.condition_for_options(structure, form.condition.data),
                    "settings": form.settings(),
                }
            services.update_question(question, question_type=question_type,
                                     **_question_values(form), **values)
        except ConsultationError as error:
            _show_error(form, error, question_type)
        else:
            flash(_("Your changes were saved."), "success")
            return redirect_after_post(_builder_url(process, f"question-{question.id}"))
    return _page("question_form.html", process, form=form, section=question.section,
                 view=structure.sections[section_index], question=question,
                 question_type=question_type, structure=structure, locked=locked,
                 QUESTION_TYPES=QUESTION_TYPES)


@bp.post(BASE + "/questions/<int:question_id>/move")
@requires(is_city_organiser)
def move_question(city_slug: str, process_slug: str, question_id: int):  # noqa: ANN201
    """`direction=up|down`, or `section=<id>` to move it to the end of another section."""
    process = _consultation(process_slug)
    question = _question(process, question_id)
    try:
        if "section" in request.form:
            target = _target_section(process, request.form.get("section", ""))
            services.move_question_to_section(question, target)
        else:
            services.move_question(question, request.form.get("direction", ""))
    except ConsultationError as error:
        return _builder_page(process, str(error.message), 422)
    flash(_("The question was moved."), "success")
    return redirect_after_post(_builder_url(process, f"question-{question.id}"))


def _target_section(process: Process, value: str) -> Section:
    section = db.session.get(Section, int(value)) if value.isdigit() else None
    if section is None or section.process_id != process.id:
        raise ConsultationError(_("Choose a section of this questionnaire."), field="section")
    return section


@bp.post(BASE + "/questions/<int:question_id>/duplicate")
@requires(is_city_organiser)
def duplicate_question(city_slug: str, process_slug: str, question_id: int):  # noqa: ANN201
    process = _consultation(process_slug)
    question = _question(process, question_id)
    try:
        duplicate = services.duplicate_question(question)
    except ConsultationError as error:
        return _builder_page(process, str(error.message), 422)
    flash(_("The question was duplicated. The copy follows the original."), "success")
    return redirect_after_post(_builder_url(process, f"question-{duplicate.id}"))


@bp.route(BASE + "/questions/<int:question_id>/delete", methods=["GET", "POST"])
@requires(is_city_organiser)
def delete_question(city_slug: str, process_slug: str, question_id: int):  # noqa: ANN201
    process = _consultation(process_slug)
    question = _question(process, question_id)
    structure = services.questionnaire(process)
    error = None
    if request.method == "POST":
        anchor = f"section-{question.section_id}"
        try:
            services.delete_question(question)
        except ConsultationError as refused:
            error = str(refused.message)
        else:
            flash(_("The question was deleted."), "success")
            return redirect_after_post(_builder_url(process, anchor))
    return _page("delete.html", process, item=question, view=None, error=error,
                 blockers=structure.dependants([question.id]), structure=structure,
                 locked=services.has_answers(process))


# ---------------------------------------------------------------- settings


@bp.route(BASE + "/settings", methods=["GET", "POST"])
@requires(is_city_organiser)
def settings(city_slug: str, process_slug: str):  # noqa: ANN201
    """Who may answer, when results are public, the profile questions; the dates are the
    process's own (edited with the process)."""
    process = _consultation(process_slug)
    current = services.settings_for(process)
    locked = services.has_answers(process)
    form = SettingsForm(data={
        "respondents": current.respondents,
        "results_visibility": current.results_visibility,
        "profile_questions": list(current.profile_questions or ()),
        "neighbourhoods": current.neighbourhoods or "",
    }, locked=locked)
    if form.validate_on_submit():
        try:
            services.save_settings(
                process,
                current.respondents if locked else form.respondents.data,
                form.results_visibility.data,
                current.profile_questions if locked else form.profile_questions.data,
                form.neighbourhoods.data or "",
            )
        except ConsultationError as error:
            _show_error(form, error)
        else:
            flash(_("Your changes were saved."), "success")
            return redirect_after_post(url_for(".settings", city_slug=g.city.slug,
                                               process_slug=process.slug))
    return _page("settings.html", process, form=form, current=current, locked=locked,
                 RESPONDENTS=RESPONDENTS, PROFILE_QUESTIONS=PROFILE_QUESTIONS)
