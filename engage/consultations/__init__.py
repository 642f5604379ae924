"""Consultations: questionnaires in sections that citizens answer on a phone, typed-in paper
responses, and results a city can use (charts with tables, breakdowns, the open-data API).

Blueprints: `builder` (organisers build the questionnaire, its settings, paper responses),
`respond` (citizens answer), `routes` (the results page).
"""


def init_app(app) -> None:  # noqa: ANN001
    from engage.consultations import (
        answers,
        builder,
        citations,  # noqa: F401  (registers)
        exports,  # noqa: F401  (registers)
        moderation,
        owndata,  # noqa: F401  (registers)
        pack,  # noqa: F401  (registers)
        paper,
        respond,
        routes,
        versions,  # noqa: F401  (its listeners raise the version)
    )

    app.jinja_env.globals["describe_answer"] = answers.describe
    app.jinja_env.globals["settings_obj"] = answers.settings_view

    app.register_blueprint(builder.bp)
    app.register_blueprint(respond.bp)
    app.register_blueprint(routes.bp)
    app.register_blueprint(paper.bp)
    app.register_blueprint(moderation.bp)
