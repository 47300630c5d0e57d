"""The SIP test toolkit itself, without the gateway: the SIPp scenarios of
tests/sipp/ against each other, against a pjsua2 phone and through Kamailio,
and RtpPeer as the media of customers and agents' phones."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from conftest import missing_external
from sipp_tools import (
    PCMA,
    PCMU,
    Kamailio,
    RtpPeer,
    Sipp,
    decode_g711,
    encode_g711,
    free_udp_port,
    linear_to_alaw,
    linear_to_ulaw,
    require_kamailio,
    require_sipp,
    rms,
    scenario_defaults,
    scenario_path,
    tone_samples,
    tone_share,
    wait_for_udp_port,
)

SERVICE = "4008001001"
ANI = "13800138000"
CUSTOMER_TONE, AGENT_TONE, PHONE_TONE = 440, 1000, 700


@pytest.fixture
def sipp():
    return require_sipp()


# --- G.711 and tone analysis ---------------------------------------------------

def test_g711_codes_known_values_and_round_trips():
    assert (linear_to_alaw(0), linear_to_ulaw(0)) == (0xD5, 0xFF)
    assert (linear_to_alaw(32767), linear_to_alaw(-32768)) == (0xAA, 0x2A)
    assert (linear_to_ulaw(32767), linear_to_ulaw(-32768)) == (0x80, 0x00)
    tone = tone_samples(CUSTOMER_TONE, 0.1)
    for payload_type in (PCMA, PCMU):
        decoded = decode_g711(encode_g711(tone, payload_type), payload_type)
        worst = max(abs(a - b) for a, b in zip(tone, decoded))
        assert worst < 0.04 * max(tone), (payload_type, worst)


def test_tone_share_tells_a_tone_from_others_and_from_a_mix():
    tone = tone_samples(CUSTOMER_TONE, 0.1)
    assert tone_share(tone, CUSTOMER_TONE) > 0.99
    assert tone_share(tone, AGENT_TONE) < 0.01
    mix = [a + b for a, b in zip(tone_samples(CUSTOMER_TONE, 0.1, 0.15), tone_samples(AGENT_TONE, 0.1, 0.15))]
    assert 0.45 < tone_share(mix, CUSTOMER_TONE) < 0.55
    assert rms(tone) == pytest.approx(0.3 * 32767 / 2**0.5, rel=0.01)


def test_scenarios_declare_their_keys_with_defaults():
    assert scenario_defaults(scenario_path("customer")) == {
        "ani": ANI, "x_queue": "", "rtp_ip": "{media_ip}", "rtp_port": "{media_port}",
        "hold_ms": "3000", "cancel_ms": "0", "expect_status": "200",
    }
    assert set(scenario_defaults(scenario_path("agent"))) == {"rtp_ip", "rtp_port", "answer_ms", "talk_ms"}
    assert scenario_defaults(scenario_path("agent_busy")) == {}


def test_rtp_peers_hear_each_other_in_pcmu_and_tell_silence():
    with RtpPeer(CUSTOMER_TONE, payload_type=PCMU) as talker, RtpPeer(None) as listener:
        talker.send_to(listener.address)
        assert listener.wait_for_tone(CUSTOMER_TONE, 0.5), listener.describe()
        assert talker.wait_for_packets(10), talker.describe()
        assert talker.remote == listener.address
        assert talker.silent_seconds() > 0 and talker.sound_seconds() == 0
        talker.set_tone(None)
        time.sleep(0.25)  # the last window with tone in it has arrived
        quiet_from = time.monotonic()
        time.sleep(0.35)
        assert listener.silent_since(quiet_from) and listener.silent_seconds(quiet_from) >= 0.2
        assert listener.sound_seconds() >= 0.5 and not listener.heard(AGENT_TONE, 0.1)


# --- SIPp against SIPp -------------------------------------------------------

@pytest.mark.parametrize("hangs_up", ["customer", "agent"])
def test_customer_and_agent_hear_each_other_and_exchange_dtmf(sipp, tmp_path, hangs_up):
    agent_keys = {"answer_ms": 100, "talk_ms": 2500 if hangs_up == "agent" else 0}
    customer_keys = {"ani": ANI, "x_queue": "sales", "hold_ms": 2500 if hangs_up == "customer" else 10000}
    with RtpPeer(AGENT_TONE) as agent_media, RtpPeer(CUSTOMER_TONE) as customer_media:
        # No gateway between the two peers: one of them has to speak first.
        customer_media.send_to(agent_media.address)
        with Sipp("agent", rtp=agent_media, keys=agent_keys, workdir=tmp_path / "agent") as agent, \
             Sipp("customer", remote=agent.address, rtp=customer_media, service=SERVICE, calls=1,
                  keys=customer_keys, workdir=tmp_path / "customer") as customer:
            assert customer_media.wait_for_tone(AGENT_TONE, 0.5), customer_media.describe()
            assert agent_media.wait_for_tone(CUSTOMER_TONE, 0.5), agent_media.describe()
            customer_media.send_dtmf("12#")
            agent_media.send_dtmf("9*")
            assert agent_media.wait_for_digits("12#"), agent_media.describe()
            assert customer_media.wait_for_digits("9*"), customer_media.describe()
            result = customer.wait(10)
        agent_result = agent.stop()
        assert not customer_media.heard(CUSTOMER_TONE, 0.1), customer_media.describe()
        assert not agent_media.heard(AGENT_TONE, 0.1), agent_media.describe()

    assert result.ok and result.successful == 1, result.describe()
    assert agent_result.ok and agent_result.successful == 1, agent_result.describe()
    customer_ends, agent_ends = {"customer": ("bye_sent", "bye_received"),
                                 "agent": ("bye_received", "bye_sent")}[hangs_up]
    assert [e["event"] for e in customer.events()] == ["answered", customer_ends]
    assert [e["event"] for e in agent.events()] == ["invite", "answered", agent_ends]
    invite = agent_result.message_log.read_text()
    assert f"INVITE sip:{SERVICE}@" in invite and f"From: <sip:{ANI}@" in invite
    assert "X-Queue: sales" in invite


def test_one_agent_phone_takes_many_calls_in_turn_and_at_once(sipp, tmp_path):
    with Sipp("agent", keys={"answer_ms": 0}, workdir=tmp_path / "agent") as agent:
        customers = Sipp("customer", remote=agent.address, service=SERVICE, calls=4, rate=20, limit=2,
                         keys={"hold_ms": 200}, workdir=tmp_path / "customers").start()
        result = customers.wait(10)
        assert agent.wait_for_event("bye_received", count=4)
    assert result.ok and result.successful == 4, result.describe()
    assert agent.result.ok and agent.result.successful == 4, agent.result.describe()
    assert "X-Queue" not in agent.result.message_log.read_text()


@pytest.mark.parametrize("scenario", ["agent", "agent_no_answer", "agent_busy"])
def test_agent_phones_answer_options_keepalives(sipp, tmp_path, scenario):
    with Sipp(scenario, workdir=tmp_path / scenario) as phone, \
         socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as prober:
        prober.bind(("127.0.0.1", 0))
        prober.settimeout(3)
        prober.sendto(_options_request(prober.getsockname()[1], phone.port), phone.address)
        reply = prober.recv(4096).decode()
    assert reply.startswith("SIP/2.0 200 OK"), reply
    assert [e["event"] for e in phone.events()] == ["options"]


@pytest.mark.parametrize("scenario, keys", [("agent_no_answer", {}), ("agent", {"answer_ms": 5000})])
def test_ringing_agent_phone_is_cancelled(sipp, tmp_path, scenario, keys):
    with Sipp(scenario, keys=keys, workdir=tmp_path / "agent") as agent:
        customers = Sipp("customer", remote=agent.address, service=SERVICE, calls=2, rate=20,
                         keys={"cancel_ms": 300}, workdir=tmp_path / "customers").start()
        result = customers.wait(10)
        assert agent.wait_for_event("cancelled", count=2)
    assert result.ok and result.successful == 2, result.describe()
    assert agent.result.ok, agent.result.describe()
    assert [e["event"] for e in customers.events()] == ["cancelled", "cancelled"]


def test_busy_agent_phone_answers_486(sipp, tmp_path):
    with Sipp("agent_busy", workdir=tmp_path / "agent") as agent:
        expecting_busy = Sipp("customer", remote=agent.address, service=SERVICE, calls=1,
                              keys={"expect_status": 486}, workdir=tmp_path / "expecting_busy").start()
        busy = expecting_busy.wait(5)
        expecting_answer = Sipp("customer", remote=agent.address, service=SERVICE, calls=1,
                                workdir=tmp_path / "expecting_answer").start()
        refused = expecting_answer.wait(5)
    assert busy.ok, busy.describe()
    assert refused.failed == 1 and not refused.ok, refused.describe()
    rejection = expecting_answer.events()[0]
    assert (rejection["event"], rejection["status"]) == ("rejected", "486")
    assert [e["event"] for e in agent.events()] == ["busy", "busy"]


# --- a pjsua2 phone as the far end ---------------------------------------------

# pjsua2 allows one Endpoint per process and aborts the process on some misuse,
# so it never runs inside pytest: this script is a phone in a process of its own.
PHONE_SCRIPT = r'''
import argparse, gc, json, time
import pjsua2 as pj

def say(**event):
    print(json.dumps(event), flush=True)

def header(message, name):
    for line in message.splitlines():
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return None

class Phone(pj.Call):
    def __init__(self, account, wav, call_id=pj.PJSUA_INVALID_ID):
        super().__init__(account, call_id)
        self.wav, self.player, self.state = wav, None, None

    def onCallState(self, prm):
        info = self.getInfo()
        self.state = info.state
        say(event="state", state=info.stateText, code=info.lastStatusCode)

    def onCallMediaState(self, prm):
        info = self.getInfo()  # the media vector lives inside it: keep it referenced
        for index, media in enumerate(info.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                if self.player is None:
                    self.player = pj.AudioMediaPlayer()
                    self.player.createPlayer(self.wav)
                self.player.startTransmit(self.getAudioMedia(index))

    def onDtmfDigit(self, prm):
        say(event="dtmf", digit=prm.digit)

    def onCallTransferStatus(self, prm):
        say(event="transfer", code=prm.statusCode, final=prm.finalNotify)

class Account(pj.Account):
    def __init__(self, wav):
        super().__init__()
        self.wav, self.calls = wav, []

    def onIncomingCall(self, prm):
        message = prm.rdata.wholeMsg
        request_uri = message.split(" ", 2)[1]
        say(event="incoming", dnis=request_uri.split(":", 1)[1].split("@")[0],
            ani=header(message, "From").split("sip:", 1)[1].split("@")[0],
            x_queue=header(message, "X-Queue"))
        call = Phone(self, self.wav, prm.callId)
        self.calls.append(call)
        answer = pj.CallOpParam()
        answer.statusCode = 200
        call.answer(answer)

def act(call, action):
    say(event="action", action=action)
    if action == "hold":
        call.setHold(pj.CallOpParam(True))
    elif action == "unhold":
        unhold = pj.CallOpParam(True)
        unhold.opt.flag = pj.PJSUA_CALL_UNHOLD
        call.reinvite(unhold)
    elif action == "info":
        info = pj.CallSendRequestParam()
        info.method = "INFO"
        call.sendRequest(info)
    elif action == "refer":
        call.xfer("sip:8001@127.0.0.1", pj.CallOpParam(True))
    elif action == "dtmf":
        call.dialDtmf("47")
    elif action == "hangup":
        call.hangup(pj.CallOpParam(True))

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["answer", "call"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--wav", required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--target")
    parser.add_argument("--call-id")
    parser.add_argument("--actions", default="")
    args = parser.parse_args()

    endpoint = pj.Endpoint()
    endpoint.libCreate()
    config = pj.EpConfig()
    config.uaConfig.threadCnt = 0
    config.uaConfig.mainThreadOnly = True
    config.logConfig.level = 0
    config.logConfig.consoleLevel = 0
    endpoint.libInit(config)
    transport = pj.TransportConfig()
    transport.port = args.port
    transport.boundAddress = "127.0.0.1"
    endpoint.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
    endpoint.libStart()
    endpoint.audDevManager().setNullDev()
    account_config = pj.AccountConfig()
    account_config.idUri = f"sip:phone@127.0.0.1:{args.port}"
    account_config.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    account_config.mediaConfig.transportConfig.port = 0
    account = Account(args.wav)
    account.create(account_config)

    if args.mode == "call":
        call = Phone(account, args.wav)
        account.calls.append(call)
        invite = pj.CallOpParam(True)
        call_id_header = pj.SipHeader()
        call_id_header.hName = "X-Cicada-Call-Id"
        call_id_header.hValue = args.call_id
        invite.txOption.headers.append(call_id_header)
        call.makeCall(args.target, invite)
        del call

    actions = [a for a in args.actions.split(",") if a]
    deadline = time.monotonic() + args.seconds
    last_step = None
    while time.monotonic() < deadline:
        endpoint.libHandleEvents(10)
        calls = account.calls
        if calls and all(c.state == pj.PJSIP_INV_STATE_DISCONNECTED for c in calls):
            break
        if calls and calls[0].state == pj.PJSIP_INV_STATE_CONFIRMED:
            if last_step is None:
                last_step = time.monotonic()
            if actions and time.monotonic() - last_step > 0.5:
                act(calls[0], actions.pop(0))
                last_step = time.monotonic()
        del calls

    for call in account.calls:
        if call.state != pj.PJSIP_INV_STATE_DISCONNECTED:
            call.hangup(pj.CallOpParam(True))
    until = time.monotonic() + 1
    while time.monotonic() < until and any(c.state != pj.PJSIP_INV_STATE_DISCONNECTED for c in account.calls):
        endpoint.libHandleEvents(10)
    # Drop every pjsua2 object before libDestroy, or the process aborts on exit.
    for call in account.calls:
        call.player = None
    account.calls.clear()
    call = None
    gc.collect()
    account.shutdown()
    del account
    gc.collect()
    endpoint.libDestroy()
    say(event="done")

main()
'''


@pytest.fixture
def phone_wav(tmp_path) -> Path:
    """Two seconds of a 700 Hz tone, which the phone plays in a loop."""
    path = tmp_path / "tone.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(tone_samples(PHONE_TONE, 2.0).tobytes())
    return path


class PjsuaPhone:
    """The phone script in its own process; events() waits for it to end."""

    def __init__(self, tmp_path: Path, wav: Path, mode: str, *, seconds: float = 10, **options):
        if importlib.util.find_spec("pjsua2") is None:
            missing_external("pjsua2 (PyPI pjsua2-python)")
        script = tmp_path / "phone.py"
        script.write_text(PHONE_SCRIPT)
        self.port = free_udp_port()
        args = [sys.executable, str(script), mode, "--port", str(self.port), "--wav", str(wav),
                "--seconds", str(seconds)]
        for name, value in options.items():
            args += [f"--{name.replace('_', '-')}", str(value)]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if not wait_for_udp_port(self.port, 10, alive=lambda: self.process.poll() is None):
            self.process.kill()
            raise RuntimeError(f"pjsua2 phone did not start: {self.process.communicate()[1][-2000:]}")

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def events(self, timeout: float = 15) -> list[dict]:
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        ended = self.process.returncode
        assert ended == 0, f"pjsua2 phone ended with {ended}:\n{err[-3000:]}"
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]

    def __enter__(self) -> PjsuaPhone:
        return self

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def test_pjsua2_answers_a_customer_plays_to_it_and_hears_its_dtmf(sipp, tmp_path, phone_wav):
    with PjsuaPhone(tmp_path, phone_wav, "answer", actions="hold,unhold,info") as phone, \
         RtpPeer(CUSTOMER_TONE) as media:
        with Sipp("customer", remote=phone.address, rtp=media, service=SERVICE, calls=1,
                  keys={"ani": ANI, "x_queue": "vip", "hold_ms": 3000},
                  workdir=tmp_path / "customer") as customer:
            assert media.wait_for_tone(PHONE_TONE, 1.0), media.describe([PHONE_TONE])
            # pjsua2 reports no DTMF while it holds the call: send after the unhold.
            assert customer.wait_for_event("reinvite", count=2)
            media.send_dtmf("12#")
            result = customer.wait(10)
        events = phone.events()

    assert result.ok, result.describe()
    assert {"event": "incoming", "dnis": SERVICE, "ani": ANI, "x_queue": "vip"} in events
    assert "".join(e["digit"] for e in events if e["event"] == "dtmf") == "12#", events
    reinvite_answers = [e["answer"] for e in customer.events() if e["event"] == "reinvite"]
    assert reinvite_answers == ["recvonly", "sendrecv"]
    assert [e["event"] for e in customer.events()][-2:] == ["info", "bye_sent"]


def test_pjsua2_calls_an_agent_phone_with_the_cicada_call_id(sipp, tmp_path, phone_wav):
    with RtpPeer(AGENT_TONE) as media, \
         Sipp("agent", rtp=media, keys={"answer_ms": 200}, workdir=tmp_path / "agent") as agent, \
         PjsuaPhone(tmp_path, phone_wav, "call", target=f"sip:agent@127.0.0.1:{agent.port}",
                    call_id="cicada-42", actions="dtmf,info,refer,hangup") as phone:
        events = phone.events()
        assert agent.wait_for_event("bye_received")
    assert agent.result.ok, agent.result.describe()
    assert agent.call_ids() == ["cicada-42"]
    assert media.heard(PHONE_TONE, 1.0), media.describe([PHONE_TONE])
    assert media.digits_received == "47", media.describe([PHONE_TONE])
    assert [e["event"] for e in agent.events()] == ["invite", "answered", "info", "refer", "bye_received"]
    assert agent.events()[3]["refer_to"] == "sip:8001@127.0.0.1"
    assert {"event": "transfer", "code": 200, "final": True} in events


def test_pjsua2_transfers_a_customer_with_refer(sipp, tmp_path, phone_wav):
    with PjsuaPhone(tmp_path, phone_wav, "answer", actions="refer,hangup") as phone, \
         Sipp("customer_refer", remote=phone.address, service=SERVICE, calls=1,
              workdir=tmp_path / "customer") as customer:
        result = customer.wait(10)
        events = phone.events()
    assert result.ok, result.describe()
    assert [e["event"] for e in customer.events()] == ["answered", "referred", "bye_received"]
    assert customer.events()[1]["refer_to"] == "sip:8001@127.0.0.1"
    assert {"event": "transfer", "code": 200, "final": True} in events


# --- behind a record-routing proxy ---------------------------------------------

PROXY_CONFIG = """#!KAMAILIO
debug=2
log_stderror=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:{port}

loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"
loadmodule "xlog.so"

request_route {{
    if (!mf_process_maxfwd_header("10")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    if (has_totag()) {{
        if (loose_route()) {{
            xlog("L_NOTICE", "in-dialog $rm via loose_route from $si:$sp\\n");
            t_relay();
            exit;
        }}
        if (is_method("ACK") && t_check_trans()) {{
            t_relay();
            exit;
        }}
        xlog("L_NOTICE", "in-dialog $rm without a route from $si:$sp\\n");
        sl_send_reply("404", "Not here");
        exit;
    }}
    if (is_method("CANCEL")) {{
        if (t_check_trans()) {{
            t_relay();
        }}
        exit;
    }}
    t_check_trans();
    record_route();
    $du = "sip:127.0.0.1:{agent_port}";
    t_relay();
}}
"""


@pytest.mark.parametrize("ending", ["customer hangs up", "agent hangs up", "customer abandons"])
def test_scenarios_follow_the_route_set_of_a_record_routing_proxy(sipp, tmp_path, ending):
    require_kamailio()
    proxy_port = free_udp_port()
    agent_keys = {"answer_ms": 5000 if ending == "customer abandons" else 100,
                  "talk_ms": 300 if ending == "agent hangs up" else 0}
    customer_keys = {"hold_ms": 300 if ending == "customer hangs up" else 5000,
                     "cancel_ms": 300 if ending == "customer abandons" else 0}
    agent_ends_with = {"customer hangs up": "bye_received", "agent hangs up": "bye_sent",
                       "customer abandons": "cancelled"}[ending]
    with Sipp("agent", keys=agent_keys, workdir=tmp_path / "agent") as agent, \
         Kamailio(PROXY_CONFIG.format(port=proxy_port, agent_port=agent.port), port=proxy_port,
                  workdir=tmp_path / "kamailio") as proxy, \
         Sipp("customer", remote=proxy.address, service=SERVICE, calls=1, keys=customer_keys,
              workdir=tmp_path / "customer") as customer:
        result = customer.wait(10)
        assert agent.wait_for_event(agent_ends_with)
    assert result.ok, result.describe()
    assert agent.result.ok, agent.result.describe()
    assert "without a route" not in proxy.log(), proxy.log()[-3000:]
    if ending != "customer abandons":
        sender = customer.port if ending == "customer hangs up" else agent.port
        assert f"in-dialog BYE via loose_route from 127.0.0.1:{sender}" in proxy.log(), proxy.log()[-3000:]


def _options_request(local_port: int, remote_port: int) -> bytes:
    return (
        f"OPTIONS sip:agent@127.0.0.1:{remote_port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK-options-{time.monotonic_ns()}\r\n"
        f"From: <sip:probe@127.0.0.1:{local_port}>;tag=probe\r\n"
        f"To: <sip:agent@127.0.0.1:{remote_port}>\r\n"
        f"Call-ID: options-{time.monotonic_ns()}@127.0.0.1\r\n"
        "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()
