"""No app module over MAX_LINES lines: past that, a module holds more than one idea and is split
along them (DESIGN.md §5). Migrations and tests are not app modules."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 600
SKIPPED = {".venv", "node_modules", "tests", "migrations", ".git", ".local", "static"}


def _app_modules() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.py")
        if not SKIPPED.intersection(path.relative_to(ROOT).parts)
    ]


def test_the_walk_sees_the_apps():
    names = {p.relative_to(ROOT).as_posix() for p in _app_modules()}
    assert {"candidates/services.py", "candidates/importing/jobs.py", "tenants/db.py"} <= names


def test_no_app_module_is_over_the_limit():
    long = {
        path.relative_to(ROOT).as_posix(): lines
        for path in _app_modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"Split these along what they hold (at most {MAX_LINES} lines): {long}"
