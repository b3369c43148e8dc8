"""A staff member's language: the one answer for their screens and the staff emails they get.

`User.language` is their own choice (the profile page); blank means the company's default
language (`tenants.i18n.tenant_language`). Candidates' language is `candidates.i18n`.
"""

from __future__ import annotations

from typing import Any

from tenants.i18n import language_chain


def staff_language(user: Any, tenant: Any = None) -> str:
    """The user's chosen language, else the company's default, else English; an anonymous
    visitor (sign-in page) gets the company's."""
    chosen = getattr(user, "language", "") if getattr(user, "is_authenticated", False) else ""
    return language_chain(chosen, tenant)[0]
