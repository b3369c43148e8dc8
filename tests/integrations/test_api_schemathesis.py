"""Property-based run of schemathesis over the whole OpenAPI schema, on the real WSGI app with a
real key: generated requests (valid and invalid) never get a 5xx, and every answer conforms to
the schema (status code documented, content type, body, headers).

Bounded: a few examples per operation, no deadline (the suite runs on a small shared machine).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from candidates.models import Position, PositionStatus, Stage
from integrations.keys import api_key_create
from tests.candidates.factories import application, candidate

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture
def api_schema(tenant_a):  # type: ignore[no-untyped-def]
    from config.wsgi import application as wsgi_app

    document = Client(HTTP_HOST=tenant_a.host).get("/api/v1/openapi.json").json()
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = wsgi_app
    # The real WSGI handler closes the database connection after each request (as Django's
    # test client avoids): that would end the test's transaction.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield loaded
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def key(tenant_a, settings):  # type: ignore[no-untyped-def]
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    tenant_a.activate()
    # Something to find: ids 1… exist for candidates, positions and applications.
    person = candidate(email="schema@example.com", country="FR")
    position = Position.objects.create(title="Analyst", status=PositionStatus.OPEN)
    application(person, position)
    assert Stage.objects.exists()
    return api_key_create(name="schemathesis", scopes=["read", "write", "reject"], actor=None)


# Examples per operation and generation mode (valid, then invalid data): enough to reach every
# documented status of every operation, small enough for CI (the whole run is ~1 minute).
EXAMPLES = 8


def test_every_operation_conforms_and_never_fails(api_schema, key, tenant_a):  # type: ignore[no-untyped-def]
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20, [o.label for o in operations]

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis_settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case):  # type: ignore[no-untyped-def]
                response = case.call(
                    base_url=f"http://{tenant_a.host}",
                    headers={"Authorization": f"Bearer {key.secret}"},
                )
                case.validate_response(response, checks=CHECKS)

            try:
                run()
            except Exception as exc:
                failures.append(f"{operation.label} [{mode}]: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
