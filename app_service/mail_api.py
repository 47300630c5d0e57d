"""Emails and chats in the CRM: the inbox lists, a conversation, its attachments,
replies (with files), internal notes, the customer a conversation is linked to,
failed emails sent again, and reply templates rendered for a conversation.

Who may see or do what is decided by the `crm` services with the session's
actor. The mail queue's own work (offers, accepting, chat lines) goes over the
bus, not here.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Literal
from urllib.parse import quote

import anyio
import pydantic
from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, StringConstraints

from crm.errors import ValidationError
from crm.services.conversations import answering, handling, reading
from crm.conversation_types import (
    ATTACHMENT_BYTES,
    NOTE_LENGTH,
    REPLY_ATTACHMENT_BYTES,
    REPLY_ATTACHMENTS,
    ConversationView,
    InboxRow,
    NewAttachment,
)
from scripting.replies import render_reply
from app_service.app import Token, reply, signed_in
from app_service.mail_results import RenderedText, Requeued, Stored

SMALL_BODY_BYTES = 1_000_000  # a note, a template: text only (JSON may spell a character in 6 bytes)
# A reply: its files in base64 (4 bytes for 3) and its text.
REPLY_BODY_BYTES = REPLY_ATTACHMENT_BYTES * 4 // 3 + 8_000_000
INBOX_ROWS = 500  # what the service reads at most in one page
DOWNLOAD_CHUNK = 256 * 1024

router = APIRouter(prefix="/v1", tags=["mail"], max_body_size=SMALL_BODY_BYTES)

Line = Annotated[str, StringConstraints(max_length=1000)]
QueueName = Annotated[str, StringConstraints(max_length=80)]


# --- reading ---------------------------------------------------------------------------------


@router.get("/conversations", response_model=list[InboxRow],
            summary="The inbox: the agent's own conversations, or the group inbox of queues; due first")
def inbox(request: Request, token: str = Token,
          mine: bool = Query(True, description="The agent's own conversations (else: the group inbox)"),
          queue: list[QueueName] | None = Query(None, max_length=200,
                                                description="The group inbox of these queues (all when none)"),
          channel: Literal["email", "chat"] | None = None,
          include_closed: bool = False,
          text: str | None = Query(None, max_length=200, description="In the subject, the customer's name or address"),
          only: Literal["failed", "closed"] | None = Query(
              None, description="failed: with an email that could not be sent; closed: closed lately"),
          offset: int = Query(0, ge=0, le=1_000_000), limit: int = Query(100, ge=1, le=INBOX_ROWS)):
    with signed_in(request, token) as (session, who):
        return reply(reading.inbox(session, who.actor, mine=mine, queues=queue, channel=channel,
                                   include_closed=include_closed, text=text, only=only, offset=offset,
                                   limit=limit))


@router.get("/conversations/{conversation_id}", response_model=ConversationView,
            summary="A conversation with its messages, their attachments (not their content) and deliveries")
def conversation(conversation_id: int, request: Request, token: str = Token):
    with signed_in(request, token) as (session, who):
        return reply(reading.conversation_view(session, who.actor, conversation_id))


@router.get("/attachments/{attachment_id}", response_class=StreamingResponse,
            responses={200: {"content": {"application/octet-stream": {}},
                             "description": "The file, its name in Content-Disposition"}},
            summary="An attachment's content, as a download")
def attachment(attachment_id: int, request: Request, token: str = Token):
    with signed_in(request, token) as (session, who):
        filename, content_type, content = reading.attachment_content(session, who.actor, attachment_id)
    return StreamingResponse(_chunks(content), media_type=download_type(content_type), headers={
        "Content-Length": str(len(content)),
        "Content-Disposition": content_disposition(filename),
        "X-Content-Type-Options": "nosniff",  # a browser must not guess HTML out of a customer's file
        "Content-Security-Policy": "sandbox",
        "Cache-Control": "no-store",
    })


async def _chunks(content: bytes):
    view = memoryview(content)
    for start in range(0, len(view), DOWNLOAD_CHUNK):
        yield view[start:start + DOWNLOAD_CHUNK]


_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}")


def download_type(content_type: str | None) -> str:
    """The stored type (a sender wrote it) when it is a well-formed media type, else bytes."""
    bare = (content_type or "").split(";", 1)[0].strip().lower()
    return bare if _MEDIA_TYPE.fullmatch(bare) else "application/octet-stream"


def download_name(filename: str | None) -> str:
    """The file's own name without what could lead a saving program elsewhere: no folders,
    no control characters, no leading dots (a hidden file)."""
    name = re.sub(r"[\x00-\x1f\x7f/\\]", "_", (filename or "").strip())
    name = name.lstrip(". ").strip()
    return name[:200] or "attachment"


def content_disposition(filename: str | None) -> str:
    """RFC 6266: an ASCII stand-in for old clients, and the name itself in UTF-8 (中文 intact)."""
    name = download_name(filename)
    fallback = re.sub(r'[^\x20-\x7e]|["%;\\]', "_", name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


# --- writing -----------------------------------------------------------------------------------


class AttachmentUpload(BaseModel):
    filename: str = Field(max_length=1000)
    content_type: str = Field(max_length=255)
    content: str = Field(max_length=(ATTACHMENT_BYTES + 2) // 3 * 4, description="The file in base64")


class ReplyRequest(BaseModel):
    body: str = Field(max_length=1_000_000)
    to: Line | None = None
    cc: list[Line] | None = Field(None, max_length=100)
    subject: Line | None = None
    attachments: list[AttachmentUpload] = Field(default_factory=list, max_length=REPLY_ATTACHMENTS)
    forward_to: Line | None = Field(None, description="Forward the conversation to this address instead")


def _inlined(schema: dict) -> dict:
    """A JSON schema with its $defs written in place (for a request body documented by hand)."""
    defs = schema.pop("$defs", {})

    def inline(node):
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(dict(defs[ref.removeprefix("#/$defs/")]))
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return inline(schema)


@router.post("/conversations/{conversation_id}/replies", response_model=Stored, status_code=201,
             max_body_size=REPLY_BODY_BYTES,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": _inlined(ReplyRequest.model_json_schema())}}}},
             summary="Answer (or forward) an email: stored, and its email queued for the mail queue to send")
async def send_reply(conversation_id: int, request: Request, token: str = Token):
    # The session first, the body after: only a signed-in user makes the service read megabytes.
    await anyio.to_thread.run_sync(_require_session, request, token)
    raw = await request.body()
    return await anyio.to_thread.run_sync(_send_reply, request, token, conversation_id, raw)  # megabytes: off the loop


def _require_session(request: Request, token: str) -> None:
    with signed_in(request, token):
        pass


def _send_reply(request: Request, token: str, conversation_id: int, raw: bytes) -> Response:
    try:
        body = ReplyRequest.model_validate_json(raw)
    except pydantic.ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None
    files = [NewAttachment(a.filename, a.content_type, _decoded(a)) for a in body.attachments]
    with signed_in(request, token, writing=True) as (session, who):
        message = answering.reply(session, who.actor, conversation_id, body=body.body, to=body.to, cc=body.cc,
                                  subject=body.subject, attachments=files, forward_to=body.forward_to)
        return reply(Stored(message.id), status_code=201)


def _decoded(upload: AttachmentUpload) -> bytes:
    try:
        return base64.b64decode(upload.content, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(f"The content of {download_name(upload.filename)} is not base64.") from None


class NoteRequest(BaseModel):
    text: str = Field(max_length=NOTE_LENGTH * 2, description=f"At most {NOTE_LENGTH} characters without the "
                                                              "spaces around")


@router.post("/conversations/{conversation_id}/notes", response_model=Stored, status_code=201,
             summary="An internal note: kept with the conversation, never sent to the customer")
def add_note(conversation_id: int, body: NoteRequest, request: Request, token: str = Token):
    with signed_in(request, token, writing=True) as (session, who):
        return reply(Stored(answering.add_note(session, who.actor, conversation_id, body.text).id),
                     status_code=201)


class PartnerLink(BaseModel):
    partner_id: int | None = Field(description="The customer who wrote; null: not known")


@router.put("/conversations/{conversation_id}/partner", status_code=204,
            summary="Link the conversation (and its interaction record) to the customer the agent confirmed")
def link_partner(conversation_id: int, body: PartnerLink, request: Request, token: str = Token):
    with signed_in(request, token, writing=True) as (session, who):
        handling.set_partner(session, who.actor, conversation_id, body.partner_id)
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/retries", response_model=Requeued,
             summary="Send the conversation's emails that failed for good again, now")
def retry_failed(conversation_id: int, request: Request, token: str = Token):
    with signed_in(request, token, writing=True) as (session, who):
        return reply(Requeued(answering.retry_failed(session, who.actor, conversation_id)))


class RenderRequest(BaseModel):
    body: str = Field(max_length=50_000, description="The reply template")
    partner_id: int | None = Field(None, description="The customer the agent confirmed; else the conversation's")
    contact_person_id: int | None = None


@router.post("/conversations/{conversation_id}/rendered-replies", response_model=RenderedText,
             summary="A reply template rendered in the sandbox with the customer's data and the conversation's")
def render(conversation_id: int, body: RenderRequest, request: Request, token: str = Token):
    with signed_in(request, token) as (session, who):
        rendered = render_reply(session, who.actor, conversation_id, body.body, partner_id=body.partner_id,
                                contact_person_id=body.contact_person_id)
    return reply(RenderedText(rendered.text, rendered.warnings))
