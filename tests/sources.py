"""Our own source files, for the tests that read code (public APIs only, one truth each, signed
links): the project's apps as INSTALLED_APPS lists them (a top-level package of this repo),
migrations left out (they are history, frozen as written)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
OUR_APPS = tuple(
    app for app in settings.INSTALLED_APPS if "." not in app and (ROOT / app / "apps.py").exists()
)


def app_sources(packages: Iterable[str] = OUR_APPS) -> Iterator[Path]:
    """Every .py file of these packages (apps, or also "config", "scripts"), sorted."""
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                yield path
