"""The OpenAPI document kept true: schemathesis calls every documented operation of /api/v1
through WSGI (no server) on the demo data, with generated arguments, and checks that no answer
is a server error and that every answer has a documented status, content type and a body
matching its schema. Deterministic (derandomised, no example database) and small."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from engage.cities.models import City
from engage.demo import load_demo_data
from engage.extensions import db
from engage.processes.models import Process

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = 10


@pytest.fixture
def api_schema(app, monkeypatch):  # noqa: ANN001, ANN201
    load_demo_data()
    monkeypatch.setitem(app.config, "API_RATELIMIT", "100000 per minute")
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def operations(api_schema):  # noqa: ANN001, ANN201
    found = [result.ok() for result in api_schema.get_all_operations()]
    assert len(found) >= 8
    return found


def test_every_documented_operation_keeps_its_promises(api_schema):  # noqa: ANN001
    """First each operation called with every real id or slug of the demo data: each answers
    200 at least once (so the schemas are checked on real bodies). Then generated arguments (in
    and out of range, odd strings). Never a 500, never an answer the document does not
    describe."""
    values = {"process_id": list(db.session.scalars(select(Process.id))),
              "city_slug": list(db.session.scalars(select(City.slug)))}
    for operation in operations(api_schema):
        names = [parameter.name for parameter in operation.path_parameters]
        answered = []
        for name in names:
            for value in values[name]:
                case = operation.Case(path_parameters={name: value})
                answered.append(case.call_and_validate(checks=CHECKS).status_code)
        if not names:
            answered.append(operation.Case().call_and_validate(checks=CHECKS).status_code)
        assert 200 in answered, operation.label

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        def check(case) -> None:  # noqa: ANN001
            case.call_and_validate(checks=CHECKS)

        check()
