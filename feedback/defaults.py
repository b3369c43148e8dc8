"""Defaults every new tenant starts with: a reason taxonomy, the stage policy and the rejection
email templates. Installing twice adds nothing and never overwrites an HR admin's edits."""

from __future__ import annotations

from candidates.models import Stage
from feedback.models import (
    Branch,
    FeedbackPolicy,
    FeedbackTemplate,
    ReasonCategory,
    RejectionReason,
)

WE = ReasonCategory.WE_DECIDED
THEY = ReasonCategory.CANDIDATE_DECLINED

# (key, category, label, candidate wording, tip)
DEFAULT_REASONS: list[tuple[str, str, str, str, str]] = [
    (
        "skills-gap",
        WE,
        "Skills gap",
        "Some of the skills that are essential for this role were not yet strong enough in "
        "your profile.",
        "Projects or training that show these skills in practice will make a difference next time.",
    ),
    (
        "experience-level",
        WE,
        "Experience level",
        "The role needs a level of experience that does not yet match your path.",
        "Roles one step closer to your current experience may be a better next move; we would "
        "be glad to see you apply again later.",
    ),
    (
        "closer-fit",
        WE,
        "Another candidate was a closer fit",
        "We met several strong candidates and chose someone whose profile matched this "
        "particular role a little more closely.",
        "Keep applying: this decision was close and says more about this role than about you.",
    ),
    (
        "position-closed",
        WE,
        "Position filled or closed",
        "The position has been filled or closed.",
        "Keep an eye on our openings: similar roles come up regularly.",
    ),
    (
        "salary",
        WE,
        "Salary expectations",
        "We could not match your salary expectations for this role.",
        "Sharing a salary range early in the process helps both sides.",
    ),
    (
        "location",
        WE,
        "Location or remote work",
        "The location or remote-work arrangement of this role did not match what you were "
        "looking for.",
        "Tell us which locations and arrangements suit you so we can suggest better matches.",
    ),
    (
        "language",
        WE,
        "Language",
        "The role requires a language level that we did not see in your application.",
        "Mention any language certificates or practice you have in your next application.",
    ),
    (
        "team-fit",
        WE,
        "Team fit",
        "We felt that the way this team works would not have been the best environment for you.",
        "Describing how you like to work helps us find a team where you will thrive.",
    ),
    (
        "candidate-declined",
        THEY,
        "The candidate declined",
        "You let us know that you preferred not to continue the process.",
        "",
    ),
    (
        "candidate-accepted-elsewhere",
        THEY,
        "Accepted another offer",
        "You accepted another offer. Congratulations!",
        "",
    ),
]

AUTOMATIC_EN = (
    "Your application for {{ position_title }} at {{ company_name }}",
    """Dear {{ first_name }},

Thank you for applying for the {{ position_title }} position and for the time you gave us.

After careful consideration we have decided not to move forward with your application this time.

{{ reasons }}

This is not a judgement of your worth: many of the people who work with us today applied more \
than once. Our door stays open, and we would be glad to let you know about future roles that \
match your profile.

[Yes, keep me informed about future opportunities]({{ optin_url }})

With warm regards,

The {{ company_name }} recruitment team""",
)

PERSONALISED_EN = (
    "Your application for {{ position_title }}: our feedback",
    """Dear {{ first_name }},

Thank you for the time and energy you put into the {{ position_title }} process. We have decided \
not to offer you the position, and we want to explain why as honestly and usefully as we can.

**What led to our decision**

{{ reasons }}

{{ personal_points }}

**Tips for a next application**

{{ tips }}

{{ call_summary }} We enjoyed getting to know you and would genuinely like to stay in touch.

[Yes, keep me informed about future opportunities]({{ optin_url }})

{{ recruiter_signature }}""",
)

AUTOMATIC_FR = (
    "Votre candidature au poste {{ position_title }} chez {{ company_name }}",
    """Bonjour {{ first_name }},

Merci pour votre candidature au poste {{ position_title }} et pour le temps que vous nous avez \
consacré.

Après un examen attentif, nous avons décidé de ne pas donner suite à votre candidature \
cette fois-ci.

{{ reasons }}

Ce n'est pas un jugement sur votre valeur : beaucoup de nos collaborateurs ont postulé plus \
d'une fois. Notre porte reste ouverte et nous serions heureux de vous signaler de futurs postes \
correspondant à votre profil.

[Oui, tenez-moi informé(e) des futures opportunités]({{ optin_url }})

Bien cordialement,

L'équipe recrutement {{ company_name }}""",
)

PERSONALISED_FR = (
    "Votre candidature au poste {{ position_title }} : notre retour",
    """Bonjour {{ first_name }},

Merci pour le temps et l'énergie consacrés au processus pour le poste {{ position_title }}. Nous \
avons décidé de ne pas vous proposer le poste et souhaitons vous expliquer pourquoi, aussi \
honnêtement et utilement que possible.

**Ce qui a motivé notre décision**

{{ reasons }}

{{ personal_points }}

**Conseils pour une prochaine candidature**

{{ tips }}

{{ call_summary }} Nous avons apprécié de faire votre connaissance et aimerions sincèrement \
rester en contact.

[Oui, tenez-moi informé(e) des futures opportunités]({{ optin_url }})

{{ recruiter_signature }}""",
)

AUTOMATIC_DE = (
    "Ihre Bewerbung als {{ position_title }} bei {{ company_name }}",
    """Guten Tag {{ first_name }},

vielen Dank für Ihre Bewerbung als {{ position_title }} und die Zeit, die Sie uns geschenkt haben.

Nach sorgfältiger Prüfung haben wir uns entschieden, Ihre Bewerbung diesmal nicht weiterzuverfolgen.

{{ reasons }}

Das ist kein Urteil über Sie: Viele unserer heutigen Kolleginnen und Kollegen haben sich mehr \
als einmal beworben. Unsere Tür bleibt offen, und wir informieren Sie gern über künftige \
Stellen, die zu Ihrem Profil passen.

[Ja, halten Sie mich über künftige Stellen auf dem Laufenden]({{ optin_url }})

Mit freundlichen Grüßen

Ihr Recruiting-Team von {{ company_name }}""",
)

PERSONALISED_DE = (
    "Ihre Bewerbung als {{ position_title }}: unser Feedback",
    """Guten Tag {{ first_name }},

vielen Dank für die Zeit und Energie, die Sie in den Bewerbungsprozess als {{ position_title }} \
gesteckt haben. Wir haben uns entschieden, Ihnen die Stelle nicht anzubieten, und möchten Ihnen \
so ehrlich und hilfreich wie möglich erklären, warum.

**Was zu unserer Entscheidung geführt hat**

{{ reasons }}

{{ personal_points }}

**Tipps für eine nächste Bewerbung**

{{ tips }}

{{ call_summary }} Wir haben Sie gern kennengelernt und würden sehr gern in Kontakt bleiben.

[Ja, halten Sie mich über künftige Stellen auf dem Laufenden]({{ optin_url }})

{{ recruiter_signature }}""",
)

DEFAULT_TEMPLATES: dict[tuple[str, str], tuple[str, str]] = {
    (Branch.AUTOMATIC, "en"): AUTOMATIC_EN,
    (Branch.PERSONALISED, "en"): PERSONALISED_EN,
    (Branch.AUTOMATIC, "fr"): AUTOMATIC_FR,
    (Branch.PERSONALISED, "fr"): PERSONALISED_FR,
    (Branch.AUTOMATIC, "de"): AUTOMATIC_DE,
    (Branch.PERSONALISED, "de"): PERSONALISED_DE,
}

# Personalised feedback starts at the first interview (issue #6); tenants without that stage
# fall back to their third stage, or the last one they have.
DEFAULT_POLICY_STAGE = "interview"


def reasons_install_defaults() -> None:
    existing = set(RejectionReason.objects.values_list("key", flat=True))
    RejectionReason.objects.bulk_create(
        RejectionReason(
            key=key,
            category=category,
            label=label,
            candidate_wording=wording,
            tip=tip,
            order=(index + 1) * 10,
        )
        for index, (key, category, label, wording, tip) in enumerate(DEFAULT_REASONS)
        if key not in existing
    )


def policy_install_default() -> None:
    if FeedbackPolicy.objects.exists():
        return
    stage = Stage.objects.filter(slug=DEFAULT_POLICY_STAGE).first()
    if stage is None:
        stages = list(Stage.objects.order_by("order"))
        if not stages:
            return
        stage = stages[min(2, len(stages) - 1)]
    FeedbackPolicy.objects.create(personalised_from=stage)


def templates_install_defaults() -> None:
    existing = set(FeedbackTemplate.objects.values_list("group", "language"))
    FeedbackTemplate.objects.bulk_create(
        FeedbackTemplate(group=group, language=language, subject=subject, body=body)
        for (group, language), (subject, body) in DEFAULT_TEMPLATES.items()
        if (group, language) not in existing
    )


def feedback_install_defaults() -> None:
    reasons_install_defaults()
    policy_install_default()
    templates_install_defaults()
