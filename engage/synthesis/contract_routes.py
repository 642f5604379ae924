"""The Climate City Contract's public pages, on the synthesis blueprint: the contract in its
three parts (commitments with the stakeholders' pledges, the action plan by domain, the
investment plan), each action with the citizens' input behind it, "you said, we did", and the
pledges: signing one, its page, its progress reports and its withdrawal by the signer; and the
contract as a document (`contract_export`): a printable page, a PDF and a Word file, in Romanian
or English.

Anybody reads a published contract; before it is published only the city's staff see it (with a
"draft" banner), everybody else gets a 404. The organisers' pages are in `contract_manage`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from flask import Response, abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from engage.accounts.models import STAKEHOLDER_TYPES
from engage.core import audit, citations
from engage.core.auth import login_required, public
from engage.core.forms import form_status, show_refusal
from engage.core.htmx import redirect_after_post
from engage.core.i18n import current_language, format_number, localized
from engage.core.markdown import render_markdown
from engage.core.pagecache import cached_page
from engage.core.tenancy import get_in_city_or_404
from engage.extensions import db, limiter
from engage.synthesis import contract as contracts
from engage.synthesis import contract_export
from engage.synthesis.contract_export import co2e, money, tonnes
from engage.synthesis.forms import PledgeForm, PledgeProgressForm
from engage.synthesis.models import (
    ACTION_LEVERS,
    ACTION_STATUSES,
    CO_BENEFITS,
    CONTRACT_PARTS,
    FUNDING_SOURCES,
    PLEDGE_LEVEL_HINTS,
    PLEDGE_LEVELS,
    PLEDGE_STATUSES,
    Contract,
    ContractAction,
    Pledge,
    SummaryCitation,
    SummaryVersion,
)
from engage.synthesis.routes import bp

PLEDGE_LIMIT = "10 per minute;40 per hour"  # signing, reporting, withdrawing: per person
# A PDF takes WeasyPrint a second or more: per person (or address), the page and Word file free.
PDF_LIMIT = "6 per minute;60 per hour"
EXCERPT_MAX = 220
LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+", re.MULTILINE)
SPACE_BEFORE_STOP = re.compile(r"\s+([.,;:!?])")
MARKUP = re.compile(r"[*_`#>|~]+|!?\[([^\]]*)\]\([^)]*\)")


# ---------------------------------------------------------------- helpers


def excerpt(version: SummaryVersion, limit: int = EXCERPT_MAX) -> tuple[str, str]:
    """(the first words of a summary's text, without Markdown or citation tags, in the page's
    language if it has it; that text's language)."""
    body = localized(version, "body")
    text = LIST_MARK.sub("", citations.CITATION.sub("", body.text))
    text = MARKUP.sub(lambda m: m.group(1) or "", text)
    text = SPACE_BEFORE_STOP.sub(r"\1", " ".join(text.split()))
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"
    return text, body.language


def _bases(version_ids: set[int]) -> dict[int, tuple[int, int, int]]:
    """{version id: (cited items, distinct authors, supports)}: one query for them all."""
    if not version_ids:
        return {}
    return {version_id: (items, people, int(supports or 0))
            for version_id, items, people, supports in db.session.execute(
                select(SummaryCitation.version_id, func.count(),
                       func.count(func.distinct(SummaryCitation.author_id)),
                       func.coalesce(func.sum(SummaryCitation.supports), 0))
                .where(SummaryCitation.version_id.in_(version_ids))
                .group_by(SummaryCitation.version_id))}


def _render(template: str, status: int = 200, **context: Any):  # noqa: ANN202
    page = render_template(
        template, city=g.city, money=money, tonnes=tonnes, co2e=co2e, fmt_number=format_number,
        section_label=contracts.section_label, CONTRACT_PARTS=CONTRACT_PARTS,
        ACTION_STATUSES=ACTION_STATUSES, ACTION_LEVERS=ACTION_LEVERS, CO_BENEFITS=CO_BENEFITS,
        FUNDING_SOURCES=FUNDING_SOURCES, PLEDGE_LEVELS=PLEDGE_LEVELS,
        PLEDGE_LEVEL_HINTS=PLEDGE_LEVEL_HINTS, PLEDGE_STATUSES=PLEDGE_STATUSES,
        STAKEHOLDER_TYPES=STAKEHOLDER_TYPES, **context)
    return page, status


def _contract(*, published: bool = False) -> Contract:
    """The URL city's contract, if the visitor may see it (published, or they are staff);
    with `published`, only once it is published (pledges open then)."""
    contract = contracts.contract_of(g.city)
    if not contracts.can_view_contract(current_user, contract):
        abort(404)
    if published and contract.status != "published":
        abort(404)
    return contract


def _rate_key() -> str:
    from flask_limiter.util import get_remote_address

    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def _action_title(action: ContractAction) -> str:
    return f"{action.code} {localized(action, 'title')}".strip()


@bp.app_template_global()
def public_contract_of(city: Any) -> Contract | None:
    """The city's contract once it is published (the city page links it): one query."""
    if city is None or getattr(city, "id", None) is None:
        return None
    return db.session.scalar(select(Contract).where(Contract.city_id == city.id,
                                                    Contract.status == "published"))


# ---------------------------------------------------------------- the contract


@bp.get("/<city_slug>/contract")
@public
@cached_page
def contract_page(city_slug: str):  # noqa: ANN201
    """Commitments (ambition, targets, pledges), the action plan by domain and the investment
    plan: a constant number of queries whatever the number of actions and pledges."""
    contract = _contract()
    by_domain = contracts.actions_by_domain(contract)
    found = contracts.evidence(contract)
    ambition = localized(contract, "ambition")
    target_t = None
    if contract.baseline_t_co2e is not None and contract.reduction_target_pct is not None:
        target_t = contract.baseline_t_co2e * (100 - contract.reduction_target_pct) / 100
    return _render(
        "synthesis/contract/contract.html", contract=contract, by_domain=by_domain,
        found=found, plan=contracts.investment_plan(contract),
        pledges=contracts.public_pledges(contract), ambition=ambition,
        ambition_html=render_markdown(ambition.text), target_t=target_t,
        can_edit=contracts.can_edit_contract(current_user, g.city))


@bp.get("/<city_slug>/contract/actions/<int:action_id>")
@public
@cached_page
def contract_action(city_slug: str, action_id: int):  # noqa: ANN201
    """Every field of an action, the summaries attached to it with what each rests on, the
    citizens' input behind it and the pledges that support it."""
    action = get_in_city_or_404(ContractAction, ContractAction.id == action_id)
    contract = _contract()
    if action.contract_id != contract.id:
        abort(404)
    item = contracts.evidence(contract).get((action.domain, action.id)) or contracts.Evidence()
    bases = _bases({version.id for _, version in item.summaries})
    pledges = list(db.session.scalars(
        select(Pledge).where(Pledge.action_id == action.id, Pledge.status == "published")
        .order_by(Pledge.id).options(selectinload(Pledge.progress))))
    description = localized(action, "description")
    return _render(
        "synthesis/contract/action.html", contract=contract, action=action, evidence=item,
        bases=bases, pledges=pledges, description=description,
        description_html=render_markdown(description.text))


# ---------------------------------------------------------------- the contract as a document


def _not_pdf() -> bool:
    return request.args.get("format", "html") != "pdf"


def _bad_choice(title: str, text: str):  # noqa: ANN202
    return render_template("errors/error.html", code=422, title=title, text=text), 422


@bp.get("/<city_slug>/contract/document")
@public
@cached_page
@limiter.limit(PDF_LIMIT, key_func=_rate_key, exempt_when=_not_pdf)
def contract_document(city_slug: str):  # noqa: ANN201
    """The contract as a document: `language` ro|en (default: the visitor's), `format` html (a
    page laid out for printing), pdf or word (Word-compatible HTML, `.doc`), both downloaded.
    Who may see the contract may download it; a draft's export is recorded in the audit log."""
    contract = _contract()
    language = request.args.get("language") or current_language()
    kind = request.args.get("format") or "html"
    if language not in contract_export.LANGUAGES:
        return _bad_choice(_("Unknown language"), _(
            "The contract is available in Romanian (language=ro) and English (language=en)."))
    if kind not in contract_export.FORMATS:
        return _bad_choice(_("Unknown format"), _(
            "The contract is available as a page (format=html), a PDF (format=pdf) or a Word "
            "document (format=word)."))
    if contract.status != "published":
        # A fixed, untranslated marker, as for the other exports.
        audit.record(current_user, "export", "contract", contract.id, g.city.id,
                     f"[anonymised] {kind}: contract draft ({language})")
    body = contract_export.render(contract, g.city, language, kind)
    response = Response(body, content_type="application/pdf" if kind == "pdf"
                        else "text/html; charset=utf-8")
    if kind != "html":
        name = contract_export.filename(g.city, language, kind)
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    if contract.status != "published":
        response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- you said, we did


@bp.get("/<city_slug>/you-said-we-did")
@public
@cached_page
def you_said_we_did(city_slug: str):  # noqa: ANN201
    """Per domain: what the summaries say people proposed, beside the actions the city took up,
    each linked to the other."""
    contract = _contract()
    entries = contracts.you_said_we_did(contract)
    actions = {action.id: action for action in contract.actions}
    # Which actions each summary shaped, within a domain (summary → action links).
    taken_up: dict[tuple[str, int], list[ContractAction]] = defaultdict(list)
    for (section, action_id), item in contracts.evidence(contract).items():
        if action_id in actions:
            for summary, _version in item.summaries:
                taken_up[(section, summary.id)].append(actions[action_id])
    versions = {version.id for entry in entries for _, version in entry.said}
    return _render(
        "synthesis/contract/you_said.html", contract=contract, entries=entries,
        taken_up=taken_up, bases=_bases(versions), excerpt=excerpt)


# ---------------------------------------------------------------- pledges


def _pledge_form(contract: Contract, form: PledgeForm | None = None) -> PledgeForm:
    form = form or PledgeForm()
    form.set_choices(contracts.PLEDGE_STAKEHOLDERS, PLEDGE_LEVELS,
                     [(a.id, _action_title(a)) for a in contract.actions
                      if a.status != "dropped"])
    return form


@bp.route("/<city_slug>/contract/pledge", methods=["GET", "POST"])
@login_required
@limiter.limit(PLEDGE_LIMIT, methods=["POST"], key_func=_rate_key)
def sign_pledge(city_slug: str):  # noqa: ANN201
    """A local organisation pledges to the city's goal; the city checks it before it is shown.
    The page also lists the signed-in person's pledges in this city."""
    contract = _contract(published=True)
    form = _pledge_form(contract)
    if not form.is_submitted():
        form.language.data = current_language()
        wanted = request.args.get("action", "")
        if wanted in {choice.value for choice in form.action_id.choices}:
            form.action_id.data = wanted
    elif form.validate():
        try:
            pledge = contracts.sign_pledge(contract, current_user, form.values())
        except contracts.ContractError as error:
            show_refusal(form, error.field, error.message)
        else:
            flash(_("Thank you: the city checks the pledge before it is shown."), "success")
            return redirect_after_post(url_for("synthesis.pledge_page", city_slug=city_slug,
                                               pledge_id=pledge.id))
    mine = [p for p in contracts.pledges_of(current_user) if p.contract_id == contract.id]
    return _render("synthesis/contract/pledge_form.html", form_status(), contract=contract,
                   form=form, mine=mine)


def _pledge(pledge_id: int) -> tuple[Contract, Pledge]:
    """A pledge of the URL city: public once published; before (or after) that, only its
    signer sees it."""
    pledge = get_in_city_or_404(Pledge, Pledge.id == pledge_id)
    contract = _contract()
    if pledge.contract_id != contract.id:
        abort(404)
    if pledge.status != "published" and not contracts.can_report(current_user, pledge):
        abort(404)
    return contract, pledge


def _pledge_response(contract: Contract, pledge: Pledge, progress_form=None,  # noqa: ANN001
                     status: int = 200, refusal: str | None = None):  # noqa: ANN202
    signer = contracts.can_report(current_user, pledge)
    if progress_form is None and signer:
        progress_form = PledgeProgressForm(formdata=None)
        progress_form.language.data = current_language()
    return _render("synthesis/contract/pledge.html", status, contract=contract, pledge=pledge,
                   signer=signer, progress_form=progress_form, refusal=refusal)


@bp.get("/<city_slug>/contract/pledges/<int:pledge_id>")
@public
def pledge_page(city_slug: str, pledge_id: int):  # noqa: ANN201
    contract, pledge = _pledge(pledge_id)
    return _pledge_response(contract, pledge)


@bp.post("/<city_slug>/contract/pledges/<int:pledge_id>/progress")
@login_required
@limiter.limit(PLEDGE_LIMIT, methods=["POST"], key_func=_rate_key)
def report_pledge_progress(city_slug: str, pledge_id: int):  # noqa: ANN201
    contract, pledge = _pledge(pledge_id)
    if not contracts.can_report(current_user, pledge):
        abort(403)
    form = PledgeProgressForm()
    if form.validate():
        try:
            contracts.report_progress(pledge, current_user, form.values())
        except contracts.ContractError as error:
            show_refusal(form, error.field, error.message)
        else:
            flash(_("Thank you: the progress is published with the pledge."), "success")
            return redirect_after_post(url_for("synthesis.pledge_page", city_slug=city_slug,
                                               pledge_id=pledge.id))
    return _pledge_response(contract, pledge, form, 422)


@bp.post("/<city_slug>/contract/pledges/<int:pledge_id>/withdraw")
@login_required
@limiter.limit(PLEDGE_LIMIT, methods=["POST"], key_func=_rate_key)
def withdraw_pledge(city_slug: str, pledge_id: int):  # noqa: ANN201
    contract, pledge = _pledge(pledge_id)
    if not contracts.can_report(current_user, pledge):
        abort(403)
    try:
        contracts.withdraw_pledge(pledge, current_user)
    except contracts.ContractError as error:
        return _pledge_response(contract, pledge, status=422, refusal=str(error.message))
    flash(_("The pledge is withdrawn."), "success")
    return redirect_after_post(url_for("synthesis.pledge_page", city_slug=city_slug,
                                       pledge_id=pledge.id))
