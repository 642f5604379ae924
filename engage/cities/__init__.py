"""Cities and the hub: public pages, the admin pages for cities, roles and funding calls."""


def init_app(app) -> None:  # noqa: ANN001
    from engage.cities import owndata, routes  # noqa: F401  (owndata: registers)

    app.register_blueprint(routes.bp)
    app.register_blueprint(routes.admin_bp)
