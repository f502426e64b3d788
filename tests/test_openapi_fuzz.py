"""Schemathesis against /api/v1/openapi.json, as an authenticated inspector: every generated
request, valid or not, gets a documented, schema-conforming answer and never a 5xx — also when
its ids lie beyond the bounds the document states (what no id column can hold)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foodsafety.fields import ID_MAX
from tests.factories import create_unit, session_client

EXAMPLES_PER_OPERATION = 12
BEYOND_ID_BOUNDS = st.sampled_from([ID_MAX + 1, 2**31, 2**63, 10**30])


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


def _bounded_integers(operation) -> list[tuple[str, str]]:
    """(location, name) of the integers in the path and the query (ids, pages, versions)."""
    found = []
    for parameter in operation.iter_parameters():
        schema = parameter.definition.get("schema", {})
        if schema.get("type") == "integer":
            found.append((parameter.location.value, parameter.name))
    return found


def _set_huge_ids(case, params: list[tuple[str, str]], huge: int) -> str | None:
    """Put `huge` in every id of the case; where it went ("path" wins: no route matches)."""
    where = None
    for location, name in params:
        if location == "path":
            case.path_parameters[name] = huge
            where = "path"
        elif location == "query":
            case.query = {**(case.query or {}), name: str(huge)}
            where = where or "query"
    if isinstance(case.body, dict):
        for key, value in case.body.items():
            if key.endswith("_id") and isinstance(value, int) and not isinstance(value, bool):
                case.body[key] = huge
                where = where or "body"
    return where


def _huge_id_run(operation, bearer: dict, sent: list[int]):
    """A hypothesis test of one operation: valid requests with every id made too large."""
    params = _bounded_integers(operation)

    @given(case=operation.as_strategy(), huge=BEYOND_ID_BOUNDS)
    @settings(max_examples=6, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case, huge) -> None:
        where = _set_huge_ids(case, params, huge)
        if where is None:
            return
        sent.append(huge)
        response = case.call(headers=bearer)
        expected = {404} if where == "path" else {403, 404, 413, 415, 422}
        assert response.status_code in expected, (
            f"{where} id {huge}: {response.status_code} {response.text[:300]}")
        assert response.json()["code"] == response.status_code

    return run


def test_ids_beyond_their_documented_bounds_are_refused_never_a_failure(app):
    create_unit("canteen", "510104")
    bearer = {"Authorization": f"Bearer {session_client(app, 'inspector', '510000').token}"}
    failures: list[str] = []
    sent: list[int] = []
    for operation in _operations(app):
        try:
            _huge_id_run(operation, bearer, sent)()
        except BaseException as error:  # noqa: BLE001 - collect every operation's failure
            if isinstance(error, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {str(error)[:1500]}")
    print(f"schemathesis: {len(sent)} requests with ids beyond their bounds")
    assert len(sent) >= 50
    assert not failures, "\n\n".join(failures)


@pytest.fixture(autouse=True)
def _quiet_hypothesis_output(capsys):
    yield
