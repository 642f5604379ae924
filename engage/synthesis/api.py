"""Published summaries and the Climate City Contract in the read-only API (on the shared
`/api/v1` blueprint): public versions only, no personal data.

- `GET /api/v1/processes/<id>/summaries?page=&per_page=` (`api.list_process_summaries`) → a page
  `{"items": [{"id", "topic", "theme", "version", "title": {"ro", "en"}, "body": {"ro", "en"},
  "published_at", "citations": [{"kind", "id"}], "url"}], "next", "total"}`: the published
  summaries of a public process, each as its public (newest published) version; drafts never.
  A citation is `{kind, id}` of published input only (never who wrote it). Unknown ids and
  processes that are not public are a JSON 404.
- `GET /api/v1/cities/<city_slug>/contract` (`api.city_contract`) → the city's published
  Climate City Contract: the ambition and targets, the actions with their fields and funding
  lines, the investment plan by source (dropped actions left out) and, for the commitments,
  the investment plan, each domain and each action, the ids of the published summaries
  attached. A contract not published (or none) is a JSON 404. Pledges are not in the API (they
  name signatories).
"""

from __future__ import annotations

from typing import Any

from flask import abort, g, jsonify, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from engage.api import openapi
from engage.api.blueprint import bp
from engage.api.http import last_modified, page_args, page_json
from engage.core.auth import public
from engage.core.pagination import paginate
from engage.extensions import db
from engage.processes.api import iso_utc
from engage.processes.models import Contribution, Process
from engage.synthesis import contract as contracts
from engage.synthesis.models import Summary, SummaryVersion

LANGUAGES = ("ro", "en")


def _both(obj: Any, name: str) -> dict[str, str]:
    return {language: getattr(obj, f"{name}_{language}", "") or "" for language in LANGUAGES}


# ---------------------------------------------------------------- summaries


def summary_json(summary: Summary, version: SummaryVersion, city_slug: str,
                 published: set[int]) -> dict[str, Any]:
    return {
        "id": summary.id,
        "topic": summary.topic,
        "theme": summary.theme or None,
        "version": version.number,
        "title": _both(version, "title"),
        "body": _both(version, "body"),
        "published_at": iso_utc(version.published_at),
        "citations": [{"kind": citation.kind, "id": citation.target_id}
                      for citation in version.citations
                      if citation.contribution_id is None
                      or citation.contribution_id in published],
        "url": url_for("synthesis.summary_page", city_slug=city_slug, summary_id=summary.id,
                       _external=True),
    }


@bp.get("/processes/<int:process_id>/summaries")
@public
def list_process_summaries(process_id: int):  # noqa: ANN201
    process = db.session.get(Process, process_id)
    if process is None or not process.is_public:
        abort(404)
    number, per_page = page_args()
    statement = (select(Summary)
                 .options(selectinload(Summary.versions).selectinload(SummaryVersion.citations))
                 .where(Summary.process_id == process.id, Summary.status == "published")
                 .order_by(Summary.id))
    page = paginate(statement, number, per_page)
    shown = [(summary, summary.public_version) for summary in page.items]
    shown = [(summary, version) for summary, version in shown if version is not None]
    cited = {citation.contribution_id for _, version in shown for citation in version.citations
             if citation.contribution_id is not None}
    published = set(db.session.scalars(
        select(Contribution.id).where(Contribution.id.in_(cited),
                                      Contribution.status == "published"))) if cited else set()
    last_modified(process.updated_at, *(value for summary, version in shown
                                        for value in (summary.updated_at, version.updated_at)))
    city_slug = process.city.slug
    return jsonify(page_json(
        [summary_json(summary, version, city_slug, published) for summary, version in shown],
        number, per_page, page.total, ".list_process_summaries", process_id=process.id))


# ---------------------------------------------------------------- the contract


def _ids(found: dict[tuple[str, int | None], contracts.Evidence], section: str,
         action_id: int | None = None) -> list[int]:
    evidence = found.get((section, action_id))
    return [summary.id for summary, _ in evidence.summaries] if evidence else []


def action_json(action: Any, found: dict) -> dict[str, Any]:
    return {
        "id": action.id,
        "code": action.code,
        "domain": action.domain,
        "position": action.position,
        "title": _both(action, "title"),
        "description": _both(action, "description"),
        "lever": action.lever,
        "responsible": action.responsible,
        "start_year": action.start_year,
        "end_year": action.end_year,
        "reduction_t_co2e": action.reduction_t_co2e,
        "co_benefits": list(action.co_benefits or ()),
        "cost_eur": action.cost_eur,
        "indicators": [line.strip() for line in (action.indicators or "").splitlines()
                       if line.strip()],
        "status": action.status,
        "progress_note": action.progress_note,
        "funding": [{"source": line.source, "amount_eur": line.amount_eur,
                     "secured": bool(line.secured)} for line in action.funding],
        "summaries": _ids(found, action.domain, action.id),
        "url": url_for("synthesis.contract_action", city_slug=g.city.slug, action_id=action.id,
                       _external=True),
    }


@bp.get("/cities/<city_slug>/contract")
@public
def city_contract(city_slug: str):  # noqa: ANN201
    contract = contracts.contract_of(g.city)
    if contract is None or contract.status != "published":
        abort(404)
    found = contracts.evidence(contract)
    plan = contracts.investment_plan(contract)
    by_domain = contracts.actions_by_domain(contract)
    actions = [action for domain in by_domain.values() for action in domain]
    last_modified(contract.updated_at, contract.published_at,
                  *(action.updated_at for action in actions))
    return jsonify({
        "city": g.city.slug,
        "status": contract.status,
        "published_at": iso_utc(contract.published_at),
        "ambition": {
            "text": _both(contract, "ambition"),
            "target_year": contract.target_year,
            "baseline_year": contract.baseline_year,
            "baseline_t_co2e": contract.baseline_t_co2e,
            "reduction_target_pct": contract.reduction_target_pct,
            "summaries": _ids(found, "commitments"),
        },
        "action_plan": {
            "summaries": _ids(found, "action_plan"),
            "domains": [{"domain": domain, "summaries": _ids(found, domain),
                         "actions": [action_json(action, found) for action in items]}
                        for domain, items in by_domain.items()],
        },
        "investment_plan": {
            "by_source": [{"source": row.source, "amount_eur": row.amount,
                           "secured_eur": row.secured, "actions": row.actions}
                          for row in plan.rows],
            "cost_eur": plan.cost,
            "funded_eur": plan.funded,
            "secured_eur": plan.secured,
            "gap_eur": plan.gap,
            "actions_without_cost": plan.unknown_cost,
            "reduction_t_co2e": plan.reduction,
            "summaries": _ids(found, "investment"),
        },
        "url": url_for("synthesis.contract_page", city_slug=g.city.slug, _external=True),
    })


# ---------------------------------------------------------------- schemas

_BOTH = openapi.LOCALISED
_IDS = {"type": "array", "items": {"type": "integer"}}
_INT = {"type": ["integer", "null"]}
_NUMBER = {"type": ["number", "null"]}
SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "topic", "theme", "version", "title", "body", "published_at",
                 "citations", "url"],
    "properties": {
        "id": {"type": "integer"},
        "topic": {"type": "string"},
        "theme": {"type": ["string", "null"]},
        "version": {"type": "integer", "minimum": 1},
        "title": _BOTH,
        "body": _BOTH,
        "published_at": openapi.DATETIME,
        "citations": {"type": "array", "items": {
            "type": "object", "required": ["kind", "id"], "additionalProperties": False,
            "properties": {"kind": {"type": "string"}, "id": {"type": "integer"}}}},
        "url": {"type": "string", "format": "uri"},
    },
}
ACTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "code", "domain", "title", "description", "lever", "status", "funding",
                 "summaries", "url"],
    "properties": {
        "id": {"type": "integer"},
        "code": {"type": "string"},
        "domain": {"type": "string"},
        "position": {"type": "integer"},
        "title": _BOTH,
        "description": _BOTH,
        "lever": {"type": "string"},
        "responsible": {"type": "string", "description": "An organisation."},
        "start_year": _INT,
        "end_year": _INT,
        "reduction_t_co2e": _NUMBER,
        "co_benefits": {"type": "array", "items": {"type": "string"}},
        "cost_eur": _INT,
        "indicators": {"type": "array", "items": {"type": "string"}},
        "status": {"type": "string"},
        "progress_note": {"type": "string"},
        "funding": {"type": "array", "items": {
            "type": "object", "required": ["source", "amount_eur", "secured"],
            "properties": {"source": {"type": "string"}, "amount_eur": {"type": "integer"},
                           "secured": {"type": "boolean"}}}},
        "summaries": _IDS,
        "url": {"type": "string", "format": "uri"},
    },
}
CONTRACT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["city", "status", "published_at", "ambition", "action_plan",
                 "investment_plan", "url"],
    "properties": {
        "city": {"type": "string"},
        "status": {"type": "string", "enum": ["published"]},
        "published_at": openapi.DATETIME,
        "ambition": {
            "type": "object",
            "required": ["text", "target_year", "summaries"],
            "properties": {"text": _BOTH, "target_year": {"type": "integer"},
                           "baseline_year": _INT, "baseline_t_co2e": _NUMBER,
                           "reduction_target_pct": _INT, "summaries": _IDS}},
        "action_plan": {
            "type": "object", "required": ["summaries", "domains"],
            "properties": {"summaries": _IDS, "domains": {"type": "array", "items": {
                "type": "object", "required": ["domain", "summaries", "actions"],
                "properties": {"domain": {"type": "string"}, "summaries": _IDS,
                               "actions": {"type": "array", "items": ACTION_SCHEMA}}}}}},
        "investment_plan": {
            "type": "object",
            "required": ["by_source", "cost_eur", "funded_eur", "secured_eur", "gap_eur",
                         "summaries"],
            "properties": {
                "by_source": {"type": "array", "items": {
                    "type": "object", "required": ["source", "amount_eur", "secured_eur"],
                    "properties": {"source": {"type": "string"},
                                   "amount_eur": {"type": "integer"},
                                   "secured_eur": {"type": "integer"},
                                   "actions": {"type": "integer"}}}},
                "cost_eur": {"type": "integer"}, "funded_eur": {"type": "integer"},
                "secured_eur": {"type": "integer"}, "gap_eur": {"type": "integer"},
                "actions_without_cost": {"type": "integer"},
                "reduction_t_co2e": {"type": "number"}, "summaries": _IDS}},
        "url": {"type": "string", "format": "uri"},
    },
}
openapi.declare(
    "/processes/{process_id}/summaries", operation_id="listProcessSummaries",
    tag="synthesis", schema=SUMMARY_SCHEMA, pages=True,
    summary="A process's published summaries (public versions, with their citations)",
    parameters=[openapi.path_parameter("process_id", "The process id.")])
openapi.declare(
    "/cities/{city_slug}/contract", operation_id="getCityContract", tag="synthesis",
    schema=CONTRACT_SCHEMA, summary="A city's published Climate City Contract",
    description="The ambition, the actions with their funding, the investment plan by source "
                "and the ids of the summaries attached to each part.",
    parameters=[openapi.path_parameter("city_slug", "The city's slug.", integer=False)])
