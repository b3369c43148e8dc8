"""No app writes another app's tables (DESIGN §2, issue #15).

A static scan of every module of our apps, driven by the app registry: each model belongs to the
app that declares it; a module of app A may read B's models but every write (ORM write calls on
a manager, queryset or instance, raw SQL that inserts, updates or deletes B's tables) goes
through a service of B, which sends B's events (so, e.g., pool rules re-run after a consent-driven
change of a candidate).

The scan follows what a reader would: names resolve through the module's imports (also local and
TYPE_CHECKING ones), types through `Model.objects…` chains, `Model(...)`, annotations
(`candidate: Candidate`, `Iterable[Message]`, `QuerySet[Candidate]`), assignments, `for` loops
and relations (`application.candidate`, `candidate.applications`). It cannot see through a
function's return value without an annotation; `test_scanner_catches` pins what it must see.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models

BASE = Path(settings.BASE_DIR).resolve()

# Writes allowed on purpose, each with its reason: (module, owning app of the model written).
# Keep it empty unless the owning app cannot offer a service.
EXCEPTIONS: dict[tuple[str, str], str] = {}

QS_WRITES = {
    "update",
    "delete",
    "bulk_create",
    "bulk_update",
    "create",
    "get_or_create",
    "update_or_create",
    "add",
    "remove",
    "clear",
    "set",
    "_raw_delete",
    "create_user",
    "create_superuser",
}
INSTANCE_WRITES = {"save", "delete", "save_base"}
QS_TO_INSTANCE = {"get", "first", "last", "earliest", "latest", "create", "get_or_create"}
SQL_WRITE = re.compile(
    r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|COPY|MERGE\s+INTO)\s+"
    r"(?:ONLY\s+)?\"?([a-z_][a-z0-9_]*)\"?",
    re.IGNORECASE,
)


@functools.cache
def our_apps() -> dict[str, Path]:
    found = {}
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(BASE) and ".venv" not in path.parts:
            found[config.label] = path
    return found


@functools.cache
def _declared_owners() -> dict[str, str]:
    """Third-party models are owned by the app that declares them in the personal-data
    registry (candidates: taggit's Tag; accounts: sessions...; tenants: groups...)."""
    from tenants.privacy import registered

    ours = our_apps()
    found = {}
    for declaration in registered():
        for dataset in declaration.datasets:
            app_label = dataset.model.split(".")[0]
            if app_label not in ours:
                found[dataset.model.lower()] = declaration.app_label
    return found


def owner_of(model: type[models.Model]) -> str:
    label = model._meta.label_lower
    return _declared_owners().get(label, model._meta.app_label)


@functools.cache
def tables() -> dict[str, str]:
    """db_table → owning app label, also for automatic many-to-many tables (owned by the app
    declaring the field)."""
    owned = {}
    for model in apps.get_models(include_auto_created=True):
        owned[model._meta.db_table.lower()] = owner_of(model)
    return owned


@dataclass(frozen=True)
class T:
    """A static type: what an expression holds."""

    # "class" | "qs" (manager/queryset) | "instance" | "iter" (iterable of instances) | "table"
    # (the model's table name, for raw SQL)
    kind: str
    model: type[models.Model]


def is_model(value: object) -> typing.TypeGuard[type[models.Model]]:
    return isinstance(value, type) and issubclass(value, models.Model) and value is not models.Model


@dataclass
class Finding:
    module: str
    line: int
    owner: str
    what: str

    def __str__(self):
        return f"{self.module}:{self.line} writes {self.owner}: {self.what}"


class Scanner(ast.NodeVisitor):
    def __init__(self, module_name: str, app: str, namespace: dict, table_owners: dict[str, str]):
        self.module_name = module_name
        self.app = app
        self.namespace = dict(namespace)
        self.table_owners = table_owners
        self.scopes: list[dict[str, T | None]] = [{}]
        self.findings: list[Finding] = []

    # --- Name resolution --------------------------------------------------------------------

    def resolve_import(self, node: ast.ImportFrom | ast.Import) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                try:
                    module = importlib.import_module(alias.name)
                except ImportError:
                    continue
                if alias.asname:
                    self.namespace[alias.asname] = module
            return
        if node.level:
            package = self.module_name.rsplit(".", node.level)[0]
            source = f"{package}.{node.module}" if node.module else package
        else:
            source = node.module or ""
        try:
            module = importlib.import_module(source)
        except ImportError:
            return
        for alias in node.names:
            value = getattr(module, alias.name, None)
            if value is None:
                try:
                    value = importlib.import_module(f"{source}.{alias.name}")
                except ImportError:
                    continue
            self.namespace[alias.asname or alias.name] = value

    def lookup(self, name: str):
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        value = self.namespace.get(name)
        if is_model(value):
            return T("class", value)
        return value if not isinstance(value, T) else None

    def type_of(self, node: ast.AST) -> T | None:
        if isinstance(node, ast.Name):
            found = self.lookup(node.id)
            return found if isinstance(found, T) else None
        if isinstance(node, ast.Attribute):
            value = node.value
            if isinstance(value, ast.Name) and not isinstance(self.lookup(value.id), T):
                module = self.lookup(value.id)
                attr = getattr(module, node.attr, None) if module is not None else None
                return T("class", attr) if is_model(attr) else None
            base = self.type_of(value)
            if base is None:
                return None
            if base.kind == "class":
                if node.attr in {m.name for m in base.model._meta.managers} or node.attr in {
                    "objects",
                    "_default_manager",
                    "_base_manager",
                }:
                    return T("qs", base.model)
                return None
            if base.kind == "instance":
                return self.relation(base.model, node.attr)
            return None
        if isinstance(node, ast.Call):
            func = node.func
            target = self.type_of(func) if not isinstance(func, ast.Attribute) else None
            if target is not None and target.kind == "class":
                return T("instance", target.model)
            returned = self.returns(func)
            if returned is not None:
                return returned[0]
            if isinstance(func, ast.Attribute):
                base = self.type_of(func.value)
                if base is not None and base.kind == "qs":
                    if func.attr in QS_TO_INSTANCE:
                        return T("instance", base.model)
                    if func.attr in {"iterator", "select_for_update", "all", "filter"}:
                        return T("qs", base.model)
                    return T("qs", base.model)
                if isinstance(func.value, ast.Name) and func.attr == "get_model":
                    return self.model_from_get_model(node)
            if (
                isinstance(func, ast.Name)
                and func.id in {"list", "sorted", "reversed", "tuple"}
                and node.args
            ):
                inner = self.type_of(node.args[0])
                if inner is not None and inner.kind in {"qs", "iter"}:
                    return T("iter", inner.model)
            return None
        if isinstance(node, ast.Subscript):
            base = self.type_of(node.value)
            if base is not None and base.kind in {"qs", "iter"}:
                if isinstance(node.slice, ast.Slice):
                    return base
                return T("instance", base.model)
            return None
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            return None
        return None

    def callee(self, func: ast.AST):  # type: ignore[no-untyped-def]
        """The function a call names (a module-level or imported one), if it is one."""
        if isinstance(func, ast.Name):
            value = self.lookup(func.id)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            module = self.lookup(func.value.id)
            value = getattr(module, func.attr, None) if inspect.ismodule(module) else None
        else:
            return None
        return inspect.unwrap(value) if inspect.isfunction(value) else None

    def returns(self, func: ast.AST) -> tuple[T | None, ...] | None:
        """What a function's return annotation promises: `Message` → an instance,
        `QuerySet[Candidate]` → a queryset, `list[Activity]` → instances, `tuple[Candidate,
        bool]` → (instance, None). None when unknown."""
        function = self.callee(func)
        if function is None:
            return None
        try:
            hint = typing.get_type_hints(function).get("return")
        except Exception:  # an annotation that does not resolve: unknown
            return None
        return self.from_hint(hint)

    def from_hint(self, hint) -> tuple[T | None, ...] | None:  # type: ignore[no-untyped-def]
        if is_model(hint):
            return (T("instance", hint),)
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin is None or not args:
            return None
        if origin is tuple:
            parts = tuple(T("instance", a) if is_model(a) else None for a in args)
            return parts if any(parts) else None
        if origin in (types.UnionType, typing.Union):
            for arg in args:
                found = self.from_hint(arg)
                if found is not None:
                    return found
            return None
        inner = args[0]
        if not is_model(inner):
            return None
        if isinstance(origin, type) and issubclass(origin, (models.QuerySet, models.Manager)):
            return (T("qs", inner),)
        return (T("iter", inner),)

    def model_from_get_model(self, node: ast.Call) -> T | None:
        args = [a.value for a in node.args if isinstance(a, ast.Constant)]
        if not args or not all(isinstance(a, str) for a in args):
            return None
        try:
            if len(args) == 1:
                return T("class", apps.get_model(str(args[0])))
            return T("class", apps.get_model(str(args[0]), str(args[1])))
        except (LookupError, ValueError, TypeError):
            return None

    @staticmethod
    def relation(model: type[models.Model], attr: str) -> T | None:
        for field in model._meta.get_fields():
            accessor = getattr(field, "get_accessor_name", None)
            name = accessor() if (field.auto_created and not field.concrete and accessor) else None
            if field.name == attr and getattr(field, "concrete", False):
                related = field.related_model
                if not is_model(related):
                    return None
                if field.many_to_many:
                    return T("qs", related)
                if field.is_relation:
                    return T("instance", related)
                return None
            if name == attr:
                related = field.related_model
                if not is_model(related):
                    return None
                if field.one_to_one:
                    return T("instance", related)
                return T("qs", related)
        return None

    def annotation(self, node: ast.AST | None) -> T | None:
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                return self.annotation(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self.annotation(node.left) or self.annotation(node.right)
        if isinstance(node, ast.Subscript):
            outer = (
                node.value.attr
                if isinstance(node.value, ast.Attribute)
                else getattr(node.value, "id", "")
            )
            inner_node = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
            inner = self.annotation(inner_node)
            if inner is None or inner.kind != "instance":
                return None
            if outer in {"QuerySet", "Manager", "BaseManager"}:
                return T("qs", inner.model)
            if outer == "Optional":
                return inner
            return T("iter", inner.model)
        found = self.type_of(node)
        if found is not None and found.kind == "class":
            return T("instance", found.model)
        return None

    # --- Scopes -----------------------------------------------------------------------------

    def visit_Import(self, node):
        self.resolve_import(node)

    def visit_ImportFrom(self, node):
        self.resolve_import(node)

    def visit_FunctionDef(self, node):
        scope: dict[str, T | None] = {}
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            scope[arg.arg] = self.annotation(arg.annotation)
        if args.vararg is not None:
            kind = self.annotation(args.vararg.annotation)
            scope[args.vararg.arg] = T("iter", kind.model) if kind else None
        self.scopes.append(scope)
        for statement in node.body:
            self.visit(statement)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def bind(self, target: ast.AST, value: T | None) -> None:
        if isinstance(target, ast.Name):
            self.scopes[-1][target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.bind(element, None)

    def visit_Assign(self, node):
        self.generic_visit(node)
        value = self.type_of(node.value) or self.table_type(node.value)
        call = node.value
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr in {"get_or_create", "update_or_create"}
        ):
            base = self.type_of(call.func.value)
            if base is not None and isinstance(node.targets[0], ast.Tuple):
                self.bind(node.targets[0].elts[0], T("instance", base.model))
                return
        returned = self.returns(call.func) if isinstance(call, ast.Call) else None
        target = node.targets[0]
        if returned is not None and len(returned) > 1 and isinstance(target, ast.Tuple):
            for element, part in zip(target.elts, returned, strict=False):
                self.bind(element, part)
            return
        for target in node.targets:
            self.bind(target, value)

    def visit_AnnAssign(self, node):
        self.generic_visit(node)
        self.bind(node.target, self.annotation(node.annotation) or self.type_of(node.value))

    def iterate(self, target: ast.AST, iterable: ast.AST) -> None:
        source = self.type_of(iterable)
        if source is not None and source.kind in {"qs", "iter"}:
            self.bind(target, T("instance", source.model))
        else:
            self.bind(target, None)

    def visit_For(self, node):
        self.visit(node.iter)
        self.iterate(node.target, node.iter)
        for statement in [*node.body, *node.orelse]:
            self.visit(statement)

    def visit_comprehension(self, node):
        self.visit(node.iter)
        self.iterate(node.target, node.iter)
        for condition in node.ifs:
            self.visit(condition)

    def _visit_comp(self, node):
        self.scopes.append({})
        for generator in node.generators:
            self.visit_comprehension(generator)
        for part in ("elt", "key", "value"):
            if hasattr(node, part):
                self.visit(getattr(node, part))
        self.scopes.pop()

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _visit_comp

    # --- Writes -----------------------------------------------------------------------------

    def report(self, node: ast.expr, owner: str, what: str) -> None:
        ours = our_apps()
        if (
            owner != self.app
            and owner in ours
            and self.app in ours
            and (self.module_name, owner) not in EXCEPTIONS
        ):
            self.findings.append(Finding(self.module_name, node.lineno, owner, what))

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if not isinstance(func, ast.Attribute):
            return
        base = self.type_of(func.value)
        if base is None:
            return
        name = base.model.__name__
        if base.kind == "qs" and func.attr in QS_WRITES:
            self.report(node, owner_of(base.model), f"{name} queryset .{func.attr}()")
        elif base.kind == "instance" and func.attr in INSTANCE_WRITES:
            self.report(node, owner_of(base.model), f"{name} instance .{func.attr}()")
        elif base.kind == "iter" and func.attr in {"add", "remove", "clear"}:
            return

    def sql_text(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(str(value.value))
                elif isinstance(value, ast.FormattedValue):
                    found = self.table_type(value.value)
                    parts.append(found.model._meta.db_table if found else "x")
            return "".join(parts)
        return None

    def table_type(self, node: ast.AST) -> T | None:
        """A model's table name: `Model._meta.db_table`, a variable holding one, or a call
        quoting one (`quote(Model._meta.db_table)`)."""
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "db_table"
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "_meta"
        ):
            found = self.type_of(node.value.value)
            return T("table", found.model) if found is not None else None
        if isinstance(node, ast.Name):
            found = self.lookup(node.id)
            return found if isinstance(found, T) and found.kind == "table" else None
        if isinstance(node, ast.Call) and len(node.args) == 1:
            return self.table_type(node.args[0])
        return None

    def visit_Constant(self, node):
        self.check_sql(node)

    def visit_JoinedStr(self, node):
        self.check_sql(node)
        self.generic_visit(node)

    def check_sql(self, node):
        text = self.sql_text(node)
        if not text:
            return
        for match in SQL_WRITE.finditer(text):
            table = match.group(1).lower()
            owner = self.table_owners.get(table)
            if owner:
                self.report(node, owner, f"SQL {match.group(0)!r}")


def module_files() -> list[tuple[str, str, Path]]:
    found = []
    for label, path in our_apps().items():
        for file in sorted(path.rglob("*.py")):
            relative = file.relative_to(BASE)
            if "migrations" in relative.parts or "locale" in relative.parts:
                continue
            dotted = ".".join(relative.with_suffix("").parts)
            if dotted.endswith(".__init__"):
                dotted = dotted[: -len(".__init__")]
            found.append((label, dotted, file))
    return found


def scan_source(module_name: str, app: str, source: str, namespace: dict) -> list[Finding]:
    scanner = Scanner(module_name, app, namespace, tables())
    scanner.visit(ast.parse(source))
    return scanner.findings


def scan_module(label: str, dotted: str, file: Path) -> list[Finding]:
    try:
        namespace = vars(importlib.import_module(dotted))
    except Exception:
        namespace = {}
    return scan_source(dotted, label, file.read_text(), namespace)


def test_no_app_writes_another_apps_tables():
    findings = []
    for label, dotted, file in module_files():
        findings.extend(scan_module(label, dotted, file))
    assert not findings, "Writes to another app's tables (use the owning app's service):\n" + (
        "\n".join(str(f) for f in findings)
    )


def test_every_exception_says_why():
    for (module, owner), why in EXCEPTIONS.items():
        assert why, f"{module} → {owner}: say why"


SAMPLES = {
    "manager update": "Candidate.objects.filter(pk=1).update(city='x')",
    "manager delete": "Message.objects.filter(pk=1).delete()",
    "bulk create": "MessageAttachment.objects.bulk_create([])",
    "annotated instance save": (
        "def f(*, candidate: Candidate):\n    candidate.city = 'x'\n    candidate.save()"
    ),
    "optional annotation": "def f(message: Message | None):\n    message.save()",
    "loop over queryset": "for m in Message.objects.filter(kind='x'):\n    m.delete()",
    "loop over iterable": "def f(ms: Iterable[Message]):\n    for m in ms:\n        m.save()",
    "relation": "def f(application: Application):\n    application.candidate.save()",
    "reverse relation": "def f(candidate: Candidate):\n    candidate.messages.all().update(x=1)",
    "assigned instance": "c = Candidate.objects.get(pk=1)\nc.save(update_fields=['city'])",
    "constructed": "Candidate(email='x').save()",
    "raw SQL": "cursor.execute('UPDATE candidates_candidate SET city = %s', ['x'])",
    "raw SQL f-string": "sql = f'UPDATE {Candidate._meta.db_table} SET city = 1'",
    "raw SQL table variable": (
        "table = Candidate._meta.db_table\nsql = f'INSERT INTO \"{table}\" (id) VALUES (1)'"
    ),
    "raw SQL quoted table": "sql = f'DELETE FROM {quote(Message._meta.db_table)} WHERE id = 1'",
    "third-party model declared by another app": "Tag.objects.create(name='x')",
    "tracking event": "TrackingEvent.objects.filter(message_id=1).update(description='')",
    "returned by an annotated function": "m = message_enqueue(send_key='x')\nm.save()",
    "first of a returned tuple": "c, made = candidate_upsert(email='x')\nc.delete()",
}


@pytest.mark.parametrize("case", sorted(SAMPLES))
def test_scanner_catches(case):
    from taggit.models import Tag

    from candidates.models import Application, Candidate
    from candidates.services import candidate_upsert
    from mailing.models import Message, MessageAttachment, TrackingEvent
    from mailing.services import message_enqueue

    namespace = {
        "candidate_upsert": candidate_upsert,
        "message_enqueue": message_enqueue,
        "Tag": Tag,
        "Candidate": Candidate,
        "Application": Application,
        "Message": Message,
        "MessageAttachment": MessageAttachment,
        "TrackingEvent": TrackingEvent,
    }
    findings = scan_source("consent.sample", "consent", SAMPLES[case], namespace)
    assert findings, case


def test_scanner_allows_own_tables_and_reads():
    from candidates.models import Candidate
    from consent.models import ConsentProfile

    source = (
        "def f(*, candidate: Candidate):\n"
        "    ConsentProfile.objects.filter(candidate=candidate).update(link_key='x')\n"
        "    list(Candidate.objects.filter(pk=1))\n"
        "    Candidate.objects.filter(pk=1).exists()\n"
        "    cursor.execute('SELECT id FROM candidates_candidate')\n"
    )
    namespace = {"Candidate": Candidate, "ConsentProfile": ConsentProfile}
    assert scan_source("consent.sample", "consent", source, namespace) == []
