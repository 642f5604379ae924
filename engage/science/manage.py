"""The organisers' pages of a citizen-science campaign: the protocol (its fields in order, with
add, edit, move, deactivate, reactivate and delete while allowed), the settings (instructions,
licence and data-set metadata, location rules, area, public precision), the verifiers, and a
read-only preview of the capture form in each language. The city's organisers only
(`@requires(is_city_organiser)`, then `can_manage_protocol` on the campaign).

Every object is loaded inside the URL's city and campaign (`get_in_city_or_404`): another
city's or another campaign's field is a 404, and so is a process that is not a science one.
Each write is one service call; a refusal answers 422 with the page and its message (the
request's transaction is rolled back), a success a redirect (303, or `HX-Location` for htmx)
back to the page at the item changed (`#field-12`), so everything works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, g, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from engage.cities.permissions import is_city_organiser
from engage.core.auth import requires
from engage.core.forms import form_status, show_refusal
from engage.core.htmx import redirect_after_post
from engage.core.i18n import current_language, supported_languages
from engage.core.tenancy import get_in_city_or_404
from engage.processes.loading import process_of_kind
from engage.processes.models import Process
from engage.science import geo, protocol
from engage.science.forms import (
    FieldForm,
    SettingsForm,
    VerifierForm,
    default_data,
    field_data,
    option_rows,
    settings_data,
    submitted_options,
)
from engage.science.models import (
    CHOICE_TYPES,
    FIELD_TYPES,
    LICENCE_URLS,
    LICENCES,
    MAX_FIELDS,
    PRECISIONS,
    Field,
)
from engage.science.permissions import can_manage_protocol
from engage.science.protocol import ProtocolError

bp = Blueprint("science_manage", __name__)

BASE = "/<city_slug>/manage/processes/<process_slug>/science"
TEMPLATES = "science/manage/"


# ---------------------------------------------------------------- loading


def _campaign(process_slug: str) -> Process:
    return process_of_kind(process_slug, "science", allowed=can_manage_protocol)


def _field(process: Process, field_id: int) -> Field:
    return get_in_city_or_404(Field, Field.id == field_id, Field.process_id == process.id)


def _protocol_url(process: Process, anchor: str | None = None) -> str:
    return url_for(".protocol_page", city_slug=g.city.slug, process_slug=process.slug,
                   _anchor=anchor)


def _show_error(form: Any, error: ProtocolError) -> None:
    """A refusal from the services, on its field when the form shows it."""
    name = form.form_field_of(error.field) if hasattr(form, "form_field_of") else error.field
    show_refusal(form, name, error.message)


def _page(template: str, process: Process, **context: Any):  # noqa: ANN202
    return render_template(TEMPLATES + template, city=g.city, process=process,
                           **context), form_status()


def _protocol(process: Process, error: str | None = None, status: int = 200):  # noqa: ANN202
    fields = protocol.fields_of(process)
    return render_template(
        TEMPLATES + "protocol.html", city=g.city, process=process, fields=fields,
        locked=protocol.has_observations(process), error=error, FIELD_TYPES=FIELD_TYPES,
        MAX_FIELDS=MAX_FIELDS, settings=protocol.settings_for(process),
    ), status


# ---------------------------------------------------------------- the protocol


@bp.get(BASE + "/protocol")
@requires(is_city_organiser)
def protocol_page(city_slug: str, process_slug: str):  # noqa: ANN201
    """Every field in order with its type, required and active state and its actions."""
    return _protocol(_campaign(process_slug))


@bp.get(BASE + "/preview")
@requires(is_city_organiser)
def preview(city_slug: str, process_slug: str):  # noqa: ANN201
    """The capture form's fields as an observer sees them, in `?lang=ro` or `?lang=en`
    (controls disabled, nothing is sent)."""
    process = _campaign(process_slug)
    language = request.args.get("lang", "")
    if language not in supported_languages():
        language = current_language()
    fields = protocol.fields_of(process, active_only=True)
    settings = protocol.settings_for(process)
    # Drawn in the previewed language, interface words included, inside the page of the
    # organiser's own language. The part is an autoescaped template's output.
    with force_locale(language):
        body = Markup(render_template(
            TEMPLATES + "_preview_body.html", city=g.city, process=process, fields=fields,
            settings=settings, language=language,
            preview_max_photos=lambda field: (field.settings or {}).get("max_photos") or 1,
            preview_text_limit=lambda field: (field.settings or {}).get("max_length"),
        ))
    return render_template(TEMPLATES + "preview.html", city=g.city, process=process,
                           body=body, language=language)


@bp.route(BASE + "/fields/new", methods=["GET", "POST"])
@requires(is_city_organiser)
def new_field(city_slug: str, process_slug: str):  # noqa: ANN201
    """First the type (a list of links), then the form for that type."""
    process = _campaign(process_slug)
    source = request.form if request.method == "POST" else request.args
    field_type = source.get("type", "")
    if field_type not in FIELD_TYPES:
        return _page("field_type.html", process, FIELD_TYPES=FIELD_TYPES,
                     invalid=bool(field_type) or request.method == "POST")
    form = FieldForm(field_type, data=default_data(field_type))
    if form.validate_on_submit():
        try:
            field = protocol.add_field(
                process, field_type, **form.texts(), required=bool(form.required.data),
                settings=form.settings(),
                options=submitted_options(request.form) if field_type in CHOICE_TYPES else (),
            )
        except ProtocolError as error:
            _show_error(form, error)
        else:
            flash(_("The field was added."), "success")
            return redirect_after_post(_protocol_url(process, f"field-{field.id}"))
    return _page("field_form.html", process, form=form, field=None, field_type=field_type,
                 locked=protocol.has_observations(process), FIELD_TYPES=FIELD_TYPES,
                 options=option_rows(request.form if request.method == "POST" else None,
                                     field_type=field_type))


@bp.route(BASE + "/fields/<int:field_id>/edit", methods=["GET", "POST"])
@requires(is_city_organiser)
def edit_field(city_slug: str, process_slug: str, field_id: int):  # noqa: ANN201
    """Edit a field; `?type=` shows it as another type (while there are no observations)."""
    process = _campaign(process_slug)
    field = _field(process, field_id)
    locked = protocol.has_observations(process)
    source = request.form if request.method == "POST" else request.args
    field_type = source.get("type") or field.type
    refusal = None
    if field_type not in FIELD_TYPES:
        refusal = _("Choose a type of field from the list.")
    elif locked and field_type != field.type:
        refusal = str(protocol.LOCKED_TYPE)
    if refusal is not None:
        field_type = field.type
    data = field_data(field) if field_type == field.type else {
        **default_data(field_type), **{k: v for k, v in field_data(field).items()
                                       if k in ("label_ro", "label_en", "help_ro", "help_en",
                                                "required")}}
    form = FieldForm(field_type, data=data)
    if refusal is not None and request.method == "POST":
        form.validate()
        form.form_errors.append(refusal)
    elif refusal is not None:
        flash(refusal, "error")
    elif form.validate_on_submit():
        try:
            protocol.update_field(
                field, field_type=field_type, **form.texts(), required=bool(form.required.data),
                settings=form.settings(),
                options=submitted_options(request.form) if field_type in CHOICE_TYPES else (),
            )
        except ProtocolError as error:
            _show_error(form, error)
        else:
            flash(_("Your changes were saved."), "success")
            return redirect_after_post(_protocol_url(process, f"field-{field.id}"))
    posted = request.form if request.method == "POST" else None
    return _page("field_form.html", process, form=form, field=field, field_type=field_type,
                 locked=locked, FIELD_TYPES=FIELD_TYPES,
                 options=option_rows(posted, field if field_type in CHOICE_TYPES else None,
                                     field_type))


def _field_action(process_slug: str, field_id: int, action: Any, message: str,
                  ) -> Any:
    process = _campaign(process_slug)
    field = _field(process, field_id)
    try:
        action(field)
    except ProtocolError as error:
        return _protocol(process, str(error.message), 422)
    flash(message, "success")
    return redirect_after_post(_protocol_url(process, f"field-{field.id}"))


@bp.post(BASE + "/fields/<int:field_id>/move")
@requires(is_city_organiser)
def move_field(city_slug: str, process_slug: str, field_id: int):  # noqa: ANN201
    """`direction=up|down`."""
    direction = request.form.get("direction", "")
    return _field_action(process_slug, field_id,
                         lambda field: protocol.move_field(field, direction),
                         _("The field was moved."))


@bp.post(BASE + "/fields/<int:field_id>/deactivate")
@requires(is_city_organiser)
def deactivate_field(city_slug: str, process_slug: str, field_id: int):  # noqa: ANN201
    return _field_action(process_slug, field_id, protocol.deactivate_field,
                         _("The field was deactivated: observers no longer see it; its "
                           "values are kept."))


@bp.post(BASE + "/fields/<int:field_id>/reactivate")
@requires(is_city_organiser)
def reactivate_field(city_slug: str, process_slug: str, field_id: int):  # noqa: ANN201
    return _field_action(process_slug, field_id, protocol.reactivate_field,
                         _("The field was reactivated."))


@bp.route(BASE + "/fields/<int:field_id>/delete", methods=["GET", "POST"])
@requires(is_city_organiser)
def delete_field(city_slug: str, process_slug: str, field_id: int):  # noqa: ANN201
    """A confirmation page (works without JavaScript), then the deletion."""
    process = _campaign(process_slug)
    field = _field(process, field_id)
    error = None
    if request.method == "POST":
        try:
            protocol.delete_field(field)
        except ProtocolError as refused:
            error = str(refused.message)
        else:
            flash(_("The field was deleted."), "success")
            return redirect_after_post(_protocol_url(process))
    return _page("delete.html", process, field=field, error=error,
                 locked=protocol.has_observations(process), FIELD_TYPES=FIELD_TYPES)


# ---------------------------------------------------------------- settings


@bp.route(BASE + "/settings", methods=["GET", "POST"])
@requires(is_city_organiser)
def settings(city_slug: str, process_slug: str):  # noqa: ANN201
    """Instructions, licence and data-set metadata, location rules, area, public precision."""
    process = _campaign(process_slug)
    current = protocol.settings_for(process)
    form = SettingsForm(data=settings_data(current, geo.area_text(current.area)))
    if form.validate_on_submit():
        precision = current.public_precision
        try:
            saved = protocol.save_settings(process, **form.values())
        except ProtocolError as error:
            _show_error(form, error)
        else:
            if saved.public_precision != precision:
                flash(_("Your changes were saved. The public positions of the observations "
                        "were recomputed."), "success")
            else:
                flash(_("Your changes were saved."), "success")
            return redirect_after_post(url_for(".settings", city_slug=g.city.slug,
                                               process_slug=process.slug))
    bounds = geo.bounds(current.area) if current.area else None
    return _page("settings.html", process, form=form, current=current, bounds=bounds,
                 observations=protocol.observation_count(process), LICENCES=LICENCES,
                 LICENCE_URLS=LICENCE_URLS, PRECISIONS=PRECISIONS,
                 tile_url=current_app.config.get("MAP_TILE_URL"),
                 tile_attribution=current_app.config.get("MAP_TILE_ATTRIBUTION"))


# ---------------------------------------------------------------- verifiers


@bp.route(BASE + "/verifiers", methods=["GET", "POST"])
@requires(is_city_organiser)
def verifiers(city_slug: str, process_slug: str):  # noqa: ANN201
    """The organisers named to verify observations; a form to name one more."""
    process = _campaign(process_slug)
    form = VerifierForm()
    if form.validate_on_submit():
        try:
            person = protocol.add_verifier(process, form.email.data)
        except ProtocolError as error:
            _show_error(form, error)
        else:
            flash(_("%(person)s can now verify this campaign's observations.",
                    person=person.display_name), "success")
            return redirect_after_post(url_for(".verifiers", city_slug=g.city.slug,
                                               process_slug=process.slug))
    return _page("verifiers.html", process, form=form, people=protocol.verifiers_of(process))


@bp.post(BASE + "/verifiers/<int:user_id>/remove")
@requires(is_city_organiser)
def remove_verifier(city_slug: str, process_slug: str, user_id: int):  # noqa: ANN201
    process = _campaign(process_slug)
    try:
        protocol.remove_verifier(process, user_id)
    except ProtocolError:
        abort(404)
    flash(_("The person is no longer a verifier of this campaign."), "success")
    return redirect_after_post(url_for(".verifiers", city_slug=g.city.slug,
                                       process_slug=process.slug))
