from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

from config.limits import BodyLimitASGI  # noqa: E402 (needs the settings configured above)

# Django's ASGI handler reads a whole body before any middleware: count it on the way in.
application = BodyLimitASGI(django_application)
