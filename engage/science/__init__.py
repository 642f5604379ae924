"""Citizen science: campaigns whose protocol organisers define (fields, area, licence, public
precision), observations citizens capture on a phone — offline too — with location and photos,
their verification with automatic quality flags, the map and charts of the results and the open
data set (GeoJSON, CSV, PPSR-Core metadata).

Modules: `models`; `protocol` (the protocol and settings services) and `manage` (the organisers'
pages); `observations` (capturing and validating) and `routes` (the citizens' pages and the
offline sync endpoint); `verification` (verifiers' services) and `verify` (their pages);
`results` (map, charts, summaries), `maps` (the public map pages) and `api` (open data).
"""


def init_app(app) -> None:  # noqa: ANN001
    """Register the science blueprints (each module adds its own lines below)."""
    from engage.science import (  # noqa: F401  (tables; version listeners; citations; exports)
        citations,
        exports,
        models,
        owndata,
        pack,
        versions,
    )
    from engage.science.routes import bp as science_bp

    app.register_blueprint(science_bp)
    from engage.science.results import bp as science_stats_bp

    app.register_blueprint(science_stats_bp)
    from engage.science.maps import bp as science_results_bp

    app.register_blueprint(science_results_bp)
    from engage.science.verify import bp as science_verify_bp

    app.register_blueprint(science_verify_bp)
    from engage.science.manage import bp as science_manage_bp

    app.register_blueprint(science_manage_bp)
