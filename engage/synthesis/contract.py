"""The Climate City Contract draft's services: the city's ambition and targets, the action plan
by domain, the investment plan summed by funding source, the pledges of local stakeholders and
their progress reports, the published summaries attached to parts and actions, the citizens'
input behind each action, and "you said, we did".

Who does what: the city's organisers (and admins) write the contract, attach summaries and check
pledges (`can_edit_contract`); anybody reads it once published (`can_view_contract`); a signed-in
person signs a pledge for an organisation, and later reports its progress or withdraws it.

The evidence behind an action is read from the summaries attached to it: the citations of each
summary's public (newest published) version, counted once per cited item across summaries.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from engage.accounts.models import STAKEHOLDER_TYPES
from engage.cities.models import City
from engage.cities.permissions import is_city_organiser, is_city_staff
from engage.cities.themes import THEMES
from engage.core import citations
from engage.core.citations import CitedIn
from engage.core.db import utcnow
from engage.core.i18n import localized
from engage.core.refusal import Refusal
from engage.extensions import db
from engage.processes.models import PUBLIC_STATUSES, Process
from engage.synthesis.models import (
    ACTION_LEVERS,
    ACTION_STATUSES,
    AMBITION_MAX,
    CO_BENEFITS,
    CONTRACT_PARTS,
    DESCRIPTION_MAX,
    FUNDING_SOURCES,
    ORGANISATION_MAX,
    PLEDGE_LEVELS,
    PLEDGE_TEXT_MAX,
    TITLE_MAX,
    ActionFunding,
    Contract,
    ContractAction,
    ContractLink,
    Pledge,
    PledgeProgress,
    Summary,
    SummaryCitation,
    SummaryVersion,
)

YEAR_MIN, YEAR_MAX = 1990, 2100
EMISSIONS_MAX = 1e9  # t CO₂e: far above any city's yearly emissions
COST_MAX = 10**12  # EUR
FUNDING_LINES_MAX = 12
INDICATORS_MAX = 5_000
PROGRESS_TEXT_MAX = 2_000
PENDING_PLEDGES_MAX = 5  # per person, so one account cannot flood the city's check
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
# Organisations sign pledges: every stakeholder type but the individual citizen.
PLEDGE_STAKEHOLDERS = {code: label for code, label in STAKEHOLDER_TYPES.items()
                       if code != "citizen"}
DOMAIN_PREFIX = {"energy": "EN", "buildings": "BLD", "mobility": "MOB", "waste": "WST",
                 "nature": "NAT", "adaptation": "ADP", "governance": "GOV", "other": "OTH"}


class ContractError(Refusal):
    """A contract change refused: the message (lazy, in the reader's language) and the field."""


# ---------------------------------------------------------------- permissions


def can_edit_contract(user: Any, city: Any) -> bool:
    """The city's organisers (and admins) write its contract and check its pledges."""
    return is_city_organiser(user, city)


def can_view_contract(user: Any, contract: Contract | None) -> bool:
    """Everybody once it is published; before that, the city's staff."""
    if contract is None:
        return False
    return contract.status == "published" or is_city_staff(user, contract_city(contract))


def contract_city(contract: Contract) -> City:
    return db.session.get(City, contract.city_id)


# ---------------------------------------------------------------- the contract


def contract_of(city: Any) -> Contract | None:
    return db.session.scalar(select(Contract).where(Contract.city_id == city.id))


def ensure_contract(city: Any) -> Contract:
    """The city's contract, created as an empty draft the first time an organiser opens it."""
    contract = contract_of(city)
    if contract is None:
        contract = Contract(city_id=city.id)
        db.session.add(contract)
        db.session.flush()
    return contract


def _text(values: dict[str, Any], name: str, limit: int, message: Any) -> str:
    text = str(values.get(name) or "").strip()
    if len(text) > limit:
        raise ContractError(message, name)
    return text


def _number(values: dict[str, Any], name: str, low: float, high: float, message: Any, *,
            integer: bool = True) -> Any:
    """An optional number within [low, high]; empty is None; anything else is refused."""
    raw = values.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        number = float(str(raw).strip().replace(",", ".")) if isinstance(raw, str) \
            else float(raw)
    except (TypeError, ValueError):
        raise ContractError(message, name) from None
    if number != number or not low <= number <= high:  # NaN, or out of range
        raise ContractError(message, name)
    if integer:
        if number != int(number):
            raise ContractError(message, name)
        return int(number)
    return round(number, 1)


def update_contract(contract: Contract, actor: Any, values: dict[str, Any]) -> Contract:
    """The ambition (ro/en Markdown) and the targets: target year, baseline year and emissions,
    reduction target in per cent."""
    if not can_edit_contract(actor, contract_city(contract)):
        raise ContractError(_l("Only the city's organisers edit its contract."))
    too_long = _l("The text is too long (at most %(limit)s characters).", limit=AMBITION_MAX)
    ambition_ro = _text(values, "ambition_ro", AMBITION_MAX, too_long)
    ambition_en = _text(values, "ambition_en", AMBITION_MAX, too_long)
    target_year = _number(values, "target_year", 2025, YEAR_MAX,
                          _l("The target year must be between 2025 and 2100."))
    baseline_year = _number(values, "baseline_year", YEAR_MIN, YEAR_MAX,
                            _l("The baseline year must be between 1990 and 2100."))
    if baseline_year is not None and baseline_year >= (target_year or contract.target_year):
        raise ContractError(_l("The baseline year must come before the target year."),
                            "baseline_year")
    baseline = _number(values, "baseline_t_co2e", 0, EMISSIONS_MAX,
                       _l("The baseline emissions must be a number of tonnes of CO₂e, 0 or "
                          "more."), integer=False)
    target_pct = _number(values, "reduction_target_pct", 0, 100,
                         _l("The reduction target is a whole number of per cent, 0 to 100."))
    contract.ambition_ro, contract.ambition_en = ambition_ro, ambition_en
    contract.target_year = target_year or contract.target_year
    contract.baseline_year, contract.baseline_t_co2e = baseline_year, baseline
    contract.reduction_target_pct = target_pct
    db.session.flush()
    return contract


def set_published(contract: Contract, actor: Any, published: bool) -> Contract:
    """Publish the draft (the public sees it from then on, as a living document) or take it
    back to draft."""
    if not can_edit_contract(actor, contract_city(contract)):
        raise ContractError(_l("Only the city's organisers edit its contract."))
    if published:
        if not (contract.ambition_ro or contract.ambition_en):
            raise ContractError(_l("Write the city's ambition before publishing the contract."),
                                "ambition_ro")
        contract.status = "published"
        contract.published_at = contract.published_at or utcnow()
    else:
        contract.status = "draft"
    db.session.flush()
    return contract


# ---------------------------------------------------------------- actions


def _choice(values: dict[str, Any], name: str, choices: dict[str, Any], message: Any) -> str:
    value = str(values.get(name) or "").strip()
    if value not in choices:
        raise ContractError(message, name)
    return value


def _funding(values: dict[str, Any], cost: int | None) -> list[tuple[str, int, bool]]:
    """`values["funding"]`: a list of {source, amount_eur, secured}; blank lines are dropped."""
    lines = []
    for line in values.get("funding") or []:
        source = str(line.get("source") or "").strip()
        amount = line.get("amount_eur")
        if not source and (amount is None or str(amount).strip() == ""):
            continue
        if source not in FUNDING_SOURCES:
            raise ContractError(_l("Choose where each part of the money comes from."), "funding")
        number = _number({"amount": amount}, "amount", 0, COST_MAX,
                         _l("Each amount is a whole number of euros, 0 or more."))
        if number is None:
            raise ContractError(_l("Each amount is a whole number of euros, 0 or more."),
                                "funding")
        lines.append((source, number, bool(line.get("secured"))))
    if len(lines) > FUNDING_LINES_MAX:
        raise ContractError(_l("At most %(limit)s funding lines per action.",
                               limit=FUNDING_LINES_MAX), "funding")
    if cost is not None and sum(amount for _, amount, _ in lines) > cost:
        raise ContractError(_l("The funding adds up to more than the action's cost."), "funding")
    return lines


def _next_code(contract: Contract, domain: str, action: ContractAction) -> str:
    """The domain's next free code ("MOB-3"): its number of other actions + 1, or more."""
    prefix = DOMAIN_PREFIX.get(domain, "ACT")
    others = [a for a in contract.actions if a is not action]
    taken = {a.code for a in others}
    number = 1 + sum(1 for a in others if a.domain == domain)
    while f"{prefix}-{number}" in taken:
        number += 1
    return f"{prefix}-{number}"


def save_action(contract: Contract, actor: Any, values: dict[str, Any],
                action: ContractAction | None = None) -> ContractAction:
    """Add an action to the plan, or change `action`: every field checked before anything is
    written. `values`: domain, code, title_ro/en, description_ro/en, lever, responsible,
    start_year, end_year, reduction_t_co2e, co_benefits (codes), cost_eur, funding (lines),
    indicators (one per line), status, progress_note."""
    if not can_edit_contract(actor, contract_city(contract)):
        raise ContractError(_l("Only the city's organisers edit its contract."))
    if action is not None and action.contract_id != contract.id:
        raise ContractError(_l("This action belongs to another contract."))
    domain = _choice(values, "domain", THEMES, _l("Choose the action's domain."))
    title_too_long = _l("The title is too long (at most %(limit)s characters).",
                        limit=TITLE_MAX)
    title_ro = _text(values, "title_ro", TITLE_MAX, title_too_long)
    title_en = _text(values, "title_en", TITLE_MAX, title_too_long)
    if not (title_ro or title_en):
        raise ContractError(_l("Give the action a title in Romanian or in English."),
                            "title_ro")
    description_too_long = _l("The description is too long (at most %(limit)s characters).",
                              limit=DESCRIPTION_MAX)
    description_ro = _text(values, "description_ro", DESCRIPTION_MAX, description_too_long)
    description_en = _text(values, "description_en", DESCRIPTION_MAX, description_too_long)
    code = str(values.get("code") or "").strip()
    if code and not CODE.match(code):
        raise ContractError(_l("The code has at most 20 letters, digits, dots or dashes, "
                               "e.g. MOB-3."), "code")
    if code and any(a.code.lower() == code.lower() for a in contract.actions
                    if a is not action):
        raise ContractError(_l("Another action already has this code."), "code")
    lever = _choice(values, "lever", ACTION_LEVERS, _l("Choose the action's lever."))
    responsible = _text(values, "responsible", ORGANISATION_MAX,
                        _l("The responsible body's name is too long (at most %(limit)s "
                           "characters).", limit=ORGANISATION_MAX))
    year_message = _l("A year between 1990 and 2100.")
    start_year = _number(values, "start_year", YEAR_MIN, YEAR_MAX, year_message)
    end_year = _number(values, "end_year", YEAR_MIN, YEAR_MAX, year_message)
    if start_year is not None and end_year is not None and end_year < start_year:
        raise ContractError(_l("The action cannot end before it starts."), "end_year")
    reduction = _number(values, "reduction_t_co2e", 0, EMISSIONS_MAX,
                        _l("The expected reduction is a number of tonnes of CO₂e per year, "
                           "0 or more."), integer=False)
    benefits = [str(b) for b in values.get("co_benefits") or []]
    if any(b not in CO_BENEFITS for b in benefits):
        raise ContractError(_l("Choose co-benefits from the list."), "co_benefits")
    cost = _number(values, "cost_eur", 0, COST_MAX,
                   _l("The cost is a whole number of euros, 0 or more."))
    funding = _funding(values, cost)
    indicators = _text(values, "indicators", INDICATORS_MAX,
                       _l("The indicators are too long (at most %(limit)s characters).",
                          limit=INDICATORS_MAX))
    status = _choice(values, "status", ACTION_STATUSES, _l("Choose the action's status."))
    progress_note = _text(values, "progress_note", DESCRIPTION_MAX, description_too_long)

    if action is None:
        action = ContractAction(contract=contract, city_id=contract.city_id, domain="",
                                position=len(contract.actions))
        db.session.add(action)
    if not code:
        code = action.code if action.code and action.domain == domain \
            else _next_code(contract, domain, action)
    action.domain, action.code = domain, code
    action.title_ro, action.title_en = title_ro, title_en
    action.description_ro, action.description_en = description_ro, description_en
    action.lever, action.responsible = lever, responsible
    action.start_year, action.end_year = start_year, end_year
    action.reduction_t_co2e = reduction
    action.co_benefits = sorted(set(benefits), key=list(CO_BENEFITS).index)
    action.cost_eur = cost
    action.indicators = "\n".join(line.strip() for line in indicators.splitlines()
                                  if line.strip())
    action.status, action.progress_note = status, progress_note
    action.funding.clear()
    for source, amount, secured in funding:
        action.funding.append(ActionFunding(source=source, amount_eur=amount, secured=secured))
    db.session.flush()
    # Links of the action follow it into its (new) domain.
    for link in db.session.scalars(select(ContractLink).where(ContractLink.action_id
                                                               == action.id)):
        link.section = domain
    return action


def delete_action(action: ContractAction, actor: Any) -> None:
    if not can_edit_contract(actor, contract_city(action.contract)):
        raise ContractError(_l("Only the city's organisers edit its contract."))
    db.session.delete(action)
    db.session.flush()


def actions_by_domain(contract: Contract) -> dict[str, list[ContractAction]]:
    """The actions in the order of the domains (`THEMES`), then by position."""
    grouped: dict[str, list[ContractAction]] = {code: [] for code in THEMES}
    for action in contract.actions:
        grouped.setdefault(action.domain, []).append(action)
    return {code: actions for code, actions in grouped.items() if actions}


# ---------------------------------------------------------------- the investment plan


@dataclass
class FundingRow:
    source: str
    amount: int = 0
    secured: int = 0
    actions: int = 0

    @property
    def label(self) -> str:
        return str(FUNDING_SOURCES.get(self.source, self.source))


@dataclass
class InvestmentPlan:
    rows: list[FundingRow] = field(default_factory=list)
    cost: int = 0  # of the actions that name one
    funded: int = 0
    secured: int = 0
    unknown_cost: int = 0  # actions without a cost
    by_domain: dict[str, dict[str, int]] = field(default_factory=dict)  # domain → {cost, funded}
    reduction: float = 0.0  # expected, t CO₂e per year, summed over the actions

    @property
    def gap(self) -> int:
        return max(self.cost - self.funded, 0)


def investment_plan(contract: Contract) -> InvestmentPlan:
    """The actions' funding summed by source (dropped actions left out), with the cost, what is
    funded and secured, the gap, and the same by domain: two queries."""
    plan = InvestmentPlan()
    live = ContractAction.status != "dropped"
    for source, amount, secured, actions in db.session.execute(
        select(ActionFunding.source, func.sum(ActionFunding.amount_eur),
               func.sum(ActionFunding.amount_eur).filter(ActionFunding.secured.is_(True)),
               func.count(func.distinct(ActionFunding.action_id)))
        .join(ContractAction, ContractAction.id == ActionFunding.action_id)
        .where(ContractAction.contract_id == contract.id, live)
        .group_by(ActionFunding.source)):
        plan.rows.append(FundingRow(source=source, amount=int(amount or 0),
                                    secured=int(secured or 0), actions=actions))
    order = list(FUNDING_SOURCES)
    plan.rows.sort(key=lambda row: (-row.amount, order.index(row.source)
                                    if row.source in order else len(order)))
    plan.funded = sum(row.amount for row in plan.rows)
    plan.secured = sum(row.secured for row in plan.rows)
    funded_by_action = dict(db.session.execute(
        select(ActionFunding.action_id, func.sum(ActionFunding.amount_eur))
        .join(ContractAction, ContractAction.id == ActionFunding.action_id)
        .where(ContractAction.contract_id == contract.id, live)
        .group_by(ActionFunding.action_id)).all())
    for action in contract.actions:
        if action.status == "dropped":
            continue
        domain = plan.by_domain.setdefault(action.domain, {"cost": 0, "funded": 0, "actions": 0})
        domain["actions"] += 1
        domain["funded"] += int(funded_by_action.get(action.id) or 0)
        if action.cost_eur is None:
            plan.unknown_cost += 1
        else:
            plan.cost += action.cost_eur
            domain["cost"] += action.cost_eur
        plan.reduction += action.reduction_t_co2e or 0.0
    order_domains = list(THEMES)
    plan.by_domain = dict(sorted(plan.by_domain.items(),
                                 key=lambda item: order_domains.index(item[0])
                                 if item[0] in order_domains else len(order_domains)))
    return plan


# ---------------------------------------------------------------- summaries attached


def section_label(section: str) -> str:
    return str(CONTRACT_PARTS.get(section) or THEMES.get(section) or section)


def attachable_summaries(contract: Contract) -> list[Summary]:
    """The city's published summaries, of its public processes, newest first."""
    return list(db.session.scalars(
        select(Summary).join(Process, Process.id == Summary.process_id)
        .where(Summary.city_id == contract.city_id, Summary.status == "published",
               Process.status.in_(PUBLIC_STATUSES))
        .order_by(Summary.id.desc())))


def attach_summary(contract: Contract, actor: Any, summary_id: Any, section: str | None,
                   action_id: Any = None) -> ContractLink:
    """Attach a published summary of the city to a part of the contract, a domain of the
    action plan, or an action (whose domain is then the section)."""
    if not can_edit_contract(actor, contract_city(contract)):
        raise ContractError(_l("Only the city's organisers edit its contract."))
    summary = None
    if str(summary_id or "").isdigit():
        summary = db.session.get(Summary, int(summary_id))
    if summary is None or summary.city_id != contract.city_id:
        raise ContractError(_l("Choose one of the city's summaries."), "summary_id")
    if summary.status != "published" or summary.process.status not in PUBLIC_STATUSES:
        raise ContractError(_l("Only a published summary can be attached to the contract."),
                            "summary_id")
    action = None
    if action_id not in (None, ""):
        if str(action_id).isdigit():
            action = db.session.get(ContractAction, int(action_id))
        if action is None or action.contract_id != contract.id:
            raise ContractError(_l("Choose one of this contract's actions."), "action_id")
        section = action.domain
    section = str(section or "").strip()
    if section not in CONTRACT_PARTS and section not in THEMES:
        raise ContractError(_l("Choose the part of the contract the summary shaped."),
                            "section")
    exists = db.session.scalar(select(ContractLink.id).where(
        ContractLink.summary_id == summary.id, ContractLink.section == section,
        ContractLink.action_id == (action.id if action else None)
        if action else ContractLink.action_id.is_(None)))
    if exists:
        raise ContractError(_l("This summary is already attached there."), "summary_id")
    link = ContractLink(contract_id=contract.id, summary_id=summary.id, section=section,
                        action_id=action.id if action else None,
                        created_by_id=getattr(actor, "id", None))
    db.session.add(link)
    db.session.flush()
    return link


def detach_summary(contract: Contract, actor: Any, link_id: Any) -> None:
    if not can_edit_contract(actor, contract_city(contract)):
        raise ContractError(_l("Only the city's organisers edit its contract."))
    link = db.session.get(ContractLink, int(link_id)) if str(link_id).isdigit() else None
    if link is None or link.contract_id != contract.id:
        raise ContractError(_l("This summary is not attached to the contract."))
    db.session.delete(link)
    db.session.flush()


def links_of(contract: Contract) -> list[ContractLink]:
    return list(db.session.scalars(
        select(ContractLink).where(ContractLink.contract_id == contract.id)
        .order_by(ContractLink.id)))


# ---------------------------------------------------------------- the input behind it


@dataclass
class Evidence:
    """The citizens' input behind a part or an action: the summaries attached (with their
    public versions) and the distinct cited items, people and supports over them."""

    summaries: list[tuple[Summary, SummaryVersion]] = field(default_factory=list)
    items: int = 0
    people: int = 0
    supports: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def _public_versions(summary_ids: set[int]) -> dict[int, SummaryVersion]:
    """The newest published version of each summary (of a public process): one query."""
    if not summary_ids:
        return {}
    newest = (select(SummaryVersion.summary_id,
                     func.max(SummaryVersion.number).label("number"))
              .where(SummaryVersion.published_at.is_not(None),
                     SummaryVersion.summary_id.in_(summary_ids))
              .group_by(SummaryVersion.summary_id).subquery())
    return {version.summary_id: version for version in db.session.scalars(
        select(SummaryVersion)
        .join(newest, (newest.c.summary_id == SummaryVersion.summary_id)
              & (newest.c.number == SummaryVersion.number))
        .join(Summary, Summary.id == SummaryVersion.summary_id)
        .join(Process, Process.id == Summary.process_id)
        .where(Process.status.in_(PUBLIC_STATUSES)))}


def evidence(contract: Contract) -> dict[tuple[str, int | None], Evidence]:
    """{(section, action id or None): Evidence} for every place a summary is attached, and
    ("*", None) for the whole contract: four queries whatever the number of links."""
    links = links_of(contract)
    versions = _public_versions({link.summary_id for link in links})
    summaries = {s.id: s for s in db.session.scalars(
        select(Summary).where(Summary.id.in_(versions)))} if versions else {}
    cited: dict[int, list[tuple[str, int, int | None, int]]] = defaultdict(list)
    if versions:
        for version_id, kind, target_id, author_id, supports in db.session.execute(
            select(SummaryCitation.version_id, SummaryCitation.kind, SummaryCitation.target_id,
                   SummaryCitation.author_id, SummaryCitation.supports)
            .where(SummaryCitation.version_id.in_([v.id for v in versions.values()]))):
            cited[version_id].append((kind, target_id, author_id, supports))
    places: dict[tuple[str, int | None], list[int]] = defaultdict(list)
    for link in links:
        if link.summary_id in versions:
            places[(link.section, link.action_id)].append(link.summary_id)
            places[("*", None)].append(link.summary_id)
    found: dict[tuple[str, int | None], Evidence] = {}
    for place, summary_ids in places.items():
        item = Evidence()
        seen_items: dict[tuple[str, int], int] = {}
        people: set[int] = set()
        for summary_id in dict.fromkeys(summary_ids):
            version = versions[summary_id]
            item.summaries.append((summaries[summary_id], version))
            for kind, target_id, author_id, supports in cited[version.id]:
                seen_items[(kind, target_id)] = max(seen_items.get((kind, target_id), 0),
                                                    supports)
                if author_id is not None:
                    people.add(author_id)
        item.items, item.people = len(seen_items), len(people)
        item.supports = sum(seen_items.values())
        for kind, _ in seen_items:
            item.by_kind[kind] = item.by_kind.get(kind, 0) + 1
        found[place] = item
    return found


def contract_places_of(summary: Summary) -> list[tuple[str, ContractAction | None]]:
    """Where a summary is attached in its city's published contract: (section, action)."""
    rows = db.session.execute(
        select(ContractLink.section, ContractAction)
        .join(Contract, Contract.id == ContractLink.contract_id)
        .outerjoin(ContractAction, ContractAction.id == ContractLink.action_id)
        .where(ContractLink.summary_id == summary.id, Contract.status == "published")
        .order_by(ContractLink.id)).all()
    return [(section, action) for section, action in rows]


# ---------------------------------------------------------------- you said, we did


@dataclass
class SaidDone:
    """One domain of "you said, we did": what the summaries say citizens proposed, and the
    actions the city took up, each with the input behind it."""

    domain: str
    said: list[tuple[Summary, SummaryVersion]] = field(default_factory=list)
    done: list[tuple[ContractAction, Evidence]] = field(default_factory=list)
    evidence: Evidence = field(default_factory=Evidence)


def you_said_we_did(contract: Contract) -> list[SaidDone]:
    """Per domain (in THEMES' order), the summaries attached to it or to its actions, and the
    actions with their evidence; parts (commitments, investment) come first when they have
    summaries. Domains with neither are left out."""
    found = evidence(contract)
    by_domain = actions_by_domain(contract)
    sections = [part for part in CONTRACT_PARTS if part != "action_plan"] + list(THEMES)
    result = []
    for section in ["action_plan", *sections]:
        entry = SaidDone(domain=section)
        seen: set[int] = set()
        for place, item in found.items():
            if place[0] == section:
                for summary, version in item.summaries:
                    if summary.id not in seen:
                        seen.add(summary.id)
                        entry.said.append((summary, version))
        for action in by_domain.get(section, []):
            item = found.get((section, action.id))
            if item is not None or action.status in ("under_way", "done"):
                entry.done.append((action, item or Evidence()))
        if entry.said or entry.done:
            domain_evidence = found.get((section, None))
            entry.evidence = domain_evidence or Evidence()
            result.append(entry)
    return result


# ---------------------------------------------------------------- pledges


def _pledge_values(contract: Contract, values: dict[str, Any]) -> dict[str, Any]:
    organisation = _text(values, "organisation", ORGANISATION_MAX,
                         _l("The organisation's name is too long (at most %(limit)s "
                            "characters).", limit=ORGANISATION_MAX))
    if not organisation:
        raise ContractError(_l("Name the organisation that makes the pledge."), "organisation")
    stakeholder = _choice(values, "stakeholder_type", PLEDGE_STAKEHOLDERS,
                          _l("Choose what kind of organisation it is."))
    level = _choice(values, "level", PLEDGE_LEVELS, _l("Choose the level of the pledge."))
    commitment = _text(values, "commitment", PLEDGE_TEXT_MAX,
                       _l("The commitment is too long (at most %(limit)s characters).",
                          limit=PLEDGE_TEXT_MAX))
    if len(commitment) < 20:
        raise ContractError(_l("Say in a sentence or two what the organisation commits to."),
                            "commitment")
    language = str(values.get("language") or "ro")
    if language not in ("ro", "en"):
        raise ContractError(_l("Choose the language of the text."), "language")
    website = _text(values, "website", 300, _l("The web address is too long."))
    if website and not URL.match(website):
        raise ContractError(_l("The web address must start with http:// or https://."),
                            "website")
    reduction = _number(values, "reduction_t_co2e", 0, EMISSIONS_MAX,
                        _l("The expected reduction is a number of tonnes of CO₂e per year, "
                           "0 or more."), integer=False)
    if level == "champion" and reduction is None:
        raise ContractError(_l("A champion's pledge names the reduction it commits to."),
                            "reduction_t_co2e")
    action = None
    action_id = values.get("action_id")
    if action_id not in (None, ""):
        if str(action_id).isdigit():
            action = db.session.get(ContractAction, int(action_id))
        if action is None or action.contract_id != contract.id:
            raise ContractError(_l("Choose one of this contract's actions."), "action_id")
    name_message = _l("The name is too long (at most %(limit)s characters).", limit=120)
    signatory_name = _text(values, "signatory_name", 120, name_message)
    if not signatory_name:
        raise ContractError(_l("Say who signs for the organisation."), "signatory_name")
    return dict(organisation=organisation, stakeholder_type=stakeholder, level=level,
                commitment=commitment, language=language, website=website,
                reduction_t_co2e=reduction, action_id=action.id if action else None,
                signatory_name=signatory_name,
                signatory_role=_text(values, "signatory_role", 120, name_message))


def _same_name(name: str) -> str:
    from engage.core.search import fold

    return " ".join(fold(name).split())


def sign_pledge(contract: Contract, user: Any, values: dict[str, Any]) -> Pledge:
    """A signed-in person signs a pledge for an organisation; it waits for the city's check."""
    if not (user and user.is_authenticated):
        raise ContractError(_l("Sign in to sign a pledge."))
    if contract.status != "published":
        raise ContractError(_l("The contract is not public yet; pledges open when it is."))
    fields = _pledge_values(contract, values)
    pending = db.session.scalar(select(func.count()).select_from(Pledge).where(
        Pledge.signed_by_id == user.id, Pledge.status == "pending"))
    if pending >= PENDING_PLEDGES_MAX:
        raise ContractError(_l("You have %(count)s pledges waiting for the city's check; wait "
                               "for its answer before signing more.", count=pending))
    name = _same_name(fields["organisation"])
    for other in db.session.scalars(select(Pledge).where(
            Pledge.contract_id == contract.id, Pledge.status.in_(("pending", "published")))):
        if _same_name(other.organisation) == name:
            raise ContractError(_l("This organisation has already signed a pledge; report "
                                   "progress on it instead."), "organisation")
    pledge = Pledge(contract_id=contract.id, city_id=contract.city_id, signed_by_id=user.id,
                    **fields)
    db.session.add(pledge)
    db.session.flush()
    return pledge


def decide_pledge(pledge: Pledge, actor: Any, accept: bool, note: str = "") -> Pledge:
    """The city accepts (publishes) or declines a pending pledge, saying why if it declines."""
    contract = db.session.get(Contract, pledge.contract_id)
    if not can_edit_contract(actor, contract_city(contract)):
        raise ContractError(_l("Only the city's organisers check pledges."))
    if pledge.status != "pending":
        raise ContractError(_l("This pledge was already decided."))
    note = str(note or "").strip()
    if len(note) > PLEDGE_TEXT_MAX:
        raise ContractError(_l("The note is too long (at most %(limit)s characters).",
                               limit=PLEDGE_TEXT_MAX), "note")
    if not accept and not note:
        raise ContractError(_l("Say why the pledge is not accepted: the organisation sees it."),
                            "note")
    pledge.status = "published" if accept else "rejected"
    pledge.decision_note = note
    pledge.decided_by_id = actor.id
    pledge.decided_at = utcnow()
    db.session.flush()
    return pledge


def can_report(user: Any, pledge: Pledge) -> bool:
    return bool(user and user.is_authenticated and pledge.signed_by_id == user.id)


def withdraw_pledge(pledge: Pledge, user: Any) -> Pledge:
    if not can_report(user, pledge):
        raise ContractError(_l("Only the person who signed the pledge can withdraw it."))
    if pledge.status not in ("pending", "published"):
        raise ContractError(_l("This pledge is no longer active."))
    pledge.status = "withdrawn"
    db.session.flush()
    return pledge


def report_progress(pledge: Pledge, user: Any, values: dict[str, Any]) -> PledgeProgress:
    """The signer reports how far the organisation is with a published pledge."""
    if not can_report(user, pledge):
        raise ContractError(_l("Only the person who signed the pledge reports its progress."))
    if pledge.status != "published":
        raise ContractError(_l("Progress is reported on published pledges only."))
    percent = _number(values, "percent", 0, 100,
                      _l("Progress is a whole number of per cent, 0 to 100."))
    if percent is None:
        raise ContractError(_l("Progress is a whole number of per cent, 0 to 100."), "percent")
    text = _text(values, "text", PROGRESS_TEXT_MAX,
                 _l("The report is too long (at most %(limit)s characters).",
                    limit=PROGRESS_TEXT_MAX))
    if not text:
        raise ContractError(_l("Say in a few words what was done."), "text")
    language = str(values.get("language") or "ro")
    if language not in ("ro", "en"):
        raise ContractError(_l("Choose the language of the text."), "language")
    latest = pledge.latest_progress
    if latest is not None and latest.percent == percent and latest.text == text:
        raise ContractError(_l("This report was already sent."))
    report = PledgeProgress(pledge=pledge, percent=percent, text=text, language=language,
                            reported_by_id=user.id)
    db.session.add(report)
    db.session.flush()
    return report


def public_pledges(contract: Contract) -> dict[str, list[Pledge]]:
    """Published pledges by level (champions first), oldest first within a level."""
    grouped: dict[str, list[Pledge]] = {level: [] for level in reversed(PLEDGE_LEVELS)}
    for pledge in db.session.scalars(
            select(Pledge).where(Pledge.contract_id == contract.id,
                                 Pledge.status == "published").order_by(Pledge.id)
            .options(selectinload(Pledge.progress))):  # each one's latest report, not N queries
        grouped[pledge.level].append(pledge)
    return grouped


def pending_pledges(contract: Contract) -> list[Pledge]:
    return list(db.session.scalars(
        select(Pledge).where(Pledge.contract_id == contract.id, Pledge.status == "pending")
        .order_by(Pledge.id)))


def pledges_of(user: Any) -> list[Pledge]:
    if not (user and user.is_authenticated):
        return []
    return list(db.session.scalars(
        select(Pledge).where(Pledge.signed_by_id == user.id).order_by(Pledge.id.desc())))


# ---------------------------------------------------------------- "cited in" the contract


def contract_url(city_slug: str, section: str, action_id: int | None = None) -> str:
    if action_id is not None:
        return url_for("synthesis.contract_action", city_slug=city_slug, action_id=action_id)
    return url_for("synthesis.contract_page", city_slug=city_slug) + f"#{section}"


def _cited_in_contract(kind: str, ids: list[int]) -> dict[int, list[CitedIn]]:
    """For cited input: the sections and actions of published contracts whose attached
    summaries' public versions cite it: two queries."""
    newest = (select(SummaryVersion.summary_id,
                     func.max(SummaryVersion.number).label("number"))
              .where(SummaryVersion.published_at.is_not(None))
              .group_by(SummaryVersion.summary_id).subquery())
    rows = db.session.execute(
        select(SummaryCitation.target_id, ContractLink.section, ContractLink.action_id,
               City.slug)
        .join(SummaryVersion, SummaryVersion.id == SummaryCitation.version_id)
        .join(newest, (newest.c.summary_id == SummaryVersion.summary_id)
              & (newest.c.number == SummaryVersion.number))
        .join(ContractLink, ContractLink.summary_id == SummaryVersion.summary_id)
        .join(Contract, Contract.id == ContractLink.contract_id)
        .join(City, City.id == Contract.city_id)
        .join(Summary, Summary.id == SummaryVersion.summary_id)
        .join(Process, Process.id == Summary.process_id)
        .where(SummaryCitation.kind == kind, SummaryCitation.target_id.in_(ids),
               Contract.status == "published", Process.status.in_(PUBLIC_STATUSES))
        .order_by(ContractLink.id)).all()
    actions = {a.id: a for a in db.session.scalars(select(ContractAction).where(
        ContractAction.id.in_({r.action_id for r in rows if r.action_id})))} if rows else {}
    found: dict[int, list[CitedIn]] = {}
    for target_id, section, action_id, city_slug in rows:
        label = _l("Climate City Contract: %(section)s", section=section_label(section))
        if action_id in actions:
            action = actions[action_id]
            label = _l("Climate City Contract: %(code)s %(title)s", code=action.code,
                       title=str(localized(action, "title")))
        place = CitedIn(title=str(label), url=contract_url(city_slug, section, action_id))
        if place not in found.setdefault(target_id, []):
            found[target_id].append(place)
    return found


citations.register_citer(_cited_in_contract, order=10)
