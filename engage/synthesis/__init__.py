"""The synthesis workspace: themes found in the text input, opinion groups on agree/disagree
votes, summaries citing input, the Climate City Contract draft."""


def init_app(app) -> None:  # noqa: ANN001
    """Register the synthesis blueprints; the summaries tell `core.citations` who cites what."""
    from engage.synthesis import models, routes, summaries  # noqa: F401  (tables; the citer)

    app.register_blueprint(routes.bp)
