"""Demo living-lab sessions for `flask demo-data`.

Cluj-Napoca's energy-communities living lab gets five sessions: a launch workshop two days ago
(attendance taken: attended, no-shows, a walk-in, a late cancellation; outcome notes
published), an upcoming site workshop that is full with a waitlist (a demo citizen is
registered through the services and waitlisted), an online webinar (its link only for the
confirmed), a hybrid co-design session with per-group caps (the business seats are all taken,
one business waitlisted) and a pilot visit whose registration opens later. The hub's national
working meeting gets one hybrid session for public authorities and researchers.

Registrations of the crowd are stored as rows in the states the services would have left them
(seats given in arrival order, never above the capacity); the demo citizens register through
`services.register`, so their confirmation e-mails are queued in the outbox like anyone's.

Loaded once per living lab: nothing is added when the process already has sessions.
"""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from engage.core.db import utcnow
from engage.extensions import db
from engage.livinglabs import services
from engage.livinglabs.models import LabSession, Registration
from engage.livinglabs.services import RegistrationError, _new_code
from engage.processes.models import Process

CLUJ = ("cluj-napoca", "comunitati-energetice")
HUB = ("hub", "intalnirea-nationala-de-lucru")
ORGANISER = "organiser@engage.test"
CITIZEN_RO = "cetatean@engage.test"
CITIZEN_EN = "citizen@engage.test"

FIRST_NAMES = ("Ana", "Andrei", "Bianca", "Cristian", "Diana", "Elena", "Florin", "Gabriela",
               "Horia", "Ioana", "Ion", "Larisa", "Mihai", "Monica", "Nicolae", "Oana",
               "Paul", "Raluca", "Sorin", "Ștefan", "Teodora", "Tudor", "Vlad", "Zoe")
LAST_NAMES = ("Pop", "Moldovan", "Rusu", "Mureșan", "Crișan", "Pușcaș", "Tănase", "Bălan",
              "Szabó", "Kovács", "Lazăr", "Dragomir", "Ilieș", "Șerban", "Cozma", "Roman")


def load(users: dict[str, Any], processes: dict[tuple[str, str], Process], tally: Any) -> None:
    for key, loader in ((CLUJ, _cluj), (HUB, _hub)):
        process = processes.get(key)
        if process is None:
            continue
        exists = db.session.scalar(select(func.count()).select_from(LabSession)
                                   .where(LabSession.process_id == process.id))
        if exists:
            tally.add("living-lab sessions", "unchanged")
            continue
        loader(process, users)
        db.session.flush()
        tally.add("living-lab sessions", "created")


# ---------------------------------------------------------------- helpers


def _midnight() -> datetime:
    return datetime.combine(utcnow().date(), time(0, 0), tzinfo=UTC)


def _session(process: Process, organiser: Any, **fields: Any) -> LabSession:
    session = LabSession(process_id=process.id, created_by_id=organiser.id, **fields)
    db.session.add(session)
    db.session.flush()
    return session


def _crowd(session: LabSession, rng: random.Random, n: int, *, status: str,
           groups: tuple[str, ...] = ("citizen",), start: int = 0, at: datetime | None = None,
           organiser: Any = None, channel: str = "online") -> list[Registration]:
    """`n` guests (example.org addresses) in `status`, registered a minute apart from `at`."""
    at = at or session.starts_at - timedelta(days=3)
    rows = []
    for number in range(start, start + n):
        when = at + timedelta(minutes=number)
        name = f"{FIRST_NAMES[number % len(FIRST_NAMES)]} {rng.choice(LAST_NAMES)}"
        registration = Registration(
            session_id=session.id, process_id=session.process_id,
            email=(None if channel == "walk_in"
                   else f"participant{number}.s{session.id}@example.org"),
            name=name, stakeholder_type=groups[number % len(groups)],
            language="ro", channel=channel, status=status,
            token=secrets.token_urlsafe(24), code=_new_code(session.id),
            answers={}, email_confirmed_at=when if channel == "online" else None,
            created_at=when,
            confirmed_at=when if status in ("confirmed", "attended", "no_show", "cancelled")
            else None,
            waitlisted_at=when if status == "waitlisted" else None,
        )
        if status == "attended":
            registration.checked_in_at = session.starts_at - timedelta(minutes=rng.randint(0, 15))
            registration.checked_in_by_id = organiser.id if organiser is not None else None
        if status == "cancelled":
            registration.cancelled_at = when + timedelta(days=1)
            registration.cancelled_by = "participant"
        db.session.add(registration)
        db.session.flush()  # each code is checked against the ones before it
        rows.append(registration)
    return rows


def _register_demo_user(session: LabSession, user: Any) -> None:
    """A demo account registers as anyone would (the confirmation e-mail goes to the outbox)."""
    try:
        services.register(session, name=user.display_name,
                          stakeholder_type=user.stakeholder_type, language=user.language,
                          user=user)
    except RegistrationError:
        pass  # e.g. not one of the session's groups: the demo simply goes without


# ---------------------------------------------------------------- Cluj-Napoca


def _cluj(process: Process, users: dict[str, Any]) -> None:
    rng = random.Random(6)
    organiser = users[ORGANISER]
    midnight = _midnight()

    # 1. Two days ago: the launch workshop, attendance taken and the outcome published.
    launch_start = midnight - timedelta(days=2) + timedelta(hours=15)
    launch = _session(
        process, organiser,
        title_ro="Atelier de lansare: unde pot apărea comunitățile de energie?",
        title_en="Launch workshop: where can energy communities start?",
        description_ro=("Am cartografiat împreună acoperișurile potrivite pentru panouri "
                        "solare și asociațiile de proprietari interesate."),
        description_en=("Together we mapped the roofs suited to solar panels and the "
                        "homeowners' associations that are interested."),
        format="onsite", address="Casa de Cultură a Studenților, Piața Lucian Blaga 1-3, "
        "Cluj-Napoca", lat=46.7680, lon=23.5915,
        starts_at=launch_start, ends_at=launch_start + timedelta(hours=3),
        language="ro", capacity=25, lab_phase="co_create", step_free_access=True,
        accessibility_ro="Intrare fără trepte pe latura dinspre parc.",
        accessibility_en="Step-free entrance on the park side.",
        questions=["organisation", "photo_consent"],
        outcome_ro=("## Ce am aflat\n\n"
                    "- 14 asociații de proprietari din Mănăștur și Gheorgheni vor să "
                    "participe.\n"
                    "- Cele mai potrivite acoperișuri: școlile și blocurile cu terasă "
                    "renovată.\n"
                    "- Următorul pas: vizita de la blocul-pilot din Gheorgheni.\n"),
        outcome_en=("## What we learned\n\n"
                    "- 14 homeowners' associations in Mănăștur and Gheorgheni want to take "
                    "part.\n"
                    "- The best-suited roofs: schools and blocks with a renovated flat roof.\n"
                    "- Next step: the visit to the pilot block in Gheorgheni.\n"),
        outcome_published_at=launch_start + timedelta(hours=20),
    )
    groups = ("citizen", "citizen", "civil_society", "research", "business",
              "public_authority")
    at = launch_start - timedelta(days=1)
    _crowd(launch, rng, 17, status="attended", groups=groups, at=at, organiser=organiser)
    _crowd(launch, rng, 3, status="no_show", groups=groups, start=17, at=at)
    late = _crowd(launch, rng, 1, status="cancelled", start=20, at=at)[0]
    late.cancelled_at = launch_start + timedelta(minutes=30)
    late.cancelled_late = True
    _crowd(launch, rng, 1, status="attended", groups=("business",), start=21,
           at=launch_start, organiser=organiser, channel="walk_in")

    # 2. In five days: the pilot-block workshop, full, with a waitlist.
    full_start = midnight + timedelta(days=5, hours=15)
    full = _session(
        process, organiser,
        title_ro="Atelier la blocul-pilot din Gheorgheni",
        title_en="Workshop at the pilot block in Gheorgheni",
        description_ro=("Discutăm cu locatarii cum se împarte energia produsă pe acoperiș "
                        "și cine administrează comunitatea."),
        description_en=("We discuss with the residents how the energy made on the roof is "
                        "shared and who runs the community."),
        format="onsite", address="Str. Alverna 10, Cluj-Napoca", lat=46.7712, lon=23.6252,
        starts_at=full_start, ends_at=full_start + timedelta(hours=2),
        language="ro", capacity=12, lab_phase="explore",
        questions=["organisation", "dietary", "accessibility"],
    )
    at = midnight - timedelta(days=2)
    _crowd(full, rng, 12, status="confirmed", groups=("citizen", "civil_society"), at=at)
    _crowd(full, rng, 3, status="waitlisted", start=12, at=at)
    _register_demo_user(full, users[CITIZEN_RO])  # waitlisted, fourth in line

    # 3. In eight days: an online webinar.
    webinar_start = midnight + timedelta(days=8, hours=16)
    webinar = _session(
        process, organiser,
        title_ro="Webinar: cadrul legal al comunităților de energie",
        title_en="Webinar: the legal framework of energy communities",
        description_ro="Juriști și cercetători explică regulile și răspund la întrebări.",
        description_en="Lawyers and researchers explain the rules and answer questions.",
        format="online", address="", online_url="https://meet.example.org/cluj-energie",
        starts_at=webinar_start, ends_at=webinar_start + timedelta(hours=1, minutes=30),
        language="ro_en", capacity=100, lab_phase="explore", interpreting=True,
        accessibility_ro="Subtitrare live în română și engleză.",
        accessibility_en="Live captions in Romanian and English.",
    )
    _crowd(webinar, rng, 20, status="confirmed",
           groups=("citizen", "research", "civil_society", "public_authority"),
           at=midnight - timedelta(days=1))
    _register_demo_user(webinar, users[CITIZEN_EN])

    # 4. In twelve days: a hybrid co-design session with seats capped per group.
    hybrid_start = midnight + timedelta(days=12, hours=14)
    hybrid = _session(
        process, organiser,
        title_ro="Co-proiectare: modelul de afaceri al comunității",
        title_en="Co-design: the community's business model",
        description_ro=("Locatari, firme, cercetători și primăria propun împreună cum se "
                        "finanțează și cum se împart beneficiile."),
        description_en=("Residents, firms, researchers and the city hall work out together "
                        "how it is financed and how the benefits are shared."),
        format="hybrid", address="Primăria Cluj-Napoca, Str. Moților 3", lat=46.7693,
        lon=23.5866, online_url="https://meet.example.org/cluj-coproiectare",
        starts_at=hybrid_start, ends_at=hybrid_start + timedelta(hours=3),
        language="ro", capacity=30, lab_phase="co_create", step_free_access=True,
        stakeholder_groups=["citizen", "business", "research", "civil_society",
                            "public_authority"],
        stakeholder_caps={"business": 5, "citizen": 12},
        questions=["organisation", "photo_consent"],
    )
    at = midnight - timedelta(days=1)
    _crowd(hybrid, rng, 5, status="confirmed", groups=("business",), at=at)
    _crowd(hybrid, rng, 8, status="confirmed", groups=("citizen", "research"), start=5, at=at)
    _crowd(hybrid, rng, 1, status="waitlisted", groups=("business",), start=13, at=at)

    # 5. In twenty days: a visit to a working solar community; registration opens later.
    visit_start = midnight + timedelta(days=20, hours=9)
    _session(
        process, organiser,
        title_ro="Vizită de teren: comunitatea solară din Florești",
        title_en="Site visit: the solar community in Florești",
        description_ro="Vedem instalația și discutăm cu cei care o administrează.",
        description_en="We see the installation and talk to the people who run it.",
        format="onsite", address="Str. Eroilor 1, Florești", lat=46.7466, lon=23.4908,
        starts_at=visit_start, ends_at=visit_start + timedelta(hours=4),
        language="ro", capacity=20, lab_phase="experiment",
        registration_opens_at=midnight + timedelta(days=6, hours=6),
        registration_closes_at=visit_start - timedelta(days=2),
    )


# ---------------------------------------------------------------- the hub


def _hub(process: Process, users: dict[str, Any]) -> None:
    rng = random.Random(100)
    organiser = users.get("admin@engage.test") or users[ORGANISER]
    start = _midnight() + timedelta(days=14, hours=8)
    meeting = _session(
        process, organiser,
        title_ro="Întâlnirea națională de lucru: contractele climatice în 2026",
        title_en="National working meeting: the climate city contracts in 2026",
        description_ro=("Orașele misiunii și orașele care se pregătesc își prezintă planurile "
                        "de investiții; o sesiune despre finanțare cu Banca Europeană de "
                        "Investiții."),
        description_en=("The mission cities and the cities preparing to join present their "
                        "investment plans; a session on funding with the European Investment "
                        "Bank."),
        format="hybrid", address="Palatul Parlamentului, Str. Izvor 2-4, București",
        lat=44.4275, lon=26.0875, online_url="https://meet.example.org/m100-ro",
        starts_at=start, ends_at=start + timedelta(hours=7),
        language="ro_en", capacity=60, lab_phase="evaluate", interpreting=True,
        step_free_access=True, stakeholder_groups=["public_authority", "research"],
    )
    _crowd(meeting, rng, 15, status="confirmed", groups=("public_authority", "research"),
           at=_midnight() - timedelta(days=2))
    _register_demo_user(meeting, users[ORGANISER])
