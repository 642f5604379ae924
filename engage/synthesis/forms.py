"""The synthesis forms: a summary; the Climate City Contract (ambition and targets, an action with
its funding lines, a summary attached, a pledge decided); a pledge and its progress report."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from engage.cities.themes import theme_choices, theme_label
from engage.core.forms import MultiCheckboxField, strip
from engage.core.i18n import LANGUAGE_NAMES
from engage.synthesis.models import (
    ACTION_LEVERS,
    ACTION_STATUSES,
    BODY_MAX,
    CO_BENEFITS,
    CONTRACT_PARTS,
    FUNDING_SOURCES,
    TITLE_MAX,
    TOPIC_MAX,
)

CITATION_HINT = _l("Cite input with the picker, or type [[idea:12]], [[comment:45]], "
                   "[[answer:678]], [[observation:9]] or [[session:3]]: each becomes a link "
                   "with the quoted text. Only published input can be cited.")


class SummaryForm(FlaskForm):
    topic = StringField(_l("Topic (a theme or a question)"), filters=[strip],
                        validators=[Optional(), Length(max=TOPIC_MAX)])
    theme = SelectField(_l("Theme of the Climate City Contract"), choices=[],
                        validators=[Optional()])
    title_ro = StringField(_l("Title (Romanian)"), filters=[strip],
                           validators=[Optional(), Length(max=TITLE_MAX)])
    title_en = StringField(_l("Title (English)"), filters=[strip],
                           validators=[Optional(), Length(max=TITLE_MAX)])
    body_ro = TextAreaField(_l("Summary (Romanian, Markdown)"), filters=[strip],
                            validators=[Optional(), Length(max=BODY_MAX)])
    body_en = TextAreaField(_l("Summary (English, Markdown)"), filters=[strip],
                            validators=[Optional(), Length(max=BODY_MAX)])

    def set_themes(self, themes: list[str]) -> None:
        self.theme.choices = [("", _l("No theme"))] + [(t, theme_label(t)) for t in themes]

    def values(self) -> dict[str, str]:
        return {name: getattr(self, name).data or "" for name in
                ("topic", "theme", "title_ro", "title_en", "body_ro", "body_en")}


# contract management


class ContractForm(FlaskForm):
    """The contract's ambition and targets; the numbers are checked by `contract.update_contract`
    (one clear message each), so they are plain text inputs here."""

    ambition_ro = TextAreaField(_l("The city's ambition (Romanian, Markdown)"), filters=[strip],
                                render_kw={"rows": 8})
    ambition_en = TextAreaField(_l("The city's ambition (English, Markdown)"), filters=[strip],
                                render_kw={"rows": 8})
    target_year = StringField(_l("Target year"), filters=[strip],
                              render_kw={"inputmode": "numeric", "autocomplete": "off"})
    baseline_year = StringField(_l("Baseline year"), filters=[strip],
                                render_kw={"inputmode": "numeric", "autocomplete": "off"})
    baseline_t_co2e = StringField(_l("Emissions in the baseline year (t CO₂e)"),
                                  filters=[strip],
                                  render_kw={"inputmode": "decimal", "autocomplete": "off"})
    reduction_target_pct = StringField(_l("Reduction target (%)"), filters=[strip],
                                       render_kw={"inputmode": "numeric", "autocomplete": "off"})

    NAMES = ("ambition_ro", "ambition_en", "target_year", "baseline_year", "baseline_t_co2e",
             "reduction_target_pct")

    def values(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in self.NAMES}


class FundingLineForm(Form):
    """One funding line of an action: where the money comes from, how much, whether secured.
    A sub-form (no CSRF token of its own); blank lines are dropped by the service."""

    source = SelectField(_l("Source"), choices=[], validate_choice=False)
    amount_eur = StringField(_l("Amount (EUR)"), filters=[strip],
                             render_kw={"inputmode": "numeric", "autocomplete": "off"})
    secured = BooleanField(_l("Secured (approved, not only sought)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source.choices = [("", _l("— none —"))] + [
            (code, label) for code, label in FUNDING_SOURCES.items()]


FUNDING_BLANK_LINES = 4


class ActionForm(FlaskForm):
    """An action of the plan, every field; `contract.save_action` checks the values (one clear
    message on the field), so choices are not checked twice here."""

    domain = SelectField(_l("Domain"), choices=[], validate_choice=False)
    code = StringField(_l("Code"), filters=[strip],
                       render_kw={"autocomplete": "off", "maxlength": 20})
    title_ro = StringField(_l("Title (Romanian)"), filters=[strip],
                           render_kw={"maxlength": TITLE_MAX})
    title_en = StringField(_l("Title (English)"), filters=[strip],
                           render_kw={"maxlength": TITLE_MAX})
    description_ro = TextAreaField(_l("Description (Romanian, Markdown)"), filters=[strip],
                                   render_kw={"rows": 6})
    description_en = TextAreaField(_l("Description (English, Markdown)"), filters=[strip],
                                   render_kw={"rows": 6})
    lever = SelectField(_l("Lever"), choices=[], validate_choice=False)
    responsible = StringField(_l("Responsible body"), filters=[strip])
    start_year = StringField(_l("Start year"), filters=[strip],
                             render_kw={"inputmode": "numeric", "autocomplete": "off"})
    end_year = StringField(_l("End year"), filters=[strip],
                           render_kw={"inputmode": "numeric", "autocomplete": "off"})
    reduction_t_co2e = StringField(_l("Expected reduction (t CO₂e per year)"), filters=[strip],
                                   render_kw={"inputmode": "decimal", "autocomplete": "off"})
    co_benefits = MultiCheckboxField(_l("Co-benefits"), choices=[])
    cost_eur = StringField(_l("Cost (EUR)"), filters=[strip],
                           render_kw={"inputmode": "numeric", "autocomplete": "off"})
    funding = FieldList(FormField(FundingLineForm), min_entries=0, max_entries=40)
    indicators = TextAreaField(_l("Indicators (one per line)"), filters=[strip],
                               render_kw={"rows": 4})
    status = SelectField(_l("Status"), choices=[], validate_choice=False)
    progress_note = TextAreaField(_l("Progress note"), filters=[strip], render_kw={"rows": 3})

    NAMES = ("domain", "code", "title_ro", "title_en", "description_ro", "description_en",
             "lever", "responsible", "start_year", "end_year", "reduction_t_co2e", "cost_eur",
             "indicators", "status", "progress_note")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.domain.choices = theme_choices()
        self.lever.choices = list(ACTION_LEVERS.items())
        self.status.choices = list(ACTION_STATUSES.items())
        self.co_benefits.choices = [SelectChoice(code, label)
                                    for code, label in CO_BENEFITS.items()]

    def add_blank_lines(self, number: int = FUNDING_BLANK_LINES) -> None:
        for _ in range(number):
            self.funding.append_entry()

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {name: self[name].data or "" for name in self.NAMES}
        values["co_benefits"] = list(self.co_benefits.data or [])
        values["funding"] = [{"source": line.source.data or "",
                              "amount_eur": line.amount_eur.data or "",
                              "secured": bool(line.secured.data)}
                             for line in (entry.form for entry in self.funding)]
        return values


class AttachForm(FlaskForm):
    """Attach a published summary to a part of the contract, a domain, or an action."""

    summary_id = SelectField(_l("Summary"), choices=[], validate_choice=False)
    section = SelectField(_l("Part of the contract or domain"), choices=[],
                          validate_choice=False)
    action_id = SelectField(_l("Action (optional)"), choices=[], validate_choice=False)

    def set_choices(self, summaries: list[tuple[int, str]],
                    actions: list[tuple[int, str]]) -> None:
        self.summary_id.choices = [("", _l("— choose a summary —"))] + [
            (str(i), title) for i, title in summaries]
        self.section.choices = {
            "": [("", _l("— the action's domain —"))],
            str(_l("Parts")): [(code, label) for code, label in CONTRACT_PARTS.items()],
            str(_l("Domains of the action plan")): theme_choices(),
        }
        self.action_id.choices = [("", _l("— none —"))] + [
            (str(i), title) for i, title in actions]


class PledgeDecisionForm(FlaskForm):
    """Accept or decline a pending pledge; a decline says why (the service requires it)."""

    decision = StringField()
    note = TextAreaField(_l("Note to the organisation"), filters=[strip])


# pledges


def _language_choices() -> list[SelectChoice]:
    return [SelectChoice(value=code, label=name) for code, name in LANGUAGE_NAMES.items()]


class PledgeForm(FlaskForm):
    """A local organisation's pledge. Every value is checked by `contract.sign_pledge` (one
    clear message each), so the choices are not checked here a second time."""

    organisation = StringField(_l("Organisation"), filters=[strip])
    stakeholder_type = SelectField(_l("Kind of organisation"), choices=[],
                                   validate_choice=False)
    level = RadioField(_l("Level of the pledge"), choices=[], validate_choice=False)
    commitment = TextAreaField(_l("What the organisation commits to"), filters=[strip])
    language = SelectField(_l("Language of the text"), validate_choice=False,
                           choices=_language_choices())
    website = StringField(_l("Web site (optional)"), filters=[strip])
    reduction_t_co2e = StringField(_l("Expected reduction, t CO₂e per year (optional)"),
                                   filters=[strip])
    action_id = SelectField(_l("The contract's action it supports (optional)"), choices=[],
                            validate_choice=False)
    signatory_name = StringField(_l("Name of the person who signs"), filters=[strip])
    signatory_role = StringField(_l("Their role in the organisation (optional)"),
                                 filters=[strip])

    def set_choices(self, stakeholders: dict[str, Any], levels: dict[str, Any],
                    actions: list[tuple[int, str]]) -> None:
        self.stakeholder_type.choices = [SelectChoice(value="", label=_l("— choose —"))] + [
            SelectChoice(value=code, label=label) for code, label in stakeholders.items()]
        self.level.choices = [SelectChoice(value=code, label=label)
                              for code, label in levels.items()]
        self.action_id.choices = [SelectChoice(value="", label=_l("— none —"))] + [
            SelectChoice(value=str(i), label=title) for i, title in actions]

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name).data or "" for name in (
            "organisation", "stakeholder_type", "level", "commitment", "language", "website",
            "reduction_t_co2e", "action_id", "signatory_name", "signatory_role")}


class PledgeProgressForm(FlaskForm):
    """How far the organisation is with its pledge (checked by `contract.report_progress`)."""

    percent = StringField(_l("Progress, in per cent (0 to 100)"), filters=[strip])
    text = TextAreaField(_l("What was done"), filters=[strip])
    language = SelectField(_l("Language of the text"), validate_choice=False,
                           choices=_language_choices())

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name).data or "" for name in ("percent", "text", "language")}
