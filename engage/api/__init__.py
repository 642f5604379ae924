"""The read-only JSON API's machinery: the blueprint, pages, validators, CORS, JSON errors
(`core.errors` answers JSON under /api/), the OpenAPI document, and the features' routes."""


def init_app(app) -> None:  # noqa: ANN001
    from engage.api import http
    from engage.api.blueprint import bp

    # Each feature's api.py adds its endpoints (and declares their schemas) before registration.
    from engage.cities import api as cities_api  # noqa: F401
    from engage.consultations import api as consultations_api  # noqa: F401
    from engage.extensions import csrf
    from engage.ideas import api as ideas_api  # noqa: F401
    from engage.livinglabs import api as livinglabs_api  # noqa: F401
    from engage.processes import api as processes_api  # noqa: F401
    from engage.science import api as science_api  # noqa: F401
    from engage.synthesis import api as synthesis_api  # noqa: F401

    csrf.exempt(bp)
    if "api" not in app.blueprints:
        app.register_blueprint(bp)
    app.after_request(http.finish)
