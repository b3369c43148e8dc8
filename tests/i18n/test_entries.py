"""Timeline and audit-log entries are stored as a code plus parameters and read in the reader's
language: a French recruiter reads the candidate's timeline and the audit log in French (no
string of any catalogue left in English), an English one reads the same rows in English, times
show in the company's zone. Rows written before codes existed are recognised by a migration;
text it does not recognise is shown as stored. Every code the code base writes is registered."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from pathlib import Path

import time_machine
from django.apps import apps
from django.urls import reverse
from django.utils import timezone, translation

from accounts.audit import AUDIT
from accounts.models import AuditLog
from accounts.services import audit_log_record
from candidates.models import Activity, ActivityKind, Stage
from candidates.pipeline import (
    application_create,
    application_outcome_set,
    application_stage_move,
)
from candidates.services import (
    activity_record,
    candidate_note_add,
    candidate_tags_add,
    candidate_update,
    candidate_upsert,
)
from candidates.timeline import TIMELINE, activity_text
from consent.models import Purpose, Source
from consent.services import consent_change
from feedback.content import CallNote
from feedback.services import application_reject
from mailing.models import Message
from tests.campaigns.helpers import open_position
from tests.i18n.artefacts import visible_text
from tests.i18n.leftovers import english_strings, leftovers

ROOT = Path(__file__).resolve().parents[2]
_TIMELINE = re.compile(r'<ol class="timeline">.*?</ol>', re.DOTALL)
_MAIN = re.compile(r"<main\b.*?</main>", re.DOTALL)
LEGACY_TEXT = "Quarterly check-in arranged by phone"
# What people and the company typed: names, titles, subjects, tags, a note, stage names.
DATA = [
    "Zoé Lefèvre",
    "zoe@entries.example",
    "Analyste données",
    "Xqz",
    "silver-medalist",
    LEGACY_TEXT,
    "Alpha",
    "Test alpha",
]


def _french(world) -> None:  # type: ignore[no-untyped-def]
    world.activate()
    world.recruiter.language = "fr"
    world.recruiter.save(update_fields=["language"])
    world.hr_admin.language = "en"
    world.hr_admin.save(update_fields=["language"])


def _timeline_of_everything(world):  # type: ignore[no-untyped-def]
    """A candidate with an entry of most kinds on their timeline."""
    recruiter = world.recruiter
    zoe, _ = candidate_upsert(
        email="zoe@entries.example",
        actor=None,
        source="career site",
        first_name="Zoé",
        last_name="Lefèvre",
    )
    candidate_update(candidate=zoe, actor=recruiter, phone="+33 1 23 45 67 89")
    candidate_tags_add(candidates=[zoe], names=["silver-medalist"], actor=recruiter)
    position = open_position("Analyste données")
    application, _ = application_create(
        candidate=zoe, position=position, actor=recruiter, source="referral"
    )
    interview = Stage.objects.order_by("order")[1]
    application_stage_move(application=application, stage=interview, actor=recruiter)
    application_outcome_set(application=application, outcome="withdrawn", actor=recruiter)
    application_outcome_set(application=application, outcome="active", actor=recruiter)
    application_reject(
        application=application,
        actor=recruiter,
        reasons=[],
        call=CallNote(
            called_at=timezone.now() - dt.timedelta(hours=1),
            duration_minutes=15,
            internal_note="Xqz",
            candidate_summary="",
        ),
        send_at=timezone.now() + dt.timedelta(days=1),
    )
    consent_change(
        candidate=zoe,
        source=Source.RECRUITER,
        grant={Purpose.TALENT_POOL: None, Purpose.EVENTS: "monthly"},
        actor=recruiter,
        reason="Xqz",
    )
    for code in ("email.sent", "email.delivered", "email.reply"):
        activity_record(
            candidate=zoe,
            kind=ActivityKind.EMAIL,
            code=code,
            params={"subject": "Xqz"},
            data={"status": "delivered"},
        )
    activity_record(
        candidate=zoe, kind=ActivityKind.IMPORT, code="import.created", params={"file": "Xqz"}
    )
    candidate_note_add(candidate=zoe, body="Xqz", actor=recruiter)
    # Written before codes existed, in words no migration recognises: shown as it was written.
    Activity.objects.create(candidate=zoe, kind=ActivityKind.CALL, summary=LEGACY_TEXT)
    return zoe


def _timeline_section(page: str) -> str:
    found = _TIMELINE.search(page)
    assert found, "the candidate page has no timeline"
    return found.group(0)


def test_the_candidate_timeline_reads_in_the_recruiters_language(tenant_a):
    _french(tenant_a)
    zoe = _timeline_of_everything(tenant_a)
    url = reverse("candidates:detail", args=[zoe.pk])

    page = tenant_a.client(tenant_a.recruiter).get(url).content.decode()
    timeline = visible_text(_timeline_section(page))
    stages = list(Stage.objects.values_list("name", flat=True))
    # The feedback email's subject is in the candidate's language (English here).
    subjects = list(Message.objects.values_list("subject", flat=True))
    names = [str(tenant_a.recruiter), tenant_a.recruiter.email]
    found = leftovers(timeline, english_strings("fr"), [*DATA, *stages, *subjects, *names])
    assert found == [], timeline
    for french in (
        "Ajouté (Site carrières)",
        "Profil modifié : Téléphone",
        "A postulé à Analyste données (Recommandation)",
        "Analyste données : Retiré",
        "Appel de retour (15 min)",
        "E-mail remis : Xqz",
        "Réponse : Xqz",
        "Consentement donné",
        LEGACY_TEXT,
    ):
        assert french in timeline, french

    # The same rows, read by someone who reads English.
    page = tenant_a.client(tenant_a.hr_admin).get(url).content.decode()
    timeline = visible_text(_timeline_section(page))
    for english in (
        "Added (Career site)",
        "Profile edited: Phone",
        "Applied to Analyste données (Referral)",
        "Analyste données: Withdrawn",
        "Feedback call (15 min)",
        "Email delivered: Xqz",
        "Reply: Xqz",
        "Consent granted: Keep my profile in the talent pool, Event invitations (monthly)",
        LEGACY_TEXT,
    ):
        assert english in timeline, english


def test_entries_are_codes_and_the_summary_stays_english(tenant_a):
    """What is stored does not depend on who wrote it: a French recruiter's rejection stores
    the code and the outcome's value, and the English sentence as the plain summary."""
    _french(tenant_a)
    zoe, _ = candidate_upsert(email="zoe@entries.example", actor=None, source="", first_name="Zoé")
    application, _ = application_create(
        candidate=zoe, position=open_position("Analyste données"), actor=tenant_a.recruiter
    )
    with translation.override("fr"):
        application_outcome_set(application=application, outcome="hired", actor=None)
    entry = Activity.objects.get(candidate=zoe, kind=ActivityKind.OUTCOME)
    assert (entry.code, entry.params) == (
        "application.outcome",
        {"position": "Analyste données", "outcome": "hired"},
    )
    assert entry.summary == "Analyste données: Hired"
    for language, text in (("fr", "Analyste données : Embauché"), ("de", "Analyste données: ")):
        with translation.override(language):
            assert activity_text(entry).startswith(text)


def test_an_entry_whose_parameters_were_erased_reads_as_its_kind(tenant_a):
    tenant_a.activate()
    zoe, _ = candidate_upsert(email="zoe@entries.example", actor=None, source="", first_name="Zoé")
    entry = activity_record(
        candidate=zoe, kind=ActivityKind.EMAIL, code="email.sent", params={"subject": "Xqz"}
    )
    Activity.objects.filter(pk=entry.pk).update(params={}, summary="Email")
    entry.refresh_from_db()
    with translation.override("fr"):
        assert entry.text == "E-mail"


def test_timeline_and_audit_times_are_in_the_companys_zone(tenant_a):
    tenant_a.activate()
    tenant_a.tenant.time_zone = "Asia/Tokyo"
    tenant_a.tenant.save(update_fields=["time_zone"])
    moment = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)  # 21:00 in Tokyo
    with time_machine.travel(moment, tick=False):
        zoe, _ = candidate_upsert(
            email="zoe@entries.example", actor=None, source="", first_name="Zoé"
        )
        audit_log_record(actor=tenant_a.hr_admin, action="user.invited", target="x@example.com")
    client = tenant_a.client(tenant_a.hr_admin)
    page = client.get(reverse("candidates:detail", args=[zoe.pk])).content.decode()
    assert "21:00" in _timeline_section(page)
    page = client.get(reverse("accounts:audit_log")).content.decode()
    assert "21:00" in page.split("<tbody>")[1] and "12:00" not in page.split("<tbody>")[1]


def test_the_audit_log_reads_in_the_admins_language(tenant_a):
    tenant_a.activate()
    tenant_a.hr_admin.language = "fr"
    tenant_a.hr_admin.save(update_fields=["language"])
    admin = tenant_a.hr_admin
    for action, details in (
        ("user.invited", {"role": "recruiter"}),
        ("settings.branding_changed", {"fields": ["logo"]}),
        ("signin.break_glass", {"by": "platform operator", "reason": "Xqz"}),
        ("candidate.export", {"count": 3}),
        ("candidate.erased", {"reason": "Xqz"}),
        ("consent.text_published", {"version": 2}),
        ("feedback.policy_set", {"personalised_from": "Alpha"}),
        ("pools.members_added", {"added": 2}),
        ("campaigns.campaign_scheduled", {"at": "2026-11-30T17:02:18+00:00"}),
        ("integrations.api_key_create", {"name": "Xqz"}),
        ("mailing.message_send_now", {"message": 4}),
        ("accounts.audit_export", {"count": 12}),
        ("consent.policy_updated", {"retention_months": 12}),
        ("campaigns.nurture_rules_changed", {"cap_days": 3}),
    ):
        audit_log_record(actor=admin, action=action, target="Xqz", details=details)
    client = tenant_a.client(admin)
    page = client.get(reverse("accounts:audit_log")).content.decode()
    found = _MAIN.search(page)
    assert found, "the audit page has no <main>"
    main = visible_text(found.group(0))
    data = [*DATA, admin.email, "recruiter", "logo"]
    assert leftovers(main, english_strings("fr"), data) == []
    for french in ("Utilisateur invité", "Connexion d'urgence", "Candidats exportés", "Rôle"):
        assert french in main, french
    assert "opérateur de la plateforme" in main
    assert "Retention months" not in main and "Cap days" not in main

    admin.language = "en"
    admin.save(update_fields=["language"])
    page = client.get(reverse("accounts:audit_log")).content.decode()
    assert "User invited" in page and "Emergency sign-in by the platform operator" in page


def test_every_code_written_is_registered():
    """A new `action=` or timeline `code=` without a label would show as a bare code."""
    literal = re.compile(r'\b(?:action|code)=("[a-z_]+\.[a-z_.]+"(?: if .*? else "[^"]+")?)')
    found: set[str] = set()
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {"tests", ".venv", "node_modules", "bench"}:
            continue
        if "migrations" in path.parts:
            continue
        for match in literal.finditer(path.read_text()):
            found |= set(re.findall(r'"([a-z_]+\.[a-z_.]+)"', match.group(1)))
    assert "application.stage_moved" in found and "user.invited" in found
    missing = sorted(code for code in found if code not in TIMELINE and code not in AUDIT)
    assert missing == []


def test_legacy_rows_get_their_codes_and_unknown_text_stays(tenant_a):
    tenant_a.activate()
    migration = importlib.import_module("candidates.migrations.0009_activity_legacy_codes")
    zoe, _ = candidate_upsert(email="zoe@entries.example", actor=None, source="", first_name="Zoé")
    send_at = "2026-03-12T17:02:00+00:00"
    legacy = {
        (ActivityKind.EDIT, "Added (Career site)", ()): (
            "candidate.added_from",
            {"source": "career site"},
        ),
        (ActivityKind.EDIT, "Profile edited: phone, city", ()): (
            "candidate.edited",
            {"fields": ["phone", "city"]},
        ),
        (ActivityKind.STAGE, "Analyste données: Applied → Interview", ()): (
            "application.stage_moved",
            {"position": "Analyste données", "from": "Applied", "to": "Interview"},
        ),
        # Written while a French recruiter's language was active.
        (ActivityKind.OUTCOME, "Analyste données: Refusé", ()): (
            "application.outcome",
            {"position": "Analyste données", "outcome": "rejected"},
        ),
        (ActivityKind.APPLICATION, "Applied to Engineer (m/f)", ()): (
            "application.applied",
            {"position": "Engineer (m/f)"},
        ),
        (ActivityKind.EMAIL, "Email bounced: Re: your CV", ()): (
            "email.bounced",
            {"subject": "Re: your CV"},
        ),
        (ActivityKind.EMAIL, "Reply: (no subject)", ()): ("email.reply", {"subject": ""}),
        (
            ActivityKind.EMAIL,
            "Feedback email scheduled for 2026-03-12 18:02 CET: Your application",
            (("send_at", send_at),),
        ): ("feedback.email_scheduled", {"subject": "Your application", "at": send_at}),
        (
            ActivityKind.CONSENT,
            "Consent granted: Event invitations (monthly); Consent withdrawn: Job offers",
            (),
        ): (
            "consent.changed",
            {"granted": [["events", "monthly"]], "withdrawn": [["job_offers", ""]]},
        ),
        (ActivityKind.CALL, "Feedback call (20 min)", ()): ("feedback.call", {"minutes": 20}),
        (ActivityKind.OUTCOME, "Analyste données: Rejected", ()): (
            "feedback.rejected",
            {
                "position": "Analyste données",
                "outcome": "rejected",
                "branch": "personalised",
                "reasons": "Skills gap",
            },
        ),
        (ActivityKind.STAGE, "Stage move", ()): ("erased", {"kind": "stage"}),
        (ActivityKind.EDIT, "Personal data erased", ()): ("candidate.erased", {}),
        (ActivityKind.CALL, LEGACY_TEXT, ()): ("", {}),
        (ActivityKind.NOTE, "Tagged in the meeting", ()): ("", {}),
    }
    told = "Personalised feedback. Reasons: Skills gap.\n\nXqz\n\nTips: Yqz"
    rows = {
        key: Activity.objects.create(
            candidate=zoe,
            kind=key[0],
            summary=key[1],
            data=dict(key[2]),
            body=told if key[1] == "Analyste données: Rejected" else "",
        )
        for key in legacy
    }
    Activity.objects.filter(pk__in=[r.pk for r in rows.values()]).update(code="", params={})

    migration.forwards(apps, None)

    for key, (code, params) in legacy.items():
        row = Activity.objects.get(pk=rows[key].pk)
        assert (row.code, row.params) == (code, params), key[1]
        assert row.summary == key[1]  # the stored text is left as it was
    assert (
        Activity.objects.get(pk=rows[next(k for k in legacy if k[1].endswith("Rejected"))].pk).body
        == "Xqz\n\nYqz"
    )
    with translation.override("fr"):
        texts = {key[1]: Activity.objects.get(pk=row.pk).text for key, row in rows.items()}
    assert texts["Analyste données: Applied → Interview"] == (
        "Analyste données : Applied → Interview"
    )
    assert texts["Email bounced: Re: your CV"].endswith(": Re: your CV")
    assert texts["Stage move"] == "Changement d'étape"
    scheduled = "Feedback email scheduled for 2026-03-12 18:02 CET: Your application"
    assert "17:02 UTC" in texts[scheduled]  # the moment, in the zone active (UTC here)
    assert texts[LEGACY_TEXT] == LEGACY_TEXT


def test_legacy_audit_targets_lose_their_english_words(tenant_a):
    tenant_a.activate()
    migration = importlib.import_module("accounts.migrations.0004_audit_targets_without_words")
    rows = [
        audit_log_record(actor=None, action="accounts.audit_export", target="12 entries"),
        audit_log_record(actor=None, action="pools.rules_reapplied", target="run 4"),
        audit_log_record(
            actor=None, action="feedback.policy_set", target="personalised from Interview"
        ),
        audit_log_record(actor=None, action="user.invited", target="12 entries"),
    ]
    migration.forwards(apps, None)
    found = [AuditLog.objects.get(pk=row.pk) for row in rows]
    assert [e.target for e in found] == ["", "#4", "Interview", "12 entries"]
    assert found[2].details == {"personalised_from": "Interview"}
