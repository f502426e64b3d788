"""Schemathesis against /api/v1/openapi.json, as an authenticated inspector: every generated
request, valid or not, gets a documented, schema-conforming answer and never a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.conftest import create_unit, session_client

EXAMPLES_PER_OPERATION = 12


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_api_conforms_to_its_schema_and_never_fails(app):
    create_unit("canteen", "510104")  # something real for the generator to hit now and then
    bearer = {"Authorization": f"Bearer {session_client(app, 'inspector', '510000').token}"}
    failures: list[str] = []
    calls = 0
    operations = _operations(app)
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
                  database=None, suppress_health_check=list(HealthCheck))
        def run(case) -> None:
            nonlocal calls
            calls += 1
            case.call_and_validate(headers=bearer)

        try:
            run()
        except BaseException as error:  # noqa: BLE001 - collect every operation's failure
            if isinstance(error, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {str(error)[:1500]}")
    print(f"schemathesis: {len(operations)} operations, {calls} cases")
    assert not failures, "\n\n".join(failures)


@pytest.fixture(autouse=True)
def _quiet_hypothesis_output(capsys):
    yield
