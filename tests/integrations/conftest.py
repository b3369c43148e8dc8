from __future__ import annotations

import pytest

from integrations.keys import api_key_create


class Api:
    """An HTTP client for the REST API on one tenant's host, with a key of the given scopes."""

    def __init__(self, world, scopes=("read", "write", "reject")):  # type: ignore[no-untyped-def]
        world.activate()
        self.created = api_key_create(name="Test sync", scopes=list(scopes), actor=None)
        self.key = self.created.secret
        self.client = world.client()
        self.world = world

    def _headers(self, headers):  # type: ignore[no-untyped-def]
        base = {"HTTP_AUTHORIZATION": f"Bearer {self.key}"}
        for name, value in (headers or {}).items():
            base["HTTP_" + name.upper().replace("-", "_")] = value
        return base

    def get(self, path, params=None, headers=None):  # type: ignore[no-untyped-def]
        return self.client.get("/api/v1" + path, params or {}, **self._headers(headers))

    def post(self, path, data=None, headers=None, raw=None, content_type="application/json"):  # type: ignore[no-untyped-def]
        import json

        body = raw if raw is not None else json.dumps(data if data is not None else {})
        return self.client.post(
            "/api/v1" + path, body, content_type=content_type, **self._headers(headers)
        )

    def patch(self, path, data, headers=None):  # type: ignore[no-untyped-def]
        import json

        return self.client.patch(
            "/api/v1" + path,
            json.dumps(data),
            content_type="application/json",
            **self._headers(headers),
        )

    def delete(self, path, params="", headers=None):  # type: ignore[no-untyped-def]
        return self.client.delete("/api/v1" + path + params, **self._headers(headers))


@pytest.fixture
def api(tenant_a):  # type: ignore[no-untyped-def]
    return Api(tenant_a)


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):  # type: ignore[no-untyped-def]
    settings.API_RATE_LIMIT_PER_MINUTE = 0
