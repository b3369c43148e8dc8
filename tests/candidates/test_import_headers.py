"""Imports recognise the usual column names of the four languages the product speaks, with or
without accents, in any case: a French export's "Prénom" maps to the first name."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from candidates.importing import (
    APPLICATION_TARGETS,
    CANDIDATE_TARGETS,
    import_job_create,
    import_job_run,
    import_mapping_set,
    mapping_guess,
)
from candidates.models import Candidate, ImportKind

CANDIDATES = ImportKind.CANDIDATES


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["Prénom", "Nom", "Courriel", "Téléphone", "Ville", "Pays", "Compétences"],
            ["first_name", "last_name", "email", "phone", "city", "country", "skills"],
        ),
        (
            ["Prénom", "Nom de famille", "Adresse e-mail", "Numéro de téléphone", "Métier"],
            ["first_name", "last_name", "email", "phone", "profession"],
        ),
        (
            ["Vorname", "Nachname", "E-Mail-Adresse", "Telefon", "Stadt", "Land", "Fähigkeiten"],
            ["first_name", "last_name", "email", "phone", "city", "country", "skills"],
        ),
        (
            ["Nome", "Cognome", "Email", "Telefono", "Città", "Paese", "Competenze"],
            ["first_name", "last_name", "email", "phone", "city", "country", "skills"],
        ),
        (
            ["First name", "Surname", "E-mail", "Mobile", "Town", "Notes"],
            ["first_name", "last_name", "email", "phone", "city", "notes"],
        ),
        # Case, spaces and accents do not matter; nothing else is guessed.
        (
            ["  PRÉNOM ", "nom", "COURRIEL", "Lieblingsfarbe"],
            ["first_name", "last_name", "email", ""],
        ),
        (["Prenom", "Telephone", "Citta"], ["first_name", "phone", "city"]),
    ],
)
def test_headers_in_four_languages_are_recognised(tenant_a, headers, expected):
    assert list(mapping_guess(CANDIDATES, headers).values()) == expected


def test_application_headers_in_four_languages(tenant_a):
    guess = mapping_guess(
        ImportKind.APPLICATIONS, ["Courriel", "Poste", "Étape", "Résultat", "Date de candidature"]
    )
    assert list(guess.values()) == ["email", "position", "stage", "outcome", "applied_at"]
    guess = mapping_guess(ImportKind.APPLICATIONS, ["E-Mail", "Stelle", "Phase", "Ergebnis"])
    assert list(guess.values()) == ["email", "position", "stage", "outcome"]
    guess = mapping_guess(ImportKind.APPLICATIONS, ["Email", "Posizione", "Fase", "Esito"])
    assert list(guess.values()) == ["email", "position", "stage", "outcome"]


def test_no_synonym_is_claimed_by_two_fields():
    """A header name must point at one field only, or the guess would depend on list order."""
    from candidates.importing.records import _norm_header

    for targets in (CANDIDATE_TARGETS, APPLICATION_TARGETS):
        owner: dict[str, str] = {}
        for target in targets:
            for name in (target.key, *target.synonyms):
                norm = _norm_header(name)
                assert owner.setdefault(norm, target.key) == target.key, (name, target.key)


def test_a_french_file_imports_without_mapping_by_hand(tenant_a):
    data = "Prénom;Nom;Courriel;Téléphone;Ville\nÉlodie;Faure;elodie@example.com;0601020304;Nîmes\n"
    job = import_job_create(
        kind=CANDIDATES,
        upload=SimpleUploadedFile("export.csv", data.encode(), content_type="text/csv"),
        actor=None,
    )
    assert "" not in job.mapping.values()
    import_mapping_set(job=job, mapping=job.mapping, actor=None)
    import_job_run(job.pk)
    person = Candidate.objects.get(email="elodie@example.com")
    assert (person.first_name, person.last_name, person.phone, person.city) == (
        "Élodie",
        "Faure",
        "0601020304",
        "Nîmes",
    )
