"""Consent reports an auditor asks for: counts per purpose, topic and source over a period, and
the proof of one person's consent (what was shown, when, how, from where), as CSV and PDF."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy

from candidates.models import Candidate
from candidates.sources import source_label
from consent.models import (
    Action,
    ConsentCapture,
    ConsentEvent,
    ConsentText,
    Purpose,
)
from tenants.context import current_tenant_or_none
from tenants.i18n import tenant_zone


@dataclass
class CountRow:
    purpose: str
    source: str
    granted: int
    withdrawn: int
    expired: int


@dataclass
class Counts:
    start: date
    end: date
    rows: list[CountRow]
    forms_submitted: int
    forms_with_nothing_ticked: int


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Whole days in the company's time zone."""
    zone = tenant_zone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def consent_counts(*, start: date, end: date) -> Counts:
    """Ledger events from `start` to `end` (both days included), per purpose and source."""
    since, until = _bounds(start, end)
    counted = (
        ConsentEvent.objects.filter(at__gte=since, at__lt=until)
        .values_list("purpose", "source", "action")
        .annotate(n=Count("id"))
    )
    table: dict[tuple[str, str], Counter[str]] = {}
    for purpose, source, action, n in counted:
        table.setdefault((purpose, source), Counter())[action] += n
    order = {p: i for i, p in enumerate(Purpose.values)}
    rows = [
        CountRow(
            purpose=str(Purpose(purpose).label),
            source=source_label(source),
            granted=by_action[Action.GRANTED],
            withdrawn=by_action[Action.WITHDRAWN],
            expired=by_action[Action.EXPIRED],
        )
        for (purpose, source), by_action in sorted(
            table.items(), key=lambda item: (order.get(item[0][0], 99), item[0][1])
        )
    ]
    captures = ConsentCapture.objects.filter(at__gte=since, at__lt=until)
    return Counts(
        start=start,
        end=end,
        rows=rows,
        forms_submitted=captures.count(),
        forms_with_nothing_ticked=captures.filter(ticked=[]).count(),
    )


# CSV columns, in the reader's language like the values under them (docs/CONTRACTS.md: these
# CSVs are documents for people, not an interchange format); English keeps its column names.
COUNT_COLUMNS = [
    pgettext_lazy("consent report CSV column", "period_start"),
    pgettext_lazy("consent report CSV column", "period_end"),
    pgettext_lazy("consent report CSV column", "purpose"),
    pgettext_lazy("consent report CSV column", "source"),
    pgettext_lazy("consent report CSV column", "granted"),
    pgettext_lazy("consent report CSV column", "withdrawn"),
    pgettext_lazy("consent report CSV column", "expired"),
]


def counts_csv_rows(counts: Counts) -> Iterator[list[str]]:
    # The header is made now, in the reader's language: the rows are streamed after the view
    # returned, when the request's language is no longer active.
    header = [str(column) for column in COUNT_COLUMNS]
    return itertools.chain([header], _count_rows(counts))


def _count_rows(counts: Counts) -> Iterator[list[str]]:
    for row in counts.rows:
        yield [
            counts.start.isoformat(),
            counts.end.isoformat(),
            row.purpose,
            row.source,
            str(row.granted),
            str(row.withdrawn),
            str(row.expired),
        ]


@dataclass
class ProofRow:
    at: datetime
    purpose: str
    action: str
    how: str  # the source, and who recorded it
    wording: str  # title (language vN): body
    offered: str  # everything the form showed
    ticked: str
    ip_address: str
    user_agent: str
    reason: str


def consent_proof(candidate: Candidate) -> list[ProofRow]:
    """Every ledger event of the person, oldest first, with the form it came from."""
    events = (
        ConsentEvent.objects.filter(candidate=candidate)
        .select_related("text", "actor", "capture")
        .order_by("at", "id")
    )
    text_ids = {
        o.get("text")
        for event in events
        if event.capture
        for o in event.capture.offered
        if o.get("text")
    }
    texts = ConsentText.objects.in_bulk(text_ids)
    rows = []
    for event in events:
        capture = event.capture
        rows.append(
            ProofRow(
                at=event.at,
                purpose=event.get_purpose_display(),
                action=event.get_action_display(),
                how=_how(event),
                wording=_wording(event.text),
                offered="; ".join(_offered(o, texts) for o in capture.offered) if capture else "",
                ticked=", ".join(capture.ticked) if capture else "",
                ip_address=event.ip_address or "",
                user_agent=event.user_agent,
                reason=event.reason,
            )
        )
    return rows


def _how(event: ConsentEvent) -> str:
    source = source_label(event.source)
    if event.actor is None:
        return source
    return gettext("%(source)s by %(who)s") % {"source": source, "who": event.actor}


def _wording(text: ConsentText | None) -> str:
    if text is None:
        return ""
    return f"{text.title} ({text.language} v{text.version}): {text.body}"


def _offered(entry: dict, texts: dict[int, ConsentText]) -> str:
    text = texts.get(entry.get("text") or 0)
    if text is None:
        return entry["purpose"]
    return f"{entry['purpose']} ({text.language} v{text.version})"


PROOF_COLUMNS = [
    pgettext_lazy("consent proof CSV column", "when"),
    pgettext_lazy("consent proof CSV column", "purpose"),
    pgettext_lazy("consent proof CSV column", "change"),
    pgettext_lazy("consent proof CSV column", "how"),
    pgettext_lazy("consent proof CSV column", "wording shown"),
    pgettext_lazy("consent proof CSV column", "form offered"),
    pgettext_lazy("consent proof CSV column", "ticked"),
    pgettext_lazy("consent proof CSV column", "ip address"),
    pgettext_lazy("consent proof CSV column", "browser"),
    pgettext_lazy("consent proof CSV column", "reason"),
]


def proof_csv_rows(rows: list[ProofRow]) -> Iterator[list[str]]:
    header = [str(column) for column in PROOF_COLUMNS]  # now, in the reader's language
    return itertools.chain([header], _proof_rows(rows))


def _proof_rows(rows: list[ProofRow]) -> Iterator[list[str]]:
    for row in rows:
        yield [
            row.at.isoformat(),
            row.purpose,
            row.action,
            row.how,
            row.wording,
            row.offered,
            row.ticked,
            row.ip_address,
            row.user_agent,
            row.reason,
        ]


def report_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        template,
        {**context, "current_tenant": current_tenant_or_none(), "generated_at": timezone.now()},
    )
    # No base URL: the document loads nothing from anywhere.
    pdf = HTML(string=html).write_pdf()
    assert pdf is not None
    return pdf
