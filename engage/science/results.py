"""The results page of a citizen-science campaign (blueprint `science_stats`).

`/<city>/p/<process>/observations/results`: the totals (accepted observations, and as a note
how many await checking or were rejected), the summary table of the number fields (count,
smallest, median, largest, with units), one chart per field beside a table with the same
numbers, observations per day, and links to the map and the open data. `?status=all` counts
every status, rejected included (as the map and the open data on request:
`stats.SHOWN_STATUSES`), with the counts split by status (a column or note per status);
anything else shows accepted observations only. The status choice is a plain GET form, so it
works without JavaScript. The verifier's reason and identity are never shown.

Who sees it: everyone for a public science process (published, closed, archived), the city's
staff for a draft (`processes.permissions.can_view_process`); other kinds, other cities and
unknown campaigns are a 404. Figures come from `stats` (cached per data version); the part of
the page below the heading is rendered once per data version, language and status choice
(`stats.cached_rendering`), so a current page costs no aggregate. Visitors without a session
also get the short-lived page cache (`core.pagecache`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from engage.core import charts
from engage.core.auth import public
from engage.core.i18n import current_language, format_number, format_percent
from engage.core.pagecache import cached_page
from engage.processes.loading import process_of_kind
from engage.processes.models import Process
from engage.science import stats
from engage.science.models import FIELD_TYPES, STATUSES

bp = Blueprint("science_stats", __name__)

# The open-data downloads on the shared API blueprint: (endpoint, link text); drafts get none
# (the API answers 404 for them).
DOWNLOADS = (
    ("api.process_observations_geojson", _l("The observations (GeoJSON, for maps)")),
    ("api.process_observations_csv", _l("The observations (CSV, for spreadsheets)")),
    ("api.process_observations_metadata", _l("The data set's description (PPSR-Core, JSON)")),
)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"fmt_number": format_number, "fmt_percent": format_percent,
            "charts": charts, "STATUSES": STATUSES, "FIELD_TYPES": FIELD_TYPES}


def _campaign(process_slug: str) -> Process:
    return process_of_kind(process_slug, "science", visible=True)


@bp.get("/<city_slug>/p/<process_slug>/observations/results")
@public
@cached_page
def results_page(city_slug: str, process_slug: str):  # noqa: ANN201
    process = _campaign(process_slug)
    choice = "all" if request.args.get("status") == "all" else "accepted"
    version = stats.data_version(process)
    key = ("results", process.id, g.city.slug, process.slug, current_language(), choice,
           process.is_public)
    body = stats.cached_rendering(key, version,
                                  lambda: _render_body(process, choice, version))
    return render_template("science/results.html", city=g.city, process=process,
                           body=Markup(body))


def _render_body(process: Process, choice: str, version: int) -> str:
    """Everything below the heading: it depends only on the data, the language and `choice`."""
    found = stats.compute(process, stats.parse_statuses(choice), version=version)
    # The map and the downloads follow the status choice (both read `status=all` alike).
    extra = {"status": "all"} if choice == "all" else {}
    map_url = url_for("science_results.observation_map", city_slug=g.city.slug,
                      process_slug=process.slug, **extra)
    downloads = []
    if process.is_public:
        downloads = [(name, url_for(endpoint, process_id=process.id, **extra))
                     for endpoint, name in DOWNLOADS]
    return render_template(
        "science/_stats_body.html", city=g.city, process=process, stats=found, choice=choice,
        map_url=map_url, downloads=downloads, status_keys=list(found.statuses),
    )
