from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _https_links(settings):  # type: ignore[no-untyped-def]
    # Links in nurture mail must be https (mailing refuses http unless DEBUG, which tests
    # switch off); production builds them with SITE_SCHEME=https.
    settings.SITE_SCHEME = "https"
