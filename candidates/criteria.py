"""The candidate criteria builder: ONE implementation for the candidate list and smart pools.

A criterion is one form field plus a queryset filter. Later apps add theirs with
`register_criterion()` in `AppConfig.ready()` (consent: contactable for a topic; pools: member of
a pool); `CriteriaForm` is built from the registry each time it is instantiated, so their fields
appear everywhere automatically.

Saved criteria (smart pools) are stored as the form's own data (`criteria_to_json`), and loaded
back by validating that data with the same form (`criteria_from_json`): one validation path, and a
deleted tag or stage becomes a clear `CriteriaError` rather than a silently wider pool.

Filters on related rows use EXISTS subqueries so a candidate never appears twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag

from candidates.models import (
    AgeBracket,
    Application,
    Candidate,
    CandidateSkill,
    CandidateTag,
    Outcome,
    Seniority,
    Skill,
    Stage,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class CriteriaError(Exception):
    """Saved or submitted criteria cannot be used; the message says which one and why."""


Apply = Callable[[QuerySet, Any, dict[str, Any]], QuerySet]


@dataclass(frozen=True)
class Criterion:
    """`field()` builds a fresh, optional form field (called per form, so querysets and choices
    are read in the current tenant); `apply(queryset, value, cleaned)` filters by the cleaned
    value (`cleaned` is every active criterion, for criteria that combine). `dump(value)` turns a
    cleaned value back into form data (JSON-safe); the default handles models (by the field's
    `to_field_name`), querysets/lists, dates and plain values."""

    key: str
    label: StrOrPromise
    field: Callable[[], forms.Field]
    apply: Apply
    order: int = 100
    dump: Callable[[Any], Any] | None = None


_registry: dict[str, Criterion] = {}


def register_criterion(criterion: Criterion) -> None:
    _registry[criterion.key] = criterion


def registered_criteria() -> list[Criterion]:
    return sorted(_registry.values(), key=lambda c: (c.order, c.key))


def _is_empty(value: Any) -> bool:
    if value is None or value == "" or value is False:
        return True
    if isinstance(value, QuerySet):
        # An unselected model multiple-choice field cleans to `.none()`; checking that needs no
        # query (a selected one is non-empty by validation).
        return value.query.is_empty()
    return isinstance(value, list | tuple | set) and not value


class CriteriaForm(forms.Form):
    """All registered criteria as optional fields. Accepts a QueryDict (URL filters) or a plain
    dict with lists for multi-value fields (saved JSON)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for criterion in registered_criteria():
            field = criterion.field()
            field.required = False
            field.label = field.label or criterion.label
            self.fields[criterion.key] = field

    def active(self) -> dict[str, Any]:
        """The cleaned values that actually filter (empty ones dropped)."""
        return {k: v for k, v in self.cleaned_data.items() if not _is_empty(v)}


def apply_criteria(queryset: QuerySet, cleaned: dict[str, Any]) -> QuerySet:
    active = {k: v for k, v in cleaned.items() if not _is_empty(v)}
    unknown = sorted(set(active) - set(_registry))
    if unknown:
        raise CriteriaError(gettext("Unknown criteria: %(keys)s.") % {"keys": ", ".join(unknown)})
    for criterion in registered_criteria():
        if criterion.key in active:
            queryset = criterion.apply(queryset, active[criterion.key], active)
    return queryset


def _dump_value(field: forms.Field, value: Any) -> Any:
    if isinstance(value, Model):
        return str(getattr(value, getattr(field, "to_field_name", None) or "pk"))
    if isinstance(value, QuerySet | list | tuple | set):
        return [_dump_value(field, v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def criteria_to_json(cleaned: dict[str, Any]) -> dict[str, Any]:
    """Cleaned criteria -> JSON-safe form data (what smart pools store)."""
    data: dict[str, Any] = {}
    for key, value in cleaned.items():
        if _is_empty(value):
            continue
        criterion = _registry.get(key)
        if criterion is None:
            raise CriteriaError(gettext("Unknown criterion %(key)r.") % {"key": key})
        data[key] = (
            criterion.dump(value) if criterion.dump else _dump_value(criterion.field(), value)
        )
    return data


def criteria_from_json(data: dict[str, Any]) -> dict[str, Any]:
    """Stored criteria -> cleaned values, validated by the same form as the list's filters."""
    if not isinstance(data, dict):
        raise CriteriaError(gettext("Saved criteria must be an object."))
    unknown = sorted(set(data) - set(_registry))
    if unknown:
        raise CriteriaError(
            gettext(
                "Unknown criteria %(keys)s: the feature that defined them is no longer installed."
            )
            % {"keys": ", ".join(map(repr, unknown))}
        )
    form = CriteriaForm(data)
    if not form.is_valid():
        problems = [
            f"{form.fields[key].label}: {' '.join(map(str, errors))}"
            for key, errors in form.errors.items()
        ]
        raise CriteriaError(
            gettext("These criteria are no longer valid — %(problems)s")
            % {"problems": "; ".join(problems)}
        )
    return form.active()


def criteria_describe(cleaned: dict[str, Any]) -> list[str]:
    """Human-readable summary lines ("Skills (all): Python, SQL")."""
    lines = []
    for criterion in registered_criteria():
        if criterion.key not in cleaned or _is_empty(cleaned[criterion.key]):
            continue
        value = cleaned[criterion.key]
        field = criterion.field()
        if isinstance(value, QuerySet | list | tuple | set):
            text = ", ".join(_display(field, v) for v in value)
        else:
            text = _display(field, value)
        lines.append(f"{criterion.label}: {text}")
    return lines


def _display(field: forms.Field, value: Any) -> str:
    choices = dict(getattr(field, "choices", []) or []) if not isinstance(value, Model) else {}
    return str(choices.get(value, value))


# --- Built-in criteria --------------------------------------------------------------------------


_TEXT_COLUMNS = ("first_name", "last_name", "email", "profession")


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text_match_sql() -> str:
    """Ids of candidates whose name, email or profession contains the term, UNION those with a
    skill containing it. As a UNION (not an OR with a subquery), each branch can use its index:
    the pg_trgm GIN index on the four columns (a bitmap OR of ILIKE scans) for the first."""
    candidate = Candidate._meta.db_table
    through = CandidateSkill._meta.db_table
    skill = Skill._meta.db_table
    columns = " OR ".join(f"{c} ILIKE %s" for c in _TEXT_COLUMNS)
    return (
        f"SELECT id FROM {candidate} WHERE {columns} "  # noqa: S608 (model table names)
        f"UNION SELECT cs.content_object_id FROM {through} cs "
        f"JOIN {skill} s ON s.id = cs.tag_id WHERE s.name ILIKE %s"
    )


def _apply_text(queryset: QuerySet, value: str, _: dict[str, Any]) -> QuerySet:
    sql = _text_match_sql()
    for term in value.split()[:8]:
        pattern = f"%{_escape_like(term)}%"
        params = [pattern] * (len(_TEXT_COLUMNS) + 1)
        # Constant SQL (model table names), the user's term only as bound parameters.
        queryset = queryset.filter(pk__in=RawSQL(sql, params))  # noqa: S611
    return queryset


def _skill_exists(**filters: Any) -> Exists:
    return Exists(CandidateSkill.objects.filter(content_object=OuterRef("pk"), **filters))


def _tag_exists(**filters: Any) -> Exists:
    return Exists(CandidateTag.objects.filter(content_object=OuterRef("pk"), **filters))


def _apply_skills_all(queryset: QuerySet, skills: Iterable[Skill], _: dict) -> QuerySet:
    for skill in skills:
        queryset = queryset.filter(_skill_exists(tag=skill))
    return queryset


def _apply_tags_all(queryset: QuerySet, tags: Iterable[Tag], _: dict) -> QuerySet:
    for tag in tags:
        queryset = queryset.filter(_tag_exists(tag=tag))
    return queryset


def _application_filter(cleaned: dict[str, Any]) -> Exists:
    """Stage reached and outcome apply to the SAME application when both are given ("rejected
    after reaching the final interview" = a silver medalist), not to any two applications."""
    filters: dict[str, Any] = {}
    if cleaned.get("stage_reached"):
        filters["furthest_stage__order__gte"] = cleaned["stage_reached"].order
    if cleaned.get("outcome"):
        filters["outcome"] = cleaned["outcome"]
    return Exists(Application.objects.filter(candidate=OuterRef("pk"), **filters))


def _apply_stage(queryset: QuerySet, _: Any, cleaned: dict[str, Any]) -> QuerySet:
    return queryset.filter(_application_filter(cleaned))


def _apply_outcome(queryset: QuerySet, _: Any, cleaned: dict[str, Any]) -> QuerySet:
    if cleaned.get("stage_reached"):
        return queryset  # already applied together with the stage
    return queryset.filter(_application_filter(cleaned))


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class NamesInput(forms.TextInput):
    """Names in one text box, comma-separated: scales to thousands of skills (a select of every
    skill would not, and costs a template render per option). Repeated URL parameters
    (?skills_any=Python&skills_any=SQL) work too."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        getlist = getattr(data, "getlist", None)
        raw = getlist(name) if getlist else data.get(name)
        if raw is None:
            return []
        items = [raw] if isinstance(raw, str) else raw
        return [part.strip() for item in items for part in str(item).split(",") if part.strip()]

    def format_value(self, value: Any) -> str | None:
        if not value:
            return None
        return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


class NamesField(forms.ModelMultipleChoiceField):
    """Model instances chosen by name, case-insensitively; unknown names are a clear error."""

    widget = NamesInput

    def clean(self, value: Any) -> QuerySet:
        queryset, to_field = self.queryset, self.to_field_name
        assert queryset is not None and to_field is not None  # _model_multi() sets both
        names = [str(v).strip() for v in (value or []) if str(v).strip()]
        if not names:
            return queryset.none()
        wanted = {name.lower(): name for name in names}
        found = queryset.annotate(lower_name=Lower(to_field)).filter(lower_name__in=list(wanted))
        known = {getattr(obj, to_field).lower() for obj in found}
        for key, name in wanted.items():
            if key not in known:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": name},
                )
        return found


def _model_multi(
    queryset: Callable[[], QuerySet], to_field: str, unknown: Any
) -> Callable[[], Any]:
    """`unknown`: the error for a name that matches nothing, with %(value)s for the name."""

    def build() -> NamesField:
        return NamesField(
            queryset=queryset(),
            to_field_name=to_field,
            help_text=_("Comma-separated"),
            error_messages={"invalid_choice": unknown},
        )

    return build


def _stage_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Stage.objects.all(),
        to_field_name="slug",
        empty_label=_("Any stage"),
        error_messages={"invalid_choice": _("That stage does not exist (renamed or deleted?).")},
    )


def _choice(
    choices: Sequence[tuple[str, StrOrPromise]], empty: Any
) -> Callable[[], forms.ChoiceField]:
    return lambda: forms.ChoiceField(choices=[("", empty), *choices])


def _multi(choices: Sequence[tuple[str, StrOrPromise]]) -> Callable[[], forms.MultipleChoiceField]:
    return lambda: forms.MultipleChoiceField(choices=choices)


def _text(max_length: int = 200) -> Callable[[], forms.CharField]:
    return lambda: forms.CharField(max_length=max_length, strip=True)


def _date() -> forms.DateField:
    return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class _CountryField(forms.CharField):
    def to_python(self, value: Any) -> str:
        # None only with empty_value=None, which this field does not set
        return (super().to_python(value) or "").upper()


def _country_field() -> forms.CharField:
    return _CountryField(
        max_length=2,
        min_length=2,
        strip=True,
        help_text=_("ISO code, e.g. FR"),
        error_messages={
            "min_length": _("Use the two-letter country code, e.g. FR."),
            "max_length": _("Use the two-letter country code, e.g. FR."),
        },
    )


_BUILT_IN = [
    Criterion("q", _("Search"), _text(), _apply_text, order=0),
    Criterion(
        "profession",
        _("Profession"),
        _text(120),
        lambda qs, v, _: qs.filter(profession__iexact=v),
        order=10,
    ),
    Criterion(
        "skills_all",
        _("Skills (all of)"),
        _model_multi(
            Skill.objects.all,
            "name",
            _("The skill “%(value)s” does not exist (renamed or deleted?)."),
        ),
        _apply_skills_all,
        order=20,
    ),
    Criterion(
        "skills_any",
        _("Skills (any of)"),
        _model_multi(
            Skill.objects.all,
            "name",
            _("The skill “%(value)s” does not exist (renamed or deleted?)."),
        ),
        lambda qs, v, _: qs.filter(_skill_exists(tag__in=list(v))),
        order=21,
    ),
    Criterion(
        "seniority",
        _("Seniority"),
        _multi(Seniority.choices),
        lambda qs, v, _: qs.filter(seniority__in=v),
        order=30,
    ),
    Criterion(
        "country",
        _("Country"),
        _country_field,
        lambda qs, v, _: qs.filter(country=v.upper()),
        order=40,
    ),
    Criterion("stage_reached", _("Stage reached"), _stage_field, _apply_stage, order=50),
    Criterion(
        "outcome",
        _("Outcome"),
        _choice(Outcome.choices, _("Any outcome")),
        _apply_outcome,
        order=51,
    ),
    Criterion(
        "tags_all",
        _("Tags (all of)"),
        _model_multi(
            Tag.objects.all, "name", _("The tag “%(value)s” does not exist (renamed or deleted?).")
        ),
        _apply_tags_all,
        order=60,
    ),
    Criterion(
        "tags_any",
        _("Tags (any of)"),
        _model_multi(
            Tag.objects.all, "name", _("The tag “%(value)s” does not exist (renamed or deleted?).")
        ),
        lambda qs, v, _: qs.filter(_tag_exists(tag__in=list(v))),
        order=61,
    ),
    Criterion(
        "tags_none",
        _("Tags (none of)"),
        _model_multi(
            Tag.objects.all, "name", _("The tag “%(value)s” does not exist (renamed or deleted?).")
        ),
        lambda qs, v, _: qs.exclude(_tag_exists(tag__in=list(v))),
        order=62,
    ),
    Criterion(
        "interest",
        _("Interest"),
        _text(100),
        lambda qs, v, _: qs.filter(interests__icontains=v),
        order=70,
    ),
    Criterion(
        "desired_position",
        _("Desired position"),
        _text(100),
        lambda qs, v, _: qs.filter(desired_positions__icontains=v),
        order=71,
    ),
    Criterion(
        "active_since",
        _("Last activity since"),
        _date,
        lambda qs, v, _: qs.filter(last_activity_at__gte=_start_of(v)),
        order=80,
    ),
    Criterion(
        "active_before",
        _("Last activity before"),
        _date,
        lambda qs, v, _: qs.filter(last_activity_at__lt=_start_of(v)),
        order=81,
    ),
    Criterion(
        "age_bracket",
        _("Age bracket"),
        _multi(AgeBracket.choices),
        lambda qs, v, _: qs.filter(age_bracket__in=v),
        order=90,
    ),
    Criterion(
        "source",
        _("Source"),
        _text(60),
        lambda qs, v, _: qs.filter(source__iexact=v),
        order=91,
    ),
]

for _criterion in _BUILT_IN:
    register_criterion(_criterion)
