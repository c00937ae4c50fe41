"""Seconds per test file, from the log of a run with ``--durations=0``.

The "Test time" table in docs/maintaining.md is made with it from a
fresh-clone CI run:

    PYTEST_ADDOPTS=--durations=0 bash .ci/run > ci.log 2>&1
    .venv/bin/python scripts/durations.py ci.log
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

# "12.34s call     tests/test_x.py::test_y[param]@group"
DURATION = re.compile(r"^([\d.]+)s (?:call|setup|teardown)\s+(tests/test_\w+\.py)::", re.M)
SUMMARY = re.compile(r"^=+ (\d+) passed.* in ([\d.]+)s", re.M)


def per_file(log: str) -> Counter[str]:
    seconds: Counter[str] = Counter()
    for duration, path in DURATION.findall(log):
        seconds[Path(path).name] += float(duration)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path, help="the output of a pytest run with --durations=0")
    log = parser.parse_args(argv).log.read_text()
    summary = SUMMARY.search(log)
    seconds = per_file(log)
    if summary is None or not seconds:
        sys.exit("error: no all-passed pytest summary or no durations in the log (--durations=0)")
    print(f"{summary[1]} tests passed, pytest {float(summary[2]):.0f} s of wall time,")
    print(f"{sum(seconds.values()):.0f} s of test time on the workers together.\n")
    print("| File | Seconds |\n|---|---|")
    for name, total in seconds.most_common():
        print(f"| `{name}` | {total:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
