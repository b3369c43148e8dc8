"""scripts/mypy_check.py, the mypy gate of `make lint`: zero errors outside tests/, and a
tests/ baseline that ignores line numbers and can only shrink. Fed parsed output here (mypy
itself runs in `make lint`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mypy_check", ROOT / "scripts" / "mypy_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = _load()

OLD = (
    'tests/a/test_x.py:10: error: Item "None" of "User | None" has no attribute "pk"  [union-attr]'
)
MOVED = OLD.replace(":10:", ":42:")
OTHER = 'tests/a/test_x.py:12: error: Name "foo" is not defined  [name-defined]'
APP = "mailing/services.py:3: error: Incompatible return value type  [return-value]"


def _baseline(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "mypy-baseline.txt"
    check.write_baseline(path, check.Counter(entry for entry, _ in check.parse("\n".join(lines))))
    return path


def _run(path: Path, *lines: str, update: bool = False) -> int:
    argv = ["--update-baseline"] if update else []
    return int(check.main(argv, errors=check.parse("\n".join(lines)), baseline_path=path))


def test_parse_normalises_away_line_and_column_numbers() -> None:
    [(entry, raw)] = check.parse(OLD.replace(":10:", ":10:7:") + "\ntests/a.py:1: note: see x")
    assert (
        entry
        == 'tests/a/test_x.py: [union-attr] Item "None" of "User | None" has no attribute "pk"'
    )
    assert raw.startswith("tests/a/test_x.py:10:7:")
    [(quoted, _)] = check.parse(
        'tests/b.py:9: error: Name "f" already defined on line 3  [no-redef]'
    )
    assert quoted == 'tests/b.py: [no-redef] Name "f" already defined on line N'


def test_a_baselined_test_error_passes_wherever_its_line_moved(tmp_path: Path) -> None:
    path = _baseline(tmp_path, OLD)
    assert _run(path, MOVED) == 0


def test_any_error_outside_tests_fails(tmp_path: Path) -> None:
    path = _baseline(tmp_path, OLD, APP)  # an app error in the baseline does not excuse it
    assert _run(path, OLD, APP) == 1


def test_a_new_test_error_fails_and_update_does_not_add_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _baseline(tmp_path, OLD)
    before = path.read_text()
    assert _run(path, OLD, OTHER) == 1
    assert _run(path, OLD, OTHER, update=True) == 1
    assert path.read_text() == before
    assert "can only shrink" in capsys.readouterr().out


def test_a_fixed_error_fails_until_the_baseline_drops_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _baseline(tmp_path, OLD, OTHER, OTHER)
    assert _run(path, OLD, OTHER) == 1
    assert "--update-baseline" in capsys.readouterr().out
    assert _run(path, OLD, OTHER, update=True) == 0
    assert _run(path, OLD, OTHER) == 0
    assert check.read_baseline(path) == check.Counter(e for e, _ in check.parse(f"{OLD}\n{OTHER}"))


def test_the_baseline_is_created_only_when_missing(tmp_path: Path) -> None:
    path = tmp_path / "mypy-baseline.txt"
    assert _run(path, OLD) == 1  # no baseline: every test error is new
    assert _run(path, OLD, update=True) == 0
    assert _run(path, OLD) == 0
