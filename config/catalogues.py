"""The translation catalogues: which sources each one covers, and the three jobs done on them
in pure Python (babel), so no system gettext is needed anywhere:

    python -m config.catalogues compile   # .po -> .mo (make run / make test / the image build)
    python -m config.catalogues update    # add new strings to the .po files, drop gone ones
    python -m config.catalogues check     # stale, untranslated, fuzzy or broken: exit 1

Compiled `.mo` files are build output (git-ignored), made by the Makefile's `catalogues` step,
which `make run` and `make test` both run: a committed binary can silently disagree with the
`.po` beside it, a build step cannot. `tests/test_catalogues.py` runs `check` in `make test`.

Strings are found the way Django's `makemessages` finds them: templates through Django's own
`templatize` (what makemessages feeds to xgettext), Python through babel's extractor with
Django's gettext function names. Built-in texts that become tenant-editable data (default
rejection reasons, email template bodies, consent wording) are not UI strings: they live per
language in each app's `defaults` and are checked by their own tests.

A catalogue lists the sources it covers, and a source file belongs to exactly one catalogue
(tests/i18n/test_catalogues.py). `CANDIDATE` is everything a candidate reads (pages, emails,
PDFs), kept in the project's `locale/` (settings.LOCALE_PATHS). The staff screens are one
catalogue per app, kept in `<app>/locale/`, where Django finds an installed app's translations
by itself: the app's staff templates and the Python files not already in `CANDIDATE`. The staff
chrome (navigation, shared includes, error pages) lives with `accounts`.

Django merges every catalogue into one translation per language (LOCALE_PATHS first, then the
apps in INSTALLED_APPS order), so a msgid found in two catalogues must be translated the same way
in both: the check below refuses a disagreement instead of letting precedence pick one silently.

Each definition below is its own block, in alphabetical order by name; `CATALOGUES` lists them.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_python
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
# English is the source language: msgids are English, so it has no catalogue of its own.
TRANSLATED = ("fr", "de", "it")
DOMAIN = "django"
# babel's keyword specs: None = the first argument; numbers = the msgid(s); (n, "c") = the context.
KEYWORDS: dict[str, tuple[int | tuple[int, str], ...] | None] = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
# %(name)s, {name} and the merge tags of staff emails ({{ name }}): a translation keeps them all.
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]|\{\{\s*(\w+)\s*\}\}|\{(\w+)\}")


@dataclass(frozen=True)
class Catalogue:
    name: str
    # Holds <language>/LC_MESSAGES/django.po: settings.LOCALE_PATHS, or an installed app's locale/.
    directory: Path
    sources: tuple[str, ...]  # glob patterns relative to the project root
    description: str = ""
    exclude: tuple[str, ...] = field(default=())
    root: Path = ROOT  # what `sources` are relative to

    def po_path(self, language: str) -> Path:
        return self.directory / language / "LC_MESSAGES" / f"{DOMAIN}.po"

    def files(self) -> list[Path]:
        found: dict[Path, None] = {}
        for pattern in self.sources:
            matches = sorted(self.root.glob(pattern))
            if not matches:
                raise ValueError(f"{self.name}: {pattern!r} matches no file")
            for path in matches:
                if path.is_file() and not any(path.match(x) for x in self.exclude):
                    found[path] = None
        return list(found)


# One block per catalogue, in alphabetical order by name. A helper adding a catalogue replaces
# its placeholder line below with the block (the blank lines keep parallel additions apart, so
# branches adding different catalogues merge without conflict) and adds its name to CATALOGUES.

ACCOUNTS = Catalogue(
    name="accounts",
    directory=ROOT / "accounts" / "locale",
    description="The staff chrome (navigation, shared includes, error pages) and accounts: "
    "sign-in, two-factor, users, branding, audit log, profile, staff emails.",
    sources=(
        "templates/403.html",
        "templates/404.html",
        "templates/500.html",
        "templates/error_page.html",
        "templates/includes/form.html",
        "templates/includes/messages.html",
        "templates/includes/missing_languages.html",
        "templates/includes/pagination.html",
        "templates/includes/staff_header.html",
        "templates/accounts/*.html",
        "accounts/*.py",
        "accounts/templatetags/*.py",
    ),
)


CAMPAIGNS = Catalogue(
    name="campaigns",
    directory=ROOT / "campaigns" / "locale",
    description="Campaigns, content library, topics and cadence, nurture operations, insights "
    "(page and PDF). The referral pages, digests and job scoring are candidate-facing "
    "(CANDIDATE).",
    sources=("templates/campaigns/*.html", "campaigns/*.py"),
    exclude=(
        "templates/campaigns/referral*.html",
        "campaigns/digest.py",
        "campaigns/job_scoring.py",
        "campaigns/forms.py",
        "campaigns/referrals.py",
        "campaigns/privacy.py",
    ),
)


CANDIDATE = Catalogue(
    name="candidate",
    directory=ROOT / "locale",
    description="Everything a candidate reads: pages, emails, PDFs.",
    sources=(
        # Pages
        "templates/base.html",
        "templates/includes/privacy_notice.html",
        "templates/includes/public_form.html",
        "templates/consent/public/*.html",
        "templates/consent/_choices.html",
        "templates/candidates/jobs.html",
        "templates/candidates/job.html",
        "templates/candidates/applied.html",
        "templates/candidates/reapply.html",
        "templates/candidates/rate_limited.html",
        "templates/campaigns/referral*.html",
        # Emails and PDFs
        "templates/emails/*",
        "templates/feedback/pdf.html",
        "templates/consent/export_pdf.html",
        # Python: forms, messages and fixed words of candidate-facing output
        "tenants/public_forms.py",
        "candidates/validators.py",
        "candidates/models.py",
        "candidates/forms.py",
        "candidates/links.py",
        "candidates/privacy.py",
        "consent/models.py",
        "consent/forms.py",
        "consent/candidate_views.py",
        "consent/notifications.py",
        "consent/export_labels.py",
        "consent/privacy.py",
        "campaigns/digest.py",
        "campaigns/job_scoring.py",
        "campaigns/forms.py",
        "campaigns/referrals.py",
        "campaigns/privacy.py",
        "integrations/privacy.py",
    ),
)


CANDIDATES_STAFF = Catalogue(
    name="candidates",
    directory=ROOT / "candidates" / "locale",
    description="Candidate list, profile, board, positions, pipeline stages, import. The public "
    "job pages and the model/form texts they share are candidate-facing (CANDIDATE).",
    sources=(
        "templates/candidates/*.html",
        "candidates/*.py",
        "candidates/importing/*.py",
        "candidates/templatetags/*.py",
    ),
    exclude=(
        "templates/candidates/jobs.html",
        "templates/candidates/job.html",
        "templates/candidates/applied.html",
        "templates/candidates/reapply.html",
        "templates/candidates/rate_limited.html",
        "candidates/validators.py",
        "candidates/models.py",
        "candidates/forms.py",
        "candidates/links.py",
        "candidates/privacy.py",
    ),
)


CONSENT_STAFF = Catalogue(
    name="consent",
    directory=ROOT / "consent" / "locale",
    description="Consent's staff screens: overview, a candidate's consent and ledger, consent "
    "texts, topics and retention, data requests, the consent report, records of processing "
    "(Art. 30), proof of consent; the candidate pages and their Python are in CANDIDATE.",
    sources=(
        "templates/consent/*.html",
        "consent/*.py",
    ),
    exclude=(
        # Candidate-facing (CANDIDATE)
        "templates/consent/_choices.html",
        "templates/consent/export_pdf.html",
        "consent/models.py",
        "consent/forms.py",
        "consent/candidate_views.py",
        "consent/notifications.py",
        "consent/export_labels.py",
        "consent/privacy.py",
    ),
)


FEEDBACK = Catalogue(
    name="feedback",
    directory=ROOT / "feedback" / "locale",
    description="Feedback's staff screens: rejecting (one or in bulk), call logging, feedback "
    "tasks, figures, reasons, policy and rejection email editors; the candidate's PDF is in "
    "CANDIDATE.",
    sources=(
        "templates/feedback/*.html",
        "feedback/*.py",
    ),
    exclude=("templates/feedback/pdf.html",),
)


INTEGRATIONS = Catalogue(
    name="integrations",
    directory=ROOT / "integrations" / "locale",
    description="Integration settings: API keys, ATS connectors, webhooks, replies. The REST "
    "API's own answers stay English (read by programs, documented in English).",
    sources=(
        "templates/integrations/*.html",
        "integrations/*.py",
        "integrations/ats/*.py",
        "integrations/webhooks/*.py",
    ),
    # What the privacy notice says about retention is read by candidates.
    exclude=("integrations/privacy.py",),
)


MAILING = Catalogue(
    name="mailing",
    directory=ROOT / "mailing" / "locale",
    description="Sent mail, message detail, email templates editor.",
    sources=(
        "templates/mailing/*.html",
        "mailing/*.py",
        "mailing/templatetags/*.py",
    ),
)


POOLS = Catalogue(
    name="pools",
    directory=ROOT / "pools" / "locale",
    description="Talent pools, tagging rules.",
    sources=("templates/pools/*.html", "pools/*.py"),
)


TENANTS = Catalogue(
    name="tenants",
    directory=ROOT / "tenants" / "locale",
    description="The company's settings (branding, language, time zone) and the public landing "
    "page; the public forms' texts are candidate-facing (CANDIDATE).",
    sources=(
        "templates/tenants/*.html",
        "tenants/*.py",
        "tenants/templatetags/*.py",
    ),
    exclude=("tenants/public_forms.py",),
)


def _by_name(*catalogues: Catalogue) -> tuple[Catalogue, ...]:
    return tuple(sorted(catalogues, key=lambda catalogue: catalogue.name))


# Every catalogue `check`, `compile` and `update` walk, and the tests check one by one, sorted
# by name (the order written here does not matter: one line per group of apps, so that branches
# adding catalogues touch different lines).
CATALOGUES: tuple[Catalogue, ...] = _by_name(
    ACCOUNTS,
    CANDIDATE,
    INTEGRATIONS,
    CAMPAIGNS,
    CANDIDATES_STAFF,
    POOLS,
    MAILING,
    CONSENT_STAFF,
    FEEDBACK,
    TENANTS,
)


# --- Extraction ---------------------------------------------------------------------------------


def _template_as_python(path: Path) -> bytes:
    """What makemessages gives xgettext for a template: Django's templatize output."""
    from django.conf import settings

    if not settings.configured:
        settings.configure()
    from django.utils.translation.template import templatize

    python = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    # Every string is written on one line (repr), so the template's indentation can go: Python's
    # tokenizer, unlike xgettext, would trip over it.
    return "\n".join(line.lstrip() for line in python.splitlines()).encode()


def _extract_file(path: Path) -> Iterator[tuple[str | tuple[str, ...], str | None, list[str]]]:
    source = path.read_bytes() if path.suffix == ".py" else _template_as_python(path)
    # babel annotates extract_python with extract()'s result shape; it yields (lineno,
    # funcname, message, comments), as its docstring says.
    found = cast(
        "Iterator[tuple[int, str, str | tuple[str | None, ...], list[str]]]",
        extract_python(io.BytesIO(source), KEYWORDS, ["Translators:"], {"encoding": "utf-8"}),
    )
    for _lineno, funcname, message, comments in found:
        text, ctx = _message_from(message, KEYWORDS[funcname])
        if text is not None:
            yield text, ctx, comments


def _message_from(
    message: str | tuple[str | None, ...], spec: tuple[int | tuple[int, str], ...] | None
) -> tuple[str | tuple[str, ...] | None, str | None]:
    """babel's raw extractor hands back every argument; keep the msgid(s) and the context, the
    way babel's own `extract` does with a keyword spec."""
    values = message if isinstance(message, tuple) else (message,)
    if spec is None:
        return (values[0] or None), None
    assert isinstance(spec, tuple)
    ctx = None
    texts = []
    for position in spec:
        if isinstance(position, tuple):
            ctx = values[position[0] - 1] if len(values) >= position[0] else None
            continue
        value = values[position - 1] if len(values) >= position else None
        if not value:
            return None, None
        texts.append(value)
    return (tuple(texts) if len(texts) > 1 else texts[0]), ctx or None


def extract(catalogue: Catalogue) -> Catalog:
    """Every translatable string the catalogue's sources hold, as a template (no msgstrs)."""
    template = Catalog(domain=DOMAIN, project="talentcrm", fuzzy=False)
    for path in catalogue.files():
        for text, context, comments in _extract_file(path):
            if template.get(text, context) is None:
                template.add(text, context=context, auto_comments=comments)
    return template


# --- Reading and checking -----------------------------------------------------------------------


def read(catalogue: Catalogue, language: str) -> Catalog:
    with catalogue.po_path(language).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def _key(message: Message) -> tuple[str, str | None]:
    msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
    return msgid, message.context


def _placeholders(text: str) -> set[str]:
    return {a or b or c for a, b, c in _PLACEHOLDER.findall(text)}


def problems(catalogue: Catalogue, languages: Iterable[str] = TRANSLATED) -> list[str]:
    """Everything wrong with a catalogue: a source string missing from a .po (stale), an entry
    no source uses any more (obsolete), an untranslated or fuzzy entry, a translation that
    drops or invents a placeholder (it would fail or show a raw %(name)s at runtime)."""
    found: list[str] = []
    wanted = {_key(m): m for m in extract(catalogue) if m.id}
    for language in languages:
        path = catalogue.po_path(language).relative_to(catalogue.root)
        if not catalogue.po_path(language).exists():
            found.append(f"{path}: missing (python -m config.catalogues update creates it)")
            continue
        po = read(catalogue, language)
        have = {_key(m): m for m in po if m.id}
        for key in wanted.keys() - have.keys():
            found.append(f"{path}: stale, no entry for {key[0]!r}")
        for key in have.keys() - wanted.keys():
            found.append(f"{path}: obsolete entry {key[0]!r} (no source uses it)")
        for key, message in have.items():
            strings = (
                message.string
                if isinstance(message.string, tuple | list)
                else [message.string or ""]
            )
            if message.fuzzy:
                found.append(f"{path}: fuzzy {key[0]!r}")
            if not all(s.strip() for s in strings):
                found.append(f"{path}: untranslated {key[0]!r}")
                continue
            ids = message.id if isinstance(message.id, tuple | list) else [message.id]
            expected = set().union(*(_placeholders(i) for i in ids))
            for s in strings:
                got = _placeholders(s)
                if got != expected and not (got < expected and len(ids) > 1):
                    found.append(
                        f"{path}: placeholders of {key[0]!r} differ: "
                        f"{sorted(expected)} in English, {sorted(got)} here"
                    )
        for message, errors in po.check():
            for error in errors:
                found.append(f"{path}: {message.id!r}: {error}")
    return found


def shared_sources(catalogues: Iterable[Catalogue] = CATALOGUES) -> list[str]:
    """Source files claimed by more than one catalogue (each belongs to exactly one)."""
    owner: dict[Path, str] = {}
    found = []
    for catalogue in catalogues:
        for path in catalogue.files():
            if path in owner:
                where = path.relative_to(catalogue.root)
                found.append(f"{where}: in both {owner[path]!r} and {catalogue.name!r}")
            owner[path] = catalogue.name
    return found


def disagreements(
    catalogues: Iterable[Catalogue] = CATALOGUES, languages: Iterable[str] = TRANSLATED
) -> list[str]:
    """msgids two catalogues translate differently. Django merges all catalogues into one per
    language, so only one of the two would ever show: translate a shared word the same way
    everywhere (or give one of them a context with pgettext)."""
    found = []
    for language in languages:
        seen: dict[tuple[str, str | None], tuple[str, object]] = {}
        for catalogue in catalogues:
            if not catalogue.po_path(language).exists():
                continue
            for message in read(catalogue, language):
                if not message.id or message.fuzzy:
                    continue
                key = _key(message)
                string = message.string
                if key in seen and seen[key][1] != string and all(_filled(string, seen[key][1])):
                    found.append(
                        f"{language}: {key[0]!r} is {seen[key][1]!r} in {seen[key][0]!r} "
                        f"but {string!r} in {catalogue.name!r}"
                    )
                seen.setdefault(key, (catalogue.name, string))
    return found


def _filled(*strings: object) -> Iterator[bool]:
    for string in strings:
        values = string if isinstance(string, tuple | list) else [string]
        yield all(str(v).strip() for v in values)


# --- Writing ------------------------------------------------------------------------------------


def compile_all(catalogues: Iterable[Catalogue] = CATALOGUES, *, force: bool = False) -> int:
    """Write each .mo beside its .po when missing or older; returns how many were written."""
    written = 0
    for catalogue in catalogues:
        for language in TRANSLATED:
            po_path = catalogue.po_path(language)
            mo_path = po_path.with_suffix(".mo")
            if (
                not force
                and mo_path.exists()
                and mo_path.stat().st_mtime >= po_path.stat().st_mtime
            ):
                continue
            po = read(catalogue, language)
            tmp = mo_path.with_suffix(".mo.tmp")
            with tmp.open("wb") as handle:
                write_mo(handle, po, use_fuzzy=False)
            tmp.replace(mo_path)
            written += 1
    return written


def update(catalogue: Catalogue) -> None:
    """Bring each .po in line with the sources: new strings added untranslated, strings no
    source uses dropped, translations kept. Then a translator fills the empty msgstrs."""
    template = extract(catalogue)
    for language in TRANSLATED:
        path = catalogue.po_path(language)
        if path.exists():
            po = read(catalogue, language)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            po = Catalog(locale=language, domain=DOMAIN, project="talentcrm")
        po.update(
            template,
            no_fuzzy_matching=True,
            update_header_comment=False,
            update_creation_date=False,
        )
        with path.open("wb") as handle:
            write_po(handle, po, width=100, no_location=True, ignore_obsolete=True)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "compile":
        compile_all(force="--force" in argv)
        return 0
    if command == "update":
        for catalogue in CATALOGUES:
            update(catalogue)
        return 0
    if command == "check":
        found = [p for catalogue in CATALOGUES for p in problems(catalogue)]
        found += shared_sources() + disagreements()
        for problem in found:
            print(problem)
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
