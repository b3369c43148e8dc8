"""App code uses public interfaces only (issue #15): every setting it reads is declared in
config/settings.py (or is one of Django's own, with Django's default), read as `settings.NAME`
so a typo fails loudly, never `getattr(settings, "NAME", default)` with a default of its own
hidden in the app; and nothing reaches into Django's transaction internals."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import global_settings

import config.settings as project_settings
from tests.sources import OUR_APPS, ROOT, app_sources

# Django's private per-connection state; on_commit and friends are the public way in.
PRIVATE_CONNECTION_ATTRIBUTES = {
    "run_on_commit",
    "savepoint_ids",
    "run_commit_hooks_on_set_autocommit_on",
}


def _sources() -> list[Path]:
    return [
        path for path in app_sources(("config", *OUR_APPS, "scripts")) if path.name != "settings.py"
    ]


def _settings_names(tree: ast.AST) -> set[str]:
    """Names a module binds to django.conf.settings (`from django.conf import settings [as x]`)."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "django.conf"
        for alias in node.names
        if alias.name == "settings"
    }


def _findings(paths: list[Path], root: Path = ROOT) -> tuple[list[str], list[str], list[str]]:
    """(dynamic settings reads, reads of undeclared settings, private transaction state)."""
    dynamic: list[str] = []
    undeclared: list[str] = []
    private: list[str] = []
    declared = {n for n in dir(project_settings) if n.isupper()} | {
        n for n in dir(global_settings) if n.isupper()
    }
    for path in paths:
        tree = ast.parse(path.read_text(), filename=str(path))
        names = _settings_names(tree)

        def where(node: ast.expr, path: Path = path) -> str:
            return f"{path.relative_to(root)}:{node.lineno}"

        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"getattr", "hasattr"}
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id in names
            ):
                dynamic.append(where(node))
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in names
                and node.attr.isupper()
                and node.attr not in declared
            ):
                undeclared.append(f"{where(node)} settings.{node.attr}")
            elif isinstance(node, ast.Attribute) and node.attr in PRIVATE_CONNECTION_ATTRIBUTES:
                private.append(f"{where(node)} .{node.attr}")
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value in PRIVATE_CONNECTION_ATTRIBUTES
            ):
                private.append(f"{where(node)} {node.value!r}")
    return dynamic, undeclared, private


def test_settings_are_read_by_name_and_declared():
    dynamic, undeclared, _ = _findings(_sources())
    assert dynamic == [], "read these as settings.NAME, declared in config/settings.py"
    assert undeclared == [], "declare these in config/settings.py (default and a comment)"


def test_no_app_code_reads_djangos_transaction_internals():
    _, _, private = _findings(_sources())
    assert private == [], "use transaction.on_commit and keep state of our own"


def test_the_finder_sees_what_it_forbids(tmp_path):
    """The checks above fail on the patterns they exist for (the last line is the peek
    mailing's dispatch_on_commit used to make)."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from django.conf import settings as conf\n"
        "from django.db import connection\n"
        'LIMIT = getattr(conf, "SOME_LIMIT", 5)\n'
        "OTHER = conf.NOT_DECLARED_ANYWHERE\n"
        "PENDING = connection.run_on_commit\n"
        'PEEK = getattr(connection, "run_on_commit", [])\n'
    )
    dynamic, undeclared, private = _findings([probe], root=tmp_path)
    assert dynamic == ["probe.py:3"]
    assert undeclared == ["probe.py:4 settings.NOT_DECLARED_ANYWHERE"]
    assert private == ["probe.py:5 .run_on_commit", "probe.py:6 'run_on_commit'"]
