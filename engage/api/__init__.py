"""The read-only JSON API's machinery: the blueprint, JSON errors, health, the features' routes."""


def init_app(app) -> None:  # noqa: ANN001
    from engage.api.blueprint import bp

    # Each feature's api.py adds its endpoints to the shared blueprint before registration.
    from engage.cities import api as cities_api  # noqa: F401
    from engage.consultations import api as consultations_api  # noqa: F401
    from engage.extensions import csrf
    from engage.ideas import api as ideas_api  # noqa: F401
    from engage.livinglabs import api as livinglabs_api  # noqa: F401
    from engage.processes import api as processes_api  # noqa: F401
    from engage.science import api as science_api  # noqa: F401

    csrf.exempt(bp)
    app.register_blueprint(bp)
