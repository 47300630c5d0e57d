"""Running an action: its form's values checked first, then the handler in
one unit of work with the link to the interaction record, so that an
action either happens whole, linked, or not at all.

A handler that raises something other than the CRM's own errors is a bug
of that action: the unit of work rolls back, the agent reads "the action
... failed" and the log has the traceback. The interaction itself is not
touched either way.
"""

from __future__ import annotations

import logging
from datetime import date, time
from typing import Any

from crm.db import Database
from crm.errors import CrmError, ValidationError
from crm.permissions import Actor
from crm.services.interactions import my_call_segment
from crm.services.transactions import link_to_interaction
from crm.services.users import require_active
from action_box.model import Action, ActionFailed, Context, Done, Field, Outcome, unavailable  # noqa: F401 - ActionFailed

log = logging.getLogger(__name__)


def check_values(fields: list[Field], values: dict[str, Any]) -> dict[str, Any]:
    """The values the handler gets: required fields present, choices among
    their choices, lengths, numbers and lines well-formed; ValidationError
    naming every field that is wrong."""
    problems, clean = [], {}
    for field in fields:
        value = values.get(field.name, field.default)
        if isinstance(value, str):
            value = value.strip()
        empty = value in (None, "", []) or (field.kind == "lines" and not value)
        if empty:
            if field.required:
                problems.append(f"{field.label}: required")
            clean[field.name] = None if field.kind != "lines" else []
            continue
        problem = _check(field, value)
        if problem:
            problems.append(f"{field.label}: {problem}")
        clean[field.name] = _number(value) if field.kind == "number" and not problem else value
    if problems:
        raise ValidationError("; ".join(problems))
    return clean


def _check(field: Field, value) -> str | None:
    if field.kind == "choice" and value not in {v for v, _ in field.choices}:
        return f"{value!r} is not one of the choices"
    if field.kind in ("text", "multiline", "email", "editable_choice"):
        if not isinstance(value, str):
            return "text is needed"
        if field.max_length and len(value) > field.max_length:
            return f"at most {field.max_length} characters"
    if field.kind == "date" and not isinstance(value, date):
        return "a date is needed"
    if field.kind == "time" and not isinstance(value, time):
        return "a time is needed"
    if field.kind == "number":
        number = _number(value)
        if number is None:
            return f"{value!r} is not a number"
        if field.minimum is not None and number < field.minimum:
            return f"at least {field.minimum:g}"
    if field.kind == "lines":
        if not isinstance(value, list) or not all(isinstance(line, (list, tuple)) and len(line) == 2 for line in value):
            return "product lines are (product, quantity) pairs"
    return None


def _number(value) -> float | None:
    try:
        return float(str(value).replace(",", ".").replace(" ", ""))
    except ValueError:
        return None


def run(database: Database, actor: Actor, action: Action, context: Context, values: dict[str, Any],
        *, interaction_id: int | None = None) -> Done:
    """Check, perform and link in a unit of work of its own; ValidationError / NotFound /
    PermissionDenied (nothing written) or ActionFailed for a broken handler."""
    with database.unit_of_work() as session:
        require_active(session, actor)
        return perform(session, actor, action, context, values, interaction_id=interaction_id)


def perform(session, actor: Actor, action: Action, context: Context, values: dict[str, Any],
            *, interaction_id: int | None = None) -> Done:
    """Check, perform and link in the caller's unit of work, which must roll back on any
    error this raises (the application service's request does)."""
    reason = unavailable(action, context)
    if reason:
        raise ValidationError(f"{action.label}: {reason}")
    clean = check_values(action.fields(context), values)
    try:
        outcome = action.perform(session, actor, context, clean)
        if not isinstance(outcome, Outcome):
            raise TypeError(f"perform() returned {type(outcome).__name__}, not an Outcome")
        linked = _link(session, actor, context, outcome, interaction_id)
    except CrmError:
        raise
    except Exception as exc:
        log.exception("the action %s failed", action.id)
        raise ActionFailed(f"the action {action.label} failed: {type(exc).__name__}: {exc}. "
                           "Nothing was saved.") from exc
    return Done(action.id, outcome, linked)


def _link(session, actor: Actor, context: Context, outcome: Outcome, interaction_id: int | None) -> int | None:
    """Link what was created to the interaction record: the given one, or the
    agent's segment of the call once the CTI gateway has recorded it (else the
    desktop links it when it saves the record)."""
    if interaction_id is None and context.call is not None and context.call.call_id:
        segment = my_call_segment(session, actor, context.call.call_id)
        interaction_id = segment.id if segment is not None else None
    if interaction_id is None:
        return None
    if outcome.transaction_id is not None:
        link_to_interaction(session, actor, interaction_id, outcome.transaction_id)
    if outcome.email_id is not None:
        from crm.models import OutboundEmail

        session.get(OutboundEmail, outcome.email_id).interaction_id = interaction_id
    return interaction_id
