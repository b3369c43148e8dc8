"""What integrations write to the candidate timeline (codes of `candidates.timeline`): a
reply to one of our emails, filed under the person."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from candidates.timeline import timeline_kind_register
from mailing.entries import subject


def register() -> None:
    timeline_kind_register("email.reply", _("Reply: %(subject)s"), subject=subject)
    timeline_kind_register("email.auto_reply", _("Automatic reply: %(subject)s"), subject=subject)
