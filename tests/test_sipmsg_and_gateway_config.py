"""Reading INVITEs, trusted trunk addresses, and the [gateway] configuration."""

from __future__ import annotations

import pytest

from cti_gateway import config as config_module
from cti_gateway.config import DEMO_QUEUES, GatewayConfigError, load_gateway_config
from cti_gateway.sip.pool import workers_needed
from cti_gateway.sip.sipmsg import TrustedSources, escape_user, read_invite

INVITE = (
    "INVITE sip:4008001001@127.0.0.1:5060;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bK1\r\n"
    "f: \"Zhang Wei\" <sip:13800138000@10.0.0.9>;tag=1\r\n"
    "t: <sip:4008001001@127.0.0.1>\r\n"
    "i: abc@10.0.0.9\r\n"
    "X-Queue: sales-zh\r\n"
    "Subject: a long\r\n"
    " folded header\r\n"
    "Content-Length: 0\r\n\r\n"
)


def test_an_invite_gives_dnis_ani_display_name_and_queue():
    info = read_invite(INVITE)
    assert (info.dnis, info.ani, info.display_name, info.x_queue) == (
        "4008001001", "13800138000", "Zhang Wei", "sales-zh")


def test_p_asserted_identity_wins_over_from_and_tel_uris_work():
    message = INVITE.replace("X-Queue: sales-zh\r\n",
                             "P-Asserted-Identity: <tel:+8613900139000>\r\n")
    info = read_invite(message)
    assert info.ani == "+8613900139000" and info.x_queue is None


def test_an_invite_without_user_parts_gives_empty_numbers():
    info = read_invite("INVITE sip:127.0.0.1 SIP/2.0\r\nFrom: <sip:10.0.0.9>\r\n\r\n")
    assert (info.dnis, info.ani, info.display_name) == ("", "", "")


def test_escaped_user_parts_are_unescaped():
    assert read_invite("INVITE sip:%2B861065529988@gw SIP/2.0\r\n\r\n").dnis == "+861065529988"


def test_trusted_sources_take_addresses_and_networks():
    trusted = TrustedSources(["127.0.0.1", "10.1.0.0/16", "::1"])
    assert trusted.allows("127.0.0.1:5060")
    assert trusted.allows("10.1.200.3:5060")
    assert trusted.allows("[::1]:5060")
    assert not trusted.allows("127.0.0.2:5060")
    assert not trusted.allows("192.168.1.5:5060")
    with pytest.raises(ValueError, match="not an IP address"):
        TrustedSources(["trunk.example.com"])


def test_the_pool_is_sized_from_the_lines_a_worker_holds():
    assert workers_needed(8, lines=4, lines_per_call=3) == 8  # the PyPI wheel: one call each
    assert workers_needed(200, lines=4, lines_per_call=2) == 100
    assert workers_needed(200, lines=512, lines_per_call=3) == 2
    assert workers_needed(1, lines=4, lines_per_call=3) == 1


def test_without_a_gateway_section_the_demo_queues_run():
    config = load_gateway_config(None)
    assert (config.sip_host, config.sip_port) == ("127.0.0.1", 5060)
    assert [q.name for q in config.queues] == [q.name for q in DEMO_QUEUES]
    billing = config.queues[0]
    assert billing.dnis == ("4008001001",) and billing.language == "zh"
    assert str(billing.overflow) == "queue:general-zh"


def test_a_configured_queue_is_read():
    config = load_gateway_config({
        "sip_address": "10.0.0.5:5070", "concurrent_calls": 40, "external_transfer": "refer",
        "queues": [{"name": "vip", "numbers": ["800"], "skills": {"billing": 7},
                    "strategy": "skills", "max_length": 5, "overflow": "hangup",
                    "ring_timeout": 9}]})
    queue = config.queues[0]
    assert (config.sip_host, config.sip_port, config.concurrent_calls) == ("10.0.0.5", 5070, 40)
    assert config.acd.external_transfer == "refer"
    assert (queue.strategy.value, queue.skills, queue.max_length, queue.ring_timeout) == (
        "skills", {"billing": 7}, 5, 9)


@pytest.mark.parametrize("section, message", [
    ({"sip_adress": "x"}, "unknown field `sip_adress`"),
    ({"sip_address": "localhost"}, "HOST:PORT"),
    ({"front": "haproxy"}, "use auto, kamailio or workers"),
    ({"external_uri": "sip:trunk"}, "must contain {number}"),
    ({"queues": [{"name": "q", "strategy": "random"}]}, "strategy 'random'"),
    ({"queues": [{"name": "q", "language": "fr"}]}, "queue q: .*fr"),
    ({"queues": [{"name": "q", "overflow": "voicemail"}]}, "overflow target"),
    ({"queues": [{"name": "q", "music": "/nonexistent.wav"}]}, "nonexistent.wav"),
    ({"queues": []}, "at least one queue"),
    ({"concurrent_calls": "many"}, "Expected `int`"),
])
def test_bad_gateway_settings_say_what_is_wrong(section, message, tmp_path):
    with pytest.raises(GatewayConfigError, match=message) as err:
        load_gateway_config(section, tmp_path / "cicada.toml")
    assert "cicada.toml: [gateway]" in str(err.value)


def test_rtp_ports_are_read_and_checked(monkeypatch):
    monkeypatch.setattr(config_module, "ephemeral_ports", lambda: (32768, 60999))
    assert load_gateway_config(None).rtp_ports == (10000, 19999)
    assert load_gateway_config({"rtp_ports": "61000-65000"}).rtp_ports == (61000, 65000)
    for value, message in [
        ("10000:19999", "write it as FIRST-LAST"),
        ("20000-10000", "the first below the last"),
        ("80-1000", "1024-65535"),
        ("30000-39999", "overlaps the kernel's ephemeral ports 32768-60999"),
        ("10000-10095", "has 96 ports; 9 concurrent calls of 3 lines need at least 108"),
    ]:
        with pytest.raises(GatewayConfigError, match=message):
            load_gateway_config({"rtp_ports": value, "concurrent_calls": 9})


def test_a_worker_may_be_silent_two_seconds_at_least():
    assert load_gateway_config(None).worker_silence_timeout == 15.0
    with pytest.raises(GatewayConfigError, match="worker_silence_timeout = 1: at least 2 seconds"):
        load_gateway_config({"worker_silence_timeout": 1})


def test_a_callers_escaped_number_is_read_as_utf8_and_cleaned_and_escaped_again_for_a_uri():
    def ani(user: str) -> str:
        return read_invite(f"INVITE sip:4001@gw SIP/2.0\r\nFrom: <sip:{user}@gw>;tag=1\r\n\r\n").ani

    assert ani("%E5%BC%A0%E4%BC%9F") == "张伟"
    assert ani("138%00%FF0") == "138\ufffd\ufffd0"  # NUL and a byte that is no UTF-8
    assert ani("%2B86%20138%3C%3E") == "+86 138<>"
    assert escape_user("+86 138<>\ufffd张") == "+86%20138%3C%3E%EF%BF%BD%E5%BC%A0"
    assert escape_user("+8610-6552*9") == "+8610-6552*9" and escape_user("1;x=2?y") == "1%3Bx=2%3Fy"
