"""The verification services: each decision and its reason rules, who may decide, one decision
of two simultaneous ones (also with real threads, on both databases), bulk decisions, the audit
trail, the data version, the queue's filters and the counts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from sqlalchemy import select

from engage.accounts.models import User
from engage.cities.models import City, CityRole
from engage.core.audit import ModerationAction
from engage.core.db import utcnow
from engage.extensions import db
from engage.processes.models import Contribution, Process
from engage.science import verification
from engage.science.models import Observation, ScienceSettings, Verifier
from engage.science.verification import VerificationError
from tests.conftest import empty_database, standalone_app
from tests.science.conftest import count

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quoted"'


@pytest.fixture
def people(make_user, make_role, make_city, city, campaign):  # noqa: ANN001, ANN201
    other_city = make_city()
    found = {
        "moderator": make_user(),
        "verifier": make_user(),
        "organiser": make_user(),
        "other_moderator": make_user(),
        "citizen": make_user(),
        "admin": make_user(admin=True),
    }
    make_role(found["moderator"], city, "moderator")
    make_role(found["verifier"], city, "organiser")
    make_role(found["organiser"], city, "organiser")
    make_role(found["other_moderator"], other_city, "moderator")
    db.session.add(Verifier(process_id=campaign.id, user_id=found["verifier"].id))
    db.session.commit()
    return found


def _pending(campaign, people, **kwargs):  # noqa: ANN001, ANN202
    from tests.science.conftest import add_observation

    return add_observation(campaign, people["citizen"], status="pending", **kwargs)


def _text(message) -> str:  # noqa: ANN001
    """A lazy message as the English page shows it."""
    from flask import current_app

    with current_app.test_request_context(headers={"Cookie": "lang=en"}):
        return str(message)


def _audit(observation: Observation) -> list[ModerationAction]:
    return verification.history(observation)


def _version(process) -> int:  # noqa: ANN001
    db.session.expire_all()
    return db.session.get(ScienceSettings, process.id).data_version


# ---------------------------------------------------------------- decisions


def test_accept_without_reason_records_everything(campaign, people):
    observation = _pending(campaign, people)
    before = _version(campaign)
    verification.verify(people["moderator"], observation, "accepted", "")
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Observation, observation.id)
    assert stored.status == "accepted"
    assert stored.reason == ""
    assert stored.verified_by_id == people["moderator"].id
    assert stored.verified_at is not None
    assert abs(stored.verified_at - utcnow()) < timedelta(minutes=1)
    [entry] = _audit(stored)
    assert entry.action == "verify:pending>accepted"
    assert entry.actor_id == people["moderator"].id
    assert entry.target_type == "observation" and entry.target_id == stored.id
    assert entry.city_id == campaign.city_id
    assert verification.describe_action(entry.action) == ("pending", "accepted")
    assert _version(campaign) == before + 1


@pytest.mark.parametrize("status", ["needs_checking", "rejected"])
def test_needs_checking_and_rejected_need_a_reason(campaign, people, status):
    observation = _pending(campaign, people)
    for reason in ("", "   \n ", None, 42, ["a reason"]):
        with pytest.raises(VerificationError) as refused:
            verification.verify(people["moderator"], observation, status, reason)
        assert refused.value.field == "reason"
        assert "reason" in _text(refused.value.message)
    assert db.session.get(Observation, observation.id).status == "pending"
    assert count(ModerationAction) == 0
    verification.verify(people["moderator"], observation, status, "  Blurred photo.  ")
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Observation, observation.id)
    assert (stored.status, stored.reason) == (status, "Blurred photo.")
    assert _audit(stored)[0].reason == "Blurred photo."
    assert _audit(stored)[0].action == f"verify:pending>{status}"


def test_accepted_may_carry_a_reason(campaign, people):
    observation = _pending(campaign, people)
    verification.verify(people["moderator"], observation, "accepted", "Checked on site.")
    assert observation.reason == "Checked on site."


def test_reason_length(campaign, people):
    observation = _pending(campaign, people)
    with pytest.raises(VerificationError) as refused:
        verification.verify(people["moderator"], observation, "rejected", "x" * 1001)
    assert refused.value.field == "reason"
    assert db.session.get(Observation, observation.id).status == "pending"
    verification.verify(people["moderator"], observation, "rejected", "x" * 1000)
    assert len(observation.reason) == 1000


@pytest.mark.parametrize("status", ["", "approved", "ACCEPTED", None, 3, ["accepted"]])
def test_unknown_decisions_are_refused(campaign, people, status):
    observation = _pending(campaign, people)
    with pytest.raises(VerificationError) as refused:
        verification.verify(people["moderator"], observation, status, "why")
    assert refused.value.field == "status"
    assert db.session.get(Observation, observation.id).status == "pending"


def test_hostile_text_is_stored_as_text(campaign, people):
    observation = _pending(campaign, people)
    verification.verify(people["moderator"], observation, "rejected", HOSTILE + "\x00\x07")
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Observation, observation.id)
    assert stored.reason == HOSTILE  # control characters dropped, nothing else touched
    assert _audit(stored)[0].reason == HOSTILE


def test_back_to_pending_forgets_the_verifier(campaign, people):
    observation = _pending(campaign, people)
    verification.verify(people["moderator"], observation, "rejected", "Wrong place.")
    verification.verify(people["admin"], observation, "pending", "Looking again.")
    assert observation.status == "pending"
    assert observation.verified_by_id is None and observation.verified_at is None
    assert [entry.action for entry in _audit(observation)] == [
        "verify:pending>rejected", "verify:rejected>pending"]


def test_reason_may_be_corrected_with_the_same_status(campaign, people):
    observation = _pending(campaign, people)
    verification.verify(people["moderator"], observation, "rejected", "Wrong place.")
    verification.verify(people["moderator"], observation, "rejected", "Outside the park.")
    assert observation.reason == "Outside the park."
    assert len(_audit(observation)) == 2


# ---------------------------------------------------------------- one decision of two


def test_double_click_makes_one_decision(campaign, people):
    observation = _pending(campaign, people)
    verification.verify(people["moderator"], observation, "accepted", "", seen="pending")
    db.session.commit()
    with pytest.raises(VerificationError) as refused:
        verification.verify(people["moderator"], observation, "accepted", "", seen="pending")
    assert "meanwhile" in _text(refused.value.message)
    assert "Accepted" in _text(refused.value.message)
    # Without the status seen, the same decision again is refused as already made.
    with pytest.raises(VerificationError) as again:
        verification.verify(people["moderator"], observation, "accepted", "")
    assert "already" in _text(again.value.message)
    assert len(_audit(observation)) == 1


def test_two_verifiers_at_once_make_one_decision(campaign, people):
    observation = _pending(campaign, people)
    verification.verify(people["moderator"], observation, "accepted", "", seen="pending")
    # The other verifier saw it pending too, and rejects it a moment later: refused.
    with pytest.raises(VerificationError):
        verification.verify(people["verifier"], observation, "rejected", "Blurred.",
                            seen="pending")
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Observation, observation.id)
    assert stored.status == "accepted"
    assert stored.verified_by_id == people["moderator"].id
    assert len(_audit(stored)) == 1


def test_a_forged_seen_status_is_ignored(campaign, people):
    observation = _pending(campaign, people)
    verification.verify(people["moderator"], observation, "accepted", "", seen="bogus")
    assert observation.status == "accepted"


# ---------------------------------------------------------------- who may decide


@pytest.mark.parametrize(("person", "allowed"), [
    ("moderator", True), ("admin", True), ("verifier", True),
    ("organiser", False), ("other_moderator", False), ("citizen", False),
])
def test_who_may_verify(campaign, people, person, allowed):
    observation = _pending(campaign, people)
    if allowed:
        verification.verify(people[person], observation, "accepted", "")
        assert observation.verified_by_id == people[person].id
    else:
        with pytest.raises(VerificationError):
            verification.verify(people[person], observation, "accepted", "")
        assert db.session.get(Observation, observation.id).status == "pending"
        assert count(ModerationAction) == 0


def test_anonymous_may_not_verify(campaign, people):
    from flask_login import AnonymousUserMixin

    observation = _pending(campaign, people)
    with pytest.raises(VerificationError):
        verification.verify(AnonymousUserMixin(), observation, "accepted", "")


def test_a_closed_campaign_is_still_verified(campaign, people):
    observation = _pending(campaign, people)
    campaign.closes_at = utcnow() - timedelta(days=1)
    db.session.commit()
    verification.verify(people["moderator"], observation, "accepted", "")
    assert observation.status == "accepted"


# ---------------------------------------------------------------- bulk


def test_bulk_decides_each_and_reports_the_others(campaign, people):
    first = _pending(campaign, people)
    second = _pending(campaign, people)
    taken = _pending(campaign, people)
    verification.verify(people["verifier"], taken, "rejected", "Duplicate.")
    before = _version(campaign)
    outcomes = verification.verify_many(people["moderator"], [first, taken, second],
                                        "accepted", "", seen="pending")
    db.session.commit()
    assert [outcome.done for outcome in outcomes] == [True, False, True]
    assert "meanwhile" in _text(outcomes[1].error)
    db.session.expire_all()
    statuses = {o.id: o.status for o in db.session.scalars(select(Observation))}
    assert statuses == {first.id: "accepted", second.id: "accepted", taken.id: "rejected"}
    assert count(ModerationAction) == 3  # the rejection, and two acceptances
    assert _version(campaign) == before + 1  # once per transaction


def test_bulk_reason_rules_apply_to_each(campaign, people):
    observations = [_pending(campaign, people) for _ in range(2)]
    outcomes = verification.verify_many(people["moderator"], observations, "rejected", "")
    assert not any(outcome.done for outcome in outcomes)
    assert count(ModerationAction) == 0


def test_bulk_has_a_limit(campaign, people):
    observation = _pending(campaign, people)
    with pytest.raises(VerificationError):
        verification.verify_many(people["moderator"], [observation] * 101, "accepted")


def test_bulk_refused_to_others(campaign, people):
    observation = _pending(campaign, people)
    [outcome] = verification.verify_many(people["other_moderator"], [observation], "accepted")
    assert not outcome.done
    assert db.session.get(Observation, observation.id).status == "pending"


# ---------------------------------------------------------------- queue and counts


def test_queue_filters_and_order(campaign, protocol, people):
    from tests.science.conftest import add_observation

    now = utcnow()
    surface = protocol["surface"]
    grass = surface.options[1]
    old = add_observation(campaign, people["citizen"], status="pending",
                          observed_at=now - timedelta(days=3), flags=["out_of_range"],
                          values=[(surface, grass)])
    recent = add_observation(campaign, people["citizen"], status="pending",
                             observed_at=now - timedelta(hours=1),
                             flags=["low_accuracy", "burst"])
    accepted = add_observation(campaign, people["citizen"], status="accepted",
                               observed_at=now - timedelta(days=2))

    def ids(**filters) -> list[int]:  # noqa: ANN003
        return [o.id for o in verification.queue(campaign, **filters).page.items]

    assert ids(status="pending") == [old.id, recent.id]  # oldest first
    assert ids() == [old.id, accepted.id, recent.id]
    assert ids(status="accepted") == [accepted.id]
    assert ids(status="pending", flag="burst") == [recent.id]
    assert ids(flag="out_of_range") == [old.id]
    assert ids(flag="outside_area") == []
    assert ids(flag="not-a-flag") == ids()  # unknown codes are ignored
    assert ids(since=now - timedelta(days=2, hours=1)) == [accepted.id, recent.id]
    assert ids(until=now - timedelta(days=1)) == [old.id, accepted.id]
    assert ids(field_id=surface.id) == [old.id]
    assert ids(field_id=surface.id, option_id=grass.id) == [old.id]
    assert ids(field_id=surface.id, option_id=surface.options[0].id) == []
    page = verification.queue(campaign, per_page=2, page=2).page
    assert (page.total, [o.id for o in page.items]) == (3, [recent.id])
    loaded = verification.queue(campaign, status="pending")
    assert [v.option_id for v in loaded.values[old.id]] == [grass.id]
    assert loaded.settings.process_id == campaign.id
    assert [f.id for f in loaded.fields] == [f.id for f in protocol.values()]


def test_queue_stays_in_its_campaign(campaign, people, make_process, city):
    from tests.science.conftest import add_observation

    other = make_process(city, kind="science")
    add_observation(other, people["citizen"], status="pending")
    mine = _pending(campaign, people)
    assert [o.id for o in verification.queue(campaign).page.items] == [mine.id]


def test_counts(campaign, people):
    from tests.science.conftest import add_observation

    add_observation(campaign, people["citizen"], status="pending", flags=["burst"])
    add_observation(campaign, people["citizen"], status="pending",
                    flags=["burst", "low_accuracy"])
    add_observation(campaign, people["citizen"], status="rejected", flags=["burst"])
    add_observation(campaign, people["citizen"], status="accepted")
    found = verification.counts(campaign)
    assert found["status"] == {"pending": 2, "accepted": 1, "needs_checking": 0,
                               "rejected": 1}
    assert found["flags"]["burst"] == 3
    assert found["flags"]["low_accuracy"] == 1
    assert found["flags"]["outside_area"] == 0
    pending = verification.counts(campaign, "pending")
    assert pending["flags"]["burst"] == 2
    assert pending["status"] == found["status"]


def test_counts_of_an_empty_campaign(campaign):
    found = verification.counts(campaign)
    assert set(found["status"].values()) == {0}
    assert set(found["flags"].values()) == {0}


# ---------------------------------------------------------------- real concurrency

THREADS = 8


@pytest.fixture(scope="module")
def committing(tmp_path_factory):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("science-verify-committing")
    with standalone_app(tmp, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False) as app:
        yield app


@pytest.mark.no_transaction
def test_simultaneous_verifiers_make_one_decision(committing):
    """Eight verifiers decide the same pending observations at the same moment, each with
    another decision: each observation gets exactly one decision and one audit entry."""
    import uuid

    app = committing
    empty_database(app)
    with app.app_context():
        city = City(slug="iasi", name_ro="Iași", name_en="Iași")
        verifiers = [User(email=f"verifier{n}@example.org", display_name=f"V {n}",
                          password_hash="x", email_verified_at=utcnow())
                     for n in range(THREADS)]
        db.session.add_all([city, *verifiers])
        db.session.flush()
        db.session.add_all([CityRole(user_id=user.id, city_id=city.id, role="moderator")
                            for user in verifiers])
        process = Process(city_id=city.id, kind="science", slug="aer", title_ro="Aer",
                          themes=["nature"], status="published",
                          opens_at=utcnow() - timedelta(days=1))
        db.session.add(process)
        db.session.flush()
        db.session.add(ScienceSettings(process_id=process.id, pseudonym_key=uuid.uuid4().hex))
        observation_ids = []
        for _ in range(5):
            contribution = Contribution(kind="observation", process_id=process.id,
                                        city_id=city.id, language="ro", text="",
                                        status="published")
            db.session.add(contribution)
            db.session.flush()
            observation = Observation(process_id=process.id, city_id=city.id,
                                      contribution_id=contribution.id,
                                      client_id=uuid.uuid4().hex, status="pending")
            db.session.add(observation)
            db.session.flush()
            observation_ids.append(observation.id)
        db.session.commit()
        user_ids = [user.id for user in verifiers]
        db.session.remove()

    barrier = Barrier(THREADS)
    decisions = ["accepted", "rejected", "needs_checking"]

    def decide(number: int) -> list[str]:
        results = []
        barrier.wait()
        for observation_id in observation_ids:
            with app.app_context():
                try:
                    user = db.session.get(User, user_ids[number])
                    observation = db.session.get(Observation, observation_id)
                    verification.verify(user, observation, decisions[number % 3],
                                        f"Reason {number}", seen="pending")
                    db.session.commit()
                    results.append("done")
                except VerificationError:
                    db.session.rollback()
                    results.append("refused")
                except Exception as error:  # noqa: BLE001 - reported below
                    db.session.rollback()
                    results.append(f"{type(error).__name__}: {error}")
                finally:
                    db.session.remove()
        return results

    with ThreadPoolExecutor(THREADS) as pool:
        results = [result for found in pool.map(decide, range(THREADS)) for result in found]
    assert sorted(set(results)) == ["done", "refused"]
    assert results.count("done") == len(observation_ids)
    with app.app_context():
        for observation_id in observation_ids:
            observation = db.session.get(Observation, observation_id)
            entries = db.session.scalars(select(ModerationAction).where(
                ModerationAction.target_id == observation_id)).all()
            assert len(entries) == 1
            assert entries[0].action == f"verify:pending>{observation.status}"
            assert entries[0].actor_id == observation.verified_by_id
        db.session.remove()
