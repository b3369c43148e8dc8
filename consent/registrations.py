"""What consent plugs into other apps' registries (called once from ConsentConfig.ready())."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from accounts.dashboard import Panel, register_panel
from candidates.columns import ListColumn, register_list_column
from candidates.criteria import Criterion, register_criterion
from candidates.panels import register_profile_panel
from candidates.sources import register_source_labels
from consent.gate import consent_send_gate_many, tracking_check, tracking_check_many
from consent.models import TOPICS, CandidateConsent, ConsentProfile, Purpose
from consent.selectors import contactable, data_requests_open
from mailing.catalog import TemplateKind, register_template_kind
from mailing.gate import (
    register_send_gate,
    register_tracking_check,
    register_tracking_check_many,
)
from mailing.kinds import NURTURE_KINDS, MessageKind
from tenants.i18n import lazy_format

# --- Criteria: one implementation for the candidate list and smart pools -----------------------

_CONTACTABLE_CHOICES = [
    ("", _("Any")),
    ("any", _("Contactable (any topic)")),
    *[(t, lazy_format(_("Contactable: %(topic)s"), topic=Purpose(t).label)) for t in TOPICS],
    (Purpose.POOL_INVITATION.value, _("Contactable for talent-pool invitations")),
    ("none", _("Not contactable")),
]


def _apply_contactable(queryset: QuerySet, value: str, _: dict[str, Any]) -> QuerySet:
    if value == "none":
        return queryset.exclude(pk__in=contactable(queryset.model.objects.all()).values("pk"))
    return contactable(queryset, topic=None if value == "any" else value)


def _pool_consent() -> Exists:
    return Exists(
        CandidateConsent.objects.active().filter(
            candidate=OuterRef("pk"), purpose=Purpose.TALENT_POOL
        )
    )


def _apply_status(queryset: QuerySet, value: str, _: dict[str, Any]) -> QuerySet:
    return queryset.filter(_pool_consent()) if value == "yes" else queryset.exclude(_pool_consent())


# --- The "Consent" column of the candidate list ------------------------------------------------


def _annotate(queryset: QuerySet) -> QuerySet:
    mail = CandidateConsent.objects.active().filter(
        candidate=OuterRef("pk"), purpose__in=sorted(NURTURE_KINDS)
    )
    return queryset.annotate(consent_pool=_pool_consent(), consent_mail=Exists(mail))


def _render(candidate: Any) -> str:
    """A link to the candidate's consent page and history."""
    parts = []
    if getattr(candidate, "consent_pool", False):
        parts.append(gettext("Pool"))
    if getattr(candidate, "consent_mail", False):
        parts.append(gettext("Emails"))
    return format_html(
        '<a href="{}">{}</a>',
        reverse("consent:candidate", args=[candidate.pk]),
        " · ".join(parts) or pgettext("no consent", "none"),
    )


# --- Dashboard panel ----------------------------------------------------------------------------


def _panel_context(request: HttpRequest) -> dict[str, Any]:
    requests = list(data_requests_open()[:5])
    return {"requests": requests, "now": timezone.now()}


# --- Email templates HR admins may edit ---------------------------------------------------------

TEMPLATE_REGISTRATION = "consent_registration_confirm"
TEMPLATE_REQUEST = "consent_request_confirm"
TEMPLATE_RENEWAL = "consent_renewal"
TEMPLATE_FRESH_LINK = "consent_fresh_link"

_SAMPLE = {"first_name": "Ada", "company_name": "Example Corp", "link_url": "https://example.com/"}

TEMPLATE_KINDS = [
    TemplateKind(
        key=TEMPLATE_REGISTRATION,
        label=_("Talent pool: confirm registration"),
        kind=MessageKind.TRANSACTIONAL,
        allowed_tags=("first_name", "company_name", "link_url"),
        default_subject="Please confirm your registration with {{ company_name }}",
        default_body=(
            "Hello {{ first_name }},\n\n"
            "Thank you for joining the talent pool of {{ company_name }}. "
            "Please confirm your email address to complete your registration:\n\n"
            "[Confirm my registration]({{ link_url }})\n\n"
            "If you did not ask for this, ignore this email: nothing will be kept."
        ),
        sample=_SAMPLE,
        translations={
            "fr": (
                "Merci de confirmer votre inscription auprès de {{ company_name }}",
                "Bonjour {{ first_name }},\n\n"
                "Merci de rejoindre le vivier de talents de {{ company_name }}. "
                "Confirmez votre adresse e-mail pour finaliser votre inscription :\n\n"
                "[Confirmer mon inscription]({{ link_url }})\n\n"
                "Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail : "
                "rien ne sera conservé.",
            ),
            "de": (
                "Bitte bestätigen Sie Ihre Registrierung bei {{ company_name }}",
                "Hallo {{ first_name }},\n\n"
                "danke, dass Sie dem Talentpool von {{ company_name }} beitreten. "
                "Bitte bestätigen Sie Ihre E-Mail-Adresse, um die Registrierung abzuschließen:\n\n"
                "[Registrierung bestätigen]({{ link_url }})\n\n"
                "Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: "
                "Es wird nichts gespeichert.",
            ),
            "it": (
                "Confermi la sua iscrizione a {{ company_name }}",
                "Gentile {{ first_name }},\n\n"
                "grazie per essersi unito al talent pool di {{ company_name }}. "
                "Confermi il suo indirizzo e-mail per completare l'iscrizione:\n\n"
                "[Conferma la mia iscrizione]({{ link_url }})\n\n"
                "Se non ha fatto lei questa richiesta, ignori questa e-mail: "
                "non verrà conservato nulla.",
            ),
        },
    ),
    TemplateKind(
        key=TEMPLATE_REQUEST,
        label=_("Data request: confirm"),
        kind=MessageKind.TRANSACTIONAL,
        allowed_tags=("first_name", "company_name", "link_url", "request_kind"),
        default_subject="Confirm your request to {{ company_name }}",
        default_body=(
            "Hello {{ first_name }},\n\n"
            "We received a request for: {{ request_kind }}. "
            "Please confirm it was you:\n\n"
            "[Confirm my request]({{ link_url }})\n\n"
            "If you did not ask for this, ignore this email and nothing will happen."
        ),
        sample=_SAMPLE | {"request_kind": "a copy of my data"},
        translations={
            "fr": (
                "Confirmez votre demande auprès de {{ company_name }}",
                "Bonjour {{ first_name }},\n\n"
                "Nous avons reçu une demande : {{ request_kind }}. "
                "Merci de confirmer qu'elle vient bien de vous :\n\n"
                "[Confirmer ma demande]({{ link_url }})\n\n"
                "Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail : "
                "il ne se passera rien.",
            ),
            "de": (
                "Bestätigen Sie Ihre Anfrage an {{ company_name }}",
                "Hallo {{ first_name }},\n\n"
                "wir haben eine Anfrage erhalten: {{ request_kind }}. "
                "Bitte bestätigen Sie, dass sie von Ihnen stammt:\n\n"
                "[Anfrage bestätigen]({{ link_url }})\n\n"
                "Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: "
                "Es passiert nichts.",
            ),
            "it": (
                "Confermi la sua richiesta a {{ company_name }}",
                "Gentile {{ first_name }},\n\n"
                "abbiamo ricevuto una richiesta: {{ request_kind }}. "
                "Confermi che l'ha inviata lei:\n\n"
                "[Conferma la mia richiesta]({{ link_url }})\n\n"
                "Se non ha fatto lei questa richiesta, ignori questa e-mail: "
                "non succederà nulla.",
            ),
        },
    ),
    TemplateKind(
        key=TEMPLATE_RENEWAL,
        label=_("Consent renewal"),
        kind=MessageKind.TRANSACTIONAL,
        allowed_tags=("first_name", "company_name", "link_url", "expiry_date"),
        default_subject="Do you want to stay in touch with {{ company_name }}?",
        default_body=(
            "Hello {{ first_name }},\n\n"
            "Your consent to stay in our talent pool ends on {{ expiry_date }}. "
            "If you would like to keep hearing from us, confirm it in one click:\n\n"
            "[Keep me in the talent pool]({{ link_url }})\n\n"
            "If you do nothing, we will stop writing to you."
        ),
        sample=_SAMPLE | {"expiry_date": "1 March 2027"},
        translations={
            "fr": (
                "Souhaitez-vous rester en contact avec {{ company_name }} ?",
                "Bonjour {{ first_name }},\n\n"
                "Votre consentement à rester dans notre vivier de talents prend fin le "
                "{{ expiry_date }}. Si vous souhaitez continuer à avoir de nos nouvelles, "
                "confirmez-le en un clic :\n\n"
                "[Rester dans le vivier de talents]({{ link_url }})\n\n"
                "Sans réponse de votre part, nous cesserons de vous écrire.",
            ),
            "de": (
                "Möchten Sie mit {{ company_name }} in Kontakt bleiben?",
                "Hallo {{ first_name }},\n\n"
                "Ihre Einwilligung, in unserem Talentpool zu bleiben, endet am {{ expiry_date }}. "
                "Wenn Sie weiterhin von uns hören möchten, bestätigen Sie es mit einem Klick:\n\n"
                "[Im Talentpool bleiben]({{ link_url }})\n\n"
                "Wenn Sie nichts tun, schreiben wir Ihnen nicht mehr.",
            ),
            "it": (
                "Desidera restare in contatto con {{ company_name }}?",
                "Gentile {{ first_name }},\n\n"
                "il suo consenso a restare nel nostro talent pool scade il {{ expiry_date }}. "
                "Se desidera continuare a ricevere nostre notizie, lo confermi con un clic:\n\n"
                "[Resto nel talent pool]({{ link_url }})\n\n"
                "Se non fa nulla, smetteremo di scriverle.",
            ),
        },
    ),
    TemplateKind(
        key=TEMPLATE_FRESH_LINK,
        label=_("Fresh link to the preference centre"),
        kind=MessageKind.TRANSACTIONAL,
        allowed_tags=("first_name", "company_name", "link_url"),
        default_subject="Your link to manage your preferences with {{ company_name }}",
        default_body=(
            "Hello {{ first_name }},\n\n"
            "Here is a fresh link to manage what you receive from us:\n\n"
            "[Manage my preferences]({{ link_url }})"
        ),
        sample=_SAMPLE,
        translations={
            "fr": (
                "Votre lien pour gérer vos préférences auprès de {{ company_name }}",
                "Bonjour {{ first_name }},\n\n"
                "Voici un nouveau lien pour choisir ce que vous recevez de notre part :\n\n"
                "[Gérer mes préférences]({{ link_url }})",
            ),
            "de": (
                "Ihr Link zu Ihren Einstellungen bei {{ company_name }}",
                "Hallo {{ first_name }},\n\n"
                "hier ist ein neuer Link, mit dem Sie festlegen, was Sie von uns erhalten:\n\n"
                "[Meine Einstellungen verwalten]({{ link_url }})",
            ),
            "it": (
                "Il suo link per gestire le preferenze con {{ company_name }}",
                "Gentile {{ first_name }},\n\n"
                "ecco un nuovo link per scegliere che cosa ricevere da noi:\n\n"
                "[Gestisci le mie preferenze]({{ link_url }})",
            ),
        },
    ),
]


# --- The consent box on the candidate page ---------------------------------------------------


def _profile_panel_context(candidate: Any, request: HttpRequest) -> dict[str, Any]:
    """Current state per purpose with where it came from; two queries whatever the history."""
    rows = {
        c.purpose: c
        for c in CandidateConsent.objects.filter(candidate=candidate).select_related(
            "last_event__text"
        )
    }
    profile = ConsentProfile.objects.filter(candidate=candidate).first()
    now = timezone.now()
    lapsed = profile is not None and profile.expires_at <= now
    states = [rows[p] for p in Purpose.values if p in rows]
    return {
        "granted": [c for c in states if c.granted],
        "withdrawn": [c for c in states if not c.granted],
        "topics": TOPICS,
        "in_pool": not lapsed and Purpose.TALENT_POOL in rows and rows[Purpose.TALENT_POOL].granted,
        "lapsed": lapsed,
        "profile": profile,
        "can_record": candidate.anonymised_at is None,
    }


# Where consent came from, in the one wording every screen uses (candidates.sources). The
# opt-in link's `s` values (who sent the link) are sources too.
SOURCE_LABELS = {
    "optin_link": _("Opt-in link (rejection email)"),
    "preference_centre": _("Preference centre"),
    "registration": _("Registration form"),
    "newsletter": _("Newsletter sign-up"),
    "complaint": _("Spam complaint"),
    "unsubscribe": _("Unsubscribe link"),
    "expiry": _("Expiry"),
    "erasure": _("Erasure"),
    "merge": _("Duplicate merged"),
    "rejection": _("Rejection email"),
    "renewal": _("Consent renewal email"),
    "pool_invitation": _("Pool invitation email"),
}


def register_all() -> None:
    register_source_labels(SOURCE_LABELS)
    register_send_gate(consent_send_gate_many)
    register_tracking_check(tracking_check)
    register_tracking_check_many(tracking_check_many)
    register_criterion(
        Criterion(
            "consent_pool",
            _("Talent-pool consent"),
            lambda: forms.ChoiceField(
                choices=[
                    ("", _("Any")),
                    ("yes", _("Has consented")),
                    ("no", _("Has not consented")),
                ]
            ),
            _apply_status,
            order=95,
        )
    )
    register_criterion(
        Criterion(
            "contactable",
            _("Contactable"),
            lambda: forms.ChoiceField(choices=_CONTACTABLE_CHOICES),
            _apply_contactable,
            order=96,
        )
    )
    register_list_column(ListColumn("consent", _("Consent"), _annotate, _render, order=90))
    register_panel(
        Panel(
            key="consent_requests",
            title=_("Data requests"),
            template="consent/_panel_requests.html",
            context=_panel_context,
            order=80,
            hr_admin_only=True,
        )
    )
    register_profile_panel(
        "consent",
        _("Consent"),
        "consent/_profile_panel.html",
        _profile_panel_context,
        order=10,
    )
    for kind in TEMPLATE_KINDS:
        register_template_kind(kind)
