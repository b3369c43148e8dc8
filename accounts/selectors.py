"""Reads shared by views, middleware and services."""

from __future__ import annotations

from accounts.models import SignInPolicy


def signin_policy_get() -> SignInPolicy:
    """The tenant's sign-in policy; an unsaved default when an HR admin never changed it."""
    return SignInPolicy.objects.filter(pk=1).first() or SignInPolicy(pk=1)
