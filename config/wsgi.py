from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from config.limits import BodyLimitWSGI  # noqa: E402 (needs the settings configured above)

# Oversized bodies are refused before Django (or anything) reads them: config/limits.py.
application = BodyLimitWSGI(django_application)
