"""Campaign insights: the figures (rejection → opt-in → digest → application funnel, opt-in
rates against the survey the product is based on, engagement per topic, top matched skills),
and the server-rendered SVG bar charts drawing them for the page and the PDF report.

Charts are readable without JavaScript, and the same markup goes into the PDF report
(WeasyPrint draws inline SVG). Every label is escaped. Other apps' tables are read through
their models only."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from campaigns.models import Delivery
from campaigns.selectors import OPENED, referral_funnel
from candidates.models import AgeBracket, Application, Outcome
from consent.selectors import affirmative_grants
from feedback.models import Branch, Rejection
from mailing.kinds import CONTENT_TOPICS, MessageKind
from mailing.models import LEFT_STATUSES, Message, MessageStatus

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations

# --- Figures --------------------------------------------------------------------------------------

# The European survey the product is based on: share of rejected candidates who agree to stay
# in touch with the company.
SURVEY_OVERALL = 67
SURVEY_BY_COUNTRY = {"IT": 75, "FR": 67, "DE": 60}
SURVEY_FR_18_24 = 82


@dataclass
class Insights:
    funnel: list[tuple[StrOrPromise, int]]
    by_stage: list[tuple[str, list[int]]]
    by_reason: list[tuple[str, list[int]]]
    by_topic_funnel: list[tuple[StrOrPromise, list[int]]]
    by_topic: list[tuple[StrOrPromise, int, int, int]]  # topic label, sent, opened, clicked
    optin_by_month: list[tuple[str, int, int]]  # month label, rejected, opted in
    optin_by_country: list[tuple[str, int, int, int | None]]  # country, rejected, in, survey
    optin_by_age: list[tuple[StrOrPromise, int, int]]
    optin_fr_young: tuple[int, int]  # French 18-24 year-olds: rejected, opted in
    top_skills: list[tuple[str, int]]
    generated_at: dt.datetime = field(default_factory=timezone.now)

    @property
    def optin_rate(self) -> int:
        rejected = self.funnel[0][1]
        return round(100 * self.funnel[2][1] / rejected) if rejected else 0


# Counts of people at each step ("Hired": how many were hired), hence the context.
FUNNEL_STEPS = [
    pgettext_lazy("funnel", "Rejected"),
    pgettext_lazy("funnel", "Personalised feedback"),
    pgettext_lazy("funnel", "Opted in"),
    pgettext_lazy("funnel", "Engaged"),
    pgettext_lazy("funnel", "Re-applied"),
    pgettext_lazy("funnel", "Hired"),
]


class _Followed(TypedDict):
    """What `_rejections()` annotates on each rejected application."""

    decided: dt.datetime
    stage_name: str
    stage_order: int
    personalised: bool
    opted: bool
    engaged: bool
    reapplied: bool
    hired: bool


def _rejections() -> QuerySet[WithAnnotations[Application, _Followed]]:
    """Rejected applications annotated with what happened after them, one row per application.

    Every rejection counts, whether or not it went through feedback (a status set on the
    candidate page, an import): feedback's `Rejection`, when there is one, says whether the
    feedback was personalised and gives the decision's date and stage."""
    after = OuterRef("decided")
    candidate = OuterRef("candidate_id")
    # Honest opt-ins only: a ticked box or a recruiter's record (consent.selectors).
    opted = affirmative_grants().filter(candidate_id=candidate, at__gte=after)
    engaged = Message.objects.filter(
        candidate_id=candidate,
        kind__in=[*CONTENT_TOPICS, MessageKind.POOL_INVITATION],
        status__in=OPENED,
    )
    reapplied = Application.objects.filter(candidate_id=candidate, applied_at__gt=after)
    return (
        Application.objects.filter(outcome=Outcome.REJECTED)
        .annotate(
            decided=Coalesce("rejection__decided_at", "outcome_at", "applied_at"),
            stage_name=Coalesce("rejection__stage__name", "stage__name"),
            stage_order=Coalesce("rejection__stage__order", "stage__order"),
            personalised=Coalesce(
                Q(rejection__branch=Branch.PERSONALISED), Value(False), output_field=BooleanField()
            ),
        )
        .annotate(
            opted=Exists(opted),
            engaged=Exists(engaged),
            reapplied=Exists(reapplied),
            hired=Exists(reapplied.filter(outcome=Outcome.HIRED)),
        )
    )


@dataclass(frozen=True)
class _Row:
    candidate_id: int
    decided_at: dt.datetime
    stage: str
    month: dt.date
    country: str
    age: str
    personalised: bool
    opted: bool
    engaged: bool
    reapplied: bool
    hired: bool


def _funnel_counts(rows: list[_Row]) -> list[int]:
    return [
        len(rows),
        sum(r.personalised for r in rows),
        sum(r.opted for r in rows),
        sum(r.opted and r.engaged for r in rows),
        sum(r.reapplied for r in rows),
        sum(r.hired for r in rows),
    ]


def _optin(rows: list[_Row]) -> tuple[int, int]:
    return len(rows), sum(r.opted for r in rows)


def _funnel_by_topic(every: list[_Row]) -> list[tuple[StrOrPromise, list[int]]]:
    """Per content topic: of all rejections, those followed by an opt-in to that topic, then
    engagement with that topic's emails, re-application and hire."""
    ids = list({r.candidate_id for r in every})
    grants: dict[tuple[int, str], dt.datetime] = {}
    engaged: set[tuple[int, str]] = set()
    for start in range(0, len(ids), 20000):
        chunk = ids[start : start + 20000]
        for cid, purpose, at in (
            affirmative_grants()
            .filter(candidate_id__in=chunk, purpose__in=list(CONTENT_TOPICS))
            .values_list("candidate_id", "purpose", "at")
        ):
            grants[(cid, purpose)] = max(at, grants.get((cid, purpose), at))
        engaged.update(
            Message.objects.filter(
                candidate_id__in=chunk, kind__in=list(CONTENT_TOPICS), status__in=OPENED
            ).values_list("candidate_id", "kind")
        )
    result: list[tuple[StrOrPromise, list[int]]] = []
    for topic in CONTENT_TOPICS:
        opted = [
            r
            for r in every
            if grants.get((r.candidate_id, topic), r.decided_at) >= r.decided_at
            and (r.candidate_id, topic) in grants
        ]
        result.append(
            (
                MessageKind(topic).label,
                [
                    len(every),
                    sum(r.personalised for r in every),
                    len(opted),
                    sum((r.candidate_id, topic) in engaged for r in opted),
                    sum(r.reapplied for r in opted),
                    sum(r.hired for r in opted),
                ],
            )
        )
    return result


def insights() -> Insights:
    """One pass over the rejected applications, each annotated in SQL with what followed it."""
    rejections = _rejections().values_list(
        "pk",
        "stage_name",
        "stage_order",
        "decided",
        "candidate__country",
        "candidate__age_bracket",
        "candidate_id",
        "personalised",
        "opted",
        "engaged",
        "reapplied",
        "hired",
    )
    rows: dict[int, _Row] = {}
    stage_order: dict[str, int] = {}
    for pk, stage, order, decided, country, age, cid, *flags in rejections.iterator(
        chunk_size=5000
    ):
        stage_order[stage] = order
        month = decided.date().replace(day=1)
        rows[pk] = _Row(cid, decided, stage, month, country or "", age or "", *flags)
    every = list(rows.values())
    funnel: list[tuple[StrOrPromise, int]] = list(
        zip(FUNNEL_STEPS, _funnel_counts(every), strict=True)
    )

    by_stage = [
        (stage, _funnel_counts([r for r in every if r.stage == stage]))
        for stage in sorted(stage_order, key=stage_order.__getitem__)
    ]
    reasons: dict[str, list[_Row]] = {}
    through = Rejection.reasons.through
    for application_id, label in through.objects.filter(
        rejection__application_id__in=list(rows)
    ).values_list("rejection__application_id", "rejectionreason__label"):
        reasons.setdefault(label, []).append(rows[application_id])
    by_reason = sorted(
        ((label, _funnel_counts(group)) for label, group in reasons.items()),
        key=lambda r: -r[1][0],
    )

    by_topic_funnel = _funnel_by_topic(every)

    by_topic: list[tuple[StrOrPromise, int, int, int]] = []
    for topic in [*CONTENT_TOPICS, MessageKind.POOL_INVITATION]:
        counts = Message.objects.filter(kind=topic).aggregate(
            sent=Count("id", filter=Q(status__in=LEFT_STATUSES)),
            opened=Count("id", filter=Q(status__in=OPENED)),
            clicked=Count("id", filter=Q(status=MessageStatus.CLICKED)),
        )
        by_topic.append(
            (MessageKind(topic).label, counts["sent"], counts["opened"], counts["clicked"])
        )

    months = sorted({r.month for r in every})[-12:]
    optin_by_month = [
        (date_format(m, "YEAR_MONTH_FORMAT"), *_optin([r for r in every if r.month == m]))
        for m in months
    ]
    countries = Counter(r.country for r in every)
    optin_by_country = [
        (
            country or "—",
            *_optin([r for r in every if r.country == country]),
            SURVEY_BY_COUNTRY.get(country),
        )
        for country, _n in countries.most_common(10)
    ]
    optin_by_age = [
        (label, *_optin([r for r in every if r.age == value]))
        for value, label in AgeBracket.choices
        if any(r.age == value for r in every)
    ]
    return Insights(
        funnel=funnel,
        by_stage=by_stage,
        by_reason=by_reason[:10],
        by_topic_funnel=by_topic_funnel,
        by_topic=by_topic,
        optin_by_month=optin_by_month,
        optin_by_country=optin_by_country,
        optin_by_age=optin_by_age,
        optin_fr_young=_optin([r for r in every if r.country == "FR" and r.age == "18_24"]),
        top_skills=top_matched_skills(),
    )


def top_matched_skills(limit: int = 10) -> list[tuple[str, int]]:
    """Skills that most often made a job offer match, across every digest sent."""
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT skill, count(*) FROM {table},
                    jsonb_array_elements_text(matched_skills) AS skill
                WHERE status = 'queued' GROUP BY skill ORDER BY count(*) DESC, skill LIMIT %s""",  # noqa: S608 (table name from the model)
            [limit],
        )
        return [(skill, count) for skill, count in cursor.fetchall()]


# --- Charts ---------------------------------------------------------------------------------------

WIDTH = 640
LEFT = 4
FONT = 12
# Average advance of a 12px sans-serif character, rounded up: DejaVu Sans (the widest of the
# fonts the page and WeasyPrint fall back to) averages ~6.9px for mixed text and digits.
CHAR = 7.2
LINE = 15  # one label line
BAR = 14
GAP = 12  # between rows


@dataclass(frozen=True)
class Bar:
    label: StrOrPromise
    value: float
    note: str = ""
    # A reference value drawn as a marker on the bar's row (e.g. the survey's opt-in rate).
    reference: float | None = None


def _text_width(text: str) -> float:
    return len(text) * CHAR


def _wrap(text: str, width: float) -> list[str]:
    """Words into lines no wider than `width` (a word longer than a line is cut into pieces):
    nothing of a label is ever dropped."""
    per_line = max(int(width // CHAR), 1)
    lines: list[str] = []
    current = ""
    for word in text.split() or [""]:
        while len(word) > per_line:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:per_line])
            word = word[per_line:]
        candidate = f"{current} {word}".strip()
        if len(candidate) <= per_line:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    return [line for line in lines if line] or [""]


def bar_chart(
    bars: list[Bar], *, title: str, percent: bool = False, colour: str = "#1f6feb"
) -> SafeString:
    """Horizontal bars, one row per bar: the label on its own line(s) above the bar (wrapped,
    never cut), the bar, and the value in a right-hand column the bars never reach, so neither
    a long label, a long value nor a reference marker can overprint another text.
    `percent` scales to 100 and labels values with %."""
    if not bars:
        empty = _("%(chart)s: no data yet.") % {"chart": title}
        return mark_safe(f'<p class="muted">{escape(empty)}</p>')
    top = 100.0 if percent else max(max(b.value for b in bars), 1)
    top = max(top, *(b.reference or 0 for b in bars))
    values = []
    for bar in bars:
        shown = number_format(round(bar.value), force_grouping=True)
        value = f"{shown}%" if percent else shown
        values.append(f"{value} {bar.note}" if bar.note else value)
    value_col = max(_text_width(v) for v in values) + 10
    span = WIDTH - LEFT - value_col - 4
    label_width = WIDTH - LEFT - 4
    rows = [_wrap(str(bar.label), label_width) for bar in bars]
    has_reference = any(b.reference is not None for b in bars)
    height = sum(len(lines) * LINE + 4 + BAR + GAP for lines in rows) + (22 if has_reference else 4)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    y = 4
    for bar, lines, value in zip(bars, rows, values, strict=True):
        for line in lines:
            y += LINE
            parts.append(
                f'<text class="chart-label" x="{LEFT}" y="{y - 3}" font-size="{FONT}" '
                f'fill="#24292f">{escape(line)}</text>'
            )
        bar_y = y + 4
        width = 0 if top == 0 else round(span * min(bar.value, top) / top, 1)
        parts.append(
            f'<rect x="{LEFT}" y="{bar_y}" width="{width}" height="{BAR}" '
            f'fill="{escape(colour)}" rx="2"/>'
            f'<text class="chart-value" x="{WIDTH - 4}" y="{bar_y + BAR - 3}" '
            f'text-anchor="end" font-size="{FONT}" fill="#24292f">{escape(value)}</text>'
        )
        if bar.reference is not None:
            x = LEFT + round(span * bar.reference / top, 1)
            survey = _("Survey: %(rate)s%%") % {"rate": round(bar.reference)}
            parts.append(
                f'<line class="chart-marker" x1="{x}" x2="{x}" y1="{bar_y - 2}" '
                f'y2="{bar_y + BAR + 2}" stroke="#cf222e" stroke-width="3">'
                f"<title>{escape(survey)}</title></line>"
            )
        y = bar_y + BAR + GAP
    if has_reference:
        legend = _("European survey reference")
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + 14}" y1="{height - 9}" y2="{height - 9}" '
            f'stroke="#cf222e" stroke-width="3"/>'
            f'<text class="chart-label" x="{LEFT + 20}" y="{height - 5}" font-size="11" '
            f'fill="#24292f">{escape(legend)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every interpolated text is escaped above


def rate(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


# --- Page context ---------------------------------------------------------------------------------


def insights_context() -> dict:
    """The insights page and PDF: the figures and their charts."""
    data = insights()
    funnel = bar_chart([Bar(label, value) for label, value in data.funnel], title=_("Funnel"))
    by_country = bar_chart(
        [
            Bar(
                country,
                rate(opted, total),
                note=f"({opted}/{total})",
                reference=survey,
            )
            for country, total, opted, survey in data.optin_by_country
        ],
        title=_("Opt-in rate by country"),
        percent=True,
    )
    by_month = bar_chart(
        [
            Bar(
                month,
                rate(opted, total),
                note=f"({opted}/{total})",
                reference=SURVEY_OVERALL,
            )
            for month, total, opted in data.optin_by_month
        ],
        title=_("Opt-in rate by month of rejection"),
        percent=True,
    )
    by_age = bar_chart(
        [
            Bar(label, rate(opted, total), note=f"({opted}/{total})")
            for label, total, opted in data.optin_by_age
        ]
        + (
            [
                Bar(
                    _("France, 18–24"),
                    rate(data.optin_fr_young[1], data.optin_fr_young[0]),
                    note=f"({data.optin_fr_young[1]}/{data.optin_fr_young[0]})",
                    reference=SURVEY_FR_18_24,
                )
            ]
            if data.optin_fr_young[0]
            else []
        ),
        title=_("Opt-in rate by age bracket"),
        percent=True,
    )
    engagement = bar_chart(
        [
            Bar(
                label,
                rate(opened, sent),
                note=_("opened (%(opened)s/%(sent)s)") % {"opened": opened, "sent": sent},
            )
            for label, sent, opened, _clicked in data.by_topic
        ],
        title=_("Engagement per topic (opened)"),
        percent=True,
    )
    skills = bar_chart(
        [Bar(name, count) for name, count in data.top_skills], title=_("Top matched skills")
    )
    referrals = referral_funnel()
    referral_chart = bar_chart(
        [Bar(label, value) for label, value in referrals.steps()],
        title=_("Referrals: shares, applications, hires"),
    )
    return {
        "data": data,
        "funnel_chart": funnel,
        "country_chart": by_country,
        "month_chart": by_month,
        "age_chart": by_age,
        "engagement_chart": engagement,
        "skills_chart": skills,
        "referrals": referrals,
        "referral_chart": referral_chart,
        "survey_overall": SURVEY_OVERALL,
        "survey_fr_young": SURVEY_FR_18_24,
        "steps": [label for label, _count in data.funnel],
    }
