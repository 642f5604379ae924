"""Living labs: the sessions of a *livinglab* process (workshops, site visits, webinars,
national working meetings), people's registrations with capacity, per-group caps and a
waitlist, their tickets, calendars and cancellations, the organisers' attendee lists, messages
and exports, check-in at the door, and the outcome and stakeholder mix after a session.

Modules: `models`; `services` (registering, confirming, cancelling, promoting, checking in —
the rules that hold under load), `sessions` (the organisers' session services), `stats`
(attendance and stakeholder mix), `exports` (the attendee CSV), `calendar` (iCalendar files and
feeds), `tickets` (QR codes), `mail` (the participants' e-mails), `forms`; `routes` (the
participants' pages), `manage` (the organisers' pages), `outcome` (outcome notes and
attachments), `checkin` (the door), `api` (open data), `demo`.
"""


def init_app(app) -> None:  # noqa: ANN001
    """Register the living-lab blueprints (the models come with them)."""
    from engage.livinglabs import (  # noqa: F401  (citations, exports, pack: register)
        checkin,
        citations,
        exports,
        manage,
        outcome,
        owndata,
        pack,
        routes,
    )

    for module in (routes, manage, outcome, checkin):
        app.register_blueprint(module.bp)
