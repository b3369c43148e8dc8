"""Run every bench/bench_*.py in its own process and print their tables (`make bench`).

    python -m bench.run [--quick] [name ...]     e.g. `python -m bench.run provisioning`

Each benchmark creates and drops its own database or schema, so real data is never touched.
Arguments other than names (such as --quick) are passed to every benchmark.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    flags = [a for a in argv if a.startswith("-")]
    names = [a for a in argv if not a.startswith("-")]
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
    if not scripts:
        print(f"No benchmark matches {names or 'bench/bench_*.py'}.", file=sys.stderr)
        return 2
    failed: list[str] = []
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script), *flags], cwd=BENCH_DIR.parent)
        print(f"--- {script.stem}: exit {code}, {time.perf_counter() - started:.0f}s", flush=True)
        if code != 0:
            failed.append(script.stem)
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
