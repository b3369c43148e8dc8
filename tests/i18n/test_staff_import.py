"""The import screens and the import report in the recruiter's language: French headers are
recognised, the mapping screen names the fields in French, and the row errors the worker stores
are written in the language of the recruiter who uploaded the file (not the worker's)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from accounts.models import User
from candidates.importing import import_job_create, import_mapping_set
from candidates.importing.files import ImportFileError, parse_bytes
from candidates.models import ImportJob, ImportStatus
from candidates.tasks import import_job_run_task

ROWS = [
    "Adresse e-mail;Prénom;Nom;Séniorité",
    "bonne@example.com;Bonne;Ligne;senior",
    "pas-un-email;Mauvais;Email;",
    "niveau@example.com;Niveau;Inconnu;gourou",
]


def _speaks(user: User, language: str) -> User:
    user.language = language
    user.save(update_fields=["language"])
    return user


def _job(user: User) -> ImportJob:
    upload = SimpleUploadedFile("personnes.csv", "\n".join(ROWS).encode(), "text/csv")
    job = import_job_create(kind="candidates", upload=upload, actor=user)
    return import_mapping_set(job=job, mapping=job.mapping, actor=user)


@pytest.mark.parametrize(
    ("language", "invalid", "seniority"),
    [
        ("fr", "n’est pas une adresse e-mail valide", "Séniorité inconnue « gourou »"),
        ("de", "ist keine gültige E-Mail-Adresse", "Unbekannte Erfahrungsstufe „gourou“"),
        ("en", "is not a valid email address", "Unknown seniority “gourou”"),
    ],
)
def test_the_report_is_written_in_the_uploaders_language(tenant_a, language, invalid, seniority):
    job = _job(_speaks(tenant_a.recruiter, language))
    assert job.mapping == {
        "Adresse e-mail": "email",
        "Prénom": "first_name",
        "Nom": "last_name",
        "Séniorité": "seniority",
    }
    with translation.override("it"):  # whatever the worker's own language is
        assert import_job_run_task(job.pk) == ImportStatus.DONE
    job.refresh_from_db()
    reasons = {e["line"]: e["reason"] for e in job.errors}
    assert invalid in reasons[3]
    assert seniority in reasons[4]
    assert job.created_count == 1


def test_the_mapping_screen_names_the_fields_in_the_readers_language(tenant_a):
    french = _speaks(tenant_a.recruiter, "fr")
    job = _job(french)
    page = tenant_a.client(french).get(f"/candidates/import/{job.pk}/mapping/").content.decode()
    assert "Nom complet (séparé)" in page and "Langue préférée des e-mails" in page
    assert "Full name (split)" not in page and "Preferred email language" not in page


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "Le fichier est vide."),
        ("it", "Il file è vuoto."),
        ("en", "The file is empty."),
    ],
)
def test_a_refused_file_is_explained_in_the_readers_language(language, message):
    with translation.override(language), pytest.raises(ImportFileError) as refused:
        parse_bytes("vide.csv", b"  \n")
    assert str(refused.value) == message


def test_counts_in_messages_are_grouped_as_the_locale_writes_them(settings):
    settings.MAX_UPLOAD_BYTES = 2_000_000
    line = "x" * 150_000
    with translation.override("fr"), pytest.raises(ImportFileError) as refused:
        parse_bytes("long.csv", line.encode())
    assert str(refused.value) == (
        "La ligne d’en-tête fait 150\xa0000 caractères ; ce n’est pas un en-tête CSV."
    )
