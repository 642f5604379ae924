"""The Process base: create, edit, publish and close processes; the generic process page."""


def init_app(app) -> None:  # noqa: ANN001
    from engage.processes import routes

    app.register_blueprint(routes.bp)
