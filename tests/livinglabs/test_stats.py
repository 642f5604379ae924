"""Attendance and stakeholder mix: every count right, per group, for a session and a living lab,
in one query whatever the number of registrations; the public partial shows aggregates only."""

from __future__ import annotations

from flask import render_template

from engage.livinglabs import stats


def _fill(session, make_registration):  # noqa: ANN001, ANN202
    make_registration(session, status="confirmed", stakeholder_type="citizen")
    make_registration(session, status="confirmed", stakeholder_type="research")
    make_registration(session, status="attended", stakeholder_type="citizen")
    make_registration(session, status="attended", stakeholder_type="business", name="Walk In",
                      channel="walk_in", email_confirmed_at=None)
    make_registration(session, status="no_show", stakeholder_type="research")
    make_registration(session, status="waitlisted", stakeholder_type="citizen")
    make_registration(session, status="pending", stakeholder_type="civil_society")
    make_registration(session, status="cancelled", stakeholder_type="citizen")
    make_registration(session, status="cancelled", stakeholder_type="citizen",
                      cancelled_late=True)
    make_registration(session, status="expired", stakeholder_type="citizen")


def test_a_sessions_mix_counts_every_status_and_group(make_session, make_registration,
                                                      count_queries):
    session = make_session()
    _fill(session, make_registration)
    assert session.id  # loaded (the commits expired it)
    with count_queries() as counted:
        mix = stats.attendance_mix(session)
    assert counted.n == 1
    assert (mix.registered, mix.confirmed, mix.waitlisted, mix.attended, mix.no_show,
            mix.cancelled, mix.cancelled_late, mix.walk_ins, mix.pending) == (
        7, 2, 1, 2, 1, 2, 1, 1, 1)
    assert [g.key for g in mix.groups] == ["citizen", "research", "civil_society", "business"]
    assert (mix.group("citizen").registered, mix.group("citizen").attended) == (3, 1)
    assert (mix.group("research").registered, mix.group("research").attended) == (2, 0)
    assert (mix.group("business").registered, mix.group("business").attended) == (1, 1)
    assert mix.group("other").registered == 0


def test_a_living_labs_mix_adds_its_sessions(make_session, make_registration, make_process,
                                             city):
    one, two = make_session(), make_session()
    _fill(one, make_registration)
    make_registration(two, status="attended", stakeholder_type="public_authority")
    other_lab = make_process(city, kind="livinglab")
    elsewhere = make_session(process=other_lab)
    make_registration(elsewhere, status="attended")
    mix = stats.process_mix(one.process)
    assert mix.registered == 8 and mix.attended == 3
    assert mix.group("public_authority").attended == 1


def test_an_empty_session(make_session):
    mix = stats.attendance_mix(make_session())
    assert mix.is_empty and mix.groups == []


def test_the_partial_shows_figures_not_names(app, make_session, make_registration):
    session = make_session()
    make_registration(session, status="attended", name="<b>Secret Name</b>",
                      stakeholder_type="research")
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        html = render_template("livinglabs/_attendance.html",
                               mix=stats.attendance_mix(session))
    assert "Secret Name" not in html
    assert "Research and academia" in html and "<svg" in html and "<table" in html
    assert 'aria-hidden="true"' in html
