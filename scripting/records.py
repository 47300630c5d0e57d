"""A script run as the CRM records it (crm.services.scripts.RunRecord)."""

from __future__ import annotations

from datetime import UTC, datetime

from crm.services.scripts import RunAnswer, RunRecord
from scripting.runner import ScriptRun


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


def run_record(run: ScriptRun, *, partner_id: int | None = None) -> RunRecord:
    """The whole run: its answers that count, where it stands, its state to resume it."""
    return RunRecord(
        run_key=run.run_id, script=run.script.name, version=run.version,
        started_at=_utc(run.started_at), last_node=run.path[-1], state=run.to_state(),
        answers=[RunAnswer(a.node, a.value, _utc(a.at)) for a in run.recorded()],
        ended_at=_utc(run.ended_at) if run.ended_at else None, outcome=run.outcome,
        partner_id=partner_id)
