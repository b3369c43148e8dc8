"""Domain events announced by `tenants`; later apps subscribe in their AppConfig.ready()."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the new tenant's schema once it exists, with `tenant`, `admin_email` and
# `admin_password` (may be None). Receivers install their defaults idempotently and may return a
# short line for the operator (e.g. the HR admin's set-password link).
tenant_provisioned = Signal()
