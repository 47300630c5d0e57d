"""The [mailq] section: defaults, routing rules in order, and clear errors."""

from __future__ import annotations

import pytest

from crm.services.conversations.queueing import RouteFacts
from email_queue.config import MailqConfigError, load_mailq_config


def facts(channel="email", mailbox="service@cicada.example", subject="", text="", value_class=None):
    return RouteFacts(channel, mailbox, subject, text, value_class, None)


def test_the_demo_defaults_route_by_value_class_keyword_mailbox_and_channel():
    config = load_mailq_config(None)
    assert (config.smtp_host, config.smtp_port, config.chat_port) == ("127.0.0.1", 2525, 8025)
    assert config.route(facts(value_class="A")).queue == "vip"
    complaint = config.route(facts(subject="我要投诉"))
    assert (complaint.queue, complaint.priority) == ("service", 2)
    assert config.route(facts(mailbox="SALES@cicada.example")).queue == "sales"
    assert config.route(facts(channel="chat")).queue == "web-chat"
    plain = config.route(facts(subject="hello"))
    assert (plain.queue, plain.first_response.total_seconds()) == ("service", 240 * 60)


def test_rules_are_tried_in_order_and_the_first_that_fits_decides():
    config = load_mailq_config({
        "queues": [{"name": "a"}, {"name": "b", "mode": "pull"}],
        "default_queue": "a", "chat_queue": "a",
        "rules": [{"queue": "b", "keywords": ["Refund"], "channel": "email", "priority": 2},
                  {"queue": "a", "priority": 9}]})
    assert config.route(facts(text="my refund please")).queue == "b"  # keywords ignore case
    assert config.route(facts(channel="chat", text="refund")).priority == 9
    assert [q.mode for q in config.queue_rules()] == ["push", "pull"]


@pytest.mark.parametrize("section, words", [
    ({"queues": [{"name": "a", "mode": "sometimes"}], "default_queue": "a", "chat_queue": "a"}, "push or pull"),
    ({"rules": [{"queue": "nowhere"}]}, "'nowhere' is used but not among the queues"),
    ({"addresses": ["not-an-address"]}, "is not an email address"),
    ({"smtp": "localhost"}, "use host:port"),
    ({"queues": [{"name": "a"}, {"name": "a"}]}, "each name once"),
    ({"colour": "red"}, "colour"),
    ({"max_message_mb": 0}, "must be positive"),
])
def test_a_bad_section_is_refused_saying_what_and_where(section, words):
    with pytest.raises(MailqConfigError) as refused:
        load_mailq_config(section, "cicada.toml")
    assert words in str(refused.value) and "cicada.toml: [mailq]" in str(refused.value)


# --- the mail queue's keys, for the service and for desktops -------------------------------------------


def _config(tmp_path, text: str):
    from cicada.config import load_config

    path = tmp_path / "cicada.toml"
    path.write_text(f'[keys]\ndir = "keys"\n{text}')
    return load_config(path)


def test_a_desktop_trusts_the_configured_public_key_else_the_one_in_the_keys_directory(tmp_path):
    from bus.keys import ensure_keys
    from cicada.commands.mailq_cmd import mailq_public_key
    from cicada.config import ConfigError

    given = ensure_keys(tmp_path / "elsewhere", ["mailq"])["mailq"].public.decode()
    config = _config(tmp_path, f'[mailq]\npublic_key = "{given}"\n')
    assert mailq_public_key(config) == given
    config = _config(tmp_path, "")
    with pytest.raises(ConfigError, match="set \\[mailq\\] public_key"):  # nothing to trust: said, not guessed
        mailq_public_key(config)
    local = ensure_keys(tmp_path / "keys", ["mailq"])["mailq"].public.decode()
    assert mailq_public_key(config) == local  # the same host's
    assert mailq_public_key(config, given) == given  # --mailq-key
    with pytest.raises(ConfigError, match="is not one"):
        mailq_public_key(config, "not a key")
    with pytest.raises(MailqConfigError, match="public_key"):
        load_mailq_config({"public_key": "x" * 12})


def test_the_mail_queue_does_not_start_without_its_key_pair(tmp_path):
    from cicada.commands.mailq_cmd import mailq_keypair
    from cicada.config import ConfigError

    with pytest.raises(ConfigError, match="cicada keys init"):
        mailq_keypair(_config(tmp_path, ""))
