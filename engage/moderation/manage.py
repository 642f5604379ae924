"""The city's automatic-flag settings page: the numbers (report threshold, links, repeated text,
bursts) and the list of blocked terms (add, delete). The city's moderators and organisers, and
admins (`@requires(can_manage_flags)`).

Each write is one service call (`engage.moderation.settings`); a refusal answers 422 with the
page and its message (the request's transaction is rolled back, nothing is kept), a success a
redirect (303, or `HX-Location` for htmx). The terms panel is swapped in place by htmx; without
JavaScript the same forms post and come back to the page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, ValidationError
from wtforms.validators import AnyOf, InputRequired, Length

from engage.core.auth import requires
from engage.core.forms import form_status, show_refusal, strip
from engage.core.htmx import redirect_after_post, render, wants_fragment
from engage.core.tenancy import get_in_city_or_404
from engage.moderation import settings as services
from engage.moderation.models import MAX_TERMS, TERM_LANGUAGES, TERM_MAX, BlockedTerm
from engage.moderation.permissions import can_manage_flags
from engage.moderation.settings import RANGES, SettingsError

bp = Blueprint("moderation_settings", __name__)

BASE = "/<city_slug>/moderation/settings"


# ---------------------------------------------------------------- forms


class _WholeNumber:
    """A whole number within the setting's range, with one clear message for anything else."""

    def __init__(self, name: str) -> None:
        self.low, self.high = RANGES[name]

    def __call__(self, form: Any, field: Any) -> None:
        message = _l("Type a whole number from %(low)s to %(high)s.", low=self.low,
                     high=self.high)
        try:
            value = int(str(field.data or "").strip())
        except ValueError:
            raise ValidationError(message) from None
        if not self.low <= value <= self.high:
            raise ValidationError(message)
        field.data = str(value)


def _number(name: str, label: Any) -> StringField:
    low, high = RANGES[name]
    return StringField(label, filters=[strip], validators=[
        InputRequired(_l("Type a whole number from %(low)s to %(high)s.", low=low, high=high)),
        _WholeNumber(name)],
        render_kw={"inputmode": "numeric", "type": "number", "min": low, "max": high,
                   "step": 1})


class FlagSettingsForm(FlaskForm):
    report_threshold = _number("report_threshold", _l("Reports that hide an input"))
    max_links = _number("max_links", _l("Links allowed in one text"))
    repeat_count = _number("repeat_count", _l("Times the same text may be posted"))
    repeat_hours = _number("repeat_hours", _l("Within (hours)"))
    burst_count = _number("burst_count", _l("Posts allowed from one account"))
    burst_minutes = _number("burst_minutes", _l("Within (minutes)"))

    def values(self) -> dict[str, int]:
        return {name: int(self[name].data) for name in services.SETTINGS}


class TermForm(FlaskForm):
    term = StringField(_l("Word or phrase"), filters=[strip], validators=[
        InputRequired(_l("Type a word or a phrase.")),
        Length(max=TERM_MAX, message=_l("At most %(max)s characters.", max=TERM_MAX))],
        render_kw={"maxlength": TERM_MAX, "autocomplete": "off"})
    language = RadioField(
        _l("Language"), default="any", validate_choice=False,
        choices=[SelectChoice(key, label) for key, label in TERM_LANGUAGES.items()],
        validators=[InputRequired(_l("Choose a language from the list.")),
                    AnyOf(list(TERM_LANGUAGES), message=_l("Choose a language from the list."))])


# ---------------------------------------------------------------- pages


def _settings_url() -> str:
    return url_for(".edit_settings", city_slug=g.city.slug)


def _page(form: FlagSettingsForm | None = None, term_form: TermForm | None = None,
          notice: str | None = None):  # noqa: ANN202
    current = services.settings_for(g.city)
    if form is None:
        form = FlagSettingsForm(formdata=None, data={
            name: str(getattr(current, name)) for name in services.SETTINGS})
    return render(
        "moderation/settings.html", fragment="moderation/_settings_terms.html",
        city=g.city, form=form, term_form=term_form or TermForm(formdata=None),
        terms=services.terms_of(g.city), MAX_TERMS=MAX_TERMS, notice=notice,
    # htmx swaps no 4xx answer: its panel comes back as a 200, with the message in it.
    ), 200 if wants_fragment() else form_status()


@bp.route(BASE, methods=["GET", "POST"])
@requires(can_manage_flags)
def edit_settings(city_slug: str):  # noqa: ANN201
    """The numbers of the automatic flags; below, the blocked terms."""
    form = FlagSettingsForm()
    if form.validate_on_submit():
        try:
            services.save_settings(current_user, g.city, **form.values())
        except SettingsError as error:
            show_refusal(form, error.field, error.message)
        else:
            flash(_("The settings were saved."), "success")
            return redirect_after_post(_settings_url())
    if not form.is_submitted():
        form = None
    return _page(form=form)


def _after_term_change(message: str):  # noqa: ANN202
    """htmx: the terms panel again, with the message; otherwise flash and back to the page."""
    if wants_fragment():
        return _page(notice=message)[0]
    flash(message, "success")
    return redirect_after_post(_settings_url() + "#terms-heading")


@bp.post(BASE + "/terms")
@requires(can_manage_flags)
def add_term(city_slug: str):  # noqa: ANN201
    """Add a blocked term."""
    form = TermForm()
    if form.validate_on_submit():
        try:
            entry = services.add_term(current_user, g.city, form.term.data, form.language.data)
        except SettingsError as error:
            show_refusal(form, error.field, error.message)
        else:
            return _after_term_change(_("“%(term)s” was added to the blocked terms.",
                                        term=entry.term))
    return _page(term_form=form)


@bp.post(BASE + "/terms/<int:term_id>/delete")
@requires(can_manage_flags)
def delete_term(city_slug: str, term_id: int):  # noqa: ANN201
    """Remove a blocked term (another city's term is a 404)."""
    entry = get_in_city_or_404(BlockedTerm, BlockedTerm.id == term_id)
    term = entry.term
    services.delete_term(current_user, g.city, entry)
    return _after_term_change(_("“%(term)s” was removed from the blocked terms.", term=term))
