"""The fake Postmark of tests/mailing/fake_esp.py in a process of its own, for benchmarks.

In the benchmark's own process the fake server's threads would compete with the code under
measurement for the interpreter lock; here it answers like a remote ESP: every send call after
`delay` seconds, connections kept alive, messages counted per `mailing_key` (GET /_stats).

    python bench/fake_esp.py --delay 0.02     prints "listening <url>", serves until killed
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class EspProcess:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> EspProcess:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__)), "--delay", str(self.delay)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("listening "):
            raise RuntimeError(f"fake ESP did not start: {line!r}")
        self.url = line.split(" ", 1)[1].strip()
        return self

    def stats(self) -> dict[str, int]:
        with urllib.request.urlopen(self.url + "_stats", timeout=10) as response:  # noqa: S310 (a local URL we started)
            return json.load(response)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.0, help="seconds per send call")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.mailing.fake_esp import FakePostmark

    esp = FakePostmark(keep_alive=True)
    esp.delay = args.delay
    esp.start()
    print(f"listening {esp.url}", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
