"""What a new tenant starts with: topic frequency ranges (from the survey), the retention policy
and the consent wording in English, French, German and Italian."""

from __future__ import annotations

from consent.models import Frequency, Purpose

# topic: (most frequent allowed, least frequent allowed, default)
TOPIC_DEFAULTS: dict[str, tuple[str, str, str]] = {
    Purpose.JOB_OFFERS: (Frequency.WEEKLY, Frequency.MONTHLY, Frequency.WEEKLY),
    Purpose.EVENTS: (Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.MONTHLY),
    Purpose.TESTIMONIALS: (Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.MONTHLY),
    Purpose.COMPANY_NEWS: (Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.MONTHLY),
    Purpose.JOB_MARKET: (Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.MONTHLY),
}

# purpose: {language: (title, body)}
TEXT_DEFAULTS: dict[str, dict[str, tuple[str, str]]] = {
    Purpose.TALENT_POOL: {
        "en": (
            "Keep my profile in the talent pool",
            "We keep your profile and application history so we can think of you for future "
            "positions. You can withdraw at any time from the preference centre.",
        ),
        "fr": (
            "Conserver mon profil dans le vivier de talents",
            "Nous conservons votre profil et l'historique de vos candidatures afin de penser à "
            "vous pour de futurs postes. Vous pouvez retirer votre accord à tout moment.",
        ),
        "de": (
            "Mein Profil im Talentpool behalten",
            "Wir speichern Ihr Profil und Ihre Bewerbungshistorie, um Sie bei künftigen Stellen "
            "zu berücksichtigen. Sie können Ihre Einwilligung jederzeit widerrufen.",
        ),
        "it": (
            "Conservare il mio profilo nel bacino di talenti",
            "Conserviamo il suo profilo e lo storico delle candidature per considerarla per "
            "future posizioni. Può revocare il consenso in qualsiasi momento.",
        ),
    },
    Purpose.JOB_OFFERS: {
        "en": ("Job offers", "Positions that match your profile."),
        "fr": ("Offres d'emploi", "Des postes correspondant à votre profil."),
        "de": ("Stellenangebote", "Stellen, die zu Ihrem Profil passen."),
        "it": ("Offerte di lavoro", "Posizioni in linea con il suo profilo."),
    },
    Purpose.EVENTS: {
        "en": ("Event invitations", "Open days, meetups and recruiting events."),
        "fr": ("Invitations aux événements", "Journées portes ouvertes, rencontres, salons."),
        "de": ("Einladungen zu Veranstaltungen", "Tage der offenen Tür, Meetups, Messen."),
        "it": ("Inviti agli eventi", "Open day, incontri ed eventi di recruiting."),
    },
    Purpose.TESTIMONIALS: {
        "en": ("Employee testimonials", "Stories from the people who work here."),
        "fr": ("Témoignages de collaborateurs", "Des récits de nos collaborateurs."),
        "de": ("Erfahrungsberichte", "Geschichten unserer Mitarbeitenden."),
        "it": ("Testimonianze dei dipendenti", "Storie di chi lavora con noi."),
    },
    Purpose.COMPANY_NEWS: {
        "en": ("Company and sector news", "What is new with us and in our industry."),
        "fr": ("Actualités de l'entreprise et du secteur", "Nos nouvelles et celles du secteur."),
        "de": (
            "Unternehmens- und Branchennews",
            "Neuigkeiten aus dem Unternehmen und der Branche.",
        ),
        "it": ("Notizie aziendali e di settore", "Le novità nostre e del settore."),
    },
    Purpose.JOB_MARKET: {
        "en": ("Job-market information", "Salary trends, skills in demand, career advice."),
        "fr": ("Informations sur le marché de l'emploi", "Salaires, compétences recherchées."),
        "de": ("Arbeitsmarktinformationen", "Gehaltstrends, gefragte Fähigkeiten, Karrieretipps."),
        "it": ("Informazioni sul mercato del lavoro", "Tendenze salariali, competenze richieste."),
    },
    Purpose.POOL_INVITATION: {
        "en": ("Invitations to join the talent pool", "An occasional invitation to join."),
        "fr": (
            "Invitations à rejoindre le vivier",
            "Une invitation occasionnelle à nous rejoindre.",
        ),
        "de": ("Einladungen in den Talentpool", "Gelegentlich eine Einladung zur Aufnahme."),
        "it": ("Inviti al bacino di talenti", "Un invito occasionale a unirsi a noi."),
    },
    Purpose.TRACKING: {
        "en": ("Open and click tracking", "Let us see whether our emails are opened and read."),
        "fr": ("Suivi des ouvertures et clics", "Savoir si nos emails sont ouverts et lus."),
        "de": ("Öffnungs- und Klick-Tracking", "Sehen, ob unsere E-Mails geöffnet werden."),
        "it": ("Tracciamento di aperture e clic", "Sapere se le nostre email vengono lette."),
    },
}
