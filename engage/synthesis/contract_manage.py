"""The organisers' pages of the city's Climate City Contract: the ambition and targets, publish
or take back to draft, the action plan (add, edit, delete an action with its funding lines and
co-benefits), the investment plan's totals, the published summaries attached to parts, domains
and actions, and the check of pending pledges.

The city's organisers (and admins) only (`@requires(is_city_organiser)`): its moderators get 403,
anonymous visitors are sent to log in. Each write is one service call (`synthesis.contract`); a
refusal (`ContractError`) answers 422 with the page and the message on its field (the request's
transaction is rolled back, nothing is kept), a success a redirect (303, or `HX-Location`).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.routing import BuildError

from engage.cities.permissions import is_city_organiser
from engage.cities.themes import THEMES
from engage.core.auth import requires
from engage.core.forms import form_status, show_refusal
from engage.core.htmx import redirect_after_post
from engage.core.i18n import format_number, localized
from engage.core.tenancy import get_in_city_or_404
from engage.extensions import db
from engage.synthesis import contract as services
from engage.synthesis.contract import ContractError
from engage.synthesis.forms import ActionForm, AttachForm, ContractForm, PledgeDecisionForm
from engage.synthesis.models import (
    ACTION_LEVERS,
    ACTION_STATUSES,
    CO_BENEFITS,
    CONTRACT_PARTS,
    FUNDING_SOURCES,
    PLEDGE_LEVELS,
    Contract,
    ContractAction,
    Pledge,
)
from engage.synthesis.routes import bp

BASE = "/<city_slug>/manage/contract"


def _manage_url(anchor: str = "") -> str:
    return url_for("synthesis.manage_contract", city_slug=g.city.slug) + anchor


def _contract() -> Contract:
    """The city's contract, created as an empty draft on the first visit; its actions and their
    funding lines loaded in two queries whatever their number."""
    contract = services.ensure_contract(g.city)
    actions = list(db.session.scalars(
        select(ContractAction).where(ContractAction.contract_id == contract.id)
        .options(selectinload(ContractAction.funding))
        .order_by(ContractAction.domain, ContractAction.position, ContractAction.id)))
    set_committed_value(contract, "actions", actions)
    return contract


def _action_label(action: ContractAction) -> str:
    return f"{action.code} {localized(action, 'title')}".strip()


def _public_url() -> str | None:
    """The public contract page (its routes live in `contract_routes`, registered apart)."""
    try:
        return url_for("synthesis.contract_page", city_slug=g.city.slug)
    except BuildError:
        return None


def _contract_form(contract: Contract) -> ContractForm:
    return ContractForm(formdata=None, data={
        "ambition_ro": contract.ambition_ro, "ambition_en": contract.ambition_en,
        "target_year": str(contract.target_year or ""),
        "baseline_year": str(contract.baseline_year or ""),
        "baseline_t_co2e": "" if contract.baseline_t_co2e is None
        else format_number(contract.baseline_t_co2e, 1).replace(" ", ""),
        "reduction_target_pct": "" if contract.reduction_target_pct is None
        else str(contract.reduction_target_pct)})


def _page(contract: Contract, *, form: ContractForm | None = None,
          attach_form: AttachForm | None = None, decision: tuple[int, Any] | None = None,
          publish_error: str | None = None):  # noqa: ANN202
    """The manage page; a refused form comes back with its errors (422 after a POST)."""
    actions = list(contract.actions)
    by_domain = services.actions_by_domain(contract)
    found = services.evidence(contract)
    links = services.links_of(contract)
    attachable = services.attachable_summaries(contract)
    versions = services._public_versions({s.id for s in attachable}
                                         | {link.summary_id for link in links})
    titles = {summary_id: (version.title_ro or version.title_en)
              for summary_id, version in versions.items()}
    if attach_form is None:
        attach_form = AttachForm(formdata=None)
    attach_form.set_choices([(s.id, titles.get(s.id) or f"#{s.id}") for s in attachable],
                            [(a.id, _action_label(a)) for a in actions])
    by_id = {action.id: action for action in actions}
    # The attached summaries by place: the parts, then the domains, each domain's own links
    # before its actions'.
    order = [*CONTRACT_PARTS, *THEMES]
    links = sorted(links, key=lambda link: (
        order.index(link.section) if link.section in order else len(order),
        link.action_id is not None,
        by_id[link.action_id].position if link.action_id in by_id else 0,
        link.action_id or 0, link.id))
    pledges = services.pending_pledges(contract)
    decision_forms = {}
    # A refusal about a pledge no longer pending (decided meanwhile) is shown above the list.
    pledge_errors: list[str] = []
    if decision is not None and decision[0] not in {p.id for p in pledges}:
        pledge_errors = list(dict.fromkeys(
            str(m) for errors in decision[1].errors.values() for m in errors
            if isinstance(m, str)))
    for pledge in pledges:
        if decision is not None and decision[0] == pledge.id:
            decision_forms[pledge.id] = decision[1]
        else:
            decision_forms[pledge.id] = PledgeDecisionForm(formdata=None)
    return render_template(
        "synthesis/contract/manage.html", city=g.city, contract=contract,
        form=form or _contract_form(contract), attach_form=attach_form,
        by_domain=by_domain, evidence=found, plan=services.investment_plan(contract),
        links=links, titles=titles, actions_by_id=by_id, pledges=pledges,
        decision_forms=decision_forms, pledge_errors=pledge_errors,
        publish_error=publish_error,
        section_label=services.section_label, THEMES=THEMES, CONTRACT_PARTS=CONTRACT_PARTS,
        ACTION_STATUSES=ACTION_STATUSES, FUNDING_SOURCES=FUNDING_SOURCES,
        PLEDGE_LEVELS=PLEDGE_LEVELS, fmt=format_number, public_url=_public_url(),
    ), form_status()


# ---------------------------------------------------------------- the contract


@bp.route(BASE, methods=["GET", "POST"])
@requires(is_city_organiser)
def manage_contract(city_slug: str):  # noqa: ANN201
    """The contract's management page; POST saves the ambition and the targets."""
    contract = _contract()
    if request.method == "GET":
        return _page(contract)
    form = ContractForm()
    if form.validate_on_submit():
        try:
            services.update_contract(contract, current_user, form.values())
        except ContractError as error:
            show_refusal(form, error.field, error.message)
        else:
            flash(_("The contract was saved."), "success")
            return redirect_after_post(_manage_url())
    return _page(contract, form=form)


@bp.post(BASE + "/publish")
@requires(is_city_organiser)
def publish_contract(city_slug: str):  # noqa: ANN201
    """`published=1` publishes the draft, `published=0` takes it back to draft."""
    contract = _contract()
    published = request.form.get("published") == "1"
    try:
        services.set_published(contract, current_user, published)
    except ContractError as error:
        return _page(contract, publish_error=str(error.message))
    flash(_("The contract is published: everybody can read it.") if published
          else _("The contract is back to draft: only the city's staff see it."), "success")
    return redirect_after_post(_manage_url())


# ---------------------------------------------------------------- actions


def _action_page(contract: Contract, form: ActionForm, action: ContractAction | None):  # noqa: ANN202
    return render_template(
        "synthesis/contract/manage_action.html", city=g.city, contract=contract, form=form,
        action=action, FUNDING_SOURCES=FUNDING_SOURCES, ACTION_LEVERS=ACTION_LEVERS,
        CO_BENEFITS=CO_BENEFITS), form_status()


def _save_action(contract: Contract, action: ContractAction | None):  # noqa: ANN202
    form = ActionForm()
    if form.validate_on_submit():
        try:
            saved = services.save_action(contract, current_user, form.values(), action)
        except ContractError as error:
            show_refusal(form, error.field, error.message)
        else:
            flash(_("The action %(code)s was saved.", code=saved.code), "success")
            return redirect_after_post(_manage_url(f"#action-{saved.id}"))
    return _action_page(contract, form, action)


@bp.route(BASE + "/actions/new", methods=["GET", "POST"])
@requires(is_city_organiser)
def new_action(city_slug: str):  # noqa: ANN201
    contract = _contract()
    if request.method == "POST":
        return _save_action(contract, None)
    form = ActionForm(formdata=None, data={
        "domain": request.args.get("domain") if request.args.get("domain") in THEMES
        else "energy", "lever": "investment", "status": "planned"})
    form.add_blank_lines()
    return _action_page(contract, form, None)


def _action(contract: Contract, action_id: int) -> ContractAction:
    action = get_in_city_or_404(ContractAction, ContractAction.id == action_id)
    if action.contract_id != contract.id:
        abort(404)
    return action


@bp.route(BASE + "/actions/<int:action_id>", methods=["GET", "POST"])
@requires(is_city_organiser)
def edit_action(city_slug: str, action_id: int):  # noqa: ANN201
    contract = _contract()
    action = _action(contract, action_id)
    if request.method == "POST":
        return _save_action(contract, action)
    data = {name: getattr(action, name) for name in ActionForm.NAMES}
    for name in ("start_year", "end_year", "cost_eur"):
        data[name] = "" if data[name] is None else str(data[name])
    data["reduction_t_co2e"] = "" if action.reduction_t_co2e is None \
        else f"{action.reduction_t_co2e:g}"
    data["co_benefits"] = list(action.co_benefits or [])
    data["funding"] = [{"source": line.source, "amount_eur": str(line.amount_eur),
                        "secured": line.secured} for line in action.funding]
    form = ActionForm(formdata=None, data=data)
    form.add_blank_lines()
    return _action_page(contract, form, action)


@bp.post(BASE + "/actions/<int:action_id>/delete")
@requires(is_city_organiser)
def delete_action(city_slug: str, action_id: int):  # noqa: ANN201
    contract = _contract()
    action = _action(contract, action_id)
    code = action.code
    services.delete_action(action, current_user)
    flash(_("The action %(code)s was deleted.", code=code), "success")
    return redirect_after_post(_manage_url("#action-plan-heading"))


# ---------------------------------------------------------------- summaries attached


@bp.post(BASE + "/links")
@requires(is_city_organiser)
def attach_summary(city_slug: str):  # noqa: ANN201
    contract = _contract()
    form = AttachForm()
    if form.validate_on_submit():
        try:
            services.attach_summary(contract, current_user, form.summary_id.data,
                                    form.section.data, form.action_id.data)
        except ContractError as error:
            show_refusal(form, error.field, error.message)
        else:
            flash(_("The summary was attached."), "success")
            return redirect_after_post(_manage_url("#summaries-heading"))
    return _page(contract, attach_form=form)


@bp.post(BASE + "/links/<int:link_id>/delete")
@requires(is_city_organiser)
def detach_summary(city_slug: str, link_id: int):  # noqa: ANN201
    contract = _contract()
    try:
        services.detach_summary(contract, current_user, link_id)
    except ContractError:
        abort(404)  # another contract's link, or one already removed
    flash(_("The summary was detached."), "success")
    return redirect_after_post(_manage_url("#summaries-heading"))


# ---------------------------------------------------------------- pledges


@bp.post(BASE + "/pledges/<int:pledge_id>")
@requires(is_city_organiser)
def decide_pledge(city_slug: str, pledge_id: int):  # noqa: ANN201
    """`decision=accept` publishes the pledge; `decision=decline` refuses it with a note."""
    contract = _contract()
    pledge = get_in_city_or_404(Pledge, Pledge.id == pledge_id)
    if pledge.contract_id != contract.id:
        abort(404)
    form = PledgeDecisionForm()
    if form.validate_on_submit():
        accept = form.decision.data == "accept"
        if form.decision.data not in ("accept", "decline"):
            form.form_errors.append(_("Accept or decline the pledge."))
        else:
            try:
                services.decide_pledge(pledge, current_user, accept, form.note.data or "")
            except ContractError as error:
                show_refusal(form, error.field, error.message)
            else:
                flash(_("The pledge of %(name)s is published.", name=pledge.organisation)
                      if accept else _("The pledge of %(name)s was declined.",
                                       name=pledge.organisation), "success")
                return redirect_after_post(_manage_url("#pledges-heading"))
    return _page(contract, decision=(pledge.id, form))
