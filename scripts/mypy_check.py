"""mypy gate for `make lint` (and so `make test`).

Runs mypy on the whole project (the configuration is `[tool.mypy]` in pyproject.toml) and:

- fails on ANY error outside `tests/` (app code, config, scripts, bench, demo): zero errors;
- compares the errors in `tests/` with the committed baseline, `mypy-baseline.txt`, and fails
  on an error that is not in it. Entries are normalised (file, error code, message; no line
  numbers), so code moving within a file does not break the gate;
- fails when the baseline lists errors that no longer occur, asking for
  `python scripts/mypy_check.py --update-baseline`, which drops them. The baseline can only
  shrink: `--update-baseline` refuses to add an entry (fix the new error instead).

Creating a baseline from scratch is allowed only when the file does not exist (delete it in a
commit of its own, e.g. when adopting a new mypy or stubs version, so review sees why).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "mypy-baseline.txt"
TESTS_PREFIX = "tests/"

# path:line[:column]: error: message  [code]
ERROR_LINE = re.compile(
    r"^(?P<path>[^:\n]+):(?P<line>\d+):(?:\d+:)? error: "
    r"(?P<message>.*?)(?:  \[(?P<code>[a-z0-9-]+)\])?$"
)
# A message may quote another line of the same file ("already defined on line 12"): normalised too.
LINE_REFERENCE = re.compile(r"\bline \d+\b")

BASELINE_HEADER = (
    "# mypy errors accepted in tests/ (scripts/mypy_check.py). This list can only shrink:\n"
    "# fix an error, then run `python scripts/mypy_check.py --update-baseline`.\n"
    "# One line per occurrence: path: [code] message\n"
)


def run_mypy() -> list[tuple[str, str]]:
    """mypy's errors: (normalised entry `path: [code] message`, the line as mypy printed it)."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            ".",
            "--no-pretty",
            "--no-error-summary",
            "--no-color-output",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = proc.stdout + proc.stderr
    if proc.returncode not in (0, 1):
        # 2: mypy itself failed (bad configuration, crash): nothing to compare.
        sys.stdout.write(output)
        raise SystemExit(f"mypy failed to run (exit code {proc.returncode})")
    errors = parse(output)
    if proc.returncode == 1 and not errors:
        sys.stdout.write(output)
        raise SystemExit("mypy failed but no error line could be read")
    return errors


def parse(output: str) -> list[tuple[str, str]]:
    """The error lines of mypy's output, each as (normalised entry, line as printed)."""
    errors: list[tuple[str, str]] = []
    for raw in output.splitlines():
        match = ERROR_LINE.match(raw)
        if match is not None:
            entry = normalise(match["path"], match["code"] or "misc", match["message"])
            errors.append((entry, raw))
    return errors


def normalise(path: str, code: str, message: str) -> str:
    path = path.replace("\\", "/").removeprefix("./")
    return f"{path}: [{code}] {LINE_REFERENCE.sub('line N', message.strip())}"


def read_baseline(path: Path) -> Counter[str]:
    if not path.exists():
        return Counter()
    lines = path.read_text(encoding="utf-8").splitlines()
    return Counter(line for line in lines if line.strip() and not line.startswith("#"))


def write_baseline(path: Path, entries: Counter[str]) -> None:
    body = "".join(f"{entry}\n" for entry in sorted(entries.elements()))
    path.write_text(BASELINE_HEADER + body, encoding="utf-8")


def is_test_error(entry: str) -> bool:
    return entry.startswith(TESTS_PREFIX)


def main(
    argv: list[str] | None = None,
    *,
    errors: list[tuple[str, str]] | None = None,
    baseline_path: Path = BASELINE,
) -> int:
    """Exit status 0 or 1. `errors` (parsed mypy output) and `baseline_path` are for tests."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--update-baseline",
        action="store_true",
        help="drop baseline entries that no longer occur (never adds one)",
    )
    args = parser.parse_args(argv)

    if errors is None:
        errors = run_mypy()
    name = baseline_path.name
    app_errors = [raw for entry, raw in errors if not is_test_error(entry)]
    current = Counter(entry for entry, _ in errors if is_test_error(entry))
    raw_by_entry = {entry: raw for entry, raw in reversed(errors)}
    if args.update_baseline and not baseline_path.exists():
        write_baseline(baseline_path, current)
        print(f"mypy: {name} created with {sum(current.values())} entries")
    baseline = read_baseline(baseline_path)
    new = current - baseline
    gone = baseline - current
    failed = False

    if app_errors:
        failed = True
        print(f"mypy: {len(app_errors)} error(s) outside tests/ (must be zero):")
        for raw in app_errors:
            print(f"  {raw}")

    if new:
        failed = True
        print(f"mypy: {sum(new.values())} error(s) in tests/ not in {name}:")
        for entry in sorted(new.elements()):
            print(f"  {raw_by_entry.get(entry, entry)}")

    if args.update_baseline:
        if gone:
            # Only ever drops entries: a new error stays a failure (reported above).
            write_baseline(baseline_path, baseline - gone)
            print(f"mypy: {sum(gone.values())} fixed error(s) dropped from {name}")
        else:
            print(f"mypy: no entry of {name} to drop")
        if new:
            print(f"mypy: {name} can only shrink; the new errors above were not added")
    elif gone:
        failed = True
        print(
            f"mypy: {sum(gone.values())} error(s) in {name} no longer occur; run "
            "`python scripts/mypy_check.py --update-baseline` and commit the smaller baseline:"
        )
        for entry in sorted(gone.elements()):
            print(f"  {entry}")

    if not failed:
        print(f"mypy: no error outside tests/, {sum(current.values())} in tests/ (all in {name})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
