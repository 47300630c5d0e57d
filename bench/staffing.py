"""Benchmark: the staffing advice arithmetic, from a small queue to thousands of Erlangs.

    python bench/staffing.py --repeat 20

For each traffic (Erlangs, at a 180 s handle time and a target of 80 % in 20 s) prints
the agents needed by Erlang C and by Erlang A (for a few patiences) and the time one
answer takes, best and median over the repeats, in milliseconds; then the time of one
whole queue's advice (three windows, both models). Writes nothing but stdout.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from admin_console.staffing import (  # noqa: E402
    QueueWindow,
    ServiceTarget,
    advise,
    agents_needed_erlang_a,
    agents_needed_erlang_c,
)

HANDLE_SECONDS = 180.0
TARGET = ServiceTarget(level=0.8, seconds=20)
console = Console()
T = TypeVar("T")


def timed(call: Callable[[], T], repeat: int) -> tuple[T, float, float]:
    """The call's answer, and its best and median time in ms over `repeat` runs."""
    times = []
    answer = call()  # a warm-up
    for _ in range(repeat):
        start = time.perf_counter()
        answer = call()
        times.append((time.perf_counter() - start) * 1000)
    return answer, min(times), statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs of each answer")
    parser.add_argument("--traffic", type=float, nargs="+", default=[10, 100, 1000, 5000], help="Erlangs")
    parser.add_argument("--patience", type=float, nargs="+", default=[30, 120, 600], help="seconds")
    args = parser.parse_args(argv)
    console.print(f"[bold]Staffing arithmetic[/]: AHT {HANDLE_SECONDS:.0f} s, 80 % in 20 s, "
                  f"Python {sys.version.split()[0]}")

    table = Table(title="agents needed, and ms per answer (best / median)")
    for column in ("Erlangs", "model", "agents", "best ms", "median ms"):
        table.add_column(column, justify="right")
    for traffic in args.traffic:
        needed, best, median = timed(partial(agents_needed_erlang_c, traffic, HANDLE_SECONDS, TARGET), args.repeat)
        table.add_row(f"{traffic:g}", "Erlang C", str(needed), f"{best:.3f}", f"{median:.3f}")
        for patience in args.patience:
            needed, best, median = timed(
                partial(agents_needed_erlang_a, traffic, HANDLE_SECONDS, patience, TARGET), args.repeat)
            table.add_row("", f"Erlang A, patience {patience:g} s", str(needed), f"{best:.3f}", f"{median:.3f}")
    console.print(table)

    # a queue of 1,000 Erlangs: 5,000 contacts every 15 minutes at 180 s, 2 min patience
    windows = [QueueWindow(minutes, 5000 * minutes // 15, 5000 * minutes // 15,
                           5000 * minutes // 15 * HANDLE_SECONDS) for minutes in (15, 30, 60)]
    advice, best, median = timed(
        lambda: advise(windows, TARGET, agents_now=950, abandons=600, queued_wait_seconds=600 * 120), args.repeat)
    console.print(f"one queue's advice at 1,000 Erlangs (3 windows, C and A): {best:.2f} ms best, "
                  f"{median:.2f} ms median; needs {advice.needed} ({advice.reason})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
