"""Ideas: citizens submit ideas to an ideas process, support or vote on them and discuss them;
moderators keep them clean, merge duplicates and say what became of each one.

`routes` holds the citizens' and moderators' pages, `follow` the e-mail updates about ideas
(per change or a daily digest) and their settings.
"""


def init_app(app) -> None:  # noqa: ANN001
    from engage.cities.themes import theme_label
    from engage.ideas import (  # noqa: F401  (citations, exports, pack: register)
        citations,
        exports,
        follow,
        owndata,
        pack,
        routes,
    )

    app.jinja_env.globals["theme_label"] = theme_label

    app.register_blueprint(routes.bp)
    app.register_blueprint(follow.bp)
