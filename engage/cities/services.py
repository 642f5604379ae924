"""City, role and funding-call operations, and the data behind the hub and city pages.

Services take and return models and values, flush but never commit, and never read the request.
A domain rule that refuses an operation raises `Refused(field, message)`: the route shows the
message on that form field and nothing is written. Uniqueness is checked first for a friendly
message, and the write runs inside a savepoint so that a concurrent request that wins the race
between the check and the write still ends in the same message instead of a 500.

Every listing here answers in a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from engage.accounts.models import User
from engage.accounts.services import find_user_by_email
from engage.cities.models import ROLES, City, CityRole, FundingCall
from engage.core.db import utcnow
from engage.core.forms import CEDILLA_TO_COMMA
from engage.core.i18n import LOCAL_TIMEZONE, localized
from engage.extensions import db
from engage.processes.models import Process
from engage.processes.services import (
    Participation,
    current_processes_by_city,
    participation_figures,
)

CITY_FIELDS = (
    "slug", "kind", "name_ro", "name_en", "county", "is_mission_city", "description_ro",
    "description_en", "guest_data_retention_days",
)
FUNDING_FIELDS = ("code", "title_ro", "title_en", "programme", "deadline", "url", "themes")

SLUG_TAKEN = _l("Another city already uses this address. Please choose another one.")
HUB_EXISTS = _l("There is already a national hub; only one may exist.")
NO_ACCOUNT = _l("There is no account with this e-mail address.")
UNKNOWN_ROLE = _l("Choose one of the roles listed.")
CODE_TAKEN = _l("Another funding call already has this code.")


class Refused(ValueError):
    """A domain rule refused the operation; `field` names the form field the message belongs to."""

    def __init__(self, field: str, message: Any) -> None:
        # `message` stays lazy: it is translated when shown, in the reader's language.
        super().__init__(field, message)
        self.field = field
        self.message = message


# ---------------------------------------------------------------- time and sorting


def bucharest_today(now: datetime | None = None) -> date:
    """Today's date in Romania: a call whose deadline is today is still open all day there."""
    return (now or utcnow()).astimezone(LOCAL_TIMEZONE).date()


# Romanian sorts ă after a, â after ă, î after i, ș after s and ț after t as letters of their
# own ("Suceava" before "Șimleu"); English ignores the marks and sorts "Șimleu" before "Suceava".
_ROMANIAN_LETTERS = {"ă": ("a", 1), "â": ("a", 2), "î": ("i", 1), "ș": ("s", 1), "ț": ("t", 1)}


def collation_key(text: str, language: str) -> tuple:
    """A sort key that orders names the way a reader of `language` expects."""
    folded = unicodedata.normalize("NFC", text).casefold().translate(CEDILLA_TO_COMMA)
    letters = []
    for char in folded:
        if language == "ro" and char in _ROMANIAN_LETTERS:
            letters.append(_ROMANIAN_LETTERS[char])
        else:
            letters.append((unicodedata.normalize("NFD", char)[0], 0))
    return (letters, folded)


def sort_by_name(cities: Iterable[City], language: str) -> list[City]:
    """Cities alphabetically by their name in `language` (the other language when missing)."""
    return sorted(
        cities, key=lambda city: collation_key(str(localized(city, "name", language)), language)
    )


# ---------------------------------------------------------------- public pages


@dataclass(frozen=True)
class HubOverview:
    """Everything the hub page shows, loaded in a fixed number of queries."""

    hub: City | None
    mission_cities: list[City]
    other_cities: list[City]
    current_processes: dict[int, list[Process]]
    figures: dict[int, Participation]
    open_calls: list[FundingCall]
    closed_calls: list[FundingCall]

    @property
    def hub_processes(self) -> list[Process]:
        return self.current_processes.get(self.hub.id, []) if self.hub else []


def split_calls(
    calls: Iterable[FundingCall], today: date
) -> tuple[list[FundingCall], list[FundingCall]]:
    """(open calls, soonest deadline first; closed calls, latest deadline first)."""
    by_deadline = sorted(calls, key=lambda call: (call.deadline, call.code))
    open_calls = [call for call in by_deadline if call.deadline >= today]
    closed_calls = [call for call in reversed(by_deadline) if call.deadline < today]
    return open_calls, closed_calls


def hub_overview(language: str, today: date | None = None) -> HubOverview:
    """The hub page's data: cities (mission cities apart), their current processes and figures,
    the hub space's own processes and the funding calls split into open and closed."""
    cities = list(db.session.scalars(select(City)))
    ids = [city.id for city in cities]
    hub = next((city for city in cities if city.is_hub), None)
    places = sort_by_name((city for city in cities if not city.is_hub), language)
    open_calls, closed_calls = split_calls(
        db.session.scalars(select(FundingCall)), today or bucharest_today()
    )
    return HubOverview(
        hub=hub,
        mission_cities=[city for city in places if city.is_mission_city],
        other_cities=[city for city in places if not city.is_mission_city],
        current_processes=current_processes_by_city(ids),
        figures=participation_figures(ids),
        open_calls=open_calls,
        closed_calls=closed_calls,
    )


@dataclass(frozen=True)
class CityOverview:
    """What a city's public page shows."""

    city: City
    current_processes: list[Process]
    past_processes: list[Process]
    figures: Participation


def past_processes(city: City) -> list[Process]:
    """The city's finished public processes, most recently closed first; never drafts."""
    now = utcnow()
    finished = or_(
        Process.status.in_(("closed", "archived")),
        and_(Process.status == "published", Process.closes_at <= now),
    )
    query = (
        select(Process)
        .where(Process.city_id == city.id, finished)
        .order_by(Process.closes_at.is_(None), Process.closes_at.desc(), Process.id.desc())
    )
    return list(db.session.scalars(query))


def city_overview(city: City) -> CityOverview:
    return CityOverview(
        city=city,
        current_processes=current_processes_by_city([city.id])[city.id],
        past_processes=past_processes(city),
        figures=participation_figures([city.id])[city.id],
    )


def all_cities() -> list[City]:
    """Every city and the hub, by slug (the API's stable order)."""
    return list(db.session.scalars(select(City).order_by(City.slug)))


# ---------------------------------------------------------------- cities (admin)


@dataclass(frozen=True)
class CityRow:
    """A city in the admin list, with how many processes and roles it has."""

    city: City
    processes: int
    roles: int


def cities_with_counts() -> list[CityRow]:
    """All cities, the hub first, with their process and role counts, in one query."""
    process_count = (
        select(func.count(Process.id)).where(Process.city_id == City.id).scalar_subquery()
    )
    role_count = (
        select(func.count(CityRole.id)).where(CityRole.city_id == City.id).scalar_subquery()
    )
    query = select(City, process_count, role_count).order_by(
        (City.kind == "hub").desc(), City.slug
    )
    return [CityRow(city, processes, roles) for city, processes, roles in db.session.execute(query)]


def _exists(*conditions: Any) -> bool:
    return db.session.scalar(select(City.id).where(*conditions).limit(1)) is not None


def _others(city: City) -> list[Any]:
    return [City.id != city.id] if city.id is not None else []


def slug_taken(slug: str, city: City) -> bool:
    """Whether a city other than `city` has `slug`."""
    return _exists(City.slug == slug, *_others(city))


def other_hub_exists(city: City) -> bool:
    """Whether a hub other than `city` exists."""
    return _exists(City.kind == "hub", *_others(city))


def _save_city(city: City, values: Mapping[str, Any]) -> City:
    values = {key: values[key] for key in CITY_FIELDS if key in values}
    if slug_taken(values.get("slug", city.slug), city):
        raise Refused("slug", SLUG_TAKEN)
    if values.get("kind", city.kind) == "hub" and other_hub_exists(city):
        raise Refused("kind", HUB_EXISTS)
    try:
        with db.session.begin_nested():
            for key, value in values.items():
                setattr(city, key, value)
            db.session.add(city)
    except IntegrityError as error:
        # Another request took the slug or created a hub after our check: same answer as the
        # check's, and the savepoint's rollback has undone this write only.
        if values.get("kind") == "hub" and _exists(City.kind == "hub", *_others(city)):
            raise Refused("kind", HUB_EXISTS) from error
        raise Refused("slug", SLUG_TAKEN) from error
    return city


def create_city(**values: Any) -> City:
    """Add a city (or the hub). Refused: slug taken, second hub."""
    return _save_city(City(), values)


def update_city(city: City, **values: Any) -> City:
    """Change a city's slug, kind, names, county, mission flag or descriptions."""
    return _save_city(city, values)


# ---------------------------------------------------------------- roles


def roles_of_person(user: User) -> list[CityRole]:
    """The person's city roles with their cities, in one query (for the profile page)."""
    query = (
        select(CityRole)
        .join(CityRole.city)
        .options(contains_eager(CityRole.city))
        .where(CityRole.user_id == user.id)
        .order_by(City.name_ro, City.id, CityRole.role)
    )
    return list(db.session.scalars(query))


def city_roles(city: City) -> list[CityRole]:
    """The city's roles with their people, by name, in one query."""
    query = (
        select(CityRole)
        .join(CityRole.user)
        .options(contains_eager(CityRole.user))
        .where(CityRole.city_id == city.id)
        .order_by(func.lower(User.display_name), User.id, CityRole.role)
    )
    return list(db.session.scalars(query))


def has_role(user: User, city: City, role: str) -> bool:
    query = select(CityRole.id).where(
        CityRole.user_id == user.id, CityRole.city_id == city.id, CityRole.role == role
    )
    return db.session.scalar(query.limit(1)) is not None


def grant_role(city: City, email: str, role: str, granted_by: User | None = None) -> CityRole:
    """Give the account with `email` a role in `city`. Refused: no such account, unknown role,
    a role the person already has (nothing is written then)."""
    if role not in ROLES:
        raise Refused("role", UNKNOWN_ROLE)
    user = find_user_by_email(email)
    if user is None:
        raise Refused("email", NO_ACCOUNT)
    already = _l(
        "%(person)s already has the role %(role)s in this city.",
        person=user.display_name,
        role=ROLES[role],
    )
    if has_role(user, city, role):
        raise Refused("email", already)
    grant = CityRole(
        user=user,
        city=city,
        role=role,
        granted_by_id=granted_by.id if granted_by is not None else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(grant)
    except IntegrityError as error:  # a double submit that raced past the check
        raise Refused("email", already) from error
    return grant


def revoke_role(grant: CityRole) -> None:
    db.session.delete(grant)
    db.session.flush()


# ---------------------------------------------------------------- funding calls


def funding_calls() -> list[FundingCall]:
    """All calls for the admin list, latest deadline first."""
    return list(
        db.session.scalars(
            select(FundingCall).order_by(FundingCall.deadline.desc(), FundingCall.code)
        )
    )


def code_taken(code: str, call: FundingCall) -> bool:
    """Whether a call other than `call` has `code`."""
    others = [FundingCall.id != call.id] if call.id is not None else []
    query = select(FundingCall.id).where(FundingCall.code == code, *others).limit(1)
    return db.session.scalar(query) is not None


def _save_call(call: FundingCall, values: Mapping[str, Any]) -> FundingCall:
    values = {key: values[key] for key in FUNDING_FIELDS if key in values}
    if code_taken(values.get("code", call.code), call):
        raise Refused("code", CODE_TAKEN)
    try:
        with db.session.begin_nested():
            for key, value in values.items():
                setattr(call, key, list(value) if key == "themes" else value)
            db.session.add(call)
    except IntegrityError as error:
        raise Refused("code", CODE_TAKEN) from error
    return call


def create_funding_call(**values: Any) -> FundingCall:
    return _save_call(FundingCall(), values)


def update_funding_call(call: FundingCall, **values: Any) -> FundingCall:
    return _save_call(call, values)


def delete_funding_call(call: FundingCall) -> None:
    db.session.delete(call)
    db.session.flush()



def display_name(city: City) -> str:
    """The city's name in the request's language (the other one when missing), for messages."""
    return str(localized(city, "name"))
