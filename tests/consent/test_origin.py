from __future__ import annotations

from django.test import RequestFactory, override_settings

from consent.services import Origin


def _request():  # type: ignore[no-untyped-def]
    return RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR="81.2.69.160, 10.0.0.1", REMOTE_ADDR="10.0.0.1"
    )


def test_without_a_trusted_proxy_forwarded_for_is_ignored():
    assert Origin.from_request(_request()).ip == "10.0.0.1"


@override_settings(
    TRUSTED_PROXY_COUNT=1,
    CLIENT_IP_HEADERS=["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"],
)
def test_behind_a_trusted_proxy_the_ledger_records_the_client_not_the_proxy():
    assert Origin.from_request(_request()).ip == "81.2.69.160"
