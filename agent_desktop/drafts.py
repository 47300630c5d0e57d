"""Drafts of interaction records on the agent's disk, so nothing typed is
lost when a call drops, the gateway restarts, the database is away or the
window is closed. One JSON file per contact, written atomically on every
change and removed once the record is saved in the CRM."""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def default_draft_dir() -> Path:
    return Path(platformdirs.user_state_dir("cicada")) / "drafts"


class DraftStore:
    def __init__(self, directory: Path, agent: str):
        self.directory = Path(directory) / _safe(agent)

    def _path(self, contact_key: str) -> Path:
        return self.directory / f"{_safe(contact_key)}.json"

    def save(self, contact_key: str, data: dict) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".draft-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self._path(contact_key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def discard(self, contact_key: str) -> None:
        self._path(contact_key).unlink(missing_ok=True)

    def pending(self) -> list[dict]:
        """Every draft not saved yet, oldest first; unreadable files are kept aside."""
        if not self.directory.exists():
            return []
        drafts = []
        for path in sorted(self.directory.glob("*.json"), key=lambda p: p.stat().st_mtime):
            try:
                drafts.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError) as exc:
                log.error("draft %s cannot be read (%s); it is left in place", path, exc)
        return drafts


def _safe(text: str) -> str:
    return _SAFE.sub("_", text) or "_"
