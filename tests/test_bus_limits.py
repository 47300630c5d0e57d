"""Messages too big or too deep are refused before anything decodes them,
with an error their sender can read; no input reaches the stack's limit."""

from __future__ import annotations

import threading

import pytest
import zmq

from bus import cti
from bus import sipworker as msg
from bus.envelope import BadMessage, decode_event, decode_reply, decode_request, encode_request
from bus.limits import (
    MAX_DEPTH,
    MAX_FRAMES,
    MAX_REQUEST_BYTES,
    MessageRefused,
    check_message,
    nesting_depth,
    read_message,
)


def _request(cmd_json: bytes, request_id: bytes = b'"r1"') -> bytes:
    return b'{"v":1,"id":' + request_id + b',"cmd":' + cmd_json + b"}"


def test_a_normal_command_decodes():
    data = encode_request("r1", cti.CallSetData(session="s", call_id="c", data={"a": 1}))
    request_id, command = decode_request(data, cti.COMMANDS)
    assert request_id == "r1" and command.data == {"a": 1}


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 2_000, 500_000])
def test_deeply_nested_json_is_refused_as_too_deep(depth):
    nested = b"[" * depth + b"]" * depth
    data = _request(b'{"type":"call.set_data","session":"s","call_id":"c","data":' + nested + b"}")
    if len(data) > MAX_REQUEST_BYTES:
        with pytest.raises(BadMessage) as refused:
            decode_request(data, cti.COMMANDS)
        assert refused.value.code == "too_large"
    else:
        with pytest.raises(BadMessage) as refused:
            decode_request(data, cti.COMMANDS)
        assert refused.value.code == "too_deep"


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = '"' + "[" * 5000 + '\\"{{{' + '"'
    data = _request(b'{"type":"call.dtmf","session":"s","call_id":"c","digits":' + text.encode() + b"}")
    _, command = decode_request(data, cti.COMMANDS)
    assert command.digits.startswith("[[[")
    assert nesting_depth(b'{"a":"[[[[","b":[[1]]}') == 3


def test_an_oversized_request_is_refused_before_decoding():
    data = _request(b'{"type":"call.dtmf","session":"s","call_id":"c","digits":"' + b"1" * MAX_REQUEST_BYTES + b'"}')
    with pytest.raises(BadMessage) as refused:
        decode_request(data, cti.COMMANDS)
    assert refused.value.code == "too_large"
    assert str(MAX_REQUEST_BYTES) in refused.value.message


def test_worker_reports_and_orders_have_the_same_limits():
    deep = b'{"type":"heartbeat","worker":"w1","legs":' + b"[" * 3000 + b"]" * 3000 + b"}"
    for catalogue in (msg.REPORTS, msg.ORDERS):
        with pytest.raises(BadMessage) as refused:
            catalogue.decode(deep)
        assert refused.value.code == "too_deep"


def test_replies_and_events_are_checked_too():
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(BadMessage):
        decode_reply(b'{"v":1,"id":"x","ok":true,"result":' + deep + b"}")
    with pytest.raises(BadMessage):
        decode_event(b'{"v":1,"run":"r","seq":1,"at":1.0,"event":' + deep + b"}", cti.EVENTS)


def test_a_request_id_cannot_be_used_to_echo_a_huge_text():
    with pytest.raises(BadMessage) as refused:
        decode_request(_request(b'{"type":"gateway.status"}', b'"' + b"x" * 5000 + b'"'), cti.COMMANDS)
    assert refused.value.code == "malformed"


def test_garbage_and_wrong_types_are_clear_errors():
    for data in (b"", b"\xff\xfe", b"null", b"[]", b'{"v":1}', b'{"v":1,"id":7,"cmd":{}}'):
        with pytest.raises(BadMessage) as refused:
            decode_request(data, cti.COMMANDS)
        assert refused.value.code in ("malformed", "invalid", "unknown_type")


def test_the_depth_check_needs_no_stack():
    """Run where the stack is small: a recursive check would crash the process here."""
    outcome = {}

    def check():
        try:
            check_message(b"[" * 60_000 + b"]" * 60_000, max_bytes=1 << 20)
        except MessageRefused as exc:
            outcome["code"] = exc.code

    old = threading.stack_size(64 * 1024)
    try:
        thread = threading.Thread(target=check)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old)
    assert outcome == {"code": "too_deep"}


def test_a_message_of_many_frames_is_read_keeping_only_its_first_frames():
    context = zmq.Context()
    server, client = context.socket(zmq.ROUTER), context.socket(zmq.DEALER)
    try:
        server.bind("inproc://frames")
        client.connect("inproc://frames")
        client.send_multipart([b"x" * 1000] * 5000)
        client.send(b"{}")
        assert server.poll(5000)
        frames, count, size = read_message(server)
        assert (len(frames), count, size) == (MAX_FRAMES, 5001, 5000 * 1000 + len(frames[0]))
        frames, count, size = read_message(server)  # the next message, whole
        assert ([f.bytes for f in frames][1:], count) == ([b"{}"], 2)
        with pytest.raises(zmq.Again):
            read_message(server, zmq.NOBLOCK)
    finally:
        server.close(0)
        client.close(0)
        context.term()
