"""The demo's simulated customers: `cicada call` from a real demo customer's
number into a demo queue, so a newcomer can take a call in the desktop
without a phone line. The desktop has no database: `cicada demo` picks the
customers (their numbers and email addresses) and hands them over in a file."""

from __future__ import annotations

import json
import random
import smtplib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DemoCalls:
    sip_address: str  # the gateway's, HOST:PORT
    dnis: str  # the number dialled: chooses the queue
    config_path: str | None = None
    hold_for: float = 120.0
    smtp_address: str | None = None  # the mail queue's SMTP listener, HOST:PORT
    mailbox: str = "service@cicada.example"
    chat_url: str | None = None  # the web chat widget
    numbers: tuple[str, ...] = ()  # demo customers' mobile numbers, as they call from them
    addresses: tuple[tuple[str, str], ...] = ()  # demo customers' (name, email address)


def read_customers(path: Path) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The demo customers `cicada demo` wrote: (numbers, (name, address) pairs)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return (tuple(str(n) for n in data.get("numbers", [])),
            tuple((str(name), str(address)) for name, address in data.get("addresses", [])))


DEMO_EMAILS = [
    ("宽带又断了", "您好，\n\n我家的宽带从昨晚开始一直断断续续，路由器重启也没用。麻烦尽快派人看看。\n\n谢谢"),
    ("发票金额有误", "你好：\n\n本月发票比合同价多了 50 元，请核实并重新开具。\n\n祝好"),
    ("想升级套餐", "您好，我想把现在的套餐升级到 500M，请问费用是多少？什么时候可以办理？"),
    ("Router keeps rebooting", "Hello,\n\nthe router you installed last month reboots every hour. "
                               "Could someone come and replace it?\n\nBest regards"),
    ("Question about my invoice", "Hi,\n\nmy November invoice shows a charge I do not recognise. "
                                  "Can you explain it?\n\nThanks"),
]


def customer_number(calls: DemoCalls, rng: random.Random | None = None) -> str:
    """The main mobile number of a random demo customer."""
    return (rng or random.Random()).choice(calls.numbers) if calls.numbers else "13800138000"


def place_call(calls: DemoCalls, ani: str) -> subprocess.Popen:
    """A customer's SIP call (pjsua2, in its own process) that stays on the
    line for `hold_for` seconds unless the agent hangs up first."""
    command = [sys.executable, "-m", "cicada.cli"]
    if calls.config_path:
        command += ["--config", calls.config_path]
    command += ["call", "--from", ani, "--to", calls.dnis, "--gateway", calls.sip_address,
                "--hold-for", f"{calls.hold_for:g}"]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def customer_address(calls: DemoCalls, rng: random.Random | None = None) -> tuple[str, str]:
    """(name, email address) of a random demo customer who has one."""
    return (rng or random.Random()).choice(calls.addresses) if calls.addresses else ("张伟", "zhang.wei@example.cn")


def send_email(calls: DemoCalls, name: str, address: str, rng: random.Random | None = None) -> str:
    """A customer's email to the demo's service address, through the mail queue's SMTP listener."""
    from email.message import EmailMessage
    from email.utils import formataddr, formatdate, make_msgid

    subject, body = (rng or random.Random()).choice(DEMO_EMAILS)
    message = EmailMessage()
    message["From"] = formataddr((name, address))
    message["To"] = calls.mailbox
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=address.rsplit("@", 1)[-1])
    message["Date"] = formatdate(localtime=True)
    message.set_content(body)
    host, _, port = (calls.smtp_address or "127.0.0.1:2525").rpartition(":")
    with smtplib.SMTP(host, int(port), timeout=10) as smtp:
        smtp.send_message(message)
    return subject
