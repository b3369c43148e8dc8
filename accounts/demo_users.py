"""The demo tenant's logins (the `demo` app's `seed_demo` asks for them): accounts owns users, so
it writes them. Idempotent: a login that exists is left as it is, except a missing full name."""

from __future__ import annotations

from accounts.models import User


def demo_user_ensure(
    *, email: str, password: str, role: str, full_name: str, **extra: object
) -> User:
    """The user with this address (case-insensitive), created with these values if missing; a
    blank full name is filled in."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        return User.objects.create_user(
            email, password=password, role=role, full_name=full_name, **extra
        )
    if not user.full_name and full_name:
        user.full_name = full_name
        user.save(update_fields=["full_name"])
    return user


def demo_superuser_ensure(*, email: str, password: str) -> None:
    """A platform operator login (public schema), created if missing."""
    if not User.objects.filter(email__iexact=email).exists():
        User.objects.create_superuser(email, password)
