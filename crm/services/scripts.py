"""Call scripts in the CRM: versions, activation, the runs agents make of
them and what those runs add up to.

The CRM stores a script's document as plain data and never interprets it:
`scripting` checks a document before it is stored or activated and walks it
during a contact. A version, once stored, never changes; a run records the
version it walked, so a script changed while an agent runs it leaves that
run alone.

Who may do what: supervisors and administrators import and activate
scripts (Permission.SCRIPT_MANAGE) and read reports
(Permission.INTERACTION_READ_ANY); every user reads the active scripts; an
agent records his own runs. A run follows its call: the agent the call is
transferred to goes on with it, and it then links to his segment while
staying linked to the segments it was handed over from. The agent who
handed it over can no longer save it (RunHandedOver), so her copy, still
open in wrap-up, never overwrites what the colleague answered since.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm import texts
from crm.clock import utcnow
from crm.errors import NotFound, PermissionDenied, RunHandedOver, ValidationError  # noqa: F401 - RunHandedOver: named as this module's too
from crm.models import (
    BusinessPartner,
    CallScript,
    CallScriptVersion,
    Interaction,
    ScriptAnswer,
    ScriptRun,
    ScriptRunSegment,
    User,
)
from crm.permissions import Actor, Permission, can_read
from crm.services.interactions import my_call_segment

KINDS = ("interactive", "prompt")
NAME_LENGTH = 60
MAX_ANSWERS = 500  # per run


@dataclass(frozen=True)
class ScriptInfo:
    name: str
    kind: str
    title: str
    language: str
    versions: int
    latest_version: int
    active_version: int | None
    updated_at: datetime


@dataclass(frozen=True)
class StoredVersion:
    name: str
    kind: str
    version: int
    title: str
    language: str
    document: dict
    source: str | None
    created_at: datetime
    active: bool


# --- versions -----------------------------------------------------------------------------


def add_version(session: Session, actor: Actor, *, name: str, kind: str, document: dict,
                title: str = "", language: str = "en", source: str | None = None) -> StoredVersion:
    """Store a new version of the script `name` (creating the script on its first
    version); the caller has validated the document."""
    actor.require(Permission.SCRIPT_MANAGE, "import call scripts")
    if not name or len(name) > NAME_LENGTH:
        raise ValidationError(f"a script's name has 1 to {NAME_LENGTH} characters")
    if kind not in KINDS:
        raise ValidationError(f"a script is {' or '.join(KINDS)}, not {kind!r}")
    if not isinstance(document, dict):
        raise ValidationError("a script's document is a mapping")
    texts.check_each({"the script's name": name, "the title": title, "the language": language,
                      "the script": document, "the script's source": source})
    script = session.scalar(select(CallScript).where(CallScript.name == name).with_for_update())
    if script is None:
        script = CallScript(name=name, kind=kind)
        session.add(script)
        session.flush()
    elif script.kind != kind:
        raise ValidationError(f"{name} is a {script.kind} script; a version cannot make it {kind}")
    latest = session.scalar(select(func.max(CallScriptVersion.version))
                            .where(CallScriptVersion.script_id == script.id)) or 0
    row = CallScriptVersion(script_id=script.id, version=latest + 1, title=(title or "")[:200],
                            language=(language or "en")[:10], document=document, source=source,
                            created_by_id=actor.user_id)
    session.add(row)
    session.flush()
    return _stored(script, row)


def activate(session: Session, actor: Actor, name: str, version: int) -> None:
    """Make `version` the one agents get; the caller has validated it."""
    actor.require(Permission.SCRIPT_MANAGE, "activate call scripts")
    script = _script(session, name)
    if _version_row(session, script, version) is None:
        raise NotFound(f"{name} has no version {version}")
    script.active_version = version


def deactivate(session: Session, actor: Actor, name: str) -> None:
    actor.require(Permission.SCRIPT_MANAGE, "deactivate call scripts")
    _script(session, name).active_version = None


def list_scripts(session: Session, actor: Actor) -> list[ScriptInfo]:
    _require_user(actor)
    rows = session.execute(
        select(CallScript, func.count(CallScriptVersion.id), func.max(CallScriptVersion.version),
               func.max(CallScriptVersion.created_at))
        .join(CallScriptVersion, CallScriptVersion.script_id == CallScript.id)
        .group_by(CallScript.id).order_by(CallScript.name)).all()
    infos = []
    for script, count, latest, updated in rows:
        shown = _version_row(session, script, script.active_version or latest)
        assert shown is not None  # the join gave the script at least one version
        infos.append(ScriptInfo(script.name, script.kind, shown.title, shown.language, count, latest,
                                script.active_version, updated))
    return infos


def get_version(session: Session, actor: Actor, name: str, version: int | None = None) -> StoredVersion:
    """A version of a script: `version`, else the active one, else the latest."""
    _require_user(actor)
    script = _script(session, name)
    wanted = version or script.active_version or session.scalar(
        select(func.max(CallScriptVersion.version)).where(CallScriptVersion.script_id == script.id))
    row = _version_row(session, script, wanted)
    if row is None:
        raise NotFound(f"{name} has no version {wanted}")
    return _stored(script, row)


def active_versions(session: Session, actor: Actor) -> list[StoredVersion]:
    """Every active script, as desktops choose from them."""
    _require_user(actor)
    rows = session.execute(
        select(CallScript, CallScriptVersion)
        .join(CallScriptVersion, (CallScriptVersion.script_id == CallScript.id)
              & (CallScriptVersion.version == CallScript.active_version))
        .order_by(CallScript.name)).all()
    return [_stored(script, row) for script, row in rows]


def _script(session: Session, name: str) -> CallScript:
    script = session.scalar(select(CallScript).where(CallScript.name == name))
    if script is None:
        raise NotFound(f"There is no call script named {name!r}.")
    return script


def _version_row(session: Session, script: CallScript, version: int | None) -> CallScriptVersion | None:
    if version is None:
        return None
    return session.scalar(select(CallScriptVersion).where(
        CallScriptVersion.script_id == script.id, CallScriptVersion.version == version))


def _stored(script: CallScript, row: CallScriptVersion) -> StoredVersion:
    return StoredVersion(script.name, script.kind, row.version, row.title, row.language, row.document,
                         row.source, row.created_at, script.active_version == row.version)


def _require_user(actor: Actor) -> None:
    if actor.user_id is None and not actor.can(Permission.SCRIPT_MANAGE):
        raise PermissionDenied(f"{actor.username} is not a user of the CRM")


# --- runs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunAnswer:
    node: str
    value: Any
    answered_at: datetime


@dataclass(frozen=True)
class RunRecord:
    """A run as the desktop keeps it: the whole of it, written again on each change."""

    run_key: str
    script: str
    version: int
    started_at: datetime
    last_node: str
    state: dict
    answers: list[RunAnswer] = field(default_factory=list)
    ended_at: datetime | None = None
    outcome: str | None = None
    partner_id: int | None = None


def save_run(session: Session, actor: Actor, run: RunRecord, *, contact_id: str | None = None,
             interaction_id: int | None = None) -> int:
    """Write the run (creating it, or replacing what an earlier save wrote) and
    link it to the actor's interaction record: the given one, or his segment of
    the call `contact_id` once the CTI gateway has recorded it."""
    if actor.user_id is None:
        raise ValidationError(f"{actor.username} is not a user of the CRM; script runs belong to agents")
    if not run.run_key or len(run.run_key) > 40:
        raise ValidationError("a run is named by a key of 1 to 40 characters")
    if len(run.answers) > MAX_ANSWERS:
        raise ValidationError(f"a run has at most {MAX_ANSWERS} answers")
    texts.check_each({"the run's key": run.run_key, "the contact id": contact_id, "the step": run.last_node,
                      "the outcome": run.outcome, "the answers": [(a.node, a.value) for a in run.answers],
                      "the run's state": run.state})
    script = _script(session, run.script)
    version = _version_row(session, script, run.version)
    if version is None:
        raise NotFound(f"{run.script} has no version {run.version}")
    if run.partner_id is not None and session.get(BusinessPartner, run.partner_id) is None:
        raise ValidationError(f"there is no partner with id {run.partner_id}")
    row = session.scalar(select(ScriptRun).where(ScriptRun.run_key == run.run_key).with_for_update())
    if row is None:
        row = ScriptRun(run_key=run.run_key, script_version_id=version.id, agent_id=actor.user_id,
                        started_at=_naive(run.started_at), last_node=run.last_node, state=run.state)
        session.add(row)
    elif row.agent_id != actor.user_id and _taken_over(session, actor, row, contact_id, interaction_id):
        _keep_segment_link(session, row)
        row.agent_id, row.interaction_id = actor.user_id, None  # now his segment's
    if row.script_version_id != version.id:
        raise ValidationError(f"the run {run.run_key} walks another script version")
    if contact_id is not None:
        row.contact_id = contact_id[:64]
        if interaction_id is None and row.interaction_id is None and row.agent_id == actor.user_id:
            segment = my_call_segment(session, actor, contact_id)
            interaction_id = segment.id if segment is not None else None
    if interaction_id is not None:
        row.interaction_id = interaction_id
    row.partner_id = run.partner_id
    row.last_node = run.last_node[:60]
    row.ended_at = _naive(run.ended_at) if run.ended_at else None
    row.outcome = run.outcome
    row.state = run.state
    row.updated_at = utcnow()
    row.answers = [ScriptAnswer(seq=i, node_id=a.node[:60], value=a.value, answered_at=_naive(a.answered_at))
                   for i, a in enumerate(run.answers, 1)]
    session.flush()
    return row.id


def _taken_over(session: Session, actor: Actor, row: ScriptRun, contact_id: str | None,
                interaction_id: int | None) -> bool:
    """Whether another agent's run goes on with the actor: yes for the agent the
    call was transferred to (he holds a later segment of it than the run's
    holder); the agent who handed it over is refused, with her record linked
    to it; a supervisor may correct any run without taking it over; anyone
    else is refused."""
    mine = my_call_segment(session, actor, contact_id) if (
        contact_id is not None and contact_id == row.contact_id) else None
    if mine is not None:
        holder = _holder_segment(session, row)
        if holder is None or (mine.segment_no or 0) > (holder.segment_no or 0):  # a call's segments have numbers
            return True
        _link_segment(session, row, interaction_id or mine.id)
        holder_user = session.get(User, row.agent_id) if row.agent_id else None
        holder_name = holder_user.username if holder_user else "a colleague"
        raise RunHandedOver(f"the script run went on with {holder_name} after the transfer; "
                            "changes made here afterwards are not saved over the colleague's answers")
    if actor.can(Permission.INTERACTION_READ_ANY):
        return False
    if contact_id is not None and contact_id == row.contact_id:
        raise NotFound(f"the gateway has not recorded call {contact_id} for you yet; try again in a moment")
    raise PermissionDenied(f"the run {row.run_key} is another agent's")


def _holder_segment(session: Session, row: ScriptRun) -> Interaction | None:
    """The segment of the call the run's current agent holds it in."""
    if row.interaction_id is not None:
        return session.get(Interaction, row.interaction_id)
    if row.agent_id is None or row.contact_id is None:
        return None
    return session.scalar(select(Interaction).where(
        Interaction.contact_id == row.contact_id, Interaction.agent_id == row.agent_id)
        .order_by(Interaction.segment_no.desc()).limit(1))


def _keep_segment_link(session: Session, row: ScriptRun) -> None:
    """Before the run moves on to the next agent: it stays linked to the record
    of the agent who hands it over."""
    holder = _holder_segment(session, row)
    if holder is not None:
        _link_segment(session, row, holder.id)


def _link_segment(session: Session, row: ScriptRun, interaction_id: int) -> None:
    if row.id is None:
        return
    linked = session.scalar(select(ScriptRunSegment.id).where(
        ScriptRunSegment.run_id == row.id, ScriptRunSegment.interaction_id == interaction_id))
    if linked is None:
        session.add(ScriptRunSegment(run_id=row.id, interaction_id=interaction_id))
        session.flush()


@dataclass(frozen=True)
class StoredRun:
    run_key: str
    script: str
    version: int
    agent: str | None
    state: dict
    outcome: str | None
    interaction_id: int | None
    answers: list[RunAnswer]


def runs_of_contact(session: Session, actor: Actor, contact_id: str) -> list[StoredRun]:
    """The runs made during a call, oldest first: an agent receiving a
    transferred call goes on from the last.

    The call's id is the key: the gateway makes it at random (64 bits) and tells it only to
    the agents it offers the call to and their supervisors, on the closed bus, and the
    receiving agent asks at the offer, before anything of his is written. A run kept with
    the record of a customer is shown only to whom may read that customer."""
    _require_user(actor)
    rows = session.scalars(select(ScriptRun).where(ScriptRun.contact_id == contact_id)
                           .order_by(ScriptRun.started_at, ScriptRun.id)).all()
    return [_stored_run(session, row) for row in rows
            if row.interaction_id is None or _customer_readable(session, actor, row.interaction_id)]


def runs_of_interaction(session: Session, actor: Actor, interaction_id: int) -> list[StoredRun]:
    """The runs of a record: those it holds and those handed over from it."""
    _require_user(actor)
    if not _may_read_record(session, actor, interaction_id):
        raise PermissionDenied(f"{actor.username} may not read interaction {interaction_id} "
                               "(its customer is another user's and not shared)")
    handed_over = select(ScriptRunSegment.run_id).where(ScriptRunSegment.interaction_id == interaction_id)
    rows = session.scalars(select(ScriptRun).where(
        (ScriptRun.interaction_id == interaction_id) | ScriptRun.id.in_(handed_over))
        .order_by(ScriptRun.started_at, ScriptRun.id)).all()
    return [_stored_run(session, row) for row in rows]


def _customer_readable(session: Session, actor: Actor, interaction_id: int) -> bool:
    partner_id = session.scalar(select(Interaction.partner_id).where(Interaction.id == interaction_id))
    partner = session.get(BusinessPartner, partner_id) if partner_id is not None else None
    return partner is None or can_read(session, actor, partner)


def _may_read_record(session: Session, actor: Actor, interaction_id: int) -> bool:
    """As for the history: a record of a customer the actor may read; one without a customer
    only by its own agent or who may read any record."""
    interaction = session.get(Interaction, interaction_id)
    if interaction is None:
        return False
    if interaction.partner_id is not None:
        partner = session.get(BusinessPartner, interaction.partner_id)
        return partner is not None and can_read(session, actor, partner)
    return interaction.agent_id == actor.user_id or actor.can(Permission.INTERACTION_READ_ANY)


def _stored_run(session: Session, row: ScriptRun) -> StoredRun:
    agent = session.get(User, row.agent_id) if row.agent_id else None
    return StoredRun(row.run_key, row.version.script.name, row.version.version,
                     agent.username if agent else None, row.state, row.outcome, row.interaction_id,
                     [RunAnswer(a.node_id, a.value, a.answered_at) for a in row.answers])


# --- reports ---------------------------------------------------------------------------------


@dataclass
class VersionReport:
    script: str
    version: int
    title: str
    document: dict
    runs: int = 0
    finished: int = 0
    outcomes: Counter = field(default_factory=Counter)  # end outcome -> runs
    ended_at: Counter = field(default_factory=Counter)  # node where runs ended or stopped -> runs
    answers: dict[str, Counter] = field(default_factory=dict)  # question node -> value -> runs


def report(session: Session, actor: Actor, name: str, version: int | None = None,
           since: datetime | None = None, until: datetime | None = None) -> list[VersionReport]:
    """Per version of the script (or only `version`): how many runs, where they
    ended, and how the questions were answered."""
    actor.require(Permission.INTERACTION_READ_ANY, "read script reports")
    script = _script(session, name)
    versions = session.scalars(select(CallScriptVersion).where(CallScriptVersion.script_id == script.id)
                               .order_by(CallScriptVersion.version)).all()
    if version is not None:
        versions = [v for v in versions if v.version == version]
        if not versions:
            raise NotFound(f"{name} has no version {version}")
    reports = {v.id: VersionReport(name, v.version, v.title, v.document) for v in versions}
    runs = select(ScriptRun.id, ScriptRun.script_version_id, ScriptRun.ended_at, ScriptRun.outcome,
                  ScriptRun.last_node).where(ScriptRun.script_version_id.in_(list(reports)))
    if since is not None:
        runs = runs.where(ScriptRun.started_at >= _naive(since))
    if until is not None:
        runs = runs.where(ScriptRun.started_at < _naive(until))
    run_version: dict[int, int] = {}
    for run_id, version_id, ended_at, outcome, last_node in session.execute(runs):
        entry = reports[version_id]
        run_version[run_id] = version_id
        entry.runs += 1
        entry.ended_at[last_node] += 1
        if ended_at is not None:
            entry.finished += 1
            entry.outcomes[outcome or ""] += 1
    if run_version:
        ids = list(run_version)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for run_id, node, value in session.execute(
                    select(ScriptAnswer.run_id, ScriptAnswer.node_id, ScriptAnswer.value)
                    .where(ScriptAnswer.run_id.in_(chunk))):
                counts = reports[run_version[run_id]].answers.setdefault(node, Counter())
                for each in (value if isinstance(value, list) else [value]):
                    counts["" if each is None else str(each)] += 1
    return list(reports.values())


def _naive(value: datetime) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(f"a date and time is needed, not {value!r}")
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value
