"""Build one personalised digest email from an HR-authored template and the matched content.

HR writes `{{ items }}` where the digest goes. We replace it with a Markdown block whose every
recruiter- or candidate-provided value is itself a merge tag (`{{ item_1_title }}`...), so mailing
escapes all of them and the rendered skeleton depends only on the *shape* of the digest (how many
items, which optional lines): mailing caches a handful of skeletons and personalising one email
is a substitution, not a Markdown/CSS pass.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from campaigns.models import ContentItem
from candidates.models import Position, RemotePolicy
from mailing.kinds import MessageKind
from tenants.i18n import format_zoned, localised

SUBJECT_TAGS = ("first_name", "last_name", "company_name")
BODY_TAGS = ("first_name", "last_name", "company_name", "items")
INVITATION_TAGS = ("first_name", "last_name", "company_name", "join_url", "decline_url")


@functools.lru_cache(maxsize=16)
def _words(language: str) -> dict[str, str]:
    """The few fixed words of a digest in `language` (the project catalogue), looked up once
    per language and process: a batch renders thousands of digests, and each gettext call
    costs more than the rest of a digest's words together."""
    with translation.override(language):
        words = {
            "apply": gettext("Apply in one step"),
            "share": gettext("Share with a friend"),
            "register": gettext("Register"),
            "online": gettext("Join online"),
            "more": gettext("Read more"),
            "remote": gettext("Remote"),
        }
        words |= {f"policy:{value}": str(label) for value, label in RemotePolicy.choices}
    return words


def _phrases() -> dict[str, str]:
    return _words(translation.get_language() or settings.LANGUAGE_CODE)


@dataclass(frozen=True)
class JobEntry:
    position: Position
    reason: str
    apply_url: str
    share_url: str


@dataclass(frozen=True)
class Digest:
    body_source: str
    allowed_tags: tuple[str, ...]
    context: dict[str, str]


def _place(position: Position, words: dict[str, str]) -> str:
    if position.remote_policy == RemotePolicy.REMOTE:
        return words["remote"]
    parts = [position.location, words.get(f"policy:{position.remote_policy}", "")]
    return " · ".join(p for p in parts if p)


def _when(item: ContentItem) -> str:
    """The event's start in the company's zone, in the reader's words, the zone named."""
    return format_zoned(item.event_starts_at) if item.event_starts_at else ""


def jobs_digest(
    *, template_body: str, jobs: list[JobEntry], language: str, base: dict[str, str]
) -> Digest:
    with localised(language=language):
        return _jobs_digest(template_body, jobs, base)


def _jobs_digest(template_body: str, jobs: list[JobEntry], base: dict[str, str]) -> Digest:
    words = _phrases()
    blocks: list[str] = []
    context = dict(base)
    tags = list(BODY_TAGS)
    for n, job in enumerate(jobs, start=1):
        p = f"job_{n}_"
        context |= {
            f"{p}title": job.position.title,
            f"{p}place": _place(job.position, words),
            f"{p}reason": job.reason,
            f"{p}apply_url": job.apply_url,
            f"{p}share_url": job.share_url,
        }
        tags += [f"{p}title", f"{p}place", f"{p}reason", f"{p}apply_url", f"{p}share_url"]
        blocks.append(
            f"**{{{{ {p}title }}}}** · {{{{ {p}place }}}}  \n"
            f"{{{{ {p}reason }}}}  \n"
            f"[{words['apply']}]({{{{ {p}apply_url }}}}) · "
            f"[{words['share']}]({{{{ {p}share_url }}}})"
        )
    return Digest(
        body_source=template_body.replace("{{ items }}", "\n\n".join(blocks)),
        allowed_tags=tuple(tags),
        context=context,
    )


def items_digest(
    *,
    template_body: str,
    items: list[ContentItem],
    language: str,
    base: dict[str, str],
    tz: ZoneInfo,
) -> Digest:
    """Content items in the reader's language (each item's own text in it, else the company's,
    else English), event times in `tz` (the company's), named."""
    with localised(language=language, zone=tz):
        return _items_digest(template_body, items, language, base)


def _items_digest(
    template_body: str, items: list[ContentItem], language: str, base: dict[str, str]
) -> Digest:
    words = _phrases()
    blocks: list[str] = []
    context = dict(base)
    tags = list(BODY_TAGS)
    for n, item in enumerate(items, start=1):
        p = f"item_{n}_"
        title, summary = item.text_in(language)
        values = {
            "title": title,
            "text": summary,
            "when": _when(item),
            "where": item.event_place,
            "by": ", ".join(x for x in (item.employee_name, item.employee_role) if x),
            "url": item.link_url,
            "register_url": item.registration_url,
            "online_url": item.event_online_url,
        }
        lines = [f"**{{{{ {p}title }}}}**"]
        if values["when"] or values["where"]:
            lines.append(" · ".join(f"{{{{ {p}{k} }}}}" for k in ("when", "where") if values[k]))
        if values["by"]:
            lines.append(f"{{{{ {p}by }}}}")
        if values["text"]:
            lines.append(f"{{{{ {p}text }}}}")
        links = [
            f"[{words[label]}]({{{{ {p}{key} }}}})"
            for key, label in (
                ("register_url", "register"),
                ("online_url", "online"),
                ("url", "more"),
            )
            if values[key]
        ]
        if links:
            lines.append(" · ".join(links))
        used = {k: v for k, v in values.items() if v}
        context |= {f"{p}{k}": v for k, v in used.items()}
        tags += [f"{p}{k}" for k in used]
        blocks.append("  \n".join(lines))
    return Digest(
        body_source=template_body.replace("{{ items }}", "\n\n".join(blocks)),
        allowed_tags=tuple(tags),
        context=context,
    )


def body_tags(topic: str) -> tuple[str, ...]:
    return INVITATION_TAGS if topic == MessageKind.POOL_INVITATION else BODY_TAGS
