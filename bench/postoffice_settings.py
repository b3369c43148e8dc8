"""Settings for bench_mailing only: the project's settings plus django-post-office, the peer
it is compared with (installed from bench/requirements.txt by `make bench`, never by make run).
Post-office's tables live in the public schema; it sends through the same EMAIL_BACKEND."""

from __future__ import annotations

from config.settings import *  # noqa: F403 (the project's settings, extended below)
from config.settings import INSTALLED_APPS, SHARED_APPS

SHARED_APPS = [*SHARED_APPS, "post_office"]
INSTALLED_APPS = [*INSTALLED_APPS, "post_office"]
# Post-office's defaults (5 sending threads per process, a log row per email, 100 emails per
# round), its queue rather than sending at once, and the backend bench_mailing sends with.
POST_OFFICE = {
    "DEFAULT_PRIORITY": "medium",
    "BACKENDS": {"default": "anymail.backends.postmark.EmailBackend"},
}
