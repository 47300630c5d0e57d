"""The import contracts in pyproject.toml catch what they are there for: a copy of the code
with imports that break the architecture's rules fails `lint-imports`, contract by contract,
while the same copy without them passes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
CONTRACTS = {contract["name"] for contract in PYPROJECT["tool"]["importlinter"]["contracts"]}

# A module dropped into a package, and the contract its import breaks.
BREAKS = {
    "crm/_breaks_rule.py": ("import bus\n", "Layers: each package imports only the layers below it"),
    "email_queue/_breaks_rule.py": ("from cti_gateway import service\n", "The services do not import each other"),
    "bus/_breaks_rule.py": ("import PySide6.QtCore\n", "Qt (PySide6) is imported only in agent_desktop"),
    "scripting/_breaks_rule.py": ("import pjsua2\n", "pjsua2 is imported only in cti_gateway.sip"),
    "agent_desktop/_breaks_rule.py": (
        "from crm import db\n", "The desktop does its CRM work through the application service, not the database"),
    "cti_gateway/_breaks_rule.py": ("import sqlalchemy\n", None),  # the gateway may use the database
    "agent_desktop/work_modes.py": (
        "from PySide6.QtCore import QTimer\n",
        "The desktop decides in plain Python: only agent_desktop.ui (and app, which starts it) imports Qt"),
}


@pytest.fixture
def code_copy(tmp_path: Path) -> Path:
    for package in PYPROJECT["tool"]["importlinter"]["root_packages"]:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def lint_imports(where: Path) -> tuple[int, str]:
    tool = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(tool), "--no-cache"], cwd=where, capture_output=True, text=True, timeout=120)
    return done.returncode, re.sub(r"\s+", " ", done.stdout)  # long contract names wrap


def test_every_broken_rule_fails_its_own_contract_and_the_untouched_code_passes(code_copy):
    assert {contract for _, contract in BREAKS.values() if contract} <= CONTRACTS
    code, report = lint_imports(code_copy)
    assert code == 0, report
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in report

    for path, (source, _) in BREAKS.items():
        (code_copy / path).write_text(source)
    code, report = lint_imports(code_copy)
    assert code != 0
    for _, contract in BREAKS.values():
        if contract:
            assert f"{contract} BROKEN" in report, contract
    broken = {contract for _, contract in BREAKS.values() if contract}
    assert f"{len(CONTRACTS) - len(broken)} kept, {len(broken)} broken." in report


def test_every_desktop_module_beside_its_views_is_held_to_plain_python():
    """A new model of the desktop (work modes, mail news, ...) is in the contract that keeps Qt out."""
    contract = next(c for c in PYPROJECT["tool"]["importlinter"]["contracts"]
                    if c["name"].startswith("The desktop decides in plain Python"))
    beside_views = {f"agent_desktop.{p.stem}" for p in (ROOT / "agent_desktop").glob("*.py")
                    if p.stem not in ("__init__", "app")}
    assert set(contract["source_modules"]) == beside_views
