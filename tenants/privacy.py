"""The personal-data registry (DESIGN §2): which fields hold personal data, how each is erased,
what the access export shows, and how long things are kept.

Each app declares its own models in `<app>/privacy.py` as an `AppPrivacy` and registers it in
its `AppConfig.ready()`; third-party models are declared by the app that uses them (accounts:
sessions, second factors, the admin log; candidates: taggit's tags; tenants: content types,
permissions, groups). Consent's erasure, retention and access export walk this registry; each
app erases its own rows with the function it registers (nobody writes another app's tables),
using the helpers below on its own querysets.

Contract of a declaration (`Dataset`, one per model):

- every text, char, JSON, file, binary and IP-address field is either in `personal` (with how it
  is erased) or in `not_personal`; `tests/tenants/test_privacy_registry.py` fails otherwise;
- `person` is the lookup from the model to the candidate it is about ("candidate",
  "application__candidate"...), "" for rows about nobody in particular (settings, tags);
- `Erase.SCRUB` and `mentions=True` fields are free text that may name someone: the erased
  person's long identifiers (address, full name, phone) are replaced by "[erased]" wherever
  they appear, in everyone's rows;
- `Erase.RETAIN` is personal data kept on purpose after erasure (a hash on the suppression
  list); `why` says why, and the records of processing page shows it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import F, Func, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Left
from django.utils.translation import gettext_noop

ERASED = "[erased]"
# Identifiers shorter than this are only removed from the person's own rows: "Anna" or "Li"
# swept from every note of the tenant would mangle unrelated text.
MENTION_MIN_LENGTH = 8


class Erase(StrEnum):
    BLANK = "blank"  # emptied: "", [], {}, NULL
    REPLACE = "replace"  # set to `replacement` (a value or a query expression)
    DELETE_ROW = "delete_row"  # the row goes (files first)
    DELETE_FILE = "delete_file"  # the stored file is deleted and the field emptied
    SCRUB = "scrub"  # free text: the person's names, address and phone replaced by [erased]
    RETAIN = "retain"  # kept on purpose after erasure; `why` says why


class Subject(StrEnum):
    """Whose personal data a field holds. Candidate erasure handles candidates' data; staff data
    follows the user account, visitors' data (login attempts) its own short retention."""

    CANDIDATE = "candidate"
    STAFF = "staff"
    VISITOR = "visitor"


class Category(StrEnum):
    """Data categories, as the records of processing (Art. 30) list them."""

    IDENTITY = "Identity (name)"
    CONTACT = "Contact details"
    PROFILE = "Professional profile"
    DOCUMENTS = "CVs and uploaded files"
    ASSESSMENT = "Recruiters' notes and assessments"
    COMMUNICATIONS = "Emails and their delivery"
    CONSENT = "Consent records"
    TECHNICAL = "Technical data (IP address, browser)"
    FREE_TEXT = "Free text that may name people"
    ACCOUNT = "Staff accounts"


@dataclass(frozen=True)
class Personal:
    category: Category
    erase: Erase = Erase.BLANK
    replacement: Any = None
    subject: Subject = Subject.CANDIDATE
    # Also scrub the person's identifiers from this field in everyone else's rows.
    mentions: bool = False
    export: bool = True
    why: str = ""


@dataclass(frozen=True)
class Dataset:
    """The declaration of one model."""

    model: str  # "app_label.ModelName"
    description: str
    personal: Mapping[str, Personal] = field(default_factory=dict)
    not_personal: tuple[str, ...] = ()
    person: str = ""
    # Purpose keys (see `Purpose`) the data serves, for the records of processing.
    purposes: tuple[str, ...] = ()
    # Columns left out of the access export: plumbing that says nothing about the person.
    internal: tuple[str, ...] = ()

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def personal_for(self, subject: Subject) -> dict[str, Personal]:
        return {n: p for n, p in self.personal.items() if p.subject == subject}


@dataclass(frozen=True)
class Purpose:
    """A processing purpose (Art. 30): what for, on which legal basis, kept how long."""

    key: str
    label: str
    basis: str
    retention: Callable[[], str]


@dataclass
class Erasure:
    """One erasure run, handed to every app's eraser. Several people may be erased together
    (retention runs): the lists then cover all of them."""

    candidate_ids: tuple[int, ...]
    emails: tuple[str, ...]
    # Removed from the free text of the people's own rows (names included).
    terms: tuple[str, ...]
    # Removed from free text anywhere (long identifiers only, see MENTION_MIN_LENGTH).
    mentions: tuple[str, ...]
    actor: Any
    reason: str
    at: datetime
    changed: dict[str, int] = field(default_factory=dict)

    def count(self, label: str, rows: int) -> None:
        if rows:
            self.changed[label] = self.changed.get(label, 0) + rows


@dataclass(frozen=True)
class Notice:
    """The privacy notice (Art. 13) of one kind of page that collects personal data: what
    happens to the data (`what`, translatable) and the purposes whose retention it states.
    Rendered with `{% privacy_notice "<kind>" %}` (tenants/templatetags/privacy_notice.py)."""

    kind: str
    what: Any
    purposes: tuple[str, ...]


@dataclass(frozen=True)
class AppPrivacy:
    app_label: str
    datasets: Sequence[Dataset]
    erase: Callable[[Erasure], None] | None = None
    # Storage limitation: called daily per tenant with the run's time; returns what it did.
    retention: Callable[[datetime], Mapping[str, int]] | None = None
    purposes: Sequence[Purpose] = ()
    notices: Sequence[Notice] = ()


_registry: dict[str, AppPrivacy] = {}


def register(declaration: AppPrivacy) -> None:
    """Called from the app's `ready()`. A model is declared by one app only."""
    for other in _registry.values():
        if other.app_label == declaration.app_label:
            continue
        clash = {d.model for d in other.datasets} & {d.model for d in declaration.datasets}
        if clash:
            raise ValueError(
                f"{sorted(clash)} declared by both {other.app_label} and {declaration.app_label}"
            )
    _registry[declaration.app_label] = declaration


def registered() -> list[AppPrivacy]:
    """Declarations in INSTALLED_APPS order (base apps first)."""
    order = {config.label: index for index, config in enumerate(apps.get_app_configs())}
    return sorted(_registry.values(), key=lambda d: order.get(d.app_label, len(order)))


def datasets() -> list[Dataset]:
    return [dataset for app in registered() for dataset in app.datasets]


def dataset_for(model: type[models.Model]) -> Dataset | None:
    label = model._meta.label
    return next((d for d in datasets() if d.model == label), None)


def purposes() -> list[Purpose]:
    return [purpose for app in registered() for purpose in app.purposes]


def notice(kind: str) -> Notice | None:
    return next((n for app in registered() for n in app.notices if n.kind == kind), None)


# --- Checking the declarations -------------------------------------------------------------------

DECLARED_TYPES = (
    models.CharField,
    models.TextField,
    models.JSONField,
    models.FileField,
    models.BinaryField,
    models.GenericIPAddressField,
)


def fields_to_declare(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, DECLARED_TYPES)]


def registry_problems(model_classes: Iterable[type[models.Model]]) -> list[str]:
    """Everything wrong with the declarations of these models, one line each (empty = fine)."""
    by_model = {d.model: d for d in datasets()}
    problems: list[str] = []
    for model in model_classes:
        label = model._meta.label
        wanted = fields_to_declare(model)
        dataset = by_model.get(label)
        if dataset is None:
            problems += [
                f"{label}.{name}: declared neither personal nor not personal" for name in wanted
            ]
            continue
        personal, plain = set(dataset.personal), set(dataset.not_personal)
        for name in wanted:
            if name not in personal and name not in plain:
                problems.append(f"{label}.{name}: declared neither personal nor not personal")
            elif name in personal and name in plain:
                problems.append(f"{label}.{name}: declared both personal and not personal")
        names = {f.name for f in model._meta.concrete_fields}
        for name in sorted((personal | plain) - names):
            problems.append(f"{label}.{name}: declared but the model has no such field")
        points_at_candidate = any(
            f.is_relation
            and f.related_model is not None
            and f.related_model._meta.label == "candidates.Candidate"
            for f in model._meta.concrete_fields
        )
        if points_at_candidate and not dataset.person and label != "candidates.Candidate":
            problems.append(f"{label}: points at a candidate but declares no `person` lookup")
        for name, spec in dataset.personal.items():
            if spec.erase == Erase.RETAIN and not spec.why:
                problems.append(f"{label}.{name}: kept after erasure without saying why")
            if spec.erase == Erase.REPLACE and spec.replacement is None:
                problems.append(f"{label}.{name}: REPLACE needs a replacement")
    return problems


# --- Helpers the owning apps use on their own querysets -------------------------------------------


def erasure_terms(values: Iterable[str]) -> tuple[list[str], list[str]]:
    """(terms, mentions) from a person's identifying values: distinct, trimmed, longest first
    (so "Anna Maria" is replaced before "Anna")."""
    terms = sorted({v.strip() for v in values if v and v.strip()}, key=lambda t: (-len(t), t))
    return terms, [t for t in terms if len(t) >= MENTION_MIN_LENGTH]


def _pattern(terms: Sequence[str]) -> str:
    return "|".join(re.escape(t) for t in terms)


def blank_value(model_field: models.Field) -> Any:
    if isinstance(model_field, models.JSONField):
        default = model_field.get_default()
        return default if default is not None else {}
    if isinstance(model_field, models.BinaryField):
        return b""
    if model_field.null:
        return None
    return ""


def _unique_columns(model: type[models.Model]) -> set[str]:
    unique = {f.name for f in model._meta.concrete_fields if f.unique}
    for constraint in model._meta.constraints:
        fields = list(getattr(constraint, "fields", ()))
        if len(fields) == 1:
            unique.add(fields[0])
    return unique


def _replaced(model_field: models.Field, pattern: str, unique: bool) -> Any:
    """SQL expression: the column with every match of `pattern` replaced (cut to its length)."""
    column: Any = F(model_field.name)
    is_json = isinstance(model_field, models.JSONField)
    if is_json:
        column = Cast(column, models.TextField())
    if unique:
        # Two rows of a unique column (tag names) must not both become "[erased]".
        token = "erased-" if isinstance(model_field, models.SlugField) else "[erased-"
        close = "" if isinstance(model_field, models.SlugField) else "]"
        replacement: Any = RawSQL("%s || substr(md5(random()::text), 1, 8) || %s", (token, close))
    else:
        replacement = Value(ERASED)
    expression: Any = Func(
        column,
        Value(pattern),
        replacement,
        Value("gi"),
        function="regexp_replace",
        output_field=models.TextField(),
    )
    if is_json:
        return Cast(expression, model_field)
    max_length = getattr(model_field, "max_length", None)
    if max_length:
        return Left(expression, max_length)
    return expression


def scrub(queryset: QuerySet, names: Iterable[str], terms: Sequence[str]) -> int:
    """Replace `terms` (case-insensitively) in these text/JSON fields of the queryset's rows;
    only rows that contain one are written. Returns the number of rows changed."""
    if not terms:
        return 0
    model = queryset.model
    pattern = _pattern(terms)
    unique = _unique_columns(model)
    changed = 0
    for name in names:
        model_field = model._meta.get_field(name)
        if isinstance(model_field, models.JSONField):
            matching = queryset.annotate(_as_text=Cast(F(name), models.TextField())).filter(
                _as_text__iregex=pattern
            )
            rows = queryset.filter(pk__in=matching.values("pk"))
        else:
            rows = queryset.filter(**{f"{name}__iregex": pattern})
        changed += rows.update(**{name: _replaced(model_field, pattern, name in unique)})
    return changed


def scrub_mentions(dataset: Dataset, erasure: Erasure) -> int:
    """The dataset's mention fields, in every row of the table."""
    names = [
        n
        for n, p in dataset.personal.items()
        if p.mentions or (p.erase == Erase.SCRUB and not dataset.person)
    ]
    if not names:
        return 0
    model = dataset.model_class()
    return scrub(model._default_manager.all(), names, erasure.mentions)


def files_delete(queryset: QuerySet, names: Iterable[str]) -> int:
    """Delete the stored files of these file fields (the fields are emptied by the caller)."""
    deleted = 0
    for name in names:
        for row in queryset.exclude(**{name: ""}).exclude(**{f"{name}__isnull": True}):
            stored = getattr(row, name)
            if stored:
                stored.delete(save=False)
                deleted += 1
    return deleted


def rows_erase(dataset: Dataset, queryset: QuerySet, erasure: Erasure) -> int:
    """Apply the dataset's candidate declarations to the person's own rows (`queryset`): files
    deleted, fields blanked, replaced or scrubbed, or the rows deleted. Returns rows touched."""
    spec = dataset.personal_for(Subject.CANDIDATE)
    model = queryset.model
    files = [n for n in spec if isinstance(model._meta.get_field(n), models.FileField)]
    files_delete(queryset, files)
    if any(p.erase == Erase.DELETE_ROW for p in spec.values()):
        count = queryset.count()
        queryset.delete()
        return count
    values: dict[str, Any] = {}
    scrubbed: list[str] = []
    for name, personal in spec.items():
        model_field = model._meta.get_field(name)
        if personal.erase in (Erase.BLANK, Erase.DELETE_FILE):
            values[name] = blank_value(model_field)
        elif personal.erase == Erase.REPLACE:
            values[name] = personal.replacement
        elif personal.erase == Erase.SCRUB:
            scrubbed.append(name)
    count = scrub(queryset, scrubbed, erasure.terms)
    if values:
        count = max(count, queryset.update(**values))
    return count


def person_filter(dataset: Dataset, candidate_ids: Iterable[int]) -> Q:
    return Q(**{f"{dataset.person}__in": list(candidate_ids)})


def export_row(dataset: Dataset, obj: models.Model) -> dict[str, Any]:
    """One row for the access export: every column but plumbing and non-exported fields."""
    skip = set(dataset.internal) | {n for n, p in dataset.personal.items() if not p.export}
    row: dict[str, Any] = {}
    for model_field in obj._meta.concrete_fields:
        if model_field.name in skip or isinstance(model_field, models.BinaryField):
            continue
        value = getattr(obj, model_field.attname)
        if isinstance(model_field, models.FileField):
            value = value.name.rsplit("/", 1)[-1] if value else ""
        row[model_field.name] = value
    return row


# --- Tenants' own declarations --------------------------------------------------------------------
# The company's identity is published on every candidate page, the DPO contact by law (Art. 13),
# so none of it is personal data the product has to erase. Django's framework tables hold names
# of models and permissions only.

PRIVACY = AppPrivacy(
    app_label="tenants",
    datasets=[
        Dataset(
            model="tenants.Tenant",
            description=gettext_noop("Companies"),
            not_personal=(
                "schema_name",
                "name",
                "logo",
                "primary_colour",
                "sender_name",
                "sender_email",
                "reply_to",
                "postal_address",
                "privacy_policy_url",
                "dpo_contact",
                "controller_name",
                "privacy_notice",
                "default_language",
                "time_zone",
            ),
        ),
        Dataset(
            model="tenants.Domain", description=gettext_noop("Domains"), not_personal=("domain",)
        ),
        Dataset(
            model="contenttypes.ContentType",
            description=gettext_noop("Model names"),
            not_personal=("app_label", "model"),
        ),
        Dataset(
            model="auth.Permission",
            description=gettext_noop("Permissions"),
            not_personal=("name", "codename"),
        ),
        Dataset(
            model="auth.Group",
            description=gettext_noop("Permission groups"),
            not_personal=("name",),
        ),
    ],
)
