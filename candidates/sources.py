"""One mapping from a stored source value to the words a recruiter reads, used by every screen
(candidate list and profile, applications, timeline, insights, consent history).

Sources are stored as short machine values ("optin_link", "re-apply link", "import"); showing
them raw gave "via optin_link" on one page and "Opt-in link (rejection email)" on another.
Later apps add the values they write with `register_source_labels()` in `AppConfig.ready()`.
A value nobody registered (an ATS name, a typed source on an import) is shown as typed, with
underscores turned into spaces.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_labels: dict[str, str | Promise] = {
    "manual": _("By a recruiter"),
    "recruiter": _("Recorded by a recruiter"),
    "import": _("Import"),
    "api": _("API"),
    "career site": _("Career site"),
    "career_site": _("Career site"),
    # The one-step re-apply link is only ever sent in talent pool digests.
    "re-apply link": _("Talent pool digest"),
    "reapply": _("Talent pool digest"),
    "digest": _("Talent pool digest"),
    "job offer email": _("Job offer email"),
    "referral": _("Referral"),
}


def register_source_labels(labels: Mapping[str, str | Promise]) -> None:
    """Add (or replace) labels for source values an app writes."""
    _labels.update({key.lower(): label for key, label in labels.items()})


def source_label(value: object) -> str:
    """The label of a stored source; "" for none."""
    text = str(value or "").strip()
    if not text:
        return ""
    label = _labels.get(text.lower())
    if label is not None:
        return str(label)
    return text.replace("_", " ")


def source_choices() -> list[tuple[str, str]]:
    """(value, label) of the known sources, one per label, for filters."""
    seen: dict[str, str] = {}
    for value, label in _labels.items():
        seen.setdefault(str(label), value)
    return sorted(((value, label) for label, value in seen.items()), key=lambda c: c[1])
