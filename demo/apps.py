from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run`: the `seed_demo` command. No models."""

    name = "demo"
    verbose_name = "Demo data"
