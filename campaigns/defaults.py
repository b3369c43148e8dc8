"""Defaults installed in every new tenant (idempotent): send windows, which topic goes first when
the cap forces a choice, the digest templates and the global cap. Topic frequencies (job offers
weekly to monthly, the others monthly to quarterly) are consent's defaults.

The digest texts are built in for every language the product speaks (`BUILTIN_TEMPLATES`): a
new tenant gets a template row per language, and a language HR never wrote is sent with the
built-in text (campaigns.sending.template_for), so a digest is never in another language than
its reader's."""

from __future__ import annotations

from collections.abc import Mapping

from campaigns.models import NurtureSettings, TopicSchedule, TopicTemplate
from mailing.kinds import MessageKind
from tenants.i18n import language_codes, pick_language

YOUNG_TALENT_TAG = "young-talent"

_DIGEST_BODY = {
    "en": """Hello {{ first_name }},

{{ items }}

You receive this because you asked {{ company_name }} to keep you posted on this topic.
""",
    "fr": """Bonjour {{ first_name }},

{{ items }}

Vous recevez cet e-mail parce que vous avez demandé à {{ company_name }} de vous tenir informé(e)
sur ce sujet.
""",
    "de": """Hallo {{ first_name }},

{{ items }}

Sie erhalten diese E-Mail, weil Sie {{ company_name }} gebeten haben, Sie zu diesem Thema auf dem
Laufenden zu halten.
""",
    "it": """Gentile {{ first_name }},

{{ items }}

Riceve questa e-mail perché ha chiesto a {{ company_name }} di tenerla aggiornata su questo tema.
""",
}

INVITATION_BODY = {
    "en": """Hello {{ first_name }},

Thank you for reading the {{ company_name }} newsletter. Join our talent pool: complete a short
profile and choose the topics you want to hear about, so we can tell you about the jobs that fit.

[Join the talent pool]({{ join_url }})

Not interested? [Tell us]({{ decline_url }}) and we will not ask again.
""",
    "fr": """Bonjour {{ first_name }},

Merci de lire la newsletter de {{ company_name }}. Rejoignez notre vivier de talents : complétez
un court profil et choisissez les sujets qui vous intéressent, pour que nous puissions vous
signaler les postes qui vous correspondent.

[Rejoindre le vivier de talents]({{ join_url }})

Pas intéressé(e) ? [Dites-le-nous]({{ decline_url }}) et nous ne vous le redemanderons pas.
""",
    "de": """Hallo {{ first_name }},

danke, dass Sie den Newsletter von {{ company_name }} lesen. Treten Sie unserem Talentpool bei:
Füllen Sie ein kurzes Profil aus und wählen Sie Ihre Themen, damit wir Ihnen passende Stellen
zeigen können.

[Dem Talentpool beitreten]({{ join_url }})

Kein Interesse? [Sagen Sie es uns]({{ decline_url }}) und wir fragen nicht wieder.
""",
    "it": """Gentile {{ first_name }},

grazie per leggere la newsletter di {{ company_name }}. Entri nel nostro talent pool: completi
un breve profilo e scelga i temi che le interessano, così potremo segnalarle le posizioni adatte
a lei.

[Entra nel talent pool]({{ join_url }})

Non le interessa? [Ce lo dica]({{ decline_url }}) e non glielo chiederemo più.
""",
}

# topic -> language -> subject
SUBJECTS: dict[str, dict[str, str]] = {
    MessageKind.JOB_OFFERS: {
        "en": "{{ first_name }}, new jobs that match your skills",
        "fr": "{{ first_name }}, de nouveaux postes qui correspondent à vos compétences",
        "de": "{{ first_name }}, neue Stellen, die zu Ihren Fähigkeiten passen",
        "it": "{{ first_name }}, nuove posizioni in linea con le sue competenze",
    },
    MessageKind.EVENTS: {
        "en": "{{ first_name }}, you are invited: events at {{ company_name }}",
        "fr": "{{ first_name }}, vous êtes invité(e) : les événements de {{ company_name }}",
        "de": "{{ first_name }}, Sie sind eingeladen: Veranstaltungen bei {{ company_name }}",
        "it": "{{ first_name }}, è invitato/a: gli eventi di {{ company_name }}",
    },
    MessageKind.COMPANY_NEWS: {
        "en": "News from {{ company_name }}",
        "fr": "Les nouvelles de {{ company_name }}",
        "de": "Neuigkeiten von {{ company_name }}",
        "it": "Novità da {{ company_name }}",
    },
    MessageKind.TESTIMONIALS: {
        "en": "Life at {{ company_name }}: our people tell their story",
        "fr": "La vie chez {{ company_name }} : nos équipes racontent",
        "de": "Arbeiten bei {{ company_name }}: unsere Leute erzählen",
        "it": "La vita in {{ company_name }}: le nostre persone si raccontano",
    },
    MessageKind.JOB_MARKET: {
        "en": "Jobs, training and your rights: the latest from {{ company_name }}",
        "fr": "Emploi, formation et vos droits : les dernières nouvelles de {{ company_name }}",
        "de": "Jobs, Weiterbildung und Ihre Rechte: Neues von {{ company_name }}",
        "it": "Lavoro, formazione e i suoi diritti: le ultime da {{ company_name }}",
    },
    MessageKind.POOL_INVITATION: {
        "en": "{{ first_name }}, join the {{ company_name }} talent pool",
        "fr": "{{ first_name }}, rejoignez le vivier de talents de {{ company_name }}",
        "de": "{{ first_name }}, treten Sie dem Talentpool von {{ company_name }} bei",
        "it": "{{ first_name }}, entri nel talent pool di {{ company_name }}",
    },
}


def builtin_template(topic: str, language: str) -> tuple[str, str] | None:
    """(subject, body) of the built-in digest of `topic` in `language`, None if none."""
    subject = SUBJECTS.get(topic, {}).get(language)
    bodies = INVITATION_BODY if topic == MessageKind.POOL_INVITATION else _DIGEST_BODY
    body = bodies.get(language)
    return (subject, body) if subject and body else None


DEFAULT_SCHEDULES: list[dict[str, object]] = [
    {"topic": MessageKind.JOB_OFFERS, "priority": 10},
    {"topic": MessageKind.EVENTS, "priority": 20, "priority_tag": YOUNG_TALENT_TAG},
    {"topic": MessageKind.COMPANY_NEWS, "priority": 30},
    {"topic": MessageKind.TESTIMONIALS, "priority": 40},
    {"topic": MessageKind.JOB_MARKET, "priority": 50},
    {"topic": MessageKind.POOL_INVITATION, "priority": 90},
]


def topics_install_defaults() -> None:
    for spec in DEFAULT_SCHEDULES:
        spec = dict(spec)
        schedule, _ = TopicSchedule.objects.get_or_create(topic=spec.pop("topic"), defaults=spec)
        if not schedule.templates.exists():
            TopicTemplate.objects.bulk_create(
                TopicTemplate(schedule=schedule, language=language, subject=subject, body=body)
                for language, subject in SUBJECTS[schedule.topic].items()
                if (body := (builtin_template(schedule.topic, language) or ("", ""))[1])
            )
    NurtureSettings.load()


def template_for(
    templates: Mapping[str, TopicTemplate], topic: str, language: str | None
) -> TopicTemplate | None:
    """The digest template for a reader of `language`: HR's in that language, else the
    built-in one in it, following the chain reader → company → English
    (tenants.i18n.pick_language). `templates` are the topic's rows by language; None only when
    there is neither (a topic without built-in texts and no row)."""
    builtin = [lang for lang in language_codes() if builtin_template(topic, lang)]
    chosen = pick_language([*templates, *builtin], language)
    if chosen is None:
        return None
    if chosen in templates:
        return templates[chosen]
    subject, body = builtin_template(topic, chosen) or ("", "")
    return TopicTemplate(language=chosen, subject=subject, body=body)
