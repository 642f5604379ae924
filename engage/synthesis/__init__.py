"""The synthesis workspace: themes found in the text input, opinion groups on agree/disagree
votes, summaries citing input, the Climate City Contract draft."""


def init_app(app) -> None:  # noqa: ANN001
    """Register the synthesis blueprints; the summaries tell `core.citations` who cites what."""
    import engage.synthesis.contract_manage  # noqa: F401  (the organisers' contract pages)
    import engage.synthesis.contract_routes  # noqa: F401  (the public contract pages)
    from engage.synthesis import (  # noqa: F401  (the citers; owndata, exports, pack register)
        contract,
        exports,
        models,
        owndata,
        pack,
        routes,
        summaries,
    )

    app.register_blueprint(routes.bp)
