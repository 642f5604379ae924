"""Demo synthesis for `flask demo-data`: a published summary of Bucharest Sector 2's "Streets
for people" ideas, citing its two most supported published ideas (so their pages say where
they are cited), written by the demo moderator's city organiser; and Bucharest Sector 2's
Climate City Contract draft, published: its ambition, an action plan across the domains with
funding, two accepted pledges and one waiting for the city's check, and the summary attached to
the mobility action and to the commitments (so "you said, we did" has something to show); and
the opinion groups of Suceava's agree/disagree process (its sample votes: `ideas.demo`).
Loaded once: nothing is added when the process already has a summary, or the city a contract."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from engage.core import citations, sources
from engage.extensions import db
from engage.processes.models import Contribution, Process
from engage.synthesis import summaries
from engage.synthesis.models import Summary

PROCESS = ("bucuresti-sector-2", "strazi-pentru-oameni")
AUTHOR = "admin@engage.test"


OPINIONS = ("suceava", "energie-in-cartier")  # the demo's agree/disagree process


def load(users: dict[str, Any], processes: dict[tuple[str, str], Process], tally: Any) -> None:
    _load_opinions(processes, tally)
    process = processes.get(PROCESS)
    if process is None or AUTHOR not in users:
        return
    existing = db.session.scalar(select(Summary).where(
        Summary.process_id == process.id, Summary.status == "published").order_by(Summary.id))
    if existing is not None or db.session.scalar(select(func.count()).select_from(Summary).where(
            Summary.process_id == process.id)):
        tally.add("summaries", "unchanged")
        if existing is not None:
            tally.add("contracts", _load_contract(process, existing, users))
        return
    # The most supported published ideas, read through the spine (no import of the ideas).
    pairs = [(cid, "idea") for cid in db.session.scalars(select(Contribution.id).where(
        Contribution.process_id == process.id, Contribution.kind == "idea",
        Contribution.status == "published"))]
    supports = sources.supports_of(pairs)
    tags = citations.tags_for(pairs)
    ranked = sorted(tags, key=lambda cid: (-supports.get(cid, 0), cid))
    if len(ranked) < 2:
        return
    first, second = (tags[cid] for cid in ranked[:2])
    summary = summaries.create_summary(process, users[AUTHOR], {
        "topic": "Mobilitate", "theme": "mobility",
        "title_ro": "Ce ne-ați spus despre străzile cartierului",
        "title_en": "What you told us about the neighbourhood's streets",
        "body_ro": (
            "Cele mai susținute propuneri cer **mai mult spațiu pentru oameni**:\n\n"
            f"- străzi școlare, fără mașini la orele de intrare {first};\n"
            f"- piste de biciclete separate de trafic {second}.\n\n"
            "Le includem în capitolul „Mobilitate și transport” al contractului climatic."),
        "body_en": (
            "The most supported proposals ask for **more room for people**:\n\n"
            f"- school streets, without cars when classes start {first};\n"
            f"- cycle lanes separated from traffic {second}.\n\n"
            "We take them into the contract's \"Mobility and transport\" chapter."),
    })
    summaries.publish(summary, users[AUTHOR])
    tally.add("summaries", "created")
    db.session.flush()
    tally.add("contracts", _load_contract(process, summary, users))


# (domain, code, title ro, title en, lever, responsible, years, t CO2e/yr, co-benefits, cost,
#  funding lines (source, EUR, secured), status)
ACTIONS = [
    ("mobility", "MOB-1", "Rețea de piste de biciclete separate", "A network of protected "
     "cycle lanes", "investment", "Direcția de Investiții a Sectorului 2", (2026, 2029), 4200.0,
     ["air_quality", "health", "safety"], 18_500_000,
     [("pnrr", 9_000_000, True), ("municipal", 4_500_000, True), ("eu_cohesion", 3_000_000,
                                                                   False)], "under_way"),
    ("mobility", "MOB-2", "Străzi școlare", "School streets", "regulation",
     "Poliția Locală Sector 2", (2026, 2027), 350.0, ["safety", "air_quality", "noise"],
     400_000, [("municipal", 400_000, True)], "under_way"),
    ("buildings", "BLD-1", "Renovarea energetică a blocurilor din anii '70",
     "Deep renovation of 1970s blocks of flats", "incentives",
     "Asociațiile de proprietari, cu Primăria Sectorului 2", (2026, 2030), 21_000.0,
     ["energy_poverty", "savings", "jobs"], 120_000_000,
     [("pnrr", 45_000_000, True), ("eu_cohesion", 30_000_000, False),
      ("private", 15_000_000, False)], "planned"),
    ("energy", "EN-1", "Panouri fotovoltaice pe școli și clădiri publice",
     "Solar panels on schools and public buildings", "investment",
     "Administrația Unităților de Învățământ", (2026, 2028), 2_600.0, ["savings", "jobs"],
     9_800_000, [("eu_programmes", 5_000_000, True), ("loans", 3_000_000, False)], "planned"),
    ("nature", "NAT-1", "Coridor verde de-a lungul Colentinei",
     "A green corridor along the Colentina", "investment", "Administrația Domeniului Public",
     (2027, 2030), 300.0, ["heat", "biodiversity", "health"], 6_200_000,
     [("eu_cohesion", 4_000_000, False)], "planned"),
    ("waste", "WST-1", "Colectare separată din poartă în poartă",
     "Door-to-door separate collection", "services", "Operatorul de salubrizare",
     (2026, 2027), 1_900.0, ["jobs"], 2_300_000, [("municipal", 2_300_000, True)], "done"),
]

PLEDGES = [
    ("Asociația Pedalăm Împreună", "civil_society", "partner",
     "Organizăm lunar ture cu bicicleta pentru copii și părinți pe noile piste și raportăm "
     "punctele periculoase.", None, "MOB-1", 40,
     "Trei ture organizate, 140 de participanți; am raportat 12 intersecții."),
    ("Universitatea Tehnică de Construcții", "research", "champion",
     "Măsurăm consumul de energie al blocurilor renovate și publicăm datele deschis.",
     500.0, "BLD-1", 15, "Senzori montați în primele 20 de apartamente."),
    ("Cafeneaua Colțul Verde", "business", "supporter",
     "Oferim reducere clienților care vin cu bicicleta și folosim doar pahare reutilizabile.",
     None, None, None, None),
]


def _load_contract(process: Process, summary: Summary, users: dict[str, Any]) -> str:
    from engage.synthesis import contract as contracts
    from engage.synthesis.models import Contract

    city = process.city
    if db.session.scalar(select(Contract.id).where(Contract.city_id == city.id)):
        return "unchanged"
    author = users[AUTHOR]
    sheet = contracts.ensure_contract(city)
    contracts.update_contract(sheet, author, {
        "target_year": 2030, "baseline_year": 2019, "baseline_t_co2e": 1_450_000,
        "reduction_target_pct": 80,
        "ambition_ro": (
            "Sectorul 2 își propune să reducă emisiile cu **80 %** până în 2030 față de 2019 "
            "și să compenseze restul.\n\nContractul a fost scris împreună cu locuitorii: "
            "fiecare acțiune arată propunerile care au modelat-o."),
        "ambition_en": (
            "Sector 2 aims to cut its emissions by **80 %** by 2030 from 2019 and to offset "
            "the rest.\n\nThe contract was written with the people who live here: every "
            "action shows the proposals that shaped it."),
    })
    actions = {}
    for (domain, code, title_ro, title_en, lever, responsible, (start, end), reduction,
         benefits, cost, funding, status) in ACTIONS:
        actions[code] = contracts.save_action(sheet, author, {
            "domain": domain, "code": code, "title_ro": title_ro, "title_en": title_en,
            "description_ro": title_ro + ".", "description_en": title_en + ".",
            "lever": lever, "responsible": responsible, "start_year": start,
            "end_year": end, "reduction_t_co2e": reduction, "co_benefits": benefits,
            "cost_eur": cost, "status": status,
            "funding": [{"source": source, "amount_eur": amount, "secured": secured}
                        for source, amount, secured in funding],
            "indicators": "km de pistă construiți / km of lanes built\n"
                          "emisii evitate (t CO₂e/an) / emissions avoided (t CO₂e/yr)",
        })
    contracts.set_published(sheet, author, True)
    contracts.attach_summary(sheet, author, summary.id, None, actions["MOB-1"].id)
    contracts.attach_summary(sheet, author, summary.id, None, actions["MOB-2"].id)
    contracts.attach_summary(sheet, author, summary.id, "commitments")
    signer = users.get("citizen@engage.test", author)
    for (organisation, kind, level, text, reduction, action_code, percent,
         report) in PLEDGES:
        pledge = contracts.sign_pledge(sheet, signer, {
            "organisation": organisation, "stakeholder_type": kind, "level": level,
            "commitment": text, "language": "ro", "reduction_t_co2e": reduction,
            "action_id": actions[action_code].id if action_code else None,
            "signatory_name": signer.display_name, "signatory_role": "Coordonator",
        })
        if percent is not None:
            contracts.decide_pledge(pledge, author, True)
            contracts.report_progress(pledge, signer, {"percent": percent, "text": report,
                                                       "language": "ro"})
    return "created"


def _load_opinions(processes: dict[tuple[str, str], Process], tally: Any) -> None:
    """The opinion groups of the agree/disagree process, computed once (as the job would)."""
    from engage.synthesis.models import OpinionRun
    from engage.synthesis.workspace import compute_opinions

    process = processes.get(OPINIONS)
    if process is None:
        return
    if db.session.get(OpinionRun, process.id) is not None:
        tally.add("opinion groups", "unchanged")
        return
    if compute_opinions(process) is not None:
        tally.add("opinion groups", "created")
