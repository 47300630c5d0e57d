"""Acting on agents from the wallboard, and the page of the actions taken.

Each action is a POST with the sign-in's CSRF token, sent by the wallboard's script
(actions.js); the console passes it to the gateway with the supervisor's own CRM session, and
the gateway decides (the CRM's rights: the agents of his org units), acts and writes the audit
trail. The answer is the gateway's, in the supervisor's language: done, or refused and why.
"""

from __future__ import annotations

import logging
from datetime import UTC

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from admin_console import i18n
from admin_console.signin.routes import refused_form
from admin_console.web import language, read_form, render, same_token, signed_in
from bus import cti
from crm.errors import CrmError, SessionEnded
from crm.services import sessions, supervisor_actions
from cti_gateway.client import CtiError
from email_queue.client import MailqError, MailqUnreachable

log = logging.getLogger("cicada.console")

PER_PAGE = 50
MAX_MESSAGE = 500  # characters, as the gateway's limit

# What the gateway's answer means, by its code, in the supervisor's words.
REFUSALS = {
    "session_ended": "Your session has ended: please sign in again.",
    "forbidden": "Refused: this agent is not in your org units.",
    "unknown_agent": "Refused: the agent is not logged in (he may have logged off meanwhile).",
    "invalid_argument": "Refused: the gateway does not take this value (an unknown reason, or an empty or "
                        "too long message).",
    "invalid_state": "Refused: a call is being offered to the agent, or he is already being logged off. "
                     "Try again in a moment.",
    "unknown_queue": "Refused: there is no such queue.",
    "unreachable": "The CTI gateway cannot be reached: nothing was done.",
    "crm_unavailable": "The CRM database cannot be reached: nothing was done. Try again in a moment.",
}
REFUSED = "Refused by the CTI gateway ({code})."
DONE = {
    ("not_ready", True): "{agent} is now Not ready ({reason}).",
    ("not_ready", False): "{agent} will be Not ready ({reason}) when the call ends.",
    ("log_off", True): "{agent} is logged off.",
    ("log_off", False): "{agent} will be logged off when the call ends.",
}
SENT = "Message sent to {count} agent(s)."
# The mail queue's answers to "away" (the email and chat agents), by the channels it names.
AWAY_CHANNELS = {"email": "Email", "chat": "Chat", "email+chat": "Email and chat"}
AWAY_DONE = {"email": "{agent} is now Away for email; what he holds stays his.",
             "chat": "{agent} is now Away for chat; what he holds stays his.",
             "email+chat": "{agent} is now Away for email and chat; what he holds stays his."}
MAIL_REFUSALS = {
    "not_logged_in": "Refused: the agent is not logged in to the mail queue (he may have logged off meanwhile).",
    "unknown_agent": "Refused: there is no such agent.",
    "unreachable": "The mail queue cannot be reached: nothing was done.",
}
MAIL_REFUSED = "Refused by the mail queue ({code})."
OUTCOMES = {"done": "Done", "after_call": "When the call ends"}  # else the refusal's code
ACTION_NAMES = {"not_ready": "Not ready", "log_off": "Log off", "message": "Message", "away": "Away"}
# The texts of the wallboard's script (actions.js), in the page's language.
SCRIPT_TEXTS = ["Actions", "Not ready…", "Log off", "Message…", "Message to my agents…",
                "Reason", "Message", "Send", "Cancel", "Log off {agent} (after the current call, if any)?",
                "Set {agent} Not ready", "Message to {agent}", "Message to queue {queue}",
                "Message to all the agents of my org units", "To", "All my agents", "Team {team}",
                "Working…", "The form has expired: please try again.",
                "Away…", "Set {agent} Away", "Channels", "Set Away", "Email", "Chat"]
TEXTS = [*REFUSALS.values(), REFUSED, *DONE.values(), SENT, *OUTCOMES.values(), *ACTION_NAMES.values(),
         *SCRIPT_TEXTS, *AWAY_CHANNELS.values(), *AWAY_DONE.values(), *MAIL_REFUSALS.values(), MAIL_REFUSED]


def _answer(signed, text: str, ok: bool, status: int = 200, **params) -> JSONResponse:
    return JSONResponse({"ok": ok, "text": i18n.translate(signed.language, text).format(**params)},
                        status_code=status)


def _refusal(signed, exc: CtiError) -> JSONResponse:
    if exc.code in REFUSALS:
        return _answer(signed, REFUSALS[exc.code], False)
    return _answer(signed, REFUSED, False, code=exc.code)


async def _signed_form(request: Request):
    """The sign-in and the form of an action, or the response that refuses it."""
    signed = signed_in(request)
    if signed is None:
        return None, None, JSONResponse({"ok": False, "text": i18n.translate(
            language(request), REFUSALS["session_ended"])}, status_code=401)
    form = await read_form(request)
    if form is None or not same_token(form.get("csrf"), signed.csrf):
        return signed, None, refused_form(request)
    return signed, form, None


def _gateway(request: Request):
    return request.app.state.connect_gateway()


async def act_on_agent(request: Request) -> Response:
    signed, form, refused = await _signed_form(request)
    if refused is not None:
        return refused
    action, agent = form.get("action", ""), form.get("agent", "")[:80]
    reason, text = form.get("reason", "")[:40], form.get("text", "")[:MAX_MESSAGE + 1]

    def ask():
        with _gateway(request) as client:
            if action == "not_ready":
                return client.supervisor_not_ready(signed.token, agent, reason)
            if action == "log_off":
                return client.supervisor_log_off(signed.token, agent)
            return client.send_message(signed.token, text, agent=agent)

    if action not in ACTION_NAMES or not agent:
        return _answer(signed, REFUSED, False, status=400, code="invalid")
    try:
        result = await anyio.to_thread.run_sync(ask)
    except CtiError as exc:
        log.info("%s: %s for %s refused by the gateway: %s", signed.username, action, agent, exc.code)
        return _refusal(signed, exc)
    if isinstance(result, cti.BroadcastResult):
        return _answer(signed, SENT, True, count=len(result.agents))
    return _answer(signed, DONE[(action, result.done)], True, agent=agent, reason=reason)


async def set_mail_away(request: Request) -> Response:
    """An email and chat agent set Away on a channel (or both) by the mail queue, which checks the
    supervisor's rights and writes the audit trail as the gateway does."""
    signed, form, refused = await _signed_form(request)
    if refused is not None:
        return refused
    agent, channel = form.get("agent", "")[:80], form.get("channel") or None
    connect = request.app.state.connect_mailq
    if not agent or channel not in (None, "email", "chat") or connect is None:
        return _answer(signed, MAIL_REFUSED, False, status=400, code="invalid")

    def ask():
        with connect() as client:
            return client.supervisor_away(signed.token, agent, channel)

    try:
        await anyio.to_thread.run_sync(ask)
    except MailqError as exc:
        code = "unreachable" if isinstance(exc, MailqUnreachable) else exc.code
        log.info("%s: away for %s refused by the mail queue: %s", signed.username, agent, code)
        text = MAIL_REFUSALS.get(code) or REFUSALS.get(code) or MAIL_REFUSED
        return _answer(signed, text, False, code=code)
    return _answer(signed, AWAY_DONE[channel or "email+chat"], True, agent=agent)


async def message_agents(request: Request) -> Response:
    """A message to a queue's agents, a team's (an org unit's), or to every agent of the supervisor's
    org units."""
    signed, form, refused = await _signed_form(request)
    if refused is not None:
        return refused
    queue, team = form.get("queue") or None, form.get("team") or None
    text = form.get("text", "")[:MAX_MESSAGE + 1]

    def ask():
        with _gateway(request) as client:
            return client.send_message(signed.token, text, queue=queue, team=team)

    try:
        result = await anyio.to_thread.run_sync(ask)
    except CtiError as exc:
        log.info("%s: a message refused by the gateway: %s", signed.username, exc.code)
        return _refusal(signed, exc)
    return _answer(signed, SENT, True, count=len(result.agents))


async def choices(request: Request) -> Response:
    """What the script offers: the not-ready reasons the gateway takes, the teams (org units) the
    supervisor may message, and its texts in his language."""
    signed = signed_in(request)
    if signed is None:
        return JSONResponse({"reasons": [], "teams": [], "texts": {}}, status_code=401)
    database = request.app.state.database

    def ask():
        with _gateway(request) as client:
            return client.status(signed.token).not_ready_reasons

    def read():
        with database.reading() as session:
            return supervisor_actions.teams(session, sessions.actor_of(session, signed.token).actor)

    try:
        found = await anyio.to_thread.run_sync(ask)
    except CtiError as exc:
        log.info("the gateway's not-ready reasons not read: %s", exc.code)
        found = []
    try:
        teams = [{"code": team.code, "name": team.name} for team in await anyio.to_thread.run_sync(read)]
    except CrmError as exc:
        log.info("the teams to message not read: %s", exc)
        teams = []
    texts = {text: i18n.translate(signed.language, text) for text in SCRIPT_TEXTS}
    return JSONResponse({"reasons": found, "teams": teams, "texts": texts})


async def actions_page(request: Request) -> Response:
    signed = signed_in(request)
    if signed is None:
        return RedirectResponse("/signin", status_code=303)
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    database = request.app.state.database

    def read():
        with database.reading() as session:
            actor = sessions.actor_of(session, signed.token).actor
            return supervisor_actions.list_actions(session, actor, page=page, per_page=PER_PAGE)

    try:
        found = await anyio.to_thread.run_sync(read)
    except SessionEnded:
        return RedirectResponse("/signin", status_code=303)
    except CrmError as exc:
        log.warning("the actions page could not be read: %s", exc)
        return render(request, "actions.html", signed=signed, entries=[], page=page, more=False,
                      error="The CRM database cannot be reached: try again in a moment.", status=503)
    rows = [{"at": entry.at.replace(tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S UTC"), "by": entry.by,
             "action": ACTION_NAMES.get(entry.action, entry.action), "queue": entry.queue, "agent": entry.agent,
             "team": entry.team, "details": _details(entry, signed.language),
             "outcome": OUTCOMES.get(entry.outcome), "code": entry.outcome, "done": entry.outcome in OUTCOMES}
            for entry in found.entries]
    return render(request, "actions.html", signed=signed, entries=rows, page=found.page, more=found.more)


def _details(entry, language: str) -> str:
    if entry.action == "away":  # which of the mail queue's channels
        return i18n.translate(language, AWAY_CHANNELS.get(entry.reason or "", entry.reason or ""))
    return entry.reason or entry.text or ""


routes = [
    Route("/actions", actions_page, methods=["GET"]),
    Route("/actions/choices", choices, methods=["GET"]),
    Route("/actions/agent", act_on_agent, methods=["POST"]),
    Route("/actions/message", message_agents, methods=["POST"]),
    Route("/actions/mail-away", set_mail_away, methods=["POST"]),
]
