"""Demo data for development and demonstrations: the hub, cities, processes, funding calls and
demo accounts (`flask --app engage demo-data`).

Loading is idempotent: every row is found by its natural key (city slug, e-mail, (city,
process slug), funding-call code) and brought to the values below, so a second run on the same
day changes nothing and never duplicates. Dates are relative to today (whole hours), so the
demo always has open and upcoming processes and funding calls with future deadlines.

The demo accounts' password is for development only: never load demo data in production.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select

from engage.accounts.models import User
from engage.accounts.services import hash_password
from engage.cities.models import City, CityRole, FundingCall
from engage.core.db import utcnow
from engage.extensions import db
from engage.processes.models import Process

DEMO_PASSWORD = "engage-demo-2026"  # development only; listed in the README

HUB = {
    "slug": "hub",
    "kind": "hub",
    "name_ro": "Hubul național M100 România",
    "name_en": "Romania's national M100 hub",
    "county": "",
    "is_mission_city": False,
    "description_ro": (
        "Hubul național al Misiunii UE „100 de orașe inteligente și neutre din punct de vedere "
        "climatic până în 2030”: întâlniri de lucru, schimb de experiență între orașe și "
        "oportunități de finanțare."
    ),
    "description_en": (
        "The national hub of the EU Mission \"100 Climate-Neutral and Smart Cities by 2030\": "
        "working meetings, exchange between cities and funding opportunities."
    ),
}

CITIES: list[dict[str, Any]] = [
    {
        "slug": "bucuresti-sector-2",
        "name_ro": "București – Sectorul 2",
        "name_en": "Bucharest – Sector 2",
        "county": "București",
        "is_mission_city": True,
        "description_ro": (
            "Oraș al misiunii din 2022. Sectorul 2 lucrează la renovarea blocurilor, la străzi "
            "mai sigure pentru pietoni și bicicliști și la mai multă verdeață între blocuri."
        ),
        "description_en": (
            "A mission city since 2022. Sector 2 works on renovating apartment blocks, safer "
            "streets for walking and cycling, and more green space between the blocks."
        ),
    },
    {
        "slug": "suceava",
        "name_ro": "Suceava",
        "name_en": "Suceava",
        "county": "Suceava",
        "is_mission_city": True,
        "description_ro": (
            "Oraș al misiunii din 2022. Suceava pregătește Contractul climatic al orașului "
            "împreună cu locuitorii: termoficare curată, transport public și adaptare la "
            "valurile de căldură."
        ),
        "description_en": (
            "A mission city since 2022. Suceava prepares its Climate City Contract together "
            "with its residents: clean district heating, public transport and adaptation to "
            "heatwaves."
        ),
    },
    {
        "slug": "cluj-napoca",
        "name_ro": "Cluj-Napoca",
        "name_en": "Cluj-Napoca",
        "county": "Cluj",
        "is_mission_city": True,
        "description_ro": (
            "Oraș al misiunii din 2022, cu o tradiție de bugetare participativă. Prioritățile: "
            "comunități energetice, acoperișuri verzi și calitatea aerului."
        ),
        "description_en": (
            "A mission city since 2022, with a tradition of participatory budgeting. "
            "Priorities: energy communities, green roofs and air quality."
        ),
    },
    {
        "slug": "brasov",
        "name_ro": "Brașov",
        "name_en": "Brașov",
        "county": "Brașov",
        "is_mission_city": False,
        "description_ro": (
            "Orașul de la poalele Tâmpei își protejează pădurea urbană și extinde transportul "
            "public electric."
        ),
        "description_en": (
            "The city at the foot of Mount Tâmpa protects its urban forest and extends "
            "electric public transport."
        ),
    },
    {
        "slug": "timisoara",
        "name_ro": "Timișoara",
        "name_en": "Timișoara",
        "county": "Timiș",
        "is_mission_city": False,
        "description_ro": (
            "Timișoara redă Bega locuitorilor și pregătește orașul pentru veri tot mai calde."
        ),
        "description_en": (
            "Timișoara gives the Bega river back to its residents and prepares the city for "
            "ever hotter summers."
        ),
    },
    {
        "slug": "iasi",
        "name_ro": "Iași",
        "name_en": "Iași",
        "county": "Iași",
        "is_mission_city": False,
        "description_ro": (
            "Iașiul modernizează rețeaua de tramvai și încurajează deplasările pe jos între "
            "cartiere și centrele universitare."
        ),
        "description_en": (
            "Iași modernises its tram network and encourages walking between neighbourhoods "
            "and the university campuses."
        ),
    },
    {
        "slug": "oradea",
        "name_ro": "Oradea",
        "name_en": "Oradea",
        "county": "Bihor",
        "is_mission_city": False,
        "description_ro": (
            "Oradea folosește energia geotermală pentru încălzire și caută parteneri pentru "
            "noi proiecte locale."
        ),
        "description_en": (
            "Oradea heats with geothermal energy and looks for partners for new local projects."
        ),
    },
    {
        "slug": "alba-iulia",
        "name_ro": "Alba Iulia",
        "name_en": "Alba Iulia",
        "county": "Alba",
        "is_mission_city": False,
        "description_ro": (
            "Alba Iulia testează soluții de oraș inteligent și colectarea separată a "
            "deșeurilor biodegradabile."
        ),
        "description_en": (
            "Alba Iulia tests smart-city solutions and the separate collection of "
            "biodegradable waste."
        ),
    },
]


@dataclass(frozen=True)
class DemoUser:
    email: str
    display_name: str
    language: str
    stakeholder_type: str
    is_admin: bool = False
    roles: tuple[tuple[str, str], ...] = ()  # (city slug, role)


USERS = [
    DemoUser("admin@engage.test", "Administrator engage", "ro", "public_authority", True),
    DemoUser(
        "organiser@engage.test", "Ioana Popescu", "ro", "public_authority",
        roles=(("suceava", "organiser"), ("cluj-napoca", "organiser")),
    ),
    DemoUser(
        "moderator@engage.test", "Mihai Ionescu", "ro", "public_authority",
        roles=(("suceava", "moderator"), ("cluj-napoca", "moderator")),
    ),
    DemoUser("citizen@engage.test", "Alex Morgan", "en", "research"),
    DemoUser("cetatean@engage.test", "Maria Dumitrescu", "ro", "citizen"),
]


@dataclass(frozen=True)
class DemoProcess:
    city: str
    slug: str
    kind: str
    title_ro: str
    title_en: str
    description_ro: str
    description_en: str
    themes: tuple[str, ...]
    opens_in_days: int
    closes_in_days: int
    status: str = "published"
    moderation_mode: str = "post"
    owner: str = "admin@engage.test"


PROCESSES = [
    DemoProcess(
        "bucuresti-sector-2", "strazi-pentru-oameni", "ideas",
        "Străzi pentru oameni: idei pentru cartierul dumneavoastră",
        "Streets for people: ideas for your neighbourhood",
        "Unde ar trebui să apară piste de biciclete, treceri de pietoni mai sigure sau "
        "străzi școlare? Propuneți idei și susțineți-le pe cele care vă plac.",
        "Where should new cycle lanes, safer crossings or school streets go? Propose ideas "
        "and support the ones you like.",
        ("mobility", "nature"), -20, 40,
    ),
    DemoProcess(
        "bucuresti-sector-2", "renovarea-blocurilor", "consultation",
        "Renovarea energetică a blocurilor din Sectorul 2",
        "Energy renovation of Sector 2's apartment blocks",
        "Un chestionar scurt despre locuința dumneavoastră, facturile la căldură și ce v-ar "
        "ajuta să participați la renovarea blocului.",
        "A short questionnaire about your home, your heating bills and what would help you "
        "take part in renovating your block.",
        ("buildings", "energy"), -10, 25, moderation_mode="pre",
    ),
    DemoProcess(
        "suceava", "harta-caldurii", "science",
        "Harta căldurii din Suceava: măsurători în cartiere",
        "Suceava heat map: readings in the neighbourhoods",
        "Măsurați temperatura în curtea școlii, în parc sau în stația de autobuz și "
        "adăugați o fotografie. Datele verificate devin o hartă deschisă.",
        "Measure the temperature in a schoolyard, a park or at a bus stop and add a photo. "
        "Verified readings become an open map.",
        ("adaptation", "nature"), -5, 60, owner="organiser@engage.test",
    ),
    DemoProcess(
        "suceava", "prioritati-contract-climatic", "consultation",
        "Prioritățile Sucevei pentru Contractul climatic al orașului",
        "Suceava's priorities for the Climate City Contract",
        "Consultarea s-a încheiat. Mulțumim celor care au răspuns: rezumatele pe teme "
        "alimentează proiectul de contract.",
        "The consultation has closed. Thank you to everyone who answered: the summaries by "
        "theme feed the contract draft.",
        ("governance", "energy", "mobility"), -120, -60, status="closed",
        owner="organiser@engage.test",
    ),
    DemoProcess(
        "suceava", "energie-in-cartier", "ideas",
        "Energie în cartier: sunteți de acord?",
        "Energy in the neighbourhood: do you agree?",
        "Citiți propunerile vecinilor și spuneți pentru fiecare dacă sunteți de acord, împotrivă "
        "sau nu știți. Harta opiniilor arată grupurile de păreri și propunerile care adună pe "
        "toată lumea.",
        "Read your neighbours' proposals and say for each whether you agree, disagree or are "
        "unsure. The opinion map shows the groups of views and the proposals everyone backs.",
        ("energy", "governance"), -12, 30, owner="organiser@engage.test",
    ),
    DemoProcess(
        "suceava", "mobilitate-activa-scoli", "livinglab",
        "Laborator viu: mobilitate activă spre școli",
        "Living lab: active travel to schools",
        "Ateliere cu părinți, profesori și elevi pentru trasee sigure pe jos și cu bicicleta "
        "spre școlile din cartierul Obcini.",
        "Workshops with parents, teachers and pupils on safe walking and cycling routes to "
        "the schools of the Obcini neighbourhood.",
        ("mobility", "governance"), 7, 45, owner="organiser@engage.test",
    ),
    DemoProcess(
        "cluj-napoca", "acoperisuri-verzi-solare", "ideas",
        "Acoperișuri verzi și solare în Cluj-Napoca",
        "Green and solar roofs in Cluj-Napoca",
        "Ce clădiri publice ar trebui să primească primele panouri solare sau un acoperiș "
        "verde? Propuneți și susțineți idei.",
        "Which public buildings should get solar panels or a green roof first? Propose and "
        "support ideas.",
        ("energy", "nature", "buildings"), -15, 30, moderation_mode="pre",
        owner="organiser@engage.test",
    ),
    DemoProcess(
        "cluj-napoca", "senzori-calitatea-aerului", "science",
        "Senzori pentru calitatea aerului",
        "Air-quality sensors",
        "Locuitorii au măsurat particulele fine lângă școli și intersecții aglomerate. "
        "Campania s-a încheiat; setul de date este public.",
        "Residents measured fine particles near schools and busy junctions. The campaign "
        "has ended; the data set is public.",
        ("adaptation", "mobility"), -200, -30, status="closed", owner="organiser@engage.test",
    ),
    DemoProcess(
        "cluj-napoca", "comunitati-energetice", "livinglab",
        "Comunități energetice în cartiere",
        "Neighbourhood energy communities",
        "Sesiuni de co-proiectare cu asociații de proprietari, cercetători și firme locale "
        "pentru primele comunități de energie regenerabilă.",
        "Co-design sessions with homeowners' associations, researchers and local firms for "
        "the first renewable-energy communities.",
        ("energy", "governance"), -3, 50, owner="organiser@engage.test",
    ),
    DemoProcess(
        "cluj-napoca", "strategia-economie-circulara", "consultation",
        "Strategia de economie circulară",
        "Circular economy strategy",
        "Proiect în lucru: întrebări despre reparare, reutilizare și colectarea separată.",
        "Work in progress: questions on repair, reuse and separate collection.",
        ("waste",), 30, 90, status="draft", owner="organiser@engage.test",
    ),
    DemoProcess(
        "brasov", "padurea-urbana", "ideas",
        "Pădurea urbană a Brașovului",
        "Brașov's urban forest",
        "Cum îngrijim pădurea de pe Tâmpa și parcurile orașului? Ideile se pot trimite în "
        "curând.",
        "How should we look after the forest on Mount Tâmpa and the city's parks? Ideas can "
        "be sent soon.",
        ("nature", "adaptation"), 14, 60,
    ),
    DemoProcess(
        "timisoara", "bega-rau-rezilient", "consultation",
        "Bega, un râu rezilient",
        "The Bega, a resilient river",
        "Spuneți-ne cum folosiți malurile Begăi și ce ar face orașul mai pregătit pentru "
        "ploi torențiale și caniculă.",
        "Tell us how you use the banks of the Bega and what would make the city better "
        "prepared for downpours and heatwaves.",
        ("adaptation", "nature"), -7, 35,
    ),
    DemoProcess(
        "iasi", "transport-public-electric", "ideas",
        "Transport public electric în Iași",
        "Electric public transport in Iași",
        "Ideile despre noile linii de tramvai și autobuz electric au fost analizate și "
        "publicate în raportul final.",
        "The ideas on new tram and electric bus lines have been reviewed and published in "
        "the final report.",
        ("mobility", "energy"), -150, -90, status="closed",
    ),
    DemoProcess(
        "oradea", "energie-geotermala", "livinglab",
        "Energie geotermală pentru cartierele Oradiei",
        "Geothermal energy for Oradea's neighbourhoods",
        "Webinarii și vizite de teren despre extinderea rețelei geotermale.",
        "Webinars and site visits on extending the geothermal network.",
        ("energy", "buildings"), -2, 40,
    ),
    DemoProcess(
        "alba-iulia", "compost-in-cartier", "science",
        "Compost în cartier",
        "Neighbourhood composting",
        "Cântăriți deșeurile biodegradabile din gospodărie timp de o lună și aflați cât "
        "compost ar putea produce cartierul.",
        "Weigh your household's biodegradable waste for a month and find out how much "
        "compost the neighbourhood could make.",
        ("waste",), -1, 30,
    ),
    DemoProcess(
        "hub", "intalnirea-nationala-de-lucru", "livinglab",
        "Întâlnirea națională de lucru a orașelor M100",
        "National working meeting of the M100 cities",
        "Orașele misiunii și celelalte orașe românești își prezintă contractele climatice, "
        "planurile de investiții și lecțiile învățate.",
        "The mission cities and the other Romanian cities present their climate contracts, "
        "investment plans and lessons learned.",
        ("governance",), -4, 30,
    ),
]

HORIZON_2024_URL = (
    "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/"
    "topic-details/horizon-miss-2024-cit-01-01"
)


def _funding_calls(today: date) -> list[dict[str, Any]]:
    return [
        {
            "code": "HORIZON-MISS-2024-CIT-01-01",
            "title_ro": "Regândirea spațiilor urbane pentru neutralitatea climatică",
            "title_en": "Rethinking urban spaces for climate neutrality",
            "programme": "Horizon Europe – Cities Mission",
            "deadline": date(2025, 2, 11),
            "url": HORIZON_2024_URL,
            "themes": ["buildings", "mobility", "nature"],
        },
        {
            "code": "LIFE-CET-LOCAL",
            "title_ro": "Asistență tehnică pentru planuri locale de investiții în energie curată",
            "title_en": "Technical assistance for local clean-energy investment plans",
            "programme": "LIFE – Clean Energy Transition",
            "deadline": today + timedelta(days=45),
            "url": "https://cinea.ec.europa.eu/programmes/life_en",
            "themes": ["energy", "buildings"],
        },
        {
            "code": "NZC-TWINNING",
            "title_ro": "Programul de înfrățire pentru orașele care urmează misiunea",
            "title_en": "Twinning learning programme for cities following the mission",
            "programme": "NetZeroCities",
            "deadline": today + timedelta(days=90),
            "url": "https://netzerocities.eu/",
            "themes": ["governance"],
        },
        {
            "code": "EUI-IA-GREEN",
            "title_ro": "Acțiuni inovatoare urbane: tranziția verde a orașelor",
            "title_en": "Urban innovative actions: the green transition of cities",
            "programme": "European Urban Initiative",
            "deadline": today + timedelta(days=150),
            "url": "https://www.urban-initiative.eu/",
            "themes": ["nature", "adaptation", "waste"],
        },
    ]


class _Tally:
    """What the load did, per kind of row: created, updated or unchanged."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {}

    def add(self, kind: str, outcome: str) -> None:
        self.counts.setdefault(kind, Counter())[outcome] += 1

    def summary(self) -> str:
        parts = [
            f"{kind} {c['created']} created, {c['updated']} updated"
            for kind, c in self.counts.items()
        ]
        return "demo data: " + "; ".join(parts)


def _upsert(model: type, key: dict[str, Any], values: dict[str, Any]) -> tuple[Any, str]:
    """Find the row with `key` and bring it to `values`; create it when missing."""
    row = db.session.scalars(select(model).filter_by(**key)).first()
    if row is None:
        row = model(**key, **values)
        db.session.add(row)
        db.session.flush()
        return row, "created"
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        db.session.flush()
    return row, "updated" if changed else "unchanged"


def _password_matches(password_hash: str, password: str) -> bool:
    # Any Argon2 parameters: the demo must not rehash (and so "change") on every run.
    try:
        return PasswordHasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _load_user(spec: DemoUser, tally: _Tally) -> User:
    values = {
        "display_name": spec.display_name,
        "language": spec.language,
        "stakeholder_type": spec.stakeholder_type,
        "is_admin": spec.is_admin,
        "is_active_account": True,
    }
    user = db.session.scalars(select(User).where(User.email == spec.email)).first()
    if user is None:
        values |= {"password_hash": hash_password(DEMO_PASSWORD), "email_verified_at": utcnow()}
        user, outcome = _upsert(User, {"email": spec.email}, values)
        tally.add("users", outcome)
        return user
    _, outcome = _upsert(User, {"email": spec.email}, values)
    if not _password_matches(user.password_hash, DEMO_PASSWORD):
        user.password_hash = hash_password(DEMO_PASSWORD)
        outcome = "updated"
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        outcome = "updated"
    db.session.flush()
    tally.add("users", outcome)
    return user


def load_demo_data() -> str:
    """Create or update the demo rows (flushes; the caller commits). Returns a summary line."""
    tally = _Tally()
    today = utcnow().date()
    # Whole hours from today's midnight (UTC), so a re-run the same day changes nothing.
    midnight = datetime.combine(today, time(0, 0), tzinfo=UTC)

    cities: dict[str, City] = {}
    for spec in [HUB, *CITIES]:
        values = {k: v for k, v in spec.items() if k != "slug"}
        values.setdefault("kind", "city")
        city, outcome = _upsert(City, {"slug": spec["slug"]}, values)
        cities[city.slug] = city
        tally.add("cities", outcome)

    users = {spec.email: _load_user(spec, tally) for spec in USERS}

    for spec in USERS:
        for city_slug, role in spec.roles:
            key = {"user_id": users[spec.email].id, "city_id": cities[city_slug].id, "role": role}
            _, outcome = _upsert(CityRole, key, {})
            tally.add("roles", outcome)

    processes: dict[tuple[str, str], Process] = {}
    for spec in PROCESSES:
        opens_at = midnight + timedelta(days=spec.opens_in_days, hours=6)
        closes_at = midnight + timedelta(days=spec.closes_in_days, hours=21)
        values = {
            "kind": spec.kind,
            "title_ro": spec.title_ro,
            "title_en": spec.title_en,
            "description_ro": spec.description_ro,
            "description_en": spec.description_en,
            "themes": list(spec.themes),
            "opens_at": opens_at,
            "closes_at": closes_at,
            "status": spec.status,
            "moderation_mode": spec.moderation_mode,
            "published_at": None if spec.status == "draft" else opens_at - timedelta(days=7),
            "created_by_id": users[spec.owner].id,
        }
        process, outcome = _upsert(
            Process, {"city_id": cities[spec.city].id, "slug": spec.slug}, values
        )
        processes[(spec.city, spec.slug)] = process
        tally.add("processes", outcome)

    from engage.consultations import demo as consultations_demo
    from engage.ideas import demo as ideas_demo
    from engage.livinglabs import demo as livinglabs_demo
    from engage.science import demo as science_demo
    from engage.synthesis import demo as synthesis_demo

    ideas_demo.load(users, processes, tally)
    consultations_demo.load(users, processes, tally)
    science_demo.load(users, processes, tally)
    livinglabs_demo.load(users, processes, tally)
    synthesis_demo.load(users, processes, tally)

    for call in _funding_calls(today):
        values = {k: v for k, v in call.items() if k != "code"}
        _, outcome = _upsert(FundingCall, {"code": call["code"]}, values)
        tally.add("funding calls", outcome)

    return tally.summary()
