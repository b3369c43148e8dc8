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

# The default reasons' candidate-facing wording and tip in the other languages (key ->
# language -> (wording, tip)); English is in DEFAULT_REASONS. A new tenant gets all four.
REASON_TRANSLATIONS: dict[str, dict[str, tuple[str, str]]] = {
    "skills-gap": {
        "fr": (
            "Certaines compétences essentielles pour ce poste n'étaient pas encore assez "
            "affirmées dans votre profil.",
            "Des projets ou des formations qui montrent ces compétences en pratique feront la "
            "différence la prochaine fois.",
        ),
        "de": (
            "Einige für diese Stelle wesentliche Fähigkeiten waren in Ihrem Profil noch nicht "
            "ausgeprägt genug.",
            "Projekte oder Weiterbildungen, die diese Fähigkeiten in der Praxis zeigen, machen "
            "beim nächsten Mal den Unterschied.",
        ),
        "it": (
            "Alcune competenze essenziali per questo ruolo non erano ancora abbastanza solide "
            "nel suo profilo.",
            "Progetti o corsi che mostrino queste competenze nella pratica faranno la "
            "differenza la prossima volta.",
        ),
    },
    "experience-level": {
        "fr": (
            "Le poste demande un niveau d'expérience qui ne correspond pas encore à votre "
            "parcours.",
            "Des postes un peu plus proches de votre expérience actuelle seraient peut-être une "
            "meilleure prochaine étape ; nous serions heureux de vous voir postuler à nouveau "
            "plus tard.",
        ),
        "de": (
            "Die Stelle erfordert ein Maß an Erfahrung, das Ihrem bisherigen Werdegang noch "
            "nicht entspricht.",
            "Stellen, die Ihrer jetzigen Erfahrung etwas näher sind, könnten der bessere nächste "
            "Schritt sein; wir freuen uns, wenn Sie sich später wieder bewerben.",
        ),
        "it": (
            "Il ruolo richiede un livello di esperienza che non corrisponde ancora al suo "
            "percorso.",
            "Ruoli un passo più vicini alla sua esperienza attuale potrebbero essere una "
            "prossima tappa migliore; saremo lieti di rivederla candidarsi più avanti.",
        ),
    },
    "closer-fit": {
        "fr": (
            "Nous avons rencontré plusieurs excellents candidats et avons choisi une personne "
            "dont le profil correspondait un peu plus étroitement à ce poste précis.",
            "Continuez à postuler : cette décision s'est jouée de peu et en dit plus sur ce "
            "poste que sur vous.",
        ),
        "de": (
            "Wir haben mehrere starke Bewerberinnen und Bewerber kennengelernt und uns für "
            "jemanden entschieden, dessen Profil etwas genauer zu dieser Stelle passte.",
            "Bewerben Sie sich weiter: Die Entscheidung war knapp und sagt mehr über diese "
            "Stelle als über Sie.",
        ),
        "it": (
            "Abbiamo incontrato diversi candidati validi e scelto una persona il cui profilo "
            "corrispondeva un po' più da vicino a questo ruolo specifico.",
            "Continui a candidarsi: la decisione è stata combattuta e dice più su questo ruolo "
            "che su di lei.",
        ),
    },
    "position-closed": {
        "fr": (
            "Le poste a été pourvu ou fermé.",
            "Gardez un œil sur nos offres : des postes similaires s'ouvrent régulièrement.",
        ),
        "de": (
            "Die Stelle wurde besetzt oder geschlossen.",
            "Behalten Sie unsere Stellenangebote im Blick: Ähnliche Stellen werden regelmäßig "
            "ausgeschrieben.",
        ),
        "it": (
            "La posizione è stata coperta o chiusa.",
            "Tenga d'occhio le nostre offerte: posizioni simili si aprono regolarmente.",
        ),
    },
    "salary": {
        "fr": (
            "Nous n'avons pas pu répondre à vos attentes salariales pour ce poste.",
            "Indiquer une fourchette de salaire tôt dans le processus aide les deux parties.",
        ),
        "de": (
            "Wir konnten Ihren Gehaltsvorstellungen für diese Stelle nicht entsprechen.",
            "Eine frühe Angabe Ihrer Gehaltsspanne hilft beiden Seiten.",
        ),
        "it": (
            "Non siamo riusciti a soddisfare le sue aspettative retributive per questo ruolo.",
            "Indicare una fascia retributiva all'inizio del processo aiuta entrambe le parti.",
        ),
    },
    "location": {
        "fr": (
            "Le lieu ou les modalités de télétravail de ce poste ne correspondaient pas à ce "
            "que vous recherchiez.",
            "Dites-nous quels lieux et quelles modalités vous conviennent pour que nous vous "
            "proposions des postes plus adaptés.",
        ),
        "de": (
            "Der Arbeitsort oder die Homeoffice-Regelung dieser Stelle passte nicht zu dem, was "
            "Sie suchen.",
            "Sagen Sie uns, welche Orte und Arbeitsmodelle zu Ihnen passen, damit wir Ihnen "
            "passendere Stellen vorschlagen können.",
        ),
        "it": (
            "La sede o le modalità di lavoro da remoto di questo ruolo non corrispondevano a "
            "ciò che cercava.",
            "Ci dica quali sedi e modalità le sono adatte, così potremo proporle posizioni più "
            "in linea.",
        ),
    },
    "language": {
        "fr": (
            "Le poste exige un niveau de langue que nous n'avons pas retrouvé dans votre "
            "candidature.",
            "Mentionnez vos certificats ou votre pratique des langues dans votre prochaine "
            "candidature.",
        ),
        "de": (
            "Die Stelle erfordert ein Sprachniveau, das wir in Ihrer Bewerbung nicht gesehen "
            "haben.",
            "Nennen Sie Sprachzertifikate oder Ihre Sprachpraxis in Ihrer nächsten Bewerbung.",
        ),
        "it": (
            "Il ruolo richiede un livello linguistico che non abbiamo riscontrato nella sua "
            "candidatura.",
            "Indichi eventuali certificazioni o pratica linguistica nella sua prossima "
            "candidatura.",
        ),
    },
    "team-fit": {
        "fr": (
            "Nous avons eu le sentiment que le mode de fonctionnement de cette équipe n'aurait "
            "pas été l'environnement le plus favorable pour vous.",
            "Décrire votre façon de travailler nous aide à trouver une équipe où vous vous "
            "épanouirez.",
        ),
        "de": (
            "Wir hatten den Eindruck, dass die Arbeitsweise dieses Teams nicht das beste Umfeld "
            "für Sie gewesen wäre.",
            "Wenn Sie beschreiben, wie Sie gern arbeiten, finden wir leichter ein Team, in dem "
            "Sie aufblühen.",
        ),
        "it": (
            "Abbiamo avuto l'impressione che il modo di lavorare di questo team non sarebbe "
            "stato l'ambiente migliore per lei.",
            "Descrivere come le piace lavorare ci aiuta a trovare un team in cui possa "
            "esprimersi al meglio.",
        ),
    },
    "candidate-declined": {
        "fr": ("Vous nous avez fait savoir que vous préfériez ne pas poursuivre le processus.", ""),
        "de": ("Sie haben uns mitgeteilt, dass Sie den Prozess nicht fortsetzen möchten.", ""),
        "it": ("Ci ha comunicato di preferire non proseguire il processo di selezione.", ""),
    },
    "candidate-accepted-elsewhere": {
        "fr": ("Vous avez accepté une autre offre. Félicitations !", ""),
        "de": ("Sie haben ein anderes Angebot angenommen. Herzlichen Glückwunsch!", ""),
        "it": ("Ha accettato un'altra offerta. Congratulazioni!", ""),
    },
}


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

AUTOMATIC_IT = (
    "La sua candidatura per {{ position_title }} presso {{ company_name }}",
    """Gentile {{ first_name }},

grazie per essersi candidato/a alla posizione di {{ position_title }} e per il tempo che ci ha \
dedicato.

Dopo un'attenta valutazione abbiamo deciso di non proseguire con la sua candidatura questa volta.

{{ reasons }}

Non è un giudizio sul suo valore: molte delle persone che oggi lavorano con noi si sono candidate \
più di una volta. La nostra porta resta aperta e saremo lieti di segnalarle future posizioni in \
linea con il suo profilo.

[Sì, tenetemi informato/a sulle future opportunità]({{ optin_url }})

Cordiali saluti,

Il team recruiting di {{ company_name }}""",
)

PERSONALISED_IT = (
    "La sua candidatura per {{ position_title }}: il nostro feedback",
    """Gentile {{ first_name }},

grazie per il tempo e l'energia dedicati al processo di selezione per {{ position_title }}. \
Abbiamo deciso di non offrirle la posizione e desideriamo spiegarle il perché nel modo più \
sincero e utile possibile.

**Che cosa ha motivato la nostra decisione**

{{ reasons }}

{{ personal_points }}

**Consigli per una prossima candidatura**

{{ tips }}

{{ call_summary }} È stato un piacere conoscerla e vorremmo davvero restare in contatto.

[Sì, tenetemi informato/a sulle future opportunità]({{ optin_url }})

{{ recruiter_signature }}""",
)

DEFAULT_TEMPLATES: dict[tuple[str, str], tuple[str, str]] = {
    (Branch.AUTOMATIC, "en"): AUTOMATIC_EN,
    (Branch.PERSONALISED, "en"): PERSONALISED_EN,
    (Branch.AUTOMATIC, "fr"): AUTOMATIC_FR,
    (Branch.PERSONALISED, "fr"): PERSONALISED_FR,
    (Branch.AUTOMATIC, "de"): AUTOMATIC_DE,
    (Branch.PERSONALISED, "de"): PERSONALISED_DE,
    (Branch.AUTOMATIC, "it"): AUTOMATIC_IT,
    (Branch.PERSONALISED, "it"): PERSONALISED_IT,
}

# Personalised feedback starts at the first interview (issue #6); tenants without that stage
# fall back to their third stage, or the last one they have.
DEFAULT_POLICY_STAGE = "interview"


def reason_builtin_translations(key: str) -> dict[str, dict[str, str]]:
    return {
        language: {"wording": wording, "tip": tip}
        for language, (wording, tip) in REASON_TRANSLATIONS.get(key, {}).items()
    }


def reasons_install_defaults() -> None:
    """The default reasons in every language. A default reason still in its built-in English
    and never translated by HR gets the built-in translations too (tenants made before they
    existed); anything HR wrote is left alone."""
    existing = {r.key: r for r in RejectionReason.objects.all()}
    RejectionReason.objects.bulk_create(
        RejectionReason(
            key=key,
            category=category,
            label=label,
            candidate_wording=wording,
            tip=tip,
            language="en",
            translations=reason_builtin_translations(key),
            order=(index + 1) * 10,
        )
        for index, (key, category, label, wording, tip) in enumerate(DEFAULT_REASONS)
        if key not in existing
    )
    english = {key: (wording, tip) for key, _c, _l, wording, tip in DEFAULT_REASONS}
    untouched = [
        reason
        for key, reason in existing.items()
        if key in english
        and not reason.translations
        and (reason.candidate_wording, reason.tip) == english[key]
    ]
    for reason in untouched:
        reason.language = "en"
        reason.translations = reason_builtin_translations(reason.key)
    RejectionReason.objects.bulk_update(untouched, ["language", "translations"])


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
