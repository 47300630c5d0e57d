#!/usr/bin/env python3
"""Run Cicada from a fresh clone: `python3 dev.py demo`, `python3 dev.py test` or `python3 dev.py lint`.

Creates `.venv` beside this file and installs the project into it on the
first run, and again whenever pyproject.toml changes; then runs the command
inside it. Needs only Python 3.11+ with its standard venv module.

    python3 dev.py demo [ARGS]     start Cicada with embedded defaults and demo data
    python3 dev.py test [ARGS]     run the whole test suite in parallel (ARGS go to pytest)
    python3 dev.py lint            check the code: ruff, the import contracts, mypy on the cores
    python3 dev.py docs            write the pages generated from the code (docs/bus.md)
    python3 dev.py cicada ARGS     any `cicada` subcommand
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".cicada-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):
        print(f"Cicada needs Python 3.11 or newer; this is {sys.version.split()[0]}.", file=sys.stderr)
        return 2
    if not argv or argv[0] in ("-h", "--help", "help") or argv[0] not in ("demo", "test", "lint", "docs", "cicada"):
        print(__doc__.strip())
        return 0 if not argv or argv[0] in ("-h", "--help", "help") else 2
    ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "test":
        return run_tests(rest)
    if command == "lint":
        return run_linters()
    if command == "docs":
        return run_to_the_end([str(BIN / "python"), "-m", "bus.docs"], cwd=ROOT)
    if command == "demo":
        return run_to_the_end([str(BIN / "cicada"), "demo", *rest])
    return run_to_the_end([str(BIN / "cicada"), *rest])


def run_to_the_end(command: list[str], env: dict | None = None, cwd: Path | None = None) -> int:
    """Run `command` and wait for it, however long it takes to stop. Ctrl-C reaches it from the
    terminal (it is in our process group), and SIGTERM or SIGHUP sent to us are passed on: it stops
    its own children in order. subprocess.call would kill it a quarter of a second after Ctrl-C,
    leaving its children running. On Linux it is also sent SIGTERM if we are killed (kill -9)."""
    child = subprocess.Popen(command, env=env, cwd=cwd, preexec_fn=_stop_when_we_end)

    def pass_on(signum, _frame):
        if child.poll() is None:
            child.send_signal(signum)

    passed_on = [sig for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if sig is not None]
    previous = {sig: signal.signal(sig, pass_on) for sig in passed_on}
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the child has it too
    try:
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if sys.platform.startswith("linux"):
    import ctypes

    _prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up now: nothing may be loaded between fork and exec

    def _stop_when_we_end() -> None:
        """In the child, before it runs: SIGTERM when this process ends, however it ends
        (PR_SET_PDEATHSIG), so that a killed dev.py leaves no demo running on its own."""
        _prctl(1, signal.SIGTERM)
else:
    _stop_when_we_end = None


def ensure_environment() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"Creating the virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing Cicada and its dependencies (the first time takes a few minutes) ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    subprocess.run([*pip, "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "--quiet", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


# What `lint` runs, each configured in pyproject.toml; CI runs it before the tests.
LINTERS = (
    ("ruff", ["check", "."]),  # defects pyflakes, pycodestyle and bugbear find
    ("lint-imports", []),  # the architecture's import rules (docs/architecture.md)
    ("mypy", []),  # types in the pure cores
)


def run_linters() -> int:
    """Run every linter, even after one failed, so that one run shows everything to fix."""
    failed = []
    for tool, args in LINTERS:
        print(f"--- {tool} {' '.join(args)}".rstrip(), flush=True)
        if subprocess.run([str(BIN / tool), *args], cwd=ROOT).returncode != 0:
            failed.append(tool)
    if failed:
        print(f"lint failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("lint passed", flush=True)
    return 0


def run_tests(args: list[str]) -> int:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    if not env.get("CICADA_TEST_PG_URL"):
        print("CICADA_TEST_PG_URL is not set: the PostgreSQL half of the database tests is skipped.\n"
              "Set it, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test, to run them.", flush=True)
    return run_to_the_end([str(BIN / "python"), "-m", "pytest", *test_workers(args, env), *args],
                          env=env, cwd=ROOT)


# Seven integration test modules on two shared cores: 236 s in 2 processes, 199 s in 4, 205 s in 6.
TEST_WORKERS = "4"


def test_workers(args: list[str], env: dict) -> list[str]:
    """pytest-xdist's -n: the suite runs in TEST_WORKERS processes, more than two cores' worth,
    because its integration tests mostly wait on the processes they start. CICADA_TEST_WORKERS
    says otherwise; an -n in ARGS comes later on the command line and wins; -p no:xdist gets none."""
    if any(arg in ("no:xdist", "-pno:xdist") for arg in args):
        return []
    # Two tests at a time to a process: by default xdist hands each a quarter of its share at
    # once, and the run ends with one process working through a block of long tests alone.
    return ["-n", env.get("CICADA_TEST_WORKERS", TEST_WORKERS), "--maxschedchunk", "2"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
