"""A demo questionnaire for `flask demo-data`: Bucharest Sector 2's block-renovation
consultation, three sections (the second only for owners, a condition), every common question
type, and 40 submitted responses (a few on paper) so the results page has something to show.

Loaded once: nothing is added when the process already has a questionnaire.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from engage.consultations import services
from engage.consultations.answers import Page, save_section, submit
from engage.consultations.models import Response, Section
from engage.consultations.versions import results_changed
from engage.core.db import utcnow
from engage.extensions import db
from engage.processes.models import Contribution, Process

PROCESS = ("bucuresti-sector-2", "renovarea-blocurilor")
RESPONSES = 40


def load(users: dict[str, Any], processes: dict[tuple[str, str], Process], tally: Any) -> None:
    process = processes.get(PROCESS)
    if process is None:
        return
    exists = db.session.scalar(
        select(func.count()).select_from(Section).where(Section.process_id == process.id))
    if exists:
        tally.add("questionnaires", "unchanged")
        return
    services.save_settings(process, "signed_in", "live", ["age_band", "neighbourhood"],
                           "Colentina\nIancului\nObor\nPipera\nTei")
    home = services.add_section(process, title_ro="Locuința dumneavoastră", title_en="Your home")
    tenure = services.add_question(
        home, "single", text_ro="Locuiți într-un bloc construit înainte de 1990?",
        text_en="Do you live in a block built before 1990?", required=True,
        options=[("Da, sunt proprietar", "Yes, I own the flat"),
                 ("Da, stau cu chirie", "Yes, I rent"), ("Nu", "No")])
    services.add_question(
        home, "scale", text_ro="Cât de mulțumit sunteți de căldura din locuință iarna?",
        text_en="How satisfied are you with the warmth of your home in winter?",
        settings={"min": 1, "max": 5, "label_min_ro": "Deloc", "label_min_en": "Not at all",
                  "label_max_ro": "Foarte mulțumit", "label_max_en": "Very satisfied"})
    services.add_question(
        home, "number", text_ro="Cât ați plătit pe căldură în ianuarie?",
        text_en="How much did you pay for heating in January?",
        settings={"min": 0, "max": 5000, "decimals": 0, "unit_ro": "lei", "unit_en": "lei"})
    owners = services.add_section(
        process, title_ro="Renovarea blocului", title_en="Renovating the block",
        condition={"question": tenure.id, "options": [tenure.choices[0].id]})
    services.add_question(
        owners, "multiple", text_ro="Ce v-ar convinge să participați la renovare?",
        text_en="What would convince you to take part in the renovation?",
        settings={"max": 2, "other": True},
        options=[("Finanțare nerambursabilă", "Grants"), ("Facturi mai mici", "Lower bills"),
                 ("Lucrări rapide", "Quick works"),
                 ("Un consilier dedicat", "A dedicated adviser")])
    services.add_question(
        owners, "ranking", text_ro="Ordonați lucrările după importanță",
        text_en="Rank the works by importance",
        options=[("Izolarea fațadei", "Façade insulation"), ("Ferestre noi", "New windows"),
                 ("Panouri solare", "Solar panels")])
    city = services.add_section(process, title_ro="Cartierul", title_en="The neighbourhood")
    services.add_question(
        city, "matrix", text_ro="Cum evaluați…", text_en="How do you rate…",
        options=[("Rău", "Poor"), ("Acceptabil", "Fair"), ("Bine", "Good")],
        rows=[("Spațiile verzi", "Green spaces"), ("Transportul public", "Public transport")])
    services.add_question(
        city, "long_text", text_ro="Ce altceva ar trebui să știe primăria?",
        text_en="What else should the city hall know?")
    db.session.flush()
    _responses(process)
    tally.add("questionnaires", "created")


def _responses(process: Process) -> None:
    """RESPONSES plausible answers, the same on every machine (a fixed random seed)."""
    structure = services.questionnaire(process)
    pages = [Page(view.section, list(view.questions)) for view in structure.sections]
    chance = random.Random(2026)
    texts = ["Mai multe locuri de parcare pentru biciclete.", "Copaci în curtea blocului.",
             "Izolați și subsolurile, nu doar fațadele.", ""]
    neighbourhoods = ["Colentina", "Iancului", "Obor", "Pipera", "Tei"]
    ages = ["18_29", "30_44", "45_64", "65_plus"]
    for number in range(RESPONSES):
        response = Response(
            process_id=process.id, city_id=process.city_id, user_id=None,
            channel="paper" if number % 8 == 0 else "online", status="draft", language="ro",
            token=f"demo-{process.id}-{number}",
            profile={"age_band": chance.choice(ages),
                     "neighbourhood": chance.choice(neighbourhoods)},
        )
        db.session.add(response)
        db.session.flush()
        for page in pages:
            answers: dict[int, Any] = {}
            for question in page.questions:
                answer = _answer(question, chance, texts)
                if answer is not None:
                    answers[question.id] = answer
            save_section(pages, response, page, answers)
        submit(pages, response)
        response.submitted_at = utcnow() - timedelta(days=chance.randint(0, 9),
                                                     minutes=chance.randint(0, 600))
        response.updated_at = response.submitted_at
    # The demo's free texts have been through moderation already.
    db.session.execute(
        update(Contribution)
        .where(Contribution.process_id == process.id, Contribution.kind == "answer")
        .values(status="published")
    )
    results_changed(process.id)
    db.session.flush()


def _answer(question: Any, chance: random.Random, texts: list[str]) -> Any:
    kind = question.type
    choices = question.choices
    if kind == "single":
        return (chance.choices(choices, weights=[5, 2, 2])[0].id, None)
    if kind == "scale":
        return chance.choices([1, 2, 3, 4, 5], weights=[2, 4, 5, 3, 1])[0]
    if kind == "number":
        return float(chance.randrange(150, 900, 10))
    if kind == "multiple":
        return ([o.id for o in chance.sample(choices, chance.randint(1, 2))], None)
    if kind == "ranking":
        order = list(choices)
        chance.shuffle(order)
        return [o.id for o in order]
    if kind == "matrix":
        return {row.id: chance.choice(choices).id for row in question.rows}
    if kind == "long_text":
        return chance.choice(texts) or None
    return None
