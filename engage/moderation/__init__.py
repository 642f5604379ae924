"""The moderation desk: one queue per city across every kind of citizen input (pending,
reported, automatically flagged), the decisions on it with their reasons, each item's history,
and the automatic flags with each city's settings and blocked terms.

Modules: `models` (settings, blocked terms, flags); `services` (decisions, the queue, history);
`permissions`; `flags` (the automatic checks); `routes` (the desk), `manage` (settings).
"""


def init_app(app) -> None:  # noqa: ANN001
    """Register the moderation blueprints (each module adds its own lines below)."""
    from engage.moderation import models  # noqa: F401  (the tables)
    from engage.moderation.routes import bp as moderation_bp

    app.register_blueprint(moderation_bp)
    from engage.moderation import flags  # noqa: F401  (the automatic checks' session listeners)
    from engage.moderation.manage import bp as moderation_settings_bp

    app.register_blueprint(moderation_settings_bp)
