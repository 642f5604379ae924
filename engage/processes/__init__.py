"""The Process base: create, edit, publish and close processes; the generic process page."""


def init_app(app) -> None:  # noqa: ANN001
    from engage.processes import owndata, routes  # noqa: F401  (owndata: registers)

    app.register_blueprint(routes.bp)
