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
    """Register the living-lab blueprints (each module adds its own lines below)."""
    from engage.livinglabs import models  # noqa: F401  (the tables)
    from engage.livinglabs.routes import bp as livinglab_bp

    app.register_blueprint(livinglab_bp)
    from engage.livinglabs.checkin import bp as livinglab_checkin_bp

    app.register_blueprint(livinglab_checkin_bp)
    from engage.livinglabs.manage import bp as livinglab_manage_bp

    app.register_blueprint(livinglab_manage_bp)
    from engage.livinglabs.outcome import bp as livinglab_outcome_bp

    app.register_blueprint(livinglab_outcome_bp)
