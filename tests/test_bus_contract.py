"""The bus's contract: every event declares its topics, events from a newer service that
added a field are read by today's decoders (commands stay strict), every code a service
replies with is declared in bus/."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from bus import cti, envelope, mailq, refusals
from bus.envelope import BadMessage, Event, decode_event, decode_request, encode_event

ROOT = Path(__file__).resolve().parent.parent
DECLARED_ERRORS = {**envelope.ERRORS, **refusals.ERRORS, **cti.ERRORS, **mailq.ERRORS}


@pytest.mark.parametrize("catalogue", [cti.EVENTS, mailq.EVENTS], ids=["cti", "mailq"])
def test_every_event_declares_its_topics(catalogue):
    for tag, event in catalogue.types.items():
        assert issubclass(event, Event), tag
        assert event.topics, f"{tag} declares no topic"


def test_an_event_a_newer_gateway_added_a_field_to_is_read_by_todays_desktop():
    sent = cti.AgentNotice(agent="ann", level="info", text="Hello.", code="ring_no_answer")
    newer = msgspec.json.decode(msgspec.json.encode(sent))
    newer["urgency"] = 3  # a field this side does not know
    payload = b'{"v":1,"run":"r1","seq":7,"at":1.5,"event":%s,"trace":"x"}' % msgspec.json.encode(newer)
    head, event = decode_event(payload, cti.EVENTS)
    assert (head.seq, event) == (7, sent)


def test_a_newer_mail_queues_heartbeat_and_views_are_read_with_their_added_fields_ignored():
    work = mailq.WorkView(conversation_id=4, channel="chat", queue="web", state="offered")
    newer = {"type": "mail.work_offered", "agent": "ann", "region": "north",
             "work": {**msgspec.to_builtins(work), "language": "zh"}}
    _, event = decode_event(encode_event("r1", 1, 1.0, _raw(newer)), mailq.EVENTS)
    assert event == mailq.WorkOffered(agent="ann", work=work)
    beat = {"type": "mail.heartbeat", "run": "r1", "started_at": 1.0, "database_available": True, "load": 0.2}
    assert mailq.EVENTS.decode(msgspec.json.encode(beat)) == mailq.MailqHeartbeat(run="r1", started_at=1.0)


def test_a_command_with_a_field_this_service_does_not_know_is_refused_not_half_done():
    request = b'{"v":1,"id":"q1","cmd":{"type":"agent.logout","session":"s","also":"forget me"}}'
    with pytest.raises(BadMessage) as refused:
        decode_request(request, cti.COMMANDS)
    assert refused.value.code == "invalid" and refused.value.request_id == "q1"


def test_the_code_families_do_not_give_one_code_two_meanings():
    families = [envelope.ERRORS, refusals.ERRORS, cti.ERRORS]
    seen: set[str] = set()
    for codes in families:
        assert not seen & codes.keys()
        seen |= codes.keys()
    assert not (envelope.ERRORS.keys() | refusals.ERRORS.keys()) & mailq.ERRORS.keys()


# Where a service names the code of an error it replies with: in these calls, a literal first
# (or second, after the request id) argument.
_RAISED = re.compile(r'\b(?:CommandError|RoutingError|LoginRefused|BadMessage|MessageRefused|ServiceError|'
                     r'CtiError|MailqError)\(\s*"(\w+)"')
_REPLIED = re.compile(r'\bencode_error\([^,()]+(?:\([^()]*\))?,\s*"(\w+)"')


@pytest.mark.parametrize("package", ["bus", "cti_gateway", "email_queue", "crm/login_guard.py"])
def test_every_error_code_a_service_sends_is_declared_in_bus(package):
    path = ROOT / package
    files = [path] if path.is_file() else sorted(path.rglob("*.py"))
    sent = {(code, file.name) for file in files for pattern in (_RAISED, _REPLIED)
            for code in pattern.findall(file.read_text(encoding="utf-8"))}
    assert sent, "no codes found: the patterns no longer match the code"
    assert {(code, where) for code, where in sent if code not in DECLARED_ERRORS} == set()


def _raw(value: dict) -> envelope.Message:
    return msgspec.Raw(msgspec.json.encode(value))  # type: ignore[return-value] - encoded as is
