"""Saving the agent's contact: the interaction record with its script run and the
Action Box's follow-ups linked, and a call script run on its own while the
contact goes on."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, field_validator

from app_service import records
from app_service.app import Token, reply, signed_in
from app_service.record_results import ActionDone, ContactRecord, RecordSaved, ScriptRunSaved, ScriptState

router = APIRouter(prefix="/v1", tags=["records"])

MAX_STATE_BYTES = 256 * 1024


class ScriptStateBody(BaseModel):
    name: str = Field(max_length=80)
    version: int = Field(ge=1)
    state: dict[str, Any]

    @field_validator("state")
    @classmethod
    def _not_too_large(cls, state: dict) -> dict:
        from app_service import wire

        if len(wire.encode(state)) > MAX_STATE_BYTES:
            raise ValueError(f"a script run's state is at most {MAX_STATE_BYTES} bytes")
        return state

    def as_state(self) -> ScriptState:
        return ScriptState(self.name, self.version, self.state)


class ActionDoneBody(BaseModel):
    transaction_id: int | None = None
    email_id: int | None = None


class ContactRecordBody(BaseModel):
    kind: str = Field("inbound", max_length=20, description="inbound, transfer, consult, outbound")
    interaction_id: int | None = None
    call_id: str | None = Field(None, max_length=80)
    lost: bool = False
    ani: str | None = Field(None, max_length=64)
    dnis: str | None = Field(None, max_length=64)
    queue: str | None = Field(None, max_length=80)
    offered_at: float | None = Field(None, ge=0, le=1e11)
    partner_id: int | None = None
    contact_person_id: int | None = None
    reason_code: str | None = Field(None, max_length=40)
    outcome_code: str | None = Field(None, max_length=40)
    notes: str | None = Field(None, max_length=20_000)
    script: ScriptStateBody | None = None
    actions_done: list[ActionDoneBody] = Field(default_factory=list, max_length=200)

    def as_record(self) -> ContactRecord:
        fields = self.model_dump(exclude={"script", "actions_done"})
        return ContactRecord(**fields, script=self.script.as_state() if self.script else None,
                             actions_done=[ActionDone(**a.model_dump()) for a in self.actions_done])


class ScriptRunBody(BaseModel):
    call_id: str | None = Field(None, max_length=80)
    partner_id: int | None = None
    script: ScriptStateBody


@router.post("/contact-records", response_model=RecordSaved,
             summary="Save the agent's contact: its interaction record (the call's segment, the email's or "
                     "chat's record, or a new one), its script run, the follow-ups made in it")
def save_contact(body: ContactRecordBody, request: Request, token: str = Token):
    with signed_in(request, token, writing=True) as (session, who):
        record_id = records.save_contact(session, who.actor, body.as_record())
    return reply(RecordSaved(record_id))


@router.post("/script-runs", response_model=ScriptRunSaved,
             summary="Save a call script run as it stands (404 while the gateway has not recorded the call)")
def save_script_run(body: ScriptRunBody, request: Request, token: str = Token):
    with signed_in(request, token, writing=True) as (session, who):
        run_id = records.save_script_run(session, who.actor, body.script.as_state(), call_id=body.call_id,
                                         partner_id=body.partner_id)
    return reply(ScriptRunSaved(run_id))
