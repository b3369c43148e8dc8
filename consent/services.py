"""Consent writes: the ledger and its derived state, texts, settings, defaults.

Every change of consent is a `ConsentEvent` row (the proof) and an update of `CandidateConsent`
(the fast current state) in the same transaction, plus one timeline entry on the candidate.
Erasure (`consent.erasure`), data requests, registration and retention live in their own
modules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_log_record, client_ip
from candidates.i18n import LanguageError, candidate_language_set
from candidates.models import ActivityKind, Candidate
from candidates.services import activity_record
from consent.defaults import TEXT_DEFAULTS, TOPIC_DEFAULTS
from consent.events import consent_changed
from consent.models import (
    FREQUENCY_ORDER,
    TOPICS,
    Action,
    CandidateConsent,
    ConsentCapture,
    ConsentEvent,
    ConsentPolicy,
    ConsentProfile,
    ConsentText,
    Frequency,
    Purpose,
    Source,
    TopicSetting,
    new_link_key,
)
from consent.selectors import policy_get, topic_settings
from mailing.kinds import NURTURE_KINDS


class ConsentError(Exception):
    """A consent change was refused; the message is shown to the person."""


@dataclass(frozen=True)
class Origin:
    """Where a change came from, for the ledger (IP and user agent are erased with the person)."""

    ip: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> Origin:
        return cls(
            # The same address the lockout sees (X-Forwarded-For only behind trusted proxies):
            # behind a proxy REMOTE_ADDR is the proxy, for every visitor.
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )


@dataclass(frozen=True)
class Shown:
    """What a consent form offered (each purpose with the wording version shown; None where no
    wording is configured) and which purposes the person ticked: the proof that consent came
    from an affirmative act, kept as a `ConsentCapture`."""

    offered: Mapping[str, ConsentText | None]
    ticked: frozenset[str]


def _capture(
    *, candidate: Candidate, source: str, shown: Shown, origin: Origin, at: datetime
) -> ConsentCapture:
    offered = [
        {"purpose": purpose}
        | ({"text": text.pk, "version": text.version, "language": text.language} if text else {})
        for purpose, text in shown.offered.items()
    ]
    return ConsentCapture.objects.create(
        candidate=candidate,
        source=source,
        at=at,
        offered=offered,
        ticked=sorted(shown.ticked),
        ip_address=origin.ip,
        user_agent=origin.user_agent,
    )


# --- Profile and expiry -------------------------------------------------------------------------


def months_delta(months: int) -> timedelta:
    return timedelta(days=round(months * 30.4375))


def expiry_for(
    *, last_engagement_at: datetime, renewal_sent_at: datetime | None, policy: ConsentPolicy
) -> datetime:
    """Consent lapses N months after the last real engagement, but never sooner than the grace
    period after a renewal email, so nobody loses consent without having been asked first."""
    expires = last_engagement_at + months_delta(policy.consent_expiry_months)
    if renewal_sent_at is not None:
        expires = max(expires, renewal_sent_at + timedelta(days=policy.grace_days))
    return expires


def profile_ensure(*, candidate: Candidate) -> ConsentProfile:
    try:
        return candidate.consent_profile
    except ConsentProfile.DoesNotExist:
        pass
    now = timezone.now()
    expires = expiry_for(last_engagement_at=now, renewal_sent_at=None, policy=policy_get())
    try:
        with transaction.atomic():
            profile, _created = ConsentProfile.objects.get_or_create(
                candidate=candidate, defaults={"last_engagement_at": now, "expires_at": expires}
            )
    except IntegrityError:
        profile = ConsentProfile.objects.get(candidate=candidate)
    candidate.consent_profile = profile
    return profile


def profiles_ensure(*, candidates: Sequence[Candidate]) -> None:
    """`profile_ensure` for many candidates in one INSERT (… ON CONFLICT DO NOTHING) and one
    SELECT, so a bulk action signing links for hundreds of people does not pay a savepoint and
    an insert per person. Sets `candidate.consent_profile` on each."""
    missing: dict[int, list[Candidate]] = {}
    for candidate in candidates:
        try:
            candidate.consent_profile  # noqa: B018 (loaded by select_related, or raises)
        except ConsentProfile.DoesNotExist:
            missing.setdefault(candidate.pk, []).append(candidate)
    if not missing:
        return
    now = timezone.now()
    expires = expiry_for(last_engagement_at=now, renewal_sent_at=None, policy=policy_get())
    ConsentProfile.objects.bulk_create(
        [
            ConsentProfile(candidate_id=pk, last_engagement_at=now, expires_at=expires)
            for pk in missing
        ],
        ignore_conflicts=True,
    )
    for profile in ConsentProfile.objects.filter(candidate_id__in=list(missing)):
        for candidate in missing[profile.candidate_id]:
            candidate.consent_profile = profile


def engagement_record(*, candidate: Candidate, at: datetime | None = None) -> ConsentProfile:
    """A real sign of interest (confirmation, preference change, click, application) restarts
    the expiry clock. Opens of automated emails must not be passed here."""
    at = at or timezone.now()
    profile = profile_ensure(candidate=candidate)
    if at <= profile.last_engagement_at:
        return profile
    profile.last_engagement_at = at
    profile.renewal_sent_at = None
    profile.expires_at = expiry_for(
        last_engagement_at=at, renewal_sent_at=None, policy=policy_get()
    )
    profile.save(update_fields=["last_engagement_at", "renewal_sent_at", "expires_at"])
    return profile


@transaction.atomic
def profile_language_set(*, candidate: Candidate, language: str) -> None:
    """The person's own choice of language (preference centre, registration): stored on the
    candidate, the one place every email, page and PDF reads it from (candidates.i18n)."""
    try:
        candidate_language_set(candidate=candidate, language=language)
    except LanguageError:
        raise ConsentError(_("Choose one of the offered languages.")) from None


@transaction.atomic
def links_revoke(*, candidate: Candidate) -> None:
    """Invalidate every link sent to this person so far."""
    profile = profile_ensure(candidate=candidate)
    profile.link_key = new_link_key()
    profile.save(update_fields=["link_key"])


# --- The ledger ---------------------------------------------------------------------------------


def _clean_frequency(purpose: str, frequency: str | None, ranges: dict[str, TopicSetting]) -> str:
    if purpose not in TOPICS:
        if frequency:
            raise ConsentError(
                _("%(purpose)s has no frequency.") % {"purpose": Purpose(purpose).label}
            )
        return ""
    setting = ranges[purpose]
    if not setting.enabled:
        raise ConsentError(_("%(purpose)s is not offered.") % {"purpose": Purpose(purpose).label})
    if not frequency:
        return setting.default_frequency
    if frequency not in setting.allowed_frequencies:
        allowed = ", ".join(Frequency(f).label.lower() for f in setting.allowed_frequencies)
        raise ConsentError(
            _("For %(purpose)s, choose one of: %(allowed)s.")
            % {"purpose": str(Purpose(purpose).label).lower(), "allowed": allowed}
        )
    return frequency


def _timeline_params(events: list[ConsentEvent]) -> dict[str, list[list[str]]]:
    """The changes for the timeline's "consent.changed" entry (consent.entries): per action,
    [purpose, frequency] pairs."""
    return {
        str(action): [[e.purpose, e.frequency] for e in events if e.action == action]
        for action in (Action.GRANTED, Action.WITHDRAWN, Action.EXPIRED)
        if any(e.action == action for e in events)
    }


@transaction.atomic
def consent_change(
    *,
    candidate: Candidate,
    source: str,
    grant: Mapping[str, str | None] | None = None,
    withdraw: Iterable[str] = (),
    expire: Iterable[str] = (),
    actor: User | None = None,
    texts: Mapping[str, ConsentText] | None = None,
    origin: Origin | None = None,
    reason: str = "",
    engaged: bool = True,
    at: datetime | None = None,
    shown: Shown | None = None,
) -> list[ConsentEvent]:
    """Grant (purpose -> frequency), withdraw and expire purposes in one step.

    Idempotent: a purpose already in the requested state (same frequency) records nothing, so a
    second click on an opt-in link changes nothing. Returns the ledger rows written.

    `shown` (a consent form was submitted): what the page offered and what was ticked is kept
    as a `ConsentCapture`, also when nothing was ticked, and the events point at it. A purpose
    can then be granted only if its box was ticked: consent is an affirmative act."""
    grant = dict(grant or {})
    if shown is not None:
        unticked = set(grant) - set(shown.ticked)
        if unticked:
            raise ConsentError(
                _("Consent is given by ticking its box: %(purposes)s was not ticked.")
                % {"purposes": ", ".join(sorted(unticked))}
            )
        texts = {
            **{p: t for p, t in shown.offered.items() if t is not None and p in grant},
            **(texts or {}),
        }
    withdraw, expire = set(withdraw), set(expire)
    unknown = (set(grant) | withdraw | expire) - set(Purpose.values)
    if unknown:
        raise ConsentError(f"Unknown purpose: {', '.join(sorted(unknown))}.")
    if set(grant) & (withdraw | expire):
        raise ConsentError(_("A purpose cannot be granted and withdrawn at once."))
    if source not in Source.values:
        raise ConsentError(f"Unknown source {source!r}.")
    if source == Source.RECRUITER and not reason.strip():
        raise ConsentError(_("Say how the candidate gave or withdrew consent (e.g. 'by phone')."))
    if candidate.anonymised_at is not None:
        raise ConsentError(_("This candidate has been anonymised."))
    texts = texts or {}
    for purpose, text in texts.items():
        if text.purpose != purpose:
            raise ConsentError(_("The consent wording does not match the purpose."))

    at = at or timezone.now()
    origin = origin or Origin()
    # Lock this person's state rows: two clicks at once must not both record a grant.
    Candidate.objects.select_for_update().filter(pk=candidate.pk).first()
    state = {c.purpose: c for c in CandidateConsent.objects.filter(candidate=candidate)}
    # No frequency given keeps the person's current choice (else the tenant's default).
    ranges = topic_settings() if set(grant) & set(TOPICS) else {}
    cleaned = {
        p: _clean_frequency(
            p, f or (state[p].frequency if p in state and state[p].granted else ""), ranges
        )
        for p, f in grant.items()
    }
    profile = profile_ensure(candidate=candidate)
    expired_now = profile.expires_at <= at

    wanted: list[tuple[str, str, str]] = []  # (purpose, action, frequency)
    for purpose, frequency in cleaned.items():
        current = state.get(purpose)
        unchanged = current and current.granted and current.frequency == frequency
        if not unchanged or expired_now:
            wanted.append((purpose, Action.GRANTED, frequency))
    for purpose in sorted(withdraw):
        if purpose in state and state[purpose].granted:
            wanted.append((purpose, Action.WITHDRAWN, ""))
    for purpose in sorted(expire):
        if purpose in state and state[purpose].granted:
            wanted.append((purpose, Action.EXPIRED, ""))

    capture = (
        _capture(candidate=candidate, source=source, shown=shown, origin=origin, at=at)
        if shown is not None
        else None
    )
    events = []
    for purpose, action, frequency in wanted:
        event = ConsentEvent.objects.create(
            capture=capture,
            candidate=candidate,
            purpose=purpose,
            action=action,
            source=source,
            frequency=frequency,
            text=texts.get(purpose) if action == Action.GRANTED else None,
            at=at,
            ip_address=origin.ip,
            user_agent=origin.user_agent,
            actor=actor if actor and actor.pk else None,
            reason=reason[:300],
        )
        # The row is locked through the candidate above, so a plain write is safe.
        current = state.get(purpose) or CandidateConsent(candidate=candidate, purpose=purpose)
        current.granted = action == Action.GRANTED
        current.frequency = frequency
        current.changed_at = at
        current.last_event = event
        current.save()
        state[purpose] = current
        events.append(event)

    if engaged and (cleaned or events):
        engagement_record(candidate=candidate, at=at)
    if events:
        activity_record(
            candidate=candidate,
            kind=ActivityKind.CONSENT,
            code="consent.changed",
            params=_timeline_params(events),
            body=reason,
            actor=actor,
            ref=f"consent.event:{events[0].pk}",
            data={"source": source, "events": [e.pk for e in events]},
            at=at,
        )
        transaction.on_commit(
            lambda: consent_changed.send(sender=ConsentEvent, candidate=candidate, events=events)
        )
    return events


def consent_grant(
    *,
    candidate: Candidate,
    purpose: str,
    source: str,
    actor: User | None = None,
    frequency: str | None = None,
    text: ConsentText | None = None,
    origin: Origin | None = None,
    reason: str = "",
) -> ConsentEvent | None:
    """Record consent for one purpose; None when it was already in place."""
    events = consent_change(
        candidate=candidate,
        source=source,
        grant={purpose: frequency},
        actor=actor,
        texts={purpose: text} if text else None,
        origin=origin,
        reason=reason,
    )
    return events[0] if events else None


def consent_withdraw(
    *,
    candidate: Candidate,
    purpose: str,
    source: str,
    actor: User | None = None,
    origin: Origin | None = None,
    reason: str = "",
) -> ConsentEvent | None:
    """Withdraw consent for one purpose; None when there was none to withdraw."""
    events = consent_change(
        candidate=candidate,
        source=source,
        withdraw=[purpose],
        actor=actor,
        origin=origin,
        reason=reason,
        engaged=source in (Source.PREFERENCE_CENTRE, Source.RECRUITER),
    )
    return events[0] if events else None


def nurture_withdraw_all(
    *,
    candidate: Candidate,
    source: str,
    actor: User | None = None,
    origin: Origin | None = None,
    reason: str = "",
) -> list[ConsentEvent]:
    """Stop every nurture email (unsubscribe from everything, spam complaint). Talent-pool and
    tracking consent are about data, not email, and stay as they are."""
    return consent_change(
        candidate=candidate,
        source=source,
        withdraw=sorted(NURTURE_KINDS),
        actor=actor,
        origin=origin,
        reason=reason,
        engaged=False,
    )


# --- Texts and settings (HR admins) -------------------------------------------------------------


@transaction.atomic
def consent_text_publish(
    *, purpose: str, language: str, title: str, body: str, actor: User | None
) -> ConsentText:
    """A new version of a consent text; the previous versions stay untouched."""
    if not title.strip() or not body.strip():
        raise ConsentError(_("A consent text needs a title and a body."))
    latest = (
        ConsentText.objects.select_for_update()
        .filter(purpose=purpose, language=language)
        .order_by("-version")
        .first()
    )
    if latest and latest.title == title.strip() and latest.body == body.strip():
        return latest
    text = ConsentText.objects.create(
        purpose=purpose,
        language=language,
        version=(latest.version + 1) if latest else 1,
        title=title.strip(),
        body=body.strip(),
        created_by=actor if actor and actor.pk else None,
    )
    if actor is not None:
        audit_log_record(
            actor=actor,
            action="consent.text_published",
            target=f"{purpose}/{language}",
            details={"version": text.version},
        )
    return text


@transaction.atomic
def topic_setting_update(
    *,
    topic: str,
    enabled: bool,
    min_frequency: str,
    max_frequency: str,
    default_frequency: str,
    actor: User,
) -> TopicSetting:
    if topic not in TOPICS:
        raise ConsentError(f"{topic!r} is not a content topic.")
    order = FREQUENCY_ORDER
    if any(f not in order for f in (min_frequency, max_frequency, default_frequency)):
        raise ConsentError(_("Unknown frequency."))
    if order.index(min_frequency) > order.index(max_frequency):
        raise ConsentError(_("The most frequent option must come before the least frequent one."))
    if (
        not order.index(min_frequency)
        <= order.index(default_frequency)
        <= order.index(max_frequency)
    ):
        raise ConsentError(_("The default frequency must lie within the allowed range."))
    setting, _created = TopicSetting.objects.update_or_create(
        topic=topic,
        defaults={
            "enabled": enabled,
            "min_frequency": min_frequency,
            "max_frequency": max_frequency,
            "default_frequency": default_frequency,
        },
    )
    # Existing choices outside the new range are moved to the nearest allowed frequency.
    allowed = setting.allowed_frequencies
    for consent in CandidateConsent.objects.filter(purpose=topic, granted=True).exclude(
        frequency__in=allowed
    ):
        nearest = (
            allowed[0] if order.index(consent.frequency) < order.index(allowed[0]) else allowed[-1]
        )
        consent.frequency = nearest
        consent.save(update_fields=["frequency"])
    audit_log_record(
        actor=actor,
        action="consent.topic_updated",
        target=topic,
        details={
            "enabled": enabled,
            "range": [min_frequency, max_frequency],
            "default": default_frequency,
        },
    )
    return setting


@transaction.atomic
def policy_update(*, actor: User, **values: int) -> ConsentPolicy:
    policy = policy_get()
    fields = {f.name for f in ConsentPolicy._meta.fields} - {"id"}
    unknown = set(values) - fields
    if unknown:
        raise ConsentError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    if values.get("retention_months", 1) < 1 or values.get("consent_expiry_months", 1) < 1:
        raise ConsentError(_("Retention and expiry must be at least one month."))
    changed = {k: v for k, v in values.items() if getattr(policy, k) != v}
    for key, value in changed.items():
        setattr(policy, key, value)
    policy.save()
    if {"consent_expiry_months", "grace_days"} & set(changed):
        profiles = list(ConsentProfile.objects.all())
        for profile in profiles:
            profile.expires_at = expiry_for(
                last_engagement_at=profile.last_engagement_at,
                renewal_sent_at=profile.renewal_sent_at,
                policy=policy,
            )
        ConsentProfile.objects.bulk_update(profiles, ["expires_at"], batch_size=1000)
    if changed:
        audit_log_record(actor=actor, action="consent.policy_updated", details=changed)
    return policy


def consent_defaults_install() -> None:
    """Defaults for a new tenant (idempotent): policy, topic ranges, texts in four languages."""
    policy_get()
    for topic, (lo, hi, default) in TOPIC_DEFAULTS.items():
        TopicSetting.objects.get_or_create(
            topic=topic,
            defaults={"min_frequency": lo, "max_frequency": hi, "default_frequency": default},
        )
    existing = set(ConsentText.objects.values_list("purpose", "language"))
    ConsentText.objects.bulk_create(
        ConsentText(purpose=purpose, language=language, version=1, title=title, body=body)
        for purpose, by_language in TEXT_DEFAULTS.items()
        for language, (title, body) in by_language.items()
        if (purpose, language) not in existing
    )
